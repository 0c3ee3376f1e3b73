from datetime import date
from decimal import Decimal

import pytest

from sheet_sync.money import parse_money
from sheet_sync.cells import parse_date, parse_terms, parse_language, parse_status, split_emails, check_email


@pytest.mark.parametrize("value, order, expected", [
    ("2026-11-22", "DMY", date(2026, 11, 22)),
    ("22/11/2026", "DMY", date(2026, 11, 22)),
    ("11/22/2026", "MDY", date(2026, 11, 22)),
    ("03/04/2026", "DMY", date(2026, 4, 3)),
    ("03/04/2026", "MDY", date(2026, 3, 4)),
    ("2026년 11월 22일", "DMY", date(2026, 11, 22)),
    ("2026年11月22日", "DMY", date(2026, 11, 22)),
    ("Nov 22, 2026", "DMY", date(2026, 11, 22)),
    ("22 November 2026", "DMY", date(2026, 11, 22)),
    (46348, "DMY", date(2026, 11, 22)),
    (46348.0, "DMY", date(2026, 11, 22)),
    ("46348", "DMY", date(2026, 11, 22)),
    (date(2026, 11, 22), "DMY", date(2026, 11, 22)),
])
def test_dates_read_in_every_form(value, order, expected):
    assert parse_date(value, order) == (expected, "")


@pytest.mark.parametrize("value, message", [
    ("next week", "'next week' is not a date. Write it as 2026-11-30 or 30/11/2026."),
    ("31/02/2026", "'31/02/2026' is not a real calendar date. Write it as 2026-11-30 or 30/11/2026."),
    (12, "'12' is not a date. Write it as 2026-11-30 or 30/11/2026."),
])
def test_bad_dates_say_how_to_write_them(value, message):
    assert parse_date(value, "DMY") == (None, message)


def test_blank_date_is_none_without_error():
    assert parse_date(None) == (None, "")
    assert parse_date("  ") == (None, "")


@pytest.mark.parametrize("value, currency, expected", [
    ("$1,250.00", "USD", Decimal("1250.00")),
    ("₩1,200,000", "KRW", Decimal("1200000")),
    ("1 200 000원", "KRW", Decimal("1200000")),
    ("USD 1,250", "USD", Decimal("1250.00")),
    ("¥3,500.50", "CNY", Decimal("3500.50")),
    ("(1,000.50)", "USD", Decimal("-1000.50")),
    (1250.1, "USD", Decimal("1250.10")),
    (0.1 + 0.2, "USD", Decimal("0.30")),
    (1200000, "KRW", Decimal("1200000")),
    (2.675, "USD", Decimal("2.68")),  # float 2.675 is 2.67499...; repr reads what the owner typed
])
def test_money_is_exact_decimal(value, currency, expected):
    amount, err = parse_money(value, currency)
    assert err == ""
    assert amount == expected and isinstance(amount, Decimal)
    assert str(amount) == str(expected)


@pytest.mark.parametrize("value, currency, message", [
    ("abc", "USD", "'abc' is not an amount. Write a number like 1250.00."),
    ("₩1,200,000", "USD", "'₩1,200,000' is written in KRW but the invoice's currency is USD."),
    ("€5", "USD", "'€5' is written in EUR but the invoice's currency is USD."),
    ("1,250 KRW", "USD", "'1,250 KRW' is written in KRW but the invoice's currency is USD."),
])
def test_money_errors_never_convert(value, currency, message):
    assert parse_money(value, currency) == (None, message)


@pytest.mark.parametrize("value, days", [
    ("Net 30", 30), ("NET30", 30), ("net 15 days", 15), ("30 days", 30), ("Due on receipt", 0),
    ("15일", 15), ("30일 이내", 30), ("30天", 30), ("45天内", 45), ("即付", 0), ("즉시", 0), (30, 30), ("2/10 Net 30", 30),
])
def test_payment_terms(value, days):
    assert parse_terms(value) == (days, "")


def test_unreadable_terms_name_the_forms():
    assert parse_terms("when convenient")[1] == (
        "'when convenient' is not payment terms I can read. Write e.g. 'Net 30', '30 days' or 'Due on receipt'.")


def test_languages_statuses_and_emails():
    assert parse_language("Korean") == ("ko", "")
    assert parse_language("中文") == ("zh", "")
    assert parse_language("fr")[0] == ""
    assert parse_status("on hold") == ("On Hold", "")
    assert parse_status("WRITTEN-OFF") == ("Written Off", "")
    assert parse_status("whatever")[0] == ""
    assert split_emails("a@x.example.com; b@y.example.com, c@z.example.com") == (
        "a@x.example.com", "b@y.example.com", "c@z.example.com")
    assert check_email("billing(at)example.com").startswith("'billing(at)example.com' is not a valid email address")
    assert check_email("ap@acme.example.com") == ""

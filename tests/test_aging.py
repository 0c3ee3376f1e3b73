"""Aging on real .xlsx files: buckets, statuses, balances, due dates from terms."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from sheet_sync.aging import age, bucket_labels, totals_by_currency
from workbooks import invoice, memory_book

AS_OF = date(2026, 11, 23)


def aged(tmp_path, config_for, rows, clients=None, extra_config=""):
    config = config_for(tmp_path / "book.xlsx", extra_config)
    book = memory_book(config, rows, clients)
    report = age(book, config, AS_OF)
    return book, report, report.by_invoice()


@pytest.mark.parametrize("days, bucket", [
    (-5, "Current"), (0, "Current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
    (61, "61-90"), (90, "61-90"), (91, "90+"), (400, "90+"),
])
def test_bucket_boundaries(tmp_path, config_for, days, bucket):
    _, _, rows = aged(tmp_path, config_for, [invoice("A", due=AS_OF - timedelta(days=days))])
    assert rows["A"].days_overdue == days
    assert rows["A"].bucket == bucket


def test_configured_buckets_and_issue_date_basis(tmp_path, config_for):
    rows = [invoice("A", due=AS_OF + timedelta(days=10), issue=AS_OF - timedelta(days=20)),
            invoice("B", due=AS_OF - timedelta(days=15), issue=AS_OF - timedelta(days=45))]
    _, report, by_no = aged(tmp_path, config_for, rows, extra_config='[aging]\nbasis = "issue_date"\nbuckets = [14, 30]')
    assert report.labels == ("0-14", "15-30", "30+")
    assert by_no["A"].bucket == "15-30" and by_no["A"].days_overdue == -10
    assert by_no["B"].bucket == "30+" and by_no["B"].days_overdue == 15
    assert bucket_labels((30, 60, 90)) == ("Current", "1-30", "31-60", "61-90", "90+")


def test_every_status_with_precedence(tmp_path, config_for):
    d = AS_OF
    rows = [
        invoice("current", due=d + timedelta(days=4)),
        invoice("due-soon-3", due=d + timedelta(days=3)),
        invoice("due-soon-0", due=d),
        invoice("overdue", due=d - timedelta(days=1)),
        invoice("partial", due=d - timedelta(days=40), amount=1000, paid=400),
        invoice("partial-not-due", due=d + timedelta(days=10), amount=1000, paid=400),
        invoice("paid-zero", due=d - timedelta(days=40), amount=1000, paid=1000),
        invoice("overpaid", due=d - timedelta(days=40), amount=1000, paid=1200),
        invoice("draft", due=d - timedelta(days=40), status="Draft"),
        invoice("paid-status", due=d - timedelta(days=40), status="paid"),
        invoice("disputed", due=d - timedelta(days=40), status="Disputed", paid=100),
        invoice("hold", due=d - timedelta(days=40), status="On Hold"),
        invoice("void", due=d - timedelta(days=40), status="Void"),
        invoice("written", due=d - timedelta(days=40), status="Written Off"),
        invoice("sent", due=d - timedelta(days=5), status="Sent"),
        invoice("bad-amount", due=d - timedelta(days=5), amount="abc", status="Paid"),
    ]
    book, report, by_no = aged(tmp_path, config_for, rows)
    expected = {
        "current": ("Current", True), "due-soon-3": ("Due Soon", True), "due-soon-0": ("Due Soon", True),
        "overdue": ("Overdue", True), "partial": ("Partially Paid", True), "partial-not-due": ("Partially Paid", True),
        "paid-zero": ("Paid", False), "overpaid": ("Paid", False), "draft": ("Draft", False),
        "paid-status": ("Paid", False), "disputed": ("Disputed", True), "hold": ("On Hold", True),
        "void": ("Void", False), "written": ("Written Off", False), "sent": ("Overdue", True),
        "bad-amount": ("Problem", False),
    }
    assert {no: (r.status, bool(r.open)) for no, r in by_no.items()} == expected
    assert by_no["partial"].balance == Decimal("600.00")
    assert by_no["overpaid"].balance == Decimal("-200.00")


def test_duplicate_numbers_and_unknown_or_unreachable_clients_are_problems(tmp_path, config_for):
    clients = [
        ["C1", "Acme Ltd", "ap@acme.example.com", "", "", "en", "Net 30", ""],
        ["C9", "No Mail Co", "billing(at)example.com", "", "", "en", "Net 30", ""],
    ]
    rows = [invoice("D1", due=AS_OF), invoice("D1", due=AS_OF), invoice("U1", "C404", due=AS_OF),
            invoice("M1", "C9", due=AS_OF), invoice("OK", due=AS_OF)]
    book, report, _ = aged(tmp_path, config_for, rows, clients)
    statuses = [(r.invoice_no, r.status) for r in report.rows]
    assert statuses == [("D1", "Problem"), ("D1", "Problem"), ("U1", "Problem"), ("M1", "Problem"), ("OK", "Due Soon")]
    messages = {str(p) for p in book.problems}
    assert "Invoices!A2: Invoice No 'D1' stands on 2 rows; each invoice needs its own number." in messages
    assert "Invoices!A3: Invoice No 'D1' stands on 2 rows; each invoice needs its own number." in messages
    assert ("Invoices!B4: client 'C404' is not on the Clients sheet; add it or fix the ID."
            in messages)
    assert ("Clients!C3: client 'C9': 'billing(at)example.com' is not a valid email address (an email address must have "
            "an @-sign). No reminder can be sent.") in messages


def test_blank_due_date_comes_from_the_clients_terms(tmp_path, config_for):
    clients = [
        ["C1", "Acme", "a@acme.example.com", "", "", "en", "Net 30", ""],
        ["C2", "한빛", "b@hanbit.example.co.kr", "", "", "ko", "15일", ""],
        ["C3", "星辰", "c@xc.example.cn", "", "", "zh", "45天", ""],
        ["C4", "Now Inc", "d@now.example.com", "", "", "en", "Due on receipt", ""],
        ["C5", "Vague", "e@vague.example.com", "", "", "en", "", ""],
    ]
    issue = date(2026, 11, 1)
    rows = [invoice(f"I{n}", f"C{n}", due=None, issue=issue) for n in range(1, 6)]
    book, report, by_no = aged(tmp_path, config_for, rows, clients)
    due = {i.invoice_no: i.due_date for i in book.invoices}
    assert due == {"I1": date(2026, 12, 1), "I2": date(2026, 11, 16), "I3": date(2026, 12, 16),
                   "I4": date(2026, 11, 1), "I5": None}
    assert by_no["I5"].status == "Problem"
    assert any(str(p).startswith("Invoices!D6: the Due Date is blank and client 'C5' has no Payment Terms I can read "
                                 "(Clients!G6)") for p in book.problems)


def test_totals_are_per_currency_and_exact(tmp_path, config_for):
    rows = [
        invoice("U1", due=AS_OF - timedelta(days=5), amount="$1,250.10"),
        invoice("U2", due=AS_OF - timedelta(days=45), amount=0.1, paid=None),
        invoice("U3", due=AS_OF - timedelta(days=45), amount=0.2),
        invoice("K1", "C2", due=AS_OF - timedelta(days=100), amount="₩1,200,000", currency="KRW"),
        invoice("K2", "C2", due=AS_OF + timedelta(days=5), amount=300000, paid=100000, currency="KRW"),
    ]
    _, report, _ = aged(tmp_path, config_for, rows)
    totals = totals_by_currency(report)
    assert totals["USD"]["1-30"] == Decimal("1250.10")
    assert totals["USD"]["31-60"] == Decimal("0.30")
    assert totals["USD"]["Total"] == Decimal("1250.40")
    assert totals["KRW"]["90+"] == Decimal("1200000")
    assert totals["KRW"]["Current"] == Decimal("200000")
    assert totals["KRW"]["Total"] == Decimal("1400000")
    assert set(totals) == {"USD", "KRW"}

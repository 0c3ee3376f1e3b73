"""Issue 15, the late fee or interest (`reminders.late_fee`): computed from the invoice's dates to the cent in
each currency, written into the tool's `Late Fee` column, shown as a line of its own in firm and final notices and
on the invoice PDF, and charged once however many runs there are."""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import needs
from sheet_sync import api
from sheet_sync.aging import age
from sheet_sync.compose import compose_for_client
from sheet_sync.config import parse_config
from sheet_sync.errors import SheetSyncError
from sheet_sync.late_fee import LateFeeRule, fee_of, invoice_fee
from sheet_sync.model import Client, Invoice, LogEntry, SendState
from sheet_sync.policy import make_calendar, plan
from sheet_sync.writeplan import build_write_plan
from workbooks import invoice, memory_book, simple_book, write_config

D = Decimal
MONDAY = date(2026, 11, 23)


def fixed(after_days=0, once=True, **amounts):
    return LateFeeRule("fixed", {k: D(v) for k, v in amounts.items()}, after_days, once)


def percent(rate, after_days=0, once=True):
    return LateFeeRule("percent", {"": D(rate)}, after_days, once)


def annual(rate, after_days=0):
    return LateFeeRule("annual_rate", {"": D(rate)}, after_days)


# ---- the fee, to the cent ---------------------------------------------------------------------------

def test_a_fixed_fee_in_each_currency_from_after_days_on():
    rule = fixed(30, USD="40", EUR="40.00", KRW="50000")
    assert [fee_of([rule], "USD", D("1000.00"), d) for d in (0, 29, 30, 31, 400)] == [0, 0, D("40.00"), D("40.00"),
                                                                                      D("40.00")]
    assert fee_of([rule], "EUR", D("12.00"), 30) == D("40.00")
    assert fee_of([rule], "KRW", D("800000"), 45) == D("50000") and str(fee_of([rule], "KRW", D("800000"), 45)) == "50000"
    assert fee_of([rule], "CNY", D("8800.00"), 45) == 0  # no amount for the yuan: no fixed fee
    # after_days 0: from the first day overdue, never on the due date itself
    assert [fee_of([fixed(USD="40")], "USD", D("10.00"), d) for d in (-3, 0, 1)] == [0, 0, D("40.00")]


def test_a_percent_of_the_open_balance_rounded_to_each_currency():
    rule = percent("1.5", after_days=30)
    assert fee_of([rule], "USD", D("1234.56"), 30) == D("18.52")  # 18.5184
    assert fee_of([rule], "EUR", D("999.99"), 31) == D("15.00")  # 14.99985, half up
    assert str(fee_of([rule], "KRW", D("1234567"), 90)) == "18519"  # 18518.505 won: no decimals
    assert fee_of([rule], "USD", D("1234.56"), 29) == 0


def test_annual_rate_is_simple_interest_per_day_after_after_days():
    assert fee_of([annual(8)], "USD", D("1000.00"), 45) == D("9.86")  # 1000 x 8% x 45/365 = 9.8630
    assert fee_of([annual(8)], "EUR", D("12345.67"), 100) == D("270.59")  # 270.5900
    assert str(fee_of([annual("12.5")], "KRW", D("3000000"), 61)) == "62671"  # 62671.23 won
    assert fee_of([annual("12.5")], "CNY", D("8800.00"), 1) == D("3.01")  # one day: 3.0137
    # after_days 30: interest for the days after the thirtieth only
    assert fee_of([annual(8, after_days=30)], "USD", D("1000.00"), 30) == 0
    assert fee_of([annual(8, after_days=30)], "USD", D("1000.00"), 75) == D("9.86")
    # day by day it grows by a day's interest, never by a second fee
    days = [fee_of([annual(8)], "USD", D("36500.00"), d) for d in range(1, 6)]
    assert days == [D("8.00"), D("16.00"), D("24.00"), D("32.00"), D("40.00")]


def test_eu_style_a_fixed_40_plus_interest_each_rounded_then_added():
    rules = [fixed(EUR="40", GBP="40"), annual("12.5")]
    assert fee_of(rules, "EUR", D("2000.00"), 30) == D("60.55")  # 40 + 20.547
    assert fee_of(rules, "GBP", D("2000.00"), 0) == 0


def test_once_false_charges_again_every_after_days():
    rule = fixed(30, once=False, USD="25")
    assert [fee_of([rule], "USD", D("100.00"), d) for d in (29, 30, 59, 60, 95)] == [0, D(25), D(25), D(50), D(75)]
    assert fee_of([percent(2, 30, once=False)], "USD", D("1000.00"), 61) == D("40.00")


def inv(status="", paid="0", paid_date=None, due=MONDAY - timedelta(days=40), amount="1000.00", currency="USD"):
    return Invoice("I-1", "C1", 2, due - timedelta(days=30), due, currency, D(amount), D(paid), paid_date, status)


CLIENT = Client("C1", "Acme", ("ap@acme.example.com",))


@pytest.mark.parametrize("status", ["Draft", "Disputed", "On Hold", "Void", "Written Off"])
def test_no_fee_on_an_invoice_the_owner_holds_back(status):
    rules = [fixed(USD="40")]
    assert invoice_fee(rules, inv(), CLIENT, MONDAY) == D("40.00")
    assert invoice_fee(rules, inv(status), CLIENT, MONDAY) == 0


def test_no_fee_for_a_client_with_reminders_off_and_none_without_rules():
    assert invoice_fee([fixed(USD="40")], inv(), replace(CLIENT, reminders=False), MONDAY) == 0
    assert invoice_fee((), inv(), CLIENT, MONDAY) == 0


def test_a_paid_invoice_shows_the_fee_as_it_stood_on_its_paid_date():
    due = MONDAY - timedelta(days=60)
    paid = inv(paid="1000.00", paid_date=due + timedelta(days=45), due=due)
    assert invoice_fee([annual(8)], paid, CLIENT, MONDAY) == D("9.86")  # 45 days on the Amount, not 60
    assert invoice_fee([annual(8)], replace(paid, paid_date=None), CLIENT, MONDAY) == 0  # cannot be told
    on_time = inv(paid="1000.00", paid_date=due, due=due)
    assert invoice_fee([fixed(USD="40")], on_time, CLIENT, MONDAY) == 0
    # a partial payment lowers the open balance a percent is taken of
    assert invoice_fee([percent(10)], inv(paid="400.00"), CLIENT, MONDAY) == D("60.00")


# ---- the config --------------------------------------------------------------------------------------

def config_of(text: str):
    import tomllib

    return parse_config(tomllib.loads(text), Path("."))


def test_the_config_takes_one_rule_or_several_and_one_amount_is_in_the_default_currency():
    one = config_of('[aging]\ndefault_currency = "EUR"\n[reminders]\nlate_fee = { type = "fixed", amount = 40 }')
    assert one.reminders.late_fee == (LateFeeRule("fixed", {"EUR": D(40)}, 0, True),)
    many = config_of('[reminders]\nlate_fee = [{ type = "fixed", amount = { usd = "40", KRW = 50000 }, after_days = 30 },'
                     ' { type = "annual_rate", amount = 12.5 }]')
    assert many.reminders.late_fee == (LateFeeRule("fixed", {"USD": D(40), "KRW": D(50000)}, 30, True),
                                       LateFeeRule("annual_rate", {"": D("12.5")}, 0, True))
    assert config_of("").reminders.late_fee == ()  # off by default


@pytest.mark.parametrize("value, message", [
    ('{ type = "fixd", amount = 40 }', "reminders.late_fee.type must be 'fixed', 'percent' or 'annual_rate', not 'fixd'."),
    ('{ amount = 40 }', "reminders.late_fee.type is needed: 'fixed', 'percent' or 'annual_rate'."),
    ('{ type = "fixed" }', "reminders.late_fee.amount is needed"),
    ('{ type = "fixed", amount = { KRW = "50000.5" } }', "reminders.late_fee.amount.KRW has more decimals than KRW has"),
    ('{ type = "fixed", amount = { XYZ = 4 } }', "reminders.late_fee.amount.XYZ 'XYZ' is not an ISO currency code"),
    ('{ type = "fixed", amount = 0 }', "reminders.late_fee.amount must be more than 0"),
    ('{ type = "percent", amount = { USD = 2 } }', "reminders.late_fee.amount must be one number for type 'percent'"),
    ('{ type = "annual_rate", amount = 800 }', "reminders.late_fee.amount must be more than 0 and at most 100"),
    ('{ type = "annual_rate", amount = 8, once = false }', "reminders.late_fee.once applies to 'fixed' and 'percent'"),
    ('{ type = "fixed", amount = 40, once = false }', "reminders.late_fee.after_days must be 1 or more with once = false"),
    ('{ type = "fixed", amount = 40, after_days = -1 }', "reminders.late_fee.after_days must be 0 or more, not -1."),
    ('{ type = "fixed", amount = 40, every = 3 }', "unknown key reminders.late_fee.every"),
    ('[{ type = "fixed", amount = 40 }, 5]', "reminders.late_fee[2] must be a table, not 5."),
    ('"40"', "reminders.late_fee must be a table"),
])
def test_every_bad_value_is_named_by_its_key(value, message):
    with pytest.raises(SheetSyncError) as caught:
        config_of(f"[reminders]\nlate_fee = {value}")
    assert message in str(caught.value)


# ---- fifty daily runs charge a fixed fee once ------------------------------------------------------------

FEE_CONFIG = """
[aging]
default_currency = "EUR"
[reminders]
late_fee = { type = "fixed", amount = { EUR = "40", KRW = "50000" }, after_days = 7 }
"""


def fee_lines(text: str) -> list[str]:
    """The lines of a message that show a late fee amount (not the sentence that speaks of it, not the totals)."""
    return [line for line in text.splitlines()
            if re.search(r"(late fee|연체료|逾期费用)\s*[:：]?\s*(€|\$|₩|CN¥)", line, re.IGNORECASE)]


def test_fifty_daily_runs_in_memory_charge_a_fixed_fee_once(tmp_path):
    """The pure stages, run day after day with the log of what went: the Late Fee cell says the same fee on
    every run once it applies, and no message ever shows two fees."""
    config = write_config(tmp_path, tmp_path / "book.xlsx", FEE_CONFIG)
    start = MONDAY
    due = start + timedelta(days=3)
    book = memory_book(config, [invoice("E-1", due=due, currency="EUR", amount=1000),
                                invoice("K-1", "C2", due=due + timedelta(days=1), currency="KRW", amount=800000)])
    log: list[LogEntry] = []
    column: dict[str, set] = {"E-1": set(), "K-1": set()}
    seen: list[tuple[str, str, list[str], str]] = []
    for n in range(50):
        day = start + timedelta(days=n)
        today = replace(book, log=tuple(log))
        report = age(today, config, day)
        decisions = plan(report, today, config, make_calendar(config, day))
        statuses = [r.status for r in report.rows]
        wp = build_write_plan(config, today, report, decisions, statuses, (), (), (), {}, ())
        assert wp.tool_columns[-1] == "Late Fee" and wp.money_columns == ("Late Fee",)
        for no in column:
            column[no].add(wp.invoice_updates[no][-1])
        for d in decisions.values():
            if not d.send:
                continue
            inv_ = next(i for i in today.invoices if i.invoice_no == d.invoice_no)
            row = report.by_invoice()[d.invoice_no]
            from sheet_sync.compose import Due

            out = compose_for_client([Due(inv_, d.send, row.balance, row.days_overdue or 0)],
                                     today.clients[inv_.client_id], config, day)
            text = out.message.get_body(("plain",)).get_content()
            seen.append((d.invoice_no, d.send, fee_lines(text), text))
            log.append(LogEntry(datetime.combine(day, time(9), timezone.utc), d.invoice_no, inv_.client_id, d.send,
                                out.to_text, out.subject, out.message_id, "outbox", SendState.SENT))
    # the column: blank until the seventh day overdue, then the one fee on every run
    assert column["E-1"] == {None, D("40.00")} and column["K-1"] == {None, D("50000")}
    stages = [(no, stage) for no, stage, _, _ in seen]
    assert stages == [("E-1", "upcoming"), ("K-1", "upcoming"), ("E-1", "gentle"), ("K-1", "gentle"),
                      ("E-1", "firm"), ("K-1", "firm"), ("E-1", "final"), ("K-1", "final")]
    for no, stage, lines, text in seen:
        if stage in ("upcoming", "gentle"):
            assert lines == [], (no, stage)
        else:  # one fee line, the balance, the fee and the total now due, in the client's currency
            assert len(lines) == 1, (no, stage, lines)
    e_firm = next(t for no, s, _, t in seen if (no, s) == ("E-1", "firm"))
    assert "Balance:       €1,000.00\nLate fee:      €40.00\nTotal now due: €1,040.00" in e_firm
    k_final = next(t for no, s, _, t in seen if (no, s) == ("K-1", "final"))
    assert "미결제 잔액: ₩800,000\n연체료: ₩50,000\n현재 결제하실 총액: ₩850,000" in k_final


def test_fifty_daily_runs_on_a_real_xlsx_write_the_same_fee_every_run(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", [
        invoice("E-1", due=MONDAY - timedelta(days=3), currency="EUR", amount=1000),
        invoice("K-1", "C2", due=MONDAY - timedelta(days=20), currency="KRW", amount=800000),
        invoice("D-1", due=MONDAY - timedelta(days=30), currency="EUR", amount="500.00", status="Disputed"),
    ])
    config = write_config(tmp_path, wb, FEE_CONFIG)
    cells: dict[str, list] = {"E-1": [], "K-1": [], "D-1": []}
    firm_final = []
    for n in range(50):
        result = api.sync(config, as_of=MONDAY + timedelta(days=n))
        firm_final += [m.invoice_no for m in result.sent if m.stage in ("firm", "final")]
        ws = openpyxl.load_workbook(wb)["Invoices"]
        headers = [c.value for c in ws[1]]
        col = headers.index("Late Fee")
        for row in ws.iter_rows(min_row=2):
            cells[row[0].value].append((row[col].value, row[col].number_format if row[col].value is not None else None))
    assert headers[-1] == "Late Fee" and headers.count("Late Fee") == 1  # added once, at the right end
    assert set(cells["E-1"][4:]) == {(40, "#,##0.00")} and set(cells["E-1"][:4]) == {(None, None)}  # from day 7
    assert set(cells["K-1"]) == {(50000, "#,##0")}
    assert set(cells["D-1"]) == {(None, None)}  # disputed: no fee
    ws = openpyxl.load_workbook(wb)["Invoices"]
    row = {r[0].value: dict(zip(headers, (c.value for c in r))) for r in ws.iter_rows(min_row=2)}
    assert row["E-1"]["Amount"] == 1000 and row["E-1"]["Balance"] == 1000  # never added to the Amount
    assert sorted(firm_final) == ["E-1", "E-1", "K-1", "K-1"]
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    by_stage = sorted((m["X-Sheet-Sync-Invoice"], m["X-Sheet-Sync-Stage"], len(fee_lines(m.get_body(("plain",)).get_content())))
                      for m in sent)
    assert by_stage == [("E-1", "final", 1), ("E-1", "firm", 1), ("E-1", "gentle", 0),
                        ("K-1", "final", 1), ("K-1", "firm", 1), ("K-1", "gentle", 0)]


# ---- the words -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, client, currency, amount, want", [
    ("en", "C1", "USD", "1000.00", ["Balance:       $1,000.00", "Late fee:      $40.00", "Total now due: $1,040.00"]),
    ("ko", "C2", "KRW", "800000", ["미결제 잔액: ₩800,000", "연체료: ₩50,000", "현재 결제하실 총액: ₩850,000"]),
    ("zh", "C3", "CNY", "8800.00", ["未付余额：CN¥8,800.00", "逾期费用：CN¥300.00", "现应付总额：CN¥9,100.00"]),
])
def test_firm_and_final_show_the_fee_in_each_language_upcoming_and_gentle_never(tmp_path, lang, client, currency,
                                                                               amount, want):
    from sheet_sync.compose import Due

    config = write_config(tmp_path, tmp_path / "book.xlsx", """
[reminders]
late_fee = { type = "fixed", amount = { USD = 40, KRW = 50000, CNY = 300 } }
""")
    due = MONDAY - timedelta(days=25)
    book = memory_book(config, [invoice("X-1", client, due=due, currency=currency, amount=amount)])
    inv_ = book.invoices[0]
    for stage in ("upcoming", "gentle", "firm", "final"):
        out = compose_for_client([Due(inv_, stage, inv_.amount, 25)], book.clients[client], config, MONDAY)
        text = out.message.get_body(("plain",)).get_content()
        html = out.message.get_body(("html",)).get_content()
        if stage in ("firm", "final"):
            assert all(w in text for w in want), (stage, text)
            assert all(w.split(":")[-1].split("：")[-1].strip() in html for w in want)
        else:
            assert fee_lines(text) == [] and want[1].split()[-1] not in html


def test_a_message_about_several_lists_each_fee_and_the_total_now_due_per_currency(tmp_path):
    from sheet_sync.compose import Due

    config = write_config(tmp_path, tmp_path / "book.xlsx", FEE_CONFIG)
    book = memory_book(config, [invoice("A-1", due=MONDAY - timedelta(days=30), currency="EUR", amount=1000),
                                invoice("A-2", due=MONDAY - timedelta(days=9), currency="EUR", amount="200.00"),
                                invoice("A-3", due=MONDAY - timedelta(days=2), currency="EUR", amount="300.00")])
    a1, a2, a3 = book.invoices
    items = [Due(a1, "final", a1.amount, 30), Due(a2, "firm", a2.amount, 9), Due(a3, "gentle", a3.amount, 2)]
    out = compose_for_client(items, book.clients["C1"], config, MONDAY)
    text = out.message.get_body(("plain",)).get_content()
    assert "- A-1: balance €1,000.00 + late fee €40.00 = €1,040.00" in text
    assert "- A-2: balance €200.00 + late fee €40.00 = €240.00" in text
    assert "A-3: balance" not in text  # still at the gentle stage: no fee shown for it
    assert "Total now due, with the late fees: €1,580.00" in text  # 1500 open + two fees
    assert len(fee_lines(text)) == 2  # one line for each of the two invoices: no fee twice


# ---- the invoice PDF ------------------------------------------------------------------------------------

@needs.pdf_tools
def test_the_pdf_shows_the_fee_below_the_totals_when_one_applies(tmp_path):
    import subprocess

    wb = simple_book(tmp_path / "book.xlsx", [
        invoice("E-1", due=MONDAY - timedelta(days=45), currency="EUR", amount=2000, paid=500),
        invoice("K-1", "C2", due=MONDAY + timedelta(days=5), currency="KRW", amount=800000)])
    config = write_config(tmp_path, wb, """
[aging]
default_currency = "EUR"
[reminders]
late_fee = [{ type = "fixed", amount = { EUR = 40 } }, { type = "annual_rate", amount = 12.5 }]
""")

    def text_of(no: str) -> str:
        data = api.invoice_pdf(config, no, as_of=MONDAY).data
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
        return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))

    text = text_of("E-1")
    # 40 + 1500 x 12.5% x 45/365 = 40 + 23.12
    assert "Balance due €1,500.00" in text
    assert "Late payment fee €63.12 as of November 23, 2026" in text  # the date under the label
    assert "Total now due €1,563.12" in text
    assert "연체료" not in text_of("K-1")  # not overdue: no fee line


# ---- a Google Sheet: the same column through the same layout ------------------------------------------------

def test_the_late_fee_column_on_a_google_sheet(tmp_path, emulator, no_google_credentials):
    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, sheet_config

    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS,
                                    invoice("E-1", due=MONDAY - timedelta(days=10), currency="EUR", amount=1000),
                                    invoice("K-1", "C2", due=MONDAY - timedelta(days=10), currency="KRW", amount=800000),
                                    invoice("N-1", due=MONDAY + timedelta(days=10), currency="EUR", amount=1000)])
    config = sheet_config(tmp_path, emulator, FEE_CONFIG)
    for n in range(3):  # three runs: the same fee each time
        api.sync(config, as_of=MONDAY + timedelta(days=n))
        values = emulator.values("Invoices")
        headers = values[0]
        assert headers[-1] == "Late Fee" and headers.count("Late Fee") == 1
        col = headers.index("Late Fee")
        got = {r[0]: (r[col] if col < len(r) else None) for r in values[1:]}
        assert got["E-1"] == 40 and got["K-1"] == 50000 and got["N-1"] in (None, "")
    formats = emulator.sheet("Invoices").formats
    assert formats.get((2, col + 1)) == "#,##0.00" and formats.get((3, col + 1)) == "#,##0"


def test_a_ready_invoice_has_no_fee_before_it_is_sent_then_counts_from_the_later_of_due_and_sent():
    late = inv("Ready")  # due 40 days before MONDAY
    rules = [fixed(7, USD="40"), annual(10)]
    assert invoice_fee(rules, late, CLIENT, MONDAY) == 0  # not sent yet: its PDF with the invoice shows no fee
    sent = MONDAY - timedelta(days=10)
    assert invoice_fee(rules, late, CLIENT, MONDAY, sent) == D("40.00") + D("2.74")  # 10 days: 1000 x 10% x 10/365
    assert invoice_fee(rules, late, CLIENT, MONDAY, MONDAY - timedelta(days=5)) == D("1.37")  # before after_days
    on_time = inv("Ready", due=MONDAY - timedelta(days=10))
    assert invoice_fee(rules, on_time, CLIENT, MONDAY, MONDAY - timedelta(days=40)) == D("40.00") + D("2.74")


def test_the_pdf_of_a_ready_invoice_counts_its_fee_from_the_day_it_was_sent(tmp_path):
    from sheet_sync.invoice_doc import invoice_context

    config = write_config(tmp_path, tmp_path / "book.xlsx", FEE_CONFIG)
    rows = [invoice("R-1", due=MONDAY - timedelta(days=30), currency="EUR", amount=1000, status="Ready")]
    book = memory_book(config, rows)
    assert invoice_context(book, "R-1", config, MONDAY)["late_fee"] == 0  # the invoice message's own PDF
    sent = LogEntry(datetime.combine(MONDAY - timedelta(days=3), time(9), timezone.utc), "R-1", "C1", "invoice", "x",
                    "s", "<r1@example.com>", "outbox", SendState.SENT)
    assert invoice_context(replace(book, log=(sent,)), "R-1", config, MONDAY)["late_fee"] == 0  # 3 days: under 7
    assert invoice_context(replace(book, log=(sent,)), "R-1", config, MONDAY + timedelta(days=4))["late_fee"] == D(40)


def test_the_template_check_renders_the_fee_lines_when_the_owner_charges_a_fee(tmp_path):
    from sheet_sync.invoice_doc import check_invoice_template
    from sheet_sync.render import check_templates

    assert check_templates(late_fee=True) == [] and check_invoice_template(late_fee=True) == []
    # an owner's firm notice that leaves the fee out is named, but only when a fee is charged
    own = tmp_path / "templates" / "en"
    own.mkdir(parents=True)
    shipped = Path(__file__).resolve().parent.parent / "templates" / "en" / "firm.txt"
    (own / "firm.txt").write_text(shipped.read_text(encoding="utf-8").replace("{% if late_fees %}{{ p.late_fee() }}{% endif %}\n", ""),
                                  encoding="utf-8")
    assert check_templates(own.parent) == []
    found = check_templates(own.parent, late_fee=True)
    assert found and all(p.startswith("The template en/firm.txt does not show the late fee of") for p in found)


def test_an_owners_own_parts_without_the_fee_macro_still_render_the_shipped_notices_when_no_fee_is_charged(tmp_path):
    """An owner who overrode _parts.txt before the fee existed: the shipped firm and final notices still render
    (they call the fee macro only when there is a fee), and the check says nothing."""
    from sheet_sync.render import check_templates

    own = tmp_path / "templates" / "en"
    own.mkdir(parents=True)
    shipped = (Path(__file__).resolve().parent.parent / "templates" / "en" / "_parts.txt").read_text(encoding="utf-8")
    start = shipped.index("{% macro late_fee() %}")
    end = shipped.index("{% endmacro %}", start) + len("{% endmacro %}")
    (own / "_parts.txt").write_text(shipped[:start] + shipped[end:], encoding="utf-8")
    assert check_templates(own.parent) == []
    assert check_templates(own.parent, late_fee=True)  # with a fee, the missing macro is named

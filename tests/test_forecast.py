"""`sheet-sync forecast`: the messages the daily runs will send if nothing is paid, and the cash per week.

The forecast is checked against the real thing: the demo workbook (an .xlsx) synced day after day with the
outbox transport, collecting what each run actually sent.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sheet_sync import api, cli, demo
from sheet_sync.config import load_config
from sheet_sync.demo_data import build_demo_workbook
from sheet_sync.errors import SheetSyncError
from sheet_sync.forecast import LATER, OVERDUE, forecast, to_text
from sheet_sync.model import LOG_COLUMNS
from workbooks import (CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, memory_book, sheet_config, simple_book,
                       write_config)

DEMO_DAY = date(2026, 11, 30)  # a Monday


def _demo(folder: Path, today: date, config_text: str = demo.DEMO_CONFIG):
    """The demo's workbook and Reminder Log history (as `sheet-sync demo` makes them, before its own sync) under
    `config_text`; no invoice PDFs (they change no date, and take time)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sheet-sync.toml"
    path.write_text(config_text.replace("[reminders]\n", "[reminders]\nattach_invoice = []\n", 1), encoding="utf-8")
    config = load_config(path)
    build_demo_workbook(config.workbook.path, today)
    demo.add_history(config, today)
    return config


def _daily_syncs(config, start: date, days: int):
    """Run the real sync once a day from `start`: (day, invoice, stage) of each sent message part, the
    messages per day (as sets of invoices), and each day's Needs Attention invoices."""
    sent, messages, attention = [], defaultdict(set), {}
    for i in range(days):
        day = start + timedelta(days=i)
        result = api.sync(config, as_of=day)
        assert not result.failed
        by_message = defaultdict(set)
        for m in result.sent:  # not those over the daily cap: they are left for the next run
            sent.append((day, m.invoice_no, m.stage))
            by_message[m.message_id].add(m.invoice_no)
        messages[day] = {frozenset(v) for v in by_message.values()}
        attention[day] = set(result.needs_attention)
    return sent, messages, attention


def _compare(fc, sent, messages, attention):
    assert sorted(fc.sends()) == sorted(sent)
    for d in fc.days:
        assert {frozenset(m.invoices) for m in d.messages} == messages.get(d.day, set()), d.day
    flagged: set[str] = set()
    for d in fc.days:  # nothing is paid: an invoice that turns Needs Attention stays so
        flagged |= set(d.attention)
        assert flagged == attention[d.day], d.day


def test_forecast_matches_fifty_daily_syncs_of_the_demo(tmp_path):
    config = _demo(tmp_path / "demo", DEMO_DAY)
    fc = api.forecast(config, days=50, as_of=DEMO_DAY)
    assert len(fc.days) == 50 and fc.end == DEMO_DAY + timedelta(days=49)

    sent, messages, attention = _daily_syncs(config, DEMO_DAY, 50)
    _compare(fc, sent, messages, attention)
    # a month of the demo exercises every stage, grouped messages and Needs Attention
    assert {s for _, _, s in sent} == {"upcoming", "gentle", "firm", "final"}
    assert any(len(m.invoices) > 1 for d in fc.days for m in d.messages)
    assert any(d.attention for d in fc.days[1:])
    outbox = list(config.mail.outbox_dir.glob("*.eml"))
    assert len(outbox) == sum(len(d.messages) for d in fc.days)


def test_forecast_over_weekends_holidays_a_ready_invoice_and_a_recurring_one(tmp_path):
    """Mon-Fri with US public holidays (Christmas and New Year's Day on Fridays), a `Ready` invoice and a
    Recurring row: the forecast still matches the real daily runs exactly."""
    start = date(2026, 12, 14)
    text = demo.DEMO_CONFIG.replace('send_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
                                    'send_days = ["mon", "tue", "wed", "thu", "fri"]\nholidays = "US"')
    assert 'holidays = "US"' in text
    config = _demo(tmp_path / "weekdays", start, text)
    wb = openpyxl.load_workbook(config.workbook.path)
    ws = wb["Invoices"]
    heads = [c.value for c in ws[1]]
    status, due = heads.index("Status") + 1, heads.index("Due Date") + 1
    ready = next(r for r in range(2, ws.max_row + 1) if isinstance(ws.cell(r, due).value, datetime)
                 and ws.cell(r, due).value.date() - start == timedelta(days=12) and not ws.cell(r, status).value)
    ws.cell(ready, status).value = "Ready"
    ready_no = ws.cell(ready, 1).value
    rec = wb.create_sheet("Recurring")
    rec.append(["Client ID", "Description", "Amount", "Currency", "Every", "Next Date", "End Date", "Send"])
    rec.append(["C-005", "Proofreading", 900, "USD", "2 weeks", date(2026, 12, 19), None, ""])  # due on receipt
    wb.save(config.workbook.path)

    fc = api.forecast(config, days=30, as_of=start)
    sent, messages, attention = _daily_syncs(config, start, 30)
    _compare(fc, sent, messages, attention)

    days = {d.day: d for d in fc.days}
    for day in (date(2026, 12, 25), date(2027, 1, 1)):
        assert days[day].holiday and not days[day].sending_day and not days[day].messages
        assert days[day].why_nothing == "public holiday: nothing is sent"
    weekend = [d for d in fc.days if d.day.weekday() >= 5]
    assert len(weekend) == 8 and all(not d.messages and not d.holiday for d in weekend)
    assert all(d.why_nothing == "not a sending day" for d in weekend)
    assert (start, ready_no, "invoice") in fc.sends()
    added = [no for d in fc.days for no in d.added]
    assert len(added) == 2 and days[date(2026, 12, 19)].added == (added[0],)  # a Saturday: added, not sent
    assert [s for _, no, s in fc.sends() if no == added[0]][:1] == ["gentle"]  # on Monday, 2 days after issue


def test_a_client_with_two_invoices_gets_one_message_and_no_thanks_the_same_morning(tmp_path):
    as_of = date(2027, 3, 10)  # a Wednesday
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    log = [list(LOG_COLUMNS),
           [datetime(2027, 2, 20, 9), "P-1", "C1", "gentle", "ap@acme.example.com", "s", "<m1@x>", "outbox", "sent", ""]]
    book = memory_book(config, [
        invoice("A-1", "C1", due=as_of - timedelta(days=2)),  # gentle today
        invoice("A-2", "C1", due=as_of + timedelta(days=3)),  # upcoming today
        invoice("P-1", "C1", due=as_of - timedelta(days=30), status="Paid", paid=1000),  # a thank-you is due
        invoice("B-1", "C2", due=as_of + timedelta(days=3), currency="KRW", amount=1200000),
    ], extra={"Reminder Log": log})
    fc = forecast(book, config, as_of, 3)
    first = fc.days[0]
    assert [(m.client_id, m.invoices, m.stages, m.stage) for m in first.messages] == [
        ("C1", ("A-1", "A-2"), ("gentle", "upcoming"), "gentle"),
        ("C2", ("B-1",), ("upcoming",), "upcoming"),
    ]
    # the thank-you waits for a morning with no reminder for that client: the next day
    assert [(m.client_id, m.invoices, m.stage) for m in fc.days[1].messages] == [("C1", ("P-1",), "thanks")]
    text = to_text(fc).splitlines()
    assert any(line.startswith("2027-03-10  Wed  Acme Ltd (C1)") and line.endswith("  gentle    A-1 (gentle), A-2 (upcoming)")
               for line in text)
    assert any(line.startswith("2027-03-11  Thu  Acme Ltd (C1)") and line.endswith("  thanks    P-1") for line in text)
    assert any(line.startswith("2027-03-12  Fri  - nothing due") for line in text)


def test_cash_per_iso_week_and_currency(tmp_path):
    as_of = date(2027, 3, 10)  # a Wednesday: its week starts on Monday 2027-03-08
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [
        invoice("U-1", "C1", due=as_of - timedelta(days=5), amount="100.10"),  # overdue
        invoice("U-2", "C1", due=as_of, amount="200.20", paid="50.05"),  # due today: this week, the balance
        invoice("U-3", "C1", due=date(2027, 3, 14), amount="300.30"),  # Sunday: still this week
        invoice("U-4", "C1", due=date(2027, 3, 15), amount="400.40"),  # Monday: the next week
        invoice("U-5", "C1", due=date(2027, 5, 1), amount="7.77"),  # after the span
        invoice("U-6", "C1", due=date(2027, 3, 16), amount="999", status="Paid", paid=999),  # closed: not expected
        invoice("K-1", "C2", due=date(2027, 3, 9), currency="KRW", amount=1200000),
        invoice("K-2", "C2", due=date(2027, 3, 16), currency="KRW", amount=800000),
    ])
    fc = forecast(book, config, as_of, 14)
    cash = {(c.currency, c.when): (c.amount, c.invoices) for c in fc.cash}
    assert cash[("USD", OVERDUE)] == (Decimal("100.10"), 1)
    assert cash[("USD", "2027-03-08")] == (Decimal("450.45"), 2)
    assert cash[("USD", "2027-03-15")] == (Decimal("400.40"), 1)
    assert cash[("USD", "2027-03-22")] == (Decimal("0.00"), 0)
    assert cash[("USD", LATER)] == (Decimal("7.77"), 1)
    assert cash[("KRW", OVERDUE)] == (Decimal("1200000"), 1)
    assert cash[("KRW", "2027-03-15")] == (Decimal("800000"), 1)
    weeks = [c.week for c in fc.cash if c.currency == "USD" and c.week]
    assert weeks == [date(2027, 3, 8), date(2027, 3, 15), date(2027, 3, 22)] and all(w.weekday() == 0 for w in weeks)
    assert {c.currency for c in fc.cash} == {"USD", "KRW"}  # each currency apart, never a total across them
    # one day's forecast still shows its whole week, to Sunday; the rest is later
    short = {(c.currency, c.when): c.amount for c in forecast(book, config, as_of, 1).cash}
    assert short == {("USD", OVERDUE): Decimal("100.10"), ("USD", "2027-03-08"): Decimal("450.45"),
                     ("USD", LATER): Decimal("408.17"), ("KRW", OVERDUE): Decimal("1200000"),
                     ("KRW", "2027-03-08"): Decimal("0"), ("KRW", LATER): Decimal("800000")}
    text = to_text(fc)
    assert "overdue now" in text and "$450.45" in text and "₩800,000" in text


def test_forecast_cli_json_and_text_write_nothing(tmp_path, capsys):
    config = _demo(tmp_path / "demo", DEMO_DAY)
    workbook = config.workbook.path
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    files_before = sorted(p.name for p in workbook.parent.iterdir())
    args = ["forecast", "--config", str(tmp_path / "demo" / "sheet-sync.toml"), "--as-of", DEMO_DAY.isoformat()]

    assert cli.main([*args, "--days", "10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-11-30" and data["until"] == "2026-12-09" and len(data["days"]) == 10
    assert [d["date"] for d in data["days"]] == [(DEMO_DAY + timedelta(days=i)).isoformat() for i in range(10)]
    first = data["days"][0]["messages"][0]
    assert first["stage"] in ("upcoming", "gentle", "firm", "final") and first["invoices"][0]["invoice_no"]
    usd = next(c for c in data["cash"] if c["currency"] == "USD" and c["when"] == "overdue now")
    assert isinstance(usd["amount"], str) and Decimal(usd["amount"]) > 0
    assert data["messages"] == sum(len(d["messages"]) for d in data["days"]) > 0

    assert cli.main(args) == 0  # the default: 30 days
    out = capsys.readouterr().out
    assert "to 2026-12-29 (30 days)" in out and "date        day  client" in out
    line = next(x for x in out.splitlines() if x.startswith("2026-11-30  Mon  "))
    m = api.forecast(config, 1, DEMO_DAY).days[0].messages[0]
    assert f"  {m.stage}  " in line and f"{m.client} ({m.client_id})" in line
    assert all(no in line for no in m.invoices)

    # nothing written, sent or journalled
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in workbook.parent.iterdir()) == files_before


def test_forecast_days_out_of_range_is_one_sentence(tmp_path, capsys):
    config = _demo(tmp_path / "demo", DEMO_DAY)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["forecast", "--config", str(tmp_path / "demo" / "sheet-sync.toml"), "--days", "0"])
    assert exit_.value.code == 2
    assert "'0' is not a number of days from 1 to 366" in capsys.readouterr().err
    with pytest.raises(SheetSyncError, match="--days 400 is out of range"):
        api.forecast(config, days=400)


def test_forecast_of_a_google_sheet_reads_only_and_matches_its_daily_syncs(tmp_path, emulator, no_google_credentials):
    """On a Google Sheet (the emulator on 127.0.0.1): the forecast makes read requests only, and twelve daily
    syncs over Thanksgiving (a Thursday) and a weekend send exactly what it said."""
    start = date(2026, 11, 23)  # a Monday
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS,
                                    invoice("G-1", "C1", due=start - timedelta(days=1)),
                                    invoice("G-2", "C1", due=start + timedelta(days=5)),
                                    invoice("G-3", "C2", due=start + timedelta(days=2), currency="KRW", amount=800000),
                                    invoice("G-4", "C3", due=start - timedelta(days=20), currency="CNY", amount=4500)])
    config = sheet_config(tmp_path, emulator, '[reminders]\nholidays = "US"\n')
    fc = api.forecast(config, days=12, as_of=start)
    assert {method for method, _ in emulator.requests} == {"GET"}
    assert not fc.days[3].sending_day and fc.days[3].holiday  # Thanksgiving
    assert any(len(m.invoices) == 2 for d in fc.days for m in d.messages)
    sent, messages, attention = _daily_syncs(config, start, 12)
    _compare(fc, sent, messages, attention)
    assert len(sent) >= 6


def test_messages_over_the_daily_cap_wait_for_the_next_day_as_the_real_runs_leave_them(tmp_path):
    start = date(2026, 11, 23)  # a Monday
    rows = [invoice("A-1", "C1", due=start - timedelta(days=2)), invoice("B-1", "C2", due=start - timedelta(days=2)),
            invoice("C-1", "C3", due=start - timedelta(days=2))]
    config = write_config(tmp_path, simple_book(tmp_path / "book.xlsx", rows), "[mail]\ntransport = \"outbox\"\n"
                          "from = \"billing@studio.example.com\"\noutbox_dir = \"outbox\"\ndaily_cap = 2\n")
    fc = api.forecast(config, days=4, as_of=start)
    assert [[m.invoices for m in d.messages] for d in fc.days[:2]] == [[("A-1",), ("B-1",)], [("C-1",)]]
    assert [m.invoices for m in fc.days[0].left_over] == [("C-1",)]
    assert "+ 1 more message over the daily cap (mail.daily_cap), left for the next day" in to_text(fc)
    sent, messages, attention = _daily_syncs(config, start, 4)
    _compare(fc, sent, messages, attention)


def test_with_approval_on_the_forecast_says_messages_go_once_approved(tmp_path, capsys):
    config = _demo(tmp_path / "demo", DEMO_DAY, demo.DEMO_CONFIG.replace("[reminders]\n", "[reminders]\napproval = true\n", 1))
    assert config.reminders.approval
    args = ["forecast", "--config", str(tmp_path / "demo" / "sheet-sync.toml"), "--as-of", DEMO_DAY.isoformat(), "--days", "3"]
    assert cli.main(args) == 0
    assert "With approval on (reminders.approval)" in capsys.readouterr().out
    assert cli.main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["approval"] is True
    off = _demo(tmp_path / "off", DEMO_DAY)
    assert api.forecast(off, 3, DEMO_DAY).to_dict()["approval"] is False

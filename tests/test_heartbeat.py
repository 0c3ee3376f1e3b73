"""The heartbeat: every run that writes puts `Last run` under the Aging Summary's as-of date (a real .xlsx and
the Sheets emulator), and `sheet-sync doctor` reads it back and warns when runs stopped."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl

from sheet_sync import api
from sheet_sync.doctor import run_checks
from sheet_sync.heartbeat import staleness, what_it_did
from sheet_sync.policy import Calendar
from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, sheet_config, simple_book, write_config

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS = Calendar("1111100")


def test_what_the_run_did_in_words():
    assert what_it_did(3, 0, 1, True, "Monday") == "3 reminders sent, 1 problem, 0 failed"
    assert what_it_did(1, 2, 0, True, "Monday") == "1 reminder sent, 0 problems, 2 failed"
    assert what_it_did(0, 0, 2, False, "Saturday") == "no reminders (Saturday is not a sending day), 2 problems, 0 failed"
    assert what_it_did(0, 0, 0, True, "Monday", waiting=17) == "0 reminders sent, 17 waiting for approval, 0 problems, 0 failed"


def test_stale_after_two_sending_days_without_a_run():
    thursday = datetime(2026, 11, 26, 8, 0, tzinfo=SEOUL)
    at = lambda day: datetime.combine(day, time(7, 0), SEOUL)
    assert staleness(thursday, at(date(2026, 11, 27)), WEEKDAYS) == ""  # Friday, before its run
    assert staleness(thursday, at(date(2026, 11, 30)), WEEKDAYS) == ""  # Monday: only Friday went by
    assert staleness(thursday, at(date(2026, 12, 1)), WEEKDAYS) == \
        "no run on the 2 sending days since Thursday 2026-11-26"
    # a public holiday on Friday is no sending day: Tuesday has missed only Monday
    assert staleness(thursday, at(date(2026, 12, 1)), Calendar("1111100", (date(2026, 11, 27),))) == ""
    assert staleness(None, at(date(2026, 12, 1)), WEEKDAYS) == "the Aging Summary shows no run yet"
    # a run late in the evening in UTC is the next morning in Seoul: the days count in the config's zone
    utc_evening = datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo("UTC"))  # Thursday 08:30 in Seoul
    assert staleness(utc_evening, at(date(2026, 11, 30)), WEEKDAYS) == ""


def rows_of(path, sheet="Aging Summary"):
    return [list(r) for r in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


def test_every_run_that_writes_leaves_its_heartbeat_in_the_xlsx_and_doctor_reads_it(tmp_path):
    today = datetime.now(SEOUL).date()
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A-1", due=today - timedelta(days=30)),
                                              invoice("A-2", due=today - timedelta(days=5), amount="lots")])
    config = write_config(tmp_path, wb, '[aging]\ntimezone = "Asia/Seoul"\n[reminders]\n'
                                        'send_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n')
    cfg = tmp_path / "sheet-sync.toml"

    checks = {c.name: c for c in run_checks(cfg)}
    assert (checks["last run"].state, checks["last run"].detail) == (
        "warn", "the Aging Summary shows no run yet: no run has written the workbook")

    api.sync(config, dry_run=True)
    assert "Aging Summary" not in openpyxl.load_workbook(wb).sheetnames  # a dry run writes nothing, no heartbeat

    old = today - timedelta(days=14)
    result = api.sync(config, as_of=old)
    assert len(result.sent) == 1 and len(result.blocking_problems) == 1
    rows = rows_of(wb)
    as_of_row = next(i for i, r in enumerate(rows) if r[0] == "As of")
    last = rows[as_of_row + 1]
    assert last[0] == "Last run" and last[1].date() == old and last[2:4] == [
        "Asia/Seoul — 1 reminder sent, 1 problem, 0 failed", None]
    assert rows[as_of_row - 1] == [None] * len(rows[0])  # the table, a blank row, As of, Last run: as it was
    ws = openpyxl.load_workbook(wb)["Aging Summary"]
    assert ws.cell(as_of_row + 2, 1).font.b and ws.cell(as_of_row + 2, 2).number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws._charts[0].anchor._from.row == as_of_row + 2  # 0-based: the chart starts on the row below it

    stale = {c.name: c for c in run_checks(cfg)}["last run"]
    assert stale.state == "warn"
    assert stale.detail.startswith(f"no run on the 13 sending days since {old:%A %Y-%m-%d} (the last: {old:%Y-%m-%d} ")
    assert stale.detail.endswith(" Asia/Seoul — 1 reminder sent, 1 problem, 0 failed)")
    assert stale.fix.startswith("run sheet-sync sync, and check that the scheduled run works")

    before = datetime.now(SEOUL).replace(microsecond=0, tzinfo=None)
    api.sync(config)  # today: the gentle reminder went 14 days ago, the firm one is due
    rows = rows_of(wb)
    last = next(r for r in rows if r[0] == "Last run")
    assert before <= last[1] <= datetime.now(SEOUL).replace(tzinfo=None) + timedelta(seconds=1)
    assert last[2] == "Asia/Seoul — 1 reminder sent, 1 problem, 0 failed"
    assert [r[0] for r in rows].count("Last run") == 1
    fresh = {c.name: c for c in run_checks(cfg)}["last run"]
    assert fresh.state == "ok" and fresh.detail == f"{last[1]:%Y-%m-%d %H:%M} Asia/Seoul — 1 reminder sent, 1 problem, 0 failed"


def test_the_heartbeat_on_a_google_sheet(tmp_path, emulator):
    today = datetime.now(ZoneInfo("UTC")).date()
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, invoice("G-1", due=today - timedelta(days=3))])
    config = sheet_config(tmp_path, emulator, '[reminders]\nsend_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n')
    cfg = tmp_path / "sheet-sync.toml"
    api.sync(config, as_of=today - timedelta(days=10))
    summary = emulator.values("Aging Summary")
    last = next(r for r in summary if r and r[0] == "Last run")
    serial = float(last[1])  # a date-time serial, as the sheet holds it
    assert int(serial) == (today - timedelta(days=10) - date(1899, 12, 30)).days
    assert last[2] == "UTC — 0 reminders sent, 0 problems, 0 failed"  # not due yet ten days ago (due in 7)
    check = {c.name: c for c in run_checks(cfg)}["last run"]
    assert check.state == "warn" and check.detail.startswith("no run on the 9 sending days since ")

    api.sync(config)
    last = next(r for r in emulator.values("Aging Summary") if r and r[0] == "Last run")
    assert last[2] == "UTC — 1 reminder sent, 0 problems, 0 failed"
    assert {c.name: c for c in run_checks(cfg)}["last run"].state == "ok"

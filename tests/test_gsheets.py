"""Google Sheets through the real gspread client, against the Sheets API v4 emulator on 127.0.0.1."""
from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheet_sync import api
from sheet_sync.cli import main
from sheet_sync.errors import SheetSyncError
from sheets_emulator import EPOCH, Emulator, Quota, service_account_key, serial
from smtp_server import PASSWORD as SMTP_PASSWORD, mail_toml
from workbooks import (
    CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, many_invoices, sheet_config, simple_book,
    write_config,
)

AS_OF = date(2026, 11, 23)  # Monday
# one message per invoice (not per client): for the tests of send windows and locks, which count messages
PER_INVOICE = "\n[reminders]\none_email_per_client = false\n"
TOOL = ["Balance", "Days Overdue", "Aging Bucket", "Sync Status", "Last Reminder", "Next Reminder", "Sync Notes"]


pytestmark = pytest.mark.usefixtures("no_google_credentials")


def google_book(emulator: Emulator, invoices, clients=None) -> None:
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *(clients if clients is not None else DEFAULT_CLIENTS)])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, *invoices])


def records(rows: list[list[Any]]) -> dict[str, dict]:
    headers = rows[0]
    out = {}
    for row in rows[1:]:
        rec = dict(zip(headers, list(row) + [None] * (len(headers) - len(row))))
        out[rec["Invoice No"] or f"row{len(out)}"] = rec
    return out


def norm(v: Any) -> Any:
    """One form for a cell read from either backend: numbers exact, dates as serials, blanks None."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        v = v.date()
    if isinstance(v, date):
        return (v - EPOCH).days
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, Decimal)):
        return Decimal(str(v))
    return v


def grid(rows) -> list[list[Any]]:
    out = [[norm(v) for v in row] for row in rows]
    for row in out:
        while row and row[-1] is None:
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def excel_grid(path: Path, sheet: str) -> list[list[Any]]:
    return grid(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def last_run_day(rows: list[list[Any]]) -> list[list[Any]]:
    """The Aging Summary's `Last run` time (the clock's, to the second) as its day: serial or date-time alike."""
    return [[row[0], int(row[1]) if isinstance(row[1], (int, float, Decimal)) else row[1], *row[2:]]
            if row and row[0] == "Last run" else row for row in rows]


PARITY_INVOICES = [
    invoice("P-1", due=AS_OF - timedelta(days=2)),
    invoice("P-2", "C2", due=AS_OF - timedelta(days=50), currency="KRW", amount=1200000, paid=200000),
    invoice("P-3", due=AS_OF - timedelta(days=5), amount="abc"),
    invoice("P-4", "C3", due=AS_OF + timedelta(days=3), currency="CNY", amount="8,000.50"),
    invoice("P-5", due=AS_OF - timedelta(days=31), amount=700, paid=700, paid_date=AS_OF - timedelta(days=3)),
    invoice("P-6", due=AS_OF - timedelta(days=91), status="Disputed"),
    invoice("P-7", due=AS_OF - timedelta(days=61), hold=AS_OF + timedelta(days=10)),
    invoice("P-8", "C404", due=AS_OF - timedelta(days=1)),
    invoice("P-9", due=None, issue=AS_OF - timedelta(days=45), po="PO-77"),
    invoice("P-10", "C2", due=AS_OF - timedelta(days=30), currency="KRW", amount="₩350,000"),
    ["", "C1", AS_OF, AS_OF, "USD", 10, None, None, "", None, "", "", ""],
]


def test_same_results_as_the_excel_backend(tmp_path, emulator):
    """A parity test: one book, two backends, two days of runs, the same sheets and the same messages."""
    xdir, gdir = tmp_path / "excel", tmp_path / "google"
    xdir.mkdir(), gdir.mkdir()
    wb = simple_book(xdir / "book.xlsx", PARITY_INVOICES)
    xconfig = write_config(xdir, wb)
    google_book(emulator, PARITY_INVOICES)
    gconfig = sheet_config(gdir, emulator)

    for day in (AS_OF, AS_OF + timedelta(days=3), AS_OF + timedelta(days=8)):
        x = api.sync(xconfig, as_of=day)
        g = api.sync(gconfig, as_of=day)
        assert [(m.invoice_no, m.stage, m.to, m.subject, m.state) for m in g.messages] == \
               [(m.invoice_no, m.stage, m.to, m.subject, m.state) for m in x.messages], day
        assert g.exit_code == x.exit_code == 1
        for sheet in ("Invoices", "Aging", "Aging Summary"):
            assert last_run_day(grid(emulator.values(sheet))) == last_run_day(excel_grid(wb, sheet)), (day, sheet)
        glog = [row[1:] for row in grid(emulator.values("Reminder Log"))]  # Logged At is the clock's
        xlog = [row[1:] for row in excel_grid(wb, "Reminder Log")]
        assert glog == xlog, day
        assert sorted(p.name for p in (gdir / "outbox").glob("*.eml")) == sorted(p.name for p in (xdir / "outbox").glob("*.eml"))
    assert len(x.messages) > 0  # the last day sent something too: the logs were read back on both

    # money shown in each row's currency, as in Excel: ₩ and ¥ without decimals, $ with two
    book = openpyxl.load_workbook(wb)
    for sheet, column in (("Invoices", "Balance"), ("Aging", "Balance"), ("Aging Summary", "Total Open")):
        ws = book[sheet]
        col = [c.value for c in ws[1]].index(column) + 1
        for r in range(2, ws.max_row + 1):
            if isinstance(ws.cell(r, col).value, (int, float)):
                assert emulator.sheet(sheet).formats.get((r, col)) == ws.cell(r, col).number_format, (sheet, r)
    krw_row = next(r for r, row in enumerate(emulator.values("Invoices"), start=1) if row[0] == "P-2")
    balance_col = emulator.values("Invoices")[0].index("Balance") + 1
    assert emulator.sheet("Invoices").formats[(krw_row, balance_col)] == "#,##0"


def test_a_sync_reads_and_writes_in_at_most_six_requests(tmp_path, emulator):
    google_book(emulator, [invoice("R-1", due=AS_OF - timedelta(days=2)), invoice("R-2", due=AS_OF + timedelta(days=40))])
    config = sheet_config(tmp_path, emulator)
    first = api.sync(config, as_of=AS_OF)
    assert [(m.invoice_no, m.state) for m in first.messages] == [("R-1", "sent")]
    kinds = [(method, path.rsplit("/", 1)[-1]) for method, path in emulator.requests]
    assert kinds == [("GET", "test-sheet-key"), ("GET", "values:batchGet"), ("POST", "test-sheet-key:batchUpdate"),
                     ("GET", "values:batchGet"), ("POST", "test-sheet-key:batchUpdate"), ("POST", "values:batchUpdate")]
    emulator.requests.clear()
    again = api.sync(config, as_of=AS_OF)
    assert again.messages == ()
    # nothing to record as pending; the one value that changed is the Aging Summary's `Last run` time (the heartbeat)
    kinds = [(method, path.rsplit("/", 1)[-1]) for method, path in emulator.requests]
    assert kinds == [("GET", "test-sheet-key"), ("GET", "values:batchGet"), ("GET", "values:batchGet"),
                     ("POST", "test-sheet-key:batchUpdate"), ("POST", "values:batchUpdate")]
    summary = emulator.values("Aging Summary")
    assert [row[0] for row in summary if row and row[0] in ("As of", "Last run")] == ["As of", "Last run"]
    assert len(emulator.values("Reminder Log")) == 2  # header and one row: nothing doubled


@pytest.mark.parametrize("n", [10, 1_000])  # 50,000: bench/gsheets_requests.py
def test_request_count_does_not_grow_with_the_rows(tmp_path, emulator, n):
    clients, rows = many_invoices(n, AS_OF)
    google_book(emulator, rows, clients)
    config = sheet_config(tmp_path, emulator)
    result = api.sync(config, as_of=AS_OF)
    assert len(result.sent) == (n + 249) // 250
    assert len(emulator.requests) <= 6, emulator.requests
    values = records(emulator.values("Invoices"))
    assert len(values) == n
    last = values[f"INV-{n - 1:05d}"]
    assert last["Sync Status"] in ("Current", "Paid") and last["Balance"] is not None
    assert values["INV-00000"]["Last Reminder"] == "2026-11-23 gentle"


def test_a_sort_and_an_insert_between_read_and_write_land_every_status_on_its_invoice(tmp_path, emulator):
    rows = [invoice(f"S-{n}", due=AS_OF - timedelta(days=n * 10)) for n in range(1, 8)]
    google_book(emulator, rows)
    config = sheet_config(tmp_path, emulator)
    sheet = emulator.sheet("Invoices")

    def owner_edits(method: str, path: str) -> None:
        if method == "GET" and path.endswith("values:batchGet") and len(emulator.requests) > 2:  # the re-read
            data = [[sheet.cells.get((r, c)) for c in range(1, len(INVOICE_HEADERS) + 1)] for r in range(2, 9)]
            data.sort(key=lambda row: row[0], reverse=True)  # the owner sorts Z→A
            data.insert(3, ["NEW-1", "C1", serial(AS_OF), serial(AS_OF), "USD", 5])  # and inserts a row
            for key in [k for k in sheet.cells if k[0] >= 2]:
                del sheet.cells[key]
            sheet.set_rows(data, top=2)

    emulator.before_request = owner_edits
    api.sync(config, as_of=AS_OF)
    got = records(emulator.values("Invoices"))
    for n in range(1, 8):
        assert got[f"S-{n}"]["Days Overdue"] == n * 10, n
        assert got[f"S-{n}"]["Invoice No"] == f"S-{n}"
    assert got["NEW-1"]["Sync Status"] is None  # not in the read: left for the next run
    emulator.before_request = None
    api.sync(config, as_of=AS_OF)
    assert records(emulator.values("Invoices"))["NEW-1"]["Sync Status"] == "Due Soon"


def reread_hook(emulator: Emulator, edit):
    """Call `edit(sheet)` once, just before the re-read that precedes the writes."""
    def hook(method: str, path: str) -> None:
        if method == "GET" and path.endswith("values:batchGet") and len(emulator.requests) > 2:
            emulator.before_request = None
            edit(emulator.sheet("Invoices"))
    return hook


def shift_right(sheet, from_col: int, header: str) -> None:
    """The owner inserts a column at `from_col` (1-based)."""
    moved = {(r, c + 1 if c >= from_col else c): v for (r, c), v in sheet.cells.items()}
    sheet.cells = moved
    sheet.cols += 1
    sheet.cells[(1, from_col)] = header


def test_a_column_inserted_before_invoice_no_between_read_and_write(tmp_path, emulator):
    rows = [invoice(f"S-{n}", due=AS_OF - timedelta(days=n * 10)) for n in range(1, 4)]
    google_book(emulator, rows)
    config = sheet_config(tmp_path, emulator)
    api.sync(config, as_of=AS_OF)  # the tool columns exist now
    emulator.before_request = reread_hook(emulator, lambda sheet: shift_right(sheet, 1, "Owner Flag"))
    emulator.requests.clear()
    api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert len(emulator.requests) == 6  # one more read for the moved column, no pending rows to record
    got = records(emulator.values("Invoices"))
    assert list(got["S-1"])[0] == "Owner Flag"
    for n in range(1, 4):
        assert got[f"S-{n}"]["Days Overdue"] == n * 10 + 1, n
    headers = emulator.values("Invoices")[0]
    assert headers.count("Balance") == 1 and headers.count("Sync Status") == 1  # no second set of tool columns


def test_an_invoice_no_column_renamed_mid_run_leaves_invoices_alone_but_logs_the_sends(tmp_path, emulator):
    google_book(emulator, [invoice("G-1", due=AS_OF - timedelta(days=2))])
    config = sheet_config(tmp_path, emulator)

    def rename(sheet):
        sheet.cells[(1, 1)] = "Number"

    emulator.before_request = reread_hook(emulator, rename)
    result = api.sync(config, as_of=AS_OF)
    assert [m.state for m in result.messages] == ["sent"]
    assert "Sync Status" not in emulator.values("Invoices")[0]
    assert [row[8] for row in emulator.values("Reminder Log")[1:]] == ["sent"]


def test_text_that_looks_like_a_formula_is_written_raw(tmp_path, emulator):
    clients = [["C1", "=IMPORTXML(\"http://evil.example.com\",\"//a\")", "ap@acme.example.com", "", "", "en", "Net 30", ""]]
    google_book(emulator, [invoice("F-1", due=AS_OF - timedelta(days=2), note="+1 call me")], clients)
    config = sheet_config(tmp_path, emulator)
    api.sync(config, as_of=AS_OF)
    aging = records(emulator.values("Aging"))
    assert aging["F-1"]["Client"] == "=IMPORTXML(\"http://evil.example.com\",\"//a\")"  # a string, not a formula
    assert not any(isinstance(v, dict) for s in emulator.sheets for v in s.cells.values())


def test_tool_sheets_get_a_frozen_header_a_filter_date_formats_and_a_chart(tmp_path, emulator):
    google_book(emulator, PARITY_INVOICES)
    emulator.sheet("Invoices").formats[(2, 6)] = "#,##0.00 [$USD]"  # the owner's own format
    config = sheet_config(tmp_path, emulator)
    api.sync(config, as_of=AS_OF)
    aging = emulator.sheet("Aging")
    assert aging.frozen_rows == 1 and aging.basic_filter is not None
    headers = emulator.values("Aging")[0]
    due_col = headers.index("Due Date") + 1
    assert aging.formats[(2, due_col)] == "yyyy-mm-dd"
    assert isinstance(aging.cells[(2, due_col)], int)  # a date serial, not text
    summary = emulator.sheet("Aging Summary")
    assert len(summary.charts) == 1
    assert emulator.sheet("Invoices").formats[(2, 6)] == "#,##0.00 [$USD]"
    # a second run replaces the Summary (one chart, not two) and keeps the sheet order
    order = [s.title for s in emulator.sheets]
    api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert len(emulator.sheet("Aging Summary").charts) == 1
    assert [s.title for s in emulator.sheets] == order


def test_quota_429_is_retried_honouring_retry_after(tmp_path, emulator):
    google_book(emulator, [invoice("Q-1", due=AS_OF - timedelta(days=2))])
    config = sheet_config(tmp_path, emulator)
    emulator.retry_after = "0"
    emulator.fail_next = [429, 429, 503]
    result = api.sync(config, as_of=AS_OF)
    assert [m.state for m in result.messages] == ["sent"]
    assert len(emulator.requests) == 6 + 3
    assert records(emulator.values("Invoices"))["Q-1"]["Sync Status"] == "Overdue"


def test_the_emulators_quota_counts_per_user_in_a_sliding_window():
    now = [0.0]
    quota = Quota(limit=2, window=60.0, clock=lambda: now[0])
    assert quota.admit("a") is None and quota.admit("a") is None
    now[0] = 10.0
    assert quota.admit("a") == 50.0  # until the first request leaves the window
    assert quota.admit("b") is None  # another user has a quota of their own
    now[0] = 60.0
    assert quota.admit("a") is None
    assert (quota.admitted, quota.refused) == (4, 1)


def test_a_retry_waits_what_google_asks_and_up_to_half_as_much_again_at_random():
    from sheet_sync.backends.google_client import MAX_WAIT, retry_delay

    assert retry_delay(10.0, 1, draw=lambda lo, hi: lo) == 10.0
    assert retry_delay(10.0, 1, draw=lambda lo, hi: hi) == 15.0
    assert retry_delay(0.0, 3, draw=lambda lo, hi: hi) == 0.0  # "now" stays now
    assert retry_delay(60.0, 1, draw=lambda lo, hi: hi) == MAX_WAIT
    assert [retry_delay(None, n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]  # no Retry-After: doubling
    waits = {round(retry_delay(20.0, 1), 3) for _ in range(50)}
    assert len(waits) > 40 and min(waits) >= 20.0 and max(waits) <= 30.0  # spread, so runs do not return together


def test_with_the_quota_on_a_sync_is_answered_429_and_waits_out_retry_after(tmp_path, emulator):
    google_book(emulator, [invoice("Q-1", due=AS_OF - timedelta(days=2))])
    config = sheet_config(tmp_path, emulator)
    assert emulator.quota is None  # off unless a test switches it on
    calls = iter(range(1000))
    # the quota's clock: the first five requests come at 0 s (the fifth is one too many), the rest after 1 s,
    # however fast or slow this machine is
    emulator.quota = Quota(limit=4, window=1.0, clock=lambda: 0.0 if next(calls) < 5 else 1.0)
    started = time.monotonic()
    result = api.sync(config, as_of=AS_OF)
    assert [m.state for m in result.messages] == ["sent"]
    assert (emulator.quota.admitted, emulator.quota.refused) == (6, 1)
    assert len(emulator.requests) == 7
    assert time.monotonic() - started >= 0.9  # Retry-After: 1, waited


def test_a_persistent_429_gives_up_with_a_sentence_and_sends_nothing(tmp_path, emulator, capsys):
    google_book(emulator, [invoice("Q-1", due=AS_OF - timedelta(days=2))])
    sheet_config(tmp_path, emulator)
    emulator.retry_after = "0"
    emulator.fail_next = [429] * 50
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2
    assert "kept answering 429" in err and "after 5 tries" in err and "Traceback" not in err
    assert len(emulator.requests) == 5
    assert not (tmp_path / "outbox").exists()


def test_a_write_that_fails_after_sending_leaves_pending_rows_that_are_never_resent(tmp_path, emulator):
    google_book(emulator, [invoice("K-1", due=AS_OF - timedelta(days=2))])
    config = sheet_config(tmp_path, emulator)
    emulator.retry_after = "0"

    def values_write_fails(method: str, path: str) -> None:
        if path.endswith("values:batchUpdate"):
            emulator.fail_next = [503]

    emulator.before_request = values_write_fails
    with pytest.raises(SheetSyncError, match="kept answering 503"):
        api.sync(config, as_of=AS_OF)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # it was sent, but never recorded as sent
    log = records(emulator.values("Reminder Log"))
    assert log["K-1"]["State"] == "pending"

    emulator.before_request = None
    emulator.fail_next = []
    again = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert again.messages == () and again.unconfirmed == ("K-1",)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    log = emulator.values("Reminder Log")
    assert [row[8] for row in log[1:]] == ["unconfirmed"]
    assert "unconfirmed" in records(emulator.values("Invoices"))["K-1"]["Sync Notes"]


def test_a_service_account_signs_in_with_its_key_and_an_unshared_sheet_names_its_email(tmp_path, emulator, monkeypatch,
                                                                                      capsys):
    google_book(emulator, [invoice("A-1", due=AS_OF - timedelta(days=2))])
    key = service_account_key(emulator)
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_JSON", json.dumps(key))
    sheet_config(tmp_path, emulator)
    emulator.shared_with = "someone-else@example.com"
    args = ["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "not shared with sheet-sync@books-123.iam.gserviceaccount.com" in err
    assert emulator.scopes_asked == ["https://www.googleapis.com/auth/spreadsheets"]  # that scope only

    emulator.shared_with = key["client_email"]
    assert main(args) == 0
    out = capsys.readouterr()
    assert key["private_key"].splitlines()[1] not in out.out + out.err
    assert records(emulator.values("Invoices"))["A-1"]["Sync Status"] == "Overdue"


def test_credentials_errors_are_one_sentence(tmp_path, emulator, monkeypatch, capsys):
    google_book(emulator, [invoice("A-1", due=AS_OF - timedelta(days=2))])
    sheet_config(tmp_path, emulator)
    args = ["check", "--config", str(tmp_path / "sheet-sync.toml")]

    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_JSON", '{"type": "authorized_user", "refresh_token": "s3cret-refresh"}')
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "not a service account's JSON key" in err and "s3cret-refresh" not in err

    monkeypatch.delenv("GOOGLE_SERVICE_ACCOUNT_JSON")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    assert main(args) == 2
    assert "Cannot read the Google credentials file" in capsys.readouterr().err

    old_key = service_account_key(emulator)
    service_account_key(emulator)  # the key is replaced: Google no longer accepts the old one
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_JSON", json.dumps(old_key))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Google refused the service account's key" in err and "Traceback" not in err


def test_a_wrong_key_or_url_is_a_sentence(tmp_path, emulator, capsys):
    google_book(emulator, [])
    sheet_config(tmp_path, emulator)
    emulator.key = "another-key-entirely"
    assert main(["check", "--config", str(tmp_path / "sheet-sync.toml")]) == 2
    assert "There is no Google Sheet with the key test-sheet-key" in capsys.readouterr().err


def test_the_sample_workbook_gives_the_same_results_on_both_backends(tmp_path, emulator):
    """The shipped sample (150 invoices, every bucket and status, deliberate problems), copied cell by cell
    into the emulator: three runs over a week send the same reminders and write the same sheets."""
    import shutil

    sample = Path(__file__).resolve().parent.parent / "sample_workbook.xlsx"
    xdir, gdir = tmp_path / "excel", tmp_path / "google"
    xdir.mkdir(), gdir.mkdir()
    wb = shutil.copy(sample, xdir / "book.xlsx")
    for ws in openpyxl.load_workbook(sample).worksheets:
        rows = [[v.date() if isinstance(v, datetime) else v for v in row] for row in ws.iter_rows(values_only=True)]
        emulator.add_sheet(ws.title, rows, grid_rows=len(rows) + 50, grid_cols=max(26, ws.max_column))
    xconfig, gconfig = write_config(xdir, Path(wb)), sheet_config(gdir, emulator)
    sent = 0
    for day in (AS_OF, AS_OF + timedelta(days=1), AS_OF + timedelta(days=8)):
        x, g = api.sync(xconfig, as_of=day), api.sync(gconfig, as_of=day)
        assert [(m.invoice_no, m.stage, m.subject) for m in g.messages] == [(m.invoice_no, m.stage, m.subject) for m in x.messages]
        assert g.problems == x.problems
        for sheet in ("Invoices", "Aging", "Aging Summary"):
            assert last_run_day(grid(emulator.values(sheet))) == last_run_day(excel_grid(Path(wb), sheet)), (day, sheet)
        sent += len(g.sent)
    assert sent > 50


def smtp_sheet_config(tmp_path, emulator, server, window: int):
    """The sheet config with real mail to the local SMTP server and the given send window."""
    return sheet_config(tmp_path, emulator, mail_toml(server.port) + PER_INVOICE, google=f"send_window = {window}")


def log_states(emulator) -> list[str]:
    log = emulator.values("Reminder Log")
    return [row[log[0].index("State")] for row in log[1:]]


def test_real_mail_goes_out_a_window_at_a_time_each_recorded_before_the_next(tmp_path, emulator, smtp_server,
                                                                           trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    google_book(emulator, [invoice(f"W-{n:02d}", due=AS_OF - timedelta(days=2)) for n in range(45)])
    config = smtp_sheet_config(tmp_path, emulator, smtp_server, 20)
    seen = []

    def at_each_advance(method: str, path: str) -> None:
        if method == "GET" and "/values/" in path and "Reminder Log" in path:
            seen.append((len(smtp_server.received), Counter(log_states(emulator))))

    emulator.before_request = at_each_advance
    result = api.sync(config, as_of=AS_OF)
    assert len(result.sent) == 45
    # before the second window: 20 delivered, 20 pending, 25 queued; before the third: 40, 20 sent, ...
    assert seen == [(20, Counter(pending=20, queued=25)), (40, Counter(sent=20, pending=20, queued=5))]
    assert len(emulator.requests) == 6 + 2 * 2
    assert log_states(emulator) == ["sent"] * 45


def test_when_the_log_cannot_be_updated_sending_stops_and_the_rest_go_next_run(tmp_path, emulator, smtp_server,
                                                                              trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    google_book(emulator, [invoice(f"X-{n:02d}", due=AS_OF - timedelta(days=2)) for n in range(7)])
    config = smtp_sheet_config(tmp_path, emulator, smtp_server, 3)
    emulator.retry_after = "0"

    def quota_gone(method: str, path: str) -> None:
        if method == "GET" and "/values/" in path and "Reminder Log" in path:
            emulator.fail_next = [429] * 5

    emulator.before_request = quota_gone
    result = api.sync(config, as_of=AS_OF)
    assert [m.state for m in result.messages] == ["sent"] * 3 + ["skipped"] * 4
    assert "the Reminder Log could not be updated" in result.messages[-1].detail
    from sheet_sync.cli import render_summary
    assert "4 reminders left for the next run (not sent: the Reminder Log could not be updated" in render_summary(result)
    assert len(smtp_server.received) == 3
    assert log_states(emulator) == ["sent"] * 3 + ["skipped"] * 4
    emulator.before_request = None
    again = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [m.invoice_no for m in again.sent] == [f"X-{n:02d}" for n in range(3, 7)]
    assert len({r.message["Message-ID"] for r in smtp_server.received}) == len(smtp_server.received) == 7


def test_a_sorted_reminder_log_keeps_each_outcome_on_its_own_row(tmp_path, emulator):
    google_book(emulator, [invoice("L-1", due=AS_OF - timedelta(days=2)), invoice("L-2", due=AS_OF - timedelta(days=3))])
    config = sheet_config(tmp_path, emulator)
    api.sync(config, as_of=AS_OF)  # gentle for both
    emulator.retry_after = "0"

    def values_write_fails(method: str, path: str) -> None:
        if path.endswith("values:batchUpdate"):
            emulator.fail_next = [503] * 5

    emulator.before_request = values_write_fails
    with pytest.raises(SheetSyncError):
        api.sync(config, as_of=AS_OF + timedelta(days=7))  # firm for both, left pending
    assert log_states(emulator) == ["sent", "sent", "pending", "pending"]
    emulator.fail_next = []

    log = emulator.sheet("Reminder Log")

    def owner_sorts_the_log(sheet) -> None:  # newest first
        rows = sorted(((r, {c: v for (rr, c), v in log.cells.items() if rr == r}) for r in range(2, 6)),
                      key=lambda item: item[1][1], reverse=True)
        for key in [k for k in log.cells if k[0] >= 2]:
            del log.cells[key]
        for new_r, (_, cells) in enumerate(rows, start=2):
            for c, v in cells.items():
                log.cells[(new_r, c)] = v

    emulator.requests.clear()
    emulator.before_request = reread_hook(emulator, owner_sorts_the_log)
    api.sync(config, as_of=AS_OF + timedelta(days=8))
    assert emulator.before_request is None  # the owner did sort, between the read and the write
    rows = emulator.values("Reminder Log")
    h = rows[0]
    got = sorted((r[h.index("Invoice No")], r[h.index("Stage")], r[h.index("State")]) for r in rows[1:])
    assert got == [("L-1", "firm", "unconfirmed"), ("L-1", "gentle", "sent"),
                   ("L-2", "firm", "unconfirmed"), ("L-2", "gentle", "sent")]


def test_a_second_run_on_the_same_sheet_stops_before_sending(tmp_path, emulator):
    """Google Sheets has no lock: a run that sends marks the sheet (developer metadata) in the request that
    logs its planned sends, and clears it with its final write; another run meanwhile stops before sending."""
    google_book(emulator, [invoice("M-1", due=AS_OF - timedelta(days=2)), invoice("M-2", due=AS_OF - timedelta(days=2))])
    config = sheet_config(tmp_path, emulator, PER_INVOICE)
    second: list = []

    def someone_else_runs(sheet) -> None:  # while the first run is between sending and writing
        assert [m["metadataKey"] for m in emulator.developer_metadata] == ["sheet-sync-run"]
        try:
            api.sync(config, as_of=AS_OF)
        except SheetSyncError as exc:
            second.append(str(exc))

    emulator.before_request = reread_hook(emulator, someone_else_runs)
    first = api.sync(config, as_of=AS_OF)
    assert len(first.sent) == 2
    assert len(second) == 1 and "Another sheet-sync run" in second[0] and "wait for it to finish" in second[0]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2  # the second run sent nothing
    # the first run's final write cleared its mark (the tool sheets' look it keeps for the next run stays)
    assert [m["metadataKey"] for m in emulator.developer_metadata] == ["sheet-sync-tool-sheets-look"]
    assert api.sync(config, as_of=AS_OF, dry_run=True).messages == ()  # and the sheet is free again


def test_a_mark_left_by_a_run_that_died_expires(tmp_path, emulator, capsys):
    google_book(emulator, [invoice("M-1", due=AS_OF - timedelta(days=2))])
    sheet_config(tmp_path, emulator)
    now = datetime.now().astimezone()

    def mark(minutes_ago: int) -> None:
        at = (now - timedelta(minutes=minutes_ago)).isoformat()
        emulator.developer_metadata = [{"metadataId": 77, "metadataKey": "sheet-sync-run", "location": {"spreadsheet": True},
                                        "visibility": "DOCUMENT", "metadataValue": json.dumps(
                                            {"host": "runner-7", "started": at, "refreshed": at})}]

    args = ["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()]
    mark(minutes_ago=5)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Another sheet-sync run (runner-7)" in err and "the mark expires at" in err
    assert main(args + ["--dry-run"]) == 0  # a dry run sends nothing and needs no mark
    mark(minutes_ago=45)  # its run died long ago
    assert main(args) == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert [m["metadataKey"] for m in emulator.developer_metadata] == ["sheet-sync-tool-sheets-look"]


def test_a_sheet_shared_as_viewer_stops_before_sending(tmp_path, emulator, monkeypatch, capsys):
    google_book(emulator, [invoice("V-1", due=AS_OF - timedelta(days=2))])
    key = service_account_key(emulator)
    monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_JSON", json.dumps(key))
    sheet_config(tmp_path, emulator)
    emulator.shared_with = "owner@studio.example.com"
    emulator.viewers = {key["client_email"]}
    assert main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()]) == 2
    err = capsys.readouterr().err
    assert f"shared with {key['client_email']} as a Viewer only" in err and "Nothing was sent" in err
    assert not (tmp_path / "outbox").exists()


def test_a_payments_sheet_gives_amount_paid_as_on_excel(tmp_path, emulator):
    payments = [["Invoice No", "Date", "Amount", "Method", "Reference"],
                ["Y-1", AS_OF - timedelta(days=3), 300, "wire", "r1"],
                ["Y-1", AS_OF - timedelta(days=1), "$200.50", "card", "r2"],
                ["Y-2", AS_OF - timedelta(days=1), 1000, "wire", "r3"]]
    rows = [invoice("Y-1", due=AS_OF - timedelta(days=10), paid=999), invoice("Y-2", due=AS_OF - timedelta(days=10)),
            invoice("Y-3", "C2", due=AS_OF - timedelta(days=10), currency="KRW", amount=500000)]
    xdir = tmp_path / "excel"
    xdir.mkdir()
    wb = simple_book(xdir / "book.xlsx", rows, extra={"Payments": payments})
    google_book(emulator, rows)
    emulator.add_sheet("Payments", payments)
    api.sync(write_config(xdir, wb), as_of=AS_OF)
    api.sync(sheet_config(tmp_path, emulator), as_of=AS_OF)
    assert grid(emulator.values("Invoices")) == excel_grid(wb, "Invoices")
    got = records(emulator.values("Invoices"))
    assert (got["Y-1"]["Amount Paid"], got["Y-2"]["Amount Paid"]) == (500.5, 1000)
    headers = emulator.values("Invoices")[0]
    paid_col = headers.index("Amount Paid") + 1
    assert emulator.sheet("Invoices").formats[(2, paid_col)] == "#,##0.00"
    assert emulator.sheet("Invoices").formats[(4, paid_col)] == "#,##0"  # KRW

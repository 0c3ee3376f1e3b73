"""One table of write-back cases, each run through both backends (a real .xlsx and the Sheets emulator) and
checked against the same expected cells and number formats, and against each other cell for cell."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from sheet_sync import api
from sheets_emulator import Emulator
from test_gsheets import AS_OF, TOOL, grid, last_run_day
from workbooks import (
    CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, make_workbook, sheet_config, write_config,
)

PAYMENTS = ["Invoice No", "Date", "Amount", "Method", "Reference"]
LOG_STABLE = slice(1, 6)  # Invoice No .. Subject: Logged At and Message ID are the clock's and the host's


def late(no: str, client: str = "C1", days: int = 10, **kw) -> list[Any]:
    return invoice(no, client, due=AS_OF - timedelta(days=days), **kw)


# name, {sheet: rows} (Clients and Invoices default to the standard ones), extra config,
# expected {(sheet, invoice no or row, header): (value, number format or None for "any")}
CASES = [
    ("blank currency takes a non-USD default's format",
     {"Invoices": [INVOICE_HEADERS, late("K-1", currency="", amount=1200000), late("K-2", currency="USD", amount=99.5)]},
     '[aging]\ndefault_currency = "KRW"\n',
     {("Invoices", "K-1", "Balance"): (1200000, "#,##0"), ("Invoices", "K-2", "Balance"): (Decimal("99.5"), "#,##0.00"),
      ("Aging", "K-1", "Balance"): (1200000, "#,##0")}),
    ("each row's currency: ₩ and ¥ without decimals, $ with two",
     {"Invoices": [INVOICE_HEADERS, late("M-1", currency="USD", amount="1,250.50"),
                   late("M-2", "C2", currency="KRW", amount="₩350,000"), late("M-3", "C3", currency="JPY", amount=5000),
                   late("M-4", "C3", currency="CNY", amount="8,000.50")]},
     "",
     {("Invoices", "M-1", "Balance"): (Decimal("1250.5"), "#,##0.00"), ("Invoices", "M-2", "Balance"): (350000, "#,##0"),
      ("Invoices", "M-3", "Balance"): (5000, "#,##0"), ("Invoices", "M-4", "Balance"): (Decimal("8000.5"), "#,##0.00"),
      ("Invoices", "M-2", "Days Overdue"): (10, None), ("Invoices", "M-2", "Aging Bucket"): ("1-30", None),
      ("Aging", "M-2", "Due Date"): (AS_OF - timedelta(days=10), "yyyy-mm-dd")}),
    ("a Payments sheet writes Amount Paid in the row's currency",
     {"Invoices": [INVOICE_HEADERS, late("Y-1", paid=999), late("Y-2", "C2", currency="KRW", amount=500000)],
      "Payments": [PAYMENTS, ["Y-1", AS_OF - timedelta(days=3), 300, "wire", "r1"],
                   ["Y-1", AS_OF - timedelta(days=1), "$200.50", "card", "r2"],
                   ["Y-2", AS_OF - timedelta(days=1), "₩100,000", "wire", "r3"]]},
     "",
     {("Invoices", "Y-1", "Amount Paid"): (Decimal("500.5"), "#,##0.00"), ("Invoices", "Y-2", "Amount Paid"): (100000, "#,##0"),
      ("Invoices", "Y-1", "Sync Status"): ("Partially Paid", None), ("Invoices", "Y-2", "Balance"): (400000, "#,##0")}),
    ("tool columns already there, in the owner's order, are written in place",
     {"Invoices": [INVOICE_HEADERS[:5] + ["Sync Status", "Balance"] + INVOICE_HEADERS[5:],
                   ["T-1", "C1", AS_OF - timedelta(days=40), AS_OF - timedelta(days=10), "USD", "old", 123, 1000,
                    None, None, "", None, "", "", ""]]},
     "",
     {("Invoices", "T-1", "Sync Status"): ("Overdue", None), ("Invoices", "T-1", "Balance"): (1000, "#,##0.00")}),
    ("a header row under a title, a blank-numbered row and text that looks like a formula",
     {"Invoices": [["Invoices of Test Studio"], [], INVOICE_HEADERS, late("+INV-9", amount=10),
                   ["", "C1", AS_OF, AS_OF, "USD", 10, None, None, "", None, "", "", ""],
                   late("F-2", note="@mention me")]},
     "",
     {("Invoices", "+INV-9", "Sync Status"): ("Overdue", None), ("Invoices", 5, "Sync Status"): ("Problem", None),
      ("Aging", "+INV-9", "Invoice No"): ("+INV-9", None)}),
    ("tool columns go after the owner's last used column, even one without a header",
     {"Invoices": [INVOICE_HEADERS + ["Comment", "Comment"], late("U-1") + ["a", "b", None, "data in P"],
                   late("U-2")]},
     "",
     {("Invoices", "U-1", "Comment"): ("a", None), ("Invoices", 2, "Balance"): (1000, "#,##0.00"),
      ("Invoices", "U-2", "Sync Status"): ("Overdue", None)}),
    ("closed invoices show no days or bucket; void and written off a zero balance; overpaid says by how much",
     {"Invoices": [INVOICE_HEADERS, late("C-1", status="Paid", paid=1000), late("C-2", status="Void"),
                   late("C-3", status="Written Off", paid=100), late("C-4", status="Draft"),
                   late("C-5", paid=1050, paid_date=AS_OF)]},
     "",
     {("Invoices", "C-1", "Days Overdue"): (None, None), ("Invoices", "C-1", "Aging Bucket"): (None, None),
      ("Invoices", "C-2", "Balance"): (0, "#,##0.00"), ("Invoices", "C-2", "Days Overdue"): (None, None),
      ("Invoices", "C-3", "Balance"): (0, "#,##0.00"), ("Invoices", "C-4", "Aging Bucket"): (None, None),
      ("Invoices", "C-4", "Days Overdue"): (None, None), ("Invoices", "C-5", "Balance"): (-50, "#,##0.00"),
      ("Invoices", "C-5", "Sync Notes"): ("Overpaid by $50.00: refund it or credit it to a later invoice.", None),
      ("Invoices", "C-5", "Sync Status"): ("Paid", None)}),
    ("two rows with one number are both a Problem",
     {"Invoices": [INVOICE_HEADERS, late("D-1"), late("D-1", amount=5), late("D-2")]},
     "",
     {("Invoices", 2, "Sync Status"): ("Problem", None), ("Invoices", 3, "Sync Status"): ("Problem", None),
      ("Invoices", "D-2", "Sync Status"): ("Overdue", None)}),
]


def _sheets(rows_by_sheet: dict) -> dict:
    return {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS], **rows_by_sheet}


def _header_row(rows: list[list[Any]]) -> int:
    return next(i for i, row in enumerate(rows, start=1) if row and row[0] in ("Invoice No", "Client ID"))


def _locate(rows: list[list[Any]], key: Any, header: str) -> tuple[int, int]:
    h = _header_row(rows)
    headers = rows[h - 1]
    col = headers.index(header) + 1
    if isinstance(key, int):
        return key, col
    no_col = headers.index("Invoice No")
    r = next(i for i, row in enumerate(rows, start=1) if i > h and len(row) > no_col and row[no_col] == key)
    return r, col


def _excel(path) -> dict[str, tuple[list[list[Any]], dict]]:
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        formats = {(c.row, c.column): c.number_format for row in ws.iter_rows() for c in row
                   if c.value is not None and c.number_format != "General"}
        out[ws.title] = (rows, formats)
    return out


def _google(em: Emulator) -> dict[str, tuple[list[list[Any]], dict]]:
    return {s.title: (s.grid(), {k: v for k, v in s.formats.items() if s.cells.get(k) not in (None, "")})
            for s in em.sheets}


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, date):
        return a in (b, (b - date(1899, 12, 30)).days) or getattr(a, "date", lambda: None)() == b
    if isinstance(b, (int, Decimal)) and isinstance(a, (int, float, Decimal)):
        return Decimal(str(a)) == Decimal(b)
    return a == b


@pytest.mark.parametrize("name, sheets, extra, expected", CASES, ids=[c[0] for c in CASES])
def test_one_write_back_on_both_backends(tmp_path, name, sheets, extra, expected):
    xdir = tmp_path / "excel"
    xdir.mkdir()
    wb = make_workbook(xdir / "book.xlsx", _sheets(sheets))
    em = Emulator().start()
    try:
        for title, rows in _sheets(sheets).items():
            em.add_sheet(title, [list(r) for r in rows])
        x = api.sync(write_config(xdir, wb, extra), as_of=AS_OF)
        g = api.sync(sheet_config(tmp_path, em, extra), as_of=AS_OF)
        books = {"excel": _excel(wb), "google": _google(em)}
    finally:
        em.stop()
    assert [(m.invoice_no, m.stage, m.state) for m in g.messages] == [(m.invoice_no, m.stage, m.state) for m in x.messages]

    for backend, book in books.items():
        for (sheet, key, header), (value, fmt) in expected.items():
            rows, formats = book[sheet]
            r, c = _locate(rows, key, header)
            got = rows[r - 1][c - 1] if c - 1 < len(rows[r - 1]) else None
            assert _same(got, value), (backend, sheet, key, header, got)
            if fmt is not None:
                assert formats.get((r, c)) == fmt, (backend, sheet, key, header, formats.get((r, c)))

    # and the two backends agree on every value of every sheet the tool writes, and on every money format
    xbook, gbook = books["excel"], books["google"]
    for sheet in ("Invoices", "Aging", "Aging Summary"):
        assert last_run_day(grid(gbook[sheet][0])) == last_run_day(grid(xbook[sheet][0])), sheet
        xf = {k: v for k, v in xbook[sheet][1].items() if v.startswith("#,##0")}
        gf = {k: v for k, v in gbook[sheet][1].items() if v.startswith("#,##0")}
        assert gf == xf, sheet
    if x.messages:
        assert [r[LOG_STABLE] for r in grid(gbook["Reminder Log"][0])] == \
               [r[LOG_STABLE] for r in grid(xbook["Reminder Log"][0])]
    inv_rows = xbook["Invoices"][0]
    inv_headers = inv_rows[_header_row(inv_rows) - 1]
    owner_header_row = sheets["Invoices"][_header_row(sheets["Invoices"]) - 1]
    if "Balance" not in owner_header_row:  # added: after every column the owner used, header or not
        owner_last = max(max((i + 1 for i, v in enumerate(r) if v not in (None, "")), default=0) for r in sheets["Invoices"])
        assert inv_headers.index("Balance") + 1 == owner_last + 1
    assert [h for h in inv_headers if h in TOOL] == [h for h in inv_headers if h in TOOL]  # each once
    assert sorted(h for h in inv_headers if h in TOOL) == sorted(TOOL)


def test_apply_needs_no_read_first_and_reports_the_same_on_both_backends(tmp_path):
    """A backend's apply() stands alone (no read() on the same object first) and returns one WriteReport."""
    from sheet_sync.backends import get_backend
    from sheet_sync.backends.base import WriteReport
    from sheet_sync.model import LOG_COLUMNS, WritePlan

    rows = [INVOICE_HEADERS, late("A-1"), late("A-2")]
    xdir = tmp_path / "excel"
    xdir.mkdir()
    wb = make_workbook(xdir / "book.xlsx", _sheets({"Invoices": rows}))
    plan = WritePlan(invoices_sheet="Invoices", invoice_no_header="Invoice No", tool_columns=tuple(TOOL),
                     invoice_updates={"A-2": (Decimal(5), 3, "1-30", "Overdue", None, None, "note"),
                                      "GONE": (Decimal(1), 1, "1-30", "Overdue", None, None, None)},
                     row_updates={}, log_append=(tuple(f"v{i}" for i in range(len(LOG_COLUMNS))),))
    em = Emulator().start()
    try:
        em.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
        em.add_sheet("Invoices", [list(r) for r in rows])
        reports = [get_backend(write_config(xdir, wb)).apply(plan), get_backend(sheet_config(tmp_path, em)).apply(plan)]
        google_log = em.values("Reminder Log")
        google_invoices = em.values("Invoices")
    finally:
        em.stop()
    for report in reports:
        assert isinstance(report, WriteReport)
        assert (report.rows_matched, report.unmatched_invoices, report.columns_added) == (1, ("GONE",), tuple(TOOL))
    assert google_log[1][:2] == ["v0", "v1"]
    assert openpyxl.load_workbook(wb)["Reminder Log"]["B2"].value == "v1"
    assert grid(google_invoices) == grid(list(openpyxl.load_workbook(wb)["Invoices"].iter_rows(values_only=True)))


def test_logged_at_is_a_date_time_in_the_owners_time_zone_on_both_backends(tmp_path):
    """The Reminder Log's Logged At is a real date-time cell, in aging.timezone; the next run reads it back
    (and an older log's ISO 8601 UTC text) as the same moment."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from sheet_sync.load import logged_at

    extra = '[aging]\ntimezone = "Asia/Seoul"\n'
    rows = [INVOICE_HEADERS, late("L-1")]
    xdir = tmp_path / "excel"
    xdir.mkdir()
    wb = make_workbook(xdir / "book.xlsx", _sheets({"Invoices": rows}))
    em = Emulator().start()
    try:
        for title, sheet_rows in _sheets({"Invoices": rows}).items():
            em.add_sheet(title, [list(r) for r in sheet_rows])
        before = datetime.now(timezone.utc).replace(microsecond=0)
        api.sync(write_config(xdir, wb, extra), as_of=AS_OF)
        api.sync(sheet_config(tmp_path, em, extra), as_of=AS_OF)
        google_cell = em.sheet("Reminder Log").cells[(2, 1)]
        google_format = em.sheet("Reminder Log").formats.get((2, 1))
        again = api.sync(sheet_config(tmp_path, em, extra), as_of=AS_OF + timedelta(days=1))
    finally:
        em.stop()
    seoul = ZoneInfo("Asia/Seoul")
    excel_cell = openpyxl.load_workbook(wb)["Reminder Log"]["A2"]
    assert isinstance(excel_cell.value, datetime) and excel_cell.number_format == "yyyy-mm-dd hh:mm:ss"
    assert isinstance(google_cell, float) and google_format == "yyyy-mm-dd hh:mm:ss"
    for value in (excel_cell.value, google_cell):
        moment = logged_at(value, seoul)
        assert moment.date() == AS_OF  # the run stood on AS_OF, at the current time of day in Seoul
        local_now = before.astimezone(seoul)
        minutes = moment.hour * 60 + moment.minute - (local_now.hour * 60 + local_now.minute)
        assert moment.tzinfo == seoul and minutes % 1440 <= 2  # Seoul's time of day, not UTC's
    assert [m.invoice_no for m in again.messages] == []  # read back: nothing sent twice
    assert logged_at("2026-11-20T01:02:03Z", seoul) == datetime(2026, 11, 20, 1, 2, 3, tzinfo=timezone.utc)

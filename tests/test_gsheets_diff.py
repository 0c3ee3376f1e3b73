"""Google Sheets writes only what changed since the read: a re-run where 1 % of the invoices changed sends a
small request, and leaves the sheet exactly as a full write would."""
from __future__ import annotations

import copy
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from sheet_sync import api
from sheet_sync.backends.sheets_diff import SKIP, matched_rows, same, value_ranges
from sheet_sync.backends.sheets_requests import format_requests, format_runs
from sheet_sync.layout import Cell
from sheets_emulator import Emulator, serial
from realistic_book import owner_week, realistic_sheets
from test_gsheets import AS_OF, TOOL
from workbooks import sheet_config

SHEETS = ("Invoices", "Aging", "Aging Summary", "Reminder Log")

# the thank-yous for invoices paid in between add their own log rows: these tests measure the diff alone
NO_THANKS = '[reminders]\nthank_you = "off"\n'


# ---- the pure parts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("before, after, expected", [
    (1500, Decimal("1500.00"), True), (12.5, Decimal("12.50"), True), (12.5, Decimal("12.51"), False),
    (serial(AS_OF), AS_OF, True), (serial(AS_OF) + 1, AS_OF, False), (None, None, True), ("", None, True),
    (None, "", True), (0, None, False), (None, 0, False), (True, 1, False), (1, True, False), (True, True, True),
    ("00123", "00123", True), (123, "123", False), ("=1+1", "=1+1", True), ("Overdue", "Current", False),
])
def test_values_are_compared_as_the_api_returns_them(before, after, expected):
    assert same(before, after) is expected


def test_rows_kept_are_the_longest_run_in_the_same_order():
    old = ["a", "b", "c", "d", "e", "f"]
    new = ["a", "c", "x", "d", "b", "f", "g"]
    pairs = matched_rows(old, new)
    assert len(pairs) == 4 and [old[i] for i, _ in pairs] == [new[j] for _, j in pairs]
    assert all(i1 < i2 and j1 < j2 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))
    assert matched_rows(["k", "k", "z"], ["k", "z", "k"]) in ([(0, 0), (2, 1)], [(0, 0), (1, 2)])  # by occurrence
    assert matched_rows([], ["a"]) == [] and matched_rows(["a"], []) == []


def test_value_ranges_leave_the_cells_between_alone_and_join_rows_over_the_same_columns():
    cells = [Cell(2, 20, 1), Cell(2, 21, None), Cell(3, 20, 2), Cell(3, 21, "x"), Cell(9, 20, 5), Cell(9, 24, 6),
             Cell(9, 40, "far")]
    ranges = sorted(value_ranges(cells))
    assert ranges == [(2, 20, 3, 21, [[1, None], [2, "x"]]), (9, 20, 9, 24, [[5, SKIP, SKIP, SKIP, 6]]),
                      (9, 40, 9, 40, [["far"]])]


def test_number_formats_never_touch_rows_that_get_none_and_take_the_shortest_correct_form():
    usd, krw = "#,##0.00", "#,##0"
    patterns = [usd, usd, None, krw, None] + [usd, krw] * 20

    def applied(requests):
        got: dict[int, str] = {}
        for req in requests:
            if "repeatCell" in req:
                r = req["repeatCell"]["range"]
                for row in range(r["startRowIndex"], r["endRowIndex"]):
                    got[row] = req["repeatCell"]["cell"]["userEnteredFormat"]["numberFormat"]["pattern"]
            else:
                start = req["updateCells"]["start"]["rowIndex"]
                for i, row in enumerate(req["updateCells"]["rows"]):
                    got[start + i] = row["values"][0]["userEnteredFormat"]["numberFormat"]["pattern"]
        return got

    requests = format_runs(7, 3, 10, patterns)
    assert applied(requests) == {10 + i: p for i, p in enumerate(patterns) if p is not None}
    assert sorted(next(iter(r)) for r in requests) == ["repeatCell", "repeatCell", "updateCells"]
    # mostly one currency with another scattered in: the common pattern over all, then the others on top
    mostly = ([usd] * 3 + [krw]) * 30
    layered = format_runs(7, 2, 0, mostly)
    assert applied(layered) == dict(enumerate(mostly)) and len(layered) == 31
    assert layered[0]["repeatCell"]["range"]["endRowIndex"] == 120
    # the same run of rows and pattern in adjacent columns (a table's date columns) is one request
    both = format_requests(7, {3: {5: "yyyy-mm-dd", 6: "yyyy-mm-dd"}, 4: {5: "yyyy-mm-dd", 6: "yyyy-mm-dd"},
                               6: {5: usd}})
    assert sorted((r["repeatCell"]["range"]["startColumnIndex"], r["repeatCell"]["range"]["endColumnIndex"],
                   r["repeatCell"]["range"]["startRowIndex"], r["repeatCell"]["range"]["endRowIndex"]) for r in both) \
        == [(3, 5, 5, 7), (6, 7, 5, 6)]


# ---- against the emulator ------------------------------------------------------------------------------

def load(em: Emulator, sheets: dict) -> None:
    for title, rows in sheets.items():
        em.add_sheet(title, rows, grid_rows=len(rows) + 50)


def sent_bytes(em: Emulator) -> int:
    return sum(em.request_bytes)


def sort_rows(sheet, key, reverse: bool = False) -> None:
    """Sort the rows below the header as a spreadsheet does: values and formats move with their row."""
    last = max(r for r, _ in sheet.cells)
    rows = {r: ({c: v for (rr, c), v in sheet.cells.items() if rr == r},
                {c: f for (rr, c), f in sheet.formats.items() if rr == r}) for r in range(2, last + 1)}
    order = sorted(rows, key=lambda r: key(rows[r][0]), reverse=reverse)
    sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] == 1}
    sheet.formats = {k: v for k, v in sheet.formats.items() if k[0] == 1}
    for new, old in enumerate(order, start=2):
        sheet.cells.update({(new, c): v for c, v in rows[old][0].items()})
        sheet.formats.update({(new, c): f for c, f in rows[old][1].items()})


def assert_same_as_a_full_write(em: Emulator, tmp_path, as_of) -> None:
    """`em` holds what a full write gives: a second emulator with the owner's data of `em` (every sheet but the
    tool-owned columns and sheets), synced on `as_of`, ends with the same values and formats."""
    other = Emulator().start()
    try:
        _copy_owner_data(em, other)
        folder = tmp_path / "full"
        folder.mkdir()
        api.sync(sheet_config(folder, other, NO_THANKS), as_of=as_of)
        assert_same_sheets(em, other)
    finally:
        other.stop()


def _copy_owner_data(em: Emulator, other: Emulator) -> None:
    headers = em.values("Invoices")[0]
    tool = {i + 1 for i, h in enumerate(headers) if h in TOOL}  # at the right end: nothing moves
    paid = headers.index("Amount Paid") + 1
    for sheet in em.sheets:
        if sheet.title in ("Aging", "Aging Summary"):
            continue
        copied = other.add_sheet(sheet.title, grid_rows=sheet.rows, grid_cols=sheet.cols)
        copied.cells = copy.deepcopy(sheet.cells)
        copied.formats = copy.deepcopy(sheet.formats)
        if sheet.title == "Invoices":
            copied.cells = {(r, c): v for (r, c), v in copied.cells.items() if c not in tool and (c != paid or r == 1)}
            copied.formats = {(r, c): v for (r, c), v in copied.formats.items() if c not in tool and c != paid}



def without_heartbeat(rows: list[list]) -> list[list]:
    """The Aging Summary's `Last run` line says when each run was and what that run did: a re-run and a first
    full write differ there by design. Its label stays."""
    return [row[:1] if row and row[0] == "Last run" else row for row in rows]


def assert_same_sheets(em: Emulator, full: Emulator) -> None:
    for title in SHEETS:
        assert without_heartbeat(em.values(title)) == without_heartbeat(full.values(title)), title
    for title in ("Invoices", "Aging", "Aging Summary"):
        mine, theirs = em.sheet(title), full.sheet(title)
        numbers = {k for k, v in theirs.cells.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if title == "Invoices":  # the owner's own columns keep the formats the test gave them
            tool = {i + 1 for i, h in enumerate(em.values(title)[0]) if h in TOOL or h == "Amount Paid"}
            numbers = {k for k in numbers if k[1] in tool}
        assert {k: mine.formats.get(k) for k in numbers} == {k: theirs.formats.get(k) for k in numbers}, title


@pytest.mark.parametrize("n", [1_000, 4_000])
def test_a_rerun_with_one_percent_changed_sends_a_tenth_of_the_bytes_and_gives_what_a_full_write_gives(tmp_path, n):
    em = Emulator().start()
    try:
        load(em, realistic_sheets(n, AS_OF))
        # the thank-yous for the invoices paid in between would add their log rows: measured apart
        config = sheet_config(tmp_path, em, NO_THANKS)
        first = api.sync(config, as_of=AS_OF)
        assert first.written and len(first.sent) > 0
        first_bytes, first_requests = sent_bytes(em), len(em.requests)
        assert first_requests <= 6

        touched = owner_week(em, AS_OF, n // 100)
        em.requests.clear(), em.request_bytes.clear()
        again = api.sync(config, as_of=AS_OF)
        assert len(em.requests) <= 6 and [m.invoice_no for m in again.sent] == ["INV-NEW-1"]
        assert sent_bytes(em) <= first_bytes / 10, (sent_bytes(em), first_bytes)

        values = em.values("Invoices")
        rows = {r[0]: dict(zip(values[0], r)) for r in values[1:]}
        assert rows["INV-NEW-1"]["Sync Status"] == "Overdue" and rows["INV-NEW-1"]["Balance"] == 3_000_000
        assert rows[touched[1]]["Sync Status"] == "Paid" and rows[touched[0]]["Sync Status"] == "Partially Paid"

        assert_same_as_a_full_write(em, tmp_path, AS_OF)
    finally:
        em.stop()


def test_nothing_changed_writes_no_values_and_a_new_day_only_what_the_day_moved(tmp_path):
    em = Emulator().start()
    try:
        load(em, realistic_sheets(200, AS_OF))
        config = sheet_config(tmp_path, em, NO_THANKS)
        api.sync(config, as_of=AS_OF)
        em.requests.clear(), em.request_bytes.clear()
        em.bodies = []
        api.sync(config, as_of=AS_OF)
        assert [p.rsplit("/", 1)[-1] for _, p in em.requests] == [  # only the heartbeat's values written
            "test-sheet-key", "values:batchGet", "values:batchGet", "test-sheet-key:batchUpdate", "values:batchUpdate"]
        summary = em.values("Aging Summary")
        last_run = next(i for i, row in enumerate(summary) if row and row[0] == "Last run")
        written = em.bodies[-1]["data"]  # the time and the words of this run (the same second: only the words)
        assert [d["range"].split("!")[0].strip("'") for d in written] == ["Aging Summary"]
        cells = written[0]["range"].split("!")[1].split(":")
        assert {re.sub(r"[A-Z]+", "", c) for c in cells} == {str(last_run + 1)}
        assert set(written[0]["values"][0]) <= set(summary[last_run][1:3]) and len(written[0]["values"]) == 1
        structure = em.bodies[-2]["requests"]
        formats = [r for r in structure if "numberFormat" in str(r)]
        assert [r["repeatCell"]["range"]["startRowIndex"] for r in formats] == [last_run]  # its row's formats only
        assert not [r for r in structure if "Dimension" in next(iter(r))
                    and "Properties" not in next(iter(r))]  # no rows moved
        assert not [r for r in structure if "updateDimensionProperties" in r or "backgroundColor" in str(r)]
        assert sum(em.request_bytes) < 6_000  # the filters, the chart, the heartbeat's formats
        em.bodies = None
        api.sync(config, as_of=AS_OF + timedelta(days=1))  # days overdue move: those cells, not the others
        assert_same_as_a_full_write(em, tmp_path, AS_OF + timedelta(days=1))
    finally:
        em.stop()


def test_the_tool_sheets_header_style_and_widths_are_sent_when_they_change(tmp_path):
    """The Aging sheets' header style and column widths cost about 2 kB a sheet: a run sends the header's style
    when the header changes and the widths that change (the last run's are kept in the sheet's developer
    metadata); with that record gone, all of them again."""
    em = Emulator().start()
    try:
        load(em, realistic_sheets(200, AS_OF))
        config = sheet_config(tmp_path, em, NO_THANKS)

        def structure() -> list[dict]:
            em.bodies = []
            api.sync(config, as_of=AS_OF)
            requests = [r for body in em.bodies if "requests" in body for r in body["requests"]]
            em.bodies = None
            return requests

        def widths(requests) -> dict[int, list[tuple[int, int]]]:
            out: dict[int, list[tuple[int, int]]] = {}
            for r in requests:
                if "updateDimensionProperties" in r:
                    span = r["updateDimensionProperties"]["range"]
                    out.setdefault(span["sheetId"], []).append((span["startIndex"], span["endIndex"]))
            return out

        def header_styles(requests) -> int:
            return sum("backgroundColor" in str(r) for r in requests)

        first = structure()
        tool_ids = {s.sheet_id for s in em.sheets if s.title in ("Aging", "Aging Summary")}
        assert header_styles(first) == 3 and set(widths(first)) >= tool_ids  # (the new Reminder Log has one too)
        assert [m["metadataKey"] for m in em.developer_metadata] == ["sheet-sync-tool-sheets-look"]
        again = structure()
        assert header_styles(again) == 0 and widths(again) == {}
        clients = em.sheet("Clients")
        name_col = em.values("Clients")[0].index("Name") + 1
        long_name = "Northwind Traders and Sons International"
        clients.cells[(2, name_col)] = long_name  # the Client columns widen, the others stay
        widened = structure()
        assert header_styles(widened) == 0
        assert {sheet_id: spans for sheet_id, spans in widths(widened).items()} == {sheet_id: [(1, 2)] for sheet_id in tool_ids}
        em.developer_metadata.clear()  # the record is gone: everything again
        redone = structure()
        assert header_styles(redone) == 2 and set(widths(redone)) == tool_ids
        assert sum(b - a for spans in widths(redone).values() for a, b in spans) == 24  # 12 columns a sheet
    finally:
        em.stop()


def test_a_sort_between_read_and_write_compares_by_invoice_no(tmp_path):
    """The owner moves the newest invoice to the top while the run works, and the bookkeeper had sorted Aging by
    client: every value still lands on its invoice, and the sheets end as a full write leaves them. A new
    day, so that every open invoice's Days Overdue changes."""
    em = Emulator().start()
    try:
        load(em, realistic_sheets(300, AS_OF))
        config = sheet_config(tmp_path, em, NO_THANKS)
        api.sync(config, as_of=AS_OF)
        owner_week(em, AS_OF, 4)
        sort_rows(em.sheet("Aging"), lambda row: (str(row.get(2)), str(row.get(3))))  # by client, then invoice

        def sort_now(method: str, path: str) -> None:
            if method == "GET" and path.endswith("values:batchGet") and len(em.requests) > 2:  # the re-read
                # the newest on top: every other row moves down by one, next to a row much like it
                sort_rows(em.sheet("Invoices"), lambda row: row.get(1) != "INV-NEW-1")
                em.before_request = None

        em.requests.clear()
        em.before_request = sort_now
        api.sync(config, as_of=AS_OF + timedelta(days=1))
        assert em.values("Invoices")[1][0] == "INV-NEW-1"  # the sort happened
        assert_same_as_a_full_write(em, tmp_path, AS_OF + timedelta(days=1))
    finally:
        em.stop()

"""Sheets API v4 request bodies, built from plain data: cells, rows, number formats, the chart. Pure."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sheet_sync.model import SheetTable, SummaryTable

EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of a date serial, in Sheets as in Excel
DATE_PATTERN = "yyyy-mm-dd"
MAX_FORMAT_RUNS = 500  # beyond this many changes of currency down a column, one format for all


def cell_value(value: Any) -> Any:
    """A Python value as the Sheets API takes it (None stays None: skip the cell)."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return (value - EXCEL_EPOCH).days
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def blank_value(value: Any) -> Any:
    """For a cell the tool owns: None means clear it."""
    v = cell_value(value)
    return "" if v is None else v


def spread(cols: list[int], values: tuple) -> list[Any]:
    """A log row's values placed in the sheet's own columns (None: leave the cell alone)."""
    row: list[Any] = [None] * (max(cols) + 1)
    for c, v in zip(cols, values):
        row[c] = v
    return row


def quote_sheet_always(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def rows_request(sheet_id: int, start_row: int, rows: list[list[Any]]) -> dict:
    """Values inside a structural batchUpdate (used for the pending log rows, before any send)."""
    def cell(v: Any) -> dict:
        v = cell_value(v)
        if v is None:
            return {}
        if isinstance(v, bool):
            return {"userEnteredValue": {"boolValue": v}}
        if isinstance(v, (int, float)):
            return {"userEnteredValue": {"numberValue": v}}
        return {"userEnteredValue": {"stringValue": str(v)}}

    return {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": start_row, "columnIndex": 0},
                            "rows": [{"values": [cell(v) for v in row]} for row in rows],
                            "fields": "userEnteredValue"}}


def format_runs(sheet_id: int, col: int, first_row: int, patterns: list[str]) -> list[dict]:
    """Number formats down one column (0-based `col`, from 0-based row `first_row`), one request per run
    of rows with the same pattern; the most common pattern for all when the runs are too many."""
    runs: list[list] = []
    for i, pattern in enumerate(patterns):
        if runs and runs[-1][2] == pattern:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, pattern])
    if len(runs) > MAX_FORMAT_RUNS:
        common = max(set(patterns), key=patterns.count)
        runs = [[0, len(patterns), common]]
    return [number_format(sheet_id, first_row + a, first_row + b, col, col + 1, pattern) for a, b, pattern in runs]


def bold_header(sheet_id: int, n_cols: int) -> dict:
    return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
                                     "endColumnIndex": n_cols},
                           "cell": {"userEnteredFormat": {"textFormat": {"bold": True},
                                                          "backgroundColor": {"red": 0.85, "green": 0.9, "blue": 0.97}}},
                           "fields": "userEnteredFormat(textFormat,backgroundColor)"}}


def number_format(sheet_id: int, r1: int, r2: int, c1: int, c2: int, pattern: str, kind: str = "NUMBER") -> dict:
    return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": r1, "endRowIndex": r2,
                                     "startColumnIndex": c1, "endColumnIndex": c2},
                           "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}},
                           "fields": "userEnteredFormat.numberFormat"}}


def chart_request(sheet_id: int, table: SheetTable, summary: SummaryTable, anchor_row: int) -> dict:
    headers = list(table.headers)
    b1 = headers.index(summary.bucket_labels[0])
    b2 = headers.index(summary.bucket_labels[-1]) + 1
    first_total = len(table.rows) + 1 - summary.total_rows

    def src(r1: int, r2: int) -> dict:
        return {"sourceRange": {"sources": [{"sheetId": sheet_id, "startRowIndex": r1, "endRowIndex": r2,
                                             "startColumnIndex": b1, "endColumnIndex": b2}]}}

    return {"addChart": {"chart": {
        "spec": {"title": "Open balance by age", "basicChart": {
            "chartType": "COLUMN", "legendPosition": "BOTTOM_LEGEND",
            "axis": [{"position": "BOTTOM_AXIS", "title": "Days overdue"}, {"position": "LEFT_AXIS", "title": "Amount"}],
            "domains": [{"domain": src(0, 1)}],
            "series": [{"series": src(r, r + 1), "targetAxis": "LEFT_AXIS"} for r in range(first_total, len(table.rows) + 1)],
            "headerCount": 0}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": anchor_row, "columnIndex": 0}}}}}}

"""Sheets API v4 request bodies, built from plain data: cells, rows, number formats, the chart. Pure."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from sheet_sync.cells import EXCEL_EPOCH, EXCEL_EPOCH_TIME
from sheet_sync.layout import HEADER_FILL, HEADER_TEXT, Chart
from sheet_sync.model import adjacent_spans

REPEAT_BYTES = 240  # about the size of one repeatCell request for a run of rows
ROW_BYTES = 90  # about the size of one row's format spelt out in an updateCells request


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
    if isinstance(value, datetime):  # a date-time serial: days and the fraction of the day
        return (value.replace(tzinfo=None) - EXCEL_EPOCH_TIME).total_seconds() / 86400
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


def format_runs(sheet_id: int, col: int, first_row: int, patterns: list[str | None]) -> list[dict]:
    """Number formats down one column (0-based `col`, from 0-based row `first_row`); None leaves a row's
    format alone. See `format_requests`."""
    return format_requests(sheet_id, {col: {first_row + i: p for i, p in enumerate(patterns) if p is not None}})


def _runs(rows: list[int], down: Mapping[int, str], skip: str | None = None) -> list[tuple[int, int, str]]:
    """(first row, end row, pattern) of each run of equal patterns over consecutive `rows`, leaving out
    rows whose pattern is `skip`."""
    runs: list[list] = []
    for r in rows:
        if down[r] == skip:
            continue
        if runs and runs[-1][2] == down[r] and runs[-1][1] == r:
            runs[-1][1] = r + 1
        else:
            runs.append([r, r + 1, down[r]])
    return [(a, b, p) for a, b, p in runs]


def format_requests(sheet_id: int, columns: Mapping[int, Mapping[int, str]]) -> list[dict]:
    """Number formats for cells given as {0-based column: {0-based row: pattern}}; rows not given keep
    theirs. Adjacent columns that take the same patterns on the same rows (a table's date or money columns)
    are written together. Each stretch of consecutive rows is written the shortest of three correct ways:
    one `repeatCell` per run of equal patterns; or the most common pattern over the whole stretch, then a
    `repeatCell` per run of the others (money in two or three currencies, interleaved); or one
    `updateCells` that spells each cell's format."""
    groups: dict[tuple, list[int]] = {}
    for col in sorted(columns):
        groups.setdefault(tuple(sorted(columns[col].items())), []).append(col)
    out: list[dict] = []
    for cells, cols in groups.items():
        down = dict(cells)
        rows = [r for r, _ in cells]
        for first, end in adjacent_spans(cols):
            k = 0
            while k < len(rows):
                m = k + 1
                while m < len(rows) and rows[m] == rows[m - 1] + 1:
                    m += 1
                out += _stretch(sheet_id, rows[k:m], down, first, end)
                k = m
    return out


def _stretch(sheet_id: int, stretch: list[int], down: Mapping[int, str], first: int, end: int) -> list[dict]:
    """Formats for consecutive rows `stretch` over columns [first, end): the shortest correct form."""
    given = [down[r] for r in stretch]
    plain = _runs(stretch, down)
    common = max(set(given), key=given.count)
    others = _runs(stretch, down, skip=common)
    cost = {"runs": len(plain) * REPEAT_BYTES, "layered": (1 + len(others)) * REPEAT_BYTES,
            "spelled": len(stretch) * (end - first) * ROW_BYTES + REPEAT_BYTES}
    way = min(cost, key=cost.get)
    if way == "spelled":
        return [{"updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": stretch[0], "columnIndex": first},
            "rows": [{"values": [{"userEnteredFormat": {"numberFormat": {"type": _kind(p), "pattern": p}}}]
                      * (end - first)} for p in given],
            "fields": "userEnteredFormat.numberFormat"}}]
    if way == "runs":
        return [number_format(sheet_id, a, b, first, end, p, _kind(p)) for a, b, p in plain]
    return [number_format(sheet_id, stretch[0], stretch[-1] + 1, first, end, common, _kind(common))] + \
        [number_format(sheet_id, a, b, first, end, p, _kind(p)) for a, b, p in others]


def _kind(pattern: str) -> str:
    return "DATE_TIME" if "hh" in pattern else "DATE" if pattern.startswith("yyyy") else "NUMBER"


def pixel_widths(widths) -> list[int]:
    """Column widths in Excel's character units as pixels (about 7 a character)."""
    return [int(round(w * 7 + 5)) for w in widths]


def column_widths(sheet_id: int, widths, first: list[int] | None = None) -> list[dict]:
    """Column widths in Excel's character units (about 7 pixels each), from column A or at `first` (1-based);
    adjacent columns of one width in one request."""
    columns = first if first is not None else list(range(1, len(widths) + 1))
    spans: list[list[int]] = []  # [first column, last column, pixels]
    for c, pixels in zip(columns, pixel_widths(widths)):
        if spans and spans[-1][1] == c - 1 and spans[-1][2] == pixels:
            spans[-1][1] = c
        else:
            spans.append([c, c, pixels])
    return [{"updateDimensionProperties": {
        "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": a - 1, "endIndex": b},
        "properties": {"pixelSize": pixels}, "fields": "pixelSize"}} for a, b, pixels in spans]


def _rgb(hex_colour: str) -> dict:
    return {k: int(hex_colour[i:i + 2], 16) / 255 for k, i in (("red", 0), ("green", 2), ("blue", 4))}


def bold_header(sheet_id: int, n_cols: int) -> dict:
    """The tool sheets' header row: white bold text on blue, as on Excel."""
    return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
                                     "endColumnIndex": n_cols},
                           "cell": {"userEnteredFormat": {"textFormat": {"bold": True,
                                                                         "foregroundColor": _rgb(HEADER_TEXT)},
                                                          "backgroundColor": _rgb(HEADER_FILL)}},
                           "fields": "userEnteredFormat(textFormat,backgroundColor)"}}


def number_format(sheet_id: int, r1: int, r2: int, c1: int, c2: int, pattern: str, kind: str = "NUMBER") -> dict:
    return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": r1, "endRowIndex": r2,
                                     "startColumnIndex": c1, "endColumnIndex": c2},
                           "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}}},
                           "fields": "userEnteredFormat.numberFormat"}}


def list_validation(sheet_id: int, column: int, first_row: int, last_row: int, choices: tuple[str, ...]) -> dict:
    """A dropdown of `choices` in one column (1-based), rows first_row..last_row (1-based); a blank is allowed,
    anything else typed is refused (the Outgoing sheet's Approve)."""
    return {"setDataValidation": {
        "range": {"sheetId": sheet_id, "startRowIndex": first_row - 1, "endRowIndex": last_row,
                  "startColumnIndex": column - 1, "endColumnIndex": column},
        "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in choices]},
                 "strict": True, "showCustomUi": True}}}


def chart_request(sheet_id: int, chart: Chart) -> dict:
    def src(row: int) -> dict:  # one row (1-based) across the bucket columns
        return {"sourceRange": {"sources": [{"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row,
                                             "startColumnIndex": chart.first_column - 1,
                                             "endColumnIndex": chart.last_column}]}}

    return {"addChart": {"chart": {
        "spec": {"title": chart.title, "basicChart": {
            "chartType": "COLUMN", "legendPosition": "BOTTOM_LEGEND",
            "axis": [{"position": "BOTTOM_AXIS", "title": chart.x_title}, {"position": "LEFT_AXIS", "title": chart.y_title}],
            "domains": [{"domain": src(chart.header_row)}],
            "series": [{"series": src(row), "targetAxis": "LEFT_AXIS"} for row, _ in chart.series],
            "headerCount": 0}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor_row - 1,
                                                        "columnIndex": 0}}}}}}

"""Writing a sync's results into an .xlsx: the tool-owned columns and sheets, nothing else.

Rows are found by Invoice No at write time (the owner may have sorted or inserted rows since the
read). Every value is written as a plain value: text that starts with `=`, `+`, `-` or `@` stays
text. The file is saved to a temporary file and renamed over the original, after a copy of the
previous version is kept as `<stem>.bak.xlsx`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sheet_sync.backends.xlsx_cache import restore_cached_results
from sheet_sync.errors import SheetSyncError
from sheet_sync.model import (
    LOG_COLUMNS, SheetTable, SummaryTable, WritePlan, invoice_key, money_pattern, normalize_name,
)

HEADER_SEARCH_ROWS = 10
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
DATE_FORMAT = "yyyy-mm-dd"
FORMULA_PREFIXES = ("=", "+", "-", "@")
MAX_WIDTH = 48


@dataclass(frozen=True)
class WriteReport:
    cells_written: int
    rows_matched: int
    unmatched_invoices: tuple[str, ...]
    columns_added: tuple[str, ...]
    backup_path: Path | None


def excel_lock_file(path: Path) -> Path | None:
    """Excel's owner file `~$name.xlsx` beside an open workbook (Excel may drop the first two characters)."""
    for name in (f"~${path.name}", f"~${path.name[2:]}" if len(path.name) > 7 else None):
        if name:
            lock = path.with_name(name)
            if lock.exists():
                return lock
    return None


def set_value(cell, value: Any) -> None:
    """A plain value: numbers as numbers, dates as dates, text as text (never a formula)."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    if isinstance(value, float) and value != value:
        value = None
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT


def find_sheet(wb: openpyxl.Workbook, name: str) -> Worksheet | None:
    key = normalize_name(name)
    for ws in wb.worksheets:
        if normalize_name(ws.title) == key:
            return ws
    return None


def header_row(ws: Worksheet, wanted: str) -> int:
    """The first row within the first ten that holds `wanted` (else the first non-empty row, else 1)."""
    key = normalize_name(wanted)
    first_filled = 0
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
        if any(normalize_name(v) == key for v in row if v is not None):
            return r
        if not first_filled and any(v not in (None, "") for v in row):
            first_filled = r
    return first_filled or 1


def header_map(ws: Worksheet, row: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for cell in ws[row]:
        if cell.value not in (None, ""):
            out.setdefault(normalize_name(cell.value), cell.column)
    return out


def write_workbook(path: Path, plan: WritePlan, *, backup: bool = True) -> WriteReport:
    """Apply `plan` to the workbook at `path`, atomically."""
    lock = excel_lock_file(path)
    if lock is not None:
        raise SheetSyncError(f"{path.name} is open in Excel (lock file {lock.name}): close it and run again.")
    try:
        wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    except FileNotFoundError:
        raise SheetSyncError(f"The workbook {path} does not exist.") from None
    except Exception as exc:
        raise SheetSyncError(f"Cannot open {path.name} to write to it ({type(exc).__name__}: {exc}).") from None

    ws = find_sheet(wb, plan.invoices_sheet)
    if ws is None:
        raise SheetSyncError(f"The workbook has no '{plan.invoices_sheet}' sheet to write to.")
    counts = _write_invoices(ws, plan)
    if plan.aging is not None:
        _replace_sheet(wb, plan.aging_sheet, plan.aging)
    if plan.summary is not None:
        _write_summary(_replace_sheet(wb, plan.summary_sheet, plan.summary.table), plan.summary)
    if plan.log_append or plan.log_updates:
        _append_log(wb, plan.log_sheet, plan.log_append, plan.log_updates)
    wb.calculation.fullCalcOnLoad = True  # openpyxl drops cached formula results: recalculate on open

    backup_path = path.with_name(f"{path.stem}.bak{path.suffix}") if backup else None
    tool_sheets = {ws.title for ws in wb.worksheets
                   if normalize_name(ws.title) in {normalize_name(plan.aging_sheet), normalize_name(plan.summary_sheet)}}
    _save_atomically(wb, path, backup_path, tool_sheets)
    cells, matched, unmatched, added = counts
    return WriteReport(cells, matched, unmatched, added, backup_path)


def _write_invoices(ws: Worksheet, plan: WritePlan) -> tuple[int, int, tuple[str, ...], tuple[str, ...]]:
    hrow = header_row(ws, plan.invoice_no_header)
    headers = header_map(ws, hrow)
    no_col = headers.get(normalize_name(plan.invoice_no_header))
    if no_col is None:
        raise SheetSyncError(f"The {ws.title} sheet has no '{plan.invoice_no_header}' column in row {hrow}.")
    last_col = max(headers.values())
    template = ws.cell(hrow, last_col)
    added = []
    tool_cols = []
    for name in plan.tool_columns:
        col = headers.get(normalize_name(name))
        if col is None:
            last_col += 1
            col = last_col
            cell = ws.cell(hrow, col, name)
            if template.has_style:
                cell.font, cell.fill, cell.border = copy(template.font), copy(template.fill), copy(template.border)
                cell.alignment = copy(template.alignment)
            width = _width_of(ws, template.column)
            ws.column_dimensions[get_column_letter(col)].width = max(width or 0, len(name) + 4, 12)
            headers[normalize_name(name)] = col
            added.append(name)
        tool_cols.append(col)
    currency_col = headers.get(normalize_name(plan.currency_header))
    paid_col = headers.get(normalize_name(plan.amount_paid_header)) if plan.amount_paid else None
    money_in = {normalize_name(h) for h in ("Balance",)}
    money_cols = {c for name, c in zip(plan.tool_columns, tool_cols) if normalize_name(name) in money_in}

    rows_by_no: dict[str, list[int]] = {}
    blank_rows: set[int] = set()
    for r in range(hrow + 1, ws.max_row + 1):
        key = invoice_key(ws.cell(r, no_col).value)
        if key:
            rows_by_no.setdefault(key, []).append(r)
        else:
            blank_rows.add(r)

    cells = matched = 0

    def write_row(r: int, values: Iterable[Any]) -> None:
        nonlocal cells
        currency = str(ws.cell(r, currency_col).value or "").strip().upper() if currency_col else ""
        for col, value in zip(tool_cols, values):
            cell = ws.cell(r, col)
            set_value(cell, value)
            if col in money_cols and isinstance(value, (int, Decimal)):
                cell.number_format = money_pattern(currency)
            cells += 1

    for no, values in plan.invoice_updates.items():
        for r in rows_by_no.get(no, ()):
            write_row(r, values)
            matched += 1
    for r, values in plan.row_updates.items():
        if r in blank_rows:
            write_row(r, values)
    for no, amount in plan.amount_paid.items():
        for r in rows_by_no.get(no, ()):
            cell = ws.cell(r, paid_col)
            set_value(cell, amount)
            currency = str(ws.cell(r, currency_col).value or "").strip().upper() if currency_col else ""
            cell.number_format = money_pattern(currency)
            cells += 1
    unmatched = tuple(no for no in plan.invoice_updates if no not in rows_by_no)
    return cells, matched, unmatched, tuple(added)


def _width_of(ws: Worksheet, col: int) -> float | None:
    """The width of column `col`: its own entry or an entry for a range of columns that covers it.
    Never `ws.column_dimensions[letter]`: that creates an entry, saved as a width the owner never set."""
    for key, dim in ws.column_dimensions.items():
        first = dim.min or column_index_from_string(key)
        if first <= col <= (dim.max or first):
            return dim.width
    return None


def _replace_sheet(wb: openpyxl.Workbook, name: str, table: SheetTable) -> Worksheet:
    old = find_sheet(wb, name)
    index = wb.worksheets.index(old) if old is not None else len(wb.worksheets)
    title = old.title if old is not None else name
    if old is not None:
        wb.remove(old)
    ws = wb.create_sheet(title, index)
    _write_table(ws, table)
    return ws


def _style_header(ws: Worksheet, n: int) -> None:
    for col in range(1, n + 1):
        cell = ws.cell(1, col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = "A2"


def _write_table(ws: Worksheet, table: SheetTable) -> None:
    headers = list(table.headers)
    for col, name in enumerate(headers, start=1):
        ws.cell(1, col, name)
    _style_header(ws, len(headers))
    index = {h: i for i, h in enumerate(headers)}
    formats = [table.formats.get(h, "") for h in headers]
    widths = [len(h) + 2 for h in headers]
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c)
            set_value(cell, value)
            fmt = formats[c - 1]
            if fmt == "date" and isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif fmt == "int":
                cell.number_format = "0"
            elif fmt.startswith("money:") and isinstance(value, (int, Decimal)):
                currency_at = index.get(fmt.split(":", 1)[1])
                currency = str(row[currency_at] or "") if currency_at is not None else ""
                cell.number_format = money_pattern(currency)
            shown = 10 if isinstance(value, date) else len(f"{value:,}") if isinstance(value, (int, Decimal)) else len(str(value or ""))
            widths[c - 1] = max(widths[c - 1], shown + 2)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(width, MAX_WIDTH)
    last = max(len(table.rows) + 1, 2)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last}"


def _write_summary(ws: Worksheet, summary: SummaryTable) -> None:
    n_rows = len(summary.table.rows)
    as_of_row = n_rows + 3
    ws.cell(as_of_row, 1, "As of")
    set_value(ws.cell(as_of_row, 2), summary.as_of)
    ws.cell(as_of_row, 1).font = Font(bold=True)
    if not summary.total_rows:
        return
    headers = list(summary.table.headers)
    first_bucket = headers.index(summary.bucket_labels[0]) + 1
    last_bucket = headers.index(summary.bucket_labels[-1]) + 1
    first_total = n_rows + 2 - summary.total_rows
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Open balance by age"
    chart.y_axis.title = "Amount"
    chart.x_axis.title = "Days overdue"
    for r in range(first_total, n_rows + 2):
        series = Reference(ws, min_col=first_bucket, max_col=last_bucket, min_row=r, max_row=r)
        chart.add_data(series, from_rows=True, titles_from_data=False)
        chart.series[-1].tx = None
        from openpyxl.chart.series import SeriesLabel

        chart.series[-1].tx = SeriesLabel(v=str(ws.cell(r, headers.index("Currency") + 1).value))
    chart.set_categories(Reference(ws, min_col=first_bucket, max_col=last_bucket, min_row=1, max_row=1))
    chart.height, chart.width = 8, 16
    ws.add_chart(chart, f"A{as_of_row + 2}")


def _append_log(wb: openpyxl.Workbook, name: str, rows: tuple[tuple[Any, ...], ...],
                updates: Mapping[int, tuple[Any, ...]]) -> None:
    ws = find_sheet(wb, name)
    if ws is None:
        ws = wb.create_sheet(name)
        for col, header in enumerate(LOG_COLUMNS, start=1):
            ws.cell(1, col, header)
        _style_header(ws, len(LOG_COLUMNS))
        widths = (22, 16, 12, 10, 32, 48, 40, 10, 12, 40)
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.auto_filter.ref = f"A1:{get_column_letter(len(LOG_COLUMNS))}1"
    hrow = header_row(ws, LOG_COLUMNS[0])
    headers = header_map(ws, hrow)
    next_col = max(headers.values(), default=0)
    cols = []
    for header in LOG_COLUMNS:
        col = headers.get(normalize_name(header))
        if col is None:
            next_col += 1
            col = next_col
            ws.cell(hrow, col, header).font = Font(bold=True)
        cols.append(col)
    last = hrow
    for r in range(ws.max_row, hrow, -1):
        if any(ws.cell(r, c).value not in (None, "") for c in cols):
            last = r
            break
    for r, row in updates.items():
        if r > hrow:
            for col, value in zip(cols, row):
                set_value(ws.cell(r, col), value)
    for i, row in enumerate(rows, start=1):
        for col, value in zip(cols, row):
            set_value(ws.cell(last + i, col), value)
    if ws.auto_filter.ref:
        ws.auto_filter.ref = f"A{hrow}:{get_column_letter(max(cols))}{last + len(rows)}"


def _save_atomically(wb: openpyxl.Workbook, path: Path, backup_path: Path | None, tool_sheets: set[str]) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        wb.save(tmp)
        restore_cached_results(path, tmp, skip=tool_sheets)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if backup_path is not None:
            shutil.copy2(path, backup_path)
        shutil.copymode(path, tmp)  # mkstemp made it 0600 (and restore_cached_results rewrote it): keep the owner's
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SheetSyncError(f"Cannot save {path.name} ({exc.strerror}); the workbook was left as it was.") from None
        raise

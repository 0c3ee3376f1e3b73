"""Applying a sync's writes to an .xlsx with openpyxl: read the shape, apply `layout.Writes`, save atomically.

Where each value goes and its format were decided in layout.py; this module only puts them into the
workbook. Every value is written as a plain value: text that starts with `=`, `+`, `-` or `@` stays
text. The file is saved to a temporary file (with the workbook's own permissions) and renamed over
the original, after a copy of the previous version is kept as `<stem>.bak.xlsx`.
"""
from __future__ import annotations

from copy import copy
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.cell.cell import Cell as OpenpyxlCell, MergedCell
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sheet_sync.backends.base import WriteReport
from sheet_sync.backends.xlsx_cache import restore_cached_results
from sheet_sync.backends.xlsx_zip import refuse_if_open
from sheet_sync.cells import ooxml_text
from sheet_sync.errors import SheetSyncError
from sheet_sync.layout import (
    HEADER_FILL, HEADER_TEXT, AppendShape, Cell, InvoicesShape, RecurringShape, LogShape, LogWrites, Shape, ToolSheet, Writes, header_row,
    is_formula_like, lay_out, log_columns,
)
from sheet_sync.model import LOG_COLUMNS, WritePlan, normalize_name
from sheet_sync.raw import HEADER_SEARCH_ROWS, find_sheet

HEADER_FONT = Font(bold=True, color=HEADER_TEXT)
HEADER_FILL_STYLE = PatternFill("solid", fgColor=HEADER_FILL)


def write_workbook(path: Path, plan: WritePlan, *, backup: bool = True) -> WriteReport:
    """Apply `plan` to the workbook at `path`, atomically."""
    from sheet_sync.backends.xlsx_zip import file_signature

    refuse_if_open(path)
    before = file_signature(path)
    try:
        wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    except FileNotFoundError:
        raise SheetSyncError(f"The workbook {path} does not exist.") from None
    except Exception as exc:
        raise SheetSyncError(f"Cannot open {path.name} to write to it ({type(exc).__name__}: {exc}).") from None

    shape = shape_of(wb, plan)
    if shape.invoices is None:
        raise SheetSyncError(f"The workbook has no '{plan.invoices_sheet}' sheet with an '{plan.invoice_no_header}' "
                             "column to write to.")
    writes = lay_out(plan, shape)
    apply_writes(wb, writes)
    wb.calculation.fullCalcOnLoad = True  # openpyxl drops cached formula results: recalculate on open

    backup_path = path.with_name(f"{path.stem}.bak{path.suffix}") if backup else None
    _save_atomically(wb, path, backup_path, {s.title for s in writes.sheets}, before)
    inv = writes.invoices
    return WriteReport(writes.cells_written, inv.rows_matched if inv else 0, inv.unmatched if inv else (),
                       tuple(c.value for c in inv.new_headers) if inv else (), backup_path)


# ---- the shape -------------------------------------------------------------------------------------

def _worksheet(wb: openpyxl.Workbook, name: str) -> Worksheet | None:
    title = find_sheet(wb.sheetnames, name)
    return wb[title] if title is not None else None


def _header_row(ws: Worksheet, wanted: str) -> tuple[int, tuple[str, ...]]:
    return header_row(enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), start=1), wanted)


def _column(ws: Worksheet, col: int, first_row: int) -> tuple:
    """The values down column `col` from `first_row` to the last one that holds something (not ws.max_row,
    which a formatted cell far down stretches)."""
    last = max((r for (r, c), cell in ws._cells.items() if c == col and cell.value is not None), default=0)
    if col < 1 or last < first_row:
        return ()
    return tuple(ooxml_text(r[0]) for r in ws.iter_rows(min_row=first_row, max_row=last, min_col=col,
                                                        max_col=col, values_only=True))


def shape_of(wb: openpyxl.Workbook, plan: WritePlan) -> Shape:
    invoices = None
    ws = _worksheet(wb, plan.invoices_sheet)
    if ws is not None:
        hrow, headers = _header_row(ws, plan.invoice_no_header)
        keys = [normalize_name(h) for h in headers]
        if normalize_name(plan.invoice_no_header) in keys:
            no_col = keys.index(normalize_name(plan.invoice_no_header)) + 1
            cur_key = normalize_name(plan.currency_header)
            cur_col = keys.index(cur_key) + 1 if cur_key in keys else 0
            last_used = max([col for (_, col), cell in ws._cells.items() if cell.value not in (None, "")]
                            + [m.max_col for m in ws.merged_cells.ranges])
            last_row = max([r for (r, _), cell in ws._cells.items() if cell.value not in (None, "")], default=0)
            invoices = InvoicesShape(ws.title, hrow, headers, _column(ws, no_col, hrow + 1),
                                     _column(ws, cur_col, hrow + 1) if cur_col else (), last_used, last_row)
    log = LogShape()
    ls = _worksheet(wb, plan.log_sheet)
    if ls is not None:
        hrow, headers = _header_row(ls, LOG_COLUMNS[0])
        cols = log_columns(headers)
        ids = _column(ls, cols[LOG_COLUMNS.index("Message ID")], hrow + 1)
        last = hrow
        for r, row in enumerate(ls.iter_rows(min_row=hrow + 1, max_row=ls.max_row, values_only=True), start=hrow + 1):
            if any(c - 1 < len(row) and row[c - 1] not in (None, "") for c in cols):
                last = r
        log = LogShape(ls.title, hrow, headers, tuple("" if v is None else str(v) for v in ids), last)
    line_items = None
    li = _worksheet(wb, plan.line_items_sheet) if plan.line_item_rows_add else None
    if li is not None:
        hrow, headers = _header_row(li, plan.invoice_no_header)
        last_row = max([r for (r, _), cell in li._cells.items() if cell.value not in (None, "")], default=0)
        line_items = AppendShape(li.title, hrow, headers, last_row)
    return Shape(invoices, log, tuple(wb.sheetnames), _recurring_shape(wb, plan), line_items)


def _recurring_shape(wb: openpyxl.Workbook, plan: WritePlan) -> RecurringShape | None:
    ws = _worksheet(wb, plan.recurring_sheet) if plan.next_dates else None
    if ws is None:
        return None
    hrow, headers = _header_row(ws, plan.next_date_header)
    keys = [normalize_name(h) for h in headers]
    cols = [keys.index(normalize_name(h)) + 1 if normalize_name(h) in keys else 0 for h in plan.recurring_key_headers]
    rows = []
    for r in range(hrow + 1, ws.max_row + 1):
        cid, desc = (ws.cell(r, c).value if c else None for c in cols)
        if cid not in (None, "") or desc not in (None, ""):
            rows.append((r, cid, desc))
    return RecurringShape(ws.title, hrow, headers, tuple(rows))


# ---- applying -----------------------------------------------------------------------------------------

def _put(ws: Worksheet, c: Cell) -> None:
    cell = ws.cell(c.row, c.column)
    if isinstance(cell, MergedCell):
        # The owner merged cells of a tool column: the value goes under the merge (hidden, as the surgical
        # writer leaves it), which stays as the owner made it; a MergedCell itself cannot hold a value.
        real = OpenpyxlCell(ws, row=c.row, column=c.column)
        real._style = copy(cell._style)
        ws._cells[(c.row, c.column)] = cell = real
    cell.value = c.value
    if is_formula_like(c.value):
        cell.data_type = "s"
    if c.number_format is not None:
        cell.number_format = c.number_format


def _style_header(ws: Worksheet, row: int, columns: int) -> None:
    for col in range(1, columns + 1):
        cell = ws.cell(row, col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL_STYLE
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = f"A{row + 1}"


def _set_widths(ws: Worksheet, widths) -> None:
    for col, width in widths:
        ws.column_dimensions[get_column_letter(col)].width = width


def apply_writes(wb: openpyxl.Workbook, writes: Writes) -> None:
    if writes.invoices is not None:
        inv = writes.invoices
        ws = wb[inv.title]
        if inv.new_headers:
            # New header cells look like the owner's last header cell (read without creating anything).
            filled = [col for (row, col), cell in ws._cells.items() if row == inv.header_row and cell.value not in (None, "")]
            template = ws._cells.get((inv.header_row, max(filled))) if filled else None
            for c in inv.new_headers:
                _put(ws, c)
                if template is not None and template.has_style:
                    cell = ws.cell(c.row, c.column)
                    cell.font, cell.fill, cell.border = copy(template.font), copy(template.fill), copy(template.border)
                    cell.alignment = copy(template.alignment)
            _set_widths(ws, inv.new_widths)
        for c in inv.cells:
            _put(ws, c)
        _add_rows(ws, inv.added, inv.added_like)  # recurring invoices, styled as the owner's last invoice row
    if writes.line_items is not None:
        _add_rows(wb[writes.line_items.title], writes.line_items.cells, writes.line_items.like)
    if writes.recurring is not None:
        ws = wb[writes.recurring.title]
        for c in writes.recurring.cells:
            _put(ws, c)
    for sheet in writes.sheets:
        _replace_sheet(wb, sheet)
    if writes.log is not None:
        _write_log(wb, writes.log)


def _add_rows(ws: Worksheet, cells, like: int) -> None:
    """Added owner rows: each cell in the style of the cell of row `like` in its column (the owner's number
    or date format); with no such style, or a General one, the cell's own format."""
    for c in cells:
        above = ws._cells.get((like, c.column)) if like else None
        fmt = c.number_format
        if above is not None and above.has_style and (fmt is None or above.number_format != "General"):
            fmt = None
        if above is not None and above.has_style:
            ws.cell(c.row, c.column)._style = copy(above._style)
        _put(ws, c._replace(number_format=fmt))


def _replace_sheet(wb: openpyxl.Workbook, sheet: ToolSheet) -> None:
    old = wb[sheet.title] if sheet.title in wb.sheetnames else None
    index = wb.worksheets.index(old) if old is not None else len(wb.worksheets)
    if old is not None:
        wb.remove(old)
    ws = wb.create_sheet(sheet.title, index)
    for c in sheet.cells:
        _put(ws, c)
    _style_header(ws, 1, sheet.columns)
    for row, col in sheet.bold:
        ws.cell(row, col).font = Font(bold=True)
    _set_widths(ws, enumerate(sheet.widths, start=1))
    ws.auto_filter.ref = f"A1:{get_column_letter(sheet.columns)}{sheet.filter_rows}"
    if sheet.dropdown is not None:  # the Outgoing sheet's Approve: a list to choose from, blank allowed
        from openpyxl.worksheet.datavalidation import DataValidation

        column, choices = sheet.dropdown
        letter = get_column_letter(column)
        listed = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
        listed.add(f"{letter}2:{letter}{max(sheet.filter_rows, 2)}")
        ws.add_data_validation(listed)
    if sheet.chart is not None:
        ch = sheet.chart
        chart = BarChart()
        chart.type, chart.grouping = "col", "clustered"
        chart.title, chart.y_axis.title, chart.x_axis.title = ch.title, ch.y_title, ch.x_title
        for row, name in ch.series:
            chart.add_data(Reference(ws, min_col=ch.first_column, max_col=ch.last_column, min_row=row, max_row=row),
                           from_rows=True, titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=name)
        chart.set_categories(Reference(ws, min_col=ch.first_column, max_col=ch.last_column, min_row=ch.header_row,
                                       max_row=ch.header_row))
        chart.height, chart.width = 8, 16
        ws.add_chart(chart, f"A{ch.anchor_row}")


def _write_log(wb: openpyxl.Workbook, log: LogWrites) -> None:
    ws = wb.create_sheet(log.title) if log.create else wb[log.title]
    for c in log.new_headers:
        _put(ws, c)
        ws.cell(c.row, c.column).font = HEADER_FONT if log.create else Font(bold=True)
    if log.create:
        _style_header(ws, log.header_row, len(log.new_headers))
        _set_widths(ws, enumerate(log.widths, start=1))
        ws.auto_filter.ref = f"A1:{get_column_letter(len(LOG_COLUMNS))}1"
    for c in log.cells:
        _put(ws, c)
    if ws.auto_filter.ref:
        last_col = max([ws.max_column] + [c.column for c in log.new_headers])
        ws.auto_filter.ref = f"A{log.header_row}:{get_column_letter(last_col)}{log.last_row}"


def _save_atomically(wb: openpyxl.Workbook, path: Path, backup_path: Path | None, tool_sheets: set[str],
                     unchanged_since: tuple | None = None) -> None:
    import shutil
    import tempfile

    from sheet_sync.backends.xlsx_zip import replace_atomically

    def write(fh) -> None:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.") as folder:
            saved = Path(folder) / path.name
            wb.save(saved)
            restore_cached_results(path, saved, skip=tool_sheets)
            with open(saved, "rb") as src:
                shutil.copyfileobj(src, fh)

    try:
        replace_atomically(path, write, backup_path, unchanged_since)  # the owner's mode, owner and group are kept
    except OSError as exc:
        raise SheetSyncError(f"Cannot save {path.name} ({exc.strerror}); the workbook was left as it was.") from None

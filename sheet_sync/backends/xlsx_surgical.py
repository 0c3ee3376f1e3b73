"""The Excel write-back that touches only what the tool owns: the surgical writer.

The package is read once. The shape of the Invoices sheet and of the Reminder Log is read from their XML,
`layout.lay_out()` decides the writes, and then only these parts change:

- the Invoices sheet: the cells of the tool-owned columns (and Amount Paid) are spliced into its XML, new
  header cells and their column widths added, `<dimension>` widened; every other byte stays;
- the Reminder Log: rows appended or updated in place the same way (or the sheet added, styled);
- Aging and Aging Summary: written whole into their parts, the Summary's chart as a drawing and a chart
  part (their old drawings and charts removed);
- the parts that must list these: the workbook and its relationships, [Content_Types].xml, styles.xml
  (number formats and the header style appended, never renumbered), the shared strings' `count`, and
  calcChain.xml, dropped (Excel rebuilds it) only when a formula in a tool-owned cell was replaced.

Every other zip member is copied as its original compressed bytes. Formula results stay as Excel saved
them, so other readers (and the next sync) see them; `fullCalcOnLoad` asks the spreadsheet program to
recompute on open, as the owner's formulas may read the cells the tool just wrote. Whatever this writer does not handle raises `Unsupported`
before anything is written; `ExcelBackend.apply` then runs the openpyxl writer instead.
"""
from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Mapping, Sequence

from sheet_sync.backends.base import WriteReport
from sheet_sync.backends.xlsx_package import (
    CHART_CT, DRAWING_CT, REL_TYPE, WORKSHEET_CT, ContentTypes, SheetEntry, Workbook, free_part, read_rels,
    rels_name, rels_xml, shared_strings, with_count_reduced,
)
from sheet_sync.backends.xlsx_sheet import Existing, Put, Row, SheetXml, cell_xml, number_frame, number_text
from sheet_sync.backends.xlsx_styles import Styles
from sheet_sync.backends.xlsx_tool_sheets import chart_xml, drawing_xml, filter_ref, sheet_xml
from sheet_sync.backends.xlsx_zip import (
    Unsupported, ZipSink, ZipSource, backup_path_of, file_signature, refuse_if_open, replace_atomically,
)
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.layout import (
    AppendShape, Cell, InvoicesShape, InvoiceWrites, LogShape, LogWrites, OwnerCells, OwnerRows, RecurringShape, Shape,
    ToolSheet, header_row, lay_out, log_columns,
)
from sheet_sync.model import LOG_COLUMNS, WritePlan, adjacent_spans, column_letter, column_number, normalize_name
from sheet_sync.raw import find_sheet

WRITER = "surgical"
_REF = re.compile(r"([A-Z]+)(\d+)")


def write_workbook(path: Path, plan: WritePlan, *, backup: bool = True, invoices: InvoicesShape | None = None,
                   ) -> WriteReport:
    """Apply `plan` to the .xlsx/.xlsm at `path`, changing only what the tool owns. Raises `Unsupported`
    (nothing written) for a package this writer does not handle.

    `invoices`: the Invoices sheet's shape when the caller knows the file has not changed since it read it
    (the writer then does not read it again)."""
    refuse_if_open(path)
    if not path.is_file():
        raise Unsupported(f"{path} is not a file")
    before = file_signature(path)  # (api.sync keeps the garbage collector off for the whole run)
    with ZipSource(path) as src:
        edit = _Edit(src)
        report = edit.apply(plan, invoices)
        backup_path = backup_path_of(path) if backup else None
        try:
            replace_atomically(path, edit.write, backup_path, unchanged_since=before)
        except OSError as exc:  # a full disk, a folder made read-only meanwhile, a path too long (Windows)
            raise SheetSyncError(f"Cannot save {path.name} ({exc.strerror}); the workbook was left as it was.",
                                 kind=ErrorKind.WORKBOOK_UNREADABLE) from None
    return WriteReport(report.cells_written, report.rows_matched, report.unmatched_invoices, report.columns_added,
                       backup_path, writer=WRITER)


class _Edit:
    """The changes to one package, gathered in memory, then written as a new zip."""

    def __init__(self, src: ZipSource):
        self.src = src
        self.workbook = Workbook.read(src)
        self.types = ContentTypes(src.read(ContentTypes.NAME)) if ContentTypes.NAME in src.by_name else None
        if self.types is None:
            raise Unsupported("no [Content_Types].xml")
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self.taken = set(src.by_name)
        self._strings: list[str] | None = None
        self._styles: Styles | None = None
        self.shared_refs_dropped = 0
        self.formulas_dropped = False

    # ---- reading ----

    def strings(self) -> list[str]:
        if self._strings is None:
            part = self.workbook.target("sharedStrings")
            self._strings = shared_strings(self.src.read(part) if part in self.src.by_name else None)
        return self._strings

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            part = self.workbook.target("styles")
            self._styles = Styles(self.src.read(part) if part and part in self.src.by_name else None)
        return self._styles

    def entry(self, title: str | None) -> SheetEntry | None:
        return next((s for s in self.workbook.sheets if s.name == title), None) if title is not None else None

    def sheet(self, entry: SheetEntry) -> SheetXml:
        if entry.part is None or entry.part not in self.src.by_name:
            raise Unsupported(f"the part of sheet '{entry.name}' is missing")
        if self.types.of(entry.part) != WORKSHEET_CT:
            raise Unsupported(f"'{entry.name}' is not a worksheet")
        return SheetXml(self.src.read(entry.part), entry.part)

    def header_row(self, sheet: SheetXml, wanted: str) -> tuple[int, tuple[str, ...]]:
        """As the openpyxl writer finds it (layout.header_row), from the sheet's XML, reading rows lazily."""
        return header_row(((row.number, sheet.row_values(row, self.strings)) for row in sheet.rows), wanted)

    def shape(self, plan: WritePlan, known: InvoicesShape | None = None,
              ) -> tuple[Shape, SheetXml | None, SheetXml | None]:
        titles = tuple(s.name for s in self.workbook.sheets)
        invoices, inv_sheet = None, None
        entry = self.entry(find_sheet(titles, plan.invoices_sheet))
        if entry is not None and known is not None and known.title == entry.name:
            inv_sheet, invoices = self.sheet(entry), known
            invoices = replace(invoices, last_column=max(invoices.last_column, inv_sheet.last_merged_column()))
        elif entry is not None:
            inv_sheet = self.sheet(entry)
            hrow, headers = self.header_row(inv_sheet, plan.invoice_no_header)
            keys = [normalize_name(h) for h in headers]
            if normalize_name(plan.invoice_no_header) in keys:
                no_col = keys.index(normalize_name(plan.invoice_no_header)) + 1
                cur_key = normalize_name(plan.currency_header)
                cur_col = keys.index(cur_key) + 1 if cur_key in keys else 0
                found = inv_sheet.column_values([no_col, cur_col], hrow + 1, self.strings)
                last = max([hrow, *found[no_col], *found.get(cur_col, {})])
                rows = range(hrow + 1, last + 1)
                invoices = InvoicesShape(entry.name, hrow, headers, tuple(found[no_col].get(r) for r in rows),
                                         tuple(found[cur_col].get(r) for r in rows) if cur_col else (),
                                         max(inv_sheet.last_value_column(), inv_sheet.last_merged_column()))
        log, log_sheet = LogShape(), None
        entry = self.entry(find_sheet(titles, plan.log_sheet))
        if entry is not None:
            log_sheet = self.sheet(entry)
            hrow, headers = self.header_row(log_sheet, LOG_COLUMNS[0])
            cols = log_columns(headers)
            message_ids = cols[LOG_COLUMNS.index("Message ID")]
            id_col = log_sheet.column_values([message_ids], hrow + 1, self.strings)[message_ids]
            last = max(hrow, log_sheet.last_value_row(cols))
            ids = tuple("" if id_col.get(r) is None else str(id_col[r]) for r in range(hrow + 1, last + 1))
            log = LogShape(entry.name, hrow, headers, ids, last)
        if invoices is not None and inv_sheet is not None and plan.invoice_rows_add:  # added rows go below the last
            invoices = replace(invoices, last_row=inv_sheet.last_value_row())
        recurring = self._recurring_shape(plan, titles)
        line_items = None
        entry = self.entry(find_sheet(titles, plan.line_items_sheet)) if plan.line_item_rows_add else None
        if entry is not None:
            sheet = self.sheet(entry)
            hrow, headers = self.header_row(sheet, plan.invoice_no_header)
            line_items = AppendShape(entry.name, hrow, headers, sheet.last_value_row())
        return Shape(invoices, log, titles, recurring, line_items), inv_sheet, log_sheet

    def _recurring_shape(self, plan: WritePlan, titles: tuple[str, ...]) -> RecurringShape | None:
        entry = self.entry(find_sheet(titles, plan.recurring_sheet)) if plan.next_dates else None
        if entry is None:
            return None
        sheet = self.sheet(entry)
        hrow, headers = self.header_row(sheet, plan.next_date_header)
        keys = [normalize_name(h) for h in headers]
        cols = [keys.index(normalize_name(h)) + 1 if normalize_name(h) in keys else 0 for h in plan.recurring_key_headers]
        found = sheet.column_values(cols, hrow + 1, self.strings)
        rows = sorted({r for c in found.values() for r in c})
        return RecurringShape(entry.name, hrow, headers, tuple(
            (r, found.get(cols[0], {}).get(r), found.get(cols[1], {}).get(r)) for r in rows))

    # ---- changing ----

    def apply(self, plan: WritePlan, invoices: InvoicesShape | None = None) -> WriteReport:
        shape, inv_sheet, log_sheet = self.shape(plan, invoices)
        if shape.invoices is None or inv_sheet is None:
            raise Unsupported(f"no '{plan.invoices_sheet}' sheet with an '{plan.invoice_no_header}' column")
        writes = lay_out(plan, shape)
        inv = writes.invoices
        self._invoices(inv, inv_sheet)
        for sheet in writes.sheets:
            self._tool_sheet(sheet)
        if writes.log is not None:
            self._log(writes.log, log_sheet)
        if writes.recurring is not None:
            self._owner_cells(writes.recurring)
        if writes.line_items is not None:
            self._owner_rows(writes.line_items)
        self._finish()
        return WriteReport(writes.cells_written, inv.rows_matched, inv.unmatched, tuple(c.value for c in inv.new_headers))

    def _render(self, sheet: SheetXml) -> _CellWriter:
        return _CellWriter(self, sheet)

    def _invoices(self, inv: InvoiceWrites, sheet: SheetXml) -> None:
        puts: dict[int, dict[int, Put | Cell]] = {}
        for c in inv.cells:
            puts.setdefault(c.row, {})[c.column] = c  # a layout Cell: the existing cell's style kept
        if inv.added:  # recurring invoices: each cell styled as the one of the owner's last invoice row
            self._styled_like(inv.added, sheet, inv.added_like, puts)
        if inv.new_headers:
            template = _last_filled(sheet, inv.header_row, self.strings)
            for c in inv.new_headers:
                puts.setdefault(c.row, {})[c.column] = Put(c.value, None, template)
        cells = self._render(sheet)
        # a re-run leaves alone each row whose tool cells already hold what would be written (most of them)
        data = sheet.patch(puts, cells, None if inv.new_headers else cells.unchanged)
        data = _with_widths(data, sheet.p, inv.new_widths)
        data = _with_dimension(data, sheet.p, puts)
        if data != sheet.data:  # a re-run that changes nothing keeps the part's stored bytes
            self.changed[sheet.name] = data

    def _styled_like(self, cells: Sequence[Cell], sheet: SheetXml, like: int, puts: dict[int, dict[int, Put | Cell]]) -> None:
        """Puts for added owner rows: each cell in the style of the cell of row `like` in its column (the
        owner's number or date format); with no such style, or a General one, the cell's own format."""
        above = sheet.styles_of_row(like) if like else {}
        for c in cells:
            style = above.get(c.column)
            fmt = c.number_format
            if style is not None and not 0 <= style < len(self.styles.xfs):
                style = None
            if style is not None and (fmt is None or self.styles.xfs[style].get("numFmtId", "0") != "0"):
                fmt = None
            puts.setdefault(c.row, {})[c.column] = Put(c.value, fmt, style)

    def _owner_rows(self, rows: OwnerRows) -> None:
        """Rows appended to an owner's sheet (Line Items): the owner's formats from the row above."""
        sheet = self.sheet(self.entry(rows.title))
        puts: dict[int, dict[int, Put | Cell]] = {}
        self._styled_like(rows.cells, sheet, rows.like, puts)
        data = _with_dimension(sheet.patch(puts, self._render(sheet)), sheet.p, puts)
        if data != sheet.data:
            self.changed[sheet.name] = data

    def _owner_cells(self, owner: OwnerCells) -> None:
        """The Recurring sheet's Next Date cells: values only, each cell's style kept."""
        sheet = self.sheet(self.entry(owner.title))
        puts: dict[int, dict[int, Put | Cell]] = {}
        for c in owner.cells:
            puts.setdefault(c.row, {})[c.column] = c  # a layout Cell: the existing cell's style kept
        data = _with_dimension(sheet.patch(puts, self._render(sheet)), sheet.p, puts)
        if data != sheet.data:
            self.changed[sheet.name] = data

    def _log(self, log: LogWrites, sheet: SheetXml | None) -> None:
        if log.create:
            cells = log.new_headers + log.cells
            part = self._new_sheet_part(log.title)
            self.changed[part] = sheet_xml(cells, self.styles, header_row=log.header_row,
                                           header_columns=len(log.new_headers), widths=log.widths,
                                           filter_ref=filter_ref(log.header_row, len(LOG_COLUMNS), log.last_row),
                                           date1904=self.workbook.date1904)
            self._filter_name(log.title, filter_ref(log.header_row, len(LOG_COLUMNS), log.last_row))
            return
        assert sheet is not None
        puts: dict[int, dict[int, Put | Cell]] = {}
        for c in log.cells:
            puts.setdefault(c.row, {})[c.column] = c  # a layout Cell: the existing cell's style kept
        if log.new_headers:
            bold = self.styles.bold()
            for c in log.new_headers:
                puts.setdefault(c.row, {})[c.column] = Put(c.value, None, bold)
        data = sheet.patch(puts, self._render(sheet)) if puts else sheet.data
        data = _with_dimension(data, sheet.p, puts)
        m = re.search(rb"<" + re.escape(sheet.p) + rb"autoFilter\s[^>]*?ref\s*=\s*[\"']([^\"']*)[\"']", data)
        if m:
            last_col = max([*(column_number(c) for c, _ in _REF.findall(m.group(1).decode())), *(c.column for c in log.new_headers)])
            ref = filter_ref(log.header_row, last_col, log.last_row)
            data = data[:m.start(1)] + ref.encode() + data[m.end(1):]
            self._filter_name(log.title, ref)
        if data != sheet.data:
            self.changed[sheet.name] = data

    def _tool_sheet(self, sheet: ToolSheet) -> None:
        entry = self.entry(sheet.title)
        tab_selected = False
        ref = filter_ref(1, sheet.columns, sheet.filter_rows)
        new = None  # the sheet's XML, when made to compare with the old (a sheet without chart or relationships)
        if entry is not None:
            old = self.sheet(entry)  # a worksheet, or Unsupported
            part = entry.part
            tab_selected = re.search(rb"<(?:[\w.\-]+:)?sheetView\s[^>]*tabSelected\s*=\s*[\"'](1|true)", old.data) is not None
            if sheet.chart is None and rels_name(part) not in self.src.by_name:
                new = self._tool_sheet_xml(sheet, ref, None, tab_selected)
                if new == old.data:  # the same as it stands: its stored bytes are kept
                    self._filter_name(sheet.title, ref)
                    return
            self.shared_refs_dropped += len(re.findall(rb"<(?:[\w.\-]+:)?c\s[^>]*\st\s*=\s*[\"']s[\"']", old.data))
            if re.search(rb"<(?:[\w.\-]+:)?f[\s>/]", old.data):
                self.formulas_dropped = True
            self._drop_related(part)
        else:
            part = self._new_sheet_part(sheet.title)
        drawing_rel = None
        if sheet.chart is not None:
            drawing_rel = "rId1"
            drawing = free_part(self.taken, "xl/drawings/drawing%d.xml")
            chart = free_part(self.taken, "xl/charts/chart%d.xml")
            values = {(c.row, c.column): c.value for c in sheet.cells}
            self.changed[rels_name(part)] = rels_xml(part, [(drawing_rel, REL_TYPE + "drawing", drawing)])
            self.changed[drawing] = drawing_xml(sheet.chart, "rId1")
            self.changed[rels_name(drawing)] = rels_xml(drawing, [("rId1", REL_TYPE + "chart", chart)])
            self.changed[chart] = chart_xml(sheet.chart, sheet.title, values)
            self.types.add(drawing, DRAWING_CT)
            self.types.add(chart, CHART_CT)
        self.changed[part] = new if new is not None else self._tool_sheet_xml(sheet, ref, drawing_rel, tab_selected)
        self._filter_name(sheet.title, ref)

    def _tool_sheet_xml(self, sheet: ToolSheet, ref: str, drawing_rel: str | None, tab_selected: bool) -> bytes:
        return sheet_xml(sheet.cells, self.styles, header_row=1, header_columns=sheet.columns, widths=sheet.widths,
                         filter_ref=ref, bold=sheet.bold, drawing_rel=drawing_rel, tab_selected=tab_selected,
                         date1904=self.workbook.date1904, dropdown=_dropdown(sheet))

    def _new_sheet_part(self, title: str) -> str:
        part = free_part(self.taken, "xl/worksheets/sheet%d.xml")
        while rels_name(part) in self.taken:
            part = free_part(self.taken, "xl/worksheets/sheet%d.xml")
        self.workbook.add_sheet(title, part)
        self.types.add(part, WORKSHEET_CT)
        return part

    def _filter_name(self, title: str, ref: str) -> None:
        index = next(i for i, s in enumerate(self.workbook.sheets) if s.name == title)
        self.workbook.set_filter_name(index, title, ref)

    def _drop_related(self, part: str) -> None:
        """Remove the relationships of a sheet that is written anew, and the parts only it used."""
        own = rels_name(part)
        if own not in self.src.by_name:
            return
        doomed, queue = set(), [own]
        while queue:
            rels_part = queue.pop()
            if rels_part in doomed:
                continue
            doomed.add(rels_part)
            source = _source_of(rels_part)
            for rel in read_rels(self.src.read(rels_part), source):
                if rel.external or rel.target in doomed or rel.target not in self.src.by_name:
                    continue
                if self._used_elsewhere(rel.target, doomed | {rels_part}):
                    continue
                doomed.add(rel.target)
                if rels_name(rel.target) in self.src.by_name:
                    queue.append(rels_name(rel.target))
        for name in doomed:
            self.removed.add(name)
            self.types.remove(name)

    def _used_elsewhere(self, target: str, skip: set[str]) -> bool:
        for name in self.src.by_name:
            if name.endswith(".rels") and name not in skip and name not in self.removed:
                if any(r.target == target for r in read_rels(self.src.read(name), _source_of(name)) if not r.external):
                    return True
        return False

    def _finish(self) -> None:
        if self._styles is not None and self._styles.changed:
            self.changed[self.workbook.target("styles")] = self._styles.to_bytes()
        strings_part = self.workbook.target("sharedStrings")
        if self.shared_refs_dropped and strings_part in self.src.by_name:
            self.changed[strings_part] = with_count_reduced(self.src.read(strings_part), self.shared_refs_dropped)
        if self.formulas_dropped:
            self._drop_calc_chain()
        # The owner's formulas may read the tool's cells (a total of Balance, a count of Overdue): their
        # saved results are kept for other readers, and the spreadsheet program recomputes them on open.
        self.workbook.request_recalculation()
        if self.workbook.changed:
            self.changed[self.workbook.part] = self.workbook.data
        if self.workbook.rels_changed:
            self.changed[rels_name(self.workbook.part)] = self.workbook.rels_data
        if self.types.changed:
            self.changed[ContentTypes.NAME] = self.types.data

    def _drop_calc_chain(self) -> None:
        """calcChain.xml lists formula cells; Excel rebuilds it when it is missing, but repairs a file whose
        chain names a cell that no longer holds a formula."""
        part = self.workbook.target("calcChain")
        if part is None:
            return
        rel = next(r for r in self.workbook.rels if r.target == part)
        pattern = rb"<(?:[\w.\-]+:)?Relationship\s[^>]*Id\s*=\s*[\"']" + re.escape(rel.id.encode()) + rb"[\"'][^>]*/>"
        self.workbook.rels_data = re.sub(pattern, b"", self.workbook.rels_data, count=1)
        self.workbook.rels = [r for r in self.workbook.rels if r.id != rel.id]
        self.workbook.rels_changed = True
        self.removed.add(part)
        self.types.remove(part)

    # ---- writing ----

    def write(self, fh) -> None:
        sink = ZipSink(fh)
        for info in self.src.infos:
            if info.filename in self.changed:  # a part removed and written anew (a tool sheet's rels) is changed
                sink.add(info.filename, self.changed[info.filename], like=info)
            elif info.filename in self.removed:
                continue
            else:
                sink.copy(self.src, info)
        for name, data in self.changed.items():
            if name not in self.src.by_name:
                sink.add(name, data)
        sink.close()


# ---- helpers -------------------------------------------------------------------------------------------


def _dropdown(sheet: ToolSheet) -> tuple[str, tuple[str, ...]] | None:
    """The tool sheet's dropdown as (cell range, choices): its column, rows 2 to the table's last."""
    if sheet.dropdown is None:
        return None
    column, choices = sheet.dropdown
    letter = column_letter(column)
    return f"{letter}2:{letter}{max(sheet.filter_rows, 2)}", choices


def _source_of(rels_part: str) -> str:
    folder, name = rels_part.rsplit("/_rels/", 1) if "/_rels/" in rels_part else ("", rels_part.split("_rels/", 1)[-1])
    name = name[:-len(".rels")]
    return f"{folder}/{name}" if folder else name


def _last_filled(sheet: SheetXml, header_row: int, strings) -> int | None:
    """The style of the last non-empty header cell: new header cells look like it."""
    row = next((r for r in sheet.rows if r.number == header_row), None)
    if row is None:
        return None
    filled = [c for c in sheet.cells(row) if sheet.value(c, strings) not in (None, "")]
    return filled[-1].style if filled else None


def _with_widths(data: bytes, p: bytes, widths: Sequence[tuple[int, float]]) -> bytes:
    """Widths for added columns, as `<col>` entries where no existing entry covers the column."""
    if not widths:
        return data
    pe = re.escape(p)
    block = re.search(rb"<" + pe + rb"cols(?:\s[^>]*)?>(.*?)</" + pe + rb"cols>", data, re.S)
    existing = []
    if block:
        for m in re.finditer(rb"<" + pe + rb"col\s[^>]*?>", block.group(1)):
            lo = re.search(rb"\smin\s*=\s*[\"'](\d+)", m.group(0))
            hi = re.search(rb"\smax\s*=\s*[\"'](\d+)", m.group(0))
            if lo and hi:
                existing.append((int(lo.group(1)), int(hi.group(1)), block.start(1) + m.start()))
    new = [(col, w) for col, w in widths if not any(lo <= col <= hi for lo, hi, _ in existing)]
    if not new:
        return data
    tag = p.decode() + "col"
    if block is None:
        items = "".join(f'<{tag} min="{c}" max="{c}" width="{w:g}" customWidth="1"/>' for c, w in new)
        at = re.search(rb"<" + pe + rb"sheetData[\s/>]", data).start()
        return data[:at] + f"<{p.decode()}cols>{items}</{p.decode()}cols>".encode() + data[at:]
    inserts: list[tuple[int, bytes]] = []
    for col, w in new:
        at = next((pos for lo, _, pos in sorted(existing) if lo > col), block.end(1))
        inserts.append((at, f'<{tag} min="{col}" max="{col}" width="{w:g}" customWidth="1"/>'.encode()))
    for at, item in sorted(inserts, key=lambda x: x[0], reverse=True):
        data = data[:at] + item + data[at:]
    return data


def _with_dimension(data: bytes, p: bytes, puts: dict[int, dict[int, Put | Cell]]) -> bytes:
    """`<dimension ref>` widened to cover the written cells."""
    if not puts:
        return data
    m = re.search(rb"<" + re.escape(p) + rb"dimension\s[^>]*?ref\s*=\s*[\"']([^\"']*)[\"']", data)
    if m is None:
        return data
    refs = _REF.findall(m.group(1).decode())
    if not refs:
        return data
    cols = [column_number(c) for c, _ in refs]
    rows = [int(r) for _, r in refs]
    lo_col, lo_row = min(cols + [min(min(c) for c in puts.values() if c)]), min(rows + [min(puts)])
    hi_col, hi_row = max(cols + [max(max(c) for c in puts.values() if c)]), max(rows + [max(puts)])
    ref = f"{column_letter(lo_col)}{lo_row}:{column_letter(hi_col)}{hi_row}".encode()
    if len(refs) == 1 and (lo_col, lo_row, hi_col, hi_row) == (cols[0], rows[0], cols[0], rows[0]):
        ref = m.group(1)
    if ref == m.group(1):  # no copy of a large sheet to say the same
        return data
    return data[:m.start(1)] + ref + data[m.end(1):]


_TAILS_KEPT = 4096  # the cell forms a _CellWriter remembers; the common ones (blank, 0, Paid) come back at once


class _CellWriter:
    """How the cells this writer puts into one sheet are written: each cell's XML (`__call__`, the `render`
    of `SheetXml.patch`), and whether a row already holds exactly that (`unchanged`)."""

    def __init__(self, writer: _Edit, sheet: SheetXml) -> None:
        self.writer, self.sheet = writer, sheet
        self._p = sheet.p.decode()
        self._formula_tag = b"<" + sheet.p + b"f"
        # The same value in the same style is written the same way: (type, value, format, style) -> the cell's XML
        # after its row number (None: no cell). Equal Decimals share an entry: cell_xml writes a number's shortest form.
        self._tails: dict[tuple, bytes | None] = {}
        self._heads: dict[int, bytes] = {}  # column -> the cell's start tag up to its row number
        self._refs: dict[int, bytes] = {}  # column -> `r="` and its letters, how a cell of that column is found
        self._styles_in: dict[bytes, int | None] = {}  # a cell's attributes -> its style (a sheet has few variants)
        self._seen: dict[int, int | None] = {}  # column -> the style its last existing cell had
        self._skip = len(sheet.p) + 3  # `<c ` before a cell's address
        self._row_end = b"</" + sheet.p + b"row>"
        self._runs: dict[tuple[int, ...], list[list[int]]] = {}  # the columns a row's puts name -> their runs
        self._frames: dict[tuple, tuple[bytes, bytes]] = {}  # (format, style) -> a number cell's XML around the number

    def _head(self, column: int) -> bytes:
        head = self._heads.get(column)
        if head is None:
            head = self._heads[column] = b"<" + self.sheet.p + b'c r="' + column_letter(column).encode()
            self._refs[column] = b'r="' + column_letter(column).encode()
        return head

    def _tail(self, put: Put | Cell, style: int | None) -> bytes | None:
        """The cell's XML after its row number (`"` and the rest), for `put` in a cell of style `style`."""
        value = put.value
        if value.__class__ is Decimal and value.is_finite():  # amounts differ row by row: made, not remembered
            frame = self._frames.get((put.number_format, style))
            if frame is None:
                xf = style if put.number_format is None else self.writer.styles.with_format(style or 0, put.number_format)
                before, after = number_frame(self._p, xf)
                frame = self._frames[(put.number_format, style)] = (before.encode(), after.encode())
            return frame[0] + number_text(value).encode() + frame[1]
        key = (value.__class__, value, put.number_format, style)
        tail = self._tails.get(key, b"")
        if tail == b"":
            if len(self._tails) >= _TAILS_KEPT:  # amounts and dates that differ row by row: keep the memory small
                self._tails.clear()
            if put.number_format is not None and value is not None:
                style = self.writer.styles.with_format(style or 0, put.number_format)
            xml = cell_xml(self._p, "\0", value, style, self.writer.workbook.date1904)
            tail = self._tails[key] = xml.split("\0", 1)[1].encode("utf-8") if xml is not None else None
        return tail

    def __call__(self, row: int, column: int, put: Put | Cell, existing: Existing | None) -> bytes | None:
        style = put.style if put.__class__ is Put else None  # a Put may fix the style; a layout Cell keeps the cell's
        if existing is not None:
            inner = existing.inner
            if inner is not None and self._formula_tag in inner and self.sheet.has_formula(existing):
                if re.search(rb"\st\s*=\s*[\"'](shared|array)[\"']", inner):
                    raise Unsupported(f"{self.sheet.name}: a shared or array formula in a tool-owned cell")
                self.writer.formulas_dropped = True
            if existing.kind == b"s":
                self.writer.shared_refs_dropped += 1
            if style is None:
                style = self._styles_in.get(existing.attrs, -1)
                if style == -1:
                    style = self._styles_in[existing.attrs] = existing.style
                self._seen[column] = style
        tail = self._tail(put, style)
        if tail is None:
            return None
        return self._head(column) + str(row).encode() + tail

    def unchanged(self, row: Row, puts: Mapping[int, Put | Cell]) -> bool:
        """Does `row` already hold exactly the cells `puts` would write (and no cell where a blank goes)? Then
        patching it would write the same bytes again. The cells' styles are taken to be those of the same
        columns' cells in the rows patched before; the bytes compared prove it (a wrong guess only means the
        row is patched as usual: `with_format` keeps a style that has the format already). Most rows of a
        daily run are unchanged, so this is written for speed: the cells of adjacent columns (the tool columns
        stand side by side) are compared at once where they can be, else one by one."""
        sheet = self.sheet
        if row.self_closing or not sheet.cells_have_refs:
            return False
        return self._runs_unchanged(row, puts) or self._cells_unchanged(row, puts)

    def _runs_unchanged(self, row: Row, puts: Mapping[int, Put | Cell]) -> bool:
        """Each run of adjacent columns as one stretch of bytes: its written cells one after the other, found by
        the first one's address; a blank between them must have no cell (it would stand in the stretch), a blank
        at the run's end neither (the row must end there). False when this cannot tell (then cell by cell)."""
        data, number, seen, tails, heads = self.sheet.data, b"%d" % row.number, self._seen, self._tails, self._heads
        runs = self._runs.get(tuple(puts))
        if runs is None:
            runs = self._runs[tuple(puts)] = [list(range(a, b)) for a, b in adjacent_spans(puts)]
        for run in runs:
            # the stretch: each cell's head (up to its row number), the row number, its tail
            parts: list[bytes] = []
            trailing_blank = False
            for column in run:
                put = puts[column]
                value = put.value
                kind = value.__class__
                style = put.style if put.__class__ is Put else None
                if style is None and value is not None and (kind is not str or value):
                    style = seen.get(column, -1)
                    if style == -1:
                        return False
                # (an amount is not remembered: _tail makes it around its number)
                tail = tails.get((kind, value, put.number_format, style), b"") if kind is not Decimal else b""
                if tail == b"":
                    tail = self._tail(put, style)
                if tail is None:
                    if not parts:  # a blank first: a cell before the stretch would not be seen
                        return False
                    trailing_blank = True
                    continue
                trailing_blank = False
                parts += (heads.get(column) or self._head(column), number, tail)
            at = data.find(parts[0][self._skip:] + number + b'"', row.tag_end, row.end) - self._skip
            stretch = b"".join(parts)
            if at < row.tag_end or not data.startswith(stretch, at):
                return False
            if trailing_blank and not data.startswith(self._row_end, at + len(stretch)):
                return False
        return True

    def _cells_unchanged(self, row: Row, puts: Mapping[int, Put | Cell]) -> bool:
        """Each cell found by its address and compared byte for byte."""
        data, number = self.sheet.data, str(row.number).encode()
        start, end, skip = row.tag_end, row.end, self._skip
        seen, tails, refs = self._seen, self._tails, self._refs
        for column, put in puts.items():
            ref = refs.get(column)
            if ref is None:
                self._head(column)
                ref = refs[column]
            at = data.find(ref + number + b'"', start, end)
            value, style = put.value, put.style if put.__class__ is Put else None
            if at < 0:  # no cell there: right when none is written
                if (value is not None or style is not None) and self._tail(put, style) is not None:
                    return False
                continue
            if style is None:
                style = seen.get(column, -1)
                if style == -1:
                    return False
            tail = tails.get((value.__class__, value, put.number_format, style), b"")
            if tail == b"":
                tail = self._tail(put, style)
            if tail is None or not data.startswith(self._heads[column] + number + tail, at - skip):
                return False
        return True

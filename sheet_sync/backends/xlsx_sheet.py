"""One worksheet part, read and changed in place: the cells the tool writes are spliced into the sheet's
XML text, and every other byte of it stays as it was.

`SheetXml` finds the rows of `<sheetData>` with regular expressions (no tree is built: a sheet of 100,000
rows is read in a fraction of a second), reads the values of the cells asked for, and `patch()` replaces
or inserts `<c>` elements in column order within their `<row>` (creating rows that are missing), keeping
each replaced cell's style unless a number format is asked for. `cell_xml()` writes one value: text as
an inline string (never a formula, whatever it starts with), numbers as `<v>`, dates as serial numbers.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence


from sheet_sync.backends.xlsx_package import MAIN_NS, inline_text, prefix_of, set_attribute, xml_text
from sheet_sync.backends.xlsx_zip import Unsupported
from sheet_sync.cells import EXCEL_EPOCH_TIME
from sheet_sync.model import column_letter, column_number

EPOCH_1900 = EXCEL_EPOCH_TIME
EPOCH_1904 = datetime(1904, 1, 1)
MAX_TEXT = 32767  # Excel's limit for the text of one cell
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*[\"']([A-Z]*)(\d+)[\"']")
_T_ATTR = re.compile(rb"(?:^|\s)t\s*=\s*[\"']([A-Za-z]+)[\"']")
_S_ATTR = re.compile(rb"(?:^|\s)s\s*=\s*[\"'](\d+)[\"']")
_SPANS = re.compile(rb"(?:^|\s)spans\s*=\s*[\"'](\d+):(\d+)[\"']")
_NUMBER = re.compile(rb"-?\d+")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_NOT_CELLS = re.compile(rb"<(?:!--|!\[CDATA\[|\?)")  # a comment, CDATA or processing instruction
_COLUMNS: dict[bytes, int] = {}


def column_of(letters: bytes) -> int:
    found = _COLUMNS.get(letters)
    if found is None:
        found = _COLUMNS[letters] = column_number(letters.decode())
    return found


class Existing(NamedTuple):
    """A `<c>` element as it stands: where it is, and its attributes and content."""

    column: int
    start: int  # offsets in the sheet's bytes
    end: int
    attrs: bytes
    inner: bytes | None  # None for `<c .../>`
    has_ref: bool

    @property
    def style(self) -> int | None:
        m = _S_ATTR.search(self.attrs)
        return int(m.group(1)) if m else None

    @property
    def kind(self) -> bytes:
        if b"t" not in self.attrs:
            return b"n"
        m = _T_ATTR.search(self.attrs)
        return m.group(1) if m else b"n"


class Row(NamedTuple):
    number: int
    start: int
    end: int
    tag_end: int  # just after the start tag
    self_closing: bool


class Put(NamedTuple):
    """A value to put in a cell: `style` fixes the cell's xf; None keeps the existing cell's (or 0). (The surgical
    writer also puts layout's Cells as they are: they keep the existing cell's style; the patch only hands on
    what it is given to `render`.)"""

    value: Any
    number_format: str | None = None
    style: int | None = None


class SheetXml:
    def __init__(self, data: bytes, name: str):
        self.name = name
        self.data = data
        self.p = prefix_of(data, "worksheet")
        root = re.search(rb"<" + re.escape(self.p) + rb"worksheet[\s>][^>]*>", data)
        ns = re.search(rb"xmlns" + (b":" + re.escape(self.p[:-1]) if self.p else b"") + rb"\s*=\s*[\"']([^\"']*)[\"']",
                       root.group(0))
        if ns is None or ns.group(1).decode() != MAIN_NS:
            raise Unsupported(f"{name} is not a transitional worksheet")
        p = re.escape(self.p)
        m = re.search(rb"<" + p + rb"sheetData(?:\s[^>]*)?(/?)>", data)
        if m is None:
            raise Unsupported(f"{name} has no sheetData")
        self.body_start = m.end()
        self.empty_tag = (m.start(), m.end()) if m.group(1) else None
        self.body_end = m.end() if m.group(1) else data.find(b"</" + self.p + b"sheetData>", m.end())
        if self.body_end < 0:
            raise Unsupported(f"{name}: sheetData is not closed")
        if (data.find(b"<!", self.body_start, self.body_end) >= 0 or data.find(b"<?", self.body_start, self.body_end) >= 0) \
                and _NOT_CELLS.search(data, self.body_start, self.body_end):
            raise Unsupported(f"{name} has comments or CDATA among its cells")
        self._row_re = re.compile(rb"<" + p + rb"row(?=[\s/>])([^>]*?)(/>|>)")
        self._row_end = b"</" + self.p + b"row>"
        # the address is matched apart when it is the first attribute (as every program writes it): faster
        self._cell_re = re.compile(rb"<" + p + rb"c(?=[\s/>])(?:\s+r\s*=\s*[\"']([A-Z]+)\d+[\"'])?([^>]*?)"
                                   rb"(?:/>|>(.*?)</" + p + rb"c>)", re.S)
        self._v_re = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>(.*?)</" + p + rb"v>", re.S)
        self._is_re = re.compile(rb"<" + p + rb"is(?:\s[^>]*)?>(.*?)</" + p + rb"is>", re.S)
        self._f_re = re.compile(rb"<" + p + rb"f[\s/>]")
        self.rows = list(self._rows())
        # every cell has its address: as programs write it (each `<c` starts `<c r="`, counted), else by a search
        tag = b"<" + self.p + b"c"
        self.cells_have_refs = data.count(tag, self.body_start, self.body_end) == data.count(
            tag + b' r="', self.body_start, self.body_end) or re.compile(
            rb"<" + p + rb"c(?=[\s/>])(?![^>]*?\sr\s*=)").search(data, self.body_start, self.body_end) is None

    def _rows(self) -> Iterator[Row]:
        pos, last = self.body_start, 0
        while True:
            m = self._row_re.search(self.data, pos, self.body_end)
            if m is None:
                return
            r = _R_ATTR.search(m.group(1))
            number = int(r.group(2)) if r else last + 1
            if number <= last:
                raise Unsupported(f"{self.name}: rows out of order")
            if m.group(2) == b"/>":
                end = m.end()
            else:
                end = self.data.find(self._row_end, m.end(), self.body_end)
                if end < 0:
                    raise Unsupported(f"{self.name}: row {number} is not closed")
                end += len(self._row_end)
            yield Row(number, m.start(), end, m.end(), m.group(2) == b"/>")
            pos, last = end, number

    # ---- reading ----

    def cells(self, row: Row, start: int | None = None, before: int = 0) -> list[Existing]:
        """The row's cells in order; from offset `start` on (the cells after column `before`) when given."""
        out: list[Existing] = []
        last = before
        if row.self_closing:
            return out
        for m in self._cell_re.finditer(self.data, row.tag_end if start is None else start, row.end):
            letters, attrs, inner = m.groups()
            if letters is None:
                r = _R_ATTR.search(attrs)
                letters = r.group(1) if r else None
            column = (_COLUMNS.get(letters) or column_of(letters)) if letters else last + 1
            if column <= last:
                raise Unsupported(f"{self.name}: cells out of order in row {row.number}")
            begin, end = m.span()
            out.append(Existing(column, begin, end, attrs, inner, letters is not None))
            last = column
        return out

    def _cells_from(self, row: Row, column: int) -> list[Existing]:
        """The row's cells from `column` on, found by the cell's address without reading the cells before
        it (every cell has its address); all of them when that cell is not there."""
        if self.cells_have_refs and not row.self_closing:
            needle = b'r="' + column_letter(column).encode() + str(row.number).encode() + b'"'
            at = self.data.find(needle, row.tag_end, row.end)
            if at >= 0:
                start = self.data.rfind(b"<", row.tag_end, at)
                if self.data.startswith(b"<" + self.p + b"c", start):
                    return self.cells(row, start, column - 1)
        return self.cells(row)

    def value(self, cell: Existing, strings: Callable[[], Sequence[str]]) -> Any:
        kind, inner = cell.kind, cell.inner
        if inner is None:
            return None
        if kind == b"inlineStr":
            m = self._is_re.search(inner)
            return inline_text(m.group(1)) if m else None
        m = self._v_re.search(inner)
        if m is None:
            return None
        raw = m.group(1)
        if kind == b"s":
            i = int(raw)
            table = strings()
            return table[i] if 0 <= i < len(table) else None
        if kind == b"b":
            return raw.strip() == b"1"
        if kind in (b"str", b"e", b"d"):
            return xml_text(raw)
        raw = raw.strip()
        if not raw:
            return None
        return int(raw) if _NUMBER.fullmatch(raw) else float(raw)

    def last_merged_column(self) -> int:
        """The right edge of the right-most merged range (a merge's covered cells hold nothing, yet belong to it)."""
        tail = self.data[self.body_end:]
        edges = [column_of(m.group(1)) for m in re.finditer(rb"<" + re.escape(self.p) + rb"mergeCell\s[^>]*?ref\s*=\s*[\"'][A-Z]+\d+:([A-Z]+)\d+", tail)]
        return max(edges, default=0)

    def last_value_column(self) -> int:
        """The right-most column with a value in any row (formatting alone does not count)."""
        last = 0
        for row in self.rows:
            for cell in reversed(self.cells(row)):
                if cell.column <= last:
                    break
                if cell.inner and (self._v_re.search(cell.inner) or self._is_re.search(cell.inner)):
                    last = cell.column
                    break
        return last

    def last_value_row(self, columns: Sequence[int] | None = None) -> int:
        """The last row with a value in any cell, or in any of `columns` (formatting alone does not count); 0 for
        none. Read from the end: a row or two, as a sheet's last rows hold its values."""
        for row in reversed(self.rows):
            if any(c.inner and (columns is None or c.column in columns)
                   and (self._v_re.search(c.inner) or self._is_re.search(c.inner)) for c in self.cells(row)):
                return row.number
        return 0

    def styles_of_row(self, number: int) -> dict[int, int | None]:
        """column -> the style of each cell of row `number` (none when the row is not there)."""
        row = next((r for r in self.rows if r.number == number), None)
        return {c.column: c.style for c in self.cells(row)} if row is not None else {}

    def row_values(self, row: Row, strings: Callable[[], Sequence[str]]) -> list[Any]:
        values: list[Any] = []
        for cell in self.cells(row):
            values += [None] * (cell.column - 1 - len(values))
            values.append(self.value(cell, strings))
        return values

    def column_values(self, columns: Sequence[int], first_row: int, strings: Callable[[], Sequence[str]],
                      ) -> dict[int, dict[int, Any]]:
        """column -> {row: value} of the non-empty cells of `columns` from `first_row` down."""
        out: dict[int, dict[int, Any]] = {c: {} for c in columns if c > 0}
        if not out:
            return out
        rows = [r for r in self.rows if r.number >= first_row and not r.self_closing]
        if self.cells_have_refs and rows:
            letters = b"|".join(column_letter(c).encode() for c in out)
            p = re.escape(self.p)
            wanted = re.compile(rb"<" + p + rb"c(?=\s)([^>]*?\sr\s*=\s*[\"'](" + letters + rb")(\d+)[\"'][^>]*?)"
                                rb"(?:/>|>(.*?)</" + p + rb"c>)", re.S)
            columns_of = {column_letter(c).encode(): out[c] for c in out}
            for m in wanted.finditer(self.data, rows[0].start, self.body_end):
                inner = m.group(4)
                if inner is None:
                    continue
                value = self.value(Existing(0, 0, 0, m.group(1), inner, True), strings)
                if value is not None and value != "":
                    columns_of[m.group(2)][int(m.group(3))] = value
            return out
        for row in rows:
            for cell in self.cells(row):
                if cell.column in out:
                    value = self.value(cell, strings)
                    if value not in (None, ""):
                        out[cell.column][row.number] = value
        return out

    # ---- writing ----

    def patch(self, puts: Mapping[int, Mapping[int, Put]], render: Callable[[int, int, Put, Existing | None], bytes | None],
              unchanged: Callable[[Row, Mapping[int, Put]], bool] | None = None) -> bytes:
        """The sheet with `puts` ({row: {column: Put}}) applied; `render(row, column, put, existing)` makes a
        cell's XML (None: no cell). A row for which `unchanged(row, its puts)` is true is kept as it is."""
        data = self.data
        kept = memoryview(data)  # the owner's bytes between the patched rows, joined without copies of their own
        pieces: list[bytes | memoryview] = [kept[:self.body_start]]
        pos = self.body_start
        pending = sorted(puts)
        at = 0
        for row in self.rows:
            while at < len(pending) and pending[at] < row.number:
                pieces += [kept[pos:row.start], self._new_row(pending[at], puts[pending[at]], render)]
                pos = row.start
                at += 1
            if at < len(pending) and pending[at] == row.number:
                if unchanged is None or not unchanged(row, puts[row.number]):
                    pieces += [kept[pos:row.start], self._patch_row(row, puts[row.number], render)]
                    pos = row.end
                at += 1
        tail = b"".join(self._new_row(n, puts[n], render) for n in pending[at:])
        if len(pieces) == 1 and not tail:  # every row as it was (a re-run): the sheet itself, not a copy of it
            return data
        if self.empty_tag is not None:
            if not tail:
                return data
            start, end = self.empty_tag
            tag = data[start:end - 2] + b">"
            return data[:start] + tag + tail + b"</" + self.p + b"sheetData>" + data[end:]
        return b"".join([*pieces, kept[pos:self.body_end], tail, kept[self.body_end:]])

    def _new_row(self, number: int, puts: Mapping[int, Put], render) -> bytes:
        cells = b"".join(x for c in sorted(puts) if (x := render(number, c, puts[c], None)) is not None)
        if not cells:
            return b""
        return b"<" + self.p + b'row r="' + str(number).encode() + b'">' + cells + self._row_end

    def _patch_row(self, row: Row, puts: Mapping[int, Put], render) -> bytes:
        data = self.data
        wanted = sorted(puts)
        existing = self._cells_from(row, wanted[0])
        out: list[bytes] = []
        pos = row.tag_end
        i = 0
        for cell in existing:
            while i < len(wanted) and wanted[i] < cell.column:
                new = render(row.number, wanted[i], puts[wanted[i]], None)
                if new is not None:
                    out += [data[pos:cell.start], new]
                    pos = cell.start
                i += 1
            if i < len(wanted) and wanted[i] == cell.column:
                new = render(row.number, cell.column, puts[cell.column], cell)
                out += [data[pos:cell.start], new or b""]
                pos = cell.end
                i += 1
            elif not cell.has_ref:  # a cell placed by its order: give it its address, as cells may now come before it
                ref = column_letter(cell.column).encode() + str(row.number).encode()
                tag_name = b"<" + self.p + b"c"
                out += [data[pos:cell.start], tag_name + b' r="' + ref + b'"' + data[cell.start + len(tag_name):cell.end]]
                pos = cell.end
        rest = b"".join(x for c in wanted[i:] if (x := render(row.number, c, puts[c], None)) is not None)
        content_end = row.end if row.self_closing else row.end - len(self._row_end)
        body = b"".join(out) + data[pos:content_end] + rest
        start_tag = data[row.start:row.tag_end]
        spans = _SPANS.search(start_tag) if b"spans" in start_tag else None
        columns = [c.column for c in existing] + wanted if spans else []
        if spans and (min(columns) < int(spans.group(1)) or max(columns) > int(spans.group(2))):
            start_tag = set_attribute(start_tag, b"spans", f"{min(min(columns), int(spans.group(1)))}:"
                                                            f"{max(max(columns), int(spans.group(2)))}")
        if row.self_closing:
            if not body:
                return start_tag
            return start_tag[:-2].rstrip() + b">" + body + self._row_end
        return start_tag + body + self._row_end

    def has_formula(self, cell: Existing) -> bool:
        return cell.inner is not None and b"<" + self.p + b"f" in cell.inner and self._f_re.search(cell.inner) is not None


# ---- one cell's XML ----------------------------------------------------------------------------------

def serial(value: date, date1904: bool = False) -> float | int:
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - epoch
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    days = (value - epoch.date()).days
    return days


def _escape_text(value: str) -> str:
    value = _ILLEGAL.sub(lambda m: "_x005F_" if m.group(0) == "_" else f"_x{ord(m.group(0)):04X}_", value[:MAX_TEXT])
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def number_text(value: int | Decimal | float) -> str | None:
    """A number as a cell's `<v>` holds it (None for NaN and infinities): a Decimal in its shortest form, as Excel
    stores a number: 0.00 and 0 (or 1592.10 and 1592.1) are one value, and a cell that holds it already is left
    alone on a re-run."""
    if isinstance(value, Decimal):
        return (format(value.normalize(), "f") if value else "0") if value.is_finite() else None
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else None
    return str(int(value))


def number_frame(p: str, style: int | None) -> tuple[str, str]:
    """What stands in a number cell's XML between its address's end and the number, and after the number."""
    s = f' s="{style}"' if style else ""
    return f'"{s}><{p}v>', f"</{p}v></{p}c>"


def cell_xml(p: str, ref: str, value: Any, style: int | None, date1904: bool = False) -> str | None:
    """The `<c>` element holding `value` (None: an empty cell, kept only when it has a style)."""
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<{p}c r="{ref}"{s}/>' if style else None
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, (int, Decimal, float)):
        number = number_text(value)
        if number is None:
            return f'<{p}c r="{ref}"{s}/>' if style else None
        before, after = number_frame(p, style)
        return f'<{p}c r="{ref}{before}{number}{after}'
    if isinstance(value, date):
        return f'<{p}c r="{ref}"{s}><{p}v>{serial(value, date1904)}</{p}v></{p}c>'
    if isinstance(value, timedelta):
        return f'<{p}c r="{ref}"{s}><{p}v>{value.total_seconds() / 86400}</{p}v></{p}c>'
    text = str(value)
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>{_escape_text(text)}</{p}t></{p}is></{p}c>'

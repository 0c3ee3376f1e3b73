"""What a Google Sheets write can leave out: the cells that already hold what would be written. Pure.

The read (one `values:batchGet`, UNFORMATTED_VALUE + SERIAL_NUMBER) already holds every value of the
Invoices sheet and of the Aging sheet; a re-run where a few invoices changed then sends only their cells,
not whole columns again.

- **Values** are compared in the form the API returns them: numbers as numbers (a Decimal balance and the
  float read back are equal when they are the same number), dates as serial numbers, a blank as `""` or
  absent, text as text; `True` is not `1`.
- **Rows** of the Invoices sheet are matched by Invoice No: the values read are by row at read time, and
  the owner may sort or insert rows before the write. When the Invoice No column is as it was, rows are
  compared where they stand (blank-numbered rows included); otherwise by Invoice No, and a row whose
  number is blank or stands twice is sent whole. Columns are matched by header.
- **Number formats** cannot be read back through the values API. The rule: a cell whose value is the same
  keeps its format; a tool column's cell that held a number keeps the format an earlier run set with it,
  whatever number it gets now (once the sheet has been synced before); any other changed cell gets its format
  with its value (Amount Paid is the owner's column: its format goes with each new sum). An Invoices row whose
  Currency now differs from the one the Aging sheet showed for it gets the formats of all its formatted cells
  again, so that its Balance takes the new currency's format even when the number stayed the same.
- **The Aging sheets** are rewritten every run, and Aging is sorted oldest first, so one paid invoice moves
  every row below it: rows are matched by Invoice No (Aging) or Client ID (Aging Summary), keeping the
  longest run of rows in the same order; rows no longer there are deleted and new ones inserted
  (`deleteDimension` / `insertDimension`), and only the cells that differ are written, with the formats
  of the rows they are on. A header row that differs means the sheet is written whole.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Iterable, Mapping, Sequence

from sheet_sync.backends.sheets_requests import cell_value
from sheet_sync.layout import Cell, InvoicesShape, ToolSheet
from sheet_sync.model import invoice_key, normalize_name

GAP = 8  # cells left alone (`null`) inside one value range before it is cheaper to start another


def api_form(value: Any) -> Any:
    """A value as the Sheets API would hand it back after a RAW write; None for a blank."""
    v = cell_value(value.value if isinstance(value, Enum) else value)
    return None if v is None or v == "" else v


def same(before: Any, after: Any) -> bool:
    """Does a cell that read `before` (API form) already hold `after` (a value about to be written)?"""
    b = None if before is None or before == "" else before
    a = api_form(after)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return type(a) is type(b) and a == b


# ---- the Invoices sheet ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadColumns:
    """Columns of the Invoices sheet as the read found them (values in the API's form)."""

    header_row: int
    numbers: tuple[Any, ...]  # the Invoice No column below the header
    columns: Mapping[str, tuple[Any, ...]]  # normalized header -> its values below the header


def read_columns(rows: Sequence[Sequence[Any]], header_row: int, number_column: int,
                 keep: Iterable[str]) -> ReadColumns:
    """Keep from a sheet read as rows the Invoice No column (1-based `number_column`) and the columns whose
    headers normalize to a name in `keep`."""
    headers = list(rows[header_row - 1]) if len(rows) >= header_row else []
    body = rows[header_row:]
    wanted = {normalize_name(k) for k in keep}
    at: dict[str, int] = {}
    for j, h in enumerate(headers):
        key = normalize_name(h)
        if key in wanted and key not in at:
            at[key] = j

    def column(j: int) -> tuple[Any, ...]:
        return tuple(row[j] if j < len(row) else None for row in body)

    return ReadColumns(header_row, column(number_column - 1) if number_column else (),
                       {key: column(j) for key, j in at.items()})


def _strip(keys: list[str]) -> list[str]:
    while keys and not keys[-1]:
        keys.pop()
    return keys


def row_finder(shape: InvoicesShape, before: ReadColumns) -> Callable[[int], int | None]:
    """Sheet row now -> index of that row's values in `before`, or None when it cannot be told."""
    now = _strip([invoice_key(v) for v in shape.numbers])
    then = _strip([invoice_key(v) for v in before.numbers])
    hrow = shape.header_row
    if hrow == before.header_row and now == then:  # nothing moved
        return lambda row: row - hrow - 1 if row > hrow else None
    count_now, count_then = Counter(now), Counter(then)
    index = {k: i for i, k in enumerate(then) if k and count_then[k] == 1 and count_now[k] == 1}

    def find(row: int) -> int | None:
        i = row - hrow - 1
        return index.get(now[i]) if 0 <= i < len(now) else None

    return find


@dataclass(frozen=True)
class Diff:
    values: tuple[Cell, ...]  # cells whose value is written
    formats: tuple[Cell, ...]  # cells whose number format is set (their values may be left alone)


def invoice_diff(cells: Sequence[Cell], shape: InvoicesShape, before: ReadColumns,
                 currency_then: Mapping[str, str] | None = None, default_currency: str = "",
                 formatted: Iterable[str] = ()) -> Diff:
    """The Invoices cells that differ from the read, and the formats to set: of a changed cell, unless it held a
    number in one of the `formatted` columns (headers: the tool's own columns, which an earlier run wrote and
    formatted); of every formatted cell of a row that is new, cannot be told, or changed currency."""
    formatted_columns = {j + 1 for j, h in enumerate(shape.headers) if normalize_name(h) in
                         {normalize_name(f) for f in formatted}}
    find = row_finder(shape, before)
    keys = [normalize_name(h) for h in shape.headers]
    rows: dict[int, list[Cell]] = {}
    for c in cells:
        rows.setdefault(c.row, []).append(c)
    values: list[Cell] = []
    formats: list[Cell] = []
    for row, row_cells in rows.items():
        i = find(row)
        if i is None:  # a row that cannot be told: all of it
            values += row_cells
            formats += [c for c in row_cells if c.number_format]
            continue
        changed = [c for c in row_cells if not same(_value_at(before, keys, c.column, i), c.value)]
        values += changed
        if currency_then and _currency_changed(shape, row, currency_then, default_currency):
            formats += [c for c in row_cells if c.number_format]
        else:  # a number the last run wrote keeps the format it set then (the currency is the same)
            formats += [c for c in changed if c.number_format and not (
                c.column in formatted_columns and _is_number(_value_at(before, keys, c.column, i)))]
    return Diff(tuple(values), tuple(formats))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value_at(before: ReadColumns, keys: list[str], column: int, i: int) -> Any:
    key = keys[column - 1] if 0 < column <= len(keys) else ""
    values = before.columns.get(key) if key else None
    if values is None:
        return _MISSING
    return values[i] if i < len(values) else None


class _Missing:
    """A column the read did not have: never the same as anything."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


_MISSING = _Missing()


def _currency_changed(shape: InvoicesShape, row: int, currency_then: Mapping[str, str], default: str) -> bool:
    i = row - shape.header_row - 1
    if not 0 <= i < len(shape.numbers):
        return False
    then = currency_then.get(invoice_key(shape.numbers[i]))
    if then is None:
        return False
    now = str(shape.currencies[i] or "").strip().upper() if i < len(shape.currencies) else ""
    return (now or default.upper()) != then.strip().upper()


# ---- a tool sheet rewritten each run --------------------------------------------------------------

@dataclass(frozen=True)
class SheetDiff:
    deletes: tuple[tuple[int, int], ...]  # 1-based [first, last] rows of the sheet as read, bottom-up
    inserts: tuple[tuple[int, int], ...]  # 1-based [first, last] rows of the sheet as written, top-down
    values: tuple[Cell, ...]
    formats: tuple[Cell, ...]


def matched_rows(old: Sequence[Any], new: Sequence[Any]) -> list[tuple[int, int]]:
    """(old index, new index) of the rows kept: the longest run of keys that stand in the same order in
    both (each key once; a repeated key is told apart by its occurrence). O(n log n)."""
    def occurrences(keys: Sequence[Any]) -> list[tuple[Any, int]]:
        seen: Counter = Counter()
        out = []
        for k in keys:
            out.append((k, seen[k]))
            seen[k] += 1
        return out

    where = {k: i for i, k in enumerate(occurrences(old))}
    pairs = [(where[k], j) for j, k in enumerate(occurrences(new)) if k in where]
    # the longest increasing subsequence of old indices, in new order (patience sorting)
    tails: list[int] = []  # old index ending the best run of each length
    tail_at: list[int] = []  # position in `pairs` of that end
    back: list[int] = [-1] * len(pairs)
    for p, (i, _) in enumerate(pairs):
        n = bisect_left(tails, i)
        if n == len(tails):
            tails.append(i)
            tail_at.append(p)
        else:
            tails[n] = i
            tail_at[n] = p
        back[p] = tail_at[n - 1] if n else -1
    out = []
    p = tail_at[-1] if tail_at else -1
    while p >= 0:
        out.append(pairs[p])
        p = back[p]
    return out[::-1]


def _blocks(rows: Iterable[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for r in sorted(rows):
        if out and out[-1][1] == r - 1:
            out[-1][1] = r
        else:
            out.append([r, r])
    return [(a, b) for a, b in out]


def tool_sheet_diff(sheet: ToolSheet, old: Sequence[Sequence[Any]], key_header: str = "Invoice No") -> SheetDiff | None:
    """How to turn the sheet as read (`old`, rows from row 1) into `sheet`: rows deleted and inserted, then
    the cells that differ. Rows are matched by the `key_header` column, or the first column when there is
    none (the summary: a client's rows by Client ID, in order). None when the header row differs (write
    it whole)."""
    by_row: dict[int, dict[int, Cell]] = {}
    for c in sheet.cells:
        by_row.setdefault(c.row, {})[c.column] = c
    header = by_row.get(1, {})
    width = max(header, default=0)
    old_header = list(old[0]) if old else []
    if len(old_header) != width or any(not same(old_header[k - 1], header[k].value if k in header else None)
                                       for k in range(1, width + 1)):
        return None
    keys = [normalize_name(header[k].value) if k in header else "" for k in range(1, width + 1)]
    key_at = keys.index(normalize_name(key_header)) if normalize_name(key_header) in keys else 0 if keys else None
    last = max(by_row, default=1)
    new_rows = [by_row.get(r, {}) for r in range(2, last + 1)]
    old_rows = [list(r) for r in old[1:]]

    def new_key(cells: Mapping[int, Cell]) -> Any:
        c = cells.get(key_at + 1) if key_at is not None else None
        return invoice_key(api_form(c.value)) if c is not None else ""

    def old_key(row: list) -> Any:
        return invoice_key(row[key_at]) if key_at is not None and key_at < len(row) else ""

    if key_at is None:  # no key: rows stand where they are
        pairs = [(i, i) for i in range(min(len(old_rows), len(new_rows)))]
    else:
        pairs = matched_rows([old_key(r) for r in old_rows], [new_key(c) for c in new_rows])
    old_of = {j: i for i, j in pairs}
    kept_old = {i for i, _ in pairs}
    deletes = [(a + 2, b + 2) for a, b in _blocks(i for i in range(len(old_rows)) if i not in kept_old)][::-1]
    # Rows after the last kept one land on blank rows (every old row below it is deleted): no insert.
    last_kept = max(old_of, default=-1)
    inserts = [(a + 2, b + 2) for a, b in _blocks(j for j in range(last_kept) if j not in old_of)]
    values: list[Cell] = []
    formats: list[Cell] = []
    for j, cells in enumerate(new_rows):
        r = j + 2
        if j not in old_of:
            values += [c for c in cells.values() if api_form(c.value) is not None]
            formats += [c for c in cells.values() if c.number_format]
            continue
        before = old_rows[old_of[j]]
        changed = []
        for k in range(1, max(len(before), max(cells, default=0)) + 1):
            cell = cells.get(k)
            value = cell.value if cell is not None else None
            if not same(before[k - 1] if k <= len(before) else None, value):
                changed.append(cell if cell is not None else Cell(r, k, None))
        if changed:
            values += changed
            formats += [c for c in cells.values() if c.number_format]
    return SheetDiff(tuple(deletes), tuple(inserts), tuple(values), tuple(formats))


# ---- value ranges ---------------------------------------------------------------------------------

def value_ranges(cells: Iterable[Cell], gap: int = GAP) -> list[tuple[int, int, int, int, list[list[Any]]]]:
    """Cells as few rectangular ranges: (top, left, bottom, right, rows of values), with None where a cell
    inside a range is left alone. A row's cells split where more than `gap` columns lie between them;
    consecutive rows over the same columns share one range. Values are as given (not converted)."""
    by_row: dict[int, dict[int, Any]] = {}
    for c in cells:
        by_row.setdefault(c.row, {})[c.column] = c.value
    open_: dict[tuple[int, int], list] = {}  # (left, right) -> [top, bottom, rows]
    out: list[tuple[int, int, int, int, list[list[Any]]]] = []
    for r in sorted(by_row):
        row = by_row[r]
        cols = sorted(row)
        spans: list[list[int]] = []
        for k in cols:
            if spans and k - spans[-1][1] <= gap + 1:
                spans[-1][1] = k
            else:
                spans.append([k, k])
        for left, right in spans:
            values = [row.get(k, _SKIP) for k in range(left, right + 1)]
            block = open_.get((left, right))
            if block is not None and block[1] == r - 1:
                block[1] = r
                block[2].append(values)
            else:
                if block is not None:
                    out.append((block[0], left, block[1], right, block[2]))
                open_[(left, right)] = [r, r, [values]]
    for (left, right), (top, bottom, rows) in open_.items():
        out.append((top, left, bottom, right, rows))
    return out


class _Skip:
    """Inside a range: leave this cell alone (JSON null)."""

    def __repr__(self) -> str:
        return "SKIP"


_SKIP = _Skip()
SKIP = _SKIP

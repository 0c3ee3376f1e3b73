"""What every workbook backend hands to the pure core: each sheet's cells, with their positions.

A backend reads raw values; turning them into typed rows is `load.py`'s job. Header names are
matched case- and space-insensitively, through the config's renames.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Callable, Iterable, Mapping, Sequence

from sheet_sync.cells import is_blank
from sheet_sync.model import normalize_name

HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class RawSheet:
    """One sheet as read: `rows` holds, for every row below the headers with anything in a recognised
    column, its row number in the sheet and its raw cell values by canonical header."""

    title: str
    header_row: int  # 1-based row of the headers
    columns: Mapping[str, int]  # canonical header -> 1-based column number
    rows: tuple[tuple[int, Mapping[str, Any]], ...]  # (sheet row, {canonical header: raw value (NaN/None blank)})
    headers: tuple[str, ...] = ()  # the whole header row as the owner wrote it ("" for a blank cell)
    width: int = 0  # the right-most column that holds anything, in any row

    def column_of(self, canonical: str) -> int:
        return self.columns.get(canonical, 0)


RawBook = Mapping[str, RawSheet]  # canonical sheet name -> sheet (missing sheets absent)


def find_sheet(titles: Iterable[str], wanted: str) -> str | None:
    key = normalize_name(wanted)
    for title in titles:
        if normalize_name(title) == key:
            return title
    return None


def _present(value: Any) -> bool:
    """A cell that holds something, blank text included (NaN and None are empty cells)."""
    return value is not None and value == value


def raw_sheet(title: str, grid: Sequence[Sequence[Any]], wanted: Mapping[str, str],
              cells: Callable[[list[Any]], list[Any]] | None = None) -> RawSheet:
    """Build a RawSheet from a grid of cells (row 0 = sheet row 1, column 0 = column A), rows of equal length
    (or a pandas frame of them).

    `wanted` maps canonical headers to the names the owner uses (after config renames).
    The header row is the first row, within the first ten, that names any wanted header.
    `cells` turns a list of cells as the reader gave them into their values; it is applied only to the cells
    used (the header rows, the wanted columns, and the last columns while looking for the sheet's width), a
    column at a time: a sheet of 100,000 rows has over a million of them.
    """
    if hasattr(grid, "to_numpy"):  # a pandas frame (the Google backend hands one)
        grid = grid.to_numpy(dtype=object).tolist()
    convert = cells or _as_they_are
    top = [convert(list(line)) for line in grid[:HEADER_SEARCH_ROWS]]
    keys = {normalize_name(owner): canonical for canonical, owner in wanted.items()}
    header_idx = 0
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        if any(normalize_name(v) in keys for v in top[i] if not is_blank(v)):
            header_idx = i
            break
    header_values = list(top[header_idx]) if len(grid) else []
    columns: dict[str, int] = {}
    for j, value in enumerate(header_values):
        canonical = keys.get(normalize_name(value)) if not is_blank(value) else None
        if canonical and canonical not in columns:
            columns[canonical] = j + 1
    names = tuple(columns)
    body = grid[header_idx + 1:]
    first = header_idx + 2
    if names:
        values = [convert([line[j - 1] for line in body]) for j in columns.values()]
        # Rows where every recognised cell is blank are left out (owners leave gaps): the first column says it
        # for most rows, the others are looked at only in the rows where it is blank
        filled = set(_filled(values[0]))
        if len(filled) < len(body):
            gaps = [i for i in range(len(body)) if i not in filled]
            for column in values[1:]:
                filled.update(gaps[k] for k in _filled([column[i] for i in gaps]))
        by_row = list(map(dict, map(partial(zip, names), zip(*values))))  # (no Python call per row)
        if len(filled) == len(body):
            rows = tuple(zip(range(first, first + len(body)), by_row))
        else:
            rows = tuple((first + i, by_row[i]) for i in sorted(filled))
    else:
        rows = tuple((first + i, {}) for i in range(len(body)))
    headers = tuple("" if is_blank(v) else str(v).strip() for v in header_values)
    return RawSheet(title, header_idx + 1, columns, rows, headers, _width(grid, convert))


def _as_they_are(values: list[Any]) -> list[Any]:
    return values


_PLAIN = frozenset({str, int, float, bool, datetime, date, timedelta, type(None)})


def _filled(column: list[Any]) -> list[int]:
    """The positions of the cells that are not blank (`cells.is_blank`), without a call per cell where the
    column holds only plain values (text, numbers, dates)."""
    if set(map(type, column)) <= _PLAIN:
        return [i for i, v in enumerate(column)
                if v is not None and v == v and (v.__class__ is not str or v.strip())]
    return [i for i, v in enumerate(column) if not is_blank(v)]


def _width(grid: Sequence[Sequence[Any]], convert: Callable[[list[Any]], list[Any]]) -> int:
    """The right-most column holding anything in any row, looked for from the right, column by column: the
    right-most column nearly always holds its header, so this reads a cell or two, not every row's end."""
    for j in range(max((len(line) for line in grid), default=0) - 1, -1, -1):
        for line in grid:
            if j < len(line) and _present(convert([line[j]])[0]):
                return j + 1
    return 0


def grid_from_rows(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """Rows of cells made all as long as the longest (None fills the gaps)."""
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows]

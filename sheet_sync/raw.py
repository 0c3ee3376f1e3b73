"""What every workbook backend hands to the pure core: each sheet's cells, with their positions.

A backend reads raw values; turning them into typed rows is `load.py`'s job. Header names are
matched case- and space-insensitively, through the config's renames.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from sheet_sync.cells import is_blank
from sheet_sync.model import normalize_name

HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class RawSheet:
    """One sheet as read: `frame` has the sheet's row numbers as index and canonical headers as columns."""

    title: str
    header_row: int  # 1-based row of the headers
    columns: Mapping[str, int]  # canonical header -> 1-based column number
    frame: pd.DataFrame  # object dtype, raw cell values (NaN/None for blank)
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


def raw_sheet(title: str, grid: pd.DataFrame, wanted: Mapping[str, str]) -> RawSheet:
    """Build a RawSheet from a grid of cells (row 0 = sheet row 1, column 0 = column A).

    `wanted` maps canonical headers to the names the owner uses (after config renames).
    The header row is the first row, within the first ten, that names any wanted header.
    """
    keys = {normalize_name(owner): canonical for canonical, owner in wanted.items()}
    header_idx = 0
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        if any(normalize_name(v) in keys for v in grid.iloc[i].tolist() if not is_blank(v)):
            header_idx = i
            break
    header_values = grid.iloc[header_idx].tolist() if len(grid) else []
    columns: dict[str, int] = {}
    for j, value in enumerate(header_values):
        canonical = keys.get(normalize_name(value)) if not is_blank(value) else None
        if canonical and canonical not in columns:
            columns[canonical] = j + 1
    body = grid.iloc[header_idx + 1 :]
    frame = pd.DataFrame(
        {c: body.iloc[:, j - 1].to_numpy(dtype=object) for c, j in columns.items()},
        index=pd.RangeIndex(header_idx + 2, header_idx + 2 + len(body)),
        dtype=object,
    )
    # Drop rows where every recognised cell is blank (owners leave gaps).
    if len(frame.columns):
        filled = frame.map(lambda v: not is_blank(v)).any(axis=1)
        frame = frame[filled]
    headers = tuple("" if is_blank(v) else str(v).strip() for v in header_values)
    used = np.flatnonzero(grid.notna().to_numpy().any(axis=0)) if grid.size else ()
    return RawSheet(title, header_idx + 1, columns, frame, headers, int(used[-1]) + 1 if len(used) else 0)


def grid_from_rows(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)

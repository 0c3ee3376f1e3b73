"""Reading an .xlsx workbook: pandas with the calamine engine (fast, keeps cell positions)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from sheet_sync.raw import RawSheet, find_sheet, raw_sheet
from sheet_sync.errors import ErrorKind, SheetSyncError


def read_workbook(path: Path, sheets: Mapping[str, tuple[str, Mapping[str, str]]]) -> dict[str, RawSheet]:
    """Read the named sheets of `path`.

    Args:
        path: the .xlsx file.
        sheets: canonical sheet name -> (the owner's sheet name, {canonical header: owner's header}).

    Returns:
        canonical sheet name -> RawSheet, for the sheets that exist.
    """
    if not path.exists():
        raise SheetSyncError(f"The workbook {path} does not exist; check workbook.path in the config.",
                             kind=ErrorKind.WORKBOOK_MISSING, fix="check workbook.path in the config (a relative path "
                             "starts from the config file's folder)")
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # calamine raises its own types for corrupt or non-xlsx files
        raise SheetSyncError(f"Cannot read {path.name} as an Excel workbook ({type(exc).__name__}: {exc}).",
                             kind=ErrorKind.WORKBOOK_UNREADABLE, fix=f"open {path.name} in Excel and save it as an "
                             "Excel Workbook (.xlsx)") from None
    with book:
        found: dict[str, RawSheet] = {}
        for canonical, (owner_name, headers) in sheets.items():
            title = find_sheet(book.sheet_names, owner_name)
            if title is None:
                continue
            grid = pd.read_excel(book, sheet_name=title, header=None, dtype=object)
            found[canonical] = raw_sheet(title, grid, headers)
    return found

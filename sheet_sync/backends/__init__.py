"""Workbook backends: an Excel file or a Google Sheet behind one interface (base.py). `get_backend()` picks."""
from __future__ import annotations

from sheet_sync.backends.base import Backend, WriteReport
from sheet_sync.config import Config
from sheet_sync.errors import SheetSyncError


def get_backend(config: Config) -> Backend:
    if config.workbook.google_sheet:
        from sheet_sync.backends.gsheets import GoogleSheetsBackend

        return GoogleSheetsBackend(config)
    if config.workbook.path is None:
        raise SheetSyncError("The config names no workbook: set workbook.path (an .xlsx file).")
    if config.workbook.path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise SheetSyncError(f"{config.workbook.path.name} is not an .xlsx workbook; save it as .xlsx (Excel Workbook).")
    from sheet_sync.backends.excel import ExcelBackend

    return ExcelBackend(config.workbook.path)


__all__ = ["Backend", "WriteReport", "get_backend"]

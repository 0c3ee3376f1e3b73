"""An .xlsx (or .xlsm) workbook on disk: read with calamine, written by the surgical writer (openpyxl as the
fallback), sends journalled in a file."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from sheet_sync.backends.base import Backend, Wanted, WriteReport
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.cells import is_blank
from sheet_sync.layout import InvoicesShape
from sheet_sync.model import INVOICES, WritePlan, normalize_name
from sheet_sync.raw import RawSheet
from sheet_sync.sendlog import JournalLog, SendLog


class ExcelBackend(Backend):
    name = "excel"

    def __init__(self, path: Path, writer: str | None = None):
        self.path = path
        # "surgical" (the default), or "openpyxl" to always use the fallback (for comparisons)
        self.writer = writer or os.environ.get("SHEET_SYNC_EXCEL_WRITER", "surgical")
        self.journal_path = path.with_name(f".{path.stem}.sheet-sync-journal.jsonl")
        self._lock_path = path.with_name(f".{path.stem}.sheet-sync.lock")

    def read(self, wanted: Wanted) -> dict[str, RawSheet]:
        from sheet_sync.backends.excel_read import read_workbook

        seen = _signature(self.path)
        found = read_workbook(self.path, wanted)
        self._read = (seen, found.get(INVOICES))
        return found

    @contextmanager
    def lock(self):
        """One sync at a time per workbook (a scheduled run and a manual one must not both send), and none
        while Excel has the workbook open (its save would undo ours). The OS releases the lock when the
        process ends, even when it is killed."""
        import fcntl

        from sheet_sync.backends.excel_write import refuse_if_open

        with open(self._lock_path, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SheetSyncError(f"Another sheet-sync run is working on {self.path.name}; wait for it to finish.") from None
            refuse_if_open(self.path)
            yield

    def send_log(self, real_mail: bool) -> SendLog:
        return JournalLog(self.journal_path)

    def apply(self, plan: WritePlan) -> WriteReport:
        """The surgical writer (only the tool's cells and sheets change); openpyxl when the package holds
        something the surgical writer does not handle."""
        from dataclasses import replace

        from sheet_sync.backends import excel_write, xlsx_surgical
        from sheet_sync.backends.xlsx_zip import Unsupported

        if self.writer != "openpyxl":
            seen, raw = getattr(self, "_read", (None, None))
            # The file as this run read it (same inode, size and time): the Invoices shape is the read's.
            known = invoices_shape(raw, plan) if raw is not None and seen == _signature(self.path) else None
            try:
                return xlsx_surgical.write_workbook(self.path, plan, invoices=known)
            except Unsupported as exc:
                note = str(exc)
        else:
            note = "asked for"
        return replace(excel_write.write_workbook(self.path, plan), writer="openpyxl", writer_note=note)

    def probe(self) -> str:
        from sheet_sync.backends.excel_write import refuse_if_open

        if not self.path.exists():
            raise SheetSyncError(f"The workbook {self.path} does not exist; check workbook.path in the config.",
                                 kind=ErrorKind.WORKBOOK_MISSING, fix="check workbook.path in the config")
        refuse_if_open(self.path)
        if not os.access(self.path, os.W_OK) or not os.access(self.path.parent, os.W_OK):
            raise SheetSyncError(f"{self.path.name} cannot be written here (its file or folder is read-only).",
                                 kind=ErrorKind.WORKBOOK_UNREADABLE,
                                 fix=f"let the user who runs sheet-sync write {self.path.name} and its folder")
        return f"{self.path.name} can be written"


def _signature(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def invoices_shape(raw: RawSheet, plan: WritePlan) -> InvoicesShape | None:
    """The Invoices shape from the sheet as read, when it has the Invoice No column (as the writer's own
    reading of the sheet's XML finds it: the first of the first ten rows that names Invoice No)."""
    keys = [normalize_name(h) for h in raw.headers]
    if normalize_name(plan.invoice_no_header) not in keys or "Invoice No" not in raw.frame.columns:
        return None
    frame = raw.frame
    last = int(max(frame.index, default=raw.header_row))
    rows = range(raw.header_row + 1, last + 1)

    def column(name: str) -> tuple:
        if name not in frame.columns:
            return ()
        values = dict(zip(frame.index, frame[name]))
        return tuple(None if is_blank(values.get(r)) else values.get(r) for r in rows)

    currency = column("Currency") if normalize_name(plan.currency_header) in keys else ()
    return InvoicesShape(raw.title, raw.header_row, tuple(raw.headers), column("Invoice No"), currency, raw.width)

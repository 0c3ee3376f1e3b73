"""An .xlsx (or .xlsm) workbook on disk: read with calamine, written by the surgical writer (openpyxl as the
fallback), sends journalled in a file."""
from __future__ import annotations

import glob
import os
import re
import stat
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

from sheet_sync.backends.base import Backend, Wanted, WriteReport
from sheet_sync.backends.xlsx_zip import file_signature
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.cells import is_blank
from sheet_sync.layout import InvoicesShape
from sheet_sync.model import INVOICES, WritePlan
from sheet_sync.raw import RawSheet
from sheet_sync.sendlog import JournalLog, SendLog


class ExcelBackend(Backend):
    name = "excel"

    def __init__(self, path: Path, writer: str | None = None):
        self.path = path
        # "surgical" (the default), or "openpyxl" to always use the fallback (for comparisons)
        self.writer = writer or os.environ.get("SHEET_SYNC_EXCEL_WRITER", "surgical")
        # The lock and the journal belong to the real file: a symlink and its target are one workbook.
        real = Path(os.path.realpath(path))
        self.journal_path = real.with_name(f".{real.stem}.sheet-sync-journal.jsonl")
        self._lock_path = real.with_name(f".{real.stem}.sheet-sync.lock")
        # the file's signature as read, and the Invoices sheet's shape then (not the rows: they go with the load)
        self._read: tuple[tuple | None, InvoicesShape | None] = (None, None)

    def read(self, wanted: Wanted) -> dict[str, RawSheet]:
        from sheet_sync.backends.excel_read import read_workbook

        seen = file_signature(self.path)
        found = read_workbook(self.path, wanted)
        invoices = found.get(INVOICES)
        self._read = (seen, invoices_shape(invoices) if invoices is not None else None)
        return found

    @contextmanager
    def lock(self):
        """One sync at a time per workbook (a scheduled run and a manual one must not both send), and none
        while Excel has the workbook open (its save would undo ours). The OS releases the lock when the
        process ends, even when it is killed."""
        with warnings.catch_warnings():  # without fcntl (not Linux, macOS or Windows) it says "only soft file lock"
            warnings.simplefilter("ignore")
            from filelock import FileLock, Timeout

        from sheet_sync.backends.xlsx_zip import refuse_if_open

        # flock on Linux and macOS, msvcrt's lock on Windows (filelock picks): both die with the process
        lock = FileLock(self._lock_path, timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise SheetSyncError(f"Another sheet-sync run is working on {self.path.name}; wait for it to finish.") from None
        try:
            refuse_if_open(self.path)
            if sys.platform == "win32":
                refuse_too_long(self.path, windows_long_paths())
            self._refuse_read_only()
            self._clear_leftovers()
            yield
        finally:
            lock.release()

    def _refuse_read_only(self) -> None:
        """A workbook marked read-only (no write bit at all) is the owner's word: never replace it, even as root."""
        try:
            mode = os.stat(os.path.realpath(self.path)).st_mode
        except OSError:
            return  # a missing file is said by the read
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(self.path, os.W_OK):
            raise SheetSyncError(f"{self.path.name} is read-only, so sheet-sync will not replace it; nothing was sent.",
                                 kind=ErrorKind.WORKBOOK_UNREADABLE,
                                 fix=f"make {self.path.name} writable (chmod u+w, or untick Read-only in its properties)")

    def _clear_leftovers(self) -> None:
        """Temporary copies left by a run killed while saving (`.<stem>.XXXXXXXX.xlsx`, only ever ours)."""
        real = Path(os.path.realpath(self.path))
        for left in real.parent.glob(f".{glob.escape(real.stem)}.*{real.suffix}"):
            if re.fullmatch(re.escape(f".{real.stem}.") + r"[a-z0-9_]{8}" + re.escape(real.suffix), left.name):
                left.unlink(missing_ok=True)

    def send_log(self, real_mail: bool) -> SendLog:
        return JournalLog(self.journal_path)

    def apply(self, plan: WritePlan) -> WriteReport:
        """The surgical writer (only the tool's cells and sheets change); openpyxl when the package holds
        something the surgical writer does not handle."""
        from dataclasses import replace

        from sheet_sync.backends import xlsx_surgical
        from sheet_sync.backends.xlsx_zip import Unsupported

        if self.writer != "openpyxl":
            seen, shape = self._read
            # The file as this run read it (same inode, size and time): the Invoices shape is the read's.
            known = shape if seen == file_signature(self.path) else None
            try:
                return xlsx_surgical.write_workbook(self.path, plan, invoices=known)
            except Unsupported as exc:
                note = str(exc)
        else:
            note = "asked for"
        from sheet_sync.backends import excel_write  # openpyxl loads only for the fallback

        return replace(excel_write.write_workbook(self.path, plan), writer="openpyxl", writer_note=note)

    def probe(self) -> str:
        from sheet_sync.backends.xlsx_zip import refuse_if_open

        if not self.path.exists():
            raise SheetSyncError(f"The workbook {self.path} does not exist; check workbook.path in the config.",
                                 kind=ErrorKind.WORKBOOK_MISSING, fix="check workbook.path in the config")
        refuse_if_open(self.path)
        if sys.platform == "win32":
            refuse_too_long(self.path, windows_long_paths())
        if not os.access(self.path, os.W_OK) or not os.access(self.path.parent, os.W_OK):
            raise SheetSyncError(f"{self.path.name} cannot be written here (its file or folder is read-only).",
                                 kind=ErrorKind.WORKBOOK_UNREADABLE,
                                 fix=f"let the user who runs sheet-sync write {self.path.name} and its folder")
        return f"{self.path.name} can be written"



WINDOWS_MAX_PATH = 259  # MAX_PATH (260) less the terminating NUL, unless long paths are turned on


def refuse_too_long(path: Path, long_paths: bool) -> None:
    """On Windows without long paths, a file whose full path is longer than 259 characters cannot be opened: the
    workbook itself, or the files a run keeps beside it (the journal, the temporary copy, the backup). Said before
    anything is sent, rather than as "file not found" halfway through."""
    if long_paths:
        return
    real = Path(os.path.abspath(os.path.realpath(path)))
    beside = [real, real.with_name(f".{real.stem}.sheet-sync-journal.jsonl"),
              real.with_name(f".{real.stem}.{'x' * 8}{real.suffix}"), real.with_name(f"{real.stem}.unsaved{real.suffix}")]
    longest = max(len(str(p)) for p in beside)
    if longest > WINDOWS_MAX_PATH:
        raise SheetSyncError(
            f"The path to {path.name} is {len(str(real))} characters long and the files sheet-sync keeps beside it "
            f"{longest}, and Windows allows {WINDOWS_MAX_PATH} unless long paths are turned on: move it to a shorter "
            "folder (or turn on Enable Win32 long paths); nothing was sent.",
            kind=ErrorKind.WORKBOOK_UNREADABLE,
            fix=f"move {path.name} to a folder with a shorter path (say C:\\Books), or turn on long paths (Group "
                "Policy: Enable Win32 long paths, or the registry value LongPathsEnabled = 1)")


def windows_long_paths() -> bool:
    """Whether Windows lets programs use paths longer than 259 characters (the LongPathsEnabled registry value)."""
    try:
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\FileSystem") as key:
            return winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1
    except (ImportError, OSError):
        return False


def invoices_shape(raw: RawSheet) -> InvoicesShape | None:
    """The Invoices shape from the sheet as read, when it has the Invoice No column (as the writer's own
    reading of the sheet's XML finds it: the first of the first ten rows that names Invoice No)."""
    if "Invoice No" not in raw.columns:
        return None
    last = max((row for row, _ in raw.rows), default=raw.header_row)
    by_row = dict(raw.rows)
    rows = range(raw.header_row + 1, last + 1)

    def column(name: str) -> tuple:
        if name not in raw.columns:
            return ()
        values = [by_row[r].get(name) if r in by_row else None for r in rows]
        return tuple(None if is_blank(v) else v for v in values)

    currency = column("Currency")
    return InvoicesShape(raw.title, raw.header_row, tuple(raw.headers), column("Invoice No"), currency, raw.width)

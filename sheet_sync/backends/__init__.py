"""Workbook backends: each reads raw sheets and writes a WritePlan. `get_backend(config)` picks."""
from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Mapping, Protocol

from sheet_sync.backends.raw import RawSheet
from sheet_sync.config import Config
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.model import LogEntry, WritePlan


class Backend(Protocol):
    name: str
    journal_path: Path | None  # where the crash journal lives (None: the backend logs sends itself)

    def read(self, wanted: Mapping[str, tuple[str, Mapping[str, str]]]) -> dict[str, RawSheet]: ...

    def check_writable(self) -> None: ...

    def record_pending(self, entries: list[LogEntry]) -> Mapping[str, int]:
        """Make the planned sends durable before any is sent; Message ID -> Reminder Log row, when the
        backend writes them into the log itself ({} when a local journal does the job)."""
        ...

    def run_lock(self) -> AbstractContextManager: ...

    # Optional, for a backend whose sheet is its journal: `send_window` (how many sends may be `pending` at
    # once; None: all) and `advance(outcomes, next_pending)`, called between two windows of sends.

    def write(self, plan: WritePlan) -> object: ...


class ExcelBackend:
    name = "excel"

    def __init__(self, path: Path):
        self.path = path
        self.journal_path = path.with_name(f".{path.stem}.sheet-sync-journal.jsonl")
        self._lock_path = path.with_name(f".{path.stem}.sheet-sync.lock")

    @contextmanager
    def run_lock(self):
        """One sync at a time per workbook (a scheduled run and a manual one must not both send).
        The OS releases the lock when the process ends, even when it is killed."""
        import fcntl

        with open(self._lock_path, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SheetSyncError(f"Another sheet-sync run is working on {self.path.name}; wait for it to finish.") from None
            yield

    def read(self, wanted):
        from sheet_sync.backends.excel_read import read_workbook

        return read_workbook(self.path, wanted)

    def check_writable(self) -> None:
        from sheet_sync.backends.excel_write import excel_lock_file

        lock = excel_lock_file(self.path)
        if lock is not None:
            raise SheetSyncError(
                f"{self.path.name} is open in Excel (lock file {lock.name}): close it and run again.",
                kind=ErrorKind.WORKBOOK_LOCKED, fix=f"close {self.path.name} in Excel; if Excel is not running, delete "
                f"the leftover lock file beside it ({lock.name})",
            )

    def record_pending(self, entries):
        return {}  # the journal file beside the workbook records each send as it happens

    def write(self, plan: WritePlan):
        from sheet_sync.backends.excel_write import write_workbook

        return write_workbook(self.path, plan)


def get_backend(config: Config) -> Backend:
    if config.workbook.google_sheet:
        from sheet_sync.backends.gsheets import GoogleSheetsBackend

        return GoogleSheetsBackend(config)
    if config.workbook.path is None:
        raise SheetSyncError("The config names no workbook: set workbook.path (an .xlsx file).")
    if config.workbook.path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise SheetSyncError(f"{config.workbook.path.name} is not an .xlsx workbook; save it as .xlsx (Excel Workbook).")
    return ExcelBackend(config.workbook.path)

"""Where a run records each send before and after it, so that a crash never sends one twice.

One interface, two homes: a journal file beside an Excel workbook (`JournalLog`, each line fsynced),
or the Reminder Log of a Google Sheet itself, a window of sends at a time (`gsheets.SheetLog`). The
send loop (`send.py`) knows only this interface.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Mapping, Sequence

from sheet_sync.journal import Journal, recover
from sheet_sync.model import LogEntry


class SendLog(ABC):
    """The crash journal of a run's sends."""

    #: How many sends may be `pending` at once; the others wait as `queued` until `advance()` (None: all).
    window: int | None = None

    @abstractmethod
    def earlier(self, logged: Sequence[LogEntry]) -> list[LogEntry]:
        """Sends an earlier run recorded here that the Reminder Log (`logged`) does not hold yet; a send
        whose outcome was never recorded comes back `unconfirmed`."""

    @abstractmethod
    def plan(self, planned: Sequence[LogEntry]) -> Mapping[str, int]:
        """Make the planned sends durable before any goes out. Returns Message ID -> the Reminder Log row
        that holds it now ({} when the sends reach the Reminder Log only with the final write)."""

    @abstractmethod
    def before(self, entry: LogEntry) -> None:
        """`entry` (pending) is about to be sent."""

    @abstractmethod
    def after(self, entry: LogEntry) -> None:
        """`entry` has its outcome (sent, failed, unconfirmed)."""

    @abstractmethod
    def advance(self, outcomes: Sequence[LogEntry], next_pending: Sequence[LogEntry]) -> None:
        """Between two windows: record the outcomes so far and make the next window `pending`. Raises
        SheetSyncError when that cannot be recorded; the loop then stops sending."""

    @abstractmethod
    def done(self) -> None:
        """The workbook holds every outcome now."""


class JournalLog(SendLog):
    """A JSON-lines journal file: a line before and a line after each send, flushed and fsynced."""

    window = None

    def __init__(self, path: Path):
        self.journal = Journal(path)

    def earlier(self, logged: Sequence[LogEntry]) -> list[LogEntry]:
        return recover(self.journal.read(), logged)

    def plan(self, planned: Sequence[LogEntry]) -> Mapping[str, int]:
        self.journal.open()  # a journal that cannot be written stops the run here, before any send
        return {}  # each send is journalled as it happens

    def before(self, entry: LogEntry) -> None:
        self.journal.record(entry)

    def after(self, entry: LogEntry) -> None:
        self.journal.record(entry)

    def advance(self, outcomes: Sequence[LogEntry], next_pending: Sequence[LogEntry]) -> None:
        return None  # one window: every line is already on disk

    def done(self) -> None:
        self.journal.clear()


"""The one interface every workbook backend implements, with no optional parts.

    read(wanted)          -> {canonical sheet: RawSheet}   the cells, for load.py
    lock()                -> context manager               one sending run at a time; refuses before sending
    send_log(real_mail)   -> SendLog                       where this run's sends are journalled
    apply(plan)           -> WriteReport                   reads the shape now, lays out the writes, applies them
    probe()               -> str                           for doctor: can it be written? (raises SheetSyncError)

Where a value goes and how it looks is decided in `layout.py`, once for both backends; a backend only
reads the shape just before writing and applies what `layout.lay_out()` returns.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from sheet_sync.model import WritePlan
from sheet_sync.raw import RawSheet
from sheet_sync.sendlog import SendLog

Wanted = Mapping[str, tuple[str, Mapping[str, str]]]  # canonical sheet -> (owner's name, {canonical: owner's header})


@dataclass(frozen=True)
class WriteReport:
    """What a write did, the same on both backends."""

    cells_written: int
    rows_matched: int
    unmatched_invoices: tuple[str, ...]  # in the plan, no longer on the sheet
    columns_added: tuple[str, ...]
    backup_path: Path | None = None  # the previous version of an Excel workbook
    requests: int = 0  # Google Sheets API requests this run made in all
    writer: str = ""  # which Excel writer ran: "surgical", or "openpyxl" (the fallback)
    writer_note: str = ""  # why the fallback ran


class Backend(ABC):
    name: str

    @abstractmethod
    def read(self, wanted: Wanted) -> dict[str, RawSheet]:
        """The wanted sheets that exist, as raw cells with their positions."""

    @abstractmethod
    def lock(self) -> AbstractContextManager[None]:
        """Held for a run that may send: a second run on the same workbook stops before sending."""

    @abstractmethod
    def send_log(self, real_mail: bool) -> SendLog:
        """The journal of this run's sends (`real_mail`: the transport is not the outbox)."""

    @abstractmethod
    def apply(self, plan: WritePlan) -> WriteReport:
        """Write `plan`: the tool-owned columns and sheets, and the Reminder Log rows. Nothing else."""

    @abstractmethod
    def probe(self) -> str:
        """Check that the workbook can be written without changing it; what was found, in a few words."""

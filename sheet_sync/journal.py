"""The crash journal: each send is recorded as `pending` before and `sent`/`failed` after, on disk.

A workbook is written once, at the end of a run; a crash in between would forget what was
sent. The journal (a JSON-lines file beside an Excel workbook, flushed and fsynced per line)
remembers it, and the next run merges it into the Reminder Log: a `pending` entry with no
outcome becomes `unconfirmed`, never sent again unless the owner sets it to `retry`.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from sheet_sync.errors import SheetSyncError
from sheet_sync.model import LogEntry, SendState


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def read(self) -> list[LogEntry]:
        """Every complete line of the journal (a line cut short by a crash, even mid-character, is ignored)."""
        if self.path.is_dir():
            raise SheetSyncError(f"The journal {self.path} is a folder; move it out of the way (sheet-sync keeps "
                                 "a file of that name there).")
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SheetSyncError(f"Cannot read the journal {self.path} ({exc.strerror}).") from None
        entries = []
        for line in lines:
            try:
                data = json.loads(line.decode("utf-8"))
                data["logged_at"] = datetime.fromisoformat(data["logged_at"])
                entries.append(LogEntry(**data))
            except (ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
                continue
        return entries

    def open(self) -> None:
        """Open for appending now, so that a journal that cannot be written stops the run before any send."""
        if self._fh is None:
            try:
                self._fh = open(self.path, "a", encoding="utf-8", newline="\n")  # the same bytes on every system
            except OSError as exc:
                raise SheetSyncError(f"Cannot write the journal {self.path} ({exc.strerror}); nothing was sent.") from None

    def record(self, entry: LogEntry) -> None:
        self.open()
        data = asdict(entry)
        data["logged_at"] = entry.logged_at.isoformat()
        self._fh.write(json.dumps(data, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def clear(self) -> None:
        """Called once the workbook holds everything the journal did."""
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


STOPPED_WHILE_SENDING = "the run stopped while sending; outcome unknown"
STOPPED_BEFORE_SENDING = "the run stopped before sending it; planned again"


def settle(e: LogEntry) -> LogEntry:
    """A send left open by a run that stopped: `pending` (it may have gone out) becomes `unconfirmed`,
    never re-sent on its own; `queued` (surely not sent yet) becomes `skipped`, planned again."""
    if e.state == SendState.PENDING:
        return replace(e, state=SendState.UNCONFIRMED, detail=STOPPED_WHILE_SENDING)
    if e.state == SendState.QUEUED:
        return replace(e, state=SendState.SKIPPED, detail=STOPPED_BEFORE_SENDING)
    return e


def recover(journal_entries: Iterable[LogEntry], logged: Iterable[LogEntry]) -> list[LogEntry]:
    """Journal entries the Reminder Log does not hold yet; a send left `pending` becomes `unconfirmed`.

    The journal is read in order: a `pending` line is settled by a later `sent`/`failed` line with the
    same Message ID; one still open at the end is a send whose outcome is unknown.
    """
    def key(e: LogEntry) -> tuple[str, str, str, str]:
        return (e.message_id, e.invoice_no, e.state, e.logged_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))

    in_log = {key(e) for e in logged}
    settled: list[LogEntry] = []
    # one message about several invoices has a line per invoice, all with its Message ID
    open_sends: dict[tuple[str, str], LogEntry] = {}
    for e in journal_entries:
        if e.state == SendState.PENDING:
            open_sends[(e.message_id, e.invoice_no)] = e
        else:
            open_sends.pop((e.message_id, e.invoice_no), None)
            settled.append(e)
    for e in open_sends.values():
        settled.append(settle(e))
    return sorted((e for e in settled if key(e) not in in_log), key=lambda e: e.logged_at)

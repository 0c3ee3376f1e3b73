"""The send loop: each message recorded in the run's SendLog before and after it goes out. At most once.

It knows only the SendLog interface: the planned sends are made durable first (`pending`, or `queued`
beyond the log's window), each send is recorded before and after, and between two windows the outcomes
so far are recorded before the next window may go. A send whose outcome is unknown is `unconfirmed`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Mapping, Sequence

from sheet_sync.compose import Outgoing
from sheet_sync.errors import SheetSyncError
from sheet_sync.mail.transport import SendError, Transport, Unconfirmed
from sheet_sync.model import LogEntry, SendState
from sheet_sync.result import Sent
from sheet_sync.sendlog import SendLog

Progress = Callable[[int, int, str], None]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SendOutcome:
    messages: tuple[Sent, ...]  # one per invoice of each outgoing message, in order (over the cap: skipped)
    log: tuple[LogEntry, ...]  # the log rows with their outcomes
    log_rows: Mapping[tuple[str, str], int]  # (Message ID, Invoice No) -> Reminder Log row already holding it


def _entries(o: Outgoing, clock: Clock, transport: str) -> list[LogEntry]:
    """A message's log rows, `pending`: one per invoice it is about, all with its Message ID."""
    return [LogEntry(clock(), no, o.client_id, stage, o.to_text, o.subject, o.message_id, transport,
                     SendState.PENDING) for no, stage in o.parts]


def send_all(outgoing: Sequence[Outgoing], log: SendLog, transport: Transport, clock: Clock, cap: int,
             progress: Progress | None = None) -> SendOutcome:
    """Send `outgoing` (at most `cap` messages; the rest are left for the next run), at most once."""
    to_send, over = list(outgoing[:cap]), list(outgoing[cap:])
    window = log.window
    pending = [_entries(o, clock, transport.name) for o in to_send]
    # the first `window` messages may go before the next record; the others wait, surely unsent, as `queued`
    planned = [e if not window or i < window else replace(e, state=SendState.QUEUED)
               for i, group in enumerate(pending) for e in group]
    rows = log.plan(planned) if planned else {}
    results, entries = _send(to_send, pending, log, transport, clock, progress, window if rows else None)
    for o in over:
        results += Sent.each(o, SendState.SKIPPED, f"over the daily cap of {cap}; left for the next run")
    return SendOutcome(tuple(results), tuple(entries), dict(rows))


def _send(outgoing: list[Outgoing], pending: list[list[LogEntry]], log: SendLog, transport: Transport,
          clock: Clock, progress: Progress | None, window: int | None) -> tuple[list[Sent], list[LogEntry]]:
    results: list[Sent] = []
    done: list[LogEntry] = []
    if not outgoing:
        return results, done

    def record(o: Outgoing, group: list[LogEntry], state: SendState, detail: str, journalled: bool) -> None:
        """The message's outcome, for each invoice; into the log's journal when its send was journalled."""
        results.extend(Sent.each(o, state, detail))
        for entry in group:
            outcome = replace(entry, logged_at=clock(), state=state, detail=detail)
            if journalled:
                log.after(outcome)
            done.append(outcome)

    try:
        transport.__enter__()
    except (SheetSyncError, SendError) as exc:  # login refused, server unreachable: nothing was sent
        for o, group in zip(outgoing, pending):
            record(o, group, SendState.FAILED, str(exc), journalled=False)
        return results, done
    try:
        since = 0  # the first outcome not yet recorded by advance()
        for i, (o, group) in enumerate(zip(outgoing, pending)):
            if window and i and i % window == 0:
                try:
                    log.advance(done[since:], [e for g in pending[i:i + window] for e in g])
                    since = len(done)
                except SheetSyncError as exc:  # cannot record: stop, so that nothing unknowable is sent
                    why = f"not sent: the Reminder Log could not be updated ({exc}); left for the next run"
                    for o2, g2 in zip(outgoing[i:], pending[i:]):
                        record(o2, g2, SendState.SKIPPED, why, journalled=False)
                    break
            for entry in group:
                log.before(entry)
            try:
                detail, state = transport.send(o.message, o.recipients), SendState.SENT
            except Unconfirmed as exc:
                detail, state = str(exc), SendState.UNCONFIRMED
            except SendError as exc:
                detail, state = str(exc), SendState.FAILED
            except Exception as exc:  # noqa: BLE001 - a surprise in one send: not known whether it went; go on
                detail, state = f"it stopped with an unexpected error ({type(exc).__name__}: {exc})"[:300], SendState.UNCONFIRMED
            record(o, group, state, detail, journalled=True)
            if progress:
                progress(i + 1, len(outgoing), o.invoice_no)
    finally:
        transport.__exit__(None, None, None)
    return results, done

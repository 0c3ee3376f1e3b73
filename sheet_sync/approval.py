"""Approval before sending (`reminders.approval`): which of today's messages go, which wait in the Outgoing sheet,
which the owner declined; and the Outgoing sheet itself. Pure.

A run with approval on sends only what the owner approved (`yes`) on a row of the Outgoing sheet, and only the
invoices of that row that are still due that very stage today (re-planned as of today: a paid, held or replied
invoice, or one whose due stage moved on, is dropped with a note). Everything else that is due waits: it is
(re)written into Outgoing, each row keeping the owner's Approve when its message is the same as before. `no`
passes over that stage for that invoice for good (a `skipped` Reminder Log row with the Detail "not approved");
`hold` and a blank keep the row waiting. On a day that is not a sending day nothing is decided and the sheet
stays as it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Mapping, Sequence

from sheet_sync.aging import AgingReport
from sheet_sync.compose import Due, Outgoing
from sheet_sync.load import outgoing_key
from sheet_sync.model import (
    CLOSED, NOT_APPROVED, OUTGOING_COLUMNS, THANKS, Book, LogEntry, SendState, SheetTable, Status, Waiting,
    message_name,
)
from sheet_sync.policy import Decision

Group = tuple[str, list[Due]]  # (client_id, the invoices of one message)
Pair = tuple[str, str]  # (invoice_no, stage)
FIRST_LINES = 3  # the plain body's first lines shown in Outgoing
FIRST_LINES_CHARS = 240
OUTGOING_FORMATS = {"Queued On": "date"}


@dataclass
class Split:
    """Today's due messages, sorted by the owner's answers."""

    send: list[Group] = field(default_factory=list)  # approved (`yes`) and still due: composed fresh and sent
    wait: list[Group] = field(default_factory=list)  # waiting for the owner: composed and written into Outgoing
    declined: list[tuple[Due, Waiting]] = field(default_factory=list)  # `no`: logged as skipped, never asked again
    kept: list[Waiting] = field(default_factory=list)  # rows left as they are (not due today but still to come)
    notes: dict[str, list[str]] = field(default_factory=dict)  # invoice_no -> what happened to its waiting row
    dropped: list[str] = field(default_factory=list)  # the same, one line each, for the run's summary
    decided: bool = True  # False on a day that is not a sending day: nothing decided, the sheet stays

    def note(self, invoice_no: str, text: str) -> None:
        self.notes.setdefault(invoice_no, []).append(text)
        self.dropped.append(f"{invoice_no}: {text}")


def split(groups: Sequence[Group], waiting: Sequence[Waiting], decisions: Mapping[str, Decision],
          report: AgingReport, sending_day: bool) -> Split:
    """Sort today's due messages (`groups`) by the Outgoing rows the owner answered (`waiting`)."""
    out = Split()
    if not sending_day:  # nothing is due today: every row waits as it is, whatever its answer
        out.kept = list(waiting)
        out.decided = False
        return out
    answer: dict[Pair, Waiting] = {}
    for w in waiting:
        for pair in w.parts:
            answer.setdefault(pair, w)
    due = {(d.invoice.invoice_no, d.stage) for _, items in groups for d in items}
    for client_id, items in groups:
        yes, wait = [], []
        for d in items:
            w = answer.get((d.invoice.invoice_no, d.stage))
            if w is not None and w.approve == "yes":
                yes.append(d)
            elif w is not None and w.approve == "no":
                out.declined.append((d, w))
            else:
                wait.append(d)
        if yes:
            out.send.append((client_id, yes))
        if wait:
            out.wait.append((client_id, wait))
    statuses = {r.invoice_no: r.status for r in report.rows}
    for w in waiting:
        gone = [pair for pair in w.parts if pair not in due]
        if not gone:
            continue
        coming = [pair for pair in gone if _coming(pair, decisions)]
        if len(coming) == len(w.parts):  # not due today (a day's pause), still to come: the row waits as it is
            out.kept.append(w)
            continue
        for no, stage in gone:
            if (no, stage) in coming:
                out.note(no, f"The {message_name(stage)} waiting in Outgoing was taken off today (not due today); "
                             "it is asked again when it is due.")
                continue
            now = decisions.get(no)
            if now is not None and now.send and (no, now.send) in due:
                continue  # another stage is due now: the new row says so (replaced())
            reason = _why_not(no, stage, statuses.get(no), now)
            verb = "you approved was not sent" if w.approve == "yes" else "waiting in Outgoing was taken off"
            out.note(no, f"The {message_name(stage)} {verb}: {reason}.")
    return out


def _coming(pair: Pair, decisions: Mapping[str, Decision]) -> bool:
    d = decisions.get(pair[0])
    return d is not None and not d.send and d.next_stage == pair[1]


def _why_not(invoice_no: str, stage: str, status: str | None, d: Decision | None) -> str:
    """Why a message is no longer due, in the owner's words."""
    if status is None or d is None:
        return f"invoice {invoice_no} is no longer on the Invoices sheet"
    if stage == THANKS:  # the invoice is paid, of course: the thank-you's own time has passed (or Reminders are off)
        return "the thank-you is no longer due"
    if status == Status.PAID:
        return "the invoice is paid"
    if status in CLOSED or status in (Status.ON_HOLD, Status.DISPUTED, Status.PROBLEM):
        return f"the invoice is {status} now"
    if d.replied:
        return "the client replied; reminders wait"
    if d.last is not None and d.last.stage == stage:
        return "it was sent already"
    if d.notes:
        return d.notes[-1].rstrip(".")
    return f"the {message_name(stage)} is no longer the one due"


def replaced(wait: Sequence[Outgoing], waiting: Sequence[Waiting], out: Split) -> None:
    """Notes for the invoices whose waiting row was replaced by a new stage due now."""
    before: dict[str, str] = {}
    for w in waiting:
        for no, stage in w.parts:
            before.setdefault(no, stage)
    for o in wait:
        for no, stage in o.parts:
            if no in before and before[no] != stage:
                out.note(no, f"The {message_name(before[no])} waiting in Outgoing was replaced by the "
                             f"{message_name(stage)} now due; approve the new row.")


def declined_entries(out: Split, at: datetime, transport: str) -> list[LogEntry]:
    """The Reminder Log rows of the stages the owner answered `no` to: `skipped`, never asked again."""
    rows = []
    for d, w in out.declined:
        values = dict(zip(OUTGOING_COLUMNS, w.values))
        rows.append(LogEntry(at, d.invoice.invoice_no, d.invoice.client_id, d.stage, str(values.get("To") or ""),
                             str(values.get("Subject") or ""), "", transport, SendState.SKIPPED,
                             f"{NOT_APPROVED} (Outgoing, row {w.row}): this stage is skipped"))
    return rows


def first_lines(o: Outgoing) -> str:
    """The first lines of the plain body, on one line."""
    body = o.message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:FIRST_LINES]
    shown = " / ".join(lines)
    return shown if len(shown) <= FIRST_LINES_CHARS else shown[:FIRST_LINES_CHARS - 1] + "…"


def preview_name(values: Sequence[object]) -> str:
    """The preview file a row read from Outgoing names ("" for a command or nothing): kept while its row stays."""
    shown = str(values[OUTGOING_COLUMNS.index("Preview")] or "")
    return shown.rsplit("/", 1)[-1] if shown.endswith(".eml") else ""


def preview_command(o: Outgoing) -> str:
    return f"sheet-sync preview {o.invoice_no} --stage {o.stage}"


def outgoing_table(wait: Sequence[Outgoing], out: Split, waiting: Sequence[Waiting], book: Book,
                   as_of: date, retry: Sequence[Outgoing] = (),
                   previews: Mapping[str, str] | None = None) -> SheetTable:
    """The Outgoing sheet: the rows kept as they were, then today's waiting messages, each keeping the owner's
    Approve (and its Queued On) when the same message waited before; then the approved messages that did not go
    today (`retry`: failed, or over the daily cap), still approved. `previews`: Key -> the message's preview file
    (beside an Excel workbook); without one a row names the preview command."""
    rows: list[tuple] = [w.values for w in out.kept]
    before = {frozenset(w.parts): w for w in waiting}
    for o, again in [*((o, False) for o in wait), *((o, True) for o in retry)]:
        old = before.get(frozenset(o.parts))
        client = book.clients.get(o.client_id)
        queued = OUTGOING_COLUMNS.index("Queued On")
        values = {
            "Approve": "yes" if again else (old.approve or None) if old is not None else None,
            "Client": client.name if client is not None else o.client_id,
            "To": o.to_text,
            "Invoices": ", ".join(no for no, _ in o.parts),
            "Stage": o.stage,
            "Subject": o.subject,
            "First Lines": first_lines(o),
            "Preview": (previews or {}).get(outgoing_key(o.parts)) or preview_command(o),
            "Queued On": (old.values[queued] if old is not None and old.values[queued] else as_of),
            "Key": outgoing_key(o.parts),
        }
        rows.append(tuple(values[h] for h in OUTGOING_COLUMNS))
    return SheetTable(OUTGOING_COLUMNS, tuple(rows), OUTGOING_FORMATS)


def with_notes(decisions: Mapping[str, Decision], out: Split, wait: Sequence[Outgoing],
               next_day: date) -> dict[str, Decision]:
    """The decisions as the Invoices sheet shows them: a waiting message is not sent today (Next Reminder: the
    next sending day, once approved), a declined one is passed over; each with its note."""
    result = dict(decisions)
    for o in wait:
        for no, stage in o.parts:
            d = result.get(no)
            if d is not None:
                result[no] = replace(d, send="", next_stage=stage, next_date=next_day, notes=(
                    *d.notes, f"The {message_name(stage)} waits for your approval: set Approve to yes on its row of "
                    "the Outgoing sheet and it goes on the next run."))
    for due, w in out.declined:
        no = due.invoice.invoice_no
        d = result.get(no)
        if d is not None:
            result[no] = replace(d, send="", next_stage="", next_date=None, notes=(
                *d.notes, f"The {message_name(due.stage)} was not approved (Outgoing, row {w.row}): it is skipped, and "
                          "not asked again."))
    for no, notes in out.notes.items():
        d = result.get(no)
        if d is not None:
            result[no] = replace(d, notes=(*d.notes, *notes))
    return result

"""The library API: what the CLI and the tests call. It never prints; it returns results.

    load(config)                      -> (Book, backend)
    sync(config, as_of, dry_run)      -> SyncResult
    check(config)                     -> CheckResult
    preview(config, invoice_no, ...)  -> Outgoing
    forecast(config, days, as_of)     -> Forecast
"""
from __future__ import annotations

import gc
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Callable, Mapping

from sheet_sync.aging import AgingReport, age, totals_by_currency
from sheet_sync.backends import Backend, get_backend
from sheet_sync.config import Config
from sheet_sync.digest import send_digest
from sheet_sync.errors import SheetSyncError
from sheet_sync.journal import settle
from sheet_sync.load import load_book, wanted_sheets
from sheet_sync.mail import make_transport
from sheet_sync.mail.transport import Transport
from sheet_sync.model import INVOICE, OPEN, STAGES, Book, LogEntry, Problem, SendState, Status
from sheet_sync.model import OUTGOING, SheetTable, message_name
from sheet_sync.policy import Calendar, Decision, make_calendar, message_groups, plan
from sheet_sync.recurring import plan_recurring, with_added, write_fields
from sheet_sync.replies import apply_bounces
from sheet_sync import tables
from sheet_sync.result import CheckResult, Preview, Sent, SyncResult
from sheet_sync.writeplan import build_write_plan
from sheet_sync.sendlog import SendLog

if TYPE_CHECKING:  # compose (Jinja2, Babel) and send load only when a reminder is due: a sync that sends
    from sheet_sync.compose import Due, Outgoing  # nothing starts faster
    from sheet_sync.attach import InvoicePdf
    from sheet_sync.send import Progress
    from sheet_sync.forecast import Forecast
    from sheet_sync.approval import Split


def today(config: Config) -> date:
    return datetime.now(config.tz).date()


def load(config: Config) -> tuple[Book, Backend]:
    backend = get_backend(config)
    raw = backend.read(wanted_sheets(config))
    return load_book(raw, config), backend


@dataclass
class _Run:
    """The pure part of a sync: everything decided before anything is sent."""

    book: Book
    report: AgingReport
    decisions: dict[str, Decision]
    calendar: Calendar
    outgoing: list[Outgoing]
    recovered: list[LogEntry]
    compose_problems: list[Problem] = field(default_factory=list)
    stale: list[LogEntry] = field(default_factory=list)  # pending rows left by a stopped run
    pdfs: dict[str, InvoicePdf | None] = field(default_factory=dict)  # the PDFs that go with the messages
    pdf_warnings: list[Problem] = field(default_factory=list)  # reminders that go without their PDF, and why
    split: Split | None = None  # with reminders.approval: today's messages sorted by the owner's answers
    waiting: list[Outgoing] = field(default_factory=list)  # ... and those that wait for them (not sent)


class _Stages:
    """Seconds spent in each stage of a run, for the result (`stage_seconds`) and bench/."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._since = perf_counter()

    def done(self, stage: str) -> None:
        now = perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._since, 4)
        self._since = now


def listen(config: Config, book: Book) -> tuple[list[LogEntry], str]:
    """Read the owner's mailbox (`[mail.imap]`, read-only) for replies and bounces since the oldest open
    reminder: the Reminder Log rows it adds (none the log holds already), and a line saying what it read.

    Raises:
        SheetSyncError: the mailbox cannot be read (a run never chases a client whose reply it could not see).
    """
    if not config.mail.imap.on:
        return [], ""
    from sheet_sync import replies
    from sheet_sync.mail.mailbox import scan

    day = replies.since(book, config.tz)
    if day is None:
        return [], "mailbox: no open reminder to listen for"
    index = replies.mail_index(book, config)
    found = scan(config, day, index)
    items = replies.classify(found.mails, index, config)
    rows = replies.log_entries(items, book)
    new = {stage: len({e.message_id for e in rows if e.stage == stage}) for stage in (replies.REPLY, replies.BOUNCE)}
    return rows, (f"mailbox: {found.searched} message{'s' if found.searched != 1 else ''} since {day.isoformat()}, "
                  f"{found.bodies} read whole; new: {new[replies.REPLY]} repl{'ies' if new[replies.REPLY] != 1 else 'y'}, "
                  f"{new[replies.BOUNCE]} bounce{'s' if new[replies.BOUNCE] != 1 else ''}")


def _prepare(config: Config, as_of: date, book: Book, log: SendLog, stages: _Stages | None = None,
             pdfs: str = "", approving: bool = False) -> _Run:
    """Everything decided before anything is sent. `pdfs`: "make" the invoice PDFs the messages carry, "check"
    only whether they could be made (a dry run, a preview), or "" not at all."""
    stages = stages or _Stages()
    book, recovered = _with_journal(book, log)
    # an address that bounced for good (the Reminder Log remembers it) is a Problem: nothing more goes to it
    book = apply_bounces(book, config)
    # A `pending` row in the log was written by a run that stopped before it could record the outcome;
    # a `queued` one by a run that stopped before it came to that message (it is planned again).
    stale = [e for e in book.log if e.state in OPEN]
    if stale:
        book = replace(book, log=tuple(settle(e) for e in book.log))
    report = age(book, config, as_of)
    stages.done("age")
    calendar = make_calendar(config, as_of)
    decisions = plan(report, book, config, calendar)
    stages.done("plan")
    outgoing: list[Outgoing] = []
    problems: list[Problem] = []
    groups = _due_by_message(book, report, decisions, config)
    run = _Run(book, report, decisions, calendar, outgoing, recovered, problems, stale)
    if approving:  # only the approved messages go; the others are written out for the owner to answer
        from sheet_sync.approval import split

        run.split = split(groups, book.outgoing, decisions, report, calendar.is_sending_day(as_of))
        groups = run.split.send + run.split.wait
    if groups and pdfs:
        groups = _make_pdfs(run, groups, config, as_of, dry_run=pdfs != "make")
        stages.done("pdf")
    if groups:
        from sheet_sync.compose import compose_for_client
    for client_id, items in groups:
        try:
            outgoing.append(compose_for_client(items, book.clients[client_id], config, as_of, attached=run.pdfs))
        except SheetSyncError as exc:
            for d in items:
                problems.append(Problem(None, f"Invoice {d.invoice.invoice_no}: the {message_name(d.stage)} could not "
                                              f"be written: {exc}", d.invoice.invoice_no))
    if run.split is not None:
        waits = {(d.invoice.invoice_no, d.stage) for _, items in run.split.wait for d in items}
        run.waiting = [o for o in outgoing if o.parts[0] in waits]
        outgoing[:] = [o for o in outgoing if o.parts[0] not in waits]
    stages.done("render")
    return run


def _with_journal(book: Book, log: SendLog) -> tuple[Book, list[LogEntry]]:
    """The book with the sends its crash journal holds and its Reminder Log does not yet (a run that stopped
    before writing them back), and those sends."""
    recovered = log.earlier(book.log)
    return (replace(book, log=book.log + tuple(recovered)) if recovered else book), list(recovered)


def _make_pdfs(run: _Run, groups: list[tuple[str, list[Due]]], config: Config, as_of: date,
               dry_run: bool) -> list[tuple[str, list[Due]]]:
    """The PDFs today's messages carry, made before the messages are written (their words say whether a copy is
    attached). A reminder whose PDF cannot be made goes without it, with a warning; the invoice itself is not
    sent without its PDF: it stays due for the next run, and its row says why."""
    numbers = [d.invoice.invoice_no for _, items in groups for d in items
               if d.stage == INVOICE or d.stage in config.reminders.attach_invoice]
    if not numbers:
        return groups
    from sheet_sync.attach import make_pdfs

    run.pdfs, failed = make_pdfs(numbers, run.book, config, as_of, dry_run)
    kept: list[tuple[str, list[Due]]] = []
    for client_id, items in groups:
        left = []
        for d in items:
            no = d.invoice.invoice_no
            if no not in failed:
                left.append(d)
            elif d.stage == INVOICE:
                run.compose_problems.append(Problem(None, f"Invoice {no} was not sent: its PDF could not be made: "
                                                          f"{failed[no]} It goes on the next run once that is fixed.", no))
                run.decisions[no] = replace(run.decisions[no], send="", next_stage=INVOICE,
                                            next_date=run.calendar.add_busdays(as_of, 1))
            else:
                left.append(d)
                run.pdf_warnings.append(Problem(None, f"Invoice {no}: the {d.stage} reminder goes without the invoice "
                                                      f"PDF: {failed[no]}", no, blocking=False))
        if left:
            kept.append((client_id, left))
    run.compose_problems.extend(run.pdf_warnings)
    return kept


def _due_by_message(book: Book, report: AgingReport, decisions: Mapping[str, Decision],
                    config: Config) -> list[tuple[str, list[Due]]]:
    """Today's due invoices, grouped into messages: one per client (`reminders.one_email_per_client`),
    else one per invoice; in sheet order of each message's first invoice."""
    if not any(d.send for d in decisions.values()):
        return []
    from sheet_sync.compose import Due

    invoices = {inv.invoice_no: inv for inv in book.invoices}
    aged = report.by_invoice()
    # the grouping is policy's (the forecast groups the same way)
    return [(client_id, [Due(invoices[no], decisions[no].send, aged[no].balance, aged[no].days_overdue or 0,
                             decisions[no].references, decisions[no].invoice_sent) for no in numbers])
            for client_id, numbers in message_groups(decisions, invoices, config.reminders.one_email_per_client)]


def sync(config: Config, as_of: date | None = None, dry_run: bool = False,
         progress: Progress | None = None, transport: Transport | None = None) -> SyncResult:
    """Read the workbook, age it, send the reminders that are due, write the results back.

    With `dry_run`, nothing is written and nothing is sent (the journal and log included).
    """
    as_of = as_of or today(config)
    backend = get_backend(config)
    # A sync makes millions of small objects and no cyclic garbage worth collecting: the collector's full
    # passes cost a third of a 100,000-invoice run (and no memory is saved by them; measured).
    collecting = gc.isenabled()
    gc.disable()
    try:
        if dry_run:
            return _sync(config, as_of, backend, dry_run, progress, transport)
        with backend.lock():
            return _sync(config, as_of, backend, dry_run, progress, transport)
    finally:
        if collecting:
            gc.enable()


def _sync(config: Config, as_of: date, backend: Backend, dry_run: bool, progress: Progress | None,
          transport: Transport | None) -> SyncResult:
    stages = _Stages()
    raw = backend.read(wanted_sheets(config))
    stages.done("read")
    book = load_book(raw, config)
    del raw  # the sheets as read are in the book now: their cells need not stay in memory until the write
    # the Recurring sheet's due invoices join the book now: they age, and a Ready one is sent, on this run
    recurring = plan_recurring(book, config, as_of)
    book = with_added(book, recurring, config)
    stages.done("load")
    heard, mailbox = listen(config, book)  # before planning: a client who replied is not chased
    if heard:
        book = replace(book, log=book.log + tuple(heard))
    if config.mail.imap.on:
        stages.done("mailbox")
    transport = transport or (None if dry_run else make_transport(config))
    log = backend.send_log(real_mail=transport is not None and transport.name != "outbox")
    # the invoice PDFs are made before the messages are written (a dry run only checks their data and fonts)
    run = _prepare(config, as_of, book, log, stages, pdfs="check" if dry_run else "make",
                   approving=config.reminders.approval)
    declined = _approval(run, config, as_of)
    pdf_warnings = run.pdf_warnings
    if run.pdfs and not dry_run:
        from sheet_sync.attach import add_pdfs

        run.outgoing = add_pdfs(run.outgoing, run.pdfs, config)
        run.waiting = add_pdfs(run.waiting, run.pdfs, config)  # their previews show what would go

    results: list[Sent] = []
    log_rows: list[LogEntry] = list(run.recovered) + heard + declined
    rows_of: Mapping[tuple[str, str], int] = {}
    if dry_run:
        results = [s for o in run.outgoing for s in Sent.each(o, SendState.PLANNED)]
    elif run.outgoing:  # with nothing to send there is no outcome and no log row
        from sheet_sync.send import send_all

        outcome = send_all(run.outgoing, log, transport, _clock(config, as_of), config.mail.daily_cap, progress)
        results, rows_of = list(outcome.messages), outcome.log_rows
        log_rows.extend(outcome.log)
        stages.done("send")

    outgoing_sheet = _outgoing_sheet(run, results, as_of, config, dry_run)
    awaiting = len(outgoing_sheet.rows) if outgoing_sheet is not None else None  # (None: approval is off)
    statuses = tables.final_statuses(run.report, run.decisions)
    problems = tuple(run.book.problems) + tuple(run.compose_problems)
    written, writer = False, ""
    if not dry_run:
        write_plan = build_write_plan(config, run.book, run.report, run.decisions, statuses, problems,
                                      results, log_rows, rows_of, run.stale)
        if recurring.next_dates:
            write_plan = replace(write_plan, **write_fields(recurring, config))
        if outgoing_sheet is not None:
            write_plan = replace(write_plan, outgoing=outgoing_sheet, outgoing_sheet=config.sheet_name(OUTGOING))
        write_plan = _with_heartbeat(write_plan, config, as_of, results, problems, run.calendar, awaiting or 0)
        writer = backend.apply(write_plan).writer
        log.done()
        written = True
        stages.done("write")

    rows = run.report.rows
    result = SyncResult(
        as_of=as_of,
        workbook=str(config.workbook.path or config.workbook.google_sheet),
        business=config.business.name,
        workbook_name=workbook_name(config),
        invoices_read=len(rows),
        problems=problems,
        totals=totals_by_currency(run.report),
        labels=run.report.labels,
        messages=tuple(results),
        needs_attention=tuple(r.invoice_no for r, s in zip(rows, statuses) if s == Status.NEEDS_ATTENTION),
        unconfirmed=tuple(e.invoice_no for e in run.book.log if e.state in (SendState.UNCONFIRMED, SendState.PENDING)),
        found_unconfirmed=tuple(e.invoice_no for e in run.stale if e.state == SendState.PENDING),
        statuses=dict(Counter(statuses)),
        dry_run=dry_run,
        transport=config.mail.transport,
        outbox_dir=str(config.mail.outbox_dir) if config.mail.transport == "outbox" else "",
        written=written,
        sending_day=run.calendar.is_sending_day(as_of),
        attention=tables.attention(run.report, run.book, run.decisions, statuses),
        replied=tables.replied(run.report, run.book, run.decisions, statuses),
        mailbox=mailbox,
        writer=writer,
        stage_seconds=stages.seconds,
        pdf_warnings=tuple(pdf_warnings),
        recurring_added=recurring.added,
        recurring_already=recurring.already,
        awaiting_approval=awaiting,
        approval_notes=tuple(run.split.dropped) if run.split is not None else (),
    )
    if not dry_run:
        result = replace(result, digest=send_digest(result, config, transport))
    return result


def _approval(run: _Run, config: Config, as_of: date) -> list[LogEntry]:
    """With reminders.approval: the Reminder Log rows of the stages the owner declined; the decisions get their
    notes (waiting, declined, dropped)."""
    if run.split is None:
        return []
    from sheet_sync import approval

    approval.replaced(run.waiting, run.book.outgoing, run.split)
    declined = approval.declined_entries(run.split, _clock(config, as_of)(), config.mail.transport)
    run.decisions = approval.with_notes(run.decisions, run.split, run.waiting, run.calendar.add_busdays(as_of, 1))
    return declined


def _outgoing_sheet(run: _Run, results: list[Sent], as_of: date, config: Config, dry_run: bool) -> SheetTable | None:
    """With reminders.approval: the Outgoing sheet after the sends. An approved message that did not go (it failed,
    or was over the daily cap) stays on it with its `yes`, to go on the next run. Beside an Excel workbook, each
    waiting message is an .eml file in the folder `<workbook name>-outgoing`, which its row's Preview names."""
    if run.split is None:
        return None
    from sheet_sync.approval import outgoing_table, preview_name
    from sheet_sync.load import outgoing_key

    again = {s.message_id for s in results if s.state in (SendState.FAILED, SendState.SKIPPED)}
    retry = [o for o in run.outgoing if o.message_id in again]
    previews: dict[str, str] = {}
    if config.workbook.path and not dry_run and run.split.decided:
        from sheet_sync.mail.outbox import write_previews

        folder = preview_folder(config)
        kept = [preview_name(w.values) for w in run.split.kept]
        names = write_previews(folder, [(outgoing_key(o.parts), o.message) for o in [*run.waiting, *retry]],
                               [n for n in kept if n])
        previews = {key: f"{folder.name}/{name}" for key, name in names.items()}
    return outgoing_table(run.waiting, run.split, run.book.outgoing, run.book, as_of, retry, previews)


def preview_folder(config: Config) -> Path:
    """Where the messages waiting for approval are written as .eml files, beside the Excel workbook."""
    path = Path(config.workbook.path)
    return path.parent / f"{path.stem}-outgoing"


def _with_heartbeat(write_plan, config: Config, as_of: date, results: list[Sent], problems: tuple[Problem, ...],
                    calendar: Calendar, waiting: int = 0):
    """The Aging Summary's `Last run` line: when this run was (on the day it stands on) and what it did."""
    from sheet_sync.heartbeat import last_run

    if write_plan.summary is None:
        return write_plan
    line = last_run(_clock(config, as_of)().astimezone(config.tz), config.aging.timezone,
                    sum(1 for m in results if m.state == SendState.SENT),
                    sum(1 for m in results if m.state == SendState.FAILED),
                    sum(1 for p in problems if p.blocking), calendar.is_sending_day(as_of), waiting)
    return replace(write_plan, summary=replace(write_plan.summary, last_run=line))


def workbook_name(config: Config) -> str:
    """The workbook as a person names it: its file name, or "Google Sheet <key>" (the key from its URL)."""
    if config.workbook.path:
        return Path(config.workbook.path).name
    sheet = config.workbook.google_sheet.strip()
    found = re.search(r"/spreadsheets/d/([a-zA-Z0-9-_]+)", sheet)
    return f"Google Sheet {found.group(1) if found else sheet}" if sheet else ""


def _clock(config: Config, as_of: date) -> Callable[[], datetime]:
    """Timestamps for the log. With --as-of another day, the run stands on that day (at the current time
    of day), so that the gaps between stages are measured from the days the runs stood on."""
    if as_of == today(config):
        return lambda: datetime.now(timezone.utc)
    tz = config.tz
    return lambda: datetime.combine(as_of, datetime.now(tz).time(), tz).astimezone(timezone.utc)


# ---- check and preview ---------------------------------------------------------------------

def check(config: Config) -> CheckResult:
    """Validate workbook and templates (the invoice PDF's included); write nothing."""
    from sheet_sync.invoice_doc import check_invoice_template
    from sheet_sync.render import check_templates

    book, _ = load(config)
    book = apply_bounces(book, config)
    folder = config.reminders.templates_dir
    fee = bool(config.reminders.late_fee)  # the late-fee lines are checked when the owner charges one
    return CheckResult(book.problems, tuple(check_templates(folder, fee) + check_invoice_template(folder, fee)),
                       len(book.invoices), len(book.clients))


def invoice_pdf(config: Config, invoice_no: str, as_of: date | None = None) -> InvoicePdf:
    """The PDF of one invoice, as of `as_of` (today): its balance, and its early-payment discount while open.

    Raises:
        SheetSyncError: no such invoice, a problem in its cells or lines, a missing font, or WeasyPrint failed.
    """
    from sheet_sync.attach import invoice_pdf as make

    book, _ = load(config)
    return make(book, invoice_no, config, as_of or today(config))


def preview(config: Config, invoice_no: str, stage: str | None = None, as_of: date | None = None) -> Preview:
    """Render the reminder an invoice would get: today's due stage, or `stage`. A stage that is not due
    today is rendered as of the day it would go out (its days overdue and reply-by date then), and the
    preview says so."""
    as_of = as_of or today(config)
    book, backend = load(config)
    run = _prepare(config, as_of, book, backend.send_log(real_mail=False), pdfs="check")
    for o in run.outgoing:
        if o.invoice_no == invoice_no and (stage is None or o.stage == stage):
            return Preview(o, as_of)
    inv = next((i for i in run.book.invoices if i.invoice_no == invoice_no), None)
    if inv is None:
        raise SheetSyncError(f"There is no invoice '{invoice_no}' on the Invoices sheet.")
    client = run.book.clients.get(inv.client_id)
    if client is None or inv.amount is None or inv.due_date is None:
        raise SheetSyncError(f"Invoice {invoice_no} has a problem (see `sheet-sync check`), so it gets no reminder.")
    decision = run.decisions[invoice_no]
    stage = stage or decision.next_stage
    if stage not in (*STAGES, INVOICE):
        raise SheetSyncError(f"Invoice {invoice_no} has no reminder coming; name one with --stage (upcoming, gentle, "
                             "firm, final, invoice).")
    day = decision.next_date if stage == decision.next_stage and decision.next_date else as_of
    row = run.report.by_invoice()[invoice_no]
    from sheet_sync.compose import compose

    attached = stage == INVOICE or stage in config.reminders.attach_invoice
    o = compose(inv, client, stage, row.balance, (day - inv.due_date).days, decision.references, config, day,
                extra={"attachments": (invoice_no,), "invoice_attached": True} if attached else None)
    if day != as_of:
        return Preview(o, day, f"not due yet: rendered as of {day.isoformat()}, the day it would go out")
    return Preview(o, day, f"not due on {as_of.isoformat()}: rendered as if it went out that day")


# ---- forecast ------------------------------------------------------------------------------------

def forecast(config: Config, days: int = 30, as_of: date | None = None) -> Forecast:
    """The messages the daily runs will send from `as_of` (today) for `days` days if nothing is paid, and the
    cash expected per week by due date, per currency. It reads the workbook (and an Excel workbook's crash
    journal, as a run does) and nothing else: it writes nothing, sends nothing, and reads no mailbox.

    Raises:
        SheetSyncError: `days` out of range, or the workbook cannot be read.
    """
    from sheet_sync.forecast import MAX_DAYS, forecast as simulate

    if not 1 <= days <= MAX_DAYS:
        raise SheetSyncError(f"--days {days} is out of range; give a number of days from 1 to {MAX_DAYS}.")
    as_of = as_of or today(config)
    book, backend = load(config)
    book, _ = _with_journal(book, backend.send_log(real_mail=False))
    return simulate(book, config, as_of, days)

"""The library API: what the CLI and the tests call. It never prints; it returns results.

    load(config)                      -> (Book, backend)
    sync(config, as_of, dry_run)      -> SyncResult
    check(config)                     -> CheckResult
    preview(config, invoice_no, ...)  -> Outgoing
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from time import perf_counter
from typing import Callable, Mapping

from sheet_sync.aging import AgingReport, age, totals_by_currency
from sheet_sync.backends import Backend, get_backend
from sheet_sync.compose import Outgoing, compose
from sheet_sync.config import Config
from sheet_sync.digest import send_digest
from sheet_sync.errors import SheetSyncError
from sheet_sync.journal import settle
from sheet_sync.load import load_book, wanted_sheets
from sheet_sync.mail.transport import Transport, make_transport
from sheet_sync.model import (
    INVOICES, DELIVERED, OPEN, TOOL_COLUMNS, AGING, AGING_SUMMARY, REMINDER_LOG, Book, LogEntry, Problem,
    SendState, Status, WritePlan, normalize_name,
)
from sheet_sync.policy import Decision, make_calendar, plan
from sheet_sync import report as tables
from sheet_sync.result import Attention, CheckResult, Sent, SyncResult
from sheet_sync.send import Progress, send_all
from sheet_sync.sendlog import SendLog


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
    outgoing: list[Outgoing]
    recovered: list[LogEntry]
    compose_problems: list[Problem] = field(default_factory=list)
    stale: list[LogEntry] = field(default_factory=list)  # pending rows left by a stopped run


class _Stages:
    """Seconds spent in each stage of a run, for the result (`stage_seconds`) and bench/."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._since = perf_counter()

    def done(self, stage: str) -> None:
        now = perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._since, 4)
        self._since = now


def _prepare(config: Config, as_of: date, book: Book, log: SendLog, stages: _Stages | None = None) -> _Run:
    stages = stages or _Stages()
    recovered = log.earlier(book.log)
    if recovered:
        book = replace(book, log=book.log + tuple(recovered))
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
    invoices = {inv.invoice_no: inv for inv in book.invoices}
    aged = report.by_invoice()
    outgoing: list[Outgoing] = []
    problems: list[Problem] = []
    for no, d in decisions.items():
        if not d.send:
            continue
        inv = invoices[no]
        row = aged[no]
        try:
            outgoing.append(compose(inv, book.clients[inv.client_id], d.send, row.balance, row.days_overdue,
                                    d.references, config, as_of))
        except SheetSyncError as exc:
            problems.append(Problem(None, f"Invoice {no}: the {d.send} reminder could not be written: {exc}", no))
    stages.done("render")
    return _Run(book, report, decisions, outgoing, recovered, problems, stale)


def sync(config: Config, as_of: date | None = None, dry_run: bool = False,
         progress: Progress | None = None, transport: Transport | None = None) -> SyncResult:
    """Read the workbook, age it, send the reminders that are due, write the results back.

    With `dry_run`, nothing is written and nothing is sent (the journal and log included).
    """
    as_of = as_of or today(config)
    backend = get_backend(config)
    if dry_run:
        return _sync(config, as_of, backend, dry_run, progress, transport)
    with backend.lock():
        return _sync(config, as_of, backend, dry_run, progress, transport)


def _sync(config: Config, as_of: date, backend: Backend, dry_run: bool, progress: Progress | None,
          transport: Transport | None) -> SyncResult:
    stages = _Stages()
    raw = backend.read(wanted_sheets(config))
    stages.done("read")
    book = load_book(raw, config)
    stages.done("load")
    transport = transport or (None if dry_run else make_transport(config))
    log = backend.send_log(real_mail=transport is not None and transport.name != "outbox")
    run = _prepare(config, as_of, book, log, stages)
    sending_day = make_calendar(config, as_of).is_sending_day(as_of)

    results: list[Sent] = []
    log_rows: list[LogEntry] = list(run.recovered)
    rows_of: Mapping[str, int] = {}
    if dry_run:
        results = [Sent.of(o, SendState.PLANNED) for o in run.outgoing]
    else:
        outcome = send_all(run.outgoing, log, transport, _clock(config, as_of), config.mail.daily_cap, progress)
        results, rows_of = list(outcome.messages), outcome.log_rows
        log_rows.extend(outcome.log)
        stages.done("send")

    sent_today = {m.invoice_no: m.stage for m in results if m.state in (SendState.SENT, SendState.PLANNED)}
    failed_notes = {m.invoice_no: [f"The {m.stage} reminder failed today: {m.detail}."] for m in results if m.state == SendState.FAILED}
    failed_notes.update({m.invoice_no: [f"The {m.stage} reminder may not have arrived ({m.detail}); it is not sent again "
                                        "unless you set its State to 'retry' in the Reminder Log."]
                         for m in results if m.state == SendState.UNCONFIRMED})
    statuses = tables.final_statuses(run.report, run.decisions)
    problems = tuple(run.book.problems) + tuple(run.compose_problems)
    written = False
    if not dry_run:
        plan_ = _write_plan(config, run, statuses, problems, sent_today, failed_notes, log_rows, rows_of)
        backend.apply(plan_)
        log.done()
        written = True
        stages.done("write")

    rows = run.report.rows
    result = SyncResult(
        as_of=as_of,
        workbook=str(config.workbook.path or config.workbook.google_sheet),
        invoices_read=len(rows),
        problems=problems,
        totals=totals_by_currency(run.report),
        labels=run.report.labels,
        messages=tuple(results),
        needs_attention=tuple(r.invoice_no for r, s in zip(rows, statuses) if s == Status.NEEDS_ATTENTION),
        unconfirmed=tuple(e.invoice_no for e in run.book.log if e.state in (SendState.UNCONFIRMED, SendState.PENDING)),
        statuses=dict(Counter(statuses)),
        dry_run=dry_run,
        transport=config.mail.transport,
        outbox_dir=str(config.mail.outbox_dir) if config.mail.transport == "outbox" else "",
        written=written,
        sending_day=sending_day,
        attention=_attention(run, statuses),
        stage_seconds=stages.seconds,
    )
    if not dry_run:
        result = replace(result, digest=send_digest(result, config, transport))
    return result


def _attention(run: _Run, statuses: list[str]) -> tuple[Attention, ...]:
    out = []
    for row, status in zip(run.report.rows, statuses):
        if status != Status.NEEDS_ATTENTION:
            continue
        client = run.book.clients.get(row.client_id)
        decision = run.decisions.get(row.invoice_no)
        reason = " ".join(decision.notes) if decision and decision.notes else "The final notice brought no payment."
        days = row.days_overdue or 0
        out.append(Attention(row.invoice_no, client.name if client else row.client_id, row.currency,
                             row.balance, days, reason))
    return tuple(out)


def _clock(config: Config, as_of: date) -> Callable[[], datetime]:
    """Timestamps for the log. With --as-of another day, the run stands on that day (at the current time
    of day), so that the gaps between stages are measured from the days the runs stood on."""
    if as_of == today(config):
        return lambda: datetime.now(timezone.utc)
    tz = config.tz
    return lambda: datetime.combine(as_of, datetime.now(tz).time(), tz).astimezone(timezone.utc)


def _write_plan(config: Config, run: _Run, statuses: list[str], problems: tuple[Problem, ...],
                sent_today: Mapping[str, str], failed_notes: Mapping[str, list[str]],
                log_rows: list[LogEntry], rows_of: Mapping[str, int]) -> WritePlan:
    rows = tables.invoice_rows(run.report, statuses, run.decisions, problems, sent_today, failed_notes)
    row_updates = {
        p.cell.row: (None, None, None, Status.PROBLEM, None, None, str(p))
        for p in problems
        if not p.invoice_no and p.cell is not None
        and normalize_name(p.cell.sheet) == normalize_name(config.sheet_name(INVOICES))
    }
    finals = _final_notices(run, sent_today)
    amount_paid = {inv.invoice_no: inv.amount_paid for inv in run.book.invoices} if run.book.has_payments_sheet else {}
    return WritePlan(
        invoices_sheet=config.sheet_name(INVOICES),
        invoice_no_header=config.column_name("Invoice No"),
        tool_columns=tuple(config.column_name(c) for c in TOOL_COLUMNS),
        invoice_updates=rows,
        row_updates=row_updates,
        amount_paid_header=config.column_name("Amount Paid"),
        amount_paid=amount_paid,
        currency_header=config.column_name("Currency"),
        default_currency=config.aging.default_currency,
        aging_sheet=config.sheet_name(AGING),
        aging=tables.aging_table(run.report, run.book, statuses, run.decisions, sent_today),
        summary_sheet=config.sheet_name(AGING_SUMMARY),
        summary=tables.summary_table(run.report, run.book, finals),
        log_sheet=config.sheet_name(REMINDER_LOG),
        log_append=tuple(e.as_row() for e in log_rows if e.message_id not in rows_of),
        log_updates=_log_updates(run, log_rows, rows_of),
    )


def _log_updates(run: _Run, log_rows: list[LogEntry], rows_of: Mapping[str, int]) -> dict[int, tuple]:
    """Rows already in the Reminder Log that change: this run's pending rows get their outcome, and a
    `pending` row left by a run that stopped mid-send becomes `unconfirmed`."""
    updates = {rows_of[e.message_id]: e.as_row() for e in log_rows if e.message_id in rows_of}
    for e in run.stale:
        if e.row and e.row not in updates:
            updates[e.row] = settle(e).as_row()
    return updates


def _final_notices(run: _Run, sent_today: Mapping[str, str]) -> dict[str, int]:
    reached = {e.invoice_no for e in run.book.log if e.stage == "final" and e.state in DELIVERED}
    reached |= {no for no, stage in sent_today.items() if stage == "final"}
    client_of = {inv.invoice_no: inv.client_id for inv in run.book.invoices}
    return dict(Counter(client_of[no] for no in reached if no in client_of))


# ---- check and preview ---------------------------------------------------------------------

def check(config: Config) -> CheckResult:
    """Validate workbook and templates; write nothing."""
    from sheet_sync.render import check_templates

    book, _ = load(config)
    return CheckResult(book.problems, tuple(check_templates(config.reminders.templates_dir)),
                       len(book.invoices), len(book.clients))


def preview(config: Config, invoice_no: str, stage: str | None = None, as_of: date | None = None) -> Outgoing:
    """Render the reminder an invoice would get (today's due stage, or `stage`)."""
    as_of = as_of or today(config)
    book, backend = load(config)
    run = _prepare(config, as_of, book, backend.send_log(real_mail=False))
    for o in run.outgoing:
        if o.invoice_no == invoice_no and (stage is None or o.stage == stage):
            return o
    inv = next((i for i in run.book.invoices if i.invoice_no == invoice_no), None)
    if inv is None:
        raise SheetSyncError(f"There is no invoice '{invoice_no}' on the Invoices sheet.")
    client = run.book.clients.get(inv.client_id)
    if client is None or inv.amount is None or inv.due_date is None:
        raise SheetSyncError(f"Invoice {invoice_no} has a problem (see `sheet-sync check`), so it gets no reminder.")
    decision = run.decisions[invoice_no]
    stage = stage or decision.next_stage
    if stage not in ("upcoming", "gentle", "firm", "final"):
        raise SheetSyncError(f"Invoice {invoice_no} has no reminder coming; name one with --stage (upcoming, gentle, firm, final).")
    row = run.report.by_invoice()[invoice_no]
    return compose(inv, client, stage, row.balance, row.days_overdue, decision.references, config, as_of)

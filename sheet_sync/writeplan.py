"""The write plan: what a sync writes back, addressed by Invoice No and Message ID. Pure.

`layout.py` then decides where each value goes in the workbook as it stands at write time.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Mapping, Sequence

from sheet_sync import tables
from sheet_sync.aging import AgingReport
from sheet_sync.config import Config
from sheet_sync.journal import settle
from sheet_sync.late_fee import invoice_fees
from sheet_sync.model import (
    AGING, AGING_SUMMARY, DELIVERED, INVOICE, INVOICE_SENT, INVOICES, LATE_FEE, READY, REMINDER_LOG, TOOL_COLUMNS, Book,
    LogEntry, Problem, SendState, Status, WritePlan, normalize_name,
)
from sheet_sync.policy import Decision
from sheet_sync.result import Sent


def _send_notes(messages: Sequence[Sent]) -> dict[str, list[str]]:
    """Sync Notes for today's sends that failed or may not have arrived."""
    notes = {m.invoice_no: [f"The {m.stage} reminder failed today: {m.detail}."]
             for m in messages if m.state == SendState.FAILED}
    notes.update({m.invoice_no: [f"The {m.stage} reminder may not have arrived ({m.detail}); it is not sent again "
                                 "unless you set its State to 'retry' in the Reminder Log."]
                  for m in messages if m.state == SendState.UNCONFIRMED})
    return notes


def build_write_plan(config: Config, book: Book, report: AgingReport, decisions: Mapping[str, Decision],
                     statuses: list[Status], problems: tuple[Problem, ...], messages: Sequence[Sent],
                     log_rows: Sequence[LogEntry], rows_of: Mapping[tuple[str, str], int],
                     stale: Sequence[LogEntry]) -> WritePlan:
    """Everything a sync writes, by Invoice No and Message ID (never by position): the tool columns and
    notes, the Aging tabs, and the Reminder Log rows to append or to give their outcome."""
    sent_today = {m.invoice_no: m.stage for m in messages if m.state in (SendState.SENT, SendState.PLANNED)}
    rows = tables.invoice_rows(report, statuses, decisions, problems, sent_today, _send_notes(messages))
    columns = TOOL_COLUMNS
    if sends_invoices(book):  # `Invoice Sent` joins the tool columns once the feature is used
        columns += (INVOICE_SENT,)
        today = {m.invoice_no for m in messages if m.stage == INVOICE and m.state == SendState.SENT}
        rows = {no: (*values, _invoice_sent(decisions.get(no), no in today, report.as_of)) for no, values in rows.items()}
    money_columns: tuple[str, ...] = ()
    if config.reminders.late_fee:  # `Late Fee` joins the tool columns while the owner charges one
        columns += (LATE_FEE,)
        money_columns = (config.column_name(LATE_FEE),)
        sent = {no: d.invoice_sent for no, d in decisions.items() if d.invoice_sent is not None}
        sent.update({m.invoice_no: report.as_of for m in messages if m.stage == INVOICE and m.state == SendState.SENT})
        fees = late_fees(config, book, report, sent)
        rows = {no: (*values, fees.get(no)) for no, values in rows.items()}
    row_updates = {
        p.cell.row: (None, None, None, Status.PROBLEM, None, None, str(p))
        for p in problems
        if not p.invoice_no and p.cell is not None
        and normalize_name(p.cell.sheet) == normalize_name(config.sheet_name(INVOICES))
    }
    finals = _final_notices(book, sent_today)
    amount_paid = {inv.invoice_no: inv.amount_paid for inv in book.invoices} if book.has_payments_sheet else {}
    return WritePlan(
        invoices_sheet=config.sheet_name(INVOICES),
        invoice_no_header=config.column_name("Invoice No"),
        tool_columns=tuple(config.column_name(c) for c in columns),
        invoice_updates=rows,
        row_updates=row_updates,
        amount_paid_header=config.column_name("Amount Paid"),
        amount_paid=amount_paid,
        currency_header=config.column_name("Currency"),
        default_currency=config.aging.default_currency,
        aging_sheet=config.sheet_name(AGING),
        aging=tables.aging_table(report, book, statuses, decisions, sent_today),
        summary_sheet=config.sheet_name(AGING_SUMMARY),
        summary=tables.summary_table(report, book, finals),
        log_sheet=config.sheet_name(REMINDER_LOG),
        log_append=tuple(e.as_row(config.tz) for e in log_rows if (e.message_id, e.invoice_no) not in rows_of),
        log_updates=_log_updates(stale, log_rows, rows_of, config),
        money_columns=money_columns,
    )


def late_fees(config: Config, book: Book, report: AgingReport, sent: Mapping[str, date]) -> dict[str, object]:
    """Invoice No -> the `Late Fee` cell as of the run: the fee, or None (blank) for none and for a row with a
    problem. Computed from the invoice's dates every run, so a run never adds it twice."""
    problem = {r.invoice_no for r in report.rows if r.status == Status.PROBLEM}
    fees = invoice_fees(config.reminders.late_fee, book.invoices, book.clients, report.as_of, sent)
    return {no: fee for no, fee in fees.items() if no not in problem}


def sends_invoices(book: Book) -> bool:
    """Whether the owner uses the tool to send invoices: a `Ready` row, or an `invoice` stage in the log."""
    return any(inv.status == READY for inv in book.invoices) or any(e.stage == INVOICE for e in book.log)


def _invoice_sent(decision: Decision | None, sent_today: bool, as_of: date) -> date | None:
    """The `Invoice Sent` date: today for an invoice sent on this run, else the log's."""
    if sent_today:
        return as_of
    return decision.invoice_sent if decision is not None else None


def _log_updates(stale: Sequence[LogEntry], log_rows: Sequence[LogEntry], rows_of: Mapping[tuple[str, str], int],
                 config: Config) -> dict[int, tuple]:
    """Rows already in the Reminder Log that change: this run's pending rows get their outcome, and a
    `pending` row left by a run that stopped mid-send becomes `unconfirmed`."""
    updates = {rows_of[(e.message_id, e.invoice_no)]: e.as_row(config.tz) for e in log_rows
               if (e.message_id, e.invoice_no) in rows_of}
    for e in stale:
        if e.row and e.row not in updates:
            updates[e.row] = settle(e).as_row(config.tz)
    return updates


def _final_notices(book: Book, sent_today: Mapping[str, str]) -> dict[str, int]:
    reached = {e.invoice_no for e in book.log if e.stage == "final" and e.state in DELIVERED}
    reached |= {no for no, stage in sent_today.items() if stage == "final"}
    client_of = {inv.invoice_no: inv.client_id for inv in book.invoices}
    return dict(Counter(client_of[no] for no in reached if no in client_of))

"""What the tool writes: the tool-owned Invoices columns and the Aging tabs, as plain tables; the invoices
that need a decision. Pure."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from sheet_sync.aging import AgingReport
from sheet_sync.model import CHASED, CLOSED, Book, Problem, SheetTable, Status, SummaryTable
from sheet_sync.money import format_money
from sheet_sync.policy import Decision
from sheet_sync.result import Attention

AGING_HEADERS = (
    "Client ID", "Client", "Invoice No", "Issue Date", "Due Date", "Currency", "Balance", "Days Overdue",
    "Aging Bucket", "Last Reminder", "Next Reminder", "Sync Status",
)
AGING_FORMATS = {"Issue Date": "date", "Due Date": "date", "Balance": "money:Currency", "Days Overdue": "int"}


def reminder_text(day: date | None, stage: str) -> str:
    """'2026-11-20 gentle': a date first, so the column sorts by date."""
    return f"{day.isoformat()} {stage}" if day else ""


def final_statuses(report: AgingReport, decisions: Mapping[str, Decision]) -> list[Status]:
    """The SPEC's precedence, with Needs Attention from the policy above the computed statuses."""
    out = []
    for r in report.rows:
        d = decisions.get(r.invoice_no)
        if d and d.replied and r.status in CHASED:
            out.append(Status.REPLIED)  # the client answered: above Needs Attention, below the owner's statuses
        else:
            out.append(Status.NEEDS_ATTENTION if d and d.needs_attention and r.status in CHASED else r.status)
    return out


def last_and_next(decision: Decision | None, sent_today: Mapping[str, str], as_of: date) -> tuple[str, str]:
    if decision is None:
        return "", ""
    last = reminder_text(decision.last.day, decision.last.stage) if decision.last else ""
    if decision.invoice_no in sent_today:
        last = reminder_text(as_of, sent_today[decision.invoice_no])
    nxt = reminder_text(decision.next_date, decision.next_stage) if decision.next_stage else ""
    return last, nxt


def invoice_rows(
    report: AgingReport,
    statuses: list[str],
    decisions: Mapping[str, Decision],
    problems: Iterable[Problem],
    sent_today: Mapping[str, str],
    extra_notes: Mapping[str, list[str]],
) -> dict[str, tuple]:
    """Invoice No -> values for TOOL_COLUMNS (Balance, Days Overdue, Aging Bucket, Sync Status,
    Last Reminder, Next Reminder, Sync Notes)."""
    notes: dict[str, list[str]] = defaultdict(list)
    for p in problems:
        if p.invoice_no:
            notes[p.invoice_no].append(str(p))
    rows: dict[str, tuple] = {}
    for r, status in zip(report.rows, statuses):
        no = r.invoice_no
        d = decisions.get(no)
        last, nxt = last_and_next(d, sent_today, report.as_of)
        text = notes.get(no, []) + list(d.notes if d else ()) + extra_notes.get(no, [])
        if r.balance is not None and r.balance < 0 and r.currency:
            text.append(f"Overpaid by {format_money(-r.balance, r.currency, 'en')}: refund it or credit it to a "
                        "later invoice.")
        closed = status in CLOSED
        rows[no] = (
            Decimal(0) if status in (Status.VOID, Status.WRITTEN_OFF) else r.balance,
            None if closed else r.days_overdue,
            None if closed else r.bucket or None,
            status,
            last or None,
            nxt or None,
            " ".join(dict.fromkeys(text)) or None,
        )
    return rows


def aging_table(report: AgingReport, book: Book, statuses: list[str], decisions: Mapping[str, Decision],
                sent_today: Mapping[str, str]) -> SheetTable:
    """One row per open invoice, oldest first."""
    open_rows = sorted(((r, s) for r, s in zip(report.rows, statuses) if r.open),
                       key=lambda rs: (-(rs[0].days_overdue if rs[0].days_overdue is not None else -10**9),
                                       rs[0].invoice_no))
    rows = []
    for r, status in open_rows:
        client = book.clients.get(r.client_id)
        last, nxt = last_and_next(decisions.get(r.invoice_no), sent_today, report.as_of)
        rows.append((
            r.client_id, client.name if client else "", r.invoice_no, r.issue_date, r.due_date, r.currency,
            r.balance, r.days_overdue, r.bucket, last or None, nxt or None, status,
        ))
    return SheetTable(AGING_HEADERS, tuple(rows), AGING_FORMATS)


def payment_record(report: AgingReport, finals: Mapping[str, int]) -> dict[str, tuple[Decimal | None, int]]:
    """client_id -> (average days paid late over paid invoices with a Paid Date, final notices reached)."""
    late: dict[str, list[int]] = defaultdict(list)
    for r in report.rows:
        if r.due_date is not None and r.paid_date is not None:
            late[r.client_id].append(max(0, (r.paid_date - r.due_date).days))
    out = {}
    for cid in {r.client_id for r in report.rows}:
        days = late.get(cid)
        avg = (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1")) if days else None
        out[cid] = (avg, finals.get(cid, 0))
    return out


def summary_table(report: AgingReport, book: Book, finals: Mapping[str, int]) -> SummaryTable:
    """One row per client and currency with the bucket totals, then one totals row per currency."""
    labels = report.labels
    headers = ("Client ID", "Client", "Currency", *labels, "Total Open", "Oldest Days Overdue",
               "Avg Days Paid Late", "Final Notices")
    formats = {label: "money:Currency" for label in (*labels, "Total Open")}
    formats.update({"Oldest Days Overdue": "int", "Final Notices": "int"})
    record = payment_record(report, finals)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for r in report.rows:
        if r.open:
            groups[(r.client_id, r.currency)].append(r)
    rows = []
    totals: dict[str, dict[str, Decimal]] = {}
    oldest_by_currency: dict[str, int] = {}
    for (cid, currency), group in sorted(groups.items()):
        by_bucket = {label: Decimal(0) for label in labels}
        for r in group:
            by_bucket[r.bucket] += r.balance
        total = sum(by_bucket.values(), Decimal(0))
        oldest = max(r.days_overdue for r in group)
        client = book.clients.get(cid)
        avg, n_final = record.get(cid, (None, 0))
        rows.append((cid, client.name if client else "", currency, *by_bucket.values(), total, max(oldest, 0),
                     avg, n_final))
        t = totals.setdefault(currency, {label: Decimal(0) for label in labels})
        for label in labels:
            t[label] += by_bucket[label]
        oldest_by_currency[currency] = max(oldest_by_currency.get(currency, 0), oldest)
    for currency, t in sorted(totals.items()):
        rows.append(("TOTAL", f"All clients ({currency})", currency, *t.values(), sum(t.values(), Decimal(0)),
                     max(oldest_by_currency[currency], 0), None, None))
    return SummaryTable(SheetTable(headers, tuple(rows), formats), report.as_of, labels, total_rows=len(totals))


def attention(report: AgingReport, book: Book, decisions: Mapping[str, Decision], statuses: list[Status],
              ) -> tuple[Attention, ...]:
    """The invoices that need the owner's decision, and why."""
    def reason(d: Decision | None) -> str:
        return " ".join(d.notes) if d and d.notes else "The final notice brought no payment."

    return _listed(Status.NEEDS_ATTENTION, reason, report, book, decisions, statuses)


def replied(report: AgingReport, book: Book, decisions: Mapping[str, Decision], statuses: list[Status],
            ) -> tuple[Attention, ...]:
    """The invoices whose client replied (read from the mailbox): the owner reads the reply and decides; the
    reason is the Sync Notes' sentence (the date, the sender, the first line)."""
    def reason(d: Decision | None) -> str:
        return next((n for n in (d.notes if d else ()) if n.startswith("Replied on")), "")

    return _listed(Status.REPLIED, reason, report, book, decisions, statuses)


def _listed(status: Status, reason: Callable[[Decision | None], str], report: AgingReport, book: Book,
            decisions: Mapping[str, Decision], statuses: list[Status]) -> tuple[Attention, ...]:
    out = []
    for row, row_status in zip(report.rows, statuses):
        if row_status != status:
            continue
        client = book.clients.get(row.client_id)
        decision = decisions.get(row.invoice_no)
        out.append(Attention(row.invoice_no, client.name if client else row.client_id, row.currency, row.balance,
                             row.days_overdue or 0, reason(decision), bool(decision and decision.write_off)))
    return tuple(out)

"""Accounts-receivable aging: balance, days overdue, bucket and status for every invoice. Pure.

One frozen `Aged` record per invoice, in sheet order; money stays Decimal.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sheet_sync.config import Config
from sheet_sync.model import CLOSED, OWNER_KEPT, Book, Status

DUE_SOON_DAYS = 3


def bucket_labels(buckets: tuple[int, ...], basis: str = "due_date") -> tuple[str, ...]:
    """(30, 60, 90) -> Current, 1-30, 31-60, 61-90, 90+ (0-30, 31-60, ... when aged from the issue date)."""
    labels = ["Current"] if basis == "due_date" else []
    low = 1 if basis == "due_date" else 0
    for high in buckets:
        labels.append(f"{low}-{high}")
        low = high + 1
    labels.append(f"{buckets[-1]}+")
    return tuple(labels)


@dataclass(frozen=True)
class Aged:
    """One invoice, aged."""

    invoice_no: str
    client_id: str
    currency: str
    amount: Decimal | None
    amount_paid: Decimal
    balance: Decimal | None  # None when the amount could not be read
    issue_date: date | None
    due_date: date | None
    paid_date: date | None
    days_overdue: int | None  # as_of - due date (negative: not yet due); None without a due date
    bucket: str  # "" when it cannot be aged
    status: Status  # before the reminder policy's Needs Attention
    open: bool  # in the Aging tabs
    problem: bool


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    labels: tuple[str, ...]
    rows: tuple[Aged, ...]  # one per invoice, in sheet order

    def by_invoice(self) -> dict[str, Aged]:
        return {r.invoice_no: r for r in self.rows}


def age(book: Book, config: Config, as_of: date) -> AgingReport:
    """Age every invoice of `book` on `as_of` (statuses before the reminder policy's Needs Attention)."""
    blocked = {p.invoice_no for p in book.problems if p.blocking and p.invoice_no}
    labels = bucket_labels(config.aging.buckets, config.aging.basis)
    by_due = config.aging.basis == "due_date"
    edges = config.aging.buckets
    rows = []
    for inv in book.invoices:
        amount, paid, due, issue = inv.amount, inv.amount_paid, inv.due_date, inv.issue_date
        known = amount is not None and due is not None and issue is not None
        balance = amount - paid if amount is not None else None
        days = (as_of - due).days if due is not None else None
        if by_due:
            bucket = "" if days is None else labels[0] if days <= 0 else labels[1 + bisect_left(edges, days)]
        else:
            basis_days = (as_of - issue).days if issue is not None else None
            bucket = "" if basis_days is None else labels[bisect_left(edges, max(basis_days, 0))]
        balance_pos = balance is not None and balance > 0
        problem = inv.invoice_no in blocked or not known
        d = days or 0
        if problem:
            status = Status.PROBLEM
        elif inv.status in OWNER_KEPT:
            status = Status(inv.status)
        elif balance is not None and not balance_pos:
            status = Status.PAID
        elif paid is not None and paid > 0 and balance_pos:
            status = Status.PARTIALLY_PAID
        elif d >= 1:
            status = Status.OVERDUE
        elif -DUE_SOON_DAYS <= d <= 0:
            status = Status.DUE_SOON
        else:
            status = Status.CURRENT
        rows.append(Aged(inv.invoice_no, inv.client_id, str(inv.currency), amount, paid, balance, issue, due,
                         inv.paid_date, days, bucket, status, known and balance_pos and status not in CLOSED, problem))
    return AgingReport(as_of, labels, tuple(rows))


def totals_by_currency(report: AgingReport) -> dict[str, dict[str, Decimal]]:
    """Open balance per currency and bucket (plus 'Total'); currencies are never summed together."""
    out: dict[str, dict[str, Decimal]] = {}
    for r in report.rows:
        if r.open:
            row = out.setdefault(r.currency, {label: Decimal(0) for label in report.labels})
            row[r.bucket] += r.balance
    for row in out.values():
        row["Total"] = sum(row.values(), Decimal(0))
    return dict(sorted(out.items()))

"""Accounts-receivable aging: balance, days overdue, bucket and status for every invoice. Pure.

Vectorised over a pandas frame inside this module (money stays Decimal in object columns; dates are
numpy datetime64[D] for the arithmetic); what leaves it is one frozen `Aged` record per invoice, in
sheet order. pandas goes no further.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

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


def _days(col: pd.Series, as_of: date) -> np.ndarray:
    """as_of minus each date, in days; NaN where the date is missing."""
    dates = pd.to_datetime(col, errors="coerce").to_numpy(dtype="datetime64[D]")
    delta = (np.datetime64(as_of, "D") - dates).astype("timedelta64[D]")
    out = delta.astype("float64")
    out[np.isnat(delta)] = np.nan
    return out


def age(book: Book, config: Config, as_of: date) -> AgingReport:
    """Age every invoice of `book` on `as_of` (statuses before the reminder policy's Needs Attention)."""
    blocked = {p.invoice_no for p in book.problems if p.blocking and p.invoice_no}
    labels = bucket_labels(config.aging.buckets, config.aging.basis)
    df = pd.DataFrame(
        {
            "invoice_no": [i.invoice_no for i in book.invoices],
            "client_id": [i.client_id for i in book.invoices],
            "currency": [i.currency for i in book.invoices],
            "amount": pd.Series([i.amount for i in book.invoices], dtype=object),
            "amount_paid": pd.Series([i.amount_paid for i in book.invoices], dtype=object),
            "issue_date": pd.Series([i.issue_date for i in book.invoices], dtype=object),
            "due_date": pd.Series([i.due_date for i in book.invoices], dtype=object),
            "paid_date": pd.Series([i.paid_date for i in book.invoices], dtype=object),
            "owner_status": [i.status for i in book.invoices],
        }
    )
    if df.empty:
        return AgingReport(as_of, labels, ())

    known = df["amount"].notna() & df["due_date"].notna() & df["issue_date"].notna()
    df["balance"] = pd.Series(
        [a - p if a is not None else None for a, p in zip(df["amount"], df["amount_paid"])], dtype=object
    )
    days = _days(df["due_date"], as_of)
    basis_days = days if config.aging.basis == "due_date" else _days(df["issue_date"], as_of)
    df["days_overdue"] = pd.array(np.where(np.isnan(days), np.nan, days), dtype="Int64")

    edges = np.array(config.aging.buckets, dtype="float64")
    if config.aging.basis == "due_date":
        idx = np.where(basis_days <= 0, 0, 1 + np.searchsorted(edges, basis_days, side="left"))
    else:
        idx = np.searchsorted(edges, np.maximum(basis_days, 0), side="left")
    df["bucket"] = np.where(np.isnan(basis_days), "", np.array(labels, dtype=object)[np.nan_to_num(idx).astype(int)])

    balance_pos = np.array([b is not None and b > 0 for b in df["balance"]])
    balance_known = df["balance"].notna().to_numpy()
    paid_some = np.array([p is not None and p > 0 for p in df["amount_paid"]])
    problem = df["invoice_no"].isin(blocked).to_numpy() | ~known.to_numpy()
    owner = df["owner_status"].to_numpy()
    owner_kept = np.isin(owner, [str(s) for s in OWNER_KEPT])
    d = np.nan_to_num(days, nan=0.0)

    df["status"] = np.select(
        [
            problem,
            owner_kept,
            balance_known & ~balance_pos,
            paid_some & balance_pos,
            d >= 1,
            (d >= -DUE_SOON_DAYS) & (d <= 0),
        ],
        [Status.PROBLEM, owner, Status.PAID, Status.PARTIALLY_PAID, Status.OVERDUE, Status.DUE_SOON],
        default=Status.CURRENT,
    )
    status = df["status"].to_numpy()
    df["open"] = known.to_numpy() & balance_pos & ~np.isin(status, [str(s) for s in CLOSED])
    df["problem"] = problem
    rows = tuple(
        Aged(no, cid, str(cur), amount, paid, balance, issue, due, paid_on, None if pd.isna(d) else int(d), str(b),
             Status(st), bool(op), bool(pr))
        for no, cid, cur, amount, paid, balance, issue, due, paid_on, d, b, st, op, pr in zip(
            df["invoice_no"], df["client_id"], df["currency"], df["amount"], df["amount_paid"], df["balance"],
            df["issue_date"], df["due_date"], df["paid_date"], df["days_overdue"], df["bucket"], df["status"],
            df["open"], df["problem"])
    )
    return AgingReport(as_of, labels, rows)


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

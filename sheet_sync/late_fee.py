"""The late fee or interest of an invoice as of a date, in Decimal, to the currency's minor unit. Pure.

`reminders.late_fee` (off by default) holds one rule or several (`[[reminders.late_fee]]`: a fixed 40 plus
8 % a year, as the EU's late-payment rules allow); an invoice's fee is the sum of its rules, each rounded to
the currency's minor unit (won and yen have none). The fee is computed afresh from the invoice's own dates on
every run, never added to anything kept in the workbook, so that a run can never charge it twice:

- `fixed`: the amount in the invoice's currency once the invoice is `after_days` days overdue (and at least
  one day); with `once = false`, again every `after_days` days.
- `percent`: that percent of the open balance, on the same days as `fixed`.
- `annual_rate`: simple interest on the open balance at that rate a year (rate / 365 a day) for each day
  overdue after the first `after_days`.

No fee on an invoice the owner marked `Draft`, `Disputed`, `On Hold`, `Void` or `Written Off`, nor for a
client whose `Reminders` are off. A `Ready` invoice (the tool sends it) has none before it is sent, and after
that its days are counted from the later of its due date and the day it was sent: a client is never charged
for days before the invoice reached them. A paid invoice shows the fee as it stood on its `Paid Date`, reckoned on
its Amount (the balance before the payment that settled it); without a Paid Date it shows none.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Mapping, Sequence

from sheet_sync.model import Client, Invoice
from sheet_sync.money import quantize

TYPES = ("fixed", "percent", "annual_rate")
READY = "Ready"
# The owner's statuses under which no fee is charged: not sent yet, contested, paused by the owner, or closed.
NO_FEE = ("Draft", "Disputed", "On Hold", "Void", "Written Off")
# The reminder stages whose messages show the fee (never upcoming or gentle).
SHOWN_IN = ("firm", "final")
YEAR_DAYS = 365


@dataclass(frozen=True)
class LateFeeRule:
    """One `reminders.late_fee` rule: what is charged and from which day overdue."""

    type: str = ""
    # fixed: currency -> amount; percent and annual_rate: {"": the percent}
    amount: Mapping[str, Decimal] | None = None
    after_days: int = 0
    once: bool = True

    def rate(self) -> Decimal:
        return (self.amount or {}).get("", Decimal(0))


def rule_fee(rule: LateFeeRule, currency: str, balance: Decimal, days_overdue: int) -> Decimal:
    """What one rule charges on an invoice `days_overdue` days late with `balance` open, rounded to `currency`."""
    if balance <= 0 or days_overdue < 1:
        return Decimal(0)
    if rule.type == "annual_rate":
        days = days_overdue - rule.after_days
        if days <= 0:
            return Decimal(0)
        return quantize(balance * rule.rate() / 100 * days / YEAR_DAYS, currency)
    if days_overdue < rule.after_days:
        return Decimal(0)
    times = 1 if rule.once or rule.after_days < 1 else days_overdue // rule.after_days
    if rule.type == "fixed":
        amount = (rule.amount or {}).get(currency)
        return quantize(amount * times, currency) if amount is not None else Decimal(0)
    if rule.type == "percent":
        return quantize(balance * rule.rate() / 100, currency) * times
    return Decimal(0)


def fee_of(rules: Sequence[LateFeeRule], currency: str, balance: Decimal, days_overdue: int) -> Decimal:
    """The sum of the rules' fees (each rounded on its own, as each is a charge of its own)."""
    return sum((rule_fee(r, currency, balance, days_overdue) for r in rules), Decimal(0))


def invoice_fee(rules: Sequence[LateFeeRule], invoice: Invoice, client: Client | None, as_of: date,
                sent: date | None = None) -> Decimal:
    """The late fee of `invoice` as of `as_of` (0 when none applies; see the module's rules).

    A paid invoice (Status `Paid`, or nothing left to pay) is reckoned as of its Paid Date on its Amount.
    `sent`: for a `Ready` invoice, the day the tool sent it (None: not sent yet, so no fee).
    """
    if not rules or invoice.amount is None or invoice.due_date is None or not invoice.currency:
        return Decimal(0)
    if invoice.status in NO_FEE or (client is not None and not client.reminders):
        return Decimal(0)
    balance = invoice.amount - invoice.amount_paid
    if invoice.status == "Paid" or balance <= 0:
        if invoice.paid_date is None:
            return Decimal(0)
        as_of, balance = min(as_of, invoice.paid_date), invoice.amount
    start = invoice.due_date
    if invoice.status == READY:
        if sent is None:
            return Decimal(0)
        start = max(start, sent)
    return fee_of(rules, invoice.currency, balance, (as_of - start).days)


def invoice_fees(rules: Sequence[LateFeeRule], invoices: Sequence[Invoice], clients: Mapping[str, Client],
                 as_of: date, sent: Mapping[str, date] | None = None) -> dict[str, Decimal]:
    """Invoice No -> its fee as of `as_of`, for the invoices that have one (`sent`: the days the tool sent
    `Ready` invoices)."""
    out = {}
    sent = sent or {}
    for inv in invoices:
        fee = invoice_fee(rules, inv, clients.get(inv.client_id), as_of, sent.get(inv.invoice_no))
        if fee > 0:
            out[inv.invoice_no] = fee
    return out

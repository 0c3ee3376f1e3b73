"""Recurring invoices: which rows a run adds to Invoices, with which numbers, and where each Recurring row's
`Next Date` moves. Pure: the Book and the as-of date in, a plan out.

- **One invoice per period due up to the as-of date**, from `Next Date` on, never after `End Date`: a run
  that was missed for three months adds three invoices (one per period, each with its own Issue Date), and
  says so. More than `MAX_CATCH_UP` periods at once is taken for a typing mistake in Next Date (a year
  off): a Problem on that cell, and nothing is added for the row.
- **Never twice for the same period**, across re-runs and crashes. The key of a period is the invoice
  itself: an invoice of that client, with that Issue Date and that Description, already on the Invoices
  sheet means the period is done (a run that stopped after adding the rows and before moving Next Date
  adds nothing the second time; it only moves Next Date on). The owner's sheet is the record: nothing is
  kept anywhere else. An owner who edits the Description or Issue Date of an added invoice before Next
  Date has moved on (a crash in between) would get that period again: the only way to lose the key.
- **Month ends**: periods in months fall on the day of the month of Next Date, cut to the month's last
  day (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year). When Next Date is itself such a cut month
  end (Feb 28, written by the run of Jan 31), the previous invoice of the row (same client and
  Description) tells the real day: the period after Feb 28 is Mar 31 again. Without that invoice (the owner
  deleted it) the day written is taken as it is.
- **Numbers** follow the owner's own pattern: the pattern (a prefix and zero-padded digits) of the most
  recently issued invoice whose number ends in digits, continued after the highest number with that
  prefix (`INV-2026-0042` -> `INV-2026-0043`; `7` -> `8`). A year in the prefix is kept as it stands: to
  start a new year's series, the owner types its first number once. No numbered invoice yet: `INV-0001`.
- **Due Date** is left blank on the added row, as the owner would: blank means the Issue Date plus the
  client's Payment Terms (one rule, wherever the invoice came from; a change of terms applies to it too).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterator, Sequence

from sheet_sync import cells
from sheet_sync.config import Config
from sheet_sync.model import (
    CLIENTS, INVOICES, LINE_ITEMS, RECURRING, Book, CellRef, Invoice, LineItem, NextDate, Problem, Recurring,
)
from sheet_sync.money import format_money, money_pattern

MAX_CATCH_UP = 12  # periods one run adds for one row; more means Next Date is mistyped
_NUMBERED = re.compile(r"^(.*?)(\d+)$")
DEFAULT_PREFIX, DEFAULT_WIDTH = "INV-", 4


@dataclass(frozen=True)
class Added:
    """An invoice a run adds to Invoices (or, in a dry run, would add)."""

    invoice_no: str
    client_id: str
    client: str  # the client's name, for the summary
    issue_date: date
    amount: Decimal
    currency: str
    description: str
    ready: bool  # Status `Ready`: the invoice goes out on this run's invoice stage
    recurring_row: int  # the Recurring row it came from


@dataclass(frozen=True)
class RecurringPlan:
    added: tuple[Added, ...] = ()
    next_dates: tuple[NextDate, ...] = ()
    problems: tuple[Problem, ...] = ()
    already: int = 0  # periods whose invoice was on the sheet already (a run stopped before moving Next Date)
    lines: tuple[tuple[Any, tuple[LineItem, ...]], ...] = ()  # (new Invoice No, its lines copied from `Lines`)


# ---- periods ------------------------------------------------------------------------------------

def add_months(day: date, months: int, anchor_day: int) -> date:
    """`day` moved `months` on, on `anchor_day` of that month, or its last day when the month is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(anchor_day, calendar.monthrange(year, month + 1)[1]))


def _anchor_day(r: Recurring, issued: Sequence[date]) -> int:
    """The day of the month the row's periods fall on (see the module's note on month ends)."""
    day = r.next_date
    if not r.months or day.day != calendar.monthrange(day.year, day.month)[1]:
        return day.day
    before = [d for d in issued if d < day]
    if before:
        last = max(before)
        if last.day > day.day and add_months(last, r.months, last.day) == day:
            return last.day
    return day.day


def periods(r: Recurring, anchor_day: int) -> Iterator[date]:
    """The row's issue dates from Next Date on (without end)."""
    k = 0
    while True:
        yield r.next_date + timedelta(days=k * r.days) if r.days else add_months(r.next_date, k * r.months, anchor_day)
        k += 1


# ---- numbers ------------------------------------------------------------------------------------

def numbers(invoices: Sequence[Invoice]) -> Iterator[Any]:
    """The next invoice numbers in the owner's pattern (see the module's note), none already taken."""
    matched = [(inv, m) for inv in invoices if (m := _NUMBERED.match(inv.invoice_no))]
    if matched:
        _, latest = max(matched, key=lambda x: (x[0].issue_date or date.min, x[0].row))
        prefix = latest.group(1)
        same = [m.group(2) for _, m in matched if m.group(1) == prefix]
        top = max(same, key=int)
        highest, width = int(top), len(top)
    else:
        prefix, highest, width = DEFAULT_PREFIX, 0, DEFAULT_WIDTH
    taken = {inv.invoice_no for inv in invoices}
    n = highest
    while True:
        n += 1
        text = f"{prefix}{n:0{width}d}"
        if text in taken:
            continue
        taken.add(text)
        # a plain number stays a number in the owner's column (1002, not the text "1002")
        yield n if not prefix and not text.startswith("0") else text


# ---- the plan -----------------------------------------------------------------------------------

def _key(client_id: str, issue: date, description: str, by_description: bool) -> tuple:
    return (client_id, issue, description.casefold()) if by_description else (client_id, issue)


def plan_recurring(book: Book, config: Config, as_of: date) -> RecurringPlan:
    """The invoices due from the Recurring rows up to `as_of`, numbered; each row's new Next Date."""
    if not book.recurring:
        return RecurringPlan()
    by_desc = book.has_invoice_column("Description")
    done = {_key(inv.client_id, inv.issue_date, inv.description, by_desc) for inv in book.invoices if inv.issue_date}
    issued: dict[tuple, list[date]] = {}
    for inv in book.invoices:
        if inv.issue_date:
            issued.setdefault((inv.client_id, inv.description.casefold() if by_desc else ""), []).append(inv.issue_date)
    sheet = config.sheet_name(RECURRING)
    problems: list[Problem] = []
    due: list[tuple[date, Recurring]] = []
    moves: list[NextDate] = []
    already = 0
    invoices_sheet = config.sheet_name(INVOICES)
    for r in book.recurring:
        if r.currency != config.aging.default_currency and not book.has_invoice_column("Currency"):
            problems.append(Problem(CellRef(sheet, r.row), f"this recurring invoice is in {r.currency}, and the "
                                    f"{invoices_sheet} sheet has no {config.column_name('Currency')} column, so it "
                                    f"would be read as {config.aging.default_currency}; add that column. Nothing is "
                                    "added for this row."))
            continue
        if r.send and not book.has_invoice_column("Status"):
            problems.append(Problem(CellRef(sheet, r.row), f"Send is yes, and the {invoices_sheet} sheet has no "
                                    f"{config.column_name('Status')} column to mark the new invoice Ready; add that "
                                    "column. The invoice is added without it.", blocking=False))
        anchor = _anchor_day(r, issued.get((r.client_id, r.description.casefold() if by_desc else ""), ()))
        dates: list[date] = []
        upcoming = None
        for d in periods(r, anchor):
            if d > as_of or (r.end_date is not None and d > r.end_date) or len(dates) > MAX_CATCH_UP:
                upcoming = d
                break
            dates.append(d)
        if len(dates) > MAX_CATCH_UP:
            problems.append(Problem(r.next_date_cell or CellRef(sheet, r.row),
                                    f"Next Date {r.next_date.isoformat()} is more than {MAX_CATCH_UP} periods before "
                                    f"{as_of.isoformat()}; no invoice is added for this row until Next Date is the "
                                    "date of the next invoice to add."))
            continue
        if not dates:
            continue
        for d in dates:
            if _key(r.client_id, d, r.description, by_desc) in done:
                already += 1
            else:
                due.append((d, r))
        value: Any = upcoming.isoformat() if r.next_date_as_text else upcoming
        moves.append(NextDate(r.row, r.client_id, r.description, value))
    numbering = numbers(book.invoices)
    added, lines = [], []
    for d, r in sorted(due, key=lambda x: (x[0], x[1].row)):  # numbers in the order of the issue dates
        client = book.clients[r.client_id]
        number = next(numbering)
        added.append(Added(number, r.client_id, client.name, d, r.amount, r.currency, r.description, r.send, r.row))
        if r.lines:
            no = str(number)
            lines.append((number, tuple(replace(li, invoice_no=no, row=0) for li in r.lines)))
    return RecurringPlan(tuple(added), tuple(moves), tuple(problems), already, tuple(lines))


def with_added(book: Book, plan: RecurringPlan, config: Config) -> Book:
    """The Book with the added invoices in it (they age, and a Ready one is sent, on this very run) and the
    plan's problems. Their Due Date is the Issue Date plus the client's terms, as the next run reads it."""
    if not plan.added and not plan.problems:
        return book
    line_items = dict(book.line_items)
    line_items.update((str(no), items) for no, items in plan.lines)  # the PDF of this run shows them
    row = max((inv.row for inv in book.invoices), default=1)
    ready = cells.parse_status("Ready")[0]  # what the loader makes of the Status the row will have
    invoices, problems = list(book.invoices), list(book.problems) + list(plan.problems)
    for i, a in enumerate(plan.added, start=1):
        no = str(a.invoice_no)
        client = book.clients[a.client_id]
        due = a.issue_date + timedelta(days=client.terms_days) if client.terms_days is not None else None
        if due is None:
            problems.append(Problem(CellRef(config.sheet_name(CLIENTS), client.row), f"the recurring invoice {no} "
                                    f"has no Due Date and client '{a.client_id}' has no Payment Terms I can read; "
                                    "write the terms there.", no))
        invoices.append(Invoice(no, a.client_id, row + i, a.issue_date, due, a.currency, a.amount,
                                status=ready if a.ready else "", description=a.description))
    return replace(book, invoices=tuple(invoices), problems=tuple(problems), line_items=line_items)


def rows_to_add(plan: RecurringPlan, config: Config) -> tuple[tuple[tuple[str, Any], ...], ...]:
    """The Invoices rows to append, as (owner's header, value) pairs: the owner's columns only."""
    out = []
    for a in plan.added:
        values: list[tuple[str, Any]] = [("Invoice No", a.invoice_no), ("Client ID", a.client_id),
                                         ("Issue Date", a.issue_date), ("Currency", a.currency), ("Amount", a.amount)]
        if a.description:
            values.append(("Description", a.description))
        if a.ready:
            values.append(("Status", "Ready"))
        out.append(tuple((config.column_name(h), v) for h, v in values))
    return tuple(out)


def line_rows_to_add(plan: RecurringPlan, config: Config) -> tuple[tuple[tuple[str, Any, str | None], ...], ...]:
    """The Line Items rows to append for the added invoices (lines copied from the invoice `Lines` names):
    (owner's header, value, number format) per cell. The tax rate is written as the fraction it is, shown as
    a percentage; the unit price in its currency's format."""
    headers = [config.column_name(h) for h in ("Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate")]
    currency = {a.invoice_no: a.currency for a in plan.added}
    rows = []
    for number, items in plan.lines:
        for li in items:
            percent = "0%" if (li.tax_rate * 100) == (li.tax_rate * 100).to_integral_value() else "0.00%"
            formats = (None, None, None, money_pattern(currency[number]), percent)
            rows.append(tuple(zip(headers, (number, li.description, li.quantity, li.unit_price, li.tax_rate), formats)))
    return tuple(rows)


def write_fields(plan: RecurringPlan, config: Config) -> dict[str, Any]:
    """The WritePlan fields that carry `plan` (for `dataclasses.replace`)."""
    return {
        "invoice_rows_add": rows_to_add(plan, config),
        "line_item_rows_add": line_rows_to_add(plan, config),
        "line_items_sheet": config.sheet_name(LINE_ITEMS),
        "recurring_sheet": config.sheet_name(RECURRING),
        "next_dates": plan.next_dates,
        "next_date_header": config.column_name("Next Date"),
        "recurring_key_headers": (config.column_name("Client ID"), config.column_name("Description")),
    }


def summary_line(added: Sequence[Added], dry_run: bool = False) -> str:
    """`added 2 recurring invoices: INV-2026-0043 (Acme, $1,200.00), …`"""
    if not added:
        return ""
    verb = "would add" if dry_run else "added"
    items = ", ".join(f"{a.invoice_no} ({a.client}, {format_money(a.amount, a.currency, 'en')}"
                      f"{', Ready' if a.ready else ''})" for a in added)
    line = f"{verb} {len(added)} recurring invoice{'s' if len(added) != 1 else ''}: {items}"
    rows: dict[int, list[Added]] = {}
    for a in added:
        rows.setdefault(a.recurring_row, []).append(a)
    caught = [f"{len(group)} periods of {group[0].description or 'the invoice'} for {group[0].client} since "
              f"{group[0].issue_date.isoformat()}" for group in rows.values() if len(group) > 1]
    if caught:
        line += f" (missed runs caught up: {'; '.join(caught)})"
    return line


__all__ = ["Added", "RecurringPlan", "add_months", "numbers", "periods", "plan_recurring", "rows_to_add",
           "summary_line", "with_added", "write_fields"]

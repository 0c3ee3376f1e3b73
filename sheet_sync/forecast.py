"""The forecast: the messages the daily runs will send over the next days if nothing is paid, and the cash
expected per week by due date, per currency. Pure.

It runs the real policy day after day (`age`, `policy.plan` with the sending calendar, `policy.message_groups`,
the Recurring sheet's new invoices), assumes that every planned message goes out on its day, and feeds each one
back as a `sent` Reminder Log entry, so that the next stage's gap is measured from it. Nothing is composed,
written or sent, and the mailbox is not read: a reply that would pause the reminders cannot be foreseen.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from unicodedata import east_asian_width

from sheet_sync.aging import AgingReport, age
from sheet_sync.config import Config
from sheet_sync.journal import settle
from sheet_sync.model import INVOICE, STAGES, THANKS, Book, LogEntry, SendState
from sheet_sync.money import format_money, quantize
from sheet_sync.policy import Calendar, make_calendar, message_groups, plan
from sheet_sync.recurring import plan_recurring, with_added
from sheet_sync.replies import apply_bounces

MAX_DAYS = 366
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not the locale's: the output reads the same everywhere
OVERDUE = "overdue now"
LATER = "later"
# a message about several invoices speaks in the tone of the most advanced stage (compose.lead_of's order)
_TONE = (THANKS, INVOICE, *STAGES)
_SENT_AT = time(12, 0)  # the simulated sends' time of day (only their local date counts)


@dataclass(frozen=True)
class Message:
    """One message the daily run of `day` will send: to one client, about one or more invoices."""

    client_id: str
    client: str  # the client's name
    invoices: tuple[str, ...]  # in sheet order
    stages: tuple[str, ...]  # each invoice's own stage
    stage: str  # the message's tone: the most advanced of `stages`

    def to_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "client": self.client, "stage": self.stage,
                "invoices": [{"invoice_no": no, "stage": s} for no, s in zip(self.invoices, self.stages)]}


@dataclass(frozen=True)
class Day:
    day: date
    sending_day: bool
    holiday: bool  # a sending weekday that is a public holiday
    messages: tuple[Message, ...] = ()
    left_over: tuple[Message, ...] = ()  # over `mail.daily_cap`: planned again the next day
    attention: tuple[str, ...] = ()  # invoices that turn Needs Attention on this day
    added: tuple[str, ...] = ()  # invoices the Recurring sheet adds on this day

    @property
    def why_nothing(self) -> str:
        if self.messages:
            return ""
        if self.holiday:
            return "public holiday: nothing is sent"
        if not self.sending_day:
            return "not a sending day"
        return "nothing due"

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "weekday": WEEKDAYS[self.day.weekday()], "sending_day": self.sending_day,
                "holiday": self.holiday, "messages": [m.to_dict() for m in self.messages],
                "left_over": [m.to_dict() for m in self.left_over], "needs_attention": list(self.attention),
                "recurring_added": list(self.added), "nothing": self.why_nothing}


@dataclass(frozen=True)
class CashLine:
    """Open balances of one currency falling due in one week (`week`: its Monday), or overdue now, or later."""

    when: str  # OVERDUE, LATER, or the week's Monday as ISO text
    week: date | None
    currency: str
    amount: Decimal
    invoices: int

    def to_dict(self) -> dict[str, Any]:
        return {"when": self.when, "week": self.week.isoformat() if self.week else None, "currency": self.currency,
                "amount": str(self.amount), "invoices": self.invoices}


@dataclass(frozen=True)
class Forecast:
    as_of: date
    days: tuple[Day, ...]
    cash: tuple[CashLine, ...]  # per currency: overdue now, each week of the span, later
    approval: bool = False  # reminders.approval: each message is listed in Outgoing that day, sent once approved

    @property
    def end(self) -> date:
        return self.as_of + timedelta(days=len(self.days) - 1)

    def sends(self) -> list[tuple[date, str, str]]:
        """(day, invoice, stage) for every invoice of every message, in order."""
        return [(d.day, no, s) for d in self.days for m in d.messages for no, s in zip(m.invoices, m.stages)]

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "until": self.end.isoformat(), "days": [d.to_dict() for d in self.days],
                "messages": sum(len(d.messages) for d in self.days), "cash": [c.to_dict() for c in self.cash],
                "assumes": "nothing is paid, every message goes out on its day, no client replies; "
                           "nothing was written or sent, and the mailbox was not read",
                "approval": self.approval}


def forecast(book: Book, config: Config, as_of: date, days: int) -> Forecast:
    """The daily runs from `as_of` for `days` days, if nothing is paid and every planned message is sent."""
    book = apply_bounces(book, config)  # as a run does first: an address that bounced for good gets nothing
    book = replace(book, log=tuple(settle(e) for e in book.log))  # a send a stopped run left open
    cash = cash_by_week(age(book, config, as_of), days)
    log = list(book.log)
    calendars: dict[int, Calendar] = {}
    flagged: set[str] = set()
    out: list[Day] = []
    for i in range(days):
        day = as_of + timedelta(days=i)
        recurring = plan_recurring(book, config, day)
        if recurring.added or recurring.next_dates:
            book = _moved_on(with_added(book, recurring, config), recurring.next_dates)
        dated = replace(book, log=tuple(log))
        report = age(dated, config, day)
        calendar = calendars.get(day.year) or calendars.setdefault(day.year, make_calendar(config, day))
        decisions = plan(report, dated, config, calendar)
        invoices = {inv.invoice_no: inv for inv in book.invoices}
        groups = message_groups(decisions, invoices, config.reminders.one_email_per_client)
        messages = [_message(book, client_id, numbers, decisions, invoices) for client_id, numbers in groups]
        cap = config.mail.daily_cap
        sent, over = messages[:cap], messages[cap:]
        at = datetime.combine(day, _SENT_AT, config.tz)
        for k, m in enumerate(sent):
            message_id = f"<forecast.{day.isoformat()}.{k}@sheet-sync>"
            log.extend(LogEntry(at, no, m.client_id, stage, "", "", message_id, config.mail.transport,
                                SendState.SENT, "forecast") for no, stage in zip(m.invoices, m.stages))
        attention = tuple(no for no, d in decisions.items() if d.needs_attention and no not in flagged)
        flagged.update(attention)
        weekday_on = config.reminders.weekmask[day.weekday()] == "1"
        out.append(Day(day, calendar.is_sending_day(day), weekday_on and not calendar.is_sending_day(day),
                       tuple(sent), tuple(over), attention, tuple(str(a.invoice_no) for a in recurring.added)))
    return Forecast(as_of, tuple(out), cash, config.reminders.approval)


def _message(book: Book, client_id: str, numbers: list[str], decisions, invoices) -> Message:
    """The message about `numbers`: its invoices oldest first, as its statement lists them."""
    numbers = sorted(numbers, key=lambda no: (invoices[no].due_date or date.max, no))
    stages = tuple(decisions[no].send for no in numbers)
    client = book.clients.get(client_id)
    return Message(client_id, client.name if client else "", tuple(numbers), stages, max(stages, key=_TONE.index))


def _moved_on(book: Book, moves) -> Book:
    """The Recurring rows with their Next Date moved on, as the run's write-back leaves them."""
    if not moves:
        return book
    new = {m.row: m.value if isinstance(m.value, date) else date.fromisoformat(m.value) for m in moves}
    return replace(book, recurring=tuple(replace(r, next_date=new[r.row]) if r.row in new else r
                                         for r in book.recurring))


def cash_by_week(report: AgingReport, days: int) -> tuple[CashLine, ...]:
    """The open balances (the Aging tab's invoices) by due date: overdue now, per ISO week (Monday first) of the
    span (whole weeks: the first from its Monday, though only the days from `as_of` can fall due in it; the last
    to its Sunday), and later; per currency, never summed across currencies."""
    as_of = report.as_of
    first = as_of - timedelta(days=as_of.weekday())
    end = as_of + timedelta(days=max(days, 1) - 1)
    last = end + timedelta(days=6 - end.weekday())  # whole weeks: the span's last week up to its Sunday
    weeks = [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]
    sums: dict[tuple[str, str], list] = {}
    currencies = sorted({r.currency for r in report.rows if r.open})
    for currency in currencies:
        for when in (OVERDUE, *(w.isoformat() for w in weeks), LATER):
            sums[(currency, when)] = [Decimal(0), 0]
    for r in report.rows:
        if not r.open or r.balance is None or r.due_date is None:
            continue
        if r.due_date < as_of:
            when = OVERDUE
        elif r.due_date > last:
            when = LATER
        else:
            when = (r.due_date - timedelta(days=r.due_date.weekday())).isoformat()
        cell = sums[(r.currency, when)]
        cell[0] += r.balance
        cell[1] += 1
    return tuple(CashLine(when, date.fromisoformat(when) if when not in (OVERDUE, LATER) else None, currency,
                          quantize(total, currency), n)
                 for (currency, when), (total, n) in sums.items())


# ---- text ------------------------------------------------------------------------------------------

def to_text(fc: Forecast) -> str:
    """The forecast as a readable table: one line per message (date, weekday, client, stage, invoices), the days
    that send nothing, when invoices turn Needs Attention; then the cash expected per week and currency."""
    lines = [f"Forecast {fc.as_of.isoformat()} to {fc.end.isoformat()} ({len(fc.days)} days), if nothing is paid "
             "and every message goes out on its day.",
             "Nothing was written or sent, and the mailbox was not read (a client's reply would pause reminders).",
             *(["With approval on (reminders.approval), each message is listed in the Outgoing sheet on its day and "
                "goes out on the first run after you approve it."] if fc.approval else []),
             ""]
    # the stage before the invoices: a message about many invoices then widens only the last column
    rows: list[tuple[str, ...]] = [("date", "day", "client", "stage", "invoices")]
    notes: dict[int, list[str]] = {}  # row index -> lines under it, outside the table's columns
    for d in fc.days:
        when, weekday = d.day.isoformat(), WEEKDAYS[d.day.weekday()]
        for m in d.messages:
            # a message about invoices at different stages speaks in the tone of the most advanced one
            mixed = len(set(m.stages)) > 1
            numbers = ", ".join(f"{no} ({s})" if mixed else no for no, s in zip(m.invoices, m.stages))
            rows.append((when, weekday, f"{m.client} ({m.client_id})" if m.client else m.client_id, m.stage, numbers))
            when = weekday = ""
        if not d.messages:
            rows.append((when, weekday, f"- {d.why_nothing}", "", ""))
        extra = []
        if d.left_over:
            extra.append(f"+ {len(d.left_over)} more message{'s' if len(d.left_over) != 1 else ''} over the daily "
                         "cap (mail.daily_cap), left for the next day")
        if d.added:
            extra.append("recurring invoice added: " + ", ".join(d.added))
        if d.attention:
            since = "already, or from this day" if d.day == fc.as_of else "from this day"
            shown = ", ".join(d.attention[:6]) + (f" and {len(d.attention) - 6} more" if len(d.attention) > 6 else "")
            extra.append(f"Needs Attention ({since}): {shown}")
        if extra:
            notes[len(rows) - 1] = extra
    widths = [max(_width(r[i]) for r in rows if r[3] or i < 2) for i in range(4)]
    for i, r in enumerate(rows):
        if r[3] or i == 0:
            lines.append("  ".join(_pad(c, w) for c, w in zip(r[:4], widths)) + "  " + r[4])
        else:
            lines.append(f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}")
        pad = " " * (widths[0] + widths[1] + 4)
        lines.extend(pad + "  " + n for n in notes.get(i, ()))
    total = sum(len(d.messages) for d in fc.days)
    lines.append(f"{total} message{'s' if total != 1 else ''} on "
                 f"{sum(1 for d in fc.days if d.messages)} of {len(fc.days)} days.")
    lines.append("")
    lines.extend(cash_text(fc.cash))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a terminal gives `text`: Korean and Chinese letters take two."""
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def cash_text(cash: tuple[CashLine, ...]) -> list[str]:
    """Cash expected by due date: one row per week (overdue now first, later last), one column per currency."""
    if not cash:
        return ["Cash expected by due date: no open balance."]
    currencies = sorted({c.currency for c in cash})
    order = list(dict.fromkeys(c.when for c in cash))
    cell = {(c.when, c.currency): c for c in cash}
    rows = [("week (Mon) of", *currencies)]
    for when in order:
        rows.append((when, *(format_money(cell[(when, cur)].amount, cur, "en") if (when, cur) in cell
                            and cell[(when, cur)].invoices else "-" for cur in currencies)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["Cash expected by due date (open balances; each currency apart):"]
    for r in rows:
        out.append("  " + r[0].ljust(widths[0]) + "".join("  " + c.rjust(w) for c, w in zip(r[1:], widths[1:])))
    return out

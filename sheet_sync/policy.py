"""The reminder policy: which stage each invoice is due for today, and what comes next. Pure.

The Reminder Log is the memory: a stage counts as done when its latest log entry says it was
sent (or may have been: `pending`/`unconfirmed`), through a transport that counts (an outbox
trial does not count once the owner has switched to real mail).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Callable, Iterable, Mapping

from sheet_sync.aging import AgingReport
from sheet_sync.config import Config, Stage
from sheet_sync.model import (
    DELIVERED, INVOICE, OWNER_KEPT, READY, STAGES as STAGE_NAMES, THANKS, Book, Client, Invoice, LogEntry, SendState,
    Status,
)
from sheet_sync.model import is_declined, message_name
from sheet_sync.replies import BOUNCE, bounce_note, is_permanent, latest_replies, reply_note

NO_REMINDER_STATUSES = (Status.PROBLEM, *OWNER_KEPT)
REAL_TRANSPORTS = ("gmail", "smtp")
# After the invoice itself (a `Ready` row the tool sent), the next message waits at least this many sending days,
# whatever the invoice's dates say: an invoice sent late (already past its due date) is not followed the next
# morning by "our records show no payment yet", and a heads-up does not land on the heels of the invoice.
AFTER_INVOICE_BUSDAYS = 3


@dataclass(frozen=True)
class Calendar:
    """Sending days: a weekmask (Monday first, "1111100") and public holidays. The same answers as numpy's
    business-day functions with that weekmask and those holidays (tests/test_policy.py checks them against
    numpy), without importing numpy into every run."""

    weekmask: str
    holidays: tuple[date, ...] = ()

    @cached_property
    def _off(self) -> frozenset[date]:
        return frozenset(self.holidays)

    def is_sending_day(self, day: date) -> bool:
        return self.weekmask[day.weekday()] == "1" and day not in self._off

    def busdays_between(self, start: date, end: date) -> int:
        """Sending days in [start, end) (negative, counted in (end, start], when end comes first):
        numpy.busday_count."""
        if end < start:
            return -self.busdays_between(end + timedelta(days=1), start + timedelta(days=1))
        days = (end - start).days
        weeks, rest = divmod(days, 7)
        count = weeks * self.weekmask.count("1")
        count += sum(self.weekmask[(start.weekday() + i) % 7] == "1" for i in range(rest))
        return count - sum(1 for h in self._off if start <= h < end and self.weekmask[h.weekday()] == "1")

    def add_busdays(self, start: date, n: int) -> date:
        """The first day d >= start with busdays_between(start, d) >= n, rolled onto a sending day:
        numpy.busday_offset(start, n, roll="forward")."""
        if "1" not in self.weekmask:
            raise ValueError("a week without sending days")
        day = start
        while not self.is_sending_day(day):
            day += timedelta(days=1)
        step = 1 if n >= 0 else -1
        for _ in range(abs(n)):
            day += timedelta(days=step)
            while not self.is_sending_day(day):
                day += timedelta(days=step)
        return day

    def next_sending_day(self, day: date) -> date:
        return self.add_busdays(day, 0)


def make_calendar(config: Config, as_of: date) -> Calendar:
    days: tuple[date, ...] = ()
    if config.reminders.holidays:
        import holidays as holidays_lib

        years = range(as_of.year - 1, as_of.year + 2)
        days = tuple(sorted(holidays_lib.country_holidays(config.reminders.holidays, years=years)))
    return Calendar(config.reminders.weekmask, days)


@dataclass(frozen=True)
class StageRecord:
    stage: str
    day: date  # the local date of the latest log entry
    state: str
    entry: LogEntry


@dataclass(frozen=True)
class Decision:
    """What the policy decided for one invoice."""

    invoice_no: str
    send: str = ""  # the stage to send now, or ""
    last: StageRecord | None = None  # the latest stage done
    next_stage: str = ""
    next_date: date | None = None
    needs_attention: bool = False
    replied: bool = False  # the client replied (the mailbox): reminders wait, Sync Status is Replied
    write_off: bool = False  # needs attention, and the balance is below the write-off limit
    notes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # Message-IDs of the earlier stages, for threading
    invoice_sent: date | None = None  # the day the tool sent the invoice itself (stage `invoice`, state sent)


def stage_history(log: Iterable[LogEntry], config: Config) -> dict[str, dict[str, StageRecord]]:
    """invoice_no -> stage -> its latest log entry that counts for the current transport."""
    transport = config.mail.transport
    tz = config.tz
    history: dict[str, dict[str, StageRecord]] = {}
    ordered = sorted(enumerate(log), key=lambda pair: (pair[1].logged_at, pair[0]))
    for _, entry in ordered:
        if not entry.invoice_no or not entry.stage:
            continue
        if entry.state in DELIVERED and not _counts(entry.transport, transport):
            continue  # an outbox trial never swallows a real reminder
        day = entry.logged_at.astimezone(tz).date()
        history.setdefault(entry.invoice_no, {})[entry.stage] = StageRecord(entry.stage, day, entry.state, entry)
    return history


def _counts(logged_transport: str, current: str) -> bool:
    if current == "outbox":
        return True  # a trial treats anything already sent (for real or not) as done
    return logged_transport in REAL_TRANSPORTS or logged_transport == ""


def plan(report: AgingReport, book: Book, config: Config, calendar: Calendar) -> dict[str, Decision]:
    """Decide, for every invoice, the stage to send today (at most one) and the next one."""
    as_of = report.as_of
    history = stage_history(book.log, config)
    stages = [s for s in config.reminders.stages if s.enabled]
    clients = book.clients
    invoices = {inv.invoice_no: inv for inv in book.invoices}
    sending_day = calendar.is_sending_day(as_of)
    replies = latest_replies(book.log)
    decisions: dict[str, Decision] = {}
    for r in report.rows:
        invoice = invoices[r.invoice_no]
        client = clients.get(invoice.client_id)
        decisions[r.invoice_no] = _decide(
            invoice, client, r.status, r.days_overdue, r.balance, r.currency, history.get(r.invoice_no, {}), stages,
            config, calendar, as_of, sending_day, replies.get(r.invoice_no),
        )
    # an invoice that an earlier run of today already sent counts as today's too (a second run the same morning)
    sent_today = {invoices[no].client_id for no, records in history.items()
                  if no in invoices and INVOICE in records and records[INVOICE].day == as_of}
    going = None
    if config.reminders.approval:  # an invoice that only waits for the owner's yes (Outgoing) is not sent today
        approved = {no for w in book.outgoing if w.approve == "yes" for no, stage in w.parts if stage == INVOICE}
        going = approved.__contains__
    return defer_for_invoices(decisions, invoices, calendar, as_of, sent_today, going)


def defer_for_invoices(decisions: Mapping[str, Decision], invoices: Mapping[str, Invoice], calendar: Calendar,
                       as_of: date, sent_today: Iterable[str] = (),
                       going: Callable[[str], bool] | None = None) -> dict[str, Decision]:
    """A client who gets a new invoice today (in this run, or `sent_today` by an earlier run of the same day)
    gets no reminder on the same morning (a friendly invoice and a final notice side by side read badly): their
    reminders due today wait for the next sending day. `going`: which invoices due today really go (with
    reminders.approval, the approved ones); None: all."""
    getting = {invoices[no].client_id for no, d in decisions.items()
               if d.send == INVOICE and (going is None or going(no))} | set(sent_today)
    if not getting:
        return dict(decisions)
    out = dict(decisions)
    later = calendar.add_busdays(as_of, 1)
    for no, d in decisions.items():
        if d.send in STAGE_NAMES and invoices[no].client_id in getting:
            note = (f"The {d.send} reminder waits until {later.isoformat()}: this client gets a new invoice today, "
                    "and one message a morning is enough.")
            out[no] = replace(d, send="", next_stage=d.send, next_date=later, notes=(*d.notes, note))
    return out


def message_groups(decisions: Mapping[str, Decision], invoices: Mapping[str, Invoice],
                   one_per_client: bool = True) -> list[tuple[str, list[str]]]:
    """Today's due invoices grouped into messages, as (client_id, invoice numbers): one per client
    (`reminders.one_email_per_client`), else one per invoice; a thank-you, and the invoice itself, are messages
    of their own; in sheet order of each message's first invoice. No thank-you on a morning the client also gets
    another message: it waits for the next sending day (it is not sent, so the next run plans it again)."""
    groups: dict[str, list[str]] = {}
    for no, d in decisions.items():
        if d.send:
            client_id = invoices[no].client_id
            key = client_id if one_per_client else f"{client_id}\0{no}"
            if d.send in (THANKS, INVOICE):
                key = f"{key}\0{d.send}"
            groups.setdefault(key, []).append(no)
    chased = {invoices[nos[0]].client_id for nos in groups.values() if decisions[nos[0]].send != THANKS}
    return [(invoices[nos[0]].client_id, nos) for nos in groups.values()
            if decisions[nos[0]].send != THANKS or invoices[nos[0]].client_id not in chased]


def reply_pause_end(reply: LogEntry, invoice: Invoice, config: Config) -> date | None:
    """The day reminders resume after the client's latest reply; None when the owner has set Hold Until since
    (on or after the reply's day: the owner decided, and Hold Until rules)."""
    day = reply.logged_at.astimezone(config.tz).date()
    if invoice.hold_until is not None and invoice.hold_until >= day:
        return None
    return day + timedelta(days=config.reminders.reply_pause_days)


def _decide(
    invoice: Invoice,
    client: Client | None,
    status: str,
    days: int | None,
    balance: Decimal | None,
    currency: str,
    records: Mapping[str, StageRecord],
    stages: list[Stage],
    config: Config,
    calendar: Calendar,
    as_of: date,
    sending_day: bool,
    reply: LogEntry | None = None,
) -> Decision:
    notes: list[str] = []
    done = {name: r for name, r in records.items() if r.state in DELIVERED}
    # a stage the owner did not approve (Outgoing, `no`) is passed over, never asked again; it counts as no message
    declined = {name for name, r in records.items() if is_declined(r.entry)}
    for r in records.values():
        what = message_name(r.stage)
        if r.state in (SendState.PENDING, SendState.UNCONFIRMED):
            notes.append(
                f"The {what} of {r.day.isoformat()} may not have been sent (state {r.state}); "
                "check the client's inbox, then set its State to 'retry' in the Reminder Log to send it again."
            )
        elif r.state == SendState.FAILED:
            notes.append(f"The {what} failed on {r.day.isoformat()} ({r.entry.detail or 'no detail'}); it will be tried again.")
    last = max(done.values(), key=lambda r: (r.day, r.entry.logged_at), default=None)
    delayed = records.get(BOUNCE)
    if delayed is not None and not is_permanent(delayed.entry) and (last is None or delayed.day >= last.day):
        notes.append(bounce_note(delayed.entry, config.tz))  # until the next reminder goes out
    order = [INVOICE] + [s.name for s in config.reminders.stages]  # reminders thread after the invoice itself
    references = tuple(
        done[name].entry.message_id for name in order if name in done and done[name].entry.message_id
    )
    sent = records.get(INVOICE)
    base = dict(invoice_no=invoice.invoice_no, last=last, references=references,
                invoice_sent=sent.day if sent is not None and sent.state == SendState.SENT else None)

    # A `Ready` row not sent yet: the invoice goes on the next sending day (even with Reminders off or a Hold Until:
    # the owner asked for it), and no reminder before it.
    send_invoice = (invoice.status == READY and INVOICE not in done and client is not None and days is not None
                    and status not in NO_REMINDER_STATUSES and balance is not None and balance > 0
                    and INVOICE not in declined)
    if send_invoice and not sending_day:
        return Decision(**base, next_stage=INVOICE, next_date=calendar.next_sending_day(as_of), notes=tuple(notes))

    blocked = _blocked_reason(invoice, client, status, balance, days, as_of)
    if blocked and send_invoice:
        return Decision(**base, send=INVOICE, notes=tuple(n for n in (*notes, blocked) if n != "-"))
    if blocked:
        if blocked != "-":
            notes.append(blocked)
        thanks = THANKS if sending_day and THANKS not in declined and _thanks_due(invoice, client, status, done, last,
                                                                                     config, as_of) else ""
        return Decision(**base, send=thanks, notes=tuple(notes))

    if reply is not None:
        until = reply_pause_end(reply, invoice, config)
        if until is not None and as_of < until:
            notes.append(reply_note(reply, until, config.tz))
            return Decision(**base, replied=True, notes=tuple(notes))

    final = done.get("final")
    if final is not None:
        attention_day = final.day + timedelta(days=config.reminders.needs_attention_days)
        if as_of >= attention_day:
            notes.append(_attention_note(balance, currency, final.day, config))
            return Decision(**base, needs_attention=True, write_off=_below_write_off(balance, currency, config),
                            notes=tuple(notes))

    send = INVOICE if send_invoice else ""
    nxt: Stage | None = None
    next_date: date | None = None
    prev = as_of if send_invoice else last.day if last else None
    after_invoice = send_invoice or (last is not None and last.stage == INVOICE)
    for stage in stages:
        if stage.name in done or stage.name in declined:
            continue
        if stage.offset <= 0 and days > 0:
            continue  # a pre-due stage is skipped once the due date has passed
        gap = max(stage.gap, AFTER_INVOICE_BUSDAYS) if after_invoice else stage.gap
        when = _earliest(stage, invoice, prev, calendar, as_of, gap)
        if stage.offset <= 0 and when > invoice.due_date:
            continue  # no sending day left before the due date
        if when == as_of and sending_day:
            send = stage.name
            prev = as_of
            after_invoice = False
            continue  # look for the stage after it, for Next Reminder
        nxt, next_date = stage, when
        break
    if nxt is None and (send == "final" or ("final" in done and not send)):
        final_day = as_of if send == "final" else done["final"].day
        next_date = final_day + timedelta(days=config.reminders.needs_attention_days)
        return Decision(**base, send=send, next_stage="needs attention", next_date=next_date, notes=tuple(notes))
    return Decision(**base, send=send, next_stage=nxt.name if nxt else "", next_date=next_date, notes=tuple(notes))


def _earliest(stage: Stage, invoice: Invoice, prev: date | None, calendar: Calendar, as_of: date,
              gap: int | None = None) -> date:
    """The first sending day, on or after as_of, when `stage` is due for this invoice (`gap`: the business days
    after the previous message, the stage's own unless given)."""
    assert invoice.due_date is not None
    when = max(as_of, invoice.due_date + timedelta(days=stage.offset))
    if prev is not None:
        when = max(when, calendar.add_busdays(prev, stage.gap if gap is None else gap), prev + timedelta(days=1))
    if invoice.hold_until is not None:
        when = max(when, invoice.hold_until)
    return calendar.next_sending_day(when)


THANKS_WITHIN_DAYS = 90  # a reminder older than this is too long ago to thank for its payment now
THANKS_ALWAYS_PAID_WITHIN = 7  # with thank_you = "always", an invoice paid this recently


def _thanks_due(invoice: Invoice, client: Client | None, status: str, done: Mapping[str, StageRecord],
                last: StageRecord | None, config: Config, as_of: date) -> bool:
    """A thank-you, once, for an invoice just paid: after a reminder (or any recent payment, with "always")."""
    mode = config.reminders.thank_you
    if mode == "off" or status != Status.PAID or THANKS in done or client is None or not client.reminders:
        return False
    if invoice.amount is None or invoice.amount <= 0:
        return False
    reminded = last is not None and last.stage in STAGE_NAMES and (as_of - last.day).days <= THANKS_WITHIN_DAYS
    if mode == "always" and invoice.paid_date is not None:
        return reminded or 0 <= (as_of - invoice.paid_date).days <= THANKS_ALWAYS_PAID_WITHIN
    return reminded


def _blocked_reason(invoice: Invoice, client: Client | None, status: str, balance: Decimal | None,
                    days: int | None, as_of: date) -> str:
    """Why no reminder may go to this invoice: a note for Sync Notes, '-' for no note, '' when none."""
    if status in NO_REMINDER_STATUSES or balance is None or balance <= 0 or days is None or client is None:
        return "-"
    if not client.reminders:
        return "Reminders are off for this client (Clients sheet)."
    if invoice.hold_until is not None and as_of < invoice.hold_until:
        return f"Held until {invoice.hold_until.isoformat()} (the client's promised date): no reminder before then."
    return ""


def _below_write_off(balance: Decimal | None, currency: str, config: Config) -> bool:
    threshold = config.reminders.write_off_below.get(currency)
    return threshold is not None and balance is not None and balance < threshold


def _attention_note(balance: Decimal | None, currency: str, final_day: date, config: Config) -> str:
    from sheet_sync.money import format_money

    threshold = config.reminders.write_off_below.get(currency)
    amount = format_money(balance, currency, "en") if balance is not None else f"the balance in {currency}"
    if _below_write_off(balance, currency, config):
        return (f"The final notice went out on {final_day.isoformat()} with no payment since. {amount} is below "
                f"the write-off limit of {format_money(threshold, currency, 'en')}: consider writing it off "
                "(Status = Written Off).")
    return (f"The final notice went out on {final_day.isoformat()} with no payment since. Please decide: call the "
            f"client, hand {amount} to a collections agency, or write it off (Status = Written Off).")

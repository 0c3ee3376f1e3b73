"""From a policy decision to a ready message: the template context, the rendering, the MIME message."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, Collection, Mapping

from sheet_sync.config import Config
from sheet_sync.late_fee import SHOWN_IN, invoice_fee
from sheet_sync.mail.message import build_message, make_message_id
from sheet_sync.model import Client, Invoice
from sheet_sync.render import fee_totals, render_reminder

REDIRECT_PREFIX = "[TEST → {to}] "


@dataclass(frozen=True)
class Outgoing:
    """One reminder, rendered and addressed, ready for a transport."""

    invoice_no: str
    client_id: str
    stage: str
    to: tuple[str, ...]  # the actual envelope recipients (after redirect)
    cc: tuple[str, ...]
    subject: str
    message_id: str
    message: EmailMessage
    bcc: tuple[str, ...] = ()  # envelope only, never in a header
    # every invoice this message is about, with the stage it stands for: (invoice_no, stage), oldest first;
    # () for a message about `invoice_no` alone. Each gets its own Reminder Log row, with the same Message-ID.
    also: tuple[tuple[str, str], ...] = ()

    @property
    def parts(self) -> tuple[tuple[str, str], ...]:
        return self.also or ((self.invoice_no, self.stage),)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc

    @property
    def to_text(self) -> str:
        return ", ".join(self.to + tuple(f"cc {c}" for c in self.cc))


def reply_by(as_of: date, min_days: int) -> date:
    """The end of the week we ask to hear back by: the first Friday at least `min_days` days away."""
    earliest = as_of + timedelta(days=min_days)
    return earliest + timedelta(days=(4 - earliest.weekday()) % 7)


def reminder_context(
    invoice: Invoice, client: Client, stage: str, balance: Decimal, days_overdue: int, config: Config, as_of: date
) -> dict[str, Any]:
    """The data a template sees (the shape `render.sample_context` documents)."""
    b = config.business
    discount = None
    r = config.reminders
    if stage == "upcoming" and r.discount_percent > 0 and r.discount_days > 0 and invoice.issue_date:
        until = invoice.issue_date + timedelta(days=r.discount_days)
        if until >= as_of:
            from sheet_sync.money import quantize

            amount = quantize(balance * r.discount_percent / 100, invoice.currency)
            discount = {"percent": r.discount_percent, "amount": amount, "until": until}
    lines, totals = statement([Due(invoice, stage, balance, days_overdue)])
    late_fees = with_late_fees(lines, totals, {invoice.invoice_no: invoice}, client, stage, config, as_of)
    return {
        "business": {
            "name": b.name, "email": b.email or config.mail.from_, "phone": b.phone, "address": b.address,
            "tax_id": b.tax_id, "tax_id_label": b.tax_id_label, "signature": b.signature,
            "payment_instructions": b.payment_instructions_for(invoice.currency, client.language),
        },
        "client": {"client_id": client.client_id, "name": client.name, "contact_name": client.contact_name},
        "invoice": {
            "invoice_no": invoice.invoice_no,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "currency": invoice.currency,
            "amount": invoice.amount,
            "amount_paid": invoice.amount_paid,
            "balance": balance,
            "po_number": invoice.po_number,
            "payment_link": invoice.payment_link,
            "note_to_client": invoice.note_to_client,
            "description": invoice.description,
            "days_overdue": days_overdue,
            "terms_days": terms_of(invoice),
        },
        "statement": lines,
        "totals": totals,
        "late_fees": late_fees,
        "stage": stage,
        "language": client.language,
        "as_of": as_of,
        "reply_by": reply_by(as_of, r.reply_days),
        "discount": discount,
        # the invoices whose PDF goes with this message (compose_for_client says, once the PDFs are made)
        "attachments": (),
        "invoice_attached": False,
    }


def with_late_fees(lines: list[dict[str, Any]], totals: list[dict[str, Any]], invoices: Mapping[str, Invoice],
                   client: Client, stage: str, config: Config, as_of: date,
                   sent: Mapping[str, date | None] | None = None) -> list[dict[str, Any]]:
    """Give each statement line its `late_fee` and `now_due` (balance + fee), each currency's total its
    `late_fee` and `now_due`; return the lines that carry a fee. A fee is shown only in a firm or final message,
    and only for an invoice whose own stage is firm or final (in a message about several, an invoice at an
    earlier stage shows none)."""
    rules = config.reminders.late_fee
    for line in lines:
        shown = bool(rules) and stage in SHOWN_IN and line["stage"] in SHOWN_IN
        no = line["invoice_no"]
        fee = invoice_fee(rules, invoices[no], client, as_of, (sent or {}).get(no)) if shown else Decimal(0)
        line.update(late_fee=fee, now_due=line["balance"] + fee)
    return fee_totals(lines, totals)


def terms_of(invoice: Invoice) -> int | None:
    """The payment terms the invoice's own dates say (0: due on receipt), never the client's usual terms:
    an invoice issued on 24 October and due on 23 November is due within 30 days, whatever the client's row says."""
    if invoice.issue_date is None or invoice.due_date is None or invoice.due_date < invoice.issue_date:
        return None
    return (invoice.due_date - invoice.issue_date).days


def compose(
    invoice: Invoice,
    client: Client,
    stage: str,
    balance: Decimal,
    days_overdue: int,
    references: tuple[str, ...],
    config: Config,
    as_of: date,
    now: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Outgoing:
    context = {**reminder_context(invoice, client, stage, balance, days_overdue, config, as_of), **(extra or {})}
    rendered = render_reminder(stage, client.language, context, config.reminders.templates_dir)
    mail = config.mail
    to, cc, subject = client.emails, client.cc, rendered.subject
    if mail.redirect_to:
        subject = REDIRECT_PREFIX.format(to=", ".join(to)) + subject
        to, cc = (mail.redirect_to,), ()
    bcc = (mail.bcc,) if mail.bcc else ()
    message_id = make_message_id(mail.from_, invoice.invoice_no, stage, client.client_id)
    message = build_message(
        sender=mail.from_,
        sender_name=mail.from_name or config.business.name,
        to=to,
        cc=cc,
        reply_to=mail.reply_to,
        subject=subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        references=references,
        extra_headers=(("X-Sheet-Sync-Invoice", invoice.invoice_no), ("X-Sheet-Sync-Stage", stage)),
        when=now or datetime.now(timezone.utc),
    )
    return Outgoing(invoice.invoice_no, client.client_id, stage, tuple(to), tuple(cc), subject, message_id,
                    message, bcc)


# a thank-you and the invoice itself are never grouped with a reminder (each is a message of its own)
STAGE_ORDER = ("thanks", "invoice", "upcoming", "gentle", "firm", "final")


@dataclass(frozen=True)
class Due:
    """One invoice due a stage on this run, with its balance and days overdue."""

    invoice: Invoice
    stage: str
    balance: Decimal
    days_overdue: int
    references: tuple[str, ...] = ()
    invoice_sent: date | None = None  # the day the tool sent the invoice itself (a `Ready` row), for its late fee


def lead_of(items: list[Due]) -> Due:
    """The invoice a grouped message speaks for: the most advanced stage, then the oldest due date."""
    return max(items, key=lambda d: (STAGE_ORDER.index(d.stage), d.days_overdue, d.invoice.invoice_no))


def statement(items: list[Due]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The invoices of a message, oldest first, and their open balance per currency (never added across)."""
    rows = sorted(items, key=lambda d: (d.invoice.due_date or date.max, d.invoice.invoice_no))
    lines = [{"invoice_no": d.invoice.invoice_no, "description": d.invoice.description,
              "issue_date": d.invoice.issue_date, "due_date": d.invoice.due_date, "days_overdue": d.days_overdue,
              "amount": d.invoice.amount, "balance": d.balance, "currency": d.invoice.currency, "stage": d.stage,
              "po_number": d.invoice.po_number, "payment_link": d.invoice.payment_link, "attached": False,
              "note_to_client": d.invoice.note_to_client}
             for d in rows]
    totals: dict[str, Decimal] = {}
    for d in rows:
        totals[d.invoice.currency] = totals.get(d.invoice.currency, Decimal(0)) + d.balance
    return lines, [{"currency": c, "balance": b} for c, b in sorted(totals.items())]


def compose_for_client(items: list[Due], client: Client, config: Config, as_of: date,
                       now: datetime | None = None, attached: Collection[str] = ()) -> Outgoing:
    """One message about every invoice of `client` due a stage on this run: in the tone of the most advanced
    stage, threaded after that invoice's earlier reminders, with a statement of all of them. `attached`: the
    invoices whose PDF goes with the message, so that its words can say so (each line of the statement too)."""
    lead = lead_of(items)
    numbers = [d.invoice.invoice_no for d in items]
    files = tuple(no for no in numbers if no in attached)
    extra: dict[str, Any] = {"attachments": files, "invoice_attached": lead.invoice.invoice_no in files}
    if len(items) == 1:
        if lead.invoice_sent is not None:  # a `Ready` invoice's fee counts from the day it was sent
            lines, totals = statement(items)
            extra.update(statement=lines, totals=totals, late_fees=with_late_fees(
                lines, totals, {lead.invoice.invoice_no: lead.invoice}, client, lead.stage, config, as_of,
                {lead.invoice.invoice_no: lead.invoice_sent}))
        return compose(lead.invoice, client, lead.stage, lead.balance, lead.days_overdue, lead.references, config,
                       as_of, now, extra=extra)
    lines, totals = statement(items)
    for line in lines:
        line["attached"] = line["invoice_no"] in files
    files = tuple(line["invoice_no"] for line in lines if line["attached"])  # oldest first, as the PDFs go
    late_fees = with_late_fees(lines, totals, {d.invoice.invoice_no: d.invoice for d in items}, client, lead.stage,
                               config, as_of, {d.invoice.invoice_no: d.invoice_sent for d in items})
    extra.update(statement=lines, totals=totals, attachments=files, late_fees=late_fees)
    out = compose(lead.invoice, client, lead.stage, lead.balance, lead.days_overdue, lead.references, config, as_of,
                  now, extra=extra)
    return replace(out, also=tuple((line["invoice_no"], line["stage"]) for line in lines))

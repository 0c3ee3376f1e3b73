"""From a policy decision to a ready message: the template context, the rendering, the MIME message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from sheet_sync.config import Config
from sheet_sync.mail.message import build_message, make_message_id
from sheet_sync.model import Client, Invoice
from sheet_sync.render import render_reminder

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
        "stage": stage,
        "language": client.language,
        "as_of": as_of,
        "reply_by": reply_by(as_of, r.reply_days),
        "discount": discount,
    }


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
) -> Outgoing:
    context = reminder_context(invoice, client, stage, balance, days_overdue, config, as_of)
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

"""The owner's digest: one email after a run that sent something, failed to, or found an invoice that
needs a decision. Pure: a SyncResult and the config in, an EmailMessage (or None) out."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage

from sheet_sync.config import Config
from sheet_sync.mail.message import build_message, domain_of
from sheet_sync.render import render_document, tidy_text

MAX_PROBLEMS = 20
BAR_COLORS = ("#12b76a", "#fdb022", "#f79009", "#f04438", "#912018", "#55160c")


def wanted(result) -> bool:
    """A digest is worth sending when the run did something or something waits for the owner."""
    return bool(result.sent or result.failed or result.attention)


def digest_context(result, config: Config) -> dict:
    totals = []
    for currency, t in result.totals.items():
        amounts = [Decimal(t.get(label, 0)) for label in result.labels]
        top = max(amounts, default=Decimal(0)) or Decimal(1)
        buckets = [{"label": label, "amount": amount, "percent": int(amount * 100 / top),
                    "color": BAR_COLORS[min(i, len(BAR_COLORS) - 1)]}
                   for i, (label, amount) in enumerate(zip(result.labels, amounts))]
        totals.append({"currency": currency, "total": Decimal(t.get("Total", 0)), "buckets": buckets})
    blocking = result.blocking_problems
    return {
        "language": "en",
        "business": {"name": config.business.name},
        "as_of": result.as_of,
        "workbook": result.workbook,
        "sent": [m for m in result.messages if m.state == "sent"],
        "failed": list(result.failed),
        "skipped": [m for m in result.messages if m.state == "skipped"],
        "attention": list(result.attention),
        "totals": totals,
        "problems": [str(p) for p in blocking[:MAX_PROBLEMS]],
        "problem_count": len(blocking),
        "unconfirmed": list(result.unconfirmed),
    }


def digest_subject(result) -> str:
    parts = [f"{len(result.sent)} reminder{'s' if len(result.sent) != 1 else ''} sent"]
    if result.failed:
        parts.append(f"{len(result.failed)} not sent")
    if result.attention:
        n = len(result.attention)
        parts.append(f"{n} invoice{'s' if n != 1 else ''} need{'s' if n == 1 else ''} your decision")
    return f"sheet-sync {result.as_of.isoformat()}: " + ", ".join(parts)


def build_digest(result, config: Config, when: datetime | None = None) -> EmailMessage | None:
    """The digest for `result`, to `mail.digest_to`; None when it is off or there is nothing to say."""
    to = config.mail.digest_to
    if not to or result.dry_run or not wanted(result):
        return None
    ctx = digest_context(result, config)
    folder = config.reminders.templates_dir
    text = render_document("digest.txt", ctx, folder)
    html = render_document("digest.html", ctx, folder)
    sender = config.mail.from_
    stamp = (when or datetime.now()).strftime("%Y%m%d%H%M%S")
    digest_id = hashlib.sha256(f"{sender}\0{to}\0{result.as_of}\0{stamp}".encode()).hexdigest()[:16]
    return build_message(
        sender=sender, sender_name="sheet-sync", to=[to], subject=digest_subject(result),
        text=tidy_text(text), html=html,
        message_id=f"<digest.{result.as_of.isoformat()}.{digest_id}@{domain_of(sender)}>",
        extra_headers=[("X-Sheet-Sync-Digest", result.as_of.isoformat())], when=when,
    )


def check_digest(config: Config) -> list[str]:
    """Render the digest (the owner's override of digest.txt/digest.html included) for a sample run;
    what fails, as sentences."""
    from datetime import date

    from sheet_sync.result import Attention, Sent, SyncResult
    from sheet_sync.errors import SheetSyncError
    from sheet_sync.model import CellRef, Problem

    labels = ("Current", "1-30", "31-60", "61-90", "90+")
    sample = SyncResult(
        as_of=date(2026, 11, 23), workbook="invoices.xlsx", invoices_read=3,
        problems=(Problem(CellRef("Invoices", 4, 6), "'abc' is not an amount."),),
        totals={"USD": {**{label: Decimal(0) for label in labels}, "1-30": Decimal("1250.00"), "Total": Decimal("1250.00")}},
        labels=labels,
        messages=(Sent("INV-1", "C1", "gentle", "ap@client.example.com", "Payment reminder", "sent"),
                  Sent("INV-2", "C1", "firm", "ap@client.example.com", "Payment reminder", "failed", "refused")),
        needs_attention=("INV-3",), unconfirmed=(), statuses={"Overdue": 2}, dry_run=False, transport="outbox",
        attention=(Attention("INV-3", "Client & Co", "USD", Decimal("480.00"), 45, "The final notice brought no payment."),),
    )
    try:
        build_digest(sample, replace(config, mail=replace(config.mail, digest_to=config.mail.digest_to or "you@example.com")))
    except SheetSyncError as exc:
        return [str(exc)]
    return []

"""The owner's digest: one email after a run that sent something, failed to, or found an invoice that
needs a decision.

    build_digest(result, config)           -> EmailMessage | None   pure: from `result.to_dict()`
    send_digest(result, config, transport) -> str                   what became of it, for SyncResult.digest
    check_digest(config)                   -> [str]                 what fails when a sample renders
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, Mapping

from sheet_sync.config import Config
from sheet_sync.errors import SheetSyncError
from sheet_sync.mail.message import build_message, domain_of
from sheet_sync.mail import make_transport
from sheet_sync.mail.transport import SendError, Transport
from sheet_sync.result import Attention, Sent, SyncResult, problem_line

MAX_PROBLEMS = 20
BAR_COLORS = ("#12b76a", "#fdb022", "#f79009", "#f04438", "#912018", "#55160c")

Data = Mapping[str, Any]  # SyncResult.to_dict()


def wanted(data: Data) -> bool:
    """A digest is worth sending when the run did something or something waits for the owner."""
    return bool(data["sent"] or data["failed"] or data["attention"] or data.get("replied")
                or data.get("recurring_added") or data.get("awaiting_approval"))


def digest_context(data: Data, config: Config) -> dict:
    """The templates' context. Dates and money are Decimal and date again, as in the reminders' templates."""
    labels = data["labels"]
    totals = []
    for currency, t in data["totals"].items():
        amounts = [Decimal(t.get(label, 0)) for label in labels]
        top = max(amounts, default=Decimal(0)) or Decimal(1)
        buckets = [{"label": label, "amount": amount, "percent": int(amount * 100 / top),
                    "color": BAR_COLORS[min(i, len(BAR_COLORS) - 1)]}
                   for i, (label, amount) in enumerate(zip(labels, amounts))]
        totals.append({"currency": currency, "total": Decimal(t.get("Total", 0)), "buckets": buckets})
    blocking = data["blocking_problems"]
    attention = [{**a, "balance": None if a["balance"] is None else Decimal(a["balance"])} for a in data["attention"]]
    return {
        "language": "en",
        "business": {"name": config.business.name},
        "as_of": date.fromisoformat(data["as_of"]),
        "workbook": data["workbook"],
        "sent": data["sent"],
        "failed": data["failed"],
        "skipped": data["skipped"],
        "attention": attention,
        "attention_by_client": _by_client(attention),
        "replied": data.get("replied", ()),  # the clients answered (the mailbox): the owner reads and decides
        "totals": totals,
        "problems": [problem_line(p) for p in blocking[:MAX_PROBLEMS]],
        "problem_count": len(blocking),
        "unconfirmed": data["unconfirmed"],
        "recurring": data.get("recurring_summary", ""),  # "added 2 recurring invoices: …"
        "awaiting_approval": data.get("awaiting_approval") or 0,  # reminders.approval: messages in Outgoing
        "approval_notes": data.get("approval_notes", ()),
    }


def _by_client(attention: list[dict]) -> list[dict]:
    """The invoices that need a decision, per client (the longest overdue client first), oldest first; the
    ones below the write-off limit marked."""
    groups: dict[str, list[dict]] = {}
    for a in attention:
        groups.setdefault(a["client"], []).append(a)
    ordered = sorted(groups.items(), key=lambda kv: -max(x["days_overdue"] for x in kv[1]))
    return [{"client": client, "invoices": sorted(rows, key=lambda x: -x["days_overdue"])} for client, rows in ordered]


def digest_subject(data: Data) -> str:
    sent, failed, attention = len(data["sent"]), len(data["failed"]), len(data["attention"])
    parts = [f"{sent} reminder{'s' if sent != 1 else ''} sent"]
    if failed:
        parts.append(f"{failed} not sent")
    if attention:
        parts.append(f"{attention} invoice{'s' if attention != 1 else ''} need{'s' if attention == 1 else ''} "
                     "your decision")
    return f"sheet-sync {data['as_of']}: " + ", ".join(parts)


def build_digest(result: SyncResult, config: Config, when: datetime | None = None) -> EmailMessage | None:
    """The digest for `result`, to `mail.digest_to`; None when it is off or there is nothing to say."""
    to = config.mail.digest_to
    data = result.to_dict()
    if not to or data["dry_run"] or not wanted(data):
        return None
    from sheet_sync.render import render_document, tidy_text  # Jinja2 and Babel load only for a digest

    ctx = digest_context(data, config)
    folder = config.reminders.templates_dir
    text = render_document("digest.txt", ctx, folder)
    html = render_document("digest.html", ctx, folder)
    sender = config.mail.from_
    as_of = data["as_of"]
    stamp = (when or datetime.now()).strftime("%Y%m%d%H%M%S")
    digest_id = hashlib.sha256(f"{sender}\0{to}\0{as_of}\0{stamp}".encode()).hexdigest()[:16]
    return build_message(
        sender=sender, sender_name="sheet-sync", to=[to], subject=digest_subject(data),
        text=tidy_text(text), html=html,
        message_id=f"<digest.{as_of}.{digest_id}@{domain_of(sender)}>",
        extra_headers=[("X-Sheet-Sync-Digest", as_of)], when=when,
    )


def send_digest(result: SyncResult, config: Config, transport: Transport | None = None) -> str:
    """Send the digest for `result`, when asked for and worth it, through the run's `transport` (None: the one
    the config names). Returns what became of it, for `SyncResult.digest`: "" (none), "sent to ...", or
    "not sent ...: why". Its failure never changes the outcome of the reminders, so it never raises."""
    try:
        message = build_digest(result, config)
    except SheetSyncError as exc:
        return f"not sent: {exc}"
    if message is None:
        return ""
    to = config.mail.digest_to
    try:
        transport = transport or make_transport(config)
        with transport:
            transport.send(message, [to])
    except (SheetSyncError, SendError) as exc:
        return f"not sent to {to}: {exc}"
    return f"sent to {to}"


def check_digest(config: Config) -> list[str]:
    """Render the digest (the owner's override of digest.txt/digest.html included) for a sample run;
    what fails, as sentences."""
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

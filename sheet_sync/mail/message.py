"""Building a reminder as a MIME message: plain text + HTML alternative, UTF-8 headers, our own ids."""
from __future__ import annotations

import hashlib
import re
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from datetime import datetime, timezone
from typing import Sequence


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() or "sheet-sync.local"


def make_message_id(sender: str, invoice_no: str, stage: str, client_id: str) -> str:
    """A stable id per invoice and stage: a retry of the same reminder carries the same id,
    so a receiving server that saw it already can drop the copy."""
    digest = hashlib.sha256(f"{sender}\0{invoice_no}\0{stage}\0{client_id}".encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", invoice_no).strip("-")[:40] or "invoice"
    return f"<{slug}.{stage}.{digest}@{domain_of(sender)}>"


class FoldedSubject(str):
    """A Subject folded the way RFC 2047 asks: every space stays inside an encoded word or before a plain one.

    Python's own folder, splitting a long non-ASCII subject, puts the space between two encoded words
    outside both, where every reader drops it ("미결제 인보이스" arrived as "미결제인보이스"), and folds a long
    ASCII subject before its first word (read back with a leading space). `email.header.Header` keeps them."""

    name = "Subject"

    def fold(self, *, policy) -> str:
        charset = "us-ascii" if self.isascii() else "utf-8"
        folded = Header(str(self), charset, header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {folded}{policy.linesep}"


def build_message(
    *,
    sender: str,
    sender_name: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    reply_to: str = "",
    subject: str,
    text: str,
    html: str,
    message_id: str,
    references: Sequence[str] = (),
    extra_headers: Sequence[tuple[str, str]] = (),
    when: datetime | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = FoldedSubject(subject)
    msg["Date"] = format_datetime(when or datetime.now(timezone.utc))
    msg["Message-ID"] = message_id
    if references:
        msg["In-Reply-To"] = references[-1]
        msg["References"] = " ".join(references)
    for name, value in extra_headers:
        msg[name] = value
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


__all__ = ["Address", "build_message", "make_message_id", "domain_of"]

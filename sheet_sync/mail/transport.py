"""The small interface every mail transport implements, and the pick by config."""
from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    from sheet_sync.config import Config


class SendError(Exception):
    """The server refused this one message (the run goes on; the reminder is logged as failed)."""


class Unconfirmed(SendError):
    """The connection failed while the server was taking the message: it may or may not have arrived."""


class Transport(Protocol):
    name: str

    def __enter__(self) -> "Transport": ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> str:
        """Deliver one message; return a short detail for the log. Raise SendError when refused."""
        ...


def make_transport(config: Config) -> Transport:
    """The transport `mail.transport` names: the outbox folder, or Gmail / an SMTP server through yagmail."""
    from sheet_sync.mail.outbox import OutboxTransport  # the transports import this module: import them late

    if config.mail.transport == "outbox":
        return OutboxTransport(config.mail.outbox_dir)
    from sheet_sync.mail.smtp import SmtpTransport

    return SmtpTransport(config)

"""The small interface every mail transport implements (`make_transport` in the package picks one)."""
from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol, Sequence


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

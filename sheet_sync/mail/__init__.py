"""Mail transports behind one interface (transport.py): the outbox folder, or Gmail / any SMTP server."""
from __future__ import annotations

from sheet_sync.config import Config
from sheet_sync.mail.transport import Transport


def make_transport(config: Config) -> Transport:
    """The transport `mail.transport` names: the outbox folder, or Gmail / an SMTP server through yagmail."""
    if config.mail.transport == "outbox":
        from sheet_sync.mail.outbox import OutboxTransport

        return OutboxTransport(config.mail.outbox_dir)
    from sheet_sync.mail.smtp import SmtpTransport

    return SmtpTransport(config)

"""A real SMTP server on 127.0.0.1 for the tests: aiosmtpd with STARTTLS and a required login.

The certificate comes from a throwaway CA (trustme) that only the tests trust, via SSL_CERT_FILE.
Knobs: `delay` (seconds to wait inside DATA, so a kill can land mid-send), `drop_after` (close the
connection after accepting that many messages), `refuse` (recipients answered with 550).
"""
from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "owner@studio.example.com"
PASSWORD = "s3cret-app-pass-9f2k"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class Handler:
    delay: float = 0.0
    drop_after: int | None = None
    refuse: tuple[str, ...] = ()
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    logins: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # blocks the server loop on purpose: a slow server
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            count = len(self.received)
        if self.drop_after is not None and count >= self.drop_after:
            self.drop_after = None
            session.transport_to_close = True
            server.transport.close()  # the message was accepted, then the line goes dead
            return "250 OK"
        return "250 OK"


def authenticator(handler: Handler):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
              and auth_data.password.decode() == PASSWORD)
        if ok:
            handler.logins += 1
        return AuthResult(success=ok, handled=False)  # handled=True would leave the client waiting

    return check


def mail_toml(port: int, mail: str = "", smtp: str = "") -> str:
    """The config's [mail] tables for a server of this module on `port`: the smtp transport, from and
    login as USER (the password comes from SMTP_PASSWORD); `mail` and `smtp` add keys to each table."""
    return f"""
[mail]
transport = "smtp"
from = "{USER}"
{mail}
[mail.smtp]
host = "127.0.0.1"
port = {port}
user = "{USER}"
{smtp}
"""


class SmtpServer:
    def __init__(self, ca, handler: Handler | None = None, implicit_tls: bool = False, relay: bool = False,
                 smtputf8: bool = False):
        """STARTTLS on a plain port (587's way), or with `implicit_tls` TLS from the first byte (465's,
        as Gmail does), or with `relay` an open relay on the local network (no TLS, no login: strict about
        EHLO before MAIL, as such relays are). `smtputf8` offers SMTPUTF8 (addresses beyond ASCII)."""
        self.handler = handler or Handler()
        self.port = free_port()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        tls = {"ssl_context": ctx} if implicit_tls else {"tls_context": ctx, "require_starttls": True}
        auth = dict(auth_required=True, auth_require_tls=not implicit_tls,  # aiosmtpd sees only STARTTLS
                    authenticator=authenticator(self.handler))
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            **({} if relay else tls),
            **({"auth_required": False} if relay else auth),
            enable_SMTPUTF8=smtputf8,
            ready_timeout=10,
        )

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

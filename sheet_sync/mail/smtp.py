"""Real mail through yagmail: Gmail (app password or OAuth2) and any SMTP server.

yagmail opens the connection, does STARTTLS/TLS and logs in (with OAuth2 for Gmail). We then
drive the one connection for the whole run ourselves, because yagmail's own send loop would
hide failures (`send()` returns False) and could repeat a message whose DATA already reached
the server. Sending is split at the protocol's one point of no return:

- a failure before DATA (MAIL FROM, RCPT TO, a dropped idle connection) means the server has
  not taken the message: reconnect and try once more, safely;
- a failure during DATA means nobody knows whether the server took it: raise `Unconfirmed`,
  which the run logs as `unconfirmed` and never repeats on its own.

The server's certificate is always verified (system CAs, or those named by SSL_CERT_FILE).
Secrets come from the environment and never appear in messages or errors.
"""
from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import time
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Sequence

from sheet_sync.config import Config
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.mail.transport import SendError, Unconfirmed

GMAIL_HOST = "smtp.gmail.com"
GMAIL_SSL_PORT = 465


def oauth2_problem(path: Path) -> str:
    """'' when `path` is a yagmail OAuth2 file with a refresh token, else why not. Anything else would make
    yagmail ask questions on the terminal and rewrite the file: a scheduled run would hang."""
    if not path.is_file():
        return f"mail.gmail.oauth2_file {path} does not exist."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return f"mail.gmail.oauth2_file {path} cannot be read as JSON."
    needed = ("google_client_id", "google_client_secret", "google_refresh_token")
    if not isinstance(data, dict) or "installed" in data or not all(data.get(k) for k in needed):
        return f"mail.gmail.oauth2_file {path} does not hold a Gmail refresh token ({', '.join(needed)})."
    return ""


class LoginFailed(SheetSyncError):
    """The server refused the login (or could not be reached): nothing was sent."""


def tls_context() -> ssl.SSLContext:
    """A verifying context; Python's defaults honour SSL_CERT_FILE / SSL_CERT_DIR."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class SmtpTransport:
    """One SMTP connection per run, through yagmail's connect-and-login."""

    def __init__(self, config: Config):
        mail = config.mail
        self.name = mail.transport
        self.pause = mail.pause_seconds
        self.sender = mail.from_
        self._secrets: list[str] = []
        ctx = tls_context()
        if mail.transport == "gmail":
            user = mail.gmail.user or mail.from_
            common = dict(host=GMAIL_HOST, port=GMAIL_SSL_PORT, smtp_ssl=True, context=ctx)
            if mail.gmail.oauth2_file:
                problem = oauth2_problem(mail.gmail.oauth2_file)
                if problem:
                    raise SheetSyncError(problem + " Make it once with yagmail's OAuth2 set-up, or use an app password "
                                                   "in GMAIL_APP_PASSWORD.",
                                         kind=ErrorKind.CREDENTIALS, fix="make the file once with yagmail's OAuth2 "
                                         "set-up, or use an app password in GMAIL_APP_PASSWORD")
                self._yag_args = dict(user=user, oauth2_file=str(mail.gmail.oauth2_file), **common)
            else:
                password = os.environ.get("GMAIL_APP_PASSWORD", "")
                if not password:
                    raise SheetSyncError(
                        "GMAIL_APP_PASSWORD is not set: create an app password for your Google account and put it "
                        "in that environment variable (or set mail.gmail.oauth2_file).",
                        kind=ErrorKind.CREDENTIALS, fix="create an app password at "
                        "https://myaccount.google.com/apppasswords and put it in GMAIL_APP_PASSWORD",
                    )
                self._secrets.append(password)
                self._yag_args = dict(user=user, password=password, **common)
            self.where = f"Gmail as {user}"
        else:
            s = mail.smtp
            if not s.host:
                raise SheetSyncError("mail.smtp.host is not set; name your SMTP server in the config.",
                                     kind=ErrorKind.CONFIG, fix="name your SMTP server in mail.smtp.host")
            password = os.environ.get("SMTP_PASSWORD", "")
            if s.user and not password:
                raise SheetSyncError("SMTP_PASSWORD is not set: put the password for mail.smtp.user in that environment variable.",
                                     kind=ErrorKind.CREDENTIALS, fix="put the password for mail.smtp.user in the "
                                     "environment variable SMTP_PASSWORD")
            self._secrets.append(password)
            args: dict = dict(user=s.user or mail.from_, password=password, host=s.host, port=s.port,
                              smtp_skip_login=not s.user, timeout=s.timeout)
            if s.security == "ssl":
                args.update(smtp_ssl=True, context=ctx)
            elif s.security == "starttls":
                args.update(smtp_ssl=False, smtp_starttls={"context": ctx})
            else:
                args.update(smtp_ssl=False, smtp_starttls=False)
            self._yag_args = args
            self.where = f"{s.host}:{s.port}"
        self._yag = None
        self._sent_any = False

    # ---- connection ----------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        import yagmail

        try:
            yag = yagmail.SMTP(soft_email_validation=False, **self._yag_args)
            yag.set_logging(None)
            yag.login()
            yag.smtp.ehlo_or_helo_if_needed()  # a relay without login still wants EHLO before MAIL
        except smtplib.SMTPAuthenticationError as exc:
            raise LoginFailed(
                f"{self.where} refused the login ({exc.smtp_code}): check the user and the password "
                "(for Gmail, an app password, not your account password).",
                kind=ErrorKind.MAIL_LOGIN, fix="check the user and the password (for Gmail, an app password, not "
                "your account password)",
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise LoginFailed(
                f"{self.where} presented a certificate that cannot be trusted ({exc.verify_message}); "
                "check mail.smtp.host, or set SSL_CERT_FILE to your company's CA file.",
                kind=ErrorKind.MAIL_CERTIFICATE, fix="check mail.smtp.host; behind a company proxy, set SSL_CERT_FILE "
                "to the proxy's CA file",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise LoginFailed(f"Cannot connect to {self.where}: "
                              f"{_scrub(str(exc) or type(exc).__name__, self._secrets).rstrip('.')}.",
                              kind=ErrorKind.MAIL_SERVER,
                              fix=(f"check that the network lets port {GMAIL_SSL_PORT} out to {GMAIL_HOST}"
                                   if self.name == "gmail" else "check mail.smtp.host, port and security (587 with "
                                   "starttls, 465 with ssl) and that the network lets that port out")) from None
        self._yag = yag
        return yag.smtp

    def _connection(self) -> smtplib.SMTP:
        if self._yag is None:
            return self._connect()
        try:
            code, _ = self._yag.smtp.noop()
            if code == 250:
                return self._yag.smtp
        except (OSError, smtplib.SMTPException):
            pass
        self._drop()
        return self._connect()

    def _drop(self) -> None:
        if self._yag is not None:
            try:
                self._yag.smtp.close()
            except Exception:
                pass
            self._yag = None

    def __enter__(self) -> "SmtpTransport":
        self._connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._yag is not None:
            try:
                self._yag.smtp.quit()
            except Exception:
                pass
            self._yag = None

    # ---- sending -------------------------------------------------------------------------

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> str:
        if self._sent_any and self.pause:
            time.sleep(self.pause)
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # smtplib sends bytes as they are
        for attempt in (1, 2):
            try:
                conn = self._connection()
            except LoginFailed as exc:
                raise SendError(str(exc)) from None
            try:
                self._envelope(conn, recipients, _addresses(message, "To"))
            except _Refused as exc:
                self._reset(conn)
                raise SendError(str(exc)) from None
            except (OSError, smtplib.SMTPServerDisconnected):
                self._drop()  # nothing was handed over yet: safe to reconnect and try again
                if attempt == 2:
                    raise SendError(f"the connection to {self.where} keeps dropping before the message could be sent")
                continue
            try:
                code, reply = conn.data(data)
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                self._drop()
                raise Unconfirmed(f"the connection to {self.where} broke while sending ({type(exc).__name__}); "
                                  "the message may or may not have arrived") from None
            except smtplib.SMTPDataError as exc:
                self._reset(conn)
                raise SendError(f"{self.where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}") from None
            if code != 250:  # smtplib returns the final reply without checking it
                self._reset(conn)
                raise SendError(f"{self.where} refused the message: {code} {_text(reply)}")
            self._sent_any = True
            return f"accepted by {self.where}: {code} {_text(reply)}"[:200]
        raise AssertionError("unreachable")

    def _envelope(self, conn: smtplib.SMTP, recipients: Sequence[str], to: Sequence[str]) -> None:
        """MAIL and RCPT; refused unless the server takes every `to` address (the client's own; a CC or BCC
        alone is not the reminder arriving)."""
        options: list[str] = []
        if not all(a.isascii() for a in (self.sender, *recipients)):
            if not conn.has_extn("smtputf8"):
                odd = next(a for a in (self.sender, *recipients) if not a.isascii())
                raise _Refused(f"{self.where} does not take addresses with non-ASCII characters such as {odd} "
                               "(no SMTPUTF8); write the client's address in ASCII or use another server")
            options, conn.command_encoding = ["SMTPUTF8"], "utf-8"
        code, reply = conn.mail(self.sender, options)
        if code != 250:
            raise _Refused(f"{self.where} refused the sender {self.sender}: {code} {_text(reply)}")
        accepted = 0
        refused = []
        refused_to = []
        for rcpt in recipients:
            code, reply = conn.rcpt(rcpt)
            if code in (250, 251):
                accepted += 1
            else:
                refused.append(f"{rcpt} ({code} {_text(reply)})")
                if rcpt.casefold() in {a.casefold() for a in to}:
                    refused_to.append(refused[-1])
        if refused and not accepted:
            raise _Refused(f"{self.where} refused every recipient: {'; '.join(refused)}")
        if refused_to:
            raise _Refused(f"{self.where} refused the client's address: {'; '.join(refused_to)}; nothing was sent")

    @staticmethod
    def _reset(conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            pass


class _Refused(Exception):
    pass


def _addresses(message: EmailMessage, header: str) -> list[str]:
    return [address for _, address in getaddresses(message.get_all(header, []))]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def check_login(config: Config) -> str:
    """Log in and out, sending nothing (for `doctor`); raises LoginFailed with the reason."""
    transport = SmtpTransport(config)
    with transport:
        pass
    return transport.where


__all__ = ["SmtpTransport", "Unconfirmed", "LoginFailed", "check_login", "socket"]

"""The owner's mailbox over IMAP (`[mail.imap]`), read-only: the edge that finds replies and bounces.

    scan(config, since, index)  -> Scan      the messages worth reading, whole
    check_login(config)         -> str       log in and out (for `doctor`)

Nothing in the mailbox changes: each folder is selected read-only (EXAMINE) and every fetch is a
`BODY.PEEK`, so no message is marked read, moved or deleted. Only messages since the oldest open
reminder's day are searched; the few headers that tell a reply or a bounce are fetched first (in batches),
and the whole message only
for those `replies.wanted()` keeps (a reply, a bounce). The server's certificate is verified as for SMTP
(system CAs, or SSL_CERT_FILE). The password comes from IMAP_PASSWORD and never appears in a message.
"""
from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timezone
from time import perf_counter
from typing import Sequence

from sheet_sync.config import Config
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.mail.smtp import tls_context
from sheet_sync.replies import Incoming, MailIndex, wanted

PASSWORD_ENV = "IMAP_PASSWORD"
BATCH = 500  # message numbers per FETCH of headers
MAX_BYTES = 5_000_000  # a larger message (a big attachment) is not a reply worth reading whole
# Only the headers `replies.wanted()` reads: a real message's headers are mostly Received and DKIM lines.
HEADER_FIELDS = ("From", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Content-Type",
                 "Auto-Submitted", "X-Autoreply", "X-Autorespond", "X-Autoresponder", "Precedence")
HEADERS = f"BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})]"


@dataclass(frozen=True)
class Scan:
    mails: tuple[Incoming, ...]  # whole messages, in folder order
    searched: int  # messages since the day, over every folder
    headers: int  # messages whose headers were fetched
    bodies: int  # messages fetched whole
    seconds: float
    fetches: tuple[str, ...] = ()  # what each FETCH asked for, in order (bench/ shows headers come first)
    header_bytes: int = 0  # bytes of headers received
    body_bytes: int = 0  # bytes of whole messages received


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise SheetSyncError(f"mail.imap is set but {PASSWORD_ENV} is empty; put the mailbox's password (for Gmail, "
                             "an app password) in that environment variable.", kind=ErrorKind.CREDENTIALS,
                             fix=f"set {PASSWORD_ENV}")
    return password


def _where(config: Config) -> str:
    return f"{config.mail.imap.host}:{config.mail.imap.port}"


def connect(config: Config):
    """A logged-in IMAPClient, or SheetSyncError saying why not (the password never in it)."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    imap = config.mail.imap
    password = _password()
    where = _where(config)
    try:
        ctx = tls_context()
        client = IMAPClient(imap.host, port=imap.port, ssl=imap.security == "ssl", ssl_context=ctx,
                            timeout=imap.timeout)
        if imap.security == "starttls":
            client.starttls(ctx)
        client.login(imap.user, password)
    except LoginError:
        raise SheetSyncError(f"{where} refused the login of {imap.user}: check mail.imap.user and {PASSWORD_ENV} (for "
                             "Gmail, an app password).", kind=ErrorKind.MAIL_LOGIN,
                             fix=f"check mail.imap.user and {PASSWORD_ENV}") from None
    except ssl.SSLCertVerificationError as exc:
        raise SheetSyncError(f"{where} presented a certificate that cannot be trusted ({exc.verify_message}); check "
                             "mail.imap.host, or set SSL_CERT_FILE to your company's CA file.",
                             kind=ErrorKind.MAIL_CERTIFICATE, fix="check mail.imap.host") from None
    except (OSError, IMAPClientError, socket.timeout) as exc:
        detail = (str(exc) or type(exc).__name__).replace(password, "***").rstrip(".")
        raise SheetSyncError(f"Cannot read the mailbox at {where}: {detail}.", kind=ErrorKind.MAIL_SERVER,
                             fix="check mail.imap.host, port and security (993 with ssl, 143 with starttls)") from None
    return client


def scan(config: Config, since: date, index: MailIndex) -> Scan:
    """The messages since `since` in each of `mail.imap.folders` that may be replies or bounces, whole."""
    from imapclient.exceptions import IMAPClientError

    start = perf_counter()
    client = connect(config)
    mails: list[Incoming] = []
    searched = headers = bodies = header_bytes = body_bytes = 0
    fetches: list[str] = []
    try:
        for folder in config.mail.imap.folders:
            try:
                client.select_folder(folder, readonly=True)
            except IMAPClientError:
                raise SheetSyncError(f"The mailbox at {_where(config)} has no folder {folder!r}; fix mail.imap.folders.",
                                     kind=ErrorKind.CONFIG, fix="fix mail.imap.folders") from None
            ids = client.search(["SINCE", since])
            searched += len(ids)
            keep: list[int] = []
            dates: dict[int, datetime | None] = {}
            for i in range(0, len(ids), BATCH):
                batch = ids[i:i + BATCH]
                fetches.append(f"BODY.PEEK[HEADER.FIELDS (...)] x{len(batch)}")
                for uid, data in client.fetch(batch, [HEADERS, "INTERNALDATE", "RFC822.SIZE"]).items():
                    headers += 1
                    head = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
                    header_bytes += len(head)
                    if data.get(b"RFC822.SIZE", 0) <= MAX_BYTES and wanted(head, index):
                        keep.append(uid)
                        dates[uid] = _aware(data.get(b"INTERNALDATE"))
            for i in range(0, len(keep), BATCH):
                batch = sorted(keep[i:i + BATCH])
                fetches.append(f"BODY.PEEK[] x{len(batch)}")
                for uid, data in sorted(client.fetch(batch, ["BODY.PEEK[]"]).items()):
                    bodies += 1
                    whole = data.get(b"BODY[]", b"") or b""
                    body_bytes += len(whole)
                    mails.append(Incoming(folder, uid, whole, dates.get(uid)))
    except (OSError, IMAPClientError) as exc:
        raise SheetSyncError(f"Reading the mailbox at {_where(config)} failed: {exc}.", kind=ErrorKind.MAIL_SERVER,
                             fix="run again; check the connection to the mail server") from None
    finally:
        try:
            client.logout()
        except Exception:  # the connection may be gone already; nothing was changed
            pass
    return Scan(tuple(mails), searched, headers, bodies, round(perf_counter() - start, 4), tuple(fetches),
                header_bytes, body_bytes)


def _aware(value) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def check_login(config: Config) -> str:
    """Log in, look at the folders, log out (for `doctor`); raises SheetSyncError with the reason."""
    client = connect(config)
    try:
        missing = [f for f in config.mail.imap.folders if not client.folder_exists(f)]
    finally:
        try:
            client.logout()
        except Exception:
            pass
    if missing:
        raise SheetSyncError(f"The mailbox at {_where(config)} has no folder {missing[0]!r}; fix mail.imap.folders.",
                             kind=ErrorKind.CONFIG, fix="fix mail.imap.folders")
    return _where(config)


__all__: Sequence[str] = ("Scan", "scan", "check_login", "connect", "PASSWORD_ENV")

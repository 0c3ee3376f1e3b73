"""Replies and bounces, told apart from the mail read in the owner's mailbox. Pure.

    mail_index(book, config)            -> MailIndex   our Message-IDs, the clients' addresses and invoices
    since(book)                         -> date | None the oldest open reminder's day: the scan starts there
    wanted(headers, index)              -> bool        from the headers alone: is the body worth fetching?
    classify(mails, index, config)      -> [Reply | Bounce]
    log_entries(found, book)            -> [LogEntry]  Reminder Log rows `reply`/`received`, `bounce`/`bounced`,
                                                       only those the log does not hold yet (by incoming Message ID)
    latest_replies(log)                 -> {invoice: LogEntry}   for the policy's pause
    apply_bounces(book, config)         -> Book        a permanent bounce in the log: that address is a Problem

A reply is a message whose In-Reply-To/References name one of our Message-IDs (it pauses the invoices that
message was about, and any other open invoice of that client it names), or a message from a client's address
(or, with `mail.imap.match_domain`, anyone at the client's own domain) that names an open invoice of theirs.
Auto-replies (Auto-Submitted other than `no`, X-Autoreply, Precedence auto_reply/bulk/junk/list, an
out-of-office subject in English, Korean or Chinese) are not replies. A bounce is a delivery status
notification (multipart/report; report-type=delivery-status) or a Mailer-Daemon/postmaster message that quotes
one of our Message-IDs; a 5.x.x status is permanent, 4.x.x (or `Action: delayed`) temporary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from sheet_sync.cells import one_line
from sheet_sync.config import Config
from sheet_sync.model import CLIENTS, Book, CellRef, LogEntry, Problem, SendState

if TYPE_CHECKING:  # the email package loads only when there is mail to read: every sync imports this module
    from email.message import EmailMessage, Message  # (for the policy's pause), and email.policy alone is 14 ms

class _Lazy:
    """A regular expression compiled on first use: every sync imports this module, few read mail (the
    patterns below took 12 ms to compile at import)."""

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._re: re.Pattern | None = None

    def __getattr__(self, name: str):
        if self._re is None:
            self._re = re.compile(*self._args)
        return getattr(self._re, name)


REPLY, BOUNCE = "reply", "bounce"  # the Reminder Log's stages for what the mailbox showed
TRANSPORT = "imap"
FIRST_LINE_LIMIT = 200
# Public mail providers: with match_domain, a client at one of these is matched by address only.
PUBLIC_DOMAINS = frozenset((
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "icloud.com",
    "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "naver.com", "daum.net", "hanmail.net",
    "kakao.com", "nate.com", "qq.com", "163.com", "126.com", "sina.com", "sohu.com", "foxmail.com", "yeah.net",
))
# Out-of-office subjects, kept narrow: a real reply taken for an auto-reply would let the final notice go out.
_OUT_OF_OFFICE = _Lazy(
    r"out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|away from (the )?office"
    r"|vacation reply|abwesenheitsnotiz"
    r"|부재\s*중|자동\s*회신|자동\s*응답"
    r"|自动回复|自動回覆|自動回復|自动答复|不在办公室",
    re.IGNORECASE)
_BOUNCE_SENDER = _Lazy(r"^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.IGNORECASE)
_STATUS = _Lazy(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_MESSAGE_ID = _Lazy(r"<([^<>\s]+@[^<>\s]+)>")
# Where the quoted text of a reply starts, in the mail programs' words (en, ko, zh).
_QUOTE_START = _Lazy(
    r"^(>|-{2,}\s*(original message|forwarded message|원본 메시지|原始邮件|原始郵件)"
    r"|_{5,}|on .{4,200} wrote:?$|.{0,80}\bwrote:$|from:\s|sent:\s|보낸\s*사람\s*:|발신\s*:|보낸 날짜\s*:"
    r"|.{0,80}작성:$|在.{2,120}写道[:：]?$|在.{2,120}寫道[:：]?$|发件人[:：]|寄件者[:：]|-+\s*原始)",
    re.IGNORECASE)
_GREETING = _Lazy(r"^(hi|hello|dear|hey|good (morning|afternoon|evening))\b.{0,40}[,!]?$|^.{0,30}[,，]$"
                       r"|^(안녕하세요|안녕하십니까)[.!,]?.{0,20}$|^(您好|你好)[,，!！。]?.{0,20}$", re.IGNORECASE)
# Charsets as mail programs label them, read with the codec that is a superset of each.
_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030", "euc-kr": "cp949",
             "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "x-windows-949": "cp949", "big5": "big5hkscs"}


@dataclass(frozen=True)
class Incoming:
    """One message as the mailbox edge read it: its bytes (the headers only, or the whole message)."""

    folder: str
    uid: int
    raw: bytes
    received: datetime | None = None  # the server's INTERNALDATE


@dataclass(frozen=True)
class Ours:
    """One of our messages, as the Reminder Log remembers it."""

    client_id: str
    invoices: tuple[str, ...]
    to: tuple[str, ...]


@dataclass(frozen=True)
class MailIndex:
    ours: Mapping[str, Ours]  # our Message-ID (without <>) -> what it was about
    by_address: Mapping[str, str]  # a client's address (lower case) -> client ID
    by_domain: Mapping[str, str]  # a client's own domain -> client ID (with match_domain; unique domains only)
    open_invoices: Mapping[str, tuple[str, ...]]  # client ID -> their open invoice numbers
    own: frozenset[str]  # the owner's addresses: their own mail is never a reply


@dataclass(frozen=True)
class Reply:
    message_id: str  # the reply's own Message-ID
    client_id: str
    invoices: tuple[str, ...]
    at: datetime
    sender: str
    subject: str
    first_line: str
    how: str  # "thread" or "invoice number"


@dataclass(frozen=True)
class Bounce:
    message_id: str  # the notification's own Message-ID
    client_id: str
    invoices: tuple[str, ...]
    at: datetime
    recipients: tuple[str, ...]  # the addresses that failed
    status: str  # e.g. "5.1.1"; "" when the notice gives none
    permanent: bool
    reason: str
    subject: str
    original: str  # our Message-ID it is about


def norm_id(value: str) -> str:
    return value.strip().strip("<>").strip()


def _open(inv) -> bool:
    return (inv.status not in ("Draft", "Paid", "Void", "Written Off") and inv.amount is not None
            and inv.amount - inv.amount_paid > 0)


def mail_index(book: Book, config: Config) -> MailIndex:
    ours: dict[str, tuple[str, list[str], tuple[str, ...]]] = {}
    for e in book.log:
        if e.message_id and e.stage not in (REPLY, BOUNCE) and e.transport != TRANSPORT:
            key = norm_id(e.message_id)
            cid, invoices, to = ours.setdefault(key, (e.client_id, [], _addresses(e.to)))
            if e.invoice_no and e.invoice_no not in invoices:
                invoices.append(e.invoice_no)
    by_address: dict[str, str] = {}
    domains: dict[str, set[str]] = {}
    for c in book.clients.values():
        for address in (*c.emails, *c.cc):
            by_address.setdefault(address.lower(), c.client_id)
            domain = address.rpartition("@")[2].lower()
            if domain and domain not in PUBLIC_DOMAINS:
                domains.setdefault(domain, set()).add(c.client_id)
    by_domain = {d: next(iter(ids)) for d, ids in domains.items() if len(ids) == 1} if config.mail.imap.match_domain else {}
    open_invoices: dict[str, list[str]] = {}
    for inv in book.invoices:
        if _open(inv):
            open_invoices.setdefault(inv.client_id, []).append(inv.invoice_no)
    own = {a.lower() for a in (config.mail.from_, config.mail.imap.user, config.business.email, config.mail.reply_to) if a}
    return MailIndex({k: Ours(cid, tuple(inv), to) for k, (cid, inv, to) in ours.items()}, by_address, by_domain,
                     {k: tuple(v) for k, v in open_invoices.items()}, frozenset(own))


def since(book: Book, tz=timezone.utc) -> date | None:
    """The day of the oldest reminder still about an open invoice (None: nothing to listen for)."""
    open_nos = {inv.invoice_no for inv in book.invoices if _open(inv)}
    days = [e.logged_at.astimezone(tz).date() for e in book.log
            if e.message_id and e.invoice_no in open_nos and e.stage not in (REPLY, BOUNCE)
            and e.state in (SendState.SENT, SendState.PENDING, SendState.UNCONFIRMED)]
    return min(days, default=None)


# ---- reading one message ---------------------------------------------------------------------------

def _addresses(text: str) -> tuple[str, ...]:
    from email.utils import getaddresses

    return tuple(a.lower() for _, a in getaddresses([text.replace(";", ",")]) if "@" in a)


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        if value is not None and "=?" in str(value):  # an encoded word, in a header parsed the fast way
            from email.header import decode_header, make_header

            value = str(make_header(decode_header(str(value))))
    except Exception:  # a malformed header: the stdlib's parser raises on access
        value = None
    return one_line(str(value)) if value is not None else ""


_ONE_ADDRESS = _Lazy(r"(?:[^<>\",]*<)?\s*([^<>\s\",@]+@[^<>\s\",@]+?)\s*>?\s*(?:\([^()]*\))?")


def _sender(msg: Message) -> str:
    text = _header(msg, "From")
    quick = _ONE_ADDRESS.fullmatch(text)  # `Name <a@b>`, `a@b`, `a@b (Name)`: most of them, at once
    if quick:
        return quick.group(1).lower()
    found = _addresses(text)  # the rest (quoted names with commas, groups) the careful way
    return found[0] if found else ""


def _referenced(msg: Message) -> list[str]:
    text = _header(msg, "In-Reply-To") + " " + _header(msg, "References")
    return [m for m in _MESSAGE_ID.findall(text)]


def is_auto_reply(msg: Message) -> bool:
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return True
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond") or _header(msg, "X-Autoresponder"):
        return True
    if _header(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk", "list"):
        return True
    return bool(_OUT_OF_OFFICE.search(_header(msg, "Subject")))


def _is_report(msg: Message) -> bool:
    return msg.get_content_type() == "multipart/report" and \
        str(msg.get_param("report-type", "")).lower() == "delivery-status"


def _looks_like_bounce(msg: Message, sender: str | None = None) -> bool:
    return _is_report(msg) or bool(_BOUNCE_SENDER.match(_sender(msg) if sender is None else sender))


def _parse_headers(raw: bytes) -> Message:
    """The headers the quick way (compat32: no header objects; encoded words decoded only where read): the
    scan looks at thousands of them: 5,000 took 3.5 s with policy.default, 0.27 s so (measured, bench/)."""
    from email import policy
    from email.parser import BytesHeaderParser

    return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)


def _parse(raw: bytes) -> EmailMessage:
    from email import message_from_bytes, policy

    return message_from_bytes(raw, policy=policy.default)


def wanted(headers: bytes, index: MailIndex) -> bool:
    """Is this message (its headers only) worth fetching whole: maybe a reply, maybe a bounce?"""
    try:
        msg = _parse_headers(headers)
    except Exception:  # noqa: BLE001 - unreadable headers: fetch it whole and let classify() judge it
        return True
    sender = _sender(msg)
    if _looks_like_bounce(msg, sender):
        return True
    if sender in index.own or is_auto_reply(msg):
        return False
    if any(m in index.ours for m in _referenced(msg)):
        return True
    return _client_of(sender, index) != ""


def _client_of(sender: str, index: MailIndex) -> str:
    if not sender:
        return ""
    return index.by_address.get(sender) or index.by_domain.get(sender.rpartition("@")[2], "")


def _when(msg: Message, received: datetime | None) -> datetime:
    from email.utils import parsedate_to_datetime

    try:
        at = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        at = None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at or received or datetime(1970, 1, 1, tzinfo=timezone.utc)


def _own_id(msg: Message, raw: bytes) -> str:
    found = _MESSAGE_ID.findall(_header(msg, "Message-ID"))
    if found:
        return found[0]
    # no Message-ID: one made from the headers, the same on every run, so the log keeps it once
    import hashlib

    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return f"{hashlib.sha256(head).hexdigest()[:24]}@no-message-id.sheet-sync"


# ---- text --------------------------------------------------------------------------------------

def _html_text(html: str) -> str:
    """An HTML body as text: block elements on lines of their own, styles, scripts and quotes left out."""
    from html.parser import HTMLParser

    skipped = ("style", "script", "head", "blockquote")

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in skipped:
                self.skip += 1
            if tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
                self.parts.append("\n")

        def handle_endtag(self, tag):
            if tag in skipped and self.skip:
                self.skip -= 1
            if tag in ("p", "div", "tr", "li"):
                self.parts.append("\n")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return "".join(parser.parts)


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = str(part.get_content_charset() or "utf-8").lower()
    codec = _CHARSETS.get(charset, charset)
    for name in (codec, "utf-8", "gb18030", "cp949"):
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def body_text(msg: Message) -> str:
    """The message's own words: its first text/plain part that is not an attachment, else its HTML as text."""
    plain = html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind in ("message/rfc822", "text/rfc822-headers", "message/delivery-status"):
            break
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    if plain is not None:
        return plain
    if html is not None:
        return _html_text(html)
    return ""


def own_words(text: str) -> list[str]:
    """The reply's lines before the quoted text, blank lines left out."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.strip().replace("\u00a0", " ")
        if not line:
            continue
        if _QUOTE_START.match(line):
            break
        lines.append(line)
    return lines


def first_line(text: str) -> str:
    """The first line of the reply's own words, a greeting skipped; one line, at most 200 characters."""
    lines = own_words(text)
    if len(lines) > 1 and _GREETING.match(lines[0]):
        lines = lines[1:]
    line = one_line(lines[0]) if lines else ""
    return line if len(line) <= FIRST_LINE_LIMIT else line[:FIRST_LINE_LIMIT - 1] + "…"


def _named(text: str, numbers: Iterable[str]) -> tuple[str, ...]:
    return tuple(no for no in numbers
                 if re.search(r"(?<![0-9A-Za-z])" + re.escape(no) + r"(?![0-9A-Za-z])", text, re.IGNORECASE))


# ---- classification ----------------------------------------------------------------------------

def classify(mails: Sequence[Incoming], index: MailIndex, config: Config) -> list[Reply | Bounce]:
    """The replies and bounces among `mails` (whole messages), in the order read."""
    found: list[Reply | Bounce] = []
    for mail in mails:
        try:
            msg = _parse(mail.raw)
            item = _bounce(msg, mail, index) if _looks_like_bounce(msg) else _reply(msg, mail, index)
        except Exception:  # noqa: BLE001 - the stdlib's parser on a broken message: that one mail is left out,
            continue  # never the run (a spammer's malformed mail must not stop the reminders)
        if item is not None:
            found.append(item)
    return found


def _reply(msg: EmailMessage, mail: Incoming, index: MailIndex) -> Reply | None:
    sender = _sender(msg)
    if not sender or sender in index.own or is_auto_reply(msg):
        return None
    subject = _header(msg, "Subject")
    words = own_words(body_text(msg))
    threads = [index.ours[m] for m in _referenced(msg) if m in index.ours]
    if threads:
        cid = threads[-1].client_id
        invoices = list(dict.fromkeys(no for t in threads if t.client_id == cid for no in t.invoices))
        how = "thread"
    else:
        cid = _client_of(sender, index)
        if not cid:
            return None
        invoices, how = [], "invoice number"
    invoices += [no for no in _named(subject + "\n" + "\n".join(words), index.open_invoices.get(cid, ()))
                 if no not in invoices]
    if not invoices:
        return None
    return Reply(_own_id(msg, mail.raw), cid, tuple(invoices), _when(msg, mail.received), sender, subject,
                 first_line("\n".join(words)), how)


def _all_text(msg: EmailMessage, raw: bytes) -> str:
    """Everything a notice says, its parts decoded (base64 included), to find the Message-ID it quotes."""
    texts = [raw.decode("utf-8", errors="replace")]
    for part in msg.walk():
        if not part.is_multipart() and isinstance(part.get_payload(), str):
            texts.append(_decoded(part))
    return "\n".join(texts)


def _report_fields(msg: EmailMessage) -> list[dict[str, str]]:
    """The per-recipient fields of a delivery-status part: Final-Recipient, Action, Status, Diagnostic-Code."""
    out = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        if not blocks:  # some parsers leave it as text
            text = _decoded(part)
            blocks = [_parse_headers(b.encode()) for b in re.split(r"\r?\n\r?\n", text) if b.strip()]
        for block in blocks:
            fields = {k.lower(): one_line(str(v)) for k, v in block.items()}
            if "final-recipient" in fields or "status" in fields:
                out.append(fields)
    return out


def _bounce(msg: EmailMessage, mail: Incoming, index: MailIndex) -> Bounce | None:
    cited = [m for m in _referenced(msg) + _MESSAGE_ID.findall(_all_text(msg, mail.raw)) if m in index.ours]
    if not cited:
        return None  # a bounce of some other mail of the owner's
    original = cited[0]
    ours = index.ours[original]
    fields = [f for f in _report_fields(msg) if f.get("action", "failed").lower() in ("failed", "delayed")]
    recipients = tuple(dict.fromkeys(
        a for f in fields for a in _addresses(f.get("final-recipient", "").partition(";")[2] or
                                              f.get("final-recipient", ""))))
    statuses = [f.get("status", "") for f in fields]
    reasons = [f.get("diagnostic-code", "").partition(";")[2].strip() or f.get("diagnostic-code", "") for f in fields]
    if not statuses:  # a plain-text notice: the first status code it gives
        codes = _STATUS.findall(body_text(msg))
        statuses = [".".join(codes[0])] if codes else []
    status = next((s for s in statuses if s.startswith("5")), statuses[0] if statuses else "")
    delayed = any(f.get("action", "").lower() == "delayed" for f in fields)
    permanent = not delayed and not status.startswith(("4", "2"))
    reason = next((r for r in reasons if r), "") or first_line(body_text(msg))
    return Bounce(_own_id(msg, mail.raw), ours.client_id, ours.invoices, _when(msg, mail.received),
                  recipients or ours.to, status, permanent, reason[:FIRST_LINE_LIMIT], _header(msg, "Subject"), original)


# ---- into the Reminder Log, and back -------------------------------------------------------------

def log_entries(found: Sequence[Reply | Bounce], book: Book) -> list[LogEntry]:
    """The Reminder Log rows for what was found, one per invoice, leaving out those the log already holds."""
    seen = {(norm_id(e.message_id), e.invoice_no) for e in book.log if e.stage in (REPLY, BOUNCE)}
    out = []
    for f in found:
        for no in f.invoices:
            key = (norm_id(f.message_id), no)
            if key in seen:
                continue
            seen.add(key)
            if isinstance(f, Reply):
                out.append(LogEntry(f.at, no, f.client_id, REPLY, f.sender, f.subject, f"<{f.message_id}>", TRANSPORT,
                                    SendState.RECEIVED, f.first_line))
            else:
                kind = "permanent" if f.permanent else "temporary"
                detail = f"{f.status or 'no status'} ({kind}): {f.reason or 'no reason given'}; our message <{f.original}>"
                out.append(LogEntry(f.at, no, f.client_id, BOUNCE, ", ".join(f.recipients), f.subject,
                                    f"<{f.message_id}>", TRANSPORT, SendState.BOUNCED, detail))
    return out


def latest_replies(log: Iterable[LogEntry]) -> dict[str, LogEntry]:
    """Invoice No -> its latest reply in the Reminder Log."""
    latest: dict[str, LogEntry] = {}
    for e in log:
        if e.stage == REPLY and e.state == SendState.RECEIVED and e.invoice_no:
            if e.invoice_no not in latest or e.logged_at > latest[e.invoice_no].logged_at:
                latest[e.invoice_no] = e
    return latest


def is_permanent(entry: LogEntry) -> bool:
    return entry.stage == BOUNCE and entry.state == SendState.BOUNCED and "(permanent)" in entry.detail


def apply_bounces(book: Book, config: Config) -> Book:
    """The Book with every address that bounced for good taken out of its client's addresses, as a Problem on
    that client's Email cell; a client left with no address makes each of their invoices a Problem (as a
    missing address does). An owner who fixes the address, or sets the bounce row's State to something other
    than `bounced`, ends it."""
    bounced: dict[str, dict[str, LogEntry]] = {}
    for e in book.log:
        if is_permanent(e):
            for address in _addresses(e.to):
                bounced.setdefault(e.client_id, {})[address] = e
    if not bounced:
        return book
    clients = dict(book.clients)
    problems = list(book.problems)
    for cid, by_address in bounced.items():
        client = clients.get(cid)
        if client is None:
            continue
        gone = [a for a in client.emails if a.lower() in by_address]
        if not gone:
            continue
        cell = client.email_cell or CellRef(config.sheet_name(CLIENTS), client.row)
        for address in gone:
            e = by_address[address.lower()]
            problems.append(Problem(cell, f"mail to {address} bounced on {e.logged_at.astimezone(config.tz).date()} "
                                          f"({e.detail.partition('; our message')[0]}): nothing more is sent to it; "
                                          "correct or replace the address."))
        left = tuple(a for a in client.emails if a not in gone)
        clients[cid] = replace(client, emails=left)
        if not left:
            why = Problem(cell, f"client '{cid}' has no address that takes mail ({', '.join(gone)} bounced).")
            clients[cid] = replace(clients[cid], email_problem=why)
            problems += [Problem(cell, why.message + " No reminder can be sent.", inv.invoice_no)
                         for inv in book.invoices if inv.client_id == cid]
    return replace(book, clients=clients, problems=tuple(problems))


def reply_note(entry: LogEntry, until: date, tz) -> str:
    """Sync Notes for a replied invoice: the date, the sender, the first line, and when reminders resume."""
    said = f": '{entry.detail}'" if entry.detail else "."
    return (f"Replied on {entry.logged_at.astimezone(tz).date().isoformat()} by {entry.to}{said} Reminders wait "
            f"until {until.isoformat()} (reminders.reply_pause_days): read the reply, then set Status or Hold Until.")


def bounce_note(entry: LogEntry, tz) -> str:
    """Sync Notes for a temporary bounce: noted, not a Problem (the mail server is still trying)."""
    reason = entry.detail.partition("; our message")[0]
    return (f"Mail to {entry.to} was delayed on {entry.logged_at.astimezone(tz).date().isoformat()} ({reason}); "
            "the mail server keeps trying, nothing to do unless it bounces for good.")

"""The TOML configuration: typed, with defaults, every key checked by name.

Each section is a frozen dataclass whose fields are its keys, declared once: the field's type says how
a value is read (text, whole number, number, true/false, amount, path, list, table, nested section), its
default is the value when the key is absent, and `setting()` adds what a type cannot say (a TOML name
that differs from the field's, a normaliser, a check). One reader walks the file by these fields and
collects every problem, so that the owner fixes them all at once.

Secrets never live here: passwords and credentials come from environment variables. In case one is
typed in anyway, a message quotes a value back only where it must be one of a known set (a time zone,
a transport, a currency, an address); otherwise it names the key and the kind of value it found.
"""
from __future__ import annotations

import difflib
import json
import re
import tomllib
import types
from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Callable, Mapping, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheet_sync.errors import SheetSyncError
from sheet_sync.late_fee import TYPES as LATE_FEE_TYPES, LateFeeRule
from sheet_sync.model import (
    AGING, AGING_SUMMARY, CLIENTS, INVOICE_SENT, INVOICES, LANGUAGES, LINE_ITEMS, PAYMENTS, RECURRING, REMINDER_LOG,
    SHEET_HEADERS, TOOL_COLUMNS,
    normalize_name,
)
from sheet_sync.model import LATE_FEE
from sheet_sync.money import quantize
from sheet_sync.model import OUTGOING

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DATE_ORDERS = ("DMY", "MDY", "YMD")
SHEETS = (CLIENTS, INVOICES, PAYMENTS, LINE_ITEMS, RECURRING, AGING, AGING_SUMMARY, REMINDER_LOG)
SHEETS += (OUTGOING,)  # the messages waiting for approval (reminders.approval)

Check = Callable[[Any], str]  # a value -> '' when it is good, else the rest of a sentence after the key


class _Bad(Exception):
    """A value that cannot be used; its text follows the key's name in the message."""


# ---- checks, used by the sections below ------------------------------------------------------


def _spoken(words: tuple[str, ...]) -> str:
    quoted = [f"'{w}'" for w in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _one_of(*choices: str) -> Check:
    return lambda value: "" if value in choices else f"must be {_spoken(choices)}, not {value!r}."


def _at_least(low: int) -> Check:
    return lambda value: "" if value >= low else f"must be {low} or more, not {value}."


def _between(low: int, high: int) -> Check:
    return lambda value: "" if low <= value <= high else f"must be from {low} to {high}, not {value}."


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # 'America' is a folder of zones: IsADirectoryError
        return f"{name!r} is not a time zone; use an IANA name like 'Asia/Seoul'."
    return ""


def _currency(code: str) -> str:
    from babel.numbers import list_currencies

    return "" if code in list_currencies() else f"{code!r} is not an ISO currency code like 'USD' or 'KRW'."


def _holiday_country(code: str) -> str:
    if not code:
        return ""
    import holidays as holidays_lib

    if code in holidays_lib.list_supported_countries():
        return ""
    return f"{code!r} is not a country code the holidays package knows (e.g. 'US', 'KR', 'CN')."


def _email_or_empty(address: str) -> str:
    if not address:
        return ""
    from sheet_sync.cells import check_email, has_control

    if has_control(address):
        return "must be one address on one line (no line breaks or control characters)."
    return check_email(address)


def _one_line(value: str) -> str:
    """For text that goes into a mail header or a one-line place: no line breaks, no control characters."""
    from sheet_sync.cells import has_control

    return "must be one line (no line breaks or control characters)." if has_control(value) else ""


def _days(days: tuple[str, ...]) -> str:
    bad = [d for d in days if d not in DAY_NAMES]
    if days and not bad:
        return ""
    return 'must list days like ["mon", "tue"]' + (f"; {bad[0]!r} is not one." if bad else ".")


def _stages_named(names: tuple[str, ...]) -> str:
    from sheet_sync.model import STAGES

    bad = [n for n in names if n not in STAGES]
    return f"must list stages from {_spoken(STAGES)}; {bad[0]!r} is not one." if bad else ""


def _buckets(buckets: tuple[int, ...]) -> str:
    if buckets and buckets[0] > 0 and all(a < b for a, b in zip(buckets, buckets[1:])):
        return ""
    return "must be increasing whole numbers of days, like [30, 60, 90]."


def setting(default: Any = None, *, factory: Callable[[], Any] | None = None, toml: str | None = None,
            norm: Callable[[Any], Any] | None = None, check: Check | None = None,
            read: Callable[..., Any] | None = None) -> Any:
    """A dataclass field that is a config key, with what its type cannot say.

    Args:
        default: the value when the key is absent (or `factory`, for a mutable one).
        toml: the key's name in the file, when it is not the field's (`from` is a Python keyword).
        norm: applied to the value read, before the check (e.g. `str.upper` for a currency).
        check: the value -> '' when good, else the rest of a sentence after the key's name.
        read: reads the raw TOML value itself, for a key of more than one form.
    """
    meta = {k: v for k, v in (("toml", toml), ("norm", norm), ("check", check), ("read", read)) if v is not None}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


NOT_A_KEY: Mapping[str, Any] = {"toml": None}  # field metadata: computed, not read from the file


# ---- reading values ------------------------------------------------------------------------


@dataclass
class _Reading:
    """One file being read: where relative paths start, the problems so far, the sections read so far."""

    base_dir: Path
    problems: list[str] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"{key} {text}")

    def path(self, text: str) -> Path:
        p = Path(text).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def _shown(value: Any) -> str:
    """A wrong value as a message shows it: numbers as written, text only as 'text' (it may be a secret)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return "a date"  # TOML's dates and times


def _wrong(kind: str, value: Any) -> _Bad:
    hint = ""
    if isinstance(value, str) and kind != "text":
        if value.strip().lower() in ("true", "false") or re.fullmatch(r"\s*-?[\d_]+(\.\d+)?\s*", value):
            hint = "; write it without quotes"
    elif kind == "text" and isinstance(value, (bool, int, float)):
        hint = "; put it in quotes"
    return _Bad(f"must be {kind}, not {_shown(value)}{hint}.")


def _scalar(kind: str, types_: tuple[type, ...], convert: Callable[[Any], Any] = lambda v: v) -> Callable[..., Any]:
    def read(value: Any, key: str, reading: _Reading) -> Any:
        if isinstance(value, bool) != (bool in types_) or not isinstance(value, types_):  # True is an int too
            raise _wrong(kind, value)
        return convert(value)

    return read


_text = _scalar("text", (str,), str.strip)
_whole = _scalar("a whole number", (int,))
_number = _scalar("a number", (int, float), float)
_bool = _scalar("true or false", (bool,))


def _amount(value: Any, key: str, reading: _Reading) -> Decimal:
    """Money or a percentage: exact, from a TOML number or text like "99.50"; never negative."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _wrong("a number", value)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise _Bad('must be a number, like 100 or "99.50".')
    if result < 0:
        raise _Bad("must not be negative.")
    return result


def _path(value: Any, key: str, reading: _Reading) -> Path:
    text = _text(value, key, reading)
    if not text:
        raise _Bad("must name a file or folder; leave the key out for the default.")
    return reading.path(_no_escapes(text))


def _optional_path(value: Any, key: str, reading: _Reading) -> Path | None:
    text = _text(value, key, reading)
    return reading.path(_no_escapes(text)) if text else None


def _no_escapes(text: str) -> str:
    """A path with a tab or a line break in it was a Windows path in double quotes ("C:\\new\\table.xlsx": \\n and \\t
    are escapes): say so rather than look for a file nobody can name."""
    if any(ch in text for ch in "\t\n\r\f\b"):
        raise _Bad("holds a tab or a line break: in double quotes a backslash starts an escape (\\n, \\t); write a "
                   "Windows path in single quotes ('C:\\Users\\you\\invoices.xlsx') or with forward slashes.")
    return text


_PLURAL = {_text: "text", _whole: "whole numbers", _number: "numbers", _bool: "true or false", _amount: "numbers"}


def _list_of(item: Callable[..., Any]) -> Callable[..., tuple]:
    def read(value: Any, key: str, reading: _Reading) -> tuple:
        if not isinstance(value, list):
            raise _wrong(f"a list of {_PLURAL[item]}", value)
        out = []
        for i, v in enumerate(value, 1):
            try:
                out.append(item(v, key, reading))
            except _Bad:
                raise _Bad(f"must be a list of {_PLURAL[item]}; item {i} is {_shown(v)}.") from None
        return tuple(out)

    return read


def _table_of(item: Callable[..., Any], name_of: Callable[[str], str] | None = None) -> Callable[..., dict]:
    """A table of `item` values; `name_of` turns each key into its canonical name, or raises _Bad.

    Each bad entry is a problem of its own, named by its full key; an empty text is as if left out.
    """

    def read(value: Any, key: str, reading: _Reading) -> dict:
        if not isinstance(value, Mapping):
            raise _wrong("a table", value)
        out: dict[str, Any] = {}
        given: dict[str, str] = {}
        for name, v in value.items():
            sub = _join(key, name)
            try:
                canonical = name_of(name) if name_of else name
                if canonical in given:
                    raise _Bad(f"names the same as {_join(key, given[canonical])}; keep one of them.")
                given[canonical] = name
                converted = item(v, sub, reading)
            except _Bad as exc:
                reading.problem(sub, str(exc))
                continue
            if converted != "":
                out[canonical] = converted
        return out

    return read


def _currency_key(name: str) -> str:
    why = _currency(name.upper())
    if why:
        raise _Bad(why)
    return name.upper()


def _instructions_key(name: str) -> str:
    if name.lower() in ("default", *LANGUAGES):
        return name.lower()
    if not _currency(name.upper()):
        return name.upper()
    raise _Bad(f"must be 'default', a language ({', '.join(LANGUAGES)}) or a currency code like 'USD'.")


def _join(prefix: str, name: str) -> str:
    """A dotted key as TOML writes it: `workbook.columns."Invoice No"`."""
    part = name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)
    return f"{prefix}.{part}" if prefix else part


def _near(name: str, choices: list[str], quote: bool = False) -> str:
    near = difflib.get_close_matches(name, choices, 1)
    if not near:
        return ""
    return f" (did you mean {json.dumps(near[0]) if quote else near[0]}?)"


def _snake(sheet: str) -> str:
    return sheet.lower().replace(" ", "_")


# ---- the sections ----------------------------------------------------------------------------


def _read_instructions(value: Any, key: str, reading: _Reading) -> Mapping[str, str]:
    """Text, or a table of texts by currency code, language or `default`."""
    if isinstance(value, Mapping):
        return _table_of(_text, _instructions_key)(value, key, reading)
    text = _text(value, key, reading)
    return {"default": text} if text else {}


@dataclass(frozen=True)
class Business:
    name: str = setting("Your Studio", check=_one_line)
    email: str = setting("", check=_email_or_empty)
    phone: str = setting("", check=_one_line)
    address: str = ""
    tax_id: str = setting("", check=_one_line)
    tax_id_label: str = setting("", check=_one_line)  # what the tax ID is, as the owner writes it: EIN, VAT, 사업자등록번호
    signature: str = ""
    logo: Path | None = None  # an image file (PNG, JPEG or SVG) shown at the top of the invoice PDF
    paper: str = setting("A4", norm=lambda v: {"a4": "A4", "letter": "Letter"}.get(v.lower(), v),
                         check=_one_of("A4", "Letter"))  # the invoice PDF's page size
    # 'default', a currency code or a language -> how to pay, for invoices without a Payment Link
    payment_instructions_by: Mapping[str, str] = setting(factory=dict, toml="payment_instructions",
                                                         read=_read_instructions)

    @property
    def payment_instructions(self) -> str:
        """The instructions for any invoice (the `default` entry when the config gives a table)."""
        return self.payment_instructions_by.get("default", "")

    def payment_instructions_for(self, currency: str, language: str) -> str:
        """The instructions for an invoice: by its currency, else the client's language, else the default."""
        by = self.payment_instructions_by
        return by.get(currency.upper(), "") or by.get(language, "") or by.get("default", "")


def _sheet_key(name: str) -> str:
    by_name = {normalize_name(s): s for s in SHEETS}
    if normalize_name(name) in by_name:
        return by_name[normalize_name(name)]
    keys = [_snake(s) for s in SHEETS]
    raise _Bad(f"is not a sheet sheet-sync knows{_near(name, keys)}; the sheets are {', '.join(keys)}.")


def _column_key(name: str) -> str:
    headers = _known_headers()
    every = [h for names in headers.values() for h in names]
    by_name = {normalize_name(h): h for h in every}
    if normalize_name(name) in by_name:
        return by_name[normalize_name(name)]
    known = "; ".join(f"{sheet}: {', '.join(names)}" for sheet, names in headers.items())
    raise _Bad(f"is not a header sheet-sync knows{_near(name, every, quote=True)}; the known headers are {known}.")


@cache
def _known_headers() -> dict[str, tuple[str, ...]]:
    """Canonical sheet -> the headers `Config.column_name()` is asked for on it."""

    return {sheet: headers + TOOL_COLUMNS + (INVOICE_SENT, LATE_FEE) if sheet == INVOICES else headers
            for sheet, headers in SHEET_HEADERS.items()}


@dataclass(frozen=True)
class WorkbookConfig:
    path: Path | None = None
    google_sheet: str = ""
    date_order: str = setting("DMY", norm=str.upper, check=_one_of(*DATE_ORDERS))
    # canonical name -> owner's name
    sheets: Mapping[str, str] = setting(factory=dict, read=_table_of(_text, _sheet_key))
    # canonical header -> owner's header
    columns: Mapping[str, str] = setting(factory=dict, read=_table_of(_text, _column_key))


@dataclass(frozen=True)
class AgingConfig:
    timezone: str = setting("UTC", check=_time_zone)
    basis: str = setting("due_date", check=_one_of("due_date", "issue_date"))
    buckets: tuple[int, ...] = setting((30, 60, 90), check=_buckets)
    default_currency: str = setting("USD", norm=str.upper, check=_currency)


@dataclass(frozen=True)
class Stage:
    name: str = field(metadata=NOT_A_KEY)  # the table's name: [reminders.stages.<name>]
    offset: int  # days relative to the due date (negative = before)
    gap: int  # business days since the previous stage
    enabled: bool = True


DEFAULT_STAGES = (
    Stage("upcoming", -3, 0),
    Stage("gentle", 2, 0),
    Stage("firm", 7, 3),
    Stage("final", 21, 3),
)


def _read_stages(value: Any, key: str, reading: _Reading) -> tuple[Stage, ...]:
    """[reminders.stages.<name>] tables, each changing the keys it names of that default stage."""
    if not isinstance(value, Mapping):
        raise _wrong("a table", value)
    defaults = {s.name: s for s in DEFAULT_STAGES}
    _unknown(value, key, tuple(defaults), reading)
    stages = []
    for default in DEFAULT_STAGES:
        try:
            stages.append(_section(Stage, value.get(default.name, {}), _join(key, default.name), reading, base=default))
        except _Bad as exc:
            reading.problem(_join(key, default.name), str(exc))
            stages.append(default)
    return tuple(stages)


def _read_write_off(value: Any, key: str, reading: _Reading) -> Mapping[str, Decimal]:
    """A table of amounts by currency, or one amount in aging.default_currency (read before [reminders])."""
    if isinstance(value, Mapping):
        return _table_of(_amount, _currency_key)(value, key, reading)
    return {reading.sections.get("aging", AgingConfig()).default_currency: _amount(value, key, reading)}


# ---- reminders.late_fee: one rule (a table) or several ([[reminders.late_fee]]) ----------------


def _read_fee_amount(value: Any, key: str, reading: _Reading) -> Mapping[str, Decimal]:
    """A fixed fee's amount: one number (in aging.default_currency) or a table by currency; a percent: one number
    (kept under the key ''). Which one the rule needs is checked once its `type` is known."""
    if isinstance(value, Mapping):
        return _table_of(_amount, _currency_key)(value, key, reading)
    return {"": _amount(value, key, reading)}


def _late_fee_rule(table: Any, key: str, reading: _Reading) -> LateFeeRule | None:
    before = len(reading.problems)
    try:
        keys = _section(_LateFeeKeys, table, key, reading)
    except _Bad as exc:
        reading.problem(key, str(exc))
        return None
    if len(reading.problems) > before:
        return None
    rule = LateFeeRule(keys.type, keys.amount, keys.after_days, keys.once)
    kinds = _spoken(LATE_FEE_TYPES)
    if not rule.type:
        reading.problem(_join(key, "type"), f"is needed: {kinds}.")
        return None
    if rule.amount is None:
        reading.problem(_join(key, "amount"), "is needed: the fee (fixed) or the percent (percent, annual_rate).")
        return None
    if rule.type == "fixed":
        amounts = dict(rule.amount)
        if "" in amounts:  # one number: in the default currency, as reminders.write_off_below
            amounts = {reading.sections.get("aging", AgingConfig()).default_currency: amounts[""]}
        for code, amount in amounts.items():
            where = _join(_join(key, "amount"), code) if "" not in rule.amount else _join(key, "amount")
            if amount <= 0:
                reading.problem(where, "must be more than 0; leave reminders.late_fee out to charge no fee.")
            elif quantize(amount, code) != amount:
                reading.problem(where, f"has more decimals than {code} has (write it like "
                                       f"{quantize(amount, code)}).")
        if not amounts:
            reading.problem(_join(key, "amount"), "must give the fee in at least one currency, like { USD = 40 }.")
        rule = replace(rule, amount=amounts)
    else:
        what = "a percent a year, like 8" if rule.type == "annual_rate" else "a percent, like 5"
        if "" not in rule.amount:
            reading.problem(_join(key, "amount"), f"must be one number for type '{rule.type}': {what}.")
        elif not 0 < rule.amount[""] <= 100:
            reading.problem(_join(key, "amount"), f"must be more than 0 and at most 100: {what}.")
    if not rule.once and rule.type == "annual_rate":
        reading.problem(_join(key, "once"), "applies to 'fixed' and 'percent' only: interest ('annual_rate') grows "
                                            "day by day; leave once out.")
    elif not rule.once and rule.after_days < 1:
        reading.problem(_join(key, "after_days"), "must be 1 or more with once = false: the fee is charged again "
                                                  "every after_days days.")
    return rule if len(reading.problems) == before else None


def _read_late_fee(value: Any, key: str, reading: _Reading) -> tuple[LateFeeRule, ...]:
    """`late_fee = { type = ..., amount = ..., after_days = ..., once = true }`, or a list of such tables."""
    if isinstance(value, Mapping):
        rule = _late_fee_rule(value, key, reading)
        return (rule,) if rule else ()
    if not isinstance(value, list):
        raise _wrong("a table like { type = \"fixed\", amount = 40, after_days = 30 }", value)
    rules = []
    for i, item in enumerate(value, 1):
        rule = _late_fee_rule(item, f"{key}[{i}]", reading)
        if rule:
            rules.append(rule)
    return tuple(rules)


@dataclass(frozen=True)
class _LateFeeKeys:
    """The keys of one late-fee rule, as the reader checks them (then made a `late_fee.LateFeeRule`)."""

    type: str = setting("", norm=str.lower, check=_one_of(*LATE_FEE_TYPES))
    amount: Mapping[str, Decimal] | None = setting(None, read=_read_fee_amount)
    after_days: int = setting(0, check=_at_least(0))
    once: bool = True


@dataclass(frozen=True)
class RemindersConfig:
    default_language: str = setting("en", check=_one_of(*LANGUAGES))
    send_days: tuple[str, ...] = setting(DAY_NAMES[:5], norm=lambda days: tuple(d.lower()[:3] for d in days),
                                         check=_days)
    holidays: str = setting("", norm=str.upper, check=_holiday_country)
    templates_dir: Path | None = None
    stages: tuple[Stage, ...] = setting(DEFAULT_STAGES, read=_read_stages)
    needs_attention_days: int = setting(7, check=_at_least(0))
    write_off_below: Mapping[str, Decimal] = setting(factory=dict, read=_read_write_off)  # currency -> amount
    # early-payment discount offered in `upcoming` ...
    discount_percent: Decimal = setting(Decimal(0), toml="early_payment_discount_percent",
                                        check=_between(0, 100))
    # ... when paid within this many days of the issue date
    discount_days: int = setting(0, toml="early_payment_discount_days", check=_at_least(0))
    # the final notice asks to hear back by the first Friday at least this many days away
    reply_days: int = setting(3, toml="final_reply_days", check=_at_least(0))
    # a client's invoices due a stage on the same run go in one message, in the most advanced stage's tone
    one_email_per_client: bool = True
    # a short thank-you when an invoice is paid: "after_reminder" (it got a reminder), "always" or "off"
    thank_you: str = setting("after_reminder", check=_one_of("after_reminder", "always", "off"))
    # a client's reply (read from [mail.imap]) holds that invoice's reminders this many days, or until Hold Until
    reply_pause_days: int = setting(7, check=_at_least(0))
    # the stages whose message carries the invoice's PDF (in a message about several, each listed invoice whose
    # own stage is named here gets its own PDF)
    attach_invoice: tuple[str, ...] = setting(("gentle", "firm", "final"), norm=lambda v: tuple(s.lower() for s in v),
                                              check=_stages_named)
    # a late fee or interest, shown in firm and final notices and the invoice PDF (off: no rules); see late_fee.py
    late_fee: tuple[LateFeeRule, ...] = setting((), read=_read_late_fee)
    # the owner approves each message first: a run writes what it would send into the Outgoing sheet, and sends
    # the rows the owner set to `yes` on the next run (approval.py)
    approval: bool = False

    @property
    def weekmask(self) -> str:
        return "".join("1" if d in self.send_days else "0" for d in DAY_NAMES)


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = setting(587, check=_between(1, 65535))
    user: str = ""
    security: str = setting("starttls", check=_one_of("starttls", "ssl", "none"))
    timeout: int = setting(30, check=_at_least(1))


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class ImapConfig:
    """The owner's mailbox, read (never changed) for replies and bounces; off while `host` is blank."""

    host: str = setting("", check=_one_line)
    port: int = setting(993, check=_between(1, 65535))
    user: str = setting("", check=_one_line)
    security: str = setting("ssl", check=_one_of("ssl", "starttls", "none"))
    folders: tuple[str, ...] = setting(("INBOX",), check=lambda v: "" if v and all(v) else
                                       'must list one or more folder names, like ["INBOX"].')
    # a mail from any address at a client's own domain (not a public one like gmail.com) counts as theirs
    match_domain: bool = False
    timeout: int = setting(30, check=_at_least(1))

    @property
    def on(self) -> bool:
        return bool(self.host)


def _check_imap(imap: ImapConfig) -> list[str]:
    if not imap.host:
        return []
    problems = []
    if not imap.user:
        problems.append("mail.imap.user must name the mailbox's login when mail.imap.host is set.")
    if imap.security == "none" and imap.host.lower() not in LOOPBACK_HOSTS:
        problems.append("mail.imap.security = 'none' sends the password in the clear: it is only for a test server "
                        "on 127.0.0.1; use 'ssl' (port 993) or 'starttls' (port 143).")
    return problems


@dataclass(frozen=True)
class GmailConfig:
    user: str = ""
    oauth2_file: Path | None = None


@dataclass(frozen=True)
class MailConfig:
    transport: str = setting("outbox", check=_one_of("outbox", "gmail", "smtp"))
    from_: str = setting("you@example.com", toml="from", check=_email_or_empty)
    from_name: str = setting("", check=_one_line)
    reply_to: str = setting("", check=_email_or_empty)
    bcc: str = setting("", check=_email_or_empty)
    # the owner's digest after each run that sent something or needs a decision
    digest_to: str = setting("", check=_email_or_empty)
    outbox_dir: Path = Path("outbox")
    redirect_to: str = setting("", check=_email_or_empty)
    pause_seconds: float = setting(0.0, check=_at_least(0))
    daily_cap: int = setting(500, check=_at_least(0))
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    gmail: GmailConfig = field(default_factory=GmailConfig)
    imap: ImapConfig = field(default_factory=ImapConfig)


@dataclass(frozen=True)
class GoogleConfig:
    api_endpoint: str = ""
    # at most this many sends are `pending` at once in the sheet (0: all of them)
    send_window: int = setting(20, check=_at_least(0))


@dataclass(frozen=True)
class Config:
    business: Business = field(default_factory=Business)
    workbook: WorkbookConfig = field(default_factory=WorkbookConfig)
    aging: AgingConfig = field(default_factory=AgingConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    google: GoogleConfig = field(default_factory=GoogleConfig)
    source: Path | None = field(default=None, metadata=NOT_A_KEY)  # the file this came from

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.aging.timezone)

    def sheet_name(self, canonical: str) -> str:
        return self.workbook.sheets.get(canonical, canonical)

    def column_name(self, canonical: str) -> str:
        return self.workbook.columns.get(canonical, canonical)


def _check_workbook(workbook: WorkbookConfig) -> list[str]:
    if workbook.path and workbook.google_sheet:
        return ["set either workbook.path or workbook.google_sheet, not both."]
    return []


def _check_stages(reminders: RemindersConfig) -> list[str]:
    stages = reminders.stages
    offsets = [s.offset for s in stages]
    if offsets != sorted(offsets) or any(s.gap < 0 for s in stages):
        return ["reminders.stages offsets must increase from upcoming to final, and gaps must not be negative."]
    if stages[0].offset > 0 or any(s.offset < 1 for s in stages[1:]):
        return ["reminders.stages.upcoming.offset must be 0 or less, the other stages' offsets 1 or more."]
    return []


# Checks of several keys of one section: (the fields they read, the check), run when those keys are good.
SECTION_CHECKS: Mapping[type, tuple[tuple[str, ...], Callable[[Any], list[str]]]] = {
    WorkbookConfig: (("path", "google_sheet"), _check_workbook),
    RemindersConfig: (("stages",), _check_stages),
    ImapConfig: (("host", "user", "security"), _check_imap),
}


# ---- the reader ------------------------------------------------------------------------------


def _reader_for(kind: Any) -> Callable[..., Any]:
    """How a value of a field of this type is read."""
    simple = {str: _text, int: _whole, float: _number, bool: _bool, Decimal: _amount, Path: _path}
    if kind in simple:
        return simple[kind]
    args = get_args(kind)
    if isinstance(kind, types.UnionType) and set(args) == {Path, type(None)}:
        return _optional_path
    if get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _list_of(_reader_for(args[0]))
    if is_dataclass(kind):
        return lambda value, key, reading: _section(kind, value, key, reading)
    raise TypeError(f"no config reader for {kind}; give the field a read= function")


@cache
def _keys(cls: type) -> dict[str, tuple[Any, Callable[..., Any], bool]]:
    """TOML key -> (field, reader, whether it is a section) for a section's dataclass, in the fields' order."""
    hints = get_type_hints(cls)
    keys = {}
    for f in fields(cls):
        name = f.metadata.get("toml", f.name)
        if name is not None:
            keys[name] = (f, f.metadata.get("read") or _reader_for(hints[f.name]), is_dataclass(hints[f.name]))
    return keys


def _section(cls: type, table: Any, prefix: str, reading: _Reading, base: Any = None) -> Any:
    """One section (or the whole file, with prefix ''): each key read by its field; the rest are unknown."""
    if not isinstance(table, Mapping):
        raise _wrong("a table", table)
    values: dict[str, Any] = {}
    failed = set()
    for name, (f, read, is_section) in _keys(cls).items():
        key = _join(prefix, name)
        if name not in table and not is_section:  # an absent section is read as empty, for its default paths
            if base is None and isinstance(f.default, Path):
                values[f.name] = reading.path(str(f.default))  # a default path is from the config's folder too
            continue
        before = len(reading.problems)
        try:
            value = read(table.get(name, {}), key, reading)
            if "norm" in f.metadata:
                value = f.metadata["norm"](value)
            why = f.metadata["check"](value) if "check" in f.metadata else ""
            if why:
                raise _Bad(why)
        except _Bad as exc:
            reading.problem(key, str(exc))
        else:
            values[f.name] = value
        if len(reading.problems) > before:
            failed.add(f.name)
            continue
        if is_dataclass(value):
            reading.sections[key] = value
    _unknown(table, prefix, tuple(_keys(cls)), reading)
    section = replace(base, **values) if base is not None else cls(**values)
    involved, check = SECTION_CHECKS.get(cls, ((), None))
    if check and not failed.intersection(involved):
        reading.problems.extend(check(section))
    return section


def _unknown(table: Mapping[str, Any], prefix: str, known: tuple[str, ...], reading: _Reading) -> None:
    for name in table:
        if name not in known:
            full = _join(prefix, name)
            near = difflib.get_close_matches(name, known, 1)
            if isinstance(table[name], Mapping):
                what, hint = f"section [{full}]", f" (did you mean [{_join(prefix, near[0])}]?)" if near else ""
            else:
                what, hint = f"key {full}", f" (did you mean {_join(prefix, near[0])}?)" if near else ""
            reading.problems.append(f"unknown {what}{hint}; see config.example.toml for the keys.")


# ---- entry points ----------------------------------------------------------------------------


def parse_config(data: Mapping[str, Any], base_dir: Path, source: Path | None = None) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from `base_dir`.

    Raises:
        SheetSyncError: naming every unknown key and bad value in the file, one a line.
    """
    reading = _Reading(base_dir)
    config = _section(Config, data, "", reading)
    problems = reading.problems
    if len(problems) == 1:
        raise SheetSyncError(f"Config: {problems[0]}")
    if problems:
        where = f" in {source.name}" if source else ""
        raise SheetSyncError(f"Config: {len(problems)} problems{where}:\n" + "\n".join(f"  {p}" for p in problems))
    return replace(config, source=source)


def load_config(path: Path | str) -> Config:
    """Read and check a TOML config file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SheetSyncError(f"No config file at {path}; copy config.example.toml to {path.name} and edit it.") from None
    except OSError as exc:
        raise SheetSyncError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    try:
        text = raw.decode("utf-8-sig")  # Windows Notepad may begin the file with a byte-order mark
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SheetSyncError(f"{path.name} is not saved as UTF-8 (line {line} holds a byte UTF-8 never has); save it as "
                             "UTF-8 (Notepad: File > Save as, Encoding: UTF-8).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SheetSyncError(f"{path.name} is not valid TOML: {exc}.{_backslash_hint(text, exc)}") from None
    return parse_config(data, path.resolve().parent, path)


def _backslash_hint(text: str, exc: Exception) -> str:
    """A Windows path in double quotes (`"C:\\Users\\..."`) is TOML's most common trap: its backslashes are escapes."""
    found = re.search(r"line (\d+)", str(exc))
    lines = text.splitlines()
    line = lines[int(found.group(1)) - 1] if found and 0 < int(found.group(1)) <= len(lines) else ""
    if "\\" not in line or '"' not in line:
        return ""
    return (" In double quotes a backslash starts an escape: write a Windows path in single quotes "
            "(path = 'C:\\Users\\you\\invoices.xlsx') or with forward slashes (\"C:/Users/you/invoices.xlsx\").")


def with_workbook(config: Config, path: Path) -> Config:
    return replace(config, workbook=replace(config.workbook, path=path, google_sheet=""))

"""The TOML configuration: typed, with defaults, every key checked by name.

Secrets never live here: passwords and credentials come from environment variables.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheet_sync.errors import SheetSyncError
from sheet_sync.model import LANGUAGES

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DATE_ORDERS = ("DMY", "MDY", "YMD")


@dataclass(frozen=True)
class Business:
    name: str = "Your Studio"
    email: str = ""
    phone: str = ""
    address: str = ""
    tax_id: str = ""
    signature: str = ""
    payment_instructions: str = ""


@dataclass(frozen=True)
class WorkbookConfig:
    path: Path | None = None
    google_sheet: str = ""
    date_order: str = "DMY"
    sheets: Mapping[str, str] = field(default_factory=dict)  # canonical name -> owner's name
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical header -> owner's header


@dataclass(frozen=True)
class AgingConfig:
    timezone: str = "UTC"
    basis: str = "due_date"
    buckets: tuple[int, ...] = (30, 60, 90)
    default_currency: str = "USD"


@dataclass(frozen=True)
class Stage:
    name: str
    offset: int  # days relative to the due date (negative = before)
    gap: int  # business days since the previous stage
    enabled: bool = True


DEFAULT_STAGES = (
    Stage("upcoming", -3, 0),
    Stage("gentle", 2, 0),
    Stage("firm", 7, 3),
    Stage("final", 21, 3),
)


@dataclass(frozen=True)
class RemindersConfig:
    default_language: str = "en"
    send_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: str = ""
    templates_dir: Path | None = None
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    needs_attention_days: int = 7
    write_off_below: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> amount
    discount_percent: Decimal = Decimal(0)  # early-payment discount offered in `upcoming`
    discount_days: int = 0  # ... when paid within this many days of the issue date
    reply_days: int = 3  # the final notice asks to hear back by the first Friday at least this many days away

    @property
    def weekmask(self) -> str:
        return "".join("1" if d in self.send_days else "0" for d in DAY_NAMES)


@dataclass(frozen=True)
class SmtpConfig:
    host: str = ""
    port: int = 587
    user: str = ""
    security: str = "starttls"
    timeout: int = 30


@dataclass(frozen=True)
class GmailConfig:
    user: str = ""
    oauth2_file: Path | None = None


@dataclass(frozen=True)
class MailConfig:
    transport: str = "outbox"
    from_: str = "you@example.com"
    from_name: str = ""
    reply_to: str = ""
    bcc: str = ""
    digest_to: str = ""  # the owner's digest after each run that sent something or needs a decision
    outbox_dir: Path = Path("outbox")
    redirect_to: str = ""
    pause_seconds: float = 0.0
    daily_cap: int = 500
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    gmail: GmailConfig = field(default_factory=GmailConfig)


@dataclass(frozen=True)
class GoogleConfig:
    api_endpoint: str = ""
    send_window: int = 20  # at most this many sends are `pending` at once in the sheet (0: all of them)


@dataclass(frozen=True)
class Config:
    business: Business = field(default_factory=Business)
    workbook: WorkbookConfig = field(default_factory=WorkbookConfig)
    aging: AgingConfig = field(default_factory=AgingConfig)
    reminders: RemindersConfig = field(default_factory=RemindersConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    google: GoogleConfig = field(default_factory=GoogleConfig)
    source: Path | None = None  # the file this came from

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.aging.timezone)

    def sheet_name(self, canonical: str) -> str:
        return self.workbook.sheets.get(canonical, canonical)

    def column_name(self, canonical: str) -> str:
        return self.workbook.columns.get(canonical, canonical)


# ---- parsing -------------------------------------------------------------------------------

SHEET_KEYS = {
    "clients": "Clients",
    "invoices": "Invoices",
    "payments": "Payments",
    "line_items": "Line Items",
    "aging": "Aging",
    "aging_summary": "Aging Summary",
    "reminder_log": "Reminder Log",
}


class _Reader:
    """Takes values out of one TOML table, checking types; what is left over is an unknown key."""

    def __init__(self, table: Mapping[str, Any], prefix: str):
        if not isinstance(table, Mapping):
            raise SheetSyncError(f"Config: [{prefix}] must be a table.")
        self.table = dict(table)
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    def take(self, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if name not in self.table:
            return default
        value = self.table.pop(name)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool:
            raise SheetSyncError(f"Config: {self.key(name)} must be {_kind_name(kind)}, not {value!r}.")
        if not isinstance(value, kind):
            raise SheetSyncError(f"Config: {self.key(name)} must be {_kind_name(kind)}, not {value!r}.")
        return value

    def sub(self, name: str) -> "_Reader":
        return _Reader(self.table.pop(name, {}), self.key(name))

    def done(self) -> None:
        if self.table:
            unknown = ", ".join(self.key(k) for k in sorted(self.table))
            raise SheetSyncError(f"Config: unknown key {unknown}; see config.example.toml for the keys.")


def _kind_name(kind: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _decimal(value: Any, key: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise SheetSyncError(f"Config: {key} must be a number, not {value!r}.") from None
    if result < 0:
        raise SheetSyncError(f"Config: {key} must not be negative.")
    return result


def parse_config(data: Mapping[str, Any], base_dir: Path, source: Path | None = None) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from `base_dir`."""
    root = _Reader(data, "config")
    root.prefix = ""

    def path(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else base_dir / p

    r = _Reader(data.get("business", {}), "business")
    root.table.pop("business", None)
    business = Business(**{f.name: r.take(f.name, str, f.default) for f in fields(Business)})
    r.done()

    r = _Reader(data.get("workbook", {}), "workbook")
    root.table.pop("workbook", None)
    wb_path = r.take("path", str, "")
    google_sheet = r.take("google_sheet", str, "").strip()
    date_order = r.take("date_order", str, "DMY").upper()
    if date_order not in DATE_ORDERS:
        raise SheetSyncError(f"Config: workbook.date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}.")
    sheets_r = r.sub("sheets")
    sheets = {}
    for key, canonical in SHEET_KEYS.items():
        value = sheets_r.take(key, str, "")
        if value.strip():
            sheets[canonical] = value.strip()
    sheets_r.done()
    columns_r = r.sub("columns")
    columns = {}
    for key in list(columns_r.table):
        value = columns_r.take(key, str, "")
        if value.strip():
            columns[key] = value.strip()
    r.done()
    if wb_path and google_sheet:
        raise SheetSyncError("Config: set either workbook.path or workbook.google_sheet, not both.")
    workbook = WorkbookConfig(
        path=path(wb_path) if wb_path else None,
        google_sheet=google_sheet,
        date_order=date_order,
        sheets=sheets,
        columns=columns,
    )

    r = _Reader(data.get("aging", {}), "aging")
    root.table.pop("aging", None)
    tz = r.take("timezone", str, "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SheetSyncError(f"Config: aging.timezone {tz!r} is not a time zone; use an IANA name like 'Asia/Seoul'.") from None
    basis = r.take("basis", str, "due_date")
    if basis not in ("due_date", "issue_date"):
        raise SheetSyncError(f"Config: aging.basis must be 'due_date' or 'issue_date', not {basis!r}.")
    buckets = r.take("buckets", list, [30, 60, 90])
    if not buckets or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in buckets) or sorted(set(buckets)) != buckets:
        raise SheetSyncError("Config: aging.buckets must be increasing whole numbers of days, like [30, 60, 90].")
    currency = r.take("default_currency", str, "USD").strip().upper()
    _check_currency(currency, "aging.default_currency")
    r.done()
    aging = AgingConfig(timezone=tz, basis=basis, buckets=tuple(buckets), default_currency=currency)

    r = _Reader(data.get("reminders", {}), "reminders")
    root.table.pop("reminders", None)
    lang = r.take("default_language", str, "en")
    if lang not in LANGUAGES:
        raise SheetSyncError(f"Config: reminders.default_language must be one of {', '.join(LANGUAGES)}, not {lang!r}.")
    send_days = tuple(d.lower()[:3] for d in r.take("send_days", list, list(DAY_NAMES[:5])))
    if not send_days or any(d not in DAY_NAMES for d in send_days):
        raise SheetSyncError("Config: reminders.send_days must list days like [\"mon\", \"tue\"].")
    hol = r.take("holidays", str, "").strip().upper()
    if hol:
        import holidays as holidays_lib

        if hol not in holidays_lib.list_supported_countries():
            raise SheetSyncError(f"Config: reminders.holidays {hol!r} is not a country code the holidays package knows (e.g. 'US', 'KR', 'CN').")
    tdir = r.take("templates_dir", str, "")
    stages_r = r.sub("stages")
    stages = []
    for default in DEFAULT_STAGES:
        s = stages_r.sub(default.name)
        stages.append(Stage(
            default.name,
            s.take("offset", int, default.offset),
            s.take("gap", int, default.gap),
            s.take("enabled", bool, default.enabled),
        ))
        s.done()
    stages_r.done()
    offsets = [s.offset for s in stages]
    if offsets != sorted(offsets) or any(s.gap < 0 for s in stages):
        raise SheetSyncError("Config: reminders.stages offsets must increase from upcoming to final, and gaps must not be negative.")
    if stages[0].offset > 0 or any(s.offset < 1 for s in stages[1:]):
        raise SheetSyncError("Config: reminders.stages.upcoming.offset must be 0 or less, the other stages' offsets 1 or more.")
    needs_attention = r.take("needs_attention_days", int, 7)
    wob = r.take("write_off_below", (dict, int, float, str), {})
    if isinstance(wob, dict):
        write_off = {}
        for cur, amount in wob.items():
            _check_currency(cur.upper(), f"reminders.write_off_below.{cur}")
            write_off[cur.upper()] = _decimal(amount, f"reminders.write_off_below.{cur}")
    else:
        write_off = {currency: _decimal(wob, "reminders.write_off_below")}
    discount_percent = _decimal(r.take("early_payment_discount_percent", (int, float, str), 0), "reminders.early_payment_discount_percent")
    discount_days = r.take("early_payment_discount_days", int, 0)
    reply_days = r.take("final_reply_days", int, 3)
    r.done()
    reminders = RemindersConfig(
        default_language=lang,
        send_days=send_days,
        holidays=hol,
        templates_dir=path(tdir) if tdir else None,
        stages=tuple(stages),
        needs_attention_days=needs_attention,
        write_off_below=write_off,
        discount_percent=discount_percent,
        discount_days=discount_days,
        reply_days=reply_days,
    )

    r = _Reader(data.get("mail", {}), "mail")
    root.table.pop("mail", None)
    transport = r.take("transport", str, "outbox")
    if transport not in ("outbox", "gmail", "smtp"):
        raise SheetSyncError(f"Config: mail.transport must be 'outbox', 'gmail' or 'smtp', not {transport!r}.")
    mail_from = r.take("from", str, "you@example.com")
    from_name = r.take("from_name", str, "")
    reply_to = r.take("reply_to", str, "")
    bcc = r.take("bcc", str, "")
    digest_to = r.take("digest_to", str, "").strip()
    if digest_to:
        from sheet_sync.cells import check_email

        why = check_email(digest_to)
        if why:
            raise SheetSyncError(f"Config: mail.digest_to: {why}")
    outbox_dir = path(r.take("outbox_dir", str, "outbox"))
    redirect = r.take("redirect_to", str, "").strip()
    pause = r.take("pause_seconds", float, 0.0)
    cap = r.take("daily_cap", int, 500)
    s = r.sub("smtp")
    security = s.take("security", str, "starttls")
    if security not in ("starttls", "ssl", "none"):
        raise SheetSyncError(f"Config: mail.smtp.security must be 'starttls', 'ssl' or 'none', not {security!r}.")
    smtp = SmtpConfig(
        host=s.take("host", str, ""),
        port=s.take("port", int, 587),
        user=s.take("user", str, ""),
        security=security,
        timeout=s.take("timeout", int, 30),
    )
    s.done()
    g = r.sub("gmail")
    oauth = g.take("oauth2_file", str, "")
    gmail = GmailConfig(user=g.take("user", str, ""), oauth2_file=path(oauth) if oauth else None)
    g.done()
    r.done()
    mail = MailConfig(
        transport=transport, from_=mail_from, from_name=from_name, reply_to=reply_to, bcc=bcc, digest_to=digest_to,
        outbox_dir=outbox_dir, redirect_to=redirect, pause_seconds=pause, daily_cap=cap, smtp=smtp, gmail=gmail,
    )

    r = _Reader(data.get("google", {}), "google")
    root.table.pop("google", None)
    window = r.take("send_window", int, 20)
    if window < 0:
        raise SheetSyncError("Config: google.send_window must be 0 or more.")
    google = GoogleConfig(api_endpoint=r.take("api_endpoint", str, "").strip(), send_window=window)
    r.done()

    if root.table:
        unknown = ", ".join(f"[{k}]" for k in sorted(root.table))
        raise SheetSyncError(f"Config: unknown section {unknown}; see config.example.toml for the keys.")
    return Config(business, workbook, aging, reminders, mail, google, source)


def _check_currency(code: str, key: str) -> None:
    from babel.numbers import list_currencies

    if code not in list_currencies():
        raise SheetSyncError(f"Config: {key} {code!r} is not an ISO currency code like 'USD' or 'KRW'.")


def load_config(path: Path | str) -> Config:
    """Read and check a TOML config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SheetSyncError(f"No config file at {path}; copy config.example.toml to {path.name} and edit it.") from None
    except OSError as exc:
        raise SheetSyncError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SheetSyncError(f"{path.name} is not valid TOML: {exc}.") from None
    return parse_config(data, path.resolve().parent, path)


def with_workbook(config: Config, path: Path) -> Config:
    return replace(config, workbook=replace(config.workbook, path=path, google_sheet=""))

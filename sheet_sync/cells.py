"""Reading one spreadsheet cell into a typed value: dates, money, payment terms, emails, flags.

Every parser returns `(value, error)`: `error` is a plain sentence saying what is wrong and how to
write it, or "" when the cell was read. Nothing here raises on bad input.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta


EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of a date serial, in Excel as in Google Sheets
EXCEL_EPOCH_TIME = datetime(1899, 12, 30)  # the same, for a date-time serial (days and the fraction of a day)
# Serial numbers between these are taken as Excel dates (1954-10-09 .. 2173-10-14).
_SERIAL_MIN, _SERIAL_MAX = 20000, 100000
# Dates outside these years are typing mistakes, and would overflow date arithmetic further on.
FIRST_YEAR, LAST_YEAR = 1900, 2199
MAX_TERMS_DAYS = 3660  # ten years
# C0 and C1 control characters (a line break or tab is one too): shown as their Unicode pictures.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_text(value: object) -> object:
    """A string as Excel means it: `_x000B_` stands for the character U+000B (calamine decodes these,
    openpyxl does not); anything else as it is."""
    if isinstance(value, str) and "_x" in value:
        return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def has_control(value: str) -> bool:
    # (text Python calls printable has no control character: most cells are answered without the search)
    return not value.isprintable() and _CONTROL.search(value) is not None


def visible(value: str) -> str:
    """Text with its control characters made visible (a line break shows as ␊), safe in any cell or header."""
    return _CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())) if ord(m.group()) < 0x20 else "\ufffd", value)


def paragraphs(value: str) -> str:
    """Text of several lines (a note): line breaks kept, other control characters gone."""
    if value.isprintable():  # no line break nor other control character: nothing to do
        return value
    return _CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else "", value.replace("\r\n", "\n"))


def one_line(value: str) -> str:
    """Text for one line (a name, a subject): line breaks and tabs become spaces, other controls go."""
    if value.isprintable() or not _CONTROL.search(value):  # no line break, tab or other control: only the trim
        return value.strip()
    return re.sub(r"\s*[\r\n\t\v\f]+\s*", " ", _CONTROL.sub(lambda m: m.group() if m.group() in "\r\n\t\v\f" else "",
                                                         value)).strip()


def is_blank(value: object) -> bool:
    if value is None:
        return True
    kind = value.__class__
    if kind is str:  # the common cells first, without the checks below
        return not value.strip()
    if kind is float:
        return value != value  # NaN
    if kind is int or kind is datetime or kind is date or kind is bool:
        return False
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:  # pandas NaT / NA
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, date)) else False
    except (TypeError, ValueError):
        return False


def text(value: object) -> str:
    """A cell as trimmed text ('' for blank); whole floats lose their '.0'."""
    if value.__class__ is str:
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---- dates -----------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")]
    )
    for m in names
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_CJK = re.compile(r"^(\d{4})\s*[년年]\s*(\d{1,2})\s*[월月]\s*(\d{1,2})\s*[일日号]?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([A-Za-z]+)\.?,?[\s-]+(\d{4})$")
_MONTH_DAY = re.compile(r"^([A-Za-z]+)\.?[\s-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s-]+(\d{4})$")


def parse_date(value: object, date_order: str = "DMY") -> tuple[date | None, str]:
    """A date cell: a real date, an Excel serial number, or text in a common form (years 1900 to 2199)."""
    kind = value.__class__
    if kind is datetime and FIRST_YEAR <= value.year <= LAST_YEAR:
        return value.date(), ""  # a date cell as read, the common one
    if value is None or kind is float and value != value:
        return None, ""  # an empty cell
    day, error = _parse_date(value, date_order)
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None, f"{_show(value)} is not a date sheet-sync can use: write a date between {FIRST_YEAR} and {LAST_YEAR}."
    return day, error


def _parse_date(value: object, date_order: str) -> tuple[date | None, str]:
    if is_blank(value):
        return None, ""
    if isinstance(value, datetime):
        return value.date(), ""
    if isinstance(value, date):
        return value, ""
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date(), ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _SERIAL_MIN <= value < _SERIAL_MAX:
            return EXCEL_EPOCH + timedelta(days=int(value)), ""
        return None, f"{_show(value)} is not a date. Write it as {_example(date_order)}."
    raw = str(value).strip()
    s = raw.replace("\u3000", " ")
    try:
        if m := _ISO.match(s):
            y, mo, d = (int(g) for g in m.groups())
            return date(y, mo, d), ""
        if m := _CJK.match(s):
            y, mo, d = (int(g) for g in m.groups())
            return date(y, mo, d), ""
        if m := _NUMERIC.match(s):
            a, b, y = (int(g) for g in m.groups())
            if y < 100:
                y += 2000
            if date_order == "MDY":
                return date(y, a, b), ""
            if date_order == "DMY":
                return date(y, b, a), ""
            return None, f"'{raw}' is ambiguous with workbook.date_order = YMD. Write it as {_example(date_order)}."
        if m := _DAY_MONTH.match(s):
            d, mon, y = m.groups()
            if mon.lower() in _MONTHS:
                return date(int(y), _MONTHS[mon.lower()], int(d)), ""
        if m := _MONTH_DAY.match(s):
            mon, d, y = m.groups()
            if mon.lower() in _MONTHS:
                return date(int(y), _MONTHS[mon.lower()], int(d)), ""
        if re.fullmatch(r"\d+(\.\d+)?", s):
            return _parse_date(float(s), date_order)
    except (ValueError, OverflowError):
        return None, f"'{visible(raw)}' is not a real calendar date. Write it as {_example(date_order)}."
    return None, f"'{visible(raw)}' is not a date. Write it as {_example(date_order)}."


def _example(date_order: str) -> str:
    return {"DMY": "2026-11-30 or 30/11/2026", "MDY": "2026-11-30 or 11/30/2026"}.get(date_order, "2026-11-30")


def quoted(shown: str, limit: int = 60) -> str:
    """Text from a cell as a message quotes it: in quotes, its control characters visible, cut at `limit`."""
    shown = visible(shown)
    return f"'{shown[:limit]}…'" if len(shown) > limit else f"'{shown}'"


def _show(value: object) -> str:
    return quoted(text(value))


# ---- payment terms ---------------------------------------------------------------------------

_RECEIPT = re.compile(
    r"^(due\s+(on|upon)\s+receipt|on\s+receipt|upon\s+receipt|immediate(ly)?|cod|cash\s+on\s+delivery"
    r"|net\s*0|즉시|즉시\s*지급|수령\s*즉시|即付|即时付款|收到即付|见票即付|货到付款)$",
    re.IGNORECASE,
)
_DAYS = re.compile(
    r"^(?:(?:\d+(?:\.\d+)?%?\s*/\s*\d+\s*,?\s*)?(?:net|n)\s*(\d+)(?:\s*days?)?"
    r"|(\d+)\s*(?:days?|d|calendar\s+days?)(?:\s+net)?"
    r"|(\d+)\s*(?:일|일\s*이내|일\s*후)"
    r"|(\d+)\s*(?:天|日|天内|日内)"
    r"|(?:월|월말)?\s*(\d+)"
    r")$",
    re.IGNORECASE,
)


def parse_terms(value: object) -> tuple[int | None, str]:
    """Payment terms as a number of days: `Net 30`, `30 days`, `Due on receipt`, `15일`, `30天`."""
    if is_blank(value):
        return None, ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value >= 0 and math.isfinite(value) and float(value).is_integer():
            return _terms_days(int(value), value)
        return None, f"{_show(value)} is not a number of days."
    raw = str(value).strip()
    s = re.sub(r"\s+", " ", raw)
    if _RECEIPT.match(s):
        return 0, ""
    if m := _DAYS.match(s):
        return _terms_days(int(next(g for g in m.groups() if g is not None)), raw)
    return None, f"{_show(raw)} is not payment terms I can read. Write e.g. 'Net 30', '30 days' or 'Due on receipt'."


def _terms_days(days: int, value: object) -> tuple[int | None, str]:
    if days > MAX_TERMS_DAYS:
        return None, f"{_show(value)} gives more than {MAX_TERMS_DAYS} days to pay; write the terms in days, e.g. 'Net 30'."
    return days, ""


# ---- other cells -----------------------------------------------------------------------------

def split_emails(value: object) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;,\n]", text(value)) if p.strip())


def check_email(address: str) -> str:
    """'' when the address is valid (syntax only: no DNS from a scheduled job), else why not."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        return f"'{address}' is not a valid email address ({reason[0].lower() + reason[1:]})."
    return ""


_LANGUAGE_ALIASES = {
    "en": "en", "eng": "en", "english": "en", "en-us": "en", "en-gb": "en", "영어": "en", "英文": "en", "英语": "en",
    "ko": "ko", "kr": "ko", "kor": "ko", "korean": "ko", "ko-kr": "ko", "한국어": "ko", "한국": "ko", "韩语": "ko",
    "zh": "zh", "cn": "zh", "chinese": "zh", "zh-cn": "zh", "zh-hans": "zh", "中文": "zh", "汉语": "zh",
    "简体中文": "zh", "중국어": "zh",
}


def parse_language(value: object) -> tuple[str, str]:
    s = text(value).lower()
    if not s:
        return "", ""
    if s in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[s], ""
    return "", f"'{text(value)}' is not a language sheet-sync writes in (en, ko or zh)."


def parse_flag(value: object) -> tuple[bool, str]:
    """The Reminders column: on unless it says off."""
    s = text(value).lower()
    if s in ("", "on", "yes", "y", "true", "1", "예", "켜기", "开", "是"):
        return True, ""
    if s in ("off", "no", "n", "false", "0", "아니오", "끄기", "关", "否", "stop", "none"):
        return False, ""
    return True, f"'{text(value)}' should be 'on' or 'off'; reminders stay on."


_STATUS = {
    "": "", "draft": "Draft", "ready": "Ready", "sent": "Sent", "open": "Sent", "unpaid": "Sent", "paid": "Paid",
    "disputed": "Disputed", "dispute": "Disputed", "onhold": "On Hold", "hold": "On Hold",
    "void": "Void", "voided": "Void", "cancelled": "Void", "canceled": "Void",
    "writtenoff": "Written Off", "writeoff": "Written Off",
}


_STATUS_SPACING = re.compile(r"[\s_-]+")


def parse_status(value: object) -> tuple[str, str]:
    key = _STATUS_SPACING.sub("", text(value).lower())
    if key in _STATUS:
        return _STATUS[key], ""
    return "", (f"'{text(value)}' is not a status I know; use Draft, Ready, Sent, Paid, Disputed, On Hold, Void "
                "or Written Off (treated as blank).")

"""Money: read a cell into an exact amount, round it, show it, and its number format. One table for all.

Amounts are Decimal from the moment a cell is read, rounded to the currency's minor unit (won and
yen have none); currencies are never added together. Nothing here raises on bad input: `parse_money` returns
`(amount, error)`.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, get_currency_symbol, list_currencies

from sheet_sync.cells import is_blank, quoted

LOCALES = {"en": "en_US", "ko": "ko_KR", "zh": "zh_Hans_CN"}
MAX_AMOUNT = Decimal(10) ** 15  # a thousand trillion in any currency: beyond it, a typing mistake
_FAST_LIMIT = 10 ** 14  # a number cell below this (and not NaN) is an amount as it stands, however it rounds


def _show(value: object) -> str:
    return quoted(str(value).strip(), 40)


@lru_cache(maxsize=None)
def places(currency: str) -> int:
    """Digits after the point in `currency`'s minor unit (2 for an unknown or blank code)."""
    try:
        return get_currency_precision(currency) if currency else 2
    except Exception:  # noqa: BLE001 - an unknown code: two places
        return 2


@lru_cache(maxsize=None)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-places(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def money_pattern(currency: str) -> str:
    """The spreadsheet number format for an amount in `currency`: `#,##0.00`, `#,##0` for ₩ and ¥."""
    n = places(currency)
    return "#,##0" if n == 0 else "#,##0." + "0" * n


# One form per currency wherever money is shown: in a message in any language, in the run summary, the job
# summary and the digest. CLDR writes the yuan as CN¥ for English and Korean readers but as a bare ¥ for Chinese
# ones, and ¥ alone is also the yen: the owner comparing a Chinese message with the English summary saw two forms,
# and an English reader of a forwarded message could take ¥12,000.00 for yen. CN¥ reads as the yuan to everyone.
ONE_SYMBOL = {"CNY": "CN¥"}


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """Money in the language's style, with the currency's own decimals.

    Examples: `$1,250.00` (en, USD), `₩1,200,000` (ko, KRW), `US$1,250.00` (zh, USD), and the yuan as
    `CN¥1,250.00` in every language (`ONE_SYMBOL`).
    """
    code = str(currency).strip().upper()
    locale = LOCALES.get(language, "en_US")
    shown = format_currency(Decimal(amount), code, locale=locale)
    wanted = ONE_SYMBOL.get(code)
    if wanted:
        symbol = _symbol(code, locale)
        if symbol != wanted and symbol in shown:
            shown = shown.replace(symbol, wanted, 1)
    return shown


@lru_cache(maxsize=None)
def _symbol(code: str, locale: str) -> str:
    return get_currency_symbol(code, locale=locale)


_SYMBOLS = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"),
    "US$": ("USD",),
    "€": ("EUR",),
    "£": ("GBP",),
    "₩": ("KRW",),
    "￦": ("KRW",),
    "CN¥": ("CNY",),
    "JP¥": ("JPY",),
    "¥": ("CNY", "JPY"),
    "￥": ("CNY", "JPY"),
    "元": ("CNY",),
    "원": ("KRW",),
    "RMB": ("CNY",),
}
_MONEY = re.compile(r"^\(?-?\(?\d{1,3}(,\d{3})+(\.\d+)?\)?$|^\(?-?\d+(\.\d+)?\)?$")


def parse_money(value: object, currency: str) -> tuple[Decimal | None, str]:
    """An amount cell: a number, or text like `$1,250.00`, `₩1,200,000`, `1 200 000원`, `USD 1,250`.

    The result is exact, rounded to the currency's minor unit. A sign or code naming another
    currency than the invoice's is an error, never a silent conversion. An amount of a thousand trillion
    or more is an error too.
    """
    kind = value.__class__
    if (kind is float or kind is int) and -_FAST_LIMIT < value < _FAST_LIMIT:  # a number cell, the common one
        # repr gives the shortest decimal that round-trips: 1250.1 -> "1250.1", not 1250.0999...
        return quantize(Decimal(repr(value) if kind is float else value), currency), ""
    try:
        amount, error = _parse_money(value, currency)
        fits = amount is None or abs(amount) < MAX_AMOUNT
    except (InvalidOperation, OverflowError, ValueError):  # more digits than Decimal's precision holds
        fits = False
    if not fits:
        return None, f"{_show(value)} is too large to be an amount. Write a number like 1250.00."
    return amount, error


def _parse_money(value: object, currency: str) -> tuple[Decimal | None, str]:
    if is_blank(value):
        return None, ""
    if isinstance(value, bool):
        return None, f"{_show(value)} is not an amount."
    if isinstance(value, (int, Decimal)):
        return quantize(Decimal(value), currency), ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None, f"{_show(value)} is not an amount."
        # repr gives the shortest decimal that round-trips: 1250.1 -> "1250.1", not 1250.0999...
        return quantize(Decimal(repr(value)), currency), ""
    raw = str(value).strip()
    s = raw.replace("\u00a0", " ").replace(" ", "")
    code = ""
    for sym in sorted(_SYMBOLS, key=len, reverse=True):
        if s.startswith(sym) or s.endswith(sym) or s.startswith("-" + sym):
            candidates = _SYMBOLS[sym]
            if currency not in candidates:
                return None, f"{_show(raw)} is written in {candidates[0]} but the invoice's currency is {currency}."
            s = s.replace(sym, "", 1)
            code = currency
            break
    if not code and (m := re.match(r"^([A-Za-z]{3})([-(]?\d.*)$|^(.*\d\)?)([A-Za-z]{3})$", s)):
        found = (m.group(1) or m.group(4) or "").upper()
        rest = m.group(2) if m.group(1) else m.group(3)
        if found not in list_currencies():
            return None, f"{_show(raw)} is not an amount. Write a number like 1250.00."
        if found != currency:
            return None, f"{_show(raw)} is written in {found} but the invoice's currency is {currency}."
        s = rest or ""
    s = s.strip()
    if not _MONEY.match(s):
        return None, f"{_show(raw)} is not an amount. Write a number like 1250.00."
    negative = s.startswith("-") or (s.startswith("(") and s.endswith(")"))
    digits = s.strip("()-").replace(",", "")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return None, f"{_show(raw)} is not an amount. Write a number like 1250.00."
    return quantize(-amount if negative else amount, currency), ""


def format_amount(amount: Decimal, currency: str, language: str) -> str:
    """Money as a sentence writes it: in Korean, won as `800,000원` (the symbol stays in tables); otherwise
    as `format_money`."""
    code = str(currency).strip().upper()
    if language == "ko" and code == "KRW":
        return f"{quantize(Decimal(amount), code):,}원"
    return format_money(amount, currency, language)

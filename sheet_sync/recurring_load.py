"""The optional Recurring sheet typed into rows: who, what, how much, how often, from when to when. Pure.

Each bad cell is a Problem naming its cell and the fix, and only its row is left out: a bad Recurring
row never stops the run, and adds nothing. `Every` is read in English, Korean and Chinese:
`1 month`, `3 months`, `2 weeks`, `10 days`, `1 year`, `monthly`, `weekly`, `quarterly`, `yearly`,
`1개월`, `매월`, `2주`, `每月`, `3个月`, `每周` …
"""
from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Mapping, Sequence

from babel.numbers import list_currencies

from sheet_sync import cells
from sheet_sync.config import Config
from sheet_sync.model import CellRef, Client, Invoice, LineItem, Problem, Recurring, invoice_key
from sheet_sync.money import format_money, parse_money
from sheet_sync.raw import RawSheet

_CURRENCIES = frozenset(list_currencies())
MAX_PERIODS = 120  # "120 months" is ten years: more is a typing mistake

# (months, days) of one period
_WORDS = {
    "daily": (0, 1), "weekly": (0, 7), "biweekly": (0, 14), "fortnightly": (0, 14), "monthly": (1, 0),
    "quarterly": (3, 0), "yearly": (12, 0), "annually": (12, 0), "annual": (12, 0), "everyday": (0, 1),
    "everyweek": (0, 7), "everymonth": (1, 0), "everyquarter": (3, 0), "everyyear": (12, 0),
    "매일": (0, 1), "매주": (0, 7), "격주": (0, 14), "매월": (1, 0), "매달": (1, 0), "분기": (3, 0), "매분기": (3, 0),
    "매년": (12, 0), "每天": (0, 1), "每日": (0, 1), "每周": (0, 7), "每星期": (0, 7), "每两周": (0, 14),
    "每月": (1, 0), "每个月": (1, 0), "每季": (3, 0), "每季度": (3, 0), "每年": (12, 0),
}
_UNITS = {
    "day": (0, 1), "days": (0, 1), "d": (0, 1), "일": (0, 1), "天": (0, 1), "日": (0, 1),
    "week": (0, 7), "weeks": (0, 7), "wk": (0, 7), "wks": (0, 7), "w": (0, 7), "주": (0, 7), "주일": (0, 7),
    "周": (0, 7), "星期": (0, 7), "个星期": (0, 7),
    "month": (1, 0), "months": (1, 0), "mo": (1, 0), "mos": (1, 0), "m": (1, 0), "개월": (1, 0), "달": (1, 0),
    "个月": (1, 0), "個月": (1, 0), "月": (1, 0),
    "quarter": (3, 0), "quarters": (3, 0), "분기": (3, 0), "季度": (3, 0), "个季度": (3, 0),
    "year": (12, 0), "years": (12, 0), "yr": (12, 0), "yrs": (12, 0), "y": (12, 0), "년": (12, 0), "年": (12, 0),
}
_AMOUNT = re.compile(r"^(?:every\s*)?(\d+)\s*([^\d\s].*)$")


def parse_every(value: object) -> tuple[tuple[int, int] | None, str]:
    """A period as (months, days): `3 months` -> (3, 0), `2 weeks` -> (0, 14), `monthly` -> (1, 0)."""
    raw = cells.text(value)
    key = re.sub(r"[\s\-_]+", "", raw.lower())
    if key in _WORDS:
        return _WORDS[key], ""
    m = _AMOUNT.match(re.sub(r"\s+", " ", raw.lower()))
    if m and m.group(2).strip() in _UNITS:
        n = int(m.group(1))
        months, days = _UNITS[m.group(2).strip()]
        if 1 <= n * (months or 1) <= MAX_PERIODS * (1 if months else 31):
            return (n * months, n * days), ""
    if not raw:
        return None, "Every is blank; write how often, like '1 month', '3 months' or '2 weeks'."
    return None, (f"{cells.quoted(raw, 40)} is not a period I can read; write it like '1 month', '3 months', "
                  "'2 weeks' or 'monthly'.")


def parse_send(value: object) -> tuple[bool, str]:
    s = cells.text(value).lower()
    if s in ("yes", "y", "true", "1", "send", "ready", "예", "네", "是", "发送"):
        return True, ""
    if s in ("", "no", "n", "false", "0", "아니오", "否"):
        return False, ""
    return False, f"{cells.quoted(cells.text(value), 40)} should be 'yes' or blank; the invoices are added without Status."


def load_recurring(sheet: RawSheet, clients: Mapping[str, Client], config: Config, problems: list[Problem],
                   line_items: Mapping[str, tuple[LineItem, ...]] | None = None,
                   invoices: Sequence[Invoice] = ()) -> tuple[Recurring, ...]:
    """The Recurring rows that can be used; every bad cell a Problem naming its cell (its row left out).

    `Lines` names an invoice whose lines on the Line Items sheet each new invoice gets a copy of: they must
    be in the row's currency and add up to its Amount (a blank Amount is their total)."""
    line_items = line_items or {}
    currency_of = {inv.invoice_no: inv.currency for inv in invoices}
    missing = [h for h in ("Client ID", "Every", "Next Date") if h not in sheet.columns]
    if "Amount" not in sheet.columns and "Lines" not in sheet.columns:
        missing.append("Amount")
    if missing:
        names = ", ".join(f"'{config.column_name(h)}'" for h in missing)
        problems.append(Problem(CellRef(sheet.title, sheet.header_row), f"the {sheet.title} sheet has no {names} "
                                "column, so no recurring invoice is added; add it (see the README)."))
        return ()
    order = config.workbook.date_order
    keys = Counter((invoice_key(v.get("Client ID")), cells.one_line(cells.text(v.get("Description"))).casefold())
                   for _, v in sheet.rows)
    out = []
    for row, v in sheet.rows:
        found: list[Problem] = []

        def bad(header: str, message: str) -> None:
            found.append(Problem(CellRef(sheet.title, row, sheet.column_of(header)), message))

        cid = invoice_key(v.get("Client ID"))
        description = cells.one_line(cells.text(v.get("Description")))
        if not cid:
            bad("Client ID", "this recurring invoice has no Client ID; write the ID of a client on the Clients sheet.")
        elif cid not in clients:
            bad("Client ID", f"client '{cells.visible(cid)[:60]}' is not on the {config.sheet_name('Clients')} sheet; "
                "add it or fix the ID. No invoice is added for this row.")
        elif keys[(cid, description.casefold())] > 1:
            bad("Description", f"client '{cid}' has {keys[(cid, description.casefold())]} recurring rows with this "
                "Description; give each its own Description, so that each period's invoice is told apart.")
        currency = cells.text(v.get("Currency")).upper() or config.aging.default_currency
        if currency not in _CURRENCIES:
            bad("Currency", f"{cells.quoted(cells.text(v.get('Currency')), 40)} is not a currency code; write one "
                "like USD, KRW or CNY.")
        amount, err = parse_money(v.get("Amount"), currency) if currency in _CURRENCIES else (None, "")
        template = invoice_key(v.get("Lines"))
        lines = line_items.get(template, ()) if template else ()
        if template and not lines:
            bad("Lines", f"invoice '{cells.visible(template)[:60]}' has no lines on the {config.sheet_name('Line Items')} "
                "sheet to copy; write the Invoice No of an invoice whose lines each new invoice should have.")
        elif lines and currency_of.get(template) != currency:
            bad("Lines", f"invoice {template}'s lines are in {currency_of.get(template) or 'another currency'}, and this "
                f"row is in {currency}; name lines in {currency}.")
        elif lines and not err and currency in _CURRENCIES:
            total = sum((li.net + li.tax for li in lines), Decimal(0))
            if amount is None:
                amount = total
            elif total != amount:
                err = (f"the lines of invoice {template} add up to {format_money(total, currency, 'en')}, not this "
                       f"Amount {format_money(amount, currency, 'en')}; correct one of them, or leave the Amount blank.")
        if err:
            bad("Amount", err)
        elif amount is None and currency in _CURRENCIES:
            bad("Amount", "the Amount is blank; write the amount of each invoice.")
        elif amount is not None and amount <= 0:
            bad("Amount", "the Amount is not above zero; write the amount of each invoice.")
        period, err = parse_every(v.get("Every"))
        if err:
            bad("Every", err)
        raw_next = v.get("Next Date")
        next_date, err = cells.parse_date(raw_next, order)
        if err:
            bad("Next Date", err)
        elif next_date is None:
            bad("Next Date", "Next Date is blank; write the issue date of the next invoice.")
        end_date, err = cells.parse_date(v.get("End Date"), order)
        if err:
            bad("End Date", err + " Nothing is added for this row until it is fixed.")
        send, err = parse_send(v.get("Send"))
        if err and "Send" in sheet.columns:
            problems.append(Problem(CellRef(sheet.title, row, sheet.column_of("Send")), err, blocking=False))
        if found:
            problems.extend(found)
            continue
        out.append(Recurring(row=row, client_id=cid, description=description, amount=amount, currency=currency,
                             months=period[0], days=period[1], next_date=next_date, end_date=end_date, send=send,
                             next_date_as_text=isinstance(raw_next, str),
                             next_date_cell=CellRef(sheet.title, row, sheet.column_of("Next Date")),
                             lines=lines))
    return tuple(out)


__all__ = ["load_recurring", "parse_every", "parse_send"]

"""The optional Line Items sheet: typed lines for the invoice PDF, and the check that they add up. Pure.

Each line is `Quantity × Unit Price`, rounded to the currency's minor unit, plus its tax at `Tax Rate`,
rounded the same way, line by line (as the PDF shows it). An invoice's lines must add up, tax included,
to its Amount: otherwise the invoice is a Problem (its Amount cell named) and nothing is sent for it,
since the PDF would contradict the reminder.

`Quantity` blank means 1; `Tax Rate` blank means no tax. A tax rate is read as the spreadsheet stores it:
`10%` (text or a percent-formatted cell, which holds 0.1) is 10 %; a bare number from 1 to 100 is a
percentage too (`10` is 10 %), since nobody charges 100 % tax nor means 10 as 1,000 %.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Mapping, Sequence

from sheet_sync import cells
from sheet_sync.config import Config
from sheet_sync.model import CellRef, Invoice, LineItem, Problem, invoice_key
from sheet_sync.money import format_money, parse_money, quantize
from sheet_sync.raw import RawSheet

MAX_QUANTITY = Decimal(10) ** 9


def _decimal(value: object) -> Decimal | None:
    """A plain number cell (int, float, Decimal or text like `1.5` or `1,000`) as an exact Decimal."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    try:
        number = Decimal(cells.text(value).replace(",", "").replace("\u00a0", "").replace(" ", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_quantity(value: object) -> tuple[Decimal | None, str]:
    if value.__class__ is int and 0 <= value < MAX_QUANTITY:  # the common cell: a whole number
        return Decimal(value), ""
    if cells.is_blank(value):
        return Decimal(1), ""
    number = _decimal(value)
    if number is None or abs(number) >= MAX_QUANTITY:
        return None, f"{cells.quoted(cells.text(value), 40)} is not a quantity; write a number like 3 or 1.5."
    return number.normalize() if number == number.to_integral_value() else number, ""


def parse_tax_rate(value: object) -> tuple[Decimal | None, str]:
    """A tax rate as a fraction (0.1 for 10 %): from `10%`, a percent cell (0.1) or a bare 10."""
    if value.__class__ in (int, float, str):  # a sheet holds a few rates on thousands of lines
        return _tax_rate(value.__class__, value)
    return _parse_tax_rate(value)


@lru_cache(maxsize=1024)
def _tax_rate(kind: type, value: object) -> tuple[Decimal | None, str]:  # `kind`: 1 and 1.0 and True apart
    return _parse_tax_rate(value)


def _parse_tax_rate(value: object) -> tuple[Decimal | None, str]:
    if cells.is_blank(value):
        return Decimal(0), ""
    if value.__class__ in (int, float):  # a number cell (a percent-formatted one holds 0.1): no text to read
        raw, percent, number = "", False, _decimal(value)
    else:
        raw = cells.text(value)
        percent = raw.endswith("%")
        number = _decimal(raw[:-1] if percent else value)
    if number is not None and not percent and number >= 1:
        percent = True
    rate = None if number is None else (number / 100 if percent else number)
    if rate is None or not Decimal(0) <= rate < 1:
        return None, f"{cells.quoted(raw or cells.text(value), 40)} is not a tax rate; write it like 10% (or 0 for none)."
    return rate, ""


def load_line_items(sheet: RawSheet, invoices: Sequence[Invoice], config: Config,
                    problems: list[Problem]) -> dict[str, tuple[LineItem, ...]]:
    """Invoice No -> its lines, in sheet order. Bad cells and lines of unknown invoices become Problems."""
    if "Invoice No" not in sheet.columns:
        problems.append(Problem(CellRef(sheet.title, sheet.header_row), f"the {sheet.title} sheet has no "
                                f"'{config.column_name('Invoice No')}' column, so its lines are not used.", blocking=False))
        return {}
    by_no = {inv.invoice_no: inv for inv in invoices}
    lines: dict[str, list[LineItem]] = defaultdict(list)
    broken: set[str] = set()  # invoices with a line that cannot be read: their lines cannot add up
    def cell(header: str) -> CellRef:  # on the row at hand (made once, not once a line)
        return CellRef(sheet.title, row, sheet.column_of(header))

    for row, v in sheet.rows:
        no = invoice_key(v.get("Invoice No"))
        inv = by_no.get(no)
        if inv is None:
            what = f"invoice '{cells.visible(no)[:60]}' is not on the Invoices sheet" if no else "this line names no invoice"
            problems.append(Problem(cell("Invoice No"), f"{what}; the line is not used.", blocking=False))
            continue
        if not inv.currency:  # the invoice's own Currency is wrong, and said so on its row
            continue
        found = []
        quantity, err = parse_quantity(v.get("Quantity"))
        if err:
            found.append(Problem(cell("Quantity"), err, no))
        price, err = parse_money(v.get("Unit Price"), inv.currency)
        if err or price is None:
            found.append(Problem(cell("Unit Price"), err or "the Unit Price is blank; write the price of one unit.", no))
        rate, err = parse_tax_rate(v.get("Tax Rate"))
        if err:
            found.append(Problem(cell("Tax Rate"), err, no))
        if found:
            problems.extend(found)
            broken.add(no)
            continue
        net = quantize(quantity * price, inv.currency)
        lines[no].append(LineItem(no, cells.paragraphs(cells.text(v.get("Description"))).strip(), quantity, price,
                                  rate, net, quantize(net * rate, inv.currency), row))
    return {no: tuple(items) for no, items in lines.items() if no not in broken}


def check_totals(line_items: Mapping[str, tuple[LineItem, ...]], invoices: Sequence[Invoice], amount_column: int,
                 invoices_title: str, line_items_title: str) -> list[Problem]:
    """A Problem, at the invoice's Amount cell, for each invoice whose lines do not add up to its Amount."""
    problems = []
    for inv in invoices:
        items = line_items.get(inv.invoice_no)
        if not items or inv.amount is None:
            continue
        subtotal = sum((i.net for i in items), Decimal(0))
        tax = sum((i.tax for i in items), Decimal(0))
        if subtotal + tax == inv.amount:
            continue
        rows = [i.row for i in items]
        where = f"row {rows[0]}" if len(rows) == 1 else f"rows {', '.join(map(str, rows))}"

        def show(x: Decimal) -> str:
            return format_money(x, inv.currency, "en")  # Sync Notes are in English

        with_tax = f" ({show(subtotal)} + tax {show(tax)})" if tax else ""
        problems.append(Problem(
            CellRef(invoices_title, inv.row, amount_column),
            f"the lines of invoice {inv.invoice_no} on {line_items_title} {where} add up to {show(subtotal + tax)}"
            f"{with_tax}, not the Amount {show(inv.amount)}; correct the lines or the Amount. Nothing is sent for "
            "this invoice until they agree.", inv.invoice_no))
    return problems


__all__ = ["check_totals", "load_line_items", "parse_quantity", "parse_tax_rate"]

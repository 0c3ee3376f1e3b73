"""The portfolio as a new .xlsx workbook (openpyxl): the edge that writes `sheet-sync portfolio --xlsx`.

Two sheets, each with a frozen header and a filter on:
    Workbooks      one row per workbook, in the portfolio's order (those that need the bookkeeper first),
                   `Needs` numbered by that order, the open balances per currency as text
    Open balances  one row per workbook and currency: the buckets and the total, as numbers in the
                   currency's own number format; never a total across currencies

Every value is written as a plain value: a business name that begins with `=` stays text.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

from sheet_sync.money import money_pattern
from sheet_sync.portfolio import GROUPS, PortfolioRow, all_labels, counts, open_text

WORKBOOKS = ["Book", "Business", "Workbook", "As of", "Dry run", "Needs", "Outcome", "Note", "Exit code", "Open",
             "Sent", "Failed", "Unconfirmed", "Decisions", "Problems", "Report"]


def number_format(currency: str) -> str:
    """`#,##0.00" USD"`, `#,##0" KRW"`: the currency's decimals and its code (a code that is not three
    letters is left out of the pattern rather than quoted into it)."""
    code = currency if re.fullmatch(r"[A-Z]{3}", currency) else ""
    return money_pattern(currency) + (f'" {code}"' if code else "")


def write_xlsx(rows: Sequence[PortfolioRow], path: Path) -> None:
    """Write the portfolio to `path` (a new file; an existing one is replaced)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Workbooks"
    _header(ws, WORKBOOKS, Font)
    for r in rows:
        _append(ws, [r.label, r.business, r.workbook, r.as_of, "yes" if r.dry_run else "", GROUPS[r.group],
                     r.outcome, r.note, r.exit_code, open_text(r), *(n if n != "" else None for n in counts(r)), r.source])
        if r.as_of:
            ws.cell(ws.max_row, 4).number_format = "yyyy-mm-dd"
    _finish(ws, [12, 24, 24, 11, 8, 20, 28, 60, 9, 36, 7, 7, 12, 10, 9, 40])

    labels = all_labels(rows)
    bal = wb.create_sheet("Open balances")
    _header(bal, ["Book", "Business", "Currency", *labels, "Total"], Font)
    for r in rows:
        for currency, buckets in r.totals.items():
            _append(bal, [r.label, r.business, currency, *(buckets.get(label) for label in labels), buckets.get("Total")])
            for col in range(4, 4 + len(labels) + 1):
                bal.cell(bal.max_row, col).number_format = number_format(currency)
    _finish(bal, [12, 24, 9, *([14] * (len(labels) + 1))])
    wb.save(path)


def _header(ws, names: list[str], font) -> None:
    _append(ws, names)
    for c in ws[1]:
        c.font = font(bold=True)


def _append(ws, values: list[Any]) -> None:
    ws.append(values)
    for c in ws[ws.max_row]:
        if isinstance(c.value, str):
            c.data_type = "s"  # never a formula, whatever the text begins with


def _finish(ws, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

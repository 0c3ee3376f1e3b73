"""Realistic workbooks for the benchmark, each after its first sync.

The sheets come from tests/realistic_book.py: two years of invoices over clients writing in English (USD,
EUR), Korean (KRW) and Chinese (CNY), a Payments sheet (most old invoices paid, some partly), Line Items,
the owner's own Project column; written as an owner's .xlsx would be (bold frozen header, date and money
formats, column widths), with a config beside it (outbox, no daily cap in the way), then synced once as
of AS_OF so that a re-run finds its tool columns, Aging sheets and Reminder Log in place.

    python bench/make_workbooks.py [SIZES...] [--out DIR]    (default: 10 1000 10000 into bench/books)

    make(n, folder) -> (workbook, config)      used by bench/sync_bench.py
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from realistic_book import realistic_sheets  # noqa: E402

AS_OF = date(2026, 11, 23)  # a Monday
MONEY = "#,##0.00"
DATE = "yyyy-mm-dd"
WIDTHS = {"Clients": 18, "Invoices": 14, "Payments": 16, "Line Items": 18}


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """The sheets as an owner's workbook: bold frozen header, dates and money formatted, widths set.
    openpyxl's write-only mode, so that 100,000 rows take seconds."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        headers = rows[0]
        for i in range(len(headers)):
            ws.column_dimensions[get_column_letter(i + 1)].width = WIDTHS.get(title, 14)
        money = {i for i, h in enumerate(headers) if h in ("Amount", "Amount Paid", "Unit Price")}
        header_cells = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = bold
            header_cells.append(cell)
        ws.append(header_cells)
        for row in rows[1:]:
            out = []
            for i, v in enumerate(row):
                if isinstance(v, date):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = DATE
                    out.append(cell)
                elif i in money and isinstance(v, (int, float)):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = MONEY
                    out.append(cell)
                else:
                    out.append(None if v == "" else v)
            ws.append(out)
    wb.save(path)
    return path


def write_config(folder: Path, book: Path, mail: str = "") -> Path:
    """A config for `book`: the outbox unless `mail` gives other [mail] tables; no daily cap in the way."""
    mail = mail or """
[mail]
transport = "outbox"
from = "billing@bench-studio.example.com"
outbox_dir = "outbox"
daily_cap = 100000
"""
    path = folder / "sheet-sync.toml"
    path.write_text(f"""
[business]
name = "Bench Studio"
email = "billing@bench-studio.example.com"
payment_instructions = {{ default = "Bank transfer to account 123-456.", KRW = "국민은행 123-45-6789", CNY = "招商银行 6225 0000 0000" }}
[workbook]
path = "{book.name}"
[aging]
timezone = "Asia/Seoul"
default_currency = "USD"
[reminders]
attach_invoice = []  # no PDFs here: bench/invoice_pdf_bench.py measures those (about 4 a second)
{mail}
""", encoding="utf-8")
    return path


def make(n: int, folder: Path, sync: bool = True) -> tuple[Path, Path]:
    """Build the workbook of `n` invoices in `folder` with its config, and run its first sync."""
    from sheet_sync import api
    from sheet_sync.config import load_config

    folder.mkdir(parents=True, exist_ok=True)
    book = write_xlsx(folder / f"book-{n}.xlsx", realistic_sheets(n, AS_OF))
    config = write_config(folder, book)
    if sync:
        api.sync(load_config(config), as_of=AS_OF)
    return book, config


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 1_000, 10_000])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "books")
    args = parser.parse_args()
    for size in args.sizes:
        started = time.perf_counter()
        book, config = make(size, args.out / str(size))
        print(f"{size:>7,} invoices: {book} ({book.stat().st_size / 1e6:.1f} MB), config {config}, "
              f"built and synced in {time.perf_counter() - started:.1f} s", flush=True)

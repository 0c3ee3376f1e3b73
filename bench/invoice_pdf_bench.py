"""How fast invoice PDFs are made: N invoices (1,000 by default), a third each in en, ko and zh, three lines
each with tax, rendered from the Book through `invoice.html` and WeasyPrint, as a sync attaching them would.

    python bench/invoice_pdf_bench.py [--n N] [--out DIR]

Prints the first PDF's time (WeasyPrint's import and the fonts' first load), then PDFs a second overall and
per language, the HTML's share of the time, and the mean PDF size. `--out DIR` keeps the PDFs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from sheet_sync.attach import render_pdf  # noqa: E402
from sheet_sync.config import load_config  # noqa: E402
from sheet_sync.invoice_doc import invoice_context, render_invoice_html  # noqa: E402
from workbooks import sheets_book  # noqa: E402

AS_OF = date(2026, 11, 23)
CLIENTS = [
    ["Client ID", "Name", "Email", "Contact Name", "Language", "Payment Terms", "Tax ID", "Address", "Phone"],
    ["C-en", "Northwind Traders", "ap@northwind.example.com", "Dana", "en", "Net 30", "GB123456789",
     "1 Quay Street\nBristol BS1 4DJ", "+44 117 496 0000"],
    ["C-ko", "한빛상사", "billing@hanbit.example.co.kr", "김민수", "ko", "30일", "123-45-67890",
     "서울특별시 중구 세종대로 110", "02-1234-5678"],
    ["C-zh", "上海星辰", "finance@xingchen.example.cn", "王芳", "zh", "30天", "91310000MA1K000000",
     "上海市浦东新区世纪大道100号", "021-5555-0000"],
]
CONFIG = """
[business]
name = "Maple & Pine Studio"
email = "billing@maple-pine.example.com"
phone = "+1 555 0100"
address = "12 Harbour Street\\nPortland, ME 04101"
tax_id = "12-3456789"
tax_id_label = "EIN"
payment_instructions = "Bank transfer to account 000123456 (Harbour Bank); please quote the invoice number."
[workbook]
path = "book.xlsx"
"""
LINES = {  # (description, quantity, unit price, tax rate) per language; the Amount is their sum with tax
    "en": [("Design, phase {i}", 2, 600, "10%"), ("Hosting (November)", 1, 250, ""), ("Domain renewal", 1, 80, "")],
    "ko": [("디자인 {i}단계", 2, 600000, "10%"), ("호스팅 (11월)", 1, 250000, ""), ("도메인 갱신", 1, 80000, "")],
    "zh": [("设计第{i}阶段", 2, 4000, "6%"), ("主机托管（11月）", 1, 1500, ""), ("域名续费", 1, 500, "")],
}
AMOUNTS = {"en": ("USD", 1650), "ko": ("KRW", 1650000), "zh": ("CNY", 10480)}  # 8000 + 480 + 1500 + 500


def book(n: int, config):
    invoices = [["Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "Amount Paid", "PO Number",
                 "Payment Link", "Description"]]
    lines = [["Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate"]]
    for i in range(n):
        lang = ("en", "ko", "zh")[i % 3]
        currency, amount = AMOUNTS[lang]
        due = AS_OF - timedelta(days=2 + i % 40)
        no = f"INV-2026-{i:05d}"
        invoices.append([no, f"C-{lang}", due - timedelta(days=30), due, currency, amount, None, f"PO-{i}",
                         f"https://pay.example.com/{no}", "Website work"])
        lines += [[no, d.format(i=i % 5 + 1), q, p, t] for d, q, p, t in LINES[lang]]
    loaded = sheets_book(config, {"Clients": CLIENTS, "Invoices": invoices, "Line Items": lines})
    assert not [p for p in loaded.problems if p.blocking], loaded.problems[:3]
    return loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="how many invoice PDFs (default 1000)")
    parser.add_argument("--out", type=Path, help="keep the PDFs in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheet-sync.toml"
        path.write_text(CONFIG, encoding="utf-8")
        config = load_config(path)
        the_book = book(args.n, config)
        numbers = [inv.invoice_no for inv in the_book.invoices]
        start = time.perf_counter()
        render_pdf(invoice_context(the_book, numbers[0], config, AS_OF), config)
        first = time.perf_counter() - start
        by_lang: dict[str, list[float]] = {"en": [], "ko": [], "zh": []}
        html_seconds = 0.0
        sizes = []
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
        total_start = time.perf_counter()
        for no in numbers:
            t0 = time.perf_counter()
            ctx = invoice_context(the_book, no, config, AS_OF)
            render_invoice_html(ctx, None)
            html_seconds += time.perf_counter() - t0
            data = render_pdf(ctx, config)
            by_lang[ctx["language"]].append(time.perf_counter() - t0)
            sizes.append(len(data))
            if args.out:
                (args.out / f"{no}.pdf").write_bytes(data)
        total = time.perf_counter() - total_start
    print(f"invoice PDFs: {args.n} (a third each in en, ko, zh; 3 lines each), WeasyPrint, one process")
    print(f"  first PDF (import and fonts): {first:.2f} s")
    print(f"  all {args.n}: {total:.1f} s = {args.n / total:.1f} PDFs/second")
    for lang, times in by_lang.items():
        if times:
            print(f"  {lang}: median {statistics.median(times) * 1000:.0f} ms a PDF = {1 / statistics.median(times):.1f}/s")
    print(f"  data + HTML (Jinja2) share: {html_seconds / total:.1%}; mean PDF size {statistics.mean(sizes) / 1024:.0f} KB")


if __name__ == "__main__":
    main()

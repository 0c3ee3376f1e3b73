"""What the Recurring sheet costs a run: the pure plan (periods, numbers, the never-twice key) on a book of
N invoices with R recurring rows, and one whole sync of a real .xlsx that adds their invoices (surgical
writer), next to the same sync without a Recurring sheet. Prints a Markdown table.

    python bench/recurring_bench.py [--invoices 10000] [--rows 200]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sheet_sync import api  # noqa: E402
from sheet_sync.recurring import plan_recurring, with_added  # noqa: E402
from workbooks import invoice, many_invoices, memory_book, simple_book, write_config  # noqa: E402

AS_OF = date(2028, 3, 15)
REC_HEADERS = ["Client ID", "Description", "Amount", "Currency", "Every", "Next Date", "End Date", "Send"]


def recurring_rows(n: int) -> list[list]:
    return [REC_HEADERS] + [[f"C{k % 200}", f"Service {k}", 100 + k, "USD", ("1 month", "2 weeks", "3 months")[k % 3],
                             AS_OF - timedelta(days=k % 40), None, "yes" if k % 2 else ""] for k in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--rows", type=int, default=200)
    args = parser.parse_args()
    clients, rows = many_invoices(args.invoices, AS_OF)
    rows = [invoice(f"INV-2028-{i + 1:05d}", r[1], due=r[3], amount=r[5], paid=r[6]) for i, r in enumerate(rows)]
    folder = Path(tempfile.mkdtemp())
    try:
        config = write_config(folder, folder / "book.xlsx")
        book = memory_book(config, rows, clients, extra={"Recurring": recurring_rows(args.rows)})
        t = time.perf_counter()
        plan = plan_recurring(book, config, AS_OF)
        with_added(book, plan, config)
        pure = time.perf_counter() - t
        times = {}
        for label, extra in (("without a Recurring sheet", {}), ("with it", {"Recurring": recurring_rows(args.rows)})):
            path = simple_book(folder / f"{len(extra)}.xlsx", rows, clients, extra=extra)
            config = write_config(folder, path)
            t = time.perf_counter()
            result = api.sync(config, as_of=AS_OF)
            times[label] = (time.perf_counter() - t, len(result.recurring_added), result.stage_seconds.get("write", 0))
        print(f"| {args.invoices:,} invoices, {args.rows} recurring rows | seconds | invoices added | write stage |")
        print("|---|---:|---:|---:|")
        print(f"| plan_recurring + with_added (pure) | {pure:.3f} | {len(plan.added)} | |")
        for label, (secs, added, write) in times.items():
            print(f"| sync {label} | {secs:.2f} | {added} | {write:.2f} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

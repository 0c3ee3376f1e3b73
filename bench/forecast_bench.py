"""How long `sheet-sync forecast` takes, by size: the real policy run once per day of the span.

Builds the book of n invoices in memory (one in 250 overdue, the rest due in 20 to 50 days or paid) and
times the pure forecast over 30 days. Prints one line per size.

    python bench/forecast_bench.py [SIZES...]
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from workbooks import many_invoices, memory_book, write_config  # noqa: E402

from sheet_sync.forecast import forecast  # noqa: E402

AS_OF = date(2026, 11, 23)


def run(n: int, days: int = 30) -> str:
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), Path(folder) / "book.xlsx")
        clients, rows = many_invoices(n, AS_OF)
        book = memory_book(config, rows, clients)
        started = time.perf_counter()
        fc = forecast(book, config, AS_OF, days)
        took = time.perf_counter() - started
    return (f"{n:>7,} invoices, {days} days: {took:6.2f} s ({took / days * 1000:.0f} ms a day; "
            f"{sum(len(d.messages) for d in fc.days)} messages)")


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]:
        print(run(size), flush=True)

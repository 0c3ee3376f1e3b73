"""How long a sync of an Excel workbook takes, by size: read, age, plan, write back.

Builds a real .xlsx of n invoices (one in 250 due a reminder, sent to the outbox), then times the first
sync and a re-run the same day (nothing to send). Prints one line per size.

    python bench/excel_sync.py [SIZES...]
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from workbooks import many_invoices, simple_book, write_config  # noqa: E402

from sheet_sync import api  # noqa: E402

AS_OF = date(2026, 11, 23)


def run(n: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        clients, rows = many_invoices(n, AS_OF)
        started = time.perf_counter()
        book = simple_book(Path(folder) / "book.xlsx", rows, clients)
        made = time.perf_counter() - started
        config = write_config(Path(folder), book)
        started = time.perf_counter()
        result = api.sync(config, as_of=AS_OF)
        first = time.perf_counter() - started
        started = time.perf_counter()
        api.sync(config, as_of=AS_OF)
        again = time.perf_counter() - started
        size = book.stat().st_size / 1e6
    return (f"{n:>7,} invoices: first sync {first:6.2f} s ({len(result.sent)} reminders), re-run {again:6.2f} s, "
            f"workbook {size:.1f} MB (building it took {made:.1f} s)")


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [150, 5_000, 50_000]:
        print(run(size), flush=True)

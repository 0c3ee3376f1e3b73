"""How many Sheets API requests a sync makes, and how long it takes, for 10 to 50,000 invoices.

Runs the real gspread client against the emulator in tests/ on 127.0.0.1 (no account, no network)
and prints one line per size. The Sheets API allows 60 requests a minute per user: a script that
wrote each tool cell with its own request would need rows x 7 of them.

Each line ends with `ok` or what went wrong: at most LIMIT requests, one reminder per 250 invoices, every
row given its status. tests/test_gsheets.py checks the same for 10 and 1,000 invoices; 50,000 (about
half a minute here) is checked only by this script, which exits 1 if a size fails.

    python bench/gsheets_requests.py [SIZES...]
"""
from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sheets_emulator import Emulator  # noqa: E402
from workbooks import CLIENT_HEADERS, INVOICE_HEADERS, many_invoices, sheet_config  # noqa: E402

from sheet_sync import api  # noqa: E402

AS_OF = date(2026, 11, 23)
LIMIT = 6  # requests for a first sync, whatever the size (the bound in tests/test_gsheets.py)


def check(n: int, requests: int, sent: int, rows: list[list]) -> str:
    """`ok`, or what is wrong with a first sync of `n` invoices."""
    wrong = []
    if requests > LIMIT:
        wrong.append(f"{requests} requests, over the limit of {LIMIT}")
    if sent != (n + 249) // 250:
        wrong.append(f"{sent} reminders sent, not {(n + 249) // 250}")
    headers = rows[0]
    last = next((dict(zip(headers, r)) for r in rows[1:] if r and r[0] == f"INV-{n - 1:05d}"), {})
    if len(rows) - 1 != n or last.get("Sync Status") not in ("Current", "Paid") or last.get("Balance") is None:
        wrong.append(f"{len(rows) - 1} rows; the last one's status {last.get('Sync Status')!r}")
    return "ok" if not wrong else "FAILED: " + "; ".join(wrong)


def run(n: int) -> str:
    em = Emulator().start()
    try:
        clients, rows = many_invoices(n, AS_OF)
        em.add_sheet("Clients", [CLIENT_HEADERS, *clients])
        em.add_sheet("Invoices", [INVOICE_HEADERS, *rows])
        with tempfile.TemporaryDirectory() as folder:
            config = sheet_config(Path(folder), em)
            started = time.perf_counter()
            result = api.sync(config, as_of=AS_OF)
            first = time.perf_counter() - started
            first_requests = len(em.requests)
            verdict = check(n, first_requests, len(result.sent), em.values("Invoices"))
            biggest = max(em.request_bytes) / 1e6
            kinds = Counter(path.rsplit("/", 1)[-1].split("!")[0].replace(em.key, "spreadsheet") for _, path in em.requests)
            em.requests.clear()
            started = time.perf_counter()
            api.sync(config, as_of=AS_OF)
            again = time.perf_counter() - started
        return (f"{n:>7,} invoices: {first_requests} requests ({len(result.sent)} reminders sent), {first:6.2f} s; "
                f"largest body {biggest:.1f} MB; re-run {len(em.requests)} requests, {again:6.2f} s; cell by cell would be {n * 7:,} writes | "
                + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items())) + f" | {verdict}")
    finally:
        em.stop()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10, 1_000, 50_000]
    failed = False
    for size in sizes:
        line = run(size)
        print(line, flush=True)
        failed |= not line.endswith("| ok")
    sys.exit(1 if failed else 0)

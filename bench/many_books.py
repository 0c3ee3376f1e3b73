"""Many workbooks against one service account's Sheets quota: what the many-workbooks workflow does.

N Google Sheets (each its own emulator from tests/ on 127.0.0.1, all sharing ONE quota, as the sheets of
one service account share Google's 60 requests a minute per user) are synced by `sheet-sync sync`
processes, K at a time (the workflow's max-parallel), as the matrix's runners would. Every run must
complete (exit code 0), and a second pass the same day must send nothing: no reminder twice. Then
`sheet-sync portfolio` reads the N reports.

Prints the requests Google would count, the 429s answered (each one a retry by the client, which waits
as long as Retry-After says), wall time, the slowest run, and the exit codes; exits 1 if a run failed or
anything was sent twice.

    python bench/many_books.py [--books 100] [--parallel 8] [--limit 60] [--window 60]

`--window` shortens Google's minute to try it quickly (`--window 6`: ten times faster, the same
requests and 429s, proportionally); Retry-After is in whole seconds, as Google sends it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sheets_emulator import Emulator, Quota  # noqa: E402
from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, sheet_config  # noqa: E402

AS_OF = date(2026, 11, 23)  # a Monday: a sending day


def book_rows(i: int) -> list[list]:
    """Six invoices: two due a reminder today (gentle, upcoming), one paid, three current."""
    return [
        invoice(f"B{i:03d}-1", "C1", due=AS_OF - timedelta(days=2), amount=1000 + i),
        invoice(f"B{i:03d}-2", "C2", due=AS_OF + timedelta(days=3), amount=500000, currency="KRW"),
        invoice(f"B{i:03d}-3", "C3", due=AS_OF - timedelta(days=40), amount=800, currency="CNY", paid=800,
                paid_date=AS_OF - timedelta(days=35)),
        *(invoice(f"B{i:03d}-{k}", "C1", due=AS_OF + timedelta(days=20 + k), amount=100 * k) for k in (4, 5, 6)),
    ]


def sync(config: Path, report: Path, env: dict) -> tuple[int, float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sheet_sync", "sync", "--config", str(config), "--as-of",
                           AS_OF.isoformat(), "--report", str(report)], capture_output=True, text=True, env=env,
                          timeout=1800)
    return done.returncode, time.perf_counter() - started, done.stderr.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--books", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--limit", type=int, default=60, help="requests per user per window (Google: 60)")
    parser.add_argument("--window", type=float, default=60.0, help="the quota's window in seconds (Google: 60)")
    args = parser.parse_args()

    quota = Quota(limit=args.limit, window=args.window)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "SHEET_SYNC_", "GITHUB_"))}
    emulators = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        configs = []
        for i in range(args.books):
            em = Emulator(key=f"book{i:03d}-sheet-key").start()
            em.quota = quota
            em.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
            em.add_sheet("Invoices", [INVOICE_HEADERS, *book_rows(i)])
            folder = root / "books" / f"book{i:03d}"
            folder.mkdir(parents=True)
            sheet_config(folder, em)
            emulators.append(em)
            configs.append(folder / "sheet-sync.toml")
        try:
            passes = []
            for name in ("first pass", "second pass, same day"):
                before = (quota.admitted, quota.refused)
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=args.parallel) as pool:
                    runs = list(pool.map(lambda c: sync(c, c.parent / "report.json", env), configs))
                wall = time.perf_counter() - started
                codes = Counter(code for code, _, _ in runs)
                sent = sum(len(json.loads((c.parent / "report.json").read_text(encoding="utf-8")).get("sent", []))
                           for c in configs)
                passes.append((name, quota.admitted - before[0], quota.refused - before[1], wall,
                               max(s for _, s, _ in runs), codes, sent, [e for code, _, e in runs if code]))
            eml = Counter()
            for c in configs:
                for path in (c.parent / "outbox").glob("*.eml"):
                    eml[(c.parent.name, path.name)] += 1
            per_book = Counter(book for book, _ in eml)
            portfolio = subprocess.run([sys.executable, "-m", "sheet_sync", "portfolio",
                                        *(str(c.parent / "report.json") for c in configs)],
                                       capture_output=True, text=True, env=env, timeout=300)
        finally:
            for em in emulators:
                em.stop()

    print(f"{args.books} Google Sheets, {args.parallel} syncs at a time, one quota of {args.limit} requests per "
          f"{args.window:g} s")
    print("| pass | requests counted | 429s answered (retries) | wall time | slowest run | exit codes | reminders sent |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for name, admitted, refused, wall, slowest, codes, sent, _ in passes:
        shown = ", ".join(f"{code}: {n}" for code, n in sorted(codes.items()))
        print(f"| {name} | {admitted} | {refused} | {wall:.1f} s | {slowest:.1f} s | {shown} | {sent} |")
    failures = [e for *_, errors in passes for e in errors]
    for error in sorted(set(failures))[:5]:
        print(f"  failed: {error}")
    twice = [book for book, n in per_book.items() if n != 2]
    print(f"outbox: {sum(eml.values())} messages over {len(per_book)} books "
          f"({'2 each: gentle and upcoming, none twice' if not twice else f'{len(twice)} books without exactly 2'})")
    print(f"portfolio of the reports: exit {portfolio.returncode}; {portfolio.stdout.splitlines()[0] if portfolio.stdout else portfolio.stderr}")
    ok = not failures and not twice and passes[1][6] == 0 and portfolio.returncode == 0
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The surgical writer against the openpyxl writer, and both against reading the same file with pandas.

For each size, builds a workbook of n invoices (tests/workbooks.many_invoices), runs a first sync, then
times whole processes on copies of that synced file, side by side in one run (median of 3):

- `sheet-sync sync` re-run the same day (nothing to send), with the surgical writer and with openpyxl
  (`SHEET_SYNC_EXCEL_WRITER=openpyxl`);
- the same re-run a day later (every Days Overdue changes), surgical;
- `pandas.read_excel(..., engine="calamine")` of every sheet of the same file.

and prints the wall times and each sync's ratio to the pandas read.

    python bench/excel_writers.py [SIZES...]      (default: 10000)
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from workbooks import many_invoices, simple_book, write_config  # noqa: E402

from sheet_sync import api  # noqa: E402

AS_OF = date(2026, 11, 23)
RUNS = 3
READ_ALL = ("import sys, pandas as pd\n"
            "with pd.ExcelFile(sys.argv[1], engine='calamine') as book:\n"
            "    [pd.read_excel(book, sheet_name=s, header=None) for s in book.sheet_names]\n")


def _wall(cmd: list[str], env: dict[str, str] | None = None, before=None) -> float:
    times = []
    for _ in range(RUNS):
        if before:
            before()
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
    return statistics.median(times)


def run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clients, rows = many_invoices(n, AS_OF)
        book = simple_book(folder / "book.xlsx", rows, clients)
        config = write_config(folder, book)
        first = api.sync(config, as_of=AS_OF)
        assert first.writer == "surgical", first.writer
        synced = folder / "synced.xlsx"
        shutil.copy(book, synced)

        def restore() -> None:
            shutil.copy(synced, book)
            for leftover in folder.glob(".book.sheet-sync-journal*"):
                leftover.unlink()

        sync = [sys.executable, "-m", "sheet_sync", "sync", "--config", str(folder / "sheet-sync.toml"), "--as-of"]
        env = dict(os.environ)
        out = {
            "read": _wall([sys.executable, "-c", READ_ALL, str(synced)]),
            "surgical": _wall(sync + [AS_OF.isoformat()], {**env, "SHEET_SYNC_EXCEL_WRITER": "surgical"}, restore),
            "openpyxl": _wall(sync + [AS_OF.isoformat()], {**env, "SHEET_SYNC_EXCEL_WRITER": "openpyxl"}, restore),
            "next day": _wall(sync + [(AS_OF + timedelta(days=1)).isoformat()],
                              {**env, "SHEET_SYNC_EXCEL_WRITER": "surgical"}, restore),
            "MB": synced.stat().st_size / 1e6,
        }
    return out


def main(sizes: list[int]) -> None:
    print(f"{'invoices':>9} {'file':>7} {'pandas read':>11} {'surgical re-run':>20} {'openpyxl re-run':>20} "
          f"{'surgical next day':>20}")
    for n in sizes:
        r = run(n)
        cell = lambda k: f"{r[k]:6.2f} s ({r[k] / r['read']:4.1f}x)"  # noqa: E731
        print(f"{n:>9,} {r['MB']:5.1f}MB {r['read']:9.2f} s {cell('surgical'):>20} {cell('openpyxl'):>20} "
              f"{cell('next day'):>20}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])

"""One measured task in a process of its own, for bench/sync_bench.py: it runs the task and writes its own
peak memory and what the task returned to a JSON file.

The peak is Linux's VmHWM (/proc/self/status), the high-water mark of this program's own memory. Not
getrusage's ru_maxrss: Linux keeps that across fork and exec, so a process started by the bench (which has
just built and synced a 100,000-invoice workbook itself, over 1 GB) reported the bench's size, not its own.

    python bench/measure_one.py OUT.json sync CONFIG AS_OF      the CLI's `sheet-sync sync` (a re-run)
    python bench/measure_one.py OUT.json calamine BOOK          pandas.read_excel(every sheet, engine="calamine")
    python bench/measure_one.py OUT.json openpyxl BOOK COPY     openpyxl load_workbook + save to COPY

The wall time is taken by the caller around the whole process (start-up and imports included), as a user
sees a scheduled run.
"""
from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def peak_mb() -> float:
    """This program's peak resident memory in MB: VmHWM where Linux gives it, else ru_maxrss (KiB on Linux, bytes
    on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def sync(config: str, as_of: str) -> dict:
    from sheet_sync.cli import main

    report = Path(config).with_name("bench-report.json")
    code = main(["sync", "--config", config, "--as-of", as_of, "--report", str(report)])
    data = json.loads(report.read_text(encoding="utf-8"))
    return {"exit_code": code, "stage_seconds": data.get("stage_seconds", {}), "sent": len(data.get("sent", [])),
            "invoices": data.get("invoices_read"), "writer": data.get("writer", "")}


def calamine(book: str) -> dict:
    import pandas as pd

    sheets = pd.read_excel(book, sheet_name=None, engine="calamine", header=None)
    return {"cells": int(sum(df.size for df in sheets.values()))}


def openpyxl_round_trip(book: str, copy: str) -> dict:
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb.save(copy)
    return {}


if __name__ == "__main__":
    out, task, *args = sys.argv[1:]
    result = {"sync": sync, "calamine": calamine, "openpyxl": openpyxl_round_trip}[task](*args)
    result["maxrss_mb"] = peak_mb()
    Path(out).write_text(json.dumps(result), encoding="utf-8")

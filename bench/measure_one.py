"""One measured task in a process of its own, for bench/sync_bench.py: it runs the task and writes its own
peak memory (getrusage(RUSAGE_SELF).ru_maxrss) and what the task returned to a JSON file.

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
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    Path(out).write_text(json.dumps(result), encoding="utf-8")

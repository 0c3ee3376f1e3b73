"""Writes sample_workbook.xlsx at the top of the repository: the demo workbook as of Monday 2026-11-23.

This script made the committed file: `python scripts/make_sample_workbook.py`.
"""
from datetime import date
from pathlib import Path

from sheet_sync.demo_data import build_demo_workbook

if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "sample_workbook.xlsx"
    build_demo_workbook(out, date(2026, 11, 23))
    print(f"wrote {out}")

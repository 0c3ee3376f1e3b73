"""A sync that sends nothing loads only what it uses: no pandas, no Jinja2, no openpyxl, no mail or Google
libraries (they cost a re-run of a large workbook a good part of its time)."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

from workbooks import invoice, simple_book, write_config

HEAVY = ("pandas", "jinja2", "openpyxl", "yagmail", "gspread", "google.auth", "babel.dates", "imapclient", "email.policy",
         "numpy")


def test_a_sync_that_sends_nothing_loads_no_heavy_library(tmp_path):
    as_of = date(2026, 11, 23)
    book = simple_book(tmp_path / "book.xlsx", [invoice("INV-1", due=as_of + timedelta(days=20))])
    write_config(tmp_path, book)
    code = ("import sys, datetime; from sheet_sync import api; from sheet_sync.config import load_config; "
            f"r = api.sync(load_config(sys.argv[1]), as_of=datetime.date(2026, 11, 23)); "
            f"print(r.writer, r.messages, sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "sheet-sync.toml")], capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "surgical () []\n"), done.stderr


def test_the_surgical_writer_knows_excels_builtin_formats_as_openpyxl_does():
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    from sheet_sync.backends import xlsx_styles

    assert xlsx_styles.BUILTIN_FORMATS == BUILTIN_FORMATS

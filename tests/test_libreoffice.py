"""The workbook sheet-sync saves, opened by a real spreadsheet program: LibreOffice Calc, headless.

openpyxl drops the saved results of formulas; sheet-sync puts the owner's back and asks for a
recalculation on open. Here LibreOffice opens the saved file and exports every sheet as it shows them:
the owner's formulas compute, the tool columns and sheets are there, dates are dates.

CI installs LibreOffice (.ci/run) and sets SHEET_SYNC_REQUIRE_LIBREOFFICE=1, so there this test
cannot skip; on a machine without it, it is skipped with the command that installs it.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess

import pytest

from sheet_sync import api
from test_sync_excel import AS_OF, owner_book

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


@pytest.fixture
def soffice():
    if SOFFICE is None:
        if os.environ.get("SHEET_SYNC_REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice is not installed: apt-get install libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    return SOFFICE


def as_shown(soffice: str, workbook, folder) -> dict[str, list[list[str]]]:
    """Every sheet as LibreOffice shows it after opening `workbook`."""
    out = folder / "csv"
    profile = folder / "lo-profile"  # its own profile: no clash with another LibreOffice
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           ALL_SHEETS_CSV, "--outdir", str(out), str(workbook)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in out.glob(f"{workbook.stem}-*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            sheets[path.stem[len(workbook.stem) + 1:]] = list(csv.reader(fh))
    return sheets


def test_libreoffice_opens_the_saved_workbook_and_computes_the_owners_formulas(tmp_path, config_for, soffice):
    wb = owner_book(tmp_path / "book.xlsx")
    api.sync(config_for(wb), as_of=AS_OF)
    shown = as_shown(soffice, wb, tmp_path)
    assert set(shown) == {"Clients", "Invoices", "My Notes", "Aging", "Aging Summary", "Reminder Log"}

    invoices = shown["Invoices"]
    headers = invoices[0]
    rows = {r[0]: dict(zip(headers, r)) for r in invoices[1:] if r and r[0]}
    assert rows["A-1"]["My Margin"] == "300"  # =F2*0.3, computed by LibreOffice
    assert rows["A-2"]["My Margin"] == "360000"
    assert rows["A-3"]["My Margin"] == "#VALUE!"  # 'abc' * 0.3: the owner's own formula, really evaluated
    assert (rows["A-1"]["Balance"], rows["A-1"]["Sync Status"], rows["A-1"]["Due Date"]) == ("1000", "Overdue", "2026-11-21")
    assert rows["A-3"]["Sync Notes"].startswith("Invoices!F4: 'abc' is not an amount")
    assert shown["My Notes"] == [["keep me", "", "", "merged"], ["", "2", "", ""]]  # =1+1; D1:E1 merged

    aging = {r[2]: r for r in shown["Aging"][1:]}
    assert aging["A-2"][4] == "2026-10-04"  # shown as a date, not a serial number
    summary = shown["Aging Summary"]
    assert ["TOTAL", "All clients (USD)", "USD"] == summary[[r[0] for r in summary].index("TOTAL") + 1][:3]
    log = shown["Reminder Log"]
    assert [(r[1], r[3], r[8]) for r in log[1:]] == [("A-1", "gentle", "sent"), ("A-2", "gentle", "sent")]

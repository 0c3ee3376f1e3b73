"""A small .xlsx whose sheet unpacks to far more than its rows (blank space, empty rows): the run is bounded
in memory and time. Beyond MAX_PART_BYTES it is refused in one sentence, before anything is sent or written;
below it, it is read and written back like any workbook. The 1 GB case itself is measured by
bench/whitespace_bomb.py (refused in 0.5 s, 51 MB)."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import openpyxl
import pytest

from sheet_sync.backends import excel_read
from sheet_sync.cli import main
from owner_snapshot import owner_snapshot
from workbooks import (
    CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, make_workbook, pad_sheet, understate_size, write_config,
)
import needs

AS_OF = date(2026, 11, 23)
DUE = AS_OF - timedelta(days=2)


def book(tmp_path):
    return make_workbook(tmp_path / "book.xlsx", {
        "Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS],
        "Invoices": [INVOICE_HEADERS, invoice("A", due=DUE), invoice("B", "C3", due=DUE, currency="CNY")],
        "Notes": [["the owner's own sheet"]],
    })


@pytest.mark.parametrize("sheet", ["Invoices", "Clients", "Notes"])
def test_a_sheet_that_unpacks_beyond_the_bound_is_refused_in_one_sentence(tmp_path, capsys, monkeypatch, sheet):
    monkeypatch.setattr(excel_read, "MAX_PART_BYTES", 4_000_000)
    wb = pad_sheet(book(tmp_path), sheet, 5_000_000)
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2 and "unexpected" not in err
    assert f"The {sheet} sheet of book.xlsx unpacks to 5.0 MB (from " in err and "blank space" in err, err
    assert err.strip().count("\n") == 0 and err.strip().endswith("save it again.")  # one sentence, no traceback
    assert wb.read_bytes() == before and not (tmp_path / "outbox").exists()


@needs.proc_status
def test_a_sheet_just_beyond_the_real_bound_is_refused_quickly_in_little_memory(tmp_path):
    """The bound as shipped, in a process of its own: 260 MB of blank space is refused in well under the
    time and memory that reading it would take (about 9 s and 1 GB)."""
    wb = pad_sheet(book(tmp_path), "Invoices", 260_000_000)
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    # VmHWM, not ru_maxrss: the latter keeps, across exec, the size of the forked pytest process
    child = ("import json, re, sys\nfrom pathlib import Path\nfrom sheet_sync.cli import main\n"
             "code = main(['sync', '--config', sys.argv[1], '--as-of', sys.argv[2]])\n"
             "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', Path('/proc/self/status').read_text()).group(1)\n"
             "print(json.dumps([code, int(hwm) / 1024]))")
    proc = subprocess.run([sys.executable, "-c", child, str(tmp_path / "sheet-sync.toml"), AS_OF.isoformat()],
                          capture_output=True, text=True, timeout=60)
    code, peak_mb = json.loads(proc.stdout.strip().splitlines()[-1])
    assert code == 2 and "unpacks to 260 MB" in proc.stderr and "250 MB at most" in proc.stderr, proc.stderr
    assert peak_mb < 150, peak_mb  # about 50 MB measured; reading the sheet took about 1 GB
    assert wb.read_bytes() == before and not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("padding", ["blank space", "formatted empty rows"])
def test_a_padded_sheet_under_the_bound_is_read_and_written_back(tmp_path, capsys, padding):
    wb = book(tmp_path)
    if padding == "blank space":
        pad_sheet(wb, "Invoices", 10_000_000)
    else:
        pad_sheet(wb, "Invoices", chunks=[b"".join(b'<row r="%d" ht="15" customHeight="1"/>' % n
                                                   for n in range(4, 20_004))])
    write_config(tmp_path, wb)
    before = owner_snapshot(wb)
    for run in (1, 2):
        code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()])
        err = capsys.readouterr().err
        assert code == 0 and "unexpected" not in err, err
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2  # both sent on the first run, none again
    rows = {r[0]: r for r in openpyxl.load_workbook(wb)["Invoices"].iter_rows(min_row=2, max_row=3, values_only=True)}
    assert rows["A"][len(INVOICE_HEADERS) + 3] == "Overdue"  # Sync Status, after Balance, Days, Bucket
    assert owner_snapshot(wb) == before


def test_a_sheet_that_unpacks_to_more_than_the_zip_says_is_one_sentence(tmp_path, capsys):
    """The zip declares 5 kB for a sheet that unpacks to 50 MB: the size check cannot see it, and the reader
    stops at the declared size; a sentence naming the sheet, never the catch-all, nothing sent or written."""
    wb = understate_size(pad_sheet(book(tmp_path), "Invoices", 50_000_000), "Invoices")
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2 and "unexpected" not in err and "Cannot read the Invoices sheet of book.xlsx" in err, err
    assert wb.read_bytes() == before and not (tmp_path / "outbox").exists()

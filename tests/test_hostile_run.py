"""Hostile moments of a run on a real .xlsx: a SIGKILL in the middle of the save, the owner sorting the
Reminder Log while a run goes, rich text and images on the owner's sheets, merged cells inside the tool's
column. Each asserts no `unexpected error`, the owner's work unchanged (owner_snapshot), nothing sent twice,
nothing `unconfirmed` that never started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from sheet_sync.cli import main
from owner_snapshot import owner_snapshot
from workbooks import invoice, simple_book, write_config

AS_OF = date(2026, 11, 23)  # a Monday
DUE = AS_OF - timedelta(days=2)


def log_rows(wb: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(wb)["Reminder Log"]
    h = [c.value for c in ws[1]]
    return sorted((r[h.index("Invoice No")], r[h.index("Stage")], r[h.index("State")], r[h.index("Message ID")])
                  for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None)


def sync(config: Path, as_of: date = AS_OF) -> int:
    return main(["sync", "--config", str(config), "--as-of", as_of.isoformat()])


def test_a_sigkill_in_the_middle_of_the_save_leaves_the_workbook_whole_and_no_copy_behind(tmp_path, capsys):
    """The run is killed after half the new file is written: the workbook is the owner's as it was, the
    partial copy is cleared by the next run, whose Reminder Log gets the killed run's sends from the journal
    (sent, not unconfirmed: they finished), and nothing is sent twice."""
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE), invoice("B", "C3", due=DUE, currency="CNY")])
    write_config(tmp_path, wb)
    before_bytes, before = wb.read_bytes(), owner_snapshot(wb)
    child = textwrap.dedent(f"""
        import os, signal, sys
        from sheet_sync.backends import xlsx_surgical
        from sheet_sync.cli import main
        original = xlsx_surgical._Edit.write
        def killed_half_way(self, fh):
            original(self, fh)
            fh.truncate(fh.tell() // 2)
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        xlsx_surgical._Edit.write = killed_half_way
        main(["sync", "--config", sys.argv[1], "--as-of", "{AS_OF.isoformat()}"])
    """)
    proc = subprocess.run([sys.executable, "-c", child, str(tmp_path / "sheet-sync.toml")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = list(tmp_path.glob(".book.*.xlsx"))
    assert len(left) == 1 and left[0].stat().st_size > 0  # killed mid-save: the partial copy is there
    assert wb.read_bytes() == before_bytes and len(list((tmp_path / "outbox").glob("*.eml"))) == 2

    assert sync(tmp_path / "sheet-sync.toml") == 0
    err = capsys.readouterr().err
    assert "unexpected" not in err
    assert not list(tmp_path.glob(".book.*.xlsx"))
    assert [(r[0], r[1], r[2]) for r in log_rows(wb)] == [("A", "gentle", "sent"), ("B", "gentle", "sent")]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert owner_snapshot(wb) == before

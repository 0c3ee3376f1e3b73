"""The command line as a user runs it: `python -m sheet_sync ...` in a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl

from sheet_sync.cli import COMMANDS, build_parser
from workbooks import invoice, simple_book, write_config
import needs

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 23)


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sheet_sync", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name, parser in sub.choices.items():
        assert parser.description and len(parser.description) > 20, name
        assert f"sheet-sync {name}" in readme, name


@needs.pdf_tools
def test_demo_in_an_empty_folder(tmp_path):
    proc = run("demo", tmp_path / "demo")
    assert proc.returncode == 0, proc.stderr
    assert "reminders sent:" in proc.stdout and proc.stderr == ""
    out = tmp_path / "demo"
    stages = {p.stem.rsplit("-", 1)[1] for p in (out / "outbox").glob("*.eml")}
    assert stages == {"upcoming", "gentle", "firm", "final"}
    wb = openpyxl.load_workbook(out / "invoices.xlsx")
    assert {"Aging", "Aging Summary", "Reminder Log", "Notes"} <= set(wb.sheetnames)
    # and the demo's config works with the other commands
    assert run("check", cwd=out).returncode == 1  # the demo has deliberate problems
    preview = run("preview", "INV-2026-0001", "--stage", "firm", cwd=out)
    assert preview.returncode == 0 and "Subject: Overdue: invoice INV-2026-0001" in preview.stdout
    assert "\nAttached: INV-2026-0001.pdf (the invoice PDF" in preview.stdout
    assert "Attached:" not in run("preview", "INV-2026-0001", "--stage", "upcoming", cwd=out).stdout
    assert run("invoice", "INV-2026-0001", cwd=out).returncode == 0
    assert (out / "INV-2026-0001.pdf").read_bytes().startswith(b"%PDF-")


def test_exit_codes_and_one_sentence_errors(tmp_path):
    proc = run("sync", "--config", tmp_path / "missing.toml")
    assert proc.returncode == 2
    assert proc.stderr == (f"sheet-sync: No config file at {tmp_path / 'missing.toml'}; copy config.example.toml to "
                           "missing.toml and edit it.\n")
    bad = tmp_path / "bad.toml"
    bad.write_text('[mail]\ntransprt = "smtp"\n', encoding="utf-8")
    proc = run("sync", "--config", bad)
    assert proc.returncode == 2 and "unknown key mail.transprt" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("sync", "--config", bad, "--debug")
    assert "Traceback" in proc.stderr
    proc = run("sync", "--as-of", "next friday")
    assert proc.returncode == 2 and "'next friday' is not a date" in proc.stderr

    wb = simple_book(tmp_path / "book.xlsx", [invoice("X-1", due=AS_OF - timedelta(days=2))])
    write_config(tmp_path, wb)
    cfg = tmp_path / "sheet-sync.toml"
    proc = run("sync", "--config", cfg, "--as-of", AS_OF, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["reminders_by_stage"] == {"gentle": 1} and data["totals"]["USD"]["1-30"] == "1000.00"

    wb = simple_book(tmp_path / "book.xlsx", [invoice("X-2", due=AS_OF, amount="lots")])
    proc = run("sync", "--config", cfg, "--as-of", AS_OF)
    assert proc.returncode == 1
    assert "Invoices!F2: 'lots' is not an amount. Write a number like 1250.00." in proc.stdout


def test_check_writes_nothing_and_lists_problems_with_cells(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("K-1", due=None, issue="next week"),
                                              invoice("K-2", "C9", due=AS_OF)])
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    proc = run("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert "problem: Invoices!C2: 'next week' is not a date. Write it as 2026-11-30 or 30/11/2026." in proc.stdout
    assert "problem: Invoices!B3: client 'C9' is not on the Clients sheet" in proc.stdout
    assert wb.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "sheet-sync.toml"]


def test_dry_run_prints_what_it_would_send(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("D-1", "C2", due=AS_OF + timedelta(days=3), currency="KRW",
                                                      amount=1200000)])
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    proc = run("sync", "--dry-run", "--as-of", AS_OF, cwd=tmp_path)
    assert proc.returncode == 0
    assert "dry run: nothing written, nothing sent" in proc.stdout
    assert "reminders would send: 1 (upcoming 1)" in proc.stdout
    assert "KRW  total ₩1,200,000" in proc.stdout
    assert wb.read_bytes() == before

"""Hostile moments of a run on a real .xlsx: a SIGKILL in the middle of the save, the owner sorting the
Reminder Log while a run goes, rich text and images on the owner's sheets, merged cells inside the tool's
column. Each asserts no `unexpected error`, the owner's work unchanged (owner_snapshot), nothing sent twice,
nothing `unconfirmed` that never started."""
from __future__ import annotations

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
from workbooks import invoice, rich_text_cell, simple_book, write_config
import needs

AS_OF = date(2026, 11, 23)  # a Monday
DUE = AS_OF - timedelta(days=2)


def log_rows(wb: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(wb)["Reminder Log"]
    h = [c.value for c in ws[1]]
    return sorted((r[h.index("Invoice No")], r[h.index("Stage")], r[h.index("State")], r[h.index("Message ID")])
                  for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None)


def sync(config: Path, as_of: date = AS_OF) -> int:
    return main(["sync", "--config", str(config), "--as-of", as_of.isoformat()])


@needs.sigkill
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


def _rich_book(tmp_path: Path) -> Path:
    """The rich workbook (a drawing with a shape and an image on My Notes, a chart, a table, comments...) with
    rich text in an owner cell of Invoices and of Clients."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import make_rich_workbook as rich

    wb = rich.make(tmp_path / "book.xlsx")
    rich_text_cell(wb, "Invoices", "J2", [(True, "Thank you"), (False, " for your business!")])
    rich_text_cell(wb, "Clients", "B2", [(False, "Acme "), (True, "Ltd")])
    return wb


def test_the_snapshot_sees_rich_text_flattened_and_an_image_changed(tmp_path):
    """owner_snapshot can fail on what this file's cases rely on it for."""
    import zipfile

    wb = _rich_book(tmp_path)
    before = owner_snapshot(wb)
    rich_text_cell(wb, "Invoices", "J2", [(False, "Thank you for your business!")])  # flattened: the same text
    assert owner_snapshot(wb)["Invoices!J2"] != before["Invoices!J2"]
    wb = _rich_book(tmp_path)
    with zipfile.ZipFile(wb) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(wb, "w") as z:
        for info, data in members:
            z.writestr(info, data[:-1] + b"\x00" if info.filename.endswith(".png") else data)
    assert owner_snapshot(wb)["My Notes: drawing parts"] != before["My Notes: drawing parts"]


def test_rich_text_and_images_survive_two_syncs(tmp_path, capsys):
    wb = _rich_book(tmp_path)
    write_config(tmp_path, wb)
    before = owner_snapshot(wb)
    assert before["My Notes: drawing parts"] and before["Invoices!J2"]["value"][0] == "rich text"
    codes = [sync(tmp_path / "sheet-sync.toml"), sync(tmp_path / "sheet-sync.toml", AS_OF + timedelta(days=1))]
    err = capsys.readouterr().err
    assert "unexpected" not in err and all(code in (0, 1) for code in codes), err
    assert owner_snapshot(wb) == before
    log = log_rows(wb)
    sent = [(no, stage) for no, stage, state, _ in log if state == "sent"]
    assert sent and len(sent) == len(set(sent)) and "unconfirmed" not in [r[2] for r in log]  # each stage once
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == len({m for _, _, state, m in log if state == "sent"})


@pytest.mark.parametrize("writer", ["surgical", "openpyxl"])
def test_the_owner_merging_cells_inside_sync_notes_stops_nothing(tmp_path, capsys, monkeypatch, writer):
    """After a first run, the owner merges two rows' Sync Notes cells (and two Balance cells): the next runs
    write around the merge, every run, and send nothing twice."""
    monkeypatch.setenv("SHEET_SYNC_EXCEL_WRITER", writer)
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE), invoice("B", due=DUE - timedelta(days=1)),
                                              invoice("C", "C3", due=DUE, currency="CNY")])
    write_config(tmp_path, wb)
    assert sync(tmp_path / "sheet-sync.toml") == 0
    book = openpyxl.load_workbook(wb)
    ws = book["Invoices"]
    h = [c.value for c in ws[1]]
    notes, balance = h.index("Sync Notes") + 1, h.index("Balance") + 1
    ws.merge_cells(start_row=2, end_row=3, start_column=notes, end_column=notes)
    ws.merge_cells(start_row=3, end_row=4, start_column=balance, end_column=balance)
    book.save(wb)
    before = owner_snapshot(wb)
    sent = len(list((tmp_path / "outbox").glob("*.eml")))
    for day in (AS_OF, AS_OF + timedelta(days=1)):
        code = sync(tmp_path / "sheet-sync.toml", day)
        err = capsys.readouterr().err
        assert code == 0 and "unexpected" not in err, err
        assert owner_snapshot(wb) == before
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == sent
    assert "unconfirmed" not in [r[2] for r in log_rows(wb)]


def test_the_owner_sorting_the_reminder_log_mid_run_keeps_each_outcome_on_its_row(tmp_path, capsys, monkeypatch):
    """A `pending` row left by a run that stopped mid-send becomes `unconfirmed` on the next run; the owner
    sorts the Reminder Log (newest first) between that run's read and its write: the outcome lands on the
    row with its Message ID, not on whatever row now stands where it was read, and nothing is sent again."""
    from sheet_sync.backends.excel import ExcelBackend

    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE), invoice("B", "C3", due=DUE, currency="CNY"),
                                              invoice("D", "C2", due=DUE, currency="KRW", amount=500000)])
    write_config(tmp_path, wb)
    assert sync(tmp_path / "sheet-sync.toml") == 0
    book = openpyxl.load_workbook(wb)
    ws = book["Reminder Log"]
    h = [c.value for c in ws[1]]
    row_of_a = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, h.index("Invoice No") + 1).value == "A")
    ws.cell(row_of_a, h.index("State") + 1).value = "pending"  # as a run that died mid-send leaves it
    book.save(wb)
    before = log_rows(wb)
    original = ExcelBackend.apply

    def owner_sorts_the_log_first(self, plan):
        book = openpyxl.load_workbook(wb)
        ws = book["Reminder Log"]
        rows = sorted(([c.value for c in r] for r in ws.iter_rows(min_row=2)), key=lambda r: str(r[1]), reverse=True)
        for r, values in enumerate(rows, start=2):
            for c, v in enumerate(values, start=1):
                ws.cell(r, c).value = v
        book.save(wb)
        return original(self, plan)

    monkeypatch.setattr(ExcelBackend, "apply", owner_sorts_the_log_first)
    code = sync(tmp_path / "sheet-sync.toml")
    err = capsys.readouterr().err
    # exit 3: the run found an earlier run's send unconfirmed (the scheduled job shows it; nothing is resent)
    assert "unexpected" not in err and code == 3, err
    after = log_rows(wb)
    assert [r[1:] for r in after if r[0] != "A"] == [r[1:] for r in before if r[0] != "A"]  # B's and D's rows as they were
    assert [(r[0], r[2], r[3]) for r in after if r[0] == "A"] == [("A", "unconfirmed", before[0][3])]
    assert [c.value for c in openpyxl.load_workbook(wb)["Reminder Log"]["B"][1:]] == ["D", "B", "A"]  # still sorted
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def test_an_internationalised_digest_address_over_smtp_fails_the_digest_only(tmp_path, capsys, ca, trusted_ca,
                                                                             monkeypatch):
    """`josé@example.com` as the owner's digest address and as a client's, on a server without SMTPUTF8: those
    two messages fail, in a sentence; every other reminder goes; a re-run sends nothing twice and never calls
    a send that never started `unconfirmed`."""
    from smtp_server import PASSWORD, SmtpServer, mail_toml

    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    clients = [["C1", "José SA", "josé@example.com", "", "", "en", "Net 30", ""],
               ["C3", "上海星辰", "finance@xingchen.example.cn", "", "王芳", "zh", "30天", ""]]
    wb = simple_book(tmp_path / "book.xlsx", [invoice("J-1", due=DUE), invoice("Z-1", "C3", due=DUE, currency="CNY")],
                     clients)
    with SmtpServer(ca) as server:
        write_config(tmp_path, wb, mail_toml(server.port, 'digest_to = "josé@example.com"',
                                             'security = "starttls"\ntimeout = 10'))
        before = owner_snapshot(wb)
        codes, outs = [], []
        for _ in range(2):
            codes.append(sync(tmp_path / "sheet-sync.toml"))
            out, err = capsys.readouterr()
            assert "unexpected" not in err + out, err
            outs.append(out)
        received = [r.message["X-Sheet-Sync-Invoice"] for r in server.received]
    assert codes == [3, 3]
    digest = [line for line in outs[0].splitlines() if line.strip().startswith("digest:")]
    assert len(digest) == 1 and "non-ASCII" in digest[0], outs[0]
    assert received.count("Z-1") == 1 and "J-1" not in received  # the digest went nowhere either
    states = {(no, stage): state for no, stage, state, _ in log_rows(wb)}
    assert states[("Z-1", "gentle")] == "sent" and states[("J-1", "gentle")] == "failed"
    assert "unconfirmed" not in states.values()
    assert owner_snapshot(wb) == before

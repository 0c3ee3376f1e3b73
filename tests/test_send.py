"""The send loop and its journal, under surprises: one message's failure is that message's, never the run's."""
from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pytest

from sheet_sync import api
from sheet_sync.cli import main
from sheet_sync.mail.outbox import OutboxTransport
from workbooks import invoice, simple_book

AS_OF = date(2026, 11, 23)
DUE = AS_OF - timedelta(days=2)


class OutboxThatBreaksOn(OutboxTransport):
    """The real outbox, except that one invoice's message hits a bug in the middle of being written."""

    def __init__(self, folder, invoice_no):
        super().__init__(folder)
        self.invoice_no = invoice_no

    def send(self, message, recipients):
        if message["X-Sheet-Sync-Invoice"] == self.invoice_no:
            raise RuntimeError("a surprise")
        return super().send(message, recipients)


def log_states(path):
    ws = openpyxl.load_workbook(path)["Reminder Log"]
    return {r[1]: r[8] for r in ws.iter_rows(min_row=2, values_only=True)}


def test_a_surprise_in_one_send_leaves_that_one_unconfirmed_and_the_run_goes_on(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE), invoice("B", "C2", due=DUE, currency="KRW",
                                                                             amount=50000), invoice("C", "C3", due=DUE)])
    config = config_for(wb)
    result = api.sync(config, as_of=AS_OF, transport=OutboxThatBreaksOn(tmp_path / "outbox", "B"))
    assert {m.invoice_no: m.state for m in result.messages} == {"A": "sent", "B": "unconfirmed", "C": "sent"}
    assert log_states(wb) == {"A": "sent", "B": "unconfirmed", "C": "sent"}
    assert result.exit_code == 3
    again = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [m.invoice_no for m in again.messages] == []  # never sent twice on its own


def test_a_journal_cut_mid_character_is_read_up_to_the_cut(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE)])
    config = config_for(wb)
    journal = tmp_path / ".book.sheet-sync-journal.jsonl"
    journal.write_bytes('{"logged_at": "2026-11-23T09:00:00+00:00", "invoice_no": "A", "client_id": "C1", '
                        '"stage": "gentle", "to": "x", "subject": "결제'.encode()[:-2])
    result = api.sync(config, as_of=AS_OF)
    assert [m.state for m in result.messages] == ["sent"]
    assert not journal.exists()


def test_a_journal_path_that_is_a_folder_stops_before_any_send(tmp_path, config_for, capsys):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE)])
    config_for(wb)
    (tmp_path / ".book.sheet-sync-journal.jsonl").mkdir()
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2 and "is a folder" in err and "unexpected" not in err
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").glob("*.eml"))


@pytest.mark.parametrize("where", ["folder", "missing/report.json"])
def test_a_report_that_cannot_be_written_is_refused_before_the_run(tmp_path, config_for, capsys, where):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=DUE)])
    config_for(wb)
    (tmp_path / "folder").mkdir()
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat(),
                 "--report", str(tmp_path / where)])
    err = capsys.readouterr().err
    assert code == 2 and "--report" in err and "unexpected" not in err
    assert not (tmp_path / "outbox").exists()

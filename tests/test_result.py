"""A run's result as plain data: `SyncResult.to_dict()` is what `--json`, `--report`, the job summary and the
digest read, and it carries every field of the result."""
from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from decimal import Decimal

from sheet_sync import api, cli
from sheet_sync.model import CellRef, Problem
from sheet_sync.result import Attention, CheckResult, Sent, SyncResult, problem_line
from workbooks import invoice, simple_book

AS_OF = date(2026, 11, 23)  # Monday


def test_sync_json_is_the_to_dict_of_the_same_run_and_has_every_field(tmp_path, config_for, monkeypatch, capsys):
    path = simple_book(tmp_path / "book.xlsx", [
        invoice("R-1", due=AS_OF - timedelta(days=2)),  # a gentle reminder
        invoice("R-2", due=AS_OF - timedelta(days=80), amount="2,400.00"),  # found late: gentle first
        invoice("R-3", due=AS_OF, amount="lots"),  # a problem
    ])
    config_for(path, '[mail]\ntransport = "outbox"\nfrom = "b@studio.example.com"\noutbox_dir = "outbox"\n'
                     'digest_to = "owner@studio.example.com"')
    runs: list[SyncResult] = []
    real_sync = api.sync

    def recording_sync(*args, **kwargs):  # the real run; only its result is kept for the comparison
        runs.append(real_sync(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(api, "sync", recording_sync)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    report = tmp_path / "report.json"
    code = cli.main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat(), "--json",
                     "--report", str(report)])

    [result] = runs
    printed = json.loads(capsys.readouterr().out)
    assert printed == result.to_dict() == json.loads(report.read_text(encoding="utf-8"))
    assert code == printed["exit_code"] == result.exit_code == 1
    assert {f.name for f in dataclasses.fields(SyncResult)} <= set(printed)
    assert printed["digest"] == "sent to owner@studio.example.com"
    assert printed["reminders_by_stage"] == {"gentle": 2}
    assert sorted(m["invoice_no"] for m in printed["sent"]) == ["R-1", "R-2"] and printed["failed"] == []
    assert printed["blocking_problems"] == [{"cell": "Invoices!F4", "invoice_no": "R-3", "blocking": True,
                                             "message": "'lots' is not an amount. Write a number like 1250.00."}]
    assert printed["labels"] == ["Current", "1-30", "31-60", "61-90", "90+"] and printed["sending_day"] is True


def test_to_dict_is_plain_json_ready_data():
    result = SyncResult(
        as_of=date(2026, 11, 23), workbook="invoices.xlsx", invoices_read=3,
        problems=(Problem(CellRef("Invoices", 4, 6), "'abc' is not an amount.", "INV-9"),
                  Problem(None, "A warning.", blocking=False)),
        totals={"USD": {"1-30": Decimal("1250.00"), "Total": Decimal("1250.00")}},
        labels=("Current", "1-30"),
        messages=(Sent("INV-1", "C1", "gentle", "a@x.example.com", "Reminder", "sent"),
                  Sent("INV-2", "C1", "firm", "a@x.example.com", "Reminder", "unconfirmed", "cut off"),
                  Sent("INV-4", "C2", "gentle", "b@x.example.com", "Reminder", "skipped", "over the daily cap")),
        needs_attention=("INV-3",), unconfirmed=("INV-2",), statuses={"Overdue": 2}, dry_run=False,
        transport="outbox",
        attention=(Attention("INV-3", "Client & Co", "USD", Decimal("480.00"), 45, "No payment."),),
    )
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data  # nothing json cannot hold, nothing that changes on the way
    assert data["as_of"] == "2026-11-23"
    assert data["totals"] == {"USD": {"1-30": "1250.00", "Total": "1250.00"}}
    assert data["problems"] == [
        {"cell": "Invoices!F4", "message": "'abc' is not an amount.", "invoice_no": "INV-9", "blocking": True},
        {"cell": None, "message": "A warning.", "invoice_no": "", "blocking": False}]
    assert [problem_line(p) for p in data["problems"]] == [str(p) for p in result.problems]
    assert data["attention"] == [{"invoice_no": "INV-3", "client": "Client & Co", "currency": "USD",
                                  "balance": "480.00", "days_overdue": 45, "reason": "No payment.", "write_off": False}]
    assert data["messages"][1] == {"invoice_no": "INV-2", "client_id": "C1", "stage": "firm", "to": "a@x.example.com",
                                   "subject": "Reminder", "state": "unconfirmed", "detail": "cut off",
                                   "message_id": ""}
    assert [m["invoice_no"] for m in data["sent"]] == ["INV-1"]
    assert [m["invoice_no"] for m in data["failed"]] == ["INV-2"]
    assert [m["invoice_no"] for m in data["skipped"]] == ["INV-4"]
    assert data["reminders_by_stage"] == {"gentle": 1}
    assert len(data["blocking_problems"]) == 1 and data["exit_code"] == 3

    check = CheckResult(result.problems, ("en/gentle.txt: a mistake",), 3, 2).to_dict()
    assert check == {"problems": data["problems"], "template_problems": ["en/gentle.txt: a mistake"], "invoices": 3,
                     "clients": 2, "exit_code": 1}


def test_the_renderers_and_the_digest_never_import_the_api():
    """api composes the run; what it composes (the digest, the results, the transports) never reaches back."""
    import subprocess
    import sys

    code = ("import sys, sheet_sync.digest, sheet_sync.job_summary, sheet_sync.result, sheet_sync.mail.transport; "
            "print(sorted(m for m in sys.modules if m in ('sheet_sync.api', 'sheet_sync.cli')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr

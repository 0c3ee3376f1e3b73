"""The scheduled run end to end: action.yml's sync step, run by bash as a GitHub runner runs it (the same
environment variables, a temporary GITHUB_STEP_SUMMARY and GITHUB_OUTPUT), with the secrets a workflow
passes, against the Sheets API emulator (a service account signing in with its key) and the local SMTP
server (STARTTLS, login). Nothing is faked but the runner itself."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

from sheets_emulator import Emulator, service_account_key
from smtp_server import PASSWORD, mail_toml
from workbooks import CLIENT_HEADERS, INVOICE_HEADERS, invoice
import needs

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 23)  # Monday
BASH_STEP = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # GitHub's `shell: bash`

CLIENTS = [
    ["C1", "Acme | <Ltd>", "ap@acme.example.com", "", "Dana", "en", "Net 30", ""],
    ["C2", "한빛상사", "billing@hanbit.example.co.kr", "", "김민수", "ko", "30일", ""],
]


def sync_step() -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    return next(s for s in steps if s.get("id") == "sync")["run"]


@needs.bash_steps
def test_the_actions_sync_step_against_the_sheet_emulator_and_smtp(tmp_path, smtp_server, ca):
    emulator = Emulator().start()
    try:
        key = service_account_key(emulator)
        emulator.shared_with = key["client_email"]
        emulator.add_sheet("Clients", [CLIENT_HEADERS, *CLIENTS])
        emulator.add_sheet("Invoices", [INVOICE_HEADERS,
                                        invoice("A-1", "C1", due=AS_OF - timedelta(days=2)),
                                        invoice("A-2", "C2", due=AS_OF - timedelta(days=9), currency="KRW", amount=990000),
                                        invoice("A-3", "C1", due=AS_OF - timedelta(days=4), amount="abc")])
        workspace = tmp_path / "workspace"
        workspace.mkdir()
        (workspace / "sheet-sync.toml").write_text(f"""
[business]
name = "Test Studio"
payment_instructions = "Bank transfer to account 123."
[workbook]
google_sheet = "https://docs.google.com/spreadsheets/d/{emulator.key}/edit"
{mail_toml(smtp_server.port, 'digest_to = "books@studio.example.com"')}""", encoding="utf-8")
        pem = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(pem))
        # `sheet-sync` on PATH is this checkout, as the action's install step would make it.
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "sheet-sync").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sheet_sync "$@"\n', encoding="utf-8")
        (bin_dir / "sheet-sync").chmod(0o755)
        (tmp_path / "step.sh").write_text(sync_step(), encoding="utf-8")
        runner_temp, summary, output = tmp_path / "runner-temp", tmp_path / "step_summary.md", tmp_path / "output"
        runner_temp.mkdir()
        summary.write_text("", encoding="utf-8")
        output.write_text("", encoding="utf-8")
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace), "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTION_PATH": str(ROOT),
            # the step's env: (the action's inputs)
            "SHEET_SYNC_CONFIG": "sheet-sync.toml", "SHEET_SYNC_DRY_RUN": "false", "SHEET_SYNC_AS_OF": AS_OF.isoformat(),
            # the workflow's env: (repository secrets and settings)
            "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(key), "SMTP_PASSWORD": PASSWORD,
            "SHEET_SYNC_GOOGLE_API_ENDPOINT": emulator.url, "SSL_CERT_FILE": str(pem),
        }
        done = subprocess.run([*BASH_STEP, str(tmp_path / "step.sh")], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=120)
        log = done.stdout + done.stderr
        outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)

        assert done.returncode == 0, log  # exit code 1 (a row problem) passes the step, with a warning
        assert outputs["exit-code"] == "1" and "::warning::" in done.stdout
        reminders = [r for r in smtp_server.received if not r.message["X-Sheet-Sync-Digest"]]
        assert sorted(r.message["X-Sheet-Sync-Invoice"] for r in reminders) == ["A-1", "A-2"]
        digest = [r for r in smtp_server.received if r.message["X-Sheet-Sync-Digest"]]
        assert len(digest) == 1 and digest[0].rcpt_tos == ["books@studio.example.com"]
        assert emulator.scopes_asked == ["https://www.googleapis.com/auth/spreadsheets"]

        md = summary.read_text(encoding="utf-8")
        assert md.startswith("## sheet-sync, 2026-11-23")
        assert "**3** invoices read · **2** reminders sent · **0** need a decision · **1** problems" in md
        assert "| USD | $0.00 | $1,000.00 |" in md and "| KRW | ₩0 | ₩990,000 |" in md
        assert md.count("```mermaid") == 2
        assert "| gentle | 2 |" in md  # A-2 is found 9 days late: it starts gently, too
        assert "| Invoices!F4 | 'abc' is not an amount" in md
        report = json.loads(Path(outputs["report"]).read_text(encoding="utf-8"))
        assert report["exit_code"] == 1 and report["digest"] == "sent to books@studio.example.com"
        for secret in (PASSWORD, key["private_key"].splitlines()[1]):
            assert secret not in log + md + json.dumps(report)

        statuses = {row[0]: row for row in emulator.values("Invoices")[1:]}
        headers = emulator.values("Invoices")[0]
        assert statuses["A-1"][headers.index("Sync Status")] == "Overdue"
    finally:
        emulator.stop()

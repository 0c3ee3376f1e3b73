"""The portfolio of many runs: the report it reads (`--report`), the rows, their order, the Markdown and
the .xlsx (read back with openpyxl). Pure stages in memory; one real sync per report test."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl

from sheet_sync import portfolio
from sheet_sync.portfolio_xlsx import write_xlsx
from sheet_sync.result import REPORT_FORMAT
from workbooks import invoice, simple_book, write_config

AS_OF = date(2026, 11, 23)
LABELS = ["Current", "1-30", "31-60", "61-90", "90+"]


def report(exit_code=0, business="Studio", totals=None, sent=0, failed=(), unconfirmed=(), attention=0,
           problems=0, **more) -> str:
    data = {
        "format_version": REPORT_FORMAT, "as_of": "2026-11-23", "workbook": "/books/x/invoices.xlsx",
        "workbook_name": "invoices.xlsx", "business": business, "exit_code": exit_code, "dry_run": False,
        "labels": LABELS, "totals": totals or {},
        "sent": [{"invoice_no": f"S{i}", "state": "sent"} for i in range(sent)],
        "failed": [{"invoice_no": no, "state": state} for no, state in failed],
        "unconfirmed": list(unconfirmed),
        "attention": [{"invoice_no": f"A{i}"} for i in range(attention)],
        "blocking_problems": [{"cell": f"Invoices!F{i + 2}", "message": "bad"} for i in range(problems)],
    }
    data.update(more)
    return json.dumps(data)


def usd(**buckets) -> dict:
    row = {label: "0.00" for label in LABELS}
    row.update({k.replace("_", "-"): v for k, v in buckets.items()})
    row["Total"] = str(sum(Decimal(v) for v in row.values()))
    return row


# ---- one report, one row -------------------------------------------------------------------------


def test_a_report_becomes_a_row_with_its_counts_and_totals():
    text = report(1, "Maple & Pine", {"USD": usd(Current="100.00", **{"1_30": "250.50"}),
                                      "KRW": {"Current": "0", "1-30": "800000", "Total": "800000"}},
                  sent=3, failed=[("I1", "failed"), ("I2", "unconfirmed")], unconfirmed=["I9"], attention=2,
                  problems=4)
    row = portfolio.read_report("reports/sheet-sync-report-maple/sheet-sync-report.json", text)
    assert row.label == "maple"
    assert (row.business, row.workbook, row.as_of, row.exit_code) == ("Maple & Pine", "invoices.xlsx", AS_OF, 1)
    assert (row.sent, row.failed, row.unconfirmed, row.decisions, row.problems) == (3, 1, 2, 2, 4)
    assert row.open_total == {"USD": Decimal("350.50"), "KRW": Decimal("800000")}
    assert row.totals["USD"]["1-30"] == Decimal("250.50")
    assert row.group == 1  # a failed send outranks the problems


def test_each_broken_input_is_a_row_that_says_so():
    missing = portfolio.read_report("r/a.json", None, "no report at r/a.json")
    assert (missing.label, missing.outcome, missing.exit_code, missing.group) == ("a", "no report", None, 0)
    assert missing.note == "no report at r/a.json"

    not_json = portfolio.read_report("b.json", "{not json")
    assert not_json.outcome == "unreadable report" and "b.json is not JSON" in not_json.note

    not_a_report = portfolio.read_report("c.json", '{"hello": 1}')
    assert "not a sheet-sync report" in not_a_report.note and not_a_report.group == 0

    bad_money = portfolio.read_report("d.json", report(0, totals={"USD": {"Total": "lots"}}))
    assert bad_money.outcome == "unreadable report" and "d.json has a value" in bad_money.note

    newer = portfolio.read_report("e.json", report(0, format_version=REPORT_FORMAT + 1))
    assert "written by a newer sheet-sync" in newer.note and newer.group == 0

    failed_run = portfolio.read_report("f.json", json.dumps({
        "format_version": 2, "exit_code": 2, "error": "No Google credentials.", "business": "Broken Co",
        "workbook": "", "workbook_name": "Google Sheet 1AbC", "as_of": None, "dry_run": False}))
    assert (failed_run.outcome, failed_run.note, failed_run.business) == ("could not run", "No Google credentials.",
                                                                            "Broken Co")
    assert failed_run.as_of is None and failed_run.group == 0


def test_an_older_report_is_read_and_says_it_is_older():
    data = json.loads(report(0, totals={"USD": usd(Current="5.00")}, sent=1))
    for key in ("format_version", "business", "workbook_name"):
        del data[key]
    row = portfolio.read_report("old.json", json.dumps(data))
    assert row.format_version == 1 and row.workbook == "/books/x/invoices.xlsx"
    assert row.sent == 1 and row.open_total == {"USD": Decimal("5.00")}
    assert "an older sheet-sync wrote this report" in row.note


# ---- the order -----------------------------------------------------------------------------------


def test_the_workbooks_that_need_the_bookkeeper_come_first():
    rows = [
        portfolio.read_report("well.json", report(0, "Zeta")),
        portfolio.read_report("decide.json", report(0, "Alpha", attention=1)),
        portfolio.read_report("problems.json", report(1, "Beta", problems=5)),
        portfolio.read_report("sends.json", report(3, "Gamma", failed=[("I1", "failed"), ("I2", "failed")])),
        portfolio.read_report("unconfirmed.json", report(0, "Delta", unconfirmed=["I3"])),
        portfolio.read_report("missing.json", None, "no report"),
        portfolio.read_report("crashed.json", report(2, "Omega", error="The workbook is open in Excel.")),
    ]
    order = [r.label for r in portfolio.build(rows)]
    assert order == ["missing", "crashed", "sends", "unconfirmed", "problems", "decide", "well"]


# ---- what the bookkeeper reads -----------------------------------------------------------------------


def test_markdown_has_a_row_each_escaped_and_no_sum_across_currencies():
    rows = portfolio.build([
        portfolio.read_report("a.json", report(0, "Evil | [click](https://x.example.com) <b>",
                                               {"USD": usd(Current="10.00"), "EUR": usd(Current="7.00")})),
        portfolio.read_report("b.json", None, "no report at b.json"),
    ])
    md = portfolio.markdown(rows)
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert table[1].startswith("| b |") and table[2].startswith("| a |")
    assert "Evil \\| \\[click\\](https:\u200b//x.example.com) &lt;b&gt;" in md
    assert "$10.00; €7.00" in md and "$17.00" not in md and "17" not in md
    assert "**1** check the run" in md and "**1** nothing to do" in md


def test_markdown_shows_every_workbook_of_a_big_portfolio():
    rows = portfolio.build(portfolio.read_report(f"book{i:03d}.json", report(0, f"Business {i:03d}"))
                           for i in range(120))
    md = portfolio.markdown(rows)
    assert sum(1 for line in md.splitlines() if line.startswith("| book")) == 120
    assert "| book119 |" in md and "more." not in md


def test_xlsx_frozen_filtered_money_per_currency_and_text_stays_text(tmp_path):
    rows = portfolio.build([
        portfolio.read_report("acme.json", report(0, "=HYPERLINK(\"x\")", {"USD": usd(Current="1250.50"),
                                                                          "KRW": usd(Current="800000")})),
        portfolio.read_report("broken.json", report(2, "Broken", error="No workbook.")),
    ])
    path = tmp_path / "portfolio.xlsx"
    write_xlsx(rows, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Workbooks"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:P3"
    header = [c.value for c in ws[1]]
    got = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    assert [g["Book"] for g in got] == ["broken", "acme"]
    assert got[0]["Outcome"] == "could not run" and got[0]["Note"] == "No workbook." and got[0]["Sent"] is None
    assert got[1]["Business"] == '=HYPERLINK("x")' and ws["B3"].data_type == "s"
    assert got[1]["As of"].date() == AS_OF and got[1]["Sent"] == 0
    assert (got[0]["Needs"], got[1]["Needs"]) == ("1 check the run", "4 nothing to do")
    assert got[1]["Open"] == "$1,250.50; ₩800,000" and got[0]["Open"] is None

    bal = wb["Open balances"]
    assert bal.freeze_panes == "A2" and bal.auto_filter.ref == "A1:I3"
    lines = {row[2].value: row for row in bal.iter_rows(min_row=2)}
    assert set(lines) == {"USD", "KRW"}  # one line per currency, no line that adds them up
    assert lines["USD"][3].value == 1250.5 and lines["USD"][3].number_format == '#,##0.00" USD"'
    assert lines["KRW"][8].value == 800000 and lines["KRW"][8].number_format == '#,##0" KRW"'


# ---- the report a sync writes ------------------------------------------------------------------------


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "sheet_sync", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


def test_sync_report_carries_what_the_portfolio_needs(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("INV-1", due=AS_OF - timedelta(days=10), amount=500),
                                              invoice("INV-2", "C2", due=AS_OF + timedelta(days=5), amount=900000,
                                                      currency="KRW")])
    write_config(tmp_path, wb)
    done = run("sync", "--as-of", AS_OF, "--report", tmp_path / "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (data["format_version"], data["business"], data["workbook_name"]) == (REPORT_FORMAT, "Test Studio", "book.xlsx")
    assert data["totals"] == {"KRW": {"Current": "900000", "1-30": "0", "31-60": "0", "61-90": "0", "90+": "0",
                                      "Total": "900000"},
                              "USD": {"Current": "0", "1-30": "500.00", "31-60": "0", "61-90": "0", "90+": "0",
                                      "Total": "500.00"}}
    row = portfolio.read_report(str(tmp_path / "r.json"), (tmp_path / "r.json").read_text(encoding="utf-8"))
    assert row.open_total == {"KRW": Decimal(900000), "USD": Decimal(500)} and row.sent == 1


def test_a_run_that_cannot_run_still_writes_its_report(tmp_path):
    (tmp_path / "sheet-sync.toml").write_text('[business]\nname = "Gone Ltd"\n[workbook]\npath = "gone.xlsx"\n',
                                              encoding="utf-8")
    done = run("sync", "--report", tmp_path / "r.json", cwd=tmp_path)
    assert done.returncode == 2
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["exit_code"] == 2 and data["business"] == "Gone Ltd" and data["workbook_name"] == "gone.xlsx"
    assert date.fromisoformat(data["as_of"]) - datetime.now(timezone.utc).date() in (timedelta(0), timedelta(days=1),
                                                                                     timedelta(days=-1))
    assert data["error"] == done.stderr.strip().removeprefix("sheet-sync: ")

    (tmp_path / "sheet-sync.toml").write_text('[workbook]\npath = 3\n', encoding="utf-8")  # a bad config
    done = run("sync", "--report", tmp_path / "r.json", cwd=tmp_path)
    assert done.returncode == 2
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["exit_code"] == 2 and data["workbook"] == "sheet-sync.toml" and "workbook.path" in data["error"]


def test_portfolio_command_prints_writes_and_fills_the_job_summary(tmp_path):
    (tmp_path / "ok.json").write_text(report(0, "Fine Ltd", {"USD": usd(Current="10.00")}), encoding="utf-8")
    (tmp_path / "latin1.json").write_bytes("caf\xe9".encode("latin-1"))
    done = run("portfolio", "ok.json", "latin1.json", "gone.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "sheet-sync portfolio: 3 workbooks"
    assert lines[1].startswith("  gone, as of ?: no report: nothing at gone.json: the run may not have started")
    assert lines[2] == "  latin1, as of ?: no report: latin1.json cannot be read (not UTF-8 text)"
    assert lines[3] == "  ok (Fine Ltd), as of 2026-11-23: done"

    summary = tmp_path / "summary.md"
    env = {**__import__("os").environ, "GITHUB_STEP_SUMMARY": str(summary)}
    done = run("portfolio", "ok.json", "--markdown", "p.md", "--xlsx", "p.xlsx", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Portfolio of 1 workbook written to p.xlsx and p.md.\n"
    assert summary.read_text(encoding="utf-8") == (tmp_path / "p.md").read_text(encoding="utf-8")
    assert openpyxl.load_workbook(tmp_path / "p.xlsx")["Workbooks"]["B2"].value == "Fine Ltd"

    done = run("portfolio", "ok.json", "--xlsx", "no/such/folder/p.xlsx", cwd=tmp_path)
    assert done.returncode == 2 and "in a folder that does not exist" in done.stderr and done.stdout == ""

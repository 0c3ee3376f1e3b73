"""Recurring invoices: the Recurring sheet read, the pure plan (periods, month ends, numbers, never twice),
and whole runs on a real .xlsx and on the Sheets emulator that add the rows and move Next Date."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from sheet_sync import api
from sheet_sync.cli import main, render_summary
from sheet_sync.recurring import add_months, numbers, plan_recurring, summary_line, with_added
from sheet_sync.recurring_load import parse_every
from owner_snapshot import owner_snapshot
from sheets_emulator import serial
from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, make_workbook, memory_book, sheet_config, write_config

REC_HEADERS = ["Client ID", "Description", "Amount", "Currency", "Every", "Next Date", "End Date", "Send"]
INV_HEADERS = ["Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "Status", "Description"]
FIRST = ["INV-2028-0007", "C1", date(2027, 12, 21), date(2028, 1, 20), "USD", 1000, "Sent", "Design"]
# the run of each month of 2028, a leap year, for a row that starts on Jan 31
MONTH_ENDS_2028 = [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30), date(2028, 5, 31),
                   date(2028, 6, 30), date(2028, 7, 31), date(2028, 8, 31), date(2028, 9, 30), date(2028, 10, 31),
                   date(2028, 11, 30), date(2028, 12, 31)]


def book_file(path: Path, recurring: list[list], invoices: list[list] | None = None) -> Path:
    return make_workbook(path, {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS],
                                "Invoices": [INV_HEADERS, *(invoices if invoices is not None else [FIRST])],
                                "Recurring": [REC_HEADERS, *recurring]})


def invoice_rows(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)["Invoices"]
    return [row[:8] for row in ws.iter_rows(min_row=2, values_only=True) if row[0] is not None]


def next_date_cell(path: Path, row: int = 2):
    return openpyxl.load_workbook(path)["Recurring"].cell(row, 6).value


def as_date(v):
    return v.date() if hasattr(v, "date") else v


# ---- reading ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, period", [
    ("1 month", (1, 0)), ("3 months", (3, 0)), ("2 weeks", (0, 14)), ("monthly", (1, 0)), ("Weekly", (0, 7)),
    ("quarterly", (3, 0)), ("1 year", (12, 0)), ("10 days", (0, 10)), ("1개월", (1, 0)), ("매월", (1, 0)),
    ("2주", (0, 14)), ("每月", (1, 0)), ("3个月", (3, 0)), ("每周", (0, 7)), ("every 2 weeks", (0, 14)),
])
def test_every_is_read_in_three_languages(text, period):
    assert parse_every(text) == (period, "")


@pytest.mark.parametrize("text", ["sometimes", "0 months", "month 1", "1000 years", ""])
def test_an_every_that_cannot_be_read_says_how_to_write_it(text):
    value, err = parse_every(text)
    assert value is None and ("1 month" in err)


def test_a_bad_recurring_row_is_a_problem_at_its_cell_and_the_other_rows_still_add(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [], extra={"Recurring": [
        REC_HEADERS,
        ["C1", "Hosting", 100, "USD", "sometimes", date(2028, 1, 1), None, ""],
        ["C1", "Support", 100, "USD", "1 month", "soon", None, ""],
        ["C404", "Ghost", 100, "USD", "1 month", date(2028, 1, 1), None, ""],
        ["C2", "Retainer", "lots", "KRW", "1 month", date(2028, 1, 1), None, ""],
        ["C3", "Maintenance", 800, "CNY", "1 month", date(2028, 1, 1), "never", ""],
        ["C1", "Licence", 250, "USD", "1 month", date(2028, 1, 15), None, "yes"],
    ]})
    problems = {str(p.cell): p.message for p in book.problems}
    assert "period I can read" in problems["Recurring!E2"]
    assert "'soon' is not a date" in problems["Recurring!F3"]
    assert "'C404' is not on the Clients sheet" in problems["Recurring!A4"]
    assert "Recurring!C5" in problems and "Recurring!G6" in problems
    plan = plan_recurring(book, config, date(2028, 1, 20))
    assert [(a.description, a.issue_date, a.ready) for a in plan.added] == [("Licence", date(2028, 1, 15), True)]


# ---- the pure plan ------------------------------------------------------------------------------------

def test_month_ends_fall_on_the_anchor_day_and_leap_years_are_kept():
    assert add_months(date(2027, 1, 31), 1, 31) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1, 31) == date(2028, 2, 29)
    assert add_months(date(2028, 2, 29), 1, 31) == date(2028, 3, 31)
    assert add_months(date(2028, 11, 30), 3, 30) == date(2029, 2, 28)


@pytest.mark.parametrize("existing, expected", [
    (["INV-2026-0041", "INV-2026-0042"], ["INV-2026-0043", "INV-2026-0044"]),
    (["7", "8", "9"], [10, 11]),  # a plain number stays a number
    (["A-099"], ["A-100", "A-101"]),
    ([], ["INV-0001", "INV-0002"]),
])
def test_numbers_continue_the_owners_pattern(tmp_path, existing, expected):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [[no, "C1", date(2026, 1, 1) + timedelta(days=i), None, "USD", 10]
                                for i, no in enumerate(existing)])
    gen = numbers(book.invoices)
    assert [next(gen), next(gen)] == expected


def test_numbers_follow_the_pattern_of_the_latest_invoice_not_the_most_common(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    rows = [[f"2025-{i:03d}", "C1", date(2025, 3, i), None, "USD", 10] for i in range(1, 6)]
    rows.append(["INV-2026-0042", "C1", date(2026, 1, 5), None, "USD", 10])
    rows.append(["INV-2026-0040", "C1", date(2026, 1, 2), None, "USD", 10])
    gen = numbers(memory_book(config, rows).invoices)
    assert next(gen) == "INV-2026-0043"


def test_a_missed_quarter_catches_up_with_one_invoice_per_month_and_says_so(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [["INV-0001", "C1", date(2028, 1, 1), None, "USD", 10]], extra={"Recurring": [
        REC_HEADERS, ["C1", "Hosting", "1,200", "USD", "1 month", date(2028, 2, 10), None, ""]]})
    plan = plan_recurring(book, config, date(2028, 4, 12))
    assert [(a.invoice_no, a.issue_date, a.amount) for a in plan.added] == [
        ("INV-0002", date(2028, 2, 10), Decimal("1200.00")), ("INV-0003", date(2028, 3, 10), Decimal("1200.00")),
        ("INV-0004", date(2028, 4, 10), Decimal("1200.00"))]
    assert [m.value for m in plan.next_dates] == [date(2028, 5, 10)]
    line = summary_line(plan.added)
    assert line.startswith("added 3 recurring invoices: INV-0002 (Acme Ltd, $1,200.00), INV-0003")
    assert "missed runs caught up: 3 periods of Hosting for Acme Ltd since 2028-02-10" in line


def test_end_date_is_never_passed(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [], extra={"Recurring": [
        REC_HEADERS, ["C1", "Hosting", 100, "USD", "2 weeks", date(2028, 1, 1), date(2028, 1, 29), ""],
        ["C2", "Ended", 100, "KRW", "1 month", date(2028, 3, 1), date(2028, 2, 28), ""]]})
    plan = plan_recurring(book, config, date(2028, 6, 1))
    assert [a.issue_date for a in plan.added] == [date(2028, 1, 1), date(2028, 1, 15), date(2028, 1, 29)]
    assert [(m.row, m.value) for m in plan.next_dates] == [(2, date(2028, 2, 12))]  # the ended row is left alone


def test_a_next_date_years_ago_is_a_problem_not_a_flood_of_invoices(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [], extra={"Recurring": [
        REC_HEADERS, ["C1", "Hosting", 100, "USD", "1 week", date(2026, 1, 1), None, ""],
        ["C2", "Retainer", 100, "KRW", "1 month", date(2028, 1, 1), None, ""]]})
    plan = plan_recurring(book, config, date(2028, 1, 5))
    assert [str(p.cell) for p in plan.problems] == ["Recurring!F2"]
    assert [a.client_id for a in plan.added] == ["C2"]


def test_a_period_already_on_the_sheet_is_not_added_again_and_next_date_still_moves(tmp_path):
    """The crash between adding the rows and moving Next Date: the rows are there, Next Date is not moved."""
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    rows = [["INV-0001", "C1", date(2028, 1, 1), None, "USD", 10],
            ["INV-0002", "C1", date(2028, 2, 10), None, "USD", 100, None, None, "", None, "", "", ""]]
    book = memory_book(config, rows, extra={"Recurring": [
        REC_HEADERS, ["C1", "", 100, "USD", "1 month", date(2028, 2, 10), None, ""]]})
    plan = plan_recurring(book, config, date(2028, 2, 10))
    assert plan.added == () and plan.already == 1
    assert [m.value for m in plan.next_dates] == [date(2028, 3, 10)]


def test_the_added_invoices_age_on_the_same_run(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [], extra={"Recurring": [
        REC_HEADERS, ["C2", "Retainer", 500000, "KRW", "1 month", date(2028, 1, 5), None, "yes"]]})
    book = with_added(book, plan_recurring(book, config, date(2028, 1, 5)), config)
    (inv,) = book.invoices
    assert (inv.invoice_no, inv.issue_date, inv.due_date, inv.amount, inv.currency) == (
        "INV-0001", date(2028, 1, 5), date(2028, 2, 4), Decimal(500000), "KRW")  # 30일 terms


# ---- whole runs on a real .xlsx ---------------------------------------------------------------------------

def test_twelve_monthly_runs_across_a_leap_year_add_twelve_invoices_with_consecutive_numbers(tmp_path):
    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 1200, "USD", "1 month", date(2028, 1, 31), None, ""]])
    config = write_config(tmp_path, path)
    for day in MONTH_ENDS_2028:
        result = api.sync(config, as_of=day)
        assert [a.issue_date for a in result.recurring_added] == [day]
        again = api.sync(config, as_of=day)  # a re-run on the same day adds none
        assert again.recurring_added == () and again.recurring_already == 0
    rows = invoice_rows(path)[1:]
    assert [r[0] for r in rows] == [f"INV-2028-{n:04d}" for n in range(8, 20)]
    assert [as_date(r[2]) for r in rows] == MONTH_ENDS_2028
    assert {(r[1], r[4], r[5], r[7]) for r in rows} == {("C1", "USD", 1200, "Hosting")}
    assert as_date(next_date_cell(path)) == date(2029, 1, 31)


def test_a_crash_after_adding_the_rows_before_moving_next_date_adds_nothing_twice(tmp_path):
    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 1200, "USD", "1 month", date(2028, 1, 31), None, ""]])
    config = write_config(tmp_path, path)
    assert len(api.sync(config, as_of=date(2028, 3, 1)).recurring_added) == 2
    # the run stopped before Next Date moved: the rows are there, Next Date is where it was
    wb = openpyxl.load_workbook(path)
    wb["Recurring"]["F2"] = date(2028, 1, 31)
    wb.save(path)
    result = api.sync(config, as_of=date(2028, 3, 1))
    assert result.recurring_added == () and result.recurring_already == 2
    assert "2 periods already on the Invoices sheet" in render_summary(result)
    assert len(invoice_rows(path)) == 3
    assert as_date(next_date_cell(path)) == date(2028, 3, 31)


def test_added_rows_go_below_the_last_used_row_with_the_owners_formats_and_nothing_else_changes(tmp_path):
    path = book_file(tmp_path / "book.xlsx", [["C2", "Retainer", 500000, "KRW", "1 month", date(2028, 1, 5), None, "yes"],
                                              ["C1", "Hosting", 100, "USD", "1 month", "2028-01-07", None, ""]])
    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    ws["C2"].number_format = "dd/mm/yyyy"
    ws["F2"].number_format = "#,##0.00 [$USD]"
    ws["A2"].font = Font(italic=True)
    ws["J4"] = "owner's note far below"  # the owner's own cell, in a column of their own, two rows down
    wb["Recurring"]["F2"].number_format = "d mmm yyyy"
    wb.save(path)
    before = owner_snapshot(path)
    config = write_config(tmp_path, path)
    result = api.sync(config, as_of=date(2028, 1, 10))
    assert [a.invoice_no for a in result.recurring_added] == ["INV-2028-0008", "INV-2028-0009"]
    assert result.writer == "surgical"
    ws = openpyxl.load_workbook(path)["Invoices"]
    assert [ws.cell(r, 1).value for r in (5, 6)] == ["INV-2028-0008", "INV-2028-0009"]
    assert ws["A3"].value is None and ws["J4"].value == "owner's note far below"
    assert (ws["C5"].number_format, ws["F5"].number_format, ws["A5"].font.i) == ("dd/mm/yyyy", "#,##0.00 [$USD]", True)
    assert (ws["B5"].value, ws["E5"].value, ws["F5"].value, ws["G5"].value, ws["H5"].value) == (
        "C2", "KRW", 500000, "Ready", "Retainer")
    assert ws["G6"].value is None  # Send is not yes: no Status
    rec = openpyxl.load_workbook(path)["Recurring"]
    assert (as_date(rec["F2"].value), rec["F2"].number_format) == (date(2028, 2, 5), "d mmm yyyy")
    assert rec["F3"].value == "2028-02-07"  # typed as text, kept as text
    after = owner_snapshot(path)
    changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
    assert changed == {"Invoices!A5", "Invoices!B5", "Invoices!C5", "Invoices!E5", "Invoices!F5", "Invoices!G5",
                       "Invoices!H5", "Invoices!A6", "Invoices!B6", "Invoices!C6", "Invoices!E6", "Invoices!F6",
                       "Invoices!H6", "Recurring!F2", "Recurring!F3"} | {k for k in changed if "dimension" in k}


def test_a_dry_run_lists_what_it_would_add_and_writes_nothing(tmp_path):
    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 100, "USD", "1 month", date(2028, 1, 7), None, "yes"]])
    config = write_config(tmp_path, path)
    result = api.sync(config, as_of=date(2028, 1, 7), dry_run=True)
    assert [a.invoice_no for a in result.recurring_added] == ["INV-2028-0008"]
    assert result.to_dict()["recurring_summary"] == "would add 1 recurring invoice: INV-2028-0008 (Acme Ltd, $100.00, Ready)"
    assert len(invoice_rows(path)) == 1
    assert as_date(next_date_cell(path)) == date(2028, 1, 7)


def test_fallback_writer_adds_rows(tmp_path, monkeypatch):
    from sheet_sync.backends import excel as excel_backend

    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 100, "USD", "1 month", date(2028, 1, 7), None, "yes"]])
    config = write_config(tmp_path, path)
    real_init = excel_backend.ExcelBackend.__init__
    monkeypatch.setattr(excel_backend.ExcelBackend, "__init__",
                        lambda self, p, writer=None: real_init(self, p, writer="openpyxl"))
    result = api.sync(config, as_of=date(2028, 1, 7))
    assert result.writer == "openpyxl"
    rows = invoice_rows(path)
    assert rows[1][:7] == ("INV-2028-0008", "C1", rows[1][2], None, "USD", 100, "Ready")
    assert as_date(rows[1][2]) == date(2028, 1, 7)
    assert as_date(next_date_cell(path)) == date(2028, 2, 7)
    assert api.sync(config, as_of=date(2028, 1, 7)).recurring_added == ()


def test_json_and_summary_list_the_added_rows(tmp_path, capsys):
    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 1200, "USD", "1 month", date(2028, 1, 7), None, ""]])
    write_config(tmp_path, path)
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", "2028-01-07", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["recurring_added"] == [{"invoice_no": "INV-2028-0008", "client_id": "C1", "client": "Acme Ltd",
                                        "issue_date": "2028-01-07", "amount": "1200.00", "currency": "USD",
                                        "description": "Hosting", "ready": False, "recurring_row": 2}]
    assert data["recurring_summary"] == "added 1 recurring invoice: INV-2028-0008 (Acme Ltd, $1,200.00)"


# ---- the Google backend ------------------------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("no_google_credentials")


def test_google_sheet_gets_the_rows_and_next_date_and_keeps_everything_else(tmp_path, emulator):
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    inv = emulator.add_sheet("Invoices", [INV_HEADERS + ["My Column"], FIRST + ["keep me"], [None] * 8 + ["below"]],
                             grid_rows=3)
    rec = emulator.add_sheet("Recurring", [REC_HEADERS, ["C1", "Hosting", 1200, "USD", "1 month", date(2028, 1, 31), None,
                                                         "yes"]])
    config = sheet_config(tmp_path, emulator)
    before_rec = dict(rec.cells)
    before_inv = dict(inv.cells)
    result = api.sync(config, as_of=date(2028, 2, 29))
    assert [(a.invoice_no, a.issue_date) for a in result.recurring_added] == [
        ("INV-2028-0008", date(2028, 1, 31)), ("INV-2028-0009", date(2028, 2, 29))]
    values = emulator.values("Invoices")
    assert values[3][:8] == ["INV-2028-0008", "C1", serial(date(2028, 1, 31)), None, "USD", 1200, "Ready", "Hosting"]
    assert values[4][:8] == ["INV-2028-0009", "C1", serial(date(2028, 2, 29)), None, "USD", 1200, "Ready", "Hosting"]
    assert inv.formats[(4, 3)] == "yyyy-mm-dd"
    assert rec.cells[(2, 6)] == serial(date(2028, 3, 31)) and rec.formats[(2, 6)] == "yyyy-mm-dd"
    assert {k: v for k, v in rec.cells.items() if k != (2, 6)} == {k: v for k, v in before_rec.items() if k != (2, 6)}
    owner_cols = range(1, 10)
    assert {k: v for k, v in inv.cells.items() if k[0] <= 3 and k[1] in owner_cols} == before_inv
    again = api.sync(config, as_of=date(2028, 2, 29))
    assert again.recurring_added == ()
    assert len([r for r in emulator.values("Invoices") if r and r[0]]) == 4
    rec.cells[(2, 6)] = serial(date(2028, 1, 31))  # a run that stopped before Next Date moved
    crashed = api.sync(config, as_of=date(2028, 2, 29))
    assert (crashed.recurring_added, crashed.recurring_already) == ((), 2)
    assert len([r for r in emulator.values("Invoices") if r and r[0]]) == 4
    assert rec.cells[(2, 6)] == serial(date(2028, 3, 31))


def test_the_recurring_sheet_may_have_another_name_and_other_headers(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx", {
        "Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS], "Invoices": [INV_HEADERS, FIRST],
        "Abonnements": [["Client ID", "Description", "Amount", "Currency", "Cadence", "Next Date"],
                        ["C1", "Hosting", 100, "USD", "monthly", date(2028, 1, 7)]]})
    config = write_config(tmp_path, path, '[workbook.sheets]\nrecurring = "Abonnements"\n'
                                          '[workbook.columns]\n"Every" = "Cadence"\n')
    result = api.sync(config, as_of=date(2028, 1, 7))
    assert [a.invoice_no for a in result.recurring_added] == ["INV-2028-0008"]
    assert as_date(openpyxl.load_workbook(path)["Abonnements"]["F2"].value) == date(2028, 2, 7)


def test_a_currency_the_invoices_sheet_cannot_hold_is_a_problem_not_a_wrong_invoice(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [], extra={"Recurring": [
        REC_HEADERS, ["C2", "Retainer", 500000, "KRW", "1 month", date(2028, 1, 5), None, ""],
        ["C1", "Hosting", 100, "", "1 month", date(2028, 1, 5), None, ""]]})
    from dataclasses import replace as replace_field

    book = replace_field(book, invoice_columns=frozenset({"Invoice No", "Client ID", "Issue Date", "Amount"}))
    plan = plan_recurring(book, config, date(2028, 1, 5))
    assert [str(p.cell) for p in plan.problems] == ["Recurring!2:2"]
    assert "has no Currency column" in plan.problems[0].message
    assert [(a.client_id, a.currency) for a in plan.added] == [("C1", "USD")]


def test_the_digest_and_the_job_summary_list_the_added_rows(tmp_path):
    from sheet_sync.digest import build_digest
    from sheet_sync.job_summary import markdown_summary

    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 1200, "USD", "1 month", date(2028, 1, 7), None, "yes"],
                                              ["C2", "Retainer", 500000, "KRW", "1 month", date(2028, 1, 7), None, ""]])
    config = write_config(tmp_path, path, '[mail]\ntransport = "outbox"\nfrom = "b@studio.example.com"\n'
                                          'outbox_dir = "outbox"\ndigest_to = "owner@studio.example.com"\n')
    result = api.sync(config, as_of=date(2028, 1, 7))
    line = "added 2 recurring invoices: INV-2028-0008 (Acme Ltd, $1,200.00, Ready), INV-2028-0009 (한빛상사, ₩500,000)"
    assert result.to_dict()["recurring_summary"] == line
    assert result.digest == "sent to owner@studio.example.com"
    message = build_digest(result, config)
    assert "A" + line[1:] + "." in message.get_body(("plain",)).get_content()
    assert "A" + line[1:] + "." in message.get_body(("html",)).get_content()
    assert "INV-2028-0008 (Acme Ltd, $1,200.00, Ready)" in markdown_summary(result)


def test_next_date_finds_its_row_again_after_a_sort_and_with_odd_spacing(tmp_path):
    """The Recurring row is found again by Client ID and Description, as the loader reads them."""
    from sheet_sync.layout import RecurringShape, _recurring_writes
    from sheet_sync.model import NextDate, WritePlan

    plan = WritePlan("Invoices", "Invoice No", (), {}, {}, next_dates=(
        NextDate(2, "C1", "Web  hosting", date(2028, 2, 7)), NextDate(3, "C2", "Retainer", date(2028, 3, 1))))
    shape = RecurringShape("Recurring", 1, tuple(REC_HEADERS), (
        (2, "C2", "Retainer"), (3, "C1", " Web  hosting "), (4, "C3", "Other")))
    writes = _recurring_writes(plan, shape)
    assert [(c.row, c.column, c.value) for c in writes.cells] == [(3, 6, date(2028, 2, 7)), (2, 6, date(2028, 3, 1))]
    twice = RecurringShape("Recurring", 1, tuple(REC_HEADERS), ((2, "C2", "Retainer"), (3, "C2", "retainer")))
    assert _recurring_writes(plan, twice) is None  # two rows now: neither is guessed


# ---- Lines: the new invoices' lines copied from a template invoice -----------------------------------------

LINE_HEADERS = ["Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate"]
TEMPLATE = ["TPL-HOSTING", "C1", date(2027, 12, 1), date(2027, 12, 1), "USD", "220.00", "Draft", "Hosting template"]
TEMPLATE_LINES = [["TPL-HOSTING", "Server", 2, 50, "10%"], ["TPL-HOSTING", "Backups", 1, 100, None]]


def test_lines_are_copied_for_each_new_invoice_and_must_add_up(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    book = memory_book(config, [TEMPLATE[:6]], extra={
        "Line Items": [LINE_HEADERS, *TEMPLATE_LINES],
        "Recurring": [REC_HEADERS + ["Lines"],
                      ["C1", "Hosting", None, "USD", "1 month", date(2028, 1, 7), None, "", "TPL-HOSTING"],
                      ["C1", "Support", 999, "USD", "1 month", date(2028, 1, 7), None, "", "TPL-HOSTING"],
                      ["C2", "Retainer", 1000, "KRW", "1 month", date(2028, 1, 7), None, "", "TPL-HOSTING"],
                      ["C3", "Other", 10, "CNY", "1 month", date(2028, 1, 7), None, "", "NOPE"]]})
    problems = {str(p.cell): p.message for p in book.problems}
    assert "add up to $210.00, not this Amount $999.00" in problems["Recurring!C3"]
    assert "lines are in USD, and this row is in KRW" in problems["Recurring!I4"]
    assert "invoice 'NOPE' has no lines" in problems["Recurring!I5"]
    plan = plan_recurring(book, config, date(2028, 2, 7))
    assert [(a.invoice_no, a.amount) for a in plan.added] == [("INV-0001", Decimal("210.00")),
                                                            ("INV-0002", Decimal("210.00"))]
    book = with_added(book, plan, config)
    assert [(li.invoice_no, li.description, li.net, li.tax) for li in book.line_items["INV-0002"]] == [
        ("INV-0002", "Server", Decimal("100.00"), Decimal("10.00")), ("INV-0002", "Backups", Decimal("100.00"), Decimal(0))]


@pytest.mark.parametrize("backend", ["excel", "openpyxl", "google"])
def test_the_copied_lines_land_on_the_line_items_sheet_and_read_back_the_same(tmp_path, backend, request, monkeypatch):
    sheets = {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS], "Invoices": [INV_HEADERS, FIRST, TEMPLATE],
              "Line Items": [LINE_HEADERS, *TEMPLATE_LINES],
              "Recurring": [REC_HEADERS + ["Lines"],
                            ["C1", "Hosting", None, "USD", "1 month", date(2028, 1, 7), None, "yes", "TPL-HOSTING"]]}
    if backend == "openpyxl":  # the fallback writer, as when the surgical one cannot handle a package
        from sheet_sync.backends import excel as excel_backend

        real_init = excel_backend.ExcelBackend.__init__
        monkeypatch.setattr(excel_backend.ExcelBackend, "__init__",
                            lambda self, p, writer=None: real_init(self, p, writer="openpyxl"))
    if backend != "google":
        path = make_workbook(tmp_path / "book.xlsx", sheets)
        wb = openpyxl.load_workbook(path)
        wb["Line Items"]["E2"] = 0.1
        for ref in ("E2", "E3"):  # the owner's percent format down the column
            wb["Line Items"][ref].number_format = "0.0%"
        wb.save(path)
        config = write_config(tmp_path, path)
    else:
        emulator = request.getfixturevalue("emulator")
        for name, rows in sheets.items():
            emulator.add_sheet(name, [list(r) for r in rows], grid_rows=len(rows))
        config = sheet_config(tmp_path, emulator)
    result = api.sync(config, as_of=date(2028, 2, 7))
    assert [(a.invoice_no, a.amount) for a in result.recurring_added] == [
        ("INV-2028-0008", Decimal("210.00")), ("INV-2028-0009", Decimal("210.00"))]
    assert not [p for p in result.problems if "Line Items" in str(p.cell) or "INV-2028-00" in p.invoice_no]
    book, _ = api.load(config)
    assert [(li.description, li.quantity, li.unit_price, li.tax_rate) for li in book.line_items["INV-2028-0009"]] == [
        ("Server", 2, Decimal("50.00"), Decimal("0.1")), ("Backups", 1, Decimal("100.00"), Decimal(0))]
    assert [inv.amount for inv in book.invoices if inv.invoice_no.startswith("INV-2028-0009")] == [Decimal("210.00")]
    assert result.writer == {"excel": "surgical", "openpyxl": "openpyxl", "google": ""}[backend]
    if backend != "google":
        ws = openpyxl.load_workbook(path)["Line Items"]
        assert [ws.cell(r, 1).value for r in range(4, 8)] == ["INV-2028-0008"] * 2 + ["INV-2028-0009"] * 2
        assert ws["E4"].number_format == "0.0%"  # the owner's format, from the row above
    assert api.sync(config, as_of=date(2028, 2, 7)).recurring_added == ()
    book, _ = api.load(config)
    assert len([li for items in book.line_items.values() for li in items]) == 6


def test_nothing_moves_when_the_invoices_sheet_cannot_be_matched_at_write_time():
    from sheet_sync.layout import LogShape, RecurringShape, Shape, lay_out
    from sheet_sync.model import NextDate, WritePlan

    plan = WritePlan("Invoices", "Invoice No", (), {}, {}, next_dates=(NextDate(2, "C1", "Hosting", date(2028, 2, 7)),),
                     invoice_rows_add=((("Invoice No", "INV-0001"), ("Client ID", "C1")),))
    recurring = RecurringShape("Recurring", 1, tuple(REC_HEADERS), ((2, "C1", "Hosting"),))
    assert lay_out(plan, Shape(None, LogShape(), ("Recurring",), recurring)).recurring is None


def test_a_recurring_row_with_send_yes_is_added_as_ready_and_its_invoice_goes_once_with_its_pdf(tmp_path):
    """Recurring and Ready together: each month's run adds the invoice (Status Ready) and sends the invoice
    itself with its PDF, once; a re-run that day adds and sends nothing."""
    import email
    from email import policy

    path = book_file(tmp_path / "book.xlsx", [["C1", "Hosting", 1200, "USD", "1 month", date(2028, 1, 31), None, "yes"]])
    config = write_config(tmp_path, path, '[reminders]\nattach_invoice = ["gentle"]')
    outbox = tmp_path / "outbox"
    for day in (date(2028, 1, 31), date(2028, 2, 29)):
        result = api.sync(config, as_of=day)
        added = [a.invoice_no for a in result.recurring_added]
        assert len(added) == 1
        assert [(m.invoice_no, m.stage) for m in result.sent] == [(added[0], "invoice")]
        again = api.sync(config, as_of=day)
        assert again.recurring_added == () and again.sent == ()
    messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]
    assert [m["X-Sheet-Sync-Stage"] for m in messages] == ["invoice", "invoice"]
    for m in messages:
        pdfs = [part.get_filename() for part in m.iter_attachments() if part.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1 and pdfs[0].startswith("INV-2028-")
    rows = invoice_rows(path)[1:]
    assert [(r[0], r[6]) for r in rows] == [("INV-2028-0008", "Ready"), ("INV-2028-0009", "Ready")]
    ws = openpyxl.load_workbook(path)["Invoices"]
    headers = [c.value for c in ws[1]]
    sent_col = headers.index("Invoice Sent") + 1
    assert [as_date(ws.cell(r, sent_col).value) for r in (3, 4)] == [date(2028, 1, 31), date(2028, 2, 29)]

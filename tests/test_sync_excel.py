"""The whole sync on real .xlsx files: what is written, what is never touched, re-runs, dry runs."""
from __future__ import annotations

import json
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from sheet_sync import api
from sheet_sync.backends.excel import ExcelBackend
from sheet_sync.errors import SheetSyncError
from owner_snapshot import owner_snapshot
from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, simple_book
import needs

AS_OF = date(2026, 11, 23)  # Monday


def owner_book(path: Path) -> Path:
    """An owner's workbook with styles, a formula, widths, a hidden column, an outline group, validations, a
    conditional format, a merged cell, comments, a link, a defined name, a print area, an own column and
    sheet, and bad rows. Its mode is 0644, as most people's files are."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Clients"
    ws.append(CLIENT_HEADERS)
    for row in DEFAULT_CLIENTS + [["C4", "=HYPERLINK(\"http://x\")", "x(at)bad.example.com", "", "", "en", "Net 30", ""]]:
        ws.append(row)
    ws["B2"].comment = Comment("Our oldest client", "Owner")
    ws.column_dimensions["C"].width = 34
    inv = wb.create_sheet("Invoices")
    headers = INVOICE_HEADERS[:6] + ["My Margin"] + INVOICE_HEADERS[6:]
    inv.append(headers)
    rows = [
        invoice("A-1", due=AS_OF - timedelta(days=2), link="https://pay.example.com/A-1"),
        invoice("A-2", "C2", due=AS_OF - timedelta(days=50), currency="KRW", amount=1200000),
        invoice("A-3", due=AS_OF - timedelta(days=5), amount="abc"),
        invoice("A-4", "C404", due=AS_OF - timedelta(days=5)),
        invoice("A-5", "C4", due=AS_OF + timedelta(days=3)),
        invoice("A-6", due=AS_OF + timedelta(days=3), amount=500, paid=500, status="Paid"),
    ]
    rows.append(["", "C1", AS_OF, AS_OF, "USD", 10, None, None, "", None, "", "", ""])
    for r, row in enumerate(rows, start=2):
        inv.append(row[:6] + [f"=F{r}*0.3"] + row[6:])
    for cell in inv[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFCC00")
        cell.border = Border(bottom=Side(style="thin"))
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    inv["F2"].number_format = "#,##0.00"
    inv["G2"].protection = Protection(locked=False)
    inv["A1"].comment = Comment("Numbered by year", "Owner")
    inv["M2"].hyperlink = "https://pay.example.com/A-1"
    inv.row_dimensions[1].height = 28
    inv.freeze_panes = "B2"
    inv.sheet_properties.tabColor = "1072BA"
    inv.column_dimensions["A"].width = 21
    dates = inv.column_dimensions["C"]  # C:D as one <col> entry, as Excel writes neighbours alike
    dates.width, dates.min, dates.max = 12, 3, 4
    inv.column_dimensions["G"].width = 9
    inv.column_dimensions["I"].hidden = True
    inv.column_dimensions.group("K", "L", outline_level=1)
    wide = inv.column_dimensions["M"]  # the last owner column, N, has no entry of its own
    wide.width, wide.min, wide.max = 30, 13, 14
    dv = DataValidation(type="list", formula1='"Draft,Sent,Paid"', allow_blank=True)
    inv.add_data_validation(dv)
    dv.add("J2:J100")
    hold = DataValidation(type="date", operator="greaterThan", formula1="DATE(2020,1,1)", allow_blank=True)
    inv.add_data_validation(hold)
    hold.add("K2:K100")
    inv.conditional_formatting.add("F2:F100", CellIsRule(operator="greaterThan", formula=["100000"],
                                                         fill=PatternFill("solid", bgColor="FFC7CE")))
    inv.auto_filter.ref = "A1:N8"
    inv.print_area = "A1:N8"
    extra = wb.create_sheet("My Notes")
    extra["A1"] = "keep me"
    extra["B2"] = "=1+1"
    extra["D1"] = "merged"
    extra.merge_cells("D1:E1")
    extra.row_dimensions[2].height = 40
    wb.defined_names["Margin"] = DefinedName("Margin", attr_text="'My Notes'!$B$2")
    wb.active = 1
    wb.save(path)
    path.chmod(0o644)
    return path


def read_invoices(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path)["Invoices"]
    headers = [c.value for c in ws[1]]
    out = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        rec = dict(zip(headers, row))
        out[rec["Invoice No"] or f"row{len(out)}"] = rec
    return out


def test_owner_cells_untouched_good_rows_processed_bad_rows_reported(tmp_path, config_for):
    wb = owner_book(tmp_path / "book.xlsx")
    config = config_for(wb)
    before = owner_snapshot(wb)
    result = api.sync(config, as_of=AS_OF)
    assert owner_snapshot(wb) == before  # every owner cell, style, width, validation, name, and the file's mode
    assert set(openpyxl.load_workbook(wb).sheetnames) >= {"Aging", "Aging Summary", "Reminder Log"}

    rows = read_invoices(wb)
    assert list(rows["A-1"])[-7:] == ["Balance", "Days Overdue", "Aging Bucket", "Sync Status", "Last Reminder",
                                      "Next Reminder", "Sync Notes"]
    a1 = rows["A-1"]
    assert (a1["Balance"], a1["Days Overdue"], a1["Aging Bucket"], a1["Sync Status"]) == (1000, 2, "1-30", "Overdue")
    assert a1["Last Reminder"] == "2026-11-23 gentle" and a1["Next Reminder"] == "2026-11-30 firm"
    assert rows["A-2"]["Balance"] == 1200000 and rows["A-2"]["Aging Bucket"] == "31-60"
    assert rows["A-3"]["Sync Status"] == "Problem"
    assert rows["A-3"]["Sync Notes"] == "Invoices!F4: 'abc' is not an amount. Write a number like 1250.00."
    assert rows["A-4"]["Sync Notes"].startswith("Invoices!B5: client 'C404' is not on the Clients sheet")
    assert rows["A-5"]["Sync Status"] == "Problem"  # its client has an invalid address (Clients!C5)
    assert rows["A-6"]["Sync Status"] == "Paid"
    blank = next(r for k, r in rows.items() if k.startswith("row"))
    assert blank["Sync Status"] == "Problem" and "Invoices!A8: this row has no Invoice No" in blank["Sync Notes"]
    assert [(m.invoice_no, m.stage) for m in result.messages] == [("A-1", "gentle"), ("A-2", "gentle")]
    assert result.exit_code == 1
    # the formula in the owner's column is still a formula; recalculation on open is requested
    book = openpyxl.load_workbook(wb)
    assert book["Invoices"]["G2"].value == "=F2*0.3"
    assert book.calculation.fullCalcOnLoad is True


OWNER_EDITS = {  # one edit each, and the snapshot entries it must change
    "font": (lambda wb: setattr(wb["Invoices"]["B3"], "font", Font(italic=True)), {"Invoices!B3"}),
    "number format": (lambda wb: setattr(wb["Invoices"]["F2"], "number_format", "0"), {"Invoices!F2"}),
    "comment": (lambda wb: setattr(wb["Clients"]["B2"], "comment", Comment("changed", "Owner")), {"Clients!B2"}),
    "a width read": (lambda wb: wb["Invoices"].column_dimensions["N"].width, {"Invoices: column N"}),
    "row height": (lambda wb: setattr(wb["Invoices"].row_dimensions[1], "height", 30), {"Invoices: rows"}),
    "merged": (lambda wb: wb["My Notes"].unmerge_cells("D1:E1"), {"My Notes: merged"}),
    "validation": (lambda wb: wb["Invoices"].data_validations.dataValidation.pop(), {"Invoices: validations"}),
    "conditional format": (lambda wb: setattr(wb["Invoices"], "conditional_formatting", ConditionalFormattingList()),
                           {"Invoices: conditional formats"}),
    "filter": (lambda wb: setattr(wb["Invoices"].auto_filter, "ref", "A1:N9"), {"Invoices: auto filter"}),
    "defined name": (lambda wb: wb.defined_names.pop("Margin"), {"defined names"}),
    "sheet order": (lambda wb: wb.move_sheet("My Notes", -2), {"sheets", "active sheet"}),  # the active index stays
}


@needs.posix_modes
@pytest.mark.parametrize("edit", OWNER_EDITS)
def test_the_owner_snapshot_sees_each_kind_of_owner_work(tmp_path, edit):
    path = owner_book(tmp_path / "book.xlsx")
    before = owner_snapshot(path)
    change, keys = OWNER_EDITS[edit]
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    after = owner_snapshot(path)
    assert {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} == keys
    path.chmod(0o600)
    assert owner_snapshot(path) == dict(after, **{"file mode": "0o600"})


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path, config_for):
    clients = [["C1", "=HYPERLINK(\"http://evil.example.com\",\"x\")", "a@acme.example.com", "", "", "en", "Net 30", ""],
               ["C2", "+SUM(1,2)", "b@acme.example.com", "", "", "en", "Net 30", ""],
               ["C3", "@risky", "c@acme.example.com", "", "", "en", "Net 30", ""]]
    wb = simple_book(tmp_path / "book.xlsx", [invoice("F1", "C1", due=AS_OF - timedelta(days=1)),
                                              invoice("F2", "C2", due=AS_OF - timedelta(days=1)),
                                              invoice("F3", "C3", due=AS_OF - timedelta(days=1))], clients)
    book = openpyxl.load_workbook(wb)  # as typed in Excel with a leading apostrophe: text, not a formula
    for r in (2, 3, 4):
        book["Clients"].cell(r, 2).data_type = "s"
    book.save(wb)
    api.sync(config_for(wb), as_of=AS_OF)
    ws = openpyxl.load_workbook(wb)["Aging"]
    names = {ws.cell(r, 3).value: ws.cell(r, 2) for r in range(2, ws.max_row + 1)}
    assert names["F1"].value == "=HYPERLINK(\"http://evil.example.com\",\"x\")" and names["F1"].data_type == "s"
    assert names["F2"].value == "+SUM(1,2)" and names["F2"].data_type == "s"
    assert names["F3"].value == "@risky" and names["F3"].data_type == "s"
    with zipfile.ZipFile(wb) as z:
        aging_xml = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in z.read(n) and b"HYPERLINK" in z.read(n) for n in aging_xml)


def test_rows_matched_by_invoice_no_after_the_owner_sorts_and_inserts(tmp_path, config_for, monkeypatch):
    rows = [invoice(f"S-{n}", due=AS_OF - timedelta(days=n * 10)) for n in range(1, 6)]
    wb = simple_book(tmp_path / "book.xlsx", rows)
    config = config_for(wb)
    original = ExcelBackend.apply

    def owner_edits_then_write(self, plan):
        book = openpyxl.load_workbook(self.path)
        ws = book["Invoices"]
        data = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
        data.reverse()
        data.insert(2, ["NEW-1", "C1", AS_OF, AS_OF, "USD", 5, None, None, "", None, "", "", ""])
        for r, row in enumerate(data, start=2):
            for c, v in enumerate(row, start=1):
                ws.cell(r, c, v)
        book.save(self.path)
        return original(self, plan)

    monkeypatch.setattr(ExcelBackend, "apply", owner_edits_then_write)
    api.sync(config, as_of=AS_OF)
    got = read_invoices(wb)
    for n in range(1, 6):
        assert got[f"S-{n}"]["Days Overdue"] == n * 10, n
    assert got["NEW-1"]["Sync Status"] is None  # the new row was not in the read: left for the next run


def test_rerun_same_day_sends_nothing_and_dry_run_writes_nothing(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("R-1", due=AS_OF - timedelta(days=2)),
                                              invoice("R-2", "C2", due=AS_OF + timedelta(days=3), currency="KRW")])
    config = config_for(wb)
    dry = api.sync(config, as_of=AS_OF, dry_run=True)
    assert [(m.invoice_no, m.stage, m.state) for m in dry.messages] == [("R-1", "gentle", "planned"),
                                                                        ("R-2", "upcoming", "planned")]
    assert not (tmp_path / "outbox").exists()
    assert openpyxl.load_workbook(wb).sheetnames == ["Clients", "Invoices"]
    assert not list(tmp_path.glob(".*journal*")) and not list(tmp_path.glob("*.bak.xlsx"))

    first = api.sync(config, as_of=AS_OF)
    assert len(first.sent) == 2 and len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    again = api.sync(config, as_of=AS_OF)
    assert again.messages == ()
    log = openpyxl.load_workbook(wb)["Reminder Log"]
    assert log.max_row == 3  # header + two rows, not duplicated
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert (tmp_path / "book.bak.xlsx").exists()


def test_daily_runs_for_a_month_send_each_stage_once(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("M-1", due=AS_OF + timedelta(days=3)),
                                              invoice("M-2", due=AS_OF - timedelta(days=40))])
    config = config_for(wb)
    sent = []
    for n in range(35):
        day = AS_OF + timedelta(days=n)
        for _ in range(2 if n % 5 == 0 else 1):  # some days run twice
            sent += [(m.invoice_no, m.stage, day) for m in api.sync(config, as_of=day).messages]
    assert [(s[0], s[1]) for s in sent if s[0] == "M-1"] == [("M-1", "upcoming"), ("M-1", "gentle"), ("M-1", "firm"),
                                                            ("M-1", "final")]
    assert [(s[1], s[2]) for s in sent if s[0] == "M-2"] == [("gentle", date(2026, 11, 23)), ("firm", date(2026, 11, 26)),
                                                            ("final", date(2026, 12, 1))]
    assert all(s[2].weekday() < 5 for s in sent)
    rows = read_invoices(wb)
    assert rows["M-2"]["Sync Status"] == "Needs Attention"
    assert "collections agency" in rows["M-2"]["Sync Notes"]


def test_excel_lock_file_refuses_before_sending(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("L-1", due=AS_OF - timedelta(days=2))])
    config = config_for(wb)
    (tmp_path / "~$book.xlsx").write_bytes(b"lock")
    before = wb.read_bytes()
    with pytest.raises(SheetSyncError, match=r"book.xlsx is open in Excel \(lock file ~\$book.xlsx\): close it"):
        api.sync(config, as_of=AS_OF)
    assert wb.read_bytes() == before
    assert not (tmp_path / "outbox").exists()


def test_payments_sheet_is_the_record_of_payments(tmp_path, config_for):
    payments = [["Invoice No", "Date", "Amount", "Method", "Reference"],
                ["P-1", AS_OF - timedelta(days=3), 300, "wire", "r1"],
                ["P-1", AS_OF - timedelta(days=1), "$200.50", "card", "r2"],
                ["P-2", AS_OF - timedelta(days=1), 1000, "wire", "r3"],
                ["NOPE", AS_OF, 5, "wire", "r4"]]
    wb = simple_book(tmp_path / "book.xlsx", [invoice("P-1", due=AS_OF - timedelta(days=10), paid=999),
                                              invoice("P-2", due=AS_OF - timedelta(days=10))],
                     extra={"Payments": payments})
    result = api.sync(config_for(wb), as_of=AS_OF)
    rows = read_invoices(wb)
    assert rows["P-1"]["Amount Paid"] == 500.5 and rows["P-1"]["Balance"] == 499.5
    assert rows["P-1"]["Sync Status"] == "Partially Paid"
    assert rows["P-2"]["Amount Paid"] == 1000 and rows["P-2"]["Sync Status"] == "Paid"
    assert "Payments!A5: invoice 'NOPE' is not on the Invoices sheet; this payment is not counted." in map(str, result.problems)


def test_a_crashed_send_becomes_unconfirmed_and_is_resent_only_on_retry(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("J-1", due=AS_OF - timedelta(days=2))])
    config = config_for(wb)
    journal = tmp_path / ".book.sheet-sync-journal.jsonl"
    pending = {"logged_at": datetime(2026, 11, 23, 9, tzinfo=timezone.utc).isoformat(), "invoice_no": "J-1",
               "client_id": "C1", "stage": "gentle", "to": "ap@acme.example.com", "subject": "s",
               "message_id": "<J-1.gentle.x@studio.example.com>", "transport": "outbox", "state": "pending",
               "detail": "", "row": 0}
    journal.write_text(json.dumps(pending) + "\n" + '{"logged_at": "2026-11-2', encoding="utf-8")  # cut mid-line
    result = api.sync(config, as_of=AS_OF)
    assert result.messages == ()
    assert result.unconfirmed == ("J-1",)
    assert not journal.exists()
    book = openpyxl.load_workbook(wb)
    log = [[c.value for c in row] for row in book["Reminder Log"].iter_rows(min_row=2)]
    assert [(r[1], r[3], r[8]) for r in log] == [("J-1", "gentle", "unconfirmed")]
    assert "may not have been sent (state unconfirmed)" in read_invoices(wb)["J-1"]["Sync Notes"]
    assert api.sync(config, as_of=AS_OF + timedelta(days=1)).messages == ()
    # the owner checks with the client and asks for it again
    ws = book["Reminder Log"]
    ws.cell(2, 9, "retry")
    book.save(wb)
    again = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [(m.invoice_no, m.stage, m.state) for m in again.messages] == [("J-1", "gentle", "sent")]


def test_one_run_at_a_time(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("W-1", due=AS_OF - timedelta(days=2))])
    config = config_for(wb)
    with ExcelBackend(wb).lock():
        with pytest.raises(SheetSyncError, match="Another sheet-sync run is working on book.xlsx"):
            api.sync(config, as_of=AS_OF)
    assert len(api.sync(config, as_of=AS_OF).sent) == 1


def test_daily_cap_leaves_the_rest_for_the_next_run(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [invoice(f"CAP-{n}", due=AS_OF - timedelta(days=2)) for n in range(3)])
    config = config_for(wb, "[mail]\ntransport = \"outbox\"\nfrom = \"a@studio.example.com\"\ndaily_cap = 2\n"
                            "[reminders]\none_email_per_client = false")
    first = api.sync(config, as_of=AS_OF)
    assert [(m.invoice_no, m.state) for m in first.messages] == [("CAP-0", "sent"), ("CAP-1", "sent"), ("CAP-2", "skipped")]
    assert first.exit_code == 0
    from sheet_sync.cli import render_summary
    assert "1 reminder left for the next run (over the daily cap of 2)" in render_summary(first)
    second = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [(m.invoice_no, m.state) for m in second.messages] == [("CAP-2", "sent")]


def excel_saved_results(path: Path, sheet_xml: str, values: dict[str, str]) -> None:
    """Put formula results into the file, as Excel does when it saves (openpyxl cannot)."""
    import shutil
    from lxml import etree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == sheet_xml:
                root = etree.fromstring(data)
                for c in root.iter(ns + "c"):
                    if c.get("r") in values:
                        v = c.find(ns + "v")
                        v = v if v is not None else etree.SubElement(c, ns + "v")
                        v.text = values[c.get("r")]
                data = etree.tostring(root)
            zout.writestr(item, data)
    shutil.move(tmp, path)


def test_formula_results_survive_the_save(tmp_path, config_for):
    headers = ["Invoice No", "Client ID", "Issue Date", "Due Date", "Qty", "Price", "Amount"]
    rows = [["Q-1", "C1", AS_OF - timedelta(days=32), AS_OF - timedelta(days=2), 3, 150, "=E2*F2"],
            ["Q-2", "C1", AS_OF - timedelta(days=70), AS_OF - timedelta(days=40), 2, 99.5, "=E3*F3"]]
    from workbooks import make_workbook

    wb = make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS],
                                                "Invoices": [headers, *rows]})
    excel_saved_results(wb, "xl/worksheets/sheet2.xml", {"G2": "450", "G3": "199"})
    config = config_for(wb)
    for day in range(3):
        result = api.sync(config, as_of=AS_OF + timedelta(days=day))
        assert result.problems == (), result.problems
    got = read_invoices(wb)
    assert got["Q-1"]["Balance"] == 450 and got["Q-2"]["Balance"] == 199
    assert got["Q-1"]["Amount"] == "=E2*F2"  # still a formula
    with zipfile.ZipFile(wb) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>E2*F2</f><v>450</v>" in xml

"""Hostile and careless cells: one bad row is a Problem with its cell and a sentence; the other rows are
processed and sent; the owner's work is unchanged; nothing reaches the catch-all `unexpected error`.
Each case runs on a real .xlsx and on the Sheets emulator."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheet_sync.cli import main
from sheet_sync.load import MAX_KEY_LENGTH
from owner_snapshot import owner_snapshot, readable
from sheets_emulator import Emulator
from workbooks import (
    CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, excel_text, invoice, make_workbook, raw_number, sheet_config, write_config,
)
import needs

AS_OF = date(2026, 11, 23)  # a Monday
DUE = AS_OF - timedelta(days=2)  # the gentle reminder is due
COLUMN = {h: i for i, h in enumerate(INVOICE_HEADERS)}


NOTE = "note only: "  # the expected cell is named in Sync Notes, but the row is sent


def bad_row(**cells: Any) -> list[Any]:
    row = invoice("BAD-1", due=DUE)
    for header, value in cells.items():
        row[COLUMN[header.replace("_", " ")]] = value
    return row


# id, the bad row, a change to client C1 (column -> value), the cell the Problem names ("" = no Problem: the
# row is sent, its text cleaned), whether the case can be typed into Excel as it stands (control characters
# are written in Excel's own escape, _xHHHH_)
CASES = [
    ("amount 1e308", bad_row(Amount=1e308), {}, "F2"),
    ("amount of 30 digits", bad_row(Amount="123456789012345678901234567890"), {}, "F2"),
    ("amount -1e20", bad_row(Amount=-1e20), {}, "F2"),
    ("amount paid 1e27", bad_row(Amount_Paid=1e27), {}, "G2"),
    ("amount true", bad_row(Amount=True), {}, "F2"),
    ("amount in words", bad_row(Amount="twelve hundred"), {}, "F2"),
    ("amount in another currency", bad_row(Amount="₩1,000"), {}, "F2"),
    ("issue date in the year 9999", bad_row(Issue_Date=date(9999, 12, 20), Due_Date=None), {}, "C2"),
    ("due date text 9999-12-31", bad_row(Due_Date="9999-12-31"), {}, "D2"),
    ("due date serial 1e12", bad_row(Due_Date=1e12), {}, "D2"),
    ("due date 31 February", bad_row(Due_Date="2026-02-31"), {}, "D2"),
    ("hold until text", bad_row(Hold_Until="when pigs fly"), {}, "J2"),
    ("currency XYZ", bad_row(Currency="XYZ"), {}, "E2"),
    ("invoice no with a line break", bad_row(Invoice_No="INV\n7"), {}, "A2"),
    ("invoice no with a vertical tab", bad_row(Invoice_No="INV\x0b7"), {}, "A2"),
    ("invoice no with a NUL", bad_row(Invoice_No="INV\x007"), {}, "A2"),
    ("invoice no of 300 characters", bad_row(Invoice_No="I" * 300), {}, "A2"),
    ("client id with a tab", bad_row(Client_ID="C\t1"), {}, "B2"),
    ("unknown client", bad_row(Client_ID="C404"), {}, "B2"),
    ("terms of 99999999999 days", bad_row(Due_Date=None), {6: "Net 99999999999"}, "D2"),
    ("client name with a bell", bad_row(), {1: "Acme\x07 Ltd"}, ""),
    ("contact name with a line break", bad_row(), {4: "Dana\r\nSmith"}, ""),
    ("PO number with a line break", bad_row(PO_Number="PO\n77"), {}, ""),
    ("note with control characters", bad_row(Note_to_Client="Thanks!\x1b[31m\nSee you"), {}, ""),
    ("payment link with a line break", bad_row(Payment_Link="https://pay.example.com/x\nBcc: a@b.c"), {}, ""),
]

# Generated: one hostile value in each of the owner's columns and the client's, as a careless or hostile
# owner (or a paste from another program) leaves it.
CASES += [
    (f"{header.lower()} {label}", bad_row(**{header.replace(" ", "_"): value}), {}, cell)
    for header, cell, values in [
        ("Amount", "F2", [("blank", None), ("formula as text", "=1/0"), ("error text", "#DIV/0!"),                           ("markdown image", "![x](https://evil.example/x.png)"), ("html", "<b>1000</b>"),
                          ("emoji", "💰1000")]),
        ("Issue Date", "C2", [("blank", None), ("in words", "last Tuesday"), ("negative serial", -5),
                              ("formula as text", "=TODAY()")]),
        ("Due Date", "D2", [("in words", "next week"), ("year 0", "0000-01-01"), ("serial 3e6", 3e6)]),
        ("Amount Paid", "G2", [("in words", "half"), ("1e308", 1e308), ("formula as text", "=F2")]),
        ("Hold Until", "J2", [("serial 1e12", 1e12)]),
        ("Currency", "E2", [("in words", "dollars"), ("with a line break", "US\nD")]),
        ("Invoice No", "", [("formula as text", "=HYPERLINK(\"https://evil.example\",\"pay\")"),
                            ("markdown link", "[INV](https://evil.example)"), ("html", "<script>x</script>"),
                            ("right-to-left override", "INV\u202e7fdp.exe"), ("emoji", "INV-🧾-7"),
                            ("spaces around it", "  INV-7  "), ("a path out of the outbox", "../../etc/INV-7"),
                            ("a reserved file name", "CON"), ("characters no file name takes", 'A/B\\C:D*?"<>|'),
                            ("of the longest length taken", "I" * MAX_KEY_LENGTH)]),
        ("Note to Client", "", [("32,000 characters", "ok " * 10_000), ("formula as text", "=cmd|' /C calc'!A0")]),
        ("PO Number", "", [("html", "<img src=x onerror=alert(1)>")]),
    ]
    for label, value in values
] + [
    ("client email not an address", bad_row(), {2: "not-an-address"}, "Clients!C2"),
    ("client email with a line break", bad_row(), {2: "ap@acme.example.com\nBcc: x@evil.example"}, "Clients!C2"),
    ("client email internationalised", bad_row(), {2: "josé@example.com"}, ""),
    ("client language unknown", bad_row(), {5: "klingon"}, ""),
    ("client terms in words", bad_row(Due_Date=None), {6: "whenever"}, "D2"),
    ("client reminders maybe", bad_row(), {7: "maybe"}, ""),
    ("client id in lower case", bad_row(Client_ID="c1"), {}, "B2"),  # IDs are matched exactly
    ("paid date in words", bad_row(Paid_Date="yesterday"), {}, NOTE + "H2"),
]

# What only a real .xlsx can hold (the Sheets API has no NaN or infinity: JSON cannot carry them): the cell's
# stored number itself, as a hostile file holds it (`RAW` marks it; raw_number writes it after openpyxl).
RAW = "raw number:"
EXCEL_CASES = CASES + [
    ("amount NaN", bad_row(Amount=RAW + "NaN"), {}, "F2"),
    ("amount infinity", bad_row(Amount=RAW + "inf"), {}, "F2"),
    ("amount 1e400", bad_row(Amount=RAW + "1e400"), {}, "F2"),
    ("amount paid minus infinity", bad_row(Amount_Paid=RAW + "-inf"), {}, "G2"),
    ("due date NaN", bad_row(Due_Date=RAW + "NaN"), {}, "D2"),  # not a blank: Excel's #NUM!
    ("issue date infinity", bad_row(Issue_Date=RAW + "inf"), {}, "C2"),
]
GOOGLE_CASES = CASES


def books(case_row: list[Any], client_change: dict[int, Any]) -> dict[str, list[list[Any]]]:
    clients = [list(c) for c in DEFAULT_CLIENTS]
    for col, value in client_change.items():
        clients[0][col] = value
    good = invoice("OK-1", "C3", due=DUE, currency="CNY", amount=800)
    return {"Clients": [CLIENT_HEADERS, *clients], "Invoices": [INVOICE_HEADERS, case_row, good]}


def run_sync(config_path: Path, capsys) -> tuple[int, str]:
    code = main(["sync", "--config", str(config_path), "--as-of", AS_OF.isoformat()])
    return code, capsys.readouterr().err


def check_outcome(code: int, err: str, invoices: list[list[Any]], outbox: Path, problem_cell: str,
                  log: list[list[Any]]) -> None:
    """Everything issue 11 asks of a hostile case: no catch-all; the bad row a Problem naming its cell (a bare
    `F2` is Invoices!F2) or, when the case is harmless, sent with its text cleaned; the good row sent; the
    Reminder Log holding one `sent` row per message and no `unconfirmed` one."""
    assert "unexpected error" not in err, err
    headers = invoices[0]
    rows = {str(r[0]): dict(zip(headers, r)) for r in invoices[1:] if r and r[0] not in (None, "")}
    bad = next(r for k, r in rows.items() if k != "OK-1")
    assert rows["OK-1"]["Sync Status"] == "Overdue" and "gentle" in (rows["OK-1"]["Last Reminder"] or "")
    sent = [p.read_text(encoding="utf-8", errors="replace") for p in outbox.glob("*.eml")]
    assert any("OK-1" in m for m in sent)
    states = [str(r[log[0].index("State")]) for r in log[1:] if r and any(v not in (None, "") for v in r)]
    assert "unconfirmed" not in states and states.count("sent") == len(sent), log
    warning = problem_cell.startswith(NOTE)
    problem_cell = problem_cell[len(NOTE):] if warning else problem_cell
    ref = problem_cell if "!" in problem_cell else f"Invoices!{problem_cell}"
    if warning:  # a note on a cell that does not stop the reminder (the payment record's Paid Date)
        assert code == 0 and bad["Sync Status"] == "Overdue" and len(sent) == 2, err
        assert ref in (bad["Sync Notes"] or ""), bad["Sync Notes"]
    elif problem_cell:
        assert code == 1
        assert bad["Sync Status"] == "Problem", bad
        assert ref in (bad["Sync Notes"] or ""), bad["Sync Notes"]
        assert len(sent) == 1
    else:
        assert code == 0, err
        assert bad["Sync Status"] == "Overdue" and len(sent) == 2
        for message in sent:
            head = message.split("\n\n", 1)[0]
            assert not any(ord(c) < 0x20 and c not in "\r\n\t" for c in message), "a control character went out"
            assert "Bcc: a@b.c" not in head


def owner_values(em: Emulator) -> dict[str, list[list[Any]]]:
    """Every owner cell of the emulated sheet: Clients whole, Invoices up to its last owner column."""
    width = len(INVOICE_HEADERS)
    return {"Clients": em.values("Clients"), "Invoices": [r[:width] for r in em.values("Invoices")]}


@pytest.mark.parametrize("name, row, client_change, problem_cell", EXCEL_CASES, ids=[c[0] for c in EXCEL_CASES])
def test_a_hostile_cell_on_excel(tmp_path, capsys, name, row, client_change, problem_cell):
    sheets = {title: [[excel_text(v) for v in r] for r in rows] for title, rows in books(row, client_change).items()}
    raw = {f"{chr(65 + i)}2": v[len(RAW):] for i, v in enumerate(row) if isinstance(v, str) and v.startswith(RAW)}
    sheets["Invoices"][1] = [0 if f"{chr(65 + i)}2" in raw else v for i, v in enumerate(sheets["Invoices"][1])]
    wb = make_workbook(tmp_path / "book.xlsx", sheets)
    as_typed(wb)
    for ref, text in raw.items():
        raw_number(wb, "Invoices", ref, text)
    wb.chmod(0o644)
    write_config(tmp_path, wb)
    before = owner_snapshot(wb)
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    book = openpyxl.load_workbook(readable(wb))
    check_outcome(code, err, sheet_rows(book["Invoices"]), tmp_path / "outbox", problem_cell,
                  sheet_rows(book["Reminder Log"]))
    assert owner_snapshot(wb) == before
    # a second run reads back what the first wrote, sends nothing again, and still names the cell
    code2, err2 = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert "unexpected error" not in err2 and code2 == code
    book = openpyxl.load_workbook(readable(wb))
    check_outcome(code2, err2, sheet_rows(book["Invoices"]), tmp_path / "outbox", problem_cell,
                  sheet_rows(book["Reminder Log"]))
    assert owner_snapshot(wb) == before


def as_typed(wb: Path) -> None:
    """A text typed as `=...` into Excel with a leading apostrophe is text; openpyxl would make it a formula."""
    book = openpyxl.load_workbook(readable(wb))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"
    book.save(wb)


def sheet_rows(ws) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("name, row, client_change, problem_cell", GOOGLE_CASES, ids=[c[0] for c in GOOGLE_CASES])
def test_a_hostile_cell_on_google(tmp_path, capsys, name, row, client_change, problem_cell):
    em = Emulator().start()
    try:
        for title, rows in books(row, client_change).items():
            em.add_sheet(title, [list(r) for r in rows])
        sheet_config(tmp_path, em)
        before = owner_values(em)
        code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
        check_outcome(code, err, em.values("Invoices"), tmp_path / "outbox", problem_cell, em.values("Reminder Log"))
        assert owner_values(em) == before
        code2, err2 = run_sync(tmp_path / "sheet-sync.toml", capsys)  # nothing again, the cell still named
        assert "unexpected error" not in err2 and code2 == code
        check_outcome(code2, err2, em.values("Invoices"), tmp_path / "outbox", problem_cell, em.values("Reminder Log"))
        assert owner_values(em) == before
    finally:
        em.stop()


def test_an_invoices_sheet_with_headers_only(tmp_path, capsys):
    wb = make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS], "Invoices": [INVOICE_HEADERS]})
    write_config(tmp_path, wb)
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert code == 0 and "unexpected error" not in err
    assert openpyxl.load_workbook(wb)["Aging"]["A1"].value == "Client ID"


@pytest.mark.parametrize("key, toml", [
    ("business.name", '[business]\nname = "Studio\\nBcc: x@evil.example"'),
    ("mail.from", '[mail]\nfrom = "not an address"\ntransport = "outbox"'),
    ("mail.reply_to", '[mail]\nreply_to = "a@b.example\\r\\nBcc: x@evil.example"'),
    ("mail.redirect_to", '[mail]\nredirect_to = "me at example"'),
    ("mail.bcc", '[mail]\nbcc = "copy@@example.com"'),
    ("mail.daily_cap", '[mail]\ndaily_cap = -1'),
    ("mail.pause_seconds", '[mail]\npause_seconds = -1'),
    ("mail.smtp.timeout", '[mail.smtp]\ntimeout = 0'),
    ("mail.smtp.port", '[mail.smtp]\nport = 70000'),
    ("reminders.early_payment_discount_percent", '[reminders]\nearly_payment_discount_percent = 150'),
])
def test_a_bad_config_value_is_refused_with_its_key_before_anything_is_sent(tmp_path, capsys, key, toml):
    """A value that would break a header, or make no sense (a negative cap or pause, a port beyond 65535, a
    discount over 100 %): exit 2, the key named, nothing sent, the workbook untouched."""
    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE), {}))
    before = wb.read_bytes()
    section = toml.split("\n", 1)[0]
    text = (f'[workbook]\npath = "{wb.name}"\n' + toml + "\n"
            + ('[mail]\ntransport = "outbox"\nfrom = "billing@studio.example.com"\n' if section != "[mail]" else ""))
    (tmp_path / "sheet-sync.toml").write_text(text, encoding="utf-8")
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert code == 2 and key in err and "unexpected error" not in err, err
    assert not (tmp_path / "outbox").exists() and wb.read_bytes() == before


def test_an_as_of_date_out_of_range_is_a_sentence(tmp_path, capsys):
    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE), {}))
    write_config(tmp_path, wb)
    with pytest.raises(SystemExit) as stop:
        main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", "9999-12-31"])
    assert stop.value.code == 2 and "between 1900 and 2199" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["value", "format"])
def test_something_in_the_last_cell_of_the_sheet(tmp_path, capsys, what):
    """A value in XFD1048576 would make the reader allocate hundreds of gigabytes: one sentence, nothing
    sent, nothing written. Formatting alone out there is harmless: the run goes on."""
    from openpyxl.styles import Font

    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE), {}))
    book = openpyxl.load_workbook(readable(wb))
    if what == "value":
        book["Invoices"]["XFD1048576"] = "x"
    else:
        book["Invoices"]["XFD1048576"].font = Font(bold=True)
    book.save(wb)
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert "unexpected error" not in err
    if what == "value":
        assert code == 2 and "Invoices" in err and "XFD1048576" in err
        assert wb.read_bytes() == before and not (tmp_path / "outbox").exists()
    else:
        assert code == 0 and len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_a_password_protected_workbook_is_a_sentence(tmp_path, capsys):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_workbook(tmp_path / "plain.xlsx", books(invoice("A", due=DUE), {}))
    wb = tmp_path / "book.xlsx"
    with open(plain, "rb") as fh, open(wb, "wb") as out:
        OOXMLFile(fh).encrypt("s3cret", out)
    write_config(tmp_path, wb)
    before = wb.read_bytes()
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert code == 2 and "protected with a password" in err and "unexpected" not in err
    assert wb.read_bytes() == before and not (tmp_path / "outbox").exists()


def test_a_read_only_workbook_is_never_replaced(tmp_path, capsys):
    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE), {}))
    write_config(tmp_path, wb)
    wb.chmod(0o444)
    before = wb.read_bytes()
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert code == 2 and "read-only" in err and "unexpected" not in err
    assert wb.read_bytes() == before and oct(wb.stat().st_mode & 0o777) == "0o444"
    assert not (tmp_path / "outbox").exists()


@needs.symlinks
def test_a_symlink_and_its_target_are_one_workbook(tmp_path):
    """Two runs at once, one through a symlink: one lock, one journal; the symlink stays a symlink."""
    from sheet_sync.backends.excel import ExcelBackend
    from sheet_sync.errors import SheetSyncError

    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE), {}))
    link = tmp_path / "link.xlsx"
    link.symlink_to(wb)
    real, via_link = ExcelBackend(wb), ExcelBackend(link)
    assert real.journal_path == via_link.journal_path
    with real.lock():
        with pytest.raises(SheetSyncError, match="Another sheet-sync run"):
            with via_link.lock():
                pass
    write_config(tmp_path, link)
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF.isoformat()])
    assert code == 0 and link.is_symlink()
    assert openpyxl.load_workbook(wb)["Invoices"]["Q2"].value == "Overdue"  # the target got the results


def test_an_owner_saving_while_the_tool_writes_keeps_the_owners_version(tmp_path, capsys, monkeypatch):
    """Excel (or a sync client) saves the workbook between the tool's read of it and its replace: the owner's
    version stays, the run says so, and its sends reach the Reminder Log on the next run (never sent twice)."""
    from sheet_sync.backends import xlsx_surgical

    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE), {}))
    write_config(tmp_path, wb)
    original = xlsx_surgical._Edit.write

    def owner_saves_meanwhile(self, fh):  # as Excel saves: a new file renamed over the old one
        book = openpyxl.load_workbook(readable(wb))
        book["Invoices"]["A10"] = "the owner's new row"
        book.save(tmp_path / "excel-save.tmp")
        (tmp_path / "excel-save.tmp").replace(wb)
        return original(self, fh)

    monkeypatch.setattr(xlsx_surgical._Edit, "write", owner_saves_meanwhile)
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert code == 2 and "saved by someone else" in err and "unexpected" not in err
    assert openpyxl.load_workbook(wb)["Invoices"]["A10"].value == "the owner's new row"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    monkeypatch.undo()
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    book = openpyxl.load_workbook(readable(wb))
    assert code == 1 and book["Invoices"]["A10"].value == "the owner's new row"  # a row without a client: a Problem
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2  # nothing sent twice
    assert sorted(r[1] for r in book["Reminder Log"].iter_rows(min_row=2, values_only=True)) == ["A", "OK-1"]
    assert not list(tmp_path.glob(".book.*.xlsx"))  # no temporary copy left behind


@pytest.mark.parametrize("writer", ["surgical", "openpyxl"])
def test_tool_columns_never_land_inside_the_owners_merged_cells(tmp_path, capsys, monkeypatch, writer):
    """Note to Client merged across M2:O2 (beyond the headers): the tool's columns go after the merge."""
    monkeypatch.setenv("SHEET_SYNC_EXCEL_WRITER", writer)
    wb = make_workbook(tmp_path / "book.xlsx", books(invoice("A", due=DUE, note="Thanks!"), {}))
    book = openpyxl.load_workbook(readable(wb))
    book["Invoices"].merge_cells("M2:O2")
    book.save(wb)
    write_config(tmp_path, wb)
    before = owner_snapshot(wb)
    code, err = run_sync(tmp_path / "sheet-sync.toml", capsys)
    assert code == 0 and "unexpected" not in err
    headers = [c.value for c in openpyxl.load_workbook(wb)["Invoices"][1]]
    assert headers.index("Balance") + 1 == 16  # P: after the merge's right edge, O
    assert owner_snapshot(wb) == before

"""Hostile and careless structure: headers, columns and sheets an owner arranges oddly, on a real .xlsx and on
the Sheets emulator, each run twice. Each case asserts what issue 11 asks: no `unexpected error`; the bad rows
a Problem naming their cell; the good rows sent (a real outbox); every owner cell unchanged (and on .xlsx
every style, width, merge, part and file attribute: owner_snapshot); nothing sent twice; nothing `unconfirmed`."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest

from sheet_sync.cli import main
from owner_snapshot import TOOL_COLUMNS, owner_snapshot
from sheets_emulator import Emulator
from workbooks import (
    CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, excel_text, invoice, make_workbook, sheet_config, write_config,
)

AS_OF = date(2026, 11, 23)  # a Monday
DUE = AS_OF - timedelta(days=2)
H = INVOICE_HEADERS
CLIENTS = [CLIENT_HEADERS, *DEFAULT_CLIENTS]
PAYMENTS = ["Invoice No", "Date", "Amount", "Method", "Reference"]


def late(no: str, client: str = "C1", **kw) -> list[Any]:
    return invoice(no, client, due=DUE, **kw)


# id, sheets, exit code, the invoices sent (each once), {invoice or row: the cell its Sync Notes name}
CASES = [
    ("header-only Invoices", {"Invoices": [H]}, 0, set(), {}),
    ("header-only Invoices and Clients", {"Clients": [CLIENT_HEADERS], "Invoices": [H]}, 0, set(), {}),
    ("two Comment columns at the right", {"Invoices": [H + ["Comment", "Comment"], late("A") + ["a", "b"], late("B")]},
     0, {"A", "B"}, {}),
    ("data in an unlabelled column", {"Invoices": [H, late("A") + ["data in N"], late("B")]}, 0, {"A", "B"}, {}),
    ("data far right under no header", {"Invoices": [H, late("A") + [None] * 10 + ["far"], late("B")]}, 0, {"A", "B"}, {}),
    ("headers in odd case and spacing", {"Invoices": [[f"  {h.upper()} " for h in H], late("A"), late("B")]},
     0, {"A", "B"}, {}),
    ("columns in reverse order", {"Invoices": [H[::-1], late("A")[::-1], late("B")[::-1]]}, 0, {"A", "B"}, {}),
    ("tool headers placed first", {"Invoices": [["Sync Notes", "Balance", *H], ["", "", *late("A")], ["", "", *late("B")]]},
     0, {"A", "B"}, {}),
    ("tool headers between the owner's", {"Invoices": [H[:3] + ["Sync Status"] + H[3:], late("A")[:3] + [""] + late("A")[3:]]},
     0, {"A"}, {}),
    ("a title above the headers", {"Invoices": [["Invoices 2026"], [], H, late("A"), late("B")]}, 0, {"A", "B"}, {}),
    ("blank rows between invoices", {"Invoices": [H, late("A"), [], [None] * 13, late("B")]}, 0, {"A", "B"}, {}),
    ("a totals row at the bottom", {"Invoices": [H, late("A"), late("B"), ["Total", None, None, None, None, 2000]]},
     1, {"A", "B"}, {4: "Invoices!B4"}),
    ("one invoice number on two rows", {"Invoices": [H, late("A"), late("A", amount=5), late("B")]},
     1, {"B"}, {2: "Invoices!A2", 3: "Invoices!A3"}),
    ("one client id on two rows", {"Clients": [*CLIENTS, ["C1", "Acme Again", "x@acme.example.com", "", "", "en", "", ""]],
                                   "Invoices": [H, late("A"), late("B", "C3", currency="CNY")]},
     1, {"B"}, {"A": "stands on 2 rows of the Clients sheet (Clients!A2, Clients!A5)"}),
    ("header-only Clients", {"Clients": [CLIENT_HEADERS], "Invoices": [H, late("A")]}, 1, set(), {"A": "Invoices!B2"}),
    ("an extra header named like a tool column", {"Invoices": [H + ["Sync Notes", "Sync Notes"], late("A") + ["", "owner's"], late("B")]},
     0, {"A", "B"}, {}),
    ("a header with a line break", {"Invoices": [[h.replace(" ", "\n") for h in H], late("A")]}, 0, {"A"}, {}),
    ("a header that looks like a formula", {"Invoices": [H + ["=SUM(F:F)"], late("A") + ["x"]]}, 0, {"A"}, {}),
    ("a 1,000-character header", {"Invoices": [H + ["h" * 1000], late("A") + ["x"]]}, 0, {"A"}, {}),
    ("control characters in a header", {"Invoices": [H + ["Notes\x07\x1b"], late("A") + ["x"]]}, 0, {"A"}, {}),
    ("a payment of 1e308", {"Invoices": [H, late("A"), late("B")],
                            "Payments": [PAYMENTS, ["A", AS_OF - timedelta(days=1), 1e308, "wire", "r1"]]},
     1, {"B"}, {"A": "Payments!C2"}),
    ("a payment in words", {"Invoices": [H, late("A"), late("B")],
                            "Payments": [PAYMENTS, ["A", AS_OF - timedelta(days=1), "a lot", "wire", "r1"],
                                         ["B", AS_OF - timedelta(days=1), 100, "wire", "r2"]]},
     1, {"B"}, {"A": "Payments!C2"}),
    ("a payment for an unknown invoice", {"Invoices": [H, late("A")],
                                          "Payments": [PAYMENTS, ["Z-9", AS_OF - timedelta(days=1), 100, "wire", "r1"]]},
     0, {"A"}, {}),  # a warning (Payments!A2 names no invoice), not a Problem
]


def sheets_of(case: dict[str, list[list[Any]]]) -> dict[str, list[list[Any]]]:
    return {"Clients": CLIENTS, **case}


def run(config, capsys) -> tuple[int, str]:
    code = main(["sync", "--config", str(config), "--as-of", AS_OF.isoformat()])
    return code, capsys.readouterr().err


def check(code, err, invoices, log, outbox, want_code, want_sent, notes) -> None:
    assert "unexpected error" not in err and "Traceback" not in err, err
    assert code == want_code, err
    messages = [p.read_text(encoding="utf-8", errors="replace") for p in outbox.glob("*.eml")] if outbox.exists() else []
    sent_log = [r for r in log[1:] if r and r[log[0].index("State")] == "sent"] if log else []
    assert "unconfirmed" not in [r[log[0].index("State")] for r in log[1:] if r] if log else True
    assert sorted(str(r[log[0].index("Invoice No")]) for r in sent_log) == sorted(want_sent)  # each once
    assert len(messages) == len({r[log[0].index("Message ID")] for r in sent_log})
    header_row = next(i for i, r in enumerate(invoices) if any(isinstance(v, str) and v.strip().lower() == "sync notes" for v in r))
    headers = [str(v or "").strip().lower() for v in invoices[header_row]]
    no_col = next(i for i, h in enumerate(headers) if h.replace("\n", " ").replace(" ", "") == "invoiceno")
    notes_col = headers.index("sync notes")  # the tool's own: the first, or the one it added
    for key, ref in notes.items():
        row = invoices[key - 1] if isinstance(key, int) else next(r for r in invoices if r and r[no_col] == key)
        assert ref in str(row[notes_col] or ""), (key, row)


@pytest.mark.parametrize("name, case, want_code, want_sent, notes", CASES,
                         ids=[c[0] for c in CASES])
def test_a_hostile_structure_on_excel(tmp_path, capsys, name, case, want_code, want_sent, notes):
    wb = make_workbook(tmp_path / "book.xlsx", {t: [[excel_text(v) for v in r] for r in rows] for t, rows in sheets_of(case).items()})
    write_config(tmp_path, wb)
    tool = {"Invoices": tool_columns(case)}
    before = owner_snapshot(wb, tool_columns=tool)
    for _ in range(2):
        code, err = run(tmp_path / "sheet-sync.toml", capsys)
        book = openpyxl.load_workbook(wb)
        log = [list(r) for r in book["Reminder Log"].iter_rows(values_only=True)] if "Reminder Log" in book else []
        check(code, err, [list(r) for r in book["Invoices"].iter_rows(values_only=True)], log, tmp_path / "outbox",
              want_code, want_sent, notes)
        assert owner_snapshot(wb, tool_columns=tool) == before


def tool_columns(case: dict[str, list[list[Any]]]) -> tuple[str, ...]:
    """The Invoices columns the tool writes: its own, and Amount Paid when a Payments sheet keeps the record."""
    return TOOL_COLUMNS + (("Amount Paid",) if "Payments" in case else ())


def google_owner_cells(em: Emulator, owner_titles: list[str], tool_headers: tuple[str, ...] = TOOL_COLUMNS) -> dict:
    """Every owner cell value: each owner sheet whole, Invoices without the tool's columns (found by header)."""
    tool_names = {t.lower() for t in tool_headers}
    out = {}
    for title in owner_titles:
        rows = em.values(title)
        if title == "Invoices":
            hdr = next((r for r in rows if any(isinstance(v, str) and v.strip().lower() in tool_names for v in r)), [])
            tool = {i for i, v in enumerate(hdr) if isinstance(v, str) and v.strip().lower() in tool_names}
            rows = [[v for i, v in enumerate(r) if i not in tool] for r in rows]
        out[title] = [list(r) for r in rows if any(v not in (None, "") for v in r)]
    return out


@pytest.mark.parametrize("name, case, want_code, want_sent, notes", CASES,
                         ids=[c[0] for c in CASES])
def test_a_hostile_structure_on_google(tmp_path, capsys, name, case, want_code, want_sent, notes):
    em = Emulator().start()
    try:
        for title, rows in sheets_of(case).items():
            em.add_sheet(title, [list(r) for r in rows])
        sheet_config(tmp_path, em)
        owner_titles = list(sheets_of(case))
        before = google_owner_cells(em, owner_titles, tool_columns(case))
        for _ in range(2):
            code, err = run(tmp_path / "sheet-sync.toml", capsys)
            log = em.values("Reminder Log") if "Reminder Log" in [s.title for s in em.sheets] else []
            check(code, err, em.values("Invoices"), log, tmp_path / "outbox", want_code, want_sent, notes)
            assert google_owner_cells(em, owner_titles, tool_columns(case)) == before
    finally:
        em.stop()


@pytest.mark.parametrize("backend", ["excel", "google"])
@pytest.mark.parametrize("missing", ["Clients", "Invoices"])
def test_a_missing_sheet_is_one_sentence_and_nothing_is_sent_or_written(tmp_path, capsys, backend, missing):
    sheets = {t: rows for t, rows in sheets_of({"Invoices": [H, late("A")]}).items() if t != missing}
    sheets["Notes"] = [["the owner's"]]
    if backend == "excel":
        wb = make_workbook(tmp_path / "book.xlsx", sheets)
        write_config(tmp_path, wb)
        before = wb.read_bytes()
        code, err = run(tmp_path / "sheet-sync.toml", capsys)
        assert wb.read_bytes() == before
    else:
        em = Emulator().start()
        try:
            for title, rows in sheets.items():
                em.add_sheet(title, [list(r) for r in rows])
            sheet_config(tmp_path, em)
            code, err = run(tmp_path / "sheet-sync.toml", capsys)
            assert [s.title for s in em.sheets] == list(sheets)  # no tool sheet added, nothing written
        finally:
            em.stop()
    assert code == 2 and f"no '{missing}' sheet" in err and "unexpected" not in err, err
    assert not (tmp_path / "outbox").exists()


def _edit_log(rows: list[list[Any]], edit: str) -> list[list[Any]]:
    head, body = rows[0], [list(r) for r in rows[1:]]
    if edit == "sorted newest first":
        body = sorted(body, key=lambda r: str(r[head.index("Invoice No")]), reverse=True)
    elif edit == "a blank row inserted":
        body = body[:1] + [[None] * len(head)] + body[1:]
    elif edit == "the owner's column beside it":
        head = head + ["My note"]
        body = [r + ["checked"] for r in body]
    elif edit == "headers in other case":
        head = [h.upper() for h in head]
    return [head, *body]


LOG_EDITS = ["sorted newest first", "a blank row inserted", "the owner's column beside it", "headers in other case"]


@pytest.mark.parametrize("backend", ["excel", "google"])
@pytest.mark.parametrize("edit", LOG_EDITS)
def test_a_reminder_log_edited_between_runs(tmp_path, capsys, backend, edit):
    """The owner edits the Reminder Log between two runs: the next runs (the same day and a day later) send
    nothing again, mark nothing unconfirmed, and leave every row the owner had as it was."""
    case = {"Invoices": [H, late("A"), late("B", "C3", currency="CNY"), late("C", "C2", currency="KRW", amount=900000)]}
    em = None
    if backend == "excel":
        wb = make_workbook(tmp_path / "book.xlsx", sheets_of(case))
        write_config(tmp_path, wb)
    else:
        em = Emulator().start()
        for title, rows in sheets_of(case).items():
            em.add_sheet(title, [list(r) for r in rows])
        sheet_config(tmp_path, em)
    try:
        code, err = run(tmp_path / "sheet-sync.toml", capsys)
        assert code == 0 and "unexpected" not in err, err
        if backend == "excel":
            book = openpyxl.load_workbook(wb)
            ws = book["Reminder Log"]
            edited = _edit_log([[c.value for c in r] for r in ws.iter_rows()], edit)
            ws.delete_rows(1, ws.max_row)
            for r in edited:
                ws.append(r)
            book.save(wb)
            read_log = lambda: [[c.value for c in r] for r in openpyxl.load_workbook(wb)["Reminder Log"].iter_rows()]
        else:
            sheet = em.sheet("Reminder Log")
            edited = _edit_log(em.values("Reminder Log"), edit)
            sheet.cells.clear()
            sheet.set_rows(edited)
            sheet.cols = max(sheet.cols, max(len(r) for r in edited))
            read_log = lambda: em.values("Reminder Log")
        kept = [tuple(v for v in r if v not in (None, "")) for r in edited]
        for day in (AS_OF, AS_OF + timedelta(days=1)):
            code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", day.isoformat()])
            err = capsys.readouterr().err
            assert code == 0 and "unexpected" not in err, err
            now = [tuple(v for v in r if v not in (None, "")) for r in read_log()]
            assert now[:len(kept)] == kept and not any(now[len(kept):]), now  # the owner's rows as edited, nothing added
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    finally:
        if em is not None:
            em.stop()

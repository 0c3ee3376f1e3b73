"""Random hostile rows end to end, on a real .xlsx and on the Sheets emulator: one row of random cells (the
strategies of test_random_cells, as a sheet can hold them) beside a good invoice. Whatever the row holds, the
run never reaches `unexpected error`; the good invoice is sent once; the random row is either a Problem whose
Sync Notes name a cell, or processed; the owner's cells are unchanged; a re-run sends nothing again and nothing
is `unconfirmed`."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sheet_sync.cli import main
from owner_snapshot import owner_snapshot, readable
from sheets_emulator import Emulator
from test_random_cells import cell
from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, excel_text, invoice, make_workbook, sheet_config, write_config

AS_OF = date(2026, 11, 23)  # a Monday
DUE = AS_OF - timedelta(days=2)
GOOD = invoice("OK-1", "C3", due=DUE, currency="CNY", amount=800)
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def as_excel(value: Any) -> Any:
    """A value as an .xlsx can hold it: control characters in Excel's escape, dates from 1900."""
    if isinstance(value, (date, datetime)) and value.year < 1900:
        return value.isoformat()
    return excel_text(value)


def as_google(value: Any) -> Any:
    """A value as the Sheets API can hold it: no NaN or infinity (JSON cannot carry them), numbers as doubles."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53:
        return str(value)
    if isinstance(value, datetime):
        return value.date() if value.year >= 1900 else value.isoformat()
    if isinstance(value, date) and value.year < 1900:
        return value.isoformat()
    return value


def run(config, capsys) -> tuple[int, str]:
    code = main(["sync", "--config", str(config), "--as-of", AS_OF.isoformat()])
    return code, capsys.readouterr().err


def check(code: int, err: str, invoices: list[list[Any]], log: list[list[Any]], outbox) -> int:
    assert "unexpected error" not in err and "Traceback" not in err, err
    assert code in (0, 1), err
    h = invoices[0]
    rows = [dict(zip(h, r)) for r in invoices[1:]]
    good = [r for r in rows if r["Invoice No"] == "OK-1"]
    assert good and all("gentle" in str(r["Last Reminder"] or "") or r["Sync Status"] == "Problem" for r in good)
    for r in rows:
        if r["Sync Status"] == "Problem":
            assert "Invoices!" in str(r["Sync Notes"]) or "Clients!" in str(r["Sync Notes"]), r
    state, no, stage = (log[0].index(k) for k in ("State", "Invoice No", "Stage"))
    sent = [(r[no], r[stage]) for r in log[1:] if r and r[state] == "sent"]
    assert "unconfirmed" not in [r[state] for r in log[1:] if r]
    assert len(sent) == len(set(sent))  # each stage of each invoice once
    return len(list(outbox.glob("*.eml")))


@settings(max_examples=60, **SETTINGS)
@given(row=st.lists(cell, min_size=len(INVOICE_HEADERS), max_size=len(INVOICE_HEADERS)))
def test_a_random_row_on_excel(tmp_path_factory, capsys, row):
    folder = tmp_path_factory.mktemp("book")
    wb = make_workbook(folder / "book.xlsx", {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS],
                                              "Invoices": [INVOICE_HEADERS, [as_excel(v) for v in row], GOOD]})
    book = openpyxl.load_workbook(wb)
    for r in book["Invoices"].iter_rows():
        for c in r:
            if c.data_type == "f":  # a text typed as =..., not a formula
                c.data_type = "s"
    book.save(wb)
    write_config(folder, wb)
    before = owner_snapshot(wb)
    sent = []
    for _ in range(2):
        code, err = run(folder / "sheet-sync.toml", capsys)
        after = openpyxl.load_workbook(readable(wb))
        sent.append(check(code, err, [list(r) for r in after["Invoices"].iter_rows(values_only=True)],
                          [list(r) for r in after["Reminder Log"].iter_rows(values_only=True)], folder / "outbox"))
        assert owner_snapshot(wb) == before
    assert sent[0] == sent[1] >= 1


@pytest.fixture(scope="module")
def emulator():
    em = Emulator().start()
    yield em
    em.stop()


@settings(max_examples=40, **SETTINGS)
@given(row=st.lists(cell, min_size=len(INVOICE_HEADERS), max_size=len(INVOICE_HEADERS)))
def test_a_random_row_on_google(tmp_path_factory, capsys, emulator, row):
    folder = tmp_path_factory.mktemp("sheet")
    emulator.sheets.clear()
    emulator.developer_metadata.clear()
    emulator.add_sheet("Clients", [list(r) for r in [CLIENT_HEADERS, *DEFAULT_CLIENTS]])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, [as_google(v) for v in row], list(GOOD)])
    sheet_config(folder, emulator)
    width = len(INVOICE_HEADERS)
    before = [emulator.values("Clients"), [r[:width] for r in emulator.values("Invoices")]]
    sent = []
    for _ in range(2):
        code, err = run(folder / "sheet-sync.toml", capsys)
        sent.append(check(code, err, emulator.values("Invoices"), emulator.values("Reminder Log"), folder / "outbox"))
        assert [emulator.values("Clients"), [r[:width] for r in emulator.values("Invoices")]] == before
    assert sent[0] == sent[1] >= 1

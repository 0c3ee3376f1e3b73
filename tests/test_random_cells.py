"""Random cells through the whole pure core (load, age, plan, compose, the write plan and its layout), in
memory: whatever an owner types, the core returns Problems, never an exception, and nothing it would write
holds a control character or a formula."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from sheet_sync import tables
from sheet_sync.aging import age
from sheet_sync.compose import compose
from sheet_sync.errors import SheetSyncError
from sheet_sync.layout import InvoicesShape, LogShape, Shape, lay_out
from sheet_sync.model import INVOICE_HEADERS, Status
from sheet_sync.policy import make_calendar, plan
from sheet_sync.writeplan import build_write_plan
from workbooks import DEFAULT_CLIENTS, memory_book, write_config

AS_OF = date(2026, 11, 23)

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
numbers = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**20, max_value=10**20))
dates = st.one_of(st.dates(), st.datetimes().map(lambda d: d.replace(microsecond=0)))
cell = st.one_of(st.none(), texts, numbers, dates, st.booleans(),
                 st.sampled_from(["Net 30", "30일", "30天", "Due on receipt", "Net 99999999999", "2026-11-01",
                                  "31/02/2026", "₩1,200,000", "$1,250.00", "USD 10", "1e308", "=1+1", "Paid",
                                  "On Hold", "KRW", "XYZ", "INV\n1", "A\x0bB", "C1", "C2", "C3"]))
rows = st.lists(st.lists(cell, min_size=len(INVOICE_HEADERS), max_size=len(INVOICE_HEADERS)), min_size=1, max_size=6)
client_rows = st.lists(st.tuples(st.sampled_from(["C1", "C2", "C3", "C\t4", ""]), cell, cell, cell),
                       min_size=0, max_size=3)


def _bad_text(value) -> bool:
    return isinstance(value, str) and any(ord(c) < 0x20 and c not in "\n\t" for c in value)


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the same cases on every run: CI runs once
@given(invoices=rows, extra_clients=client_rows)
def test_any_cells_give_problems_never_an_exception(tmp_path, invoices, extra_clients):
    config = write_config(tmp_path, tmp_path / "book.xlsx")
    clients = [list(c) for c in DEFAULT_CLIENTS]
    for cid, name, email, terms in extra_clients:
        clients.append([cid, name, email, "", "", "en", terms, ""])
    book = memory_book(config, invoices, clients)
    report = age(book, config, AS_OF)
    decisions = plan(report, book, config, make_calendar(config, AS_OF))
    aged = report.by_invoice()
    for inv in book.invoices:
        d = decisions[inv.invoice_no]
        if d.send:
            row = aged[inv.invoice_no]
            try:
                out = compose(inv, book.clients[inv.client_id], d.send, row.balance, row.days_overdue, d.references,
                              config, AS_OF)
            except SheetSyncError:
                continue
            for header, value in out.message.items():
                assert "\n" not in str(value).replace("\r\n ", "").replace("\n ", ""), (header, value)
    statuses = tables.final_statuses(report, decisions)
    assert all(isinstance(s, Status) for s in statuses)
    write_plan = build_write_plan(config, book, report, decisions, statuses, book.problems, (), (), {}, ())
    numbers = tuple(r[0] for r in invoices)
    writes = lay_out(write_plan, Shape(InvoicesShape("Invoices", 1, INVOICE_HEADERS, numbers), LogShape(), ("Invoices",)))
    for c in writes.invoices.cells + tuple(c for s in writes.sheets for c in s.cells):
        assert not _bad_text(c.value), c
        assert not isinstance(c.value, float) or c.value == c.value
        assert isinstance(c.value, (str, int, Decimal, date, datetime, type(None))), c
    for p in book.problems:
        assert not _bad_text(p.message), p
    assert {r.invoice_no for r in report.rows} == {i.invoice_no for i in book.invoices}
    for r in report.rows:
        assert r.days_overdue is None or abs(r.days_overdue) < 200 * 366
        assert r.balance is None or abs(r.balance) < Decimal(10) ** 16


# ---- the fast paths of reading: the same answers as the general ones ------------------------------------------

calamine_cell = st.one_of(st.just(""), st.sampled_from([" ", "NA", "n/a", "NaN", "null", "#N/A", "INV-1", " x "]), texts,
                          st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6).map(float),
                          st.dates(), st.datetimes().map(lambda d: d.replace(microsecond=0)), st.booleans())
header = st.sampled_from(["Invoice No", "Amount", "Status", "Notes", "", "amount "])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(top=st.lists(header, min_size=1, max_size=5), body=st.lists(st.lists(calamine_cell, min_size=5, max_size=5),
                                                                     max_size=12), at=st.integers(0, 3))
def test_a_sheet_typed_a_column_at_a_time_reads_as_typed_cell_by_cell(top, body, at):
    """The Excel read types each wanted column at once (no call per cell for a column of only text or only numbers)
    and finds the rows kept from the first wanted column: the same rows and values as typing each cell (`_cell`) and
    keeping every row with anything in a wanted column."""
    from sheet_sync.backends.excel_read import _cell, _cells
    from sheet_sync.cells import is_blank
    from sheet_sync.raw import raw_sheet

    width = len(top)
    grid = [list(line[:width]) for line in body]
    grid.insert(min(at, len(grid)), list(top))
    wanted = {"Invoice No": "Invoice No", "Amount": "Amount", "Status": "Status"}
    sheet = raw_sheet("Invoices", grid, wanted, _cells)

    typed = [[_cell(v) for v in line] for line in grid]
    expected = [(i + 1, {name: line[column - 1] for name, column in sheet.columns.items()})
                for i, line in enumerate(typed) if i + 1 > sheet.header_row]
    expected = [(n, v) for n, v in expected if not v or not all(is_blank(x) for x in v.values())]
    assert repr(sheet.rows) == repr(tuple(expected))  # repr: NaN equals itself there


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(value=st.one_of(numbers, dates, texts, st.booleans(), st.none()), currency=st.sampled_from(["USD", "KRW", "EUR"]))
def test_the_fast_paths_of_a_cell_give_what_the_general_parse_gives(value, currency):
    """Number, date and plain-text cells are typed without the general parse: the same answers."""
    from sheet_sync import cells, money

    assert money.parse_money(value, currency) == _general_money(value, currency)
    assert cells.parse_date(value) == _general_date(value)
    if isinstance(value, str):
        assert cells.has_control(value) == bool(cells._CONTROL.search(value))
        assert cells.one_line(value) == _general_one_line(value)
        assert cells.paragraphs(value) == cells._CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else "",
                                                             value.replace("\r\n", "\n"))


def _general_money(value, currency):
    from decimal import InvalidOperation

    from sheet_sync import money

    try:
        amount, error = money._parse_money(value, currency)
        fits = amount is None or abs(amount) < money.MAX_AMOUNT
    except (InvalidOperation, OverflowError, ValueError):
        fits = False
    return (amount, error) if fits else (None, f"{money._show(value)} is too large to be an amount. Write a number like 1250.00.")


def _general_date(value):
    from sheet_sync import cells

    day, error = cells._parse_date(value, "DMY")
    if day is not None and not cells.FIRST_YEAR <= day.year <= cells.LAST_YEAR:
        return None, f"{cells._show(value)} is not a date sheet-sync can use: write a date between 1900 and 2199."
    return day, error


def _general_one_line(value):
    import re

    from sheet_sync import cells

    return re.sub(r"\s*[\r\n\t\v\f]+\s*", " ", cells._CONTROL.sub(
        lambda m: m.group() if m.group() in "\r\n\t\v\f" else "", value)).strip()

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

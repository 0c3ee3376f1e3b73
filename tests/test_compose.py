"""What a composed reminder says, from a Book built in memory."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sheet_sync.compose import compose
from workbooks import invoice, memory_book

AS_OF = date(2026, 11, 23)
TABLE = {"default": "Wire to account 123.", "KRW": "국민은행 123-456-789 (예금주 Test Studio)",
         "zh": "请转账至招商银行 6225 0000。"}


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_payment_instructions_follow_the_currency_then_the_language_then_the_default(tmp_path, config_for):
    config = config_for(tmp_path / "book.xlsx")
    config = replace(config, business=replace(config.business, payment_instructions_by=TABLE))
    rows = [invoice("K", "C2", due=AS_OF - timedelta(days=2), currency="KRW", amount=500000),
            invoice("Z", "C3", due=AS_OF - timedelta(days=2), currency="CNY", amount=800),
            invoice("U", "C1", due=AS_OF - timedelta(days=2))]
    book = memory_book(config, rows)
    said = {}
    for inv in book.invoices:
        out = compose(inv, book.clients[inv.client_id], "gentle", inv.amount, 2, (), config, AS_OF)
        said[inv.invoice_no] = body(out.message)
    assert "국민은행 123-456-789" in said["K"] and "Wire to account" not in said["K"]
    assert "招商银行" in said["Z"] and "Wire to account" not in said["Z"]
    assert "Wire to account 123." in said["U"] and "국민은행" not in said["U"]


def test_the_terms_phrase_comes_from_the_invoices_own_dates(tmp_path, config_for):
    """The client's row says Net 30, but each invoice's dates say what its terms were."""
    config = config_for(tmp_path / "book.xlsx")
    rows = [invoice("T14", due=AS_OF - timedelta(days=2), issue=AS_OF - timedelta(days=16)),
            invoice("T0", due=AS_OF - timedelta(days=2), issue=AS_OF - timedelta(days=2)),
            invoice("T30", due=AS_OF - timedelta(days=2), issue=AS_OF - timedelta(days=32)),
            invoice("TX", due=AS_OF - timedelta(days=2), issue=AS_OF + timedelta(days=5))]
    book = memory_book(config, rows)
    said = {inv.invoice_no: body(compose(inv, book.clients[inv.client_id], "gentle", inv.amount, 2, (), config,
                                         AS_OF).message) for inv in book.invoices}
    assert "within 14 days of the invoice date" in said["T14"] and "30 days" not in said["T14"]
    assert "due on receipt" in said["T0"] and "within" not in said["T0"]
    assert "within 30 days of the invoice date" in said["T30"]
    assert "within" not in said["TX"] and "on receipt" not in said["TX"]  # dates that disagree: no terms at all


def test_preview_of_a_stage_not_due_yet_renders_it_as_of_its_day_and_says_so(tmp_path, config_for):
    from sheet_sync import api
    from workbooks import simple_book

    wb = simple_book(tmp_path / "book.xlsx", [invoice("P-1", due=AS_OF - timedelta(days=2))])
    config = config_for(wb)
    api.sync(config, as_of=AS_OF)  # gentle goes out today (Monday); firm at 7+ days late, 3 sending days on
    shown = api.preview(config, "P-1", as_of=AS_OF + timedelta(days=1))
    assert shown.outgoing.stage == "firm" and shown.day == date(2026, 11, 30)  # Saturday 28th: the Monday after
    assert "not due yet: rendered as of 2026-11-30" in shown.note
    text = body(shown.outgoing.message)
    assert "9 days" in text  # as late as it will be that day
    assert "3 days" not in text
    today = api.preview(config, "P-1", stage="gentle", as_of=AS_OF)
    assert today.day == AS_OF and "rendered as if" in today.note


def test_a_real_reminders_context_has_the_documented_shape_and_shows_the_description(tmp_path, config_for):
    """The context compose() gives a template has exactly the keys render.sample_context documents (an
    owner's template written against the sample never meets a missing name), and the Description shows."""
    from sheet_sync.compose import reminder_context
    from sheet_sync.render import sample_context
    from sheet_sync.raw import grid_from_rows, raw_sheet
    from sheet_sync.load import load_book, wanted_sheets
    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS

    config = config_for(tmp_path / "book.xlsx")
    wanted = wanted_sheets(config)
    sheets = {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS],
              "Invoices": [INVOICE_HEADERS + ["Description"],
                           invoice("D-1", due=AS_OF - timedelta(days=2)) + ["Website redesign, phase 2"]]}
    book = load_book({name: raw_sheet(name, grid_from_rows(rows), wanted[name][1]) for name, rows in sheets.items()},
                     config)
    inv = book.invoices[0]
    ctx = reminder_context(inv, book.clients["C1"], "gentle", inv.amount, 2, config, AS_OF)
    sample = sample_context("en", "gentle")
    assert set(ctx) == set(sample)
    for part in ("business", "client", "invoice"):
        assert set(ctx[part]) == set(sample[part]), part
    out = compose(inv, book.clients["C1"], "gentle", inv.amount, 2, (), config, AS_OF)
    assert "Website redesign, phase 2" in body(out.message)

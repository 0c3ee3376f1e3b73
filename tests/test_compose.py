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

"""One message per client per run: every invoice of the client due a stage today goes in one message, in the
tone of the most advanced stage, with a statement; each invoice keeps its own stage and log row."""
from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

import openpyxl

from sheet_sync import api
from workbooks import invoice, simple_book

MONDAY = date(2026, 11, 23)


def book(tmp_path):
    return simple_book(tmp_path / "book.xlsx", [
        invoice("A-UP", due=MONDAY + timedelta(days=3), amount=500),          # upcoming on Monday
        invoice("B-GENTLE", due=MONDAY - timedelta(days=2), amount=1000),     # upcoming last Wednesday, gentle Monday
        invoice("C-FIRM", due=MONDAY - timedelta(days=10), amount=1500),      # gentle last Wednesday, firm Monday
        invoice("K-OTHER", "C2", due=MONDAY - timedelta(days=2), currency="KRW", amount=800000),
    ])


def messages(folder):
    return {p.name: message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))}


def log(wb):
    ws = openpyxl.load_workbook(wb)["Reminder Log"]
    return [dict(zip([c.value for c in ws[1]], r)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_a_clients_invoices_due_today_go_in_one_message_in_the_firmest_tone(tmp_path, config_for):
    wb = book(tmp_path)
    config = config_for(wb)
    wednesday = MONDAY - timedelta(days=5)
    first = api.sync(config, as_of=wednesday)
    assert sorted((m.invoice_no, m.stage) for m in first.sent) == [
        ("B-GENTLE", "upcoming"), ("C-FIRM", "gentle"), ("K-OTHER", "upcoming")]
    sent_wednesday = messages(tmp_path / "outbox")
    assert len(sent_wednesday) == 2  # Acme's friendly upcoming note rode along with its gentle reminder
    acme_wednesday = next(m for m in sent_wednesday.values() if m["To"] == "ap@acme.example.com")
    assert acme_wednesday["Subject"] == "Payment reminder: 2 invoices, $2,500.00 open"

    monday = api.sync(config, as_of=MONDAY)
    assert sorted((m.invoice_no, m.stage) for m in monday.sent) == [
        ("A-UP", "upcoming"), ("B-GENTLE", "gentle"), ("C-FIRM", "firm"), ("K-OTHER", "gentle")]
    new = {name: m for name, m in messages(tmp_path / "outbox").items() if name not in sent_wednesday}
    assert len(new) == 2  # one per client: Acme's three invoices in one message, 한빛상사's own
    acme = next(m for m in new.values() if m["To"] == "ap@acme.example.com")
    assert acme["Subject"] == "Overdue: 3 invoices, $3,000.00 outstanding"  # the firm tone, never a friendly one
    text = acme.get_body(("plain",)).get_content()
    assert text.index("C-FIRM") < text.index("B-GENTLE") < text.index("A-UP")  # oldest first
    assert "10 days overdue" in text and "2 days overdue" in text and "due in 3 days" in text
    assert "Total: $3,000.00" in text
    assert "Hi " not in text and "Dear Dana," in text
    html = acme.get_body(("html",)).get_content()
    assert all(no in html for no in ("A-UP", "B-GENTLE", "C-FIRM")) and "$3,000.00" in html

    rows = [r for r in log(wb) if r["Logged At"].date() == MONDAY and r["Client ID"] == "C1"]
    assert sorted((r["Invoice No"], r["Stage"], r["State"]) for r in rows) == [
        ("A-UP", "upcoming", "sent"), ("B-GENTLE", "gentle", "sent"), ("C-FIRM", "firm", "sent")]
    assert len({r["Message ID"] for r in rows}) == 1 == len({acme["Message-ID"]} & {r["Message ID"] for r in rows})
    assert acme["In-Reply-To"] and "C-FIRM.gentle" in acme["In-Reply-To"]  # threaded after C-FIRM's gentle

    again = api.sync(config, as_of=MONDAY)  # the same day again: nothing twice
    assert again.sent == () and len(messages(tmp_path / "outbox")) == 4


def test_off_sends_one_message_per_invoice_as_before(tmp_path, config_for):
    wb = book(tmp_path)
    config = config_for(wb, "[reminders]\none_email_per_client = false")
    api.sync(config, as_of=MONDAY - timedelta(days=5))
    result = api.sync(config, as_of=MONDAY)
    assert len(result.sent) == 4 and len(messages(tmp_path / "outbox")) == 3 + 4
    assert len({r["Message ID"] for r in log(wb)}) == len(log(wb))

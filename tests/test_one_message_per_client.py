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
    # the firm tone, never a friendly one; but A-UP is not overdue yet, so the subject calls the three "open"
    assert acme["Subject"] == "Overdue payment: 3 open invoices, $3,000.00 in total"
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


def test_a_thank_you_once_when_a_reminded_invoice_is_paid_never_on_a_chasing_morning(tmp_path, config_for):
    wb = simple_book(tmp_path / "book.xlsx", [
        invoice("T-1", due=MONDAY - timedelta(days=2), amount=900),
        invoice("T-2", "C2", due=MONDAY - timedelta(days=2), currency="KRW", amount=500000),
        invoice("T-3", "C2", due=MONDAY - timedelta(days=12), currency="KRW", amount=700000),
        invoice("T-4", "C3", due=MONDAY + timedelta(days=20), currency="CNY", amount=300),  # never reminded
    ])
    config = config_for(wb)
    api.sync(config, as_of=MONDAY)  # T-1, and T-2 + T-3 for 한빛상사, get their reminders
    book = openpyxl.load_workbook(wb)
    for row in book["Invoices"].iter_rows(min_row=2):
        if row[0].value in ("T-1", "T-2", "T-4"):
            row[6].value, row[7].value = row[5].value, MONDAY + timedelta(days=1)  # paid in full on Tuesday
    book.save(wb)
    tuesday = api.sync(config, as_of=MONDAY + timedelta(days=1))
    assert sorted((m.invoice_no, m.stage) for m in tuesday.sent) == [("T-1", "thanks"), ("T-2", "thanks")]
    thanks = {name: m for name, m in messages(tmp_path / "outbox").items() if "thanks" in name}
    en = thanks["T-1-thanks.eml"]
    assert en["Subject"] == "Thank you: payment received for invoice T-1"
    assert "$900.00" in en.get_body(("plain",)).get_content()
    assert "입금" in thanks["T-2-thanks.eml"]["Subject"]
    wednesday = api.sync(config, as_of=MONDAY + timedelta(days=2))
    assert [m for m in wednesday.sent if m.stage == "thanks"] == []  # once


def test_no_thank_you_the_morning_the_client_is_chased(tmp_path, config_for):
    """A thank-you and a firm reminder never land on the same morning: the thank-you waits a sending day."""
    wb = simple_book(tmp_path / "book.xlsx", [invoice("U-1", due=MONDAY - timedelta(days=2), amount=900),
                                              invoice("U-2", due=MONDAY - timedelta(days=9), amount=100)])
    config = config_for(wb)
    monday = api.sync(config, as_of=MONDAY)
    assert sorted((m.invoice_no, m.stage) for m in monday.sent) == [("U-1", "gentle"), ("U-2", "gentle")]
    book = openpyxl.load_workbook(wb)
    row = next(r for r in book["Invoices"].iter_rows(min_row=2) if r[0].value == "U-1")
    row[6].value, row[7].value = 900, MONDAY + timedelta(days=2)  # paid on Wednesday
    book.save(wb)
    thursday = api.sync(config, as_of=MONDAY + timedelta(days=3))  # U-2's firm is due: no thank-you today
    assert [(m.invoice_no, m.stage) for m in thursday.sent] == [("U-2", "firm")]
    friday = api.sync(config, as_of=MONDAY + timedelta(days=4))
    assert [(m.invoice_no, m.stage) for m in friday.sent] == [("U-1", "thanks")]



def test_a_grouped_final_notice_names_only_the_invoices_that_reached_it(tmp_path, config_for):
    """Collections is said of the invoices at their final notice, never of one that is merely late."""
    from sheet_sync.render import _variants, render_reminder

    for lang in ("en", "ko", "zh"):
        ctx = _variants(lang, "final")[2]  # three invoices: two at final, one only coming due
        text = render_reminder("final", lang, ctx).text
        line = next(x for x in text.split("\n") if "collections" in x or "채권추심" in x or "催收" in x)
        assert "INV-2026-0031" in line and "INV-2026-0042" in line and "INV-2026-0050" not in line, (lang, line)


def test_the_summary_counts_invoices_and_the_messages_they_went_in(tmp_path, config_for):
    from sheet_sync.cli import render_summary

    wb = book(tmp_path)
    result = api.sync(config_for(wb), as_of=MONDAY - timedelta(days=5))
    assert "reminders sent: 3 (gentle 1, upcoming 2) in 2 messages" in render_summary(result)
    assert len({m.message_id for m in result.sent}) == 2 == len(messages(tmp_path / "outbox"))

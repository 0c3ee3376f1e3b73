"""Approval before sending (`reminders.approval = true`): a run sends nothing to clients and lists what it would send
in the Outgoing sheet; the owner answers in its Approve dropdown; the next run sends exactly the approved rows that
are still due, once, over the real SMTP test server. On a real .xlsx (the surgical writer and the openpyxl
fallback, edited between runs with openpyxl as an owner's Excel would) and on the Sheets emulator (edited through
gspread); the pure decisions in memory."""
from __future__ import annotations

import json
from datetime import date, timedelta
from email import message_from_bytes, policy

import openpyxl
import pytest

from sheet_sync import api
from sheet_sync.model import OUTGOING_COLUMNS
from owner_snapshot import owner_snapshot
from smtp_server import PASSWORD, mail_toml
from workbooks import invoice, sheet_config, simple_book, write_config

AS_OF = date(2026, 11, 23)  # a Monday
GENTLE_DUE = AS_OF - timedelta(days=2)  # the gentle reminder is due on AS_OF
APPROVAL = "[reminders]\napproval = true\n"
INVOICES = [
    invoice("A-1", "C1", due=GENTLE_DUE),
    invoice("K-1", "C2", due=GENTLE_DUE, currency="KRW", amount=500000),
    invoice("Z-1", "C3", due=GENTLE_DUE, currency="CNY"),
    invoice("A-2", "C1", due=AS_OF + timedelta(days=20)),  # nothing due
]
TO = {"A-1": "ap@acme.example.com", "K-1": "billing@hanbit.example.co.kr", "Z-1": "finance@xingchen.example.cn"}


def outgoing(path) -> list[dict]:
    ws = openpyxl.load_workbook(path)["Outgoing"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == OUTGOING_COLUMNS
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def sheet_rows(path, sheet: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def answer(path, answers: dict[str, str]) -> None:
    """The owner picks Approve on the rows of these invoices, in Excel (openpyxl: load, edit, save)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Outgoing"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        no = row[headers.index("Invoices")].value
        if no in answers:
            row[headers.index("Approve")].value = answers[no]
    wb.save(path)


def received_to(server) -> list[str]:
    return sorted(r.message["To"] for r in server.received)


@pytest.fixture
def smtp_config(tmp_path, smtp_server, trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)

    def make(wb, extra: str = ""):
        return write_config(tmp_path, wb, mail_toml(smtp_server.port, smtp='security = "starttls"\ntimeout = 10')
                            + APPROVAL + extra)

    return make


@pytest.mark.parametrize("writer", ["surgical", "openpyxl"])
def test_approving_two_of_three_sends_exactly_those_two_once(tmp_path, smtp_server, smtp_config, monkeypatch, writer):
    monkeypatch.setenv("SHEET_SYNC_EXCEL_WRITER", writer)
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = smtp_config(wb)
    before = owner_snapshot(wb)

    first = api.sync(config, as_of=AS_OF)
    assert smtp_server.received == [] and first.messages == ()  # nothing to any client
    assert first.writer == writer and first.awaiting_approval == 3
    rows = outgoing(wb)
    assert [(r["Approve"], r["Invoices"], r["Stage"], r["Key"]) for r in rows] == [
        (None, "A-1", "gentle", "gentle:A-1"), (None, "K-1", "gentle", "gentle:K-1"), (None, "Z-1", "gentle", "gentle:Z-1")]
    a1 = rows[0]
    assert a1["Client"] == "Acme Ltd" and a1["To"] == TO["A-1"]
    assert a1["Subject"] == "Payment reminder: invoice A-1 for $1,000.00, due November 21, 2026"
    assert a1["First Lines"].startswith("Hi Dana, / I hope you are well. Our records show no payment yet for invoice A-1")
    # the whole message, beside the workbook, for a mail program to open
    assert a1["Preview"] == "book-outgoing/gentle_A-1.eml"
    preview = message_from_bytes((tmp_path / a1["Preview"]).read_bytes(), policy=policy.default)
    assert preview["Subject"] == a1["Subject"] and preview["To"] == TO["A-1"]
    assert sorted(p.name for p in (tmp_path / "book-outgoing").iterdir()) == [
        "gentle_A-1.eml", "gentle_K-1.eml", "gentle_Z-1.eml"]
    assert a1["Queued On"].date() == AS_OF
    assert rows[1]["Subject"].startswith("[Test Studio] 인보이스 K-1") and rows[2]["Client"] == "上海星辰"
    # Approve is a dropdown over the rows: blank, yes, no, hold
    ws = openpyxl.load_workbook(wb)["Outgoing"]
    (dv,) = ws.data_validations.dataValidation
    assert (dv.type, dv.formula1, dv.allow_blank, str(dv.sqref)) == ("list", '"yes,no,hold"', True, "A2:A4")
    invoices = {r["Invoice No"]: r for r in sheet_rows(wb, "Invoices")}
    assert "waits for your approval" in invoices["A-1"]["Sync Notes"]
    assert invoices["A-1"]["Last Reminder"] is None and invoices["A-1"]["Next Reminder"] == "2026-11-24 gentle"
    assert "Reminder Log" not in openpyxl.load_workbook(wb).sheetnames  # nothing sent, nothing logged
    assert owner_snapshot(wb) == before

    answer(wb, {"A-1": "yes", "K-1": "Yes"})
    before = owner_snapshot(wb)
    second = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert received_to(smtp_server) == sorted([TO["A-1"], TO["K-1"]])
    assert sorted((m.invoice_no, m.stage, m.state) for m in second.messages) == [
        ("A-1", "gentle", "sent"), ("K-1", "gentle", "sent")]
    # composed fresh as of the day it goes: three days overdue now
    a1_mail = next(r.message for r in smtp_server.received if r.message["To"] == TO["A-1"])
    assert "invoice A-1" in a1_mail.get_body(("plain",)).get_content()
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [(None, "gentle:Z-1")]  # the sent rows are cleared
    assert second.awaiting_approval == 1
    assert outgoing(wb)[0]["Queued On"].date() == AS_OF  # still the day it was first queued
    assert [p.name for p in (tmp_path / "book-outgoing").iterdir()] == ["gentle_Z-1.eml"]  # the others went
    (dv,) = openpyxl.load_workbook(wb)["Outgoing"].data_validations.dataValidation  # one dropdown, over the one row
    assert (dv.formula1, str(dv.sqref)) == ('"yes,no,hold"', "A2")
    log = sheet_rows(wb, "Reminder Log")
    assert sorted((r["Invoice No"], r["Stage"], r["State"]) for r in log) == [
        ("A-1", "gentle", "sent"), ("K-1", "gentle", "sent")]
    assert owner_snapshot(wb) == before

    third = api.sync(config, as_of=AS_OF + timedelta(days=2))
    assert third.messages == () and len(smtp_server.received) == 2  # at most once
    assert [r["Key"] for r in outgoing(wb)] == ["gentle:Z-1"]
    assert len(sheet_rows(wb, "Reminder Log")) == 2


def test_a_paid_invoice_whose_row_was_approved_is_not_sent(tmp_path, smtp_server, smtp_config):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = smtp_config(wb)
    api.sync(config, as_of=AS_OF)
    answer(wb, {"A-1": "yes", "K-1": "yes", "Z-1": "yes"})
    owner = openpyxl.load_workbook(wb)  # meanwhile Z-1 is paid in full
    ws = owner["Invoices"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "Z-1":
            row[headers.index("Amount Paid")].value = 1000
    owner.save(wb)

    result = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert received_to(smtp_server) == sorted([TO["A-1"], TO["K-1"]])
    assert outgoing(wb) == []
    z1 = next(r for r in sheet_rows(wb, "Invoices") if r["Invoice No"] == "Z-1")
    assert z1["Sync Status"] == "Paid"
    assert "The gentle reminder you approved was not sent: the invoice is paid." in z1["Sync Notes"]
    assert result.approval_notes == ("Z-1: The gentle reminder you approved was not sent: the invoice is paid.",)
    assert "Z-1" not in {r["Invoice No"] for r in sheet_rows(wb, "Reminder Log")}


def test_no_skips_that_stage_for_good_and_hold_keeps_waiting(tmp_path, smtp_server, smtp_config):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = smtp_config(wb)
    api.sync(config, as_of=AS_OF)
    answer(wb, {"A-1": "no", "K-1": "hold"})
    api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert smtp_server.received == []
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [("hold", "gentle:K-1"), (None, "gentle:Z-1")]
    (declined,) = sheet_rows(wb, "Reminder Log")
    assert (declined["Invoice No"], declined["Stage"], declined["State"]) == ("A-1", "gentle", "skipped")
    assert declined["Detail"].startswith("not approved") and declined["To"] == TO["A-1"]
    a1 = next(r for r in sheet_rows(wb, "Invoices") if r["Invoice No"] == "A-1")
    assert "was not approved" in a1["Sync Notes"]

    # A-1's gentle reminder is never asked again; its firm one comes in its time (7 days overdue)
    for day in range(2, 8):
        result = api.sync(config, as_of=AS_OF + timedelta(days=day))
        keys = [r["Key"] for r in outgoing(wb)]
        assert "gentle:A-1" not in keys, day
        assert result.messages == ()
    assert "firm:A-1" in keys  # Monday 30 November: 9 days overdue
    assert [r["Approve"] for r in outgoing(wb) if r["Key"] == "gentle:K-1"] == ["hold"]  # still waiting, still hold
    assert smtp_server.received == []


def test_a_new_stage_due_replaces_the_waiting_row_and_says_so(tmp_path):
    due = AS_OF + timedelta(days=3)  # the upcoming heads-up is due on AS_OF
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A-1", "C1", due=due)])
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    assert [r["Key"] for r in outgoing(wb)] == ["upcoming:A-1"]
    answer(wb, {"A-1": "hold"})
    result = api.sync(config, as_of=due + timedelta(days=4))  # Monday, past due: gentle, no heads-up any more
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [(None, "gentle:A-1")]
    note = "The upcoming reminder waiting in Outgoing was replaced by the gentle reminder now due; approve the new row."
    assert result.approval_notes == (f"A-1: {note}",)
    assert note in sheet_rows(wb, "Invoices")[0]["Sync Notes"]
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").iterdir())


def test_on_a_day_without_sending_the_rows_wait_as_they_are(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    answer(wb, {"A-1": "yes", "Z-1": "maybe"})
    saturday = api.sync(config, as_of=date(2026, 11, 28))
    assert saturday.messages == () and saturday.awaiting_approval == 3
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [
        ("yes", "gentle:A-1"), (None, "gentle:K-1"), ("maybe", "gentle:Z-1")]  # the owner's words kept
    warning = next(p for p in saturday.problems if p.invoice_no == "Z-1")
    assert str(warning) == "Outgoing!A4: Approve 'maybe' is none of yes, no, hold; the message keeps waiting. " \
                           "Choose one from the cell's list."
    assert not warning.blocking and saturday.exit_code == 0
    monday = api.sync(config, as_of=date(2026, 11, 30))
    assert [(m.invoice_no, m.state) for m in monday.messages] == [("A-1", "sent")]  # to the outbox
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [(None, "gentle:K-1"), ("maybe", "gentle:Z-1")]


def test_a_dry_run_writes_and_sends_nothing_and_says_what_waits(tmp_path, capsys):
    from sheet_sync import cli

    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    answer(wb, {"A-1": "yes", "K-1": "no"})
    data = wb.read_bytes()
    previews = {p.name: p.read_bytes() for p in (tmp_path / "book-outgoing").iterdir()}
    dry = api.sync(config, as_of=AS_OF + timedelta(days=1), dry_run=True)
    assert wb.read_bytes() == data and not (tmp_path / "outbox").exists()
    assert [(m.invoice_no, m.state) for m in dry.messages] == [("A-1", "planned")]
    assert dry.awaiting_approval == 1  # Z-1; K-1 is declined
    code = cli.main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", "2026-11-24", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and "waiting for your approval: 1 message (the Outgoing sheet" in out
    cli.main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", "2026-11-24", "--dry-run", "--json"])
    assert json.loads(capsys.readouterr().out)["awaiting_approval"] == 1
    assert wb.read_bytes() == data
    assert {p.name: p.read_bytes() for p in (tmp_path / "book-outgoing").iterdir()} == previews


def test_approval_off_writes_no_outgoing_sheet(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    result = api.sync(write_config(tmp_path, wb), as_of=AS_OF)
    assert len(result.sent) == 3 and result.awaiting_approval is None
    assert "Outgoing" not in openpyxl.load_workbook(wb).sheetnames


def test_approval_on_a_google_sheet(tmp_path, emulator, smtp_server, trusted_ca, monkeypatch, no_google_credentials):
    from google.oauth2.credentials import Credentials

    from sheet_sync.backends.google_client import make_client
    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS

    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, *INVOICES])
    config = sheet_config(tmp_path, emulator, mail_toml(smtp_server.port, smtp='security = "starttls"\ntimeout = 10')
                          + APPROVAL)
    emulator.requests.clear()
    first = api.sync(config, as_of=AS_OF)
    assert smtp_server.received == [] and first.awaiting_approval == 3
    assert len(emulator.requests) <= 6, emulator.requests
    values = emulator.values("Outgoing")
    assert tuple(values[0]) == OUTGOING_COLUMNS
    assert [(r[3], r[-1]) for r in values[1:]] == [("A-1", "gentle:A-1"), ("K-1", "gentle:K-1"), ("Z-1", "gentle:Z-1")]
    assert values[1][OUTGOING_COLUMNS.index("Preview")] == "sheet-sync preview A-1 --stage gentle"  # no file for Google
    sheet = emulator.sheet("Outgoing")
    rule = sheet.validations[(2, 1)]
    assert rule["condition"] == {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in ("yes", "no", "hold")]}
    assert sorted(sheet.validations) == [(2, 1), (3, 1), (4, 1)]
    owner_cells = {t: dict(emulator.sheet(t).cells) for t in ("Clients",)}

    # the owner approves two rows in the Sheet (through the real gspread client)
    client = make_client(emulator.url, Credentials(token="test-token"))
    ws = client.open_by_key(emulator.key).worksheet("Outgoing")
    ws.update_cell(2, 1, "yes")
    ws.update_cell(4, 1, "yes")
    second = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert received_to(smtp_server) == sorted([TO["A-1"], TO["Z-1"]])
    assert sorted(m.invoice_no for m in second.sent) == ["A-1", "Z-1"]
    values = emulator.values("Outgoing")
    assert [r[-1] for r in values[1:] if any(r)] == ["gentle:K-1"] and not values[1][0]
    third = api.sync(config, as_of=AS_OF + timedelta(days=2))
    assert third.messages == () and len(smtp_server.received) == 2
    assert {t: dict(emulator.sheet(t).cells) for t in ("Clients",)} == owner_cells


def test_the_digest_still_goes_to_the_owner_and_says_what_waits(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = write_config(tmp_path, wb, '[mail]\ntransport = "outbox"\nfrom = "billing@studio.example.com"\n'
                                        'outbox_dir = "outbox"\ndigest_to = "owner@studio.example.com"\n' + APPROVAL)
    result = api.sync(config, as_of=AS_OF)
    assert result.sent == () and result.digest == "sent to owner@studio.example.com"
    (only,) = (tmp_path / "outbox").iterdir()  # the digest, and no message to a client
    assert len(list((tmp_path / "book-outgoing").iterdir())) == 3  # the previews: beside the workbook
    msg = message_from_bytes(only.read_bytes(), policy=policy.default)
    assert msg["To"] == "owner@studio.example.com"
    assert "Waiting for your approval: 3 messages in the Outgoing sheet." in msg.get_body(("plain",)).get_content()
    assert "Waiting for your approval: 3 messages</b> in the Outgoing sheet." in msg.get_body(("html",)).get_content()


def test_an_answer_given_on_the_google_sheet_during_the_run_is_kept(tmp_path, emulator, no_google_credentials):
    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS

    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, *INVOICES])
    config = sheet_config(tmp_path, emulator, APPROVAL)
    api.sync(config, as_of=AS_OF)
    sheet = emulator.sheet("Outgoing")

    def owner_answers(method: str, path: str) -> None:  # after the run read the sheet, before it writes
        if method == "GET" and path.endswith("values:batchGet") and len(emulator.requests) > 2:
            emulator.before_request = None
            sheet.cells[(3, 1)] = "yes"  # K-1

    emulator.requests.clear()
    emulator.before_request = owner_answers
    result = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert result.messages == ()  # read blank: not sent on this run
    assert [(r[0] or None, r[-1]) for r in emulator.values("Outgoing")[1:]] == [
        (None, "gentle:A-1"), ("yes", "gentle:K-1"), (None, "gentle:Z-1")]  # but the owner's yes is kept
    assert [m.invoice_no for m in api.sync(config, as_of=AS_OF + timedelta(days=2)).sent] == ["K-1"]


def test_an_approved_message_over_the_daily_cap_stays_approved_for_the_next_run(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    config = write_config(tmp_path, wb, '[mail]\ntransport = "outbox"\nfrom = "billing@studio.example.com"\n'
                                        'outbox_dir = "outbox"\ndaily_cap = 1\n' + APPROVAL)
    api.sync(config, as_of=AS_OF)
    answer(wb, {"A-1": "yes", "K-1": "yes"})
    second = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [(m.invoice_no, m.state) for m in second.messages] == [("A-1", "sent"), ("K-1", "skipped")]
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [(None, "gentle:Z-1"), ("yes", "gentle:K-1")]
    assert outgoing(wb)[1]["Queued On"].date() == AS_OF
    third = api.sync(config, as_of=AS_OF + timedelta(days=2))
    assert [(m.invoice_no, m.state) for m in third.messages] == [("K-1", "sent")]
    assert [r["Key"] for r in outgoing(wb)] == ["gentle:Z-1"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_one_row_for_a_client_s_grouped_message_and_a_paid_invoice_left_out_of_it(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", [
        invoice("A-1", "C1", due=GENTLE_DUE),
        invoice("A-3", "C1", due=AS_OF - timedelta(days=7)),  # older: its gentle reminder is due too
    ])
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    (row,) = outgoing(wb)  # one message names both, oldest first
    assert (row["Invoices"], row["Stage"], row["Key"]) == ("A-3, A-1", "gentle", "gentle:A-3 | gentle:A-1")
    answer(wb, {"A-3, A-1": "yes"})
    owner = openpyxl.load_workbook(wb)  # meanwhile A-3 is paid
    owner["Invoices"]["G3"] = 1000  # A-3's Amount Paid
    owner.save(wb)
    result = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [(m.invoice_no, m.stage, m.state) for m in result.messages] == [("A-1", "gentle", "sent")]
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    sent = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert "A-3" not in sent["Subject"] and "A-1" in sent["Subject"]  # composed fresh: only what is still due
    assert result.approval_notes == ("A-3: The gentle reminder you approved was not sent: the invoice is paid.",)
    assert outgoing(wb) == []


def test_why_an_approved_row_is_not_sent_in_memory(tmp_path):
    from sheet_sync.aging import age
    from sheet_sync.approval import split
    from sheet_sync.model import Waiting
    from sheet_sync.policy import make_calendar, plan
    from workbooks import memory_book

    config = write_config(tmp_path, tmp_path / "unused.xlsx", APPROVAL)
    book = memory_book(config, [
        invoice("H-1", "C1", due=GENTLE_DUE, status="On Hold"),
        invoice("P-1", "C1", due=GENTLE_DUE, paid=1000),
        invoice("D-1", "C2", due=GENTLE_DUE, status="Disputed"),
        invoice("F-1", "C3", due=AS_OF + timedelta(days=20), hold=AS_OF + timedelta(days=30)),
    ])
    report = age(book, config, AS_OF)
    decisions = plan(report, book, config, make_calendar(config, AS_OF))
    waiting = [Waiting(i + 2, ((no, "gentle"),), "yes", (None,) * len(OUTGOING_COLUMNS))
               for i, no in enumerate(["H-1", "P-1", "D-1", "F-1", "GONE-1"])]
    out = split([], waiting, decisions, report, sending_day=True)
    assert out.send == [] and out.wait == [] and out.kept == []
    assert out.dropped == [
        "H-1: The gentle reminder you approved was not sent: the invoice is On Hold now.",
        "P-1: The gentle reminder you approved was not sent: the invoice is paid.",
        "D-1: The gentle reminder you approved was not sent: the invoice is Disputed now.",
        "F-1: The gentle reminder you approved was not sent: Held until 2026-12-23 (the client's promised date): "
        "no reminder before then.",
        "GONE-1: The gentle reminder you approved was not sent: invoice GONE-1 is no longer on the Invoices sheet.",
    ]
    saturday = split([], waiting, decisions, report, sending_day=False)
    assert saturday.kept == waiting and not saturday.decided and saturday.dropped == []


def test_a_row_whose_key_was_changed_is_a_warning_and_its_message_is_listed_again(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES[:1])
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    owner = openpyxl.load_workbook(wb)
    owner["Outgoing"]["A2"], owner["Outgoing"]["J2"] = "yes", "A-1 please"
    owner.save(wb)
    result = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert result.messages == ()  # an answer the tool cannot place sends nothing
    (warning,) = [p for p in result.problems if "Key" in p.message]
    assert str(warning).startswith("Outgoing!J2: this row's Key is not one the tool wrote") and not warning.blocking
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [(None, "gentle:A-1")]


def test_a_thank_you_waits_for_approval_too(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES[:1])
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    answer(wb, {"A-1": "yes"})
    assert [m.stage for m in api.sync(config, as_of=AS_OF + timedelta(days=1)).sent] == ["gentle"]
    owner = openpyxl.load_workbook(wb)
    owner["Invoices"]["G2"] = 1000  # paid
    owner.save(wb)
    result = api.sync(config, as_of=AS_OF + timedelta(days=2))
    assert result.messages == () and [(r["Stage"], r["Key"]) for r in outgoing(wb)] == [("thanks", "thanks:A-1")]
    answer(wb, {"A-1": "yes"})
    assert [m.stage for m in api.sync(config, as_of=AS_OF + timedelta(days=3)).sent] == ["thanks"]
    assert outgoing(wb) == []


def test_an_invoice_waiting_for_approval_holds_back_no_reminder_and_one_message_a_morning_still_holds(tmp_path):
    ready = invoice("R-1", "C1", due=AS_OF + timedelta(days=30), status="Ready")
    wb = simple_book(tmp_path / "book.xlsx", [INVOICES[0], ready])
    config = write_config(tmp_path, wb, APPROVAL)
    api.sync(config, as_of=AS_OF)
    assert [(r["Stage"], r["Key"]) for r in outgoing(wb)] == [("gentle", "gentle:A-1"), ("invoice", "invoice:R-1")]
    a1 = next(r for r in sheet_rows(wb, "Invoices") if r["Invoice No"] == "A-1")
    assert "new invoice today" not in a1["Sync Notes"]  # the invoice only waits: nothing goes today
    answer(wb, {"A-1": "yes", "R-1": "yes"})
    second = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [(m.invoice_no, m.stage) for m in second.sent] == [("R-1", "invoice")]  # the invoice first, alone
    assert [(r["Approve"], r["Key"]) for r in outgoing(wb)] == [("yes", "gentle:A-1")]  # still approved
    third = api.sync(config, as_of=AS_OF + timedelta(days=2))
    assert [(m.invoice_no, m.stage) for m in third.sent] == [("A-1", "gentle")]
    assert outgoing(wb) == []


def test_the_heartbeat_says_how_many_messages_wait_for_approval(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", INVOICES)
    result = api.sync(write_config(tmp_path, wb, APPROVAL), as_of=AS_OF)
    assert not result.sent and result.awaiting_approval == 3
    words = [r for r in openpyxl.load_workbook(wb)["Aging Summary"].iter_rows(values_only=True)
             if r and r[0] == "Last run"][0][2]
    assert "0 reminders sent, 3 waiting for approval" in words

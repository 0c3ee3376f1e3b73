"""Replies and bounces read from a real Dovecot on 127.0.0.1 (messages put in with IMAP APPEND), through the
whole sync on a real .xlsx: a reply pauses the invoice and the final notice is not sent; an out-of-office in
each language does not; a bounce makes the address a Problem; the scan leaves every message unread; a re-run
adds no row twice."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import openpyxl
import pytest

import mail_samples as ms
from imap_server import PASSWORD, USER, imap_toml
from dataclasses import replace

from sheet_sync import api
from sheet_sync.digest import build_digest
from sheet_sync.job_summary import markdown_summary
from sheet_sync.doctor import run_checks
from sheet_sync.errors import SheetSyncError
from sheet_sync.mail.mailbox import scan
from sheet_sync.replies import mail_index
from workbooks import invoice, simple_book

AS_OF = date(2026, 11, 23)  # a Monday: INV-1's final notice is due (25 days late, firm 7 sending days ago)
LOG = ["Logged At", "Invoice No", "Client ID", "Stage", "To", "Subject", "Message ID", "Transport", "State", "Detail"]
GENTLE = "<inv-1.gentle.c1@studio.example.com>"
FIRM = "<inv-1.firm.c1@studio.example.com>"
FIRM_KO = "<inv-2.firm.c2@studio.example.com>"


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("IMAP_PASSWORD", PASSWORD)


def book(tmp_path, hold=None):
    log = [
        [datetime(2026, 11, 2, 9), "INV-1", "C1", "gentle", "ap@acme.example.com", "Payment reminder", GENTLE, "smtp", "sent", ""],
        [datetime(2026, 11, 12, 9), "INV-1", "C1", "firm", "ap@acme.example.com", "Payment overdue", FIRM, "smtp", "sent", ""],
        [datetime(2026, 11, 2, 9), "INV-2", "C2", "gentle", "billing@hanbit.example.co.kr", "결제 안내",
         "<inv-2.gentle.c2@studio.example.com>", "smtp", "sent", ""],
        [datetime(2026, 11, 2, 9), "INV-4", "C1", "gentle", "ap@acme.example.com", "Payment reminder",
         "<inv-4.gentle.c1@studio.example.com>", "smtp", "sent", ""],
        [datetime(2026, 11, 12, 9), "INV-4", "C1", "firm", "ap@acme.example.com", "Payment overdue",
         "<inv-4.firm.c1@studio.example.com>", "smtp", "sent", ""],
        [datetime(2026, 11, 12, 9), "INV-2", "C2", "firm", "billing@hanbit.example.co.kr", "결제 요청", FIRM_KO, "smtp",
         "sent", ""],
    ]
    return simple_book(tmp_path / "book.xlsx", [
        invoice("INV-1", "C1", due=AS_OF - timedelta(days=25), hold=hold),
        invoice("INV-2", "C2", due=AS_OF - timedelta(days=25), currency="KRW", amount=1200000),
        invoice("INV-4", "C1", due=AS_OF - timedelta(days=25)),
    ], extra={"Reminder Log": [LOG, *log]})


def config(config_for, path, dovecot, extra=""):
    return config_for(path, imap_toml(dovecot.port, "none", extra))


def sheet(path, name):
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def invoices(path):
    return {r["Invoice No"]: r for r in sheet(path, "Invoices")}


def finals(result):
    return sorted(m.invoice_no for m in result.reminders if m.stage == "final")


def test_a_reply_in_the_thread_pauses_the_invoice_and_the_final_notice_is_not_sent(tmp_path, config_for, dovecot):
    path = book(tmp_path)
    cfg = config(config_for, path, dovecot)
    assert finals(api.sync(cfg, AS_OF, dry_run=True)) == ["INV-1", "INV-2", "INV-4"]  # without a reply: all three
    dovecot.append(ms.reply("dana@acme.example.com", "Hi,\nWe paid on Friday, see the attached remittance." + ms.QUOTE,
                            in_reply_to=FIRM, subject="Re: Payment overdue"))
    result = api.sync(cfg, AS_OF)
    assert finals(result) == ["INV-2", "INV-4"]  # INV-1 waits; INV-4, of the same client but not answered, does not
    rows = invoices(path)
    assert rows["INV-1"]["Sync Status"] == "Replied"
    assert rows["INV-1"]["Sync Notes"] == (
        "Replied on 2026-11-20 by dana@acme.example.com: 'We paid on Friday, see the attached remittance.' Reminders "
        "wait until 2026-11-27 (reminders.reply_pause_days): read the reply, then set Status or Hold Until.")
    assert [(a.invoice_no, a.client) for a in result.replied] == [("INV-1", "Acme Ltd")]
    digest = build_digest(result, replace(cfg, mail=replace(cfg.mail, digest_to="owner@studio.example.com")))
    text = digest.get_body(("plain",)).get_content()
    assert "Replied, needs your decision (1)" in text
    summary = markdown_summary(result)
    assert "### Replied: reminders wait" in summary and "| INV-1 | Acme Ltd | $1,000.00 | Replied on 2026-11-20" in summary
    assert "  - INV-1 (Acme Ltd): Replied on 2026-11-20 by dana@acme.example.com: 'We paid on Friday" in text
    log = [r for r in sheet(path, "Reminder Log") if r["Stage"] == "reply"]
    assert [(r["Invoice No"], r["State"], r["To"], r["Message ID"], r["Transport"]) for r in log] == [
        ("INV-1", "received", "dana@acme.example.com", "<reply-1@acme.example.com>", "imap")]
    assert all(b"\\Seen" not in f for f in dovecot.flags())  # the scan read it and left it unread

    again = api.sync(cfg, AS_OF)  # the same day again: nothing new, no row twice
    assert again.reminders == () and len(sheet(path, "Reminder Log")) == 6 + 1 + 2
    later = api.sync(cfg, date(2026, 11, 27))  # the pause is over, no new reply: the final notice goes out
    assert finals(later) == ["INV-1"]


def test_a_mail_from_the_clients_address_naming_the_invoice_pauses_it(tmp_path, config_for, dovecot):
    path = book(tmp_path)
    dovecot.append(ms.reply("ap@acme.example.com", "Hello,\nThe amount on INV-4 is wrong, please call me.",
                            subject="Question about our account", message_id="<q-4@acme.example.com>"))
    result = api.sync(config(config_for, path, dovecot), AS_OF)
    assert finals(result) == ["INV-1", "INV-2"]
    assert invoices(path)["INV-4"]["Sync Status"] == "Replied"
    assert "'The amount on INV-4 is wrong, please call me.'" in invoices(path)["INV-4"]["Sync Notes"]


def test_out_of_office_answers_in_three_languages_change_nothing(tmp_path, config_for, dovecot):
    path = book(tmp_path)
    dovecot.append(ms.out_of_office("en", "ap@acme.example.com", FIRM, 1),
                   ms.out_of_office("ko", "billing@hanbit.example.co.kr", FIRM_KO, 2),
                   ms.out_of_office("zh", "ap@acme.example.com", GENTLE, 3))
    result = api.sync(config(config_for, path, dovecot), AS_OF)
    assert finals(result) == ["INV-1", "INV-2", "INV-4"]
    assert [r for r in sheet(path, "Reminder Log") if r["Transport"] == "imap"] == []
    assert result.mailbox == "mailbox: 3 messages since 2026-11-02, 0 read whole; new: 0 replies, 0 bounces"


def test_korean_and_chinese_replies_show_readable_first_lines(tmp_path, config_for, dovecot):
    path = book(tmp_path)
    dovecot.append(
        ms.reply("billing@hanbit.example.co.kr", "안녕하세요,\n이번 주 금요일에 송금하겠습니다.\n\n> 결제 요청", in_reply_to=FIRM_KO,
                 charset="euc-kr", message_id="<ko-1@hanbit.example.co.kr>"),
        ms.reply("ap@acme.example.com", "您好，\n我们已于周五付款，请查收。\n\n在 2026年11月12日 写道：\n> 付款提醒", in_reply_to=FIRM,
                 charset="gb18030", message_id="<zh-1@acme.example.com>"))
    api.sync(config(config_for, path, dovecot), AS_OF)
    rows = invoices(path)
    assert "'이번 주 금요일에 송금하겠습니다.'" in rows["INV-2"]["Sync Notes"]
    assert "'我们已于周五付款，请查收。'" in rows["INV-1"]["Sync Notes"]


def test_a_dsn_bounce_makes_the_address_a_problem_and_nothing_more_is_sent_to_it(tmp_path, config_for, dovecot):
    path = book(tmp_path)
    dovecot.append(ms.dsn(FIRM, "ap@acme.example.com"),
                   ms.dsn(FIRM_KO, "billing@hanbit.example.co.kr", status="4.2.2", action="delayed",
                          diagnostic="452 4.2.2 mailbox full", message_id="<dsn-2@mx.studio.example.com>"))
    cfg = config(config_for, path, dovecot)
    result = api.sync(cfg, AS_OF)
    assert finals(result) == ["INV-2"]  # a temporary failure is only noted
    assert "Clients!C2: mail to ap@acme.example.com bounced on 2026-11-20 (5.1.1 (permanent): 550 5.1.1 " \
           "<ap@acme.example.com>: Recipient address rejected: User unknown): nothing more is sent to it; correct or " \
           "replace the address." in [str(p) for p in result.problems]
    rows = invoices(path)
    assert rows["INV-1"]["Sync Status"] == rows["INV-4"]["Sync Status"] == "Problem"
    bounces = [(r["Invoice No"], r["To"], r["State"], r["Detail"][:22]) for r in sheet(path, "Reminder Log")
               if r["Stage"] == "bounce"]
    assert bounces == [("INV-1", "ap@acme.example.com", "bounced", "5.1.1 (permanent): 550"),
                       ("INV-2", "billing@hanbit.example.co.kr", "bounced", "4.2.2 (temporary): 452")]
    assert rows["INV-2"]["Sync Notes"] == ("Mail to billing@hanbit.example.co.kr was delayed on 2026-11-20 (4.2.2 "
                                         "(temporary): 452 4.2.2 mailbox full); the mail server keeps trying, nothing to "
                                         "do unless it bounces for good.")
    assert result.exit_code == 1
    assert api.sync(cfg, AS_OF).reminders == ()  # the log remembers: still nothing to that address
    assert "Clients!C2: mail to ap@acme.example.com bounced" in str(api.check(cfg).problems[0])  # check says so too


def test_the_scan_fetches_headers_first_and_only_candidates_whole(tmp_path, config_for, dovecot):
    path = book(tmp_path)
    noise = [ms.reply(f"news{i}@shop.example.org", "Our sale!", subject="Sale", message_id=f"<n{i}@shop.example.org>")
             for i in range(30)]
    dovecot.append(*noise, ms.reply("dana@acme.example.com", "Paid.", in_reply_to=FIRM))
    cfg = config(config_for, path, dovecot)
    loaded, _ = api.load(cfg)
    found = scan(cfg, date(2026, 11, 2), mail_index(loaded, cfg))
    assert (found.searched, found.headers, found.bodies) == (31, 31, 1)
    assert found.fetches == ("BODY.PEEK[HEADER.FIELDS (...)] x31", "BODY.PEEK[] x1")
    assert 0 < found.header_bytes < found.body_bytes * 31
    assert all(b"\\Seen" not in f for f in dovecot.flags())


def test_a_wrong_password_stops_the_run_with_one_sentence_and_doctor_says_so(tmp_path, config_for, dovecot, monkeypatch):
    path = book(tmp_path)
    cfg = config(config_for, path, dovecot)
    checks = {c.name: c for c in run_checks(tmp_path / "sheet-sync.toml")}
    assert checks["mailbox"].state == "ok" and USER in checks["mailbox"].detail
    monkeypatch.setenv("IMAP_PASSWORD", "wrong-password-123")
    with pytest.raises(SheetSyncError, match="refused the login of owner@studio.example.com") as info:
        api.sync(cfg, AS_OF)
    assert "wrong-password" not in str(info.value)
    checks = {c.name: c for c in run_checks(tmp_path / "sheet-sync.toml")}
    assert checks["mailbox"].state == "fail" and "IMAP_PASSWORD" in checks["mailbox"].fix


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_is_verified(tmp_path, config_for, dovecot, trusted_ca, security, monkeypatch):
    path = book(tmp_path)
    port = dovecot.port if security == "starttls" else dovecot.ssl_port
    cfg = config_for(path, imap_toml(port, security))
    dovecot.append(ms.reply("dana@acme.example.com", "Paid.", in_reply_to=FIRM))
    assert "new: 1 reply, 0 bounces" in api.sync(cfg, AS_OF, dry_run=True).mailbox
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's CAs do not know the test CA
    with pytest.raises(SheetSyncError, match="certificate that cannot be trusted"):
        api.sync(cfg, AS_OF, dry_run=True)


def test_on_a_google_sheet_the_reply_rides_in_the_runs_own_writes(tmp_path, dovecot):
    from sheets_emulator import Emulator
    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, sheet_config

    emulator = Emulator().start()
    try:
        emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
        emulator.add_sheet("Invoices", [INVOICE_HEADERS, invoice("G-1", due=AS_OF - timedelta(days=2))])
        config = sheet_config(tmp_path, emulator, imap_toml(dovecot.port, "none"))
        first = api.sync(config, AS_OF)  # no reminder yet: nothing to listen for
        assert [(m.invoice_no, m.stage) for m in first.messages] == [("G-1", "gentle")]
        dovecot.append(ms.reply("dana@acme.example.com", "Paid this morning.", in_reply_to=first.messages[0].message_id,
                                when=datetime(2026, 11, 23, 15, tzinfo=ms.timezone.utc)))
        emulator.requests.clear()
        api.sync(config, AS_OF + timedelta(days=1))
        assert len(emulator.requests) <= 6, emulator.requests
        log = emulator.values("Reminder Log")
        assert [(r[1], r[3], r[8], r[9]) for r in log[1:]] == [("G-1", "gentle", "sent", "written to G-1-gentle.eml"),
                                                              ("G-1", "reply", "received", "Paid this morning.")]
        status = dict(zip(emulator.values("Invoices")[0], emulator.values("Invoices")[1]))["Sync Status"]
        assert status == "Replied"
    finally:
        emulator.stop()

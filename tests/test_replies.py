"""Replies and bounces told apart, in memory: threads, invoice numbers, auto-replies in three languages,
DSNs and Mailer-Daemon notices, first lines in UTF-8, EUC-KR and GB18030, and the log as the memory."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

import mail_samples as ms
from sheet_sync.replies import (
    Bounce, Incoming, Reply, apply_bounces, classify, first_line, latest_replies, log_entries, mail_index, since, wanted,
)
from workbooks import invoice, memory_book, write_config

LOG = ["Logged At", "Invoice No", "Client ID", "Stage", "To", "Subject", "Message ID", "Transport", "State", "Detail"]
OURS = "<inv-1.gentle.c1@studio.example.com>"
OURS_KO = "<inv-2.gentle.c2@studio.example.com>"


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path, tmp_path / "book.xlsx")


def book_with_log(config, extra_log=(), clients=None):
    log = [
        [datetime(2026, 11, 20, 9, 0), "INV-1", "C1", "gentle", "ap@acme.example.com", "Payment reminder", OURS,
         "smtp", "sent", ""],
        [datetime(2026, 11, 21, 9, 0), "INV-2", "C2", "gentle", "billing@hanbit.example.co.kr", "결제 안내", OURS_KO,
         "smtp", "sent", ""],
        *extra_log,
    ]
    return memory_book(config, [invoice("INV-1", "C1", due=date(2026, 11, 1)),
                                invoice("INV-2", "C2", due=date(2026, 11, 1), currency="KRW", amount=1200000),
                                invoice("INV-3", "C3", due=date(2026, 11, 1), currency="CNY"),
                                invoice("INV-4", "C1", due=date(2026, 11, 10)),
                                invoice("INV-5", "C1", due=date(2026, 10, 1), status="Paid")],
                       clients=clients, extra={"Reminder Log": [LOG, *log]})


def found(config, book, *raws):
    index = mail_index(book, config)
    return classify([Incoming("INBOX", i, raw) for i, raw in enumerate(raws, 1)], index, config)


def test_a_reply_in_the_thread_is_about_the_invoices_of_the_message_it_answers(config):
    book = book_with_log(config)
    [r] = found(config, book, ms.reply("dana@acme.example.com", "We paid it on Friday, see the remittance." + ms.QUOTE,
                                       in_reply_to=OURS))
    assert isinstance(r, Reply)
    assert (r.client_id, r.invoices, r.sender, r.how) == ("C1", ("INV-1",), "dana@acme.example.com", "thread")
    assert r.first_line == "We paid it on Friday, see the remittance."


def test_a_mail_from_the_clients_address_naming_an_open_invoice_is_a_reply_and_one_naming_none_is_not(config):
    book = book_with_log(config)
    naming = ms.reply("ap@acme.example.com", "Hello,\nThe amount on inv-4 looks wrong, please call me.",
                      subject="Question", message_id="<q1@acme.example.com>")
    paid_one = ms.reply("ap@acme.example.com", "About INV-5 and INV-40.", subject="Hi", message_id="<q2@acme.example.com>")
    stranger = ms.reply("someone@else.example.org", "INV-4 is wrong", subject="Q", message_id="<q3@else.example.org>")
    [r] = found(config, book, naming, paid_one, stranger)
    assert (r.client_id, r.invoices, r.how) == ("C1", ("INV-4",), "invoice number")
    assert r.first_line == "The amount on inv-4 looks wrong, please call me."  # the greeting skipped


def test_match_domain_takes_a_colleague_at_the_clients_own_domain(tmp_path):
    config = write_config(tmp_path, tmp_path / "book.xlsx", "[mail.imap]\nmatch_domain = true\n")
    book = book_with_log(config)
    colleague = ms.reply("cfo@acme.example.com", "INV-4 will be paid next week.", subject="Payment")
    [r] = found(config, book, colleague)
    assert r.invoices == ("INV-4",)
    assert found(write_config(tmp_path, tmp_path / "book.xlsx"), book, colleague) == []


@pytest.mark.parametrize("language", ["en", "ko", "zh"])
def test_an_out_of_office_answer_is_not_a_reply(config, language):
    book = book_with_log(config)
    raw = ms.out_of_office(language, "ap@acme.example.com", OURS)
    assert found(config, book, raw) == []
    assert not wanted(raw.split(b"\n\n")[0], mail_index(book, config))  # its body is never fetched


def test_a_reply_whose_subject_only_sounds_like_leave_is_a_reply(config):
    book = book_with_log(config)
    [r] = found(config, book, ms.reply("ap@acme.example.com", "The remittance went out on Monday.", in_reply_to=OURS,
                                       subject="Re: Payment reminder - on leave, paid before I left"))
    assert r.first_line == "The remittance went out on Monday."


@pytest.mark.parametrize("header", [("Precedence", "bulk"), ("Precedence", "auto_reply"), ("X-Autoreply", "yes"),
                                    ("Auto-Submitted", "auto-generated")])
def test_auto_reply_headers(config, header):
    book = book_with_log(config)
    assert found(config, book, ms.reply("ap@acme.example.com", "ok", in_reply_to=OURS, headers=dict([header]))) == []
    assert found(config, book, ms.reply("ap@acme.example.com", "ok", in_reply_to=OURS,
                                        headers={"Auto-Submitted": "no"}))  # "no" is a person


@pytest.mark.parametrize("charset, text, expected", [
    ("euc-kr", "안녕하세요,\n이번 주 금요일에 송금하겠습니다.\n\n2026년 11월 21일 (토) 오전 9:00, Test Studio 작성:\n> 결제 안내",
     "이번 주 금요일에 송금하겠습니다."),
    ("gb18030", "您好，\n我们已于周五付款，请查收。\n\n在 2026年11月21日 09:00，Test Studio 写道：\n> 付款提醒",
     "我们已于周五付款，请查收。"),
    ("gb2312", "发票金额有误，请联系我。", "发票金额有误，请联系我。"),
    ("utf-8", "見積もり通りです — 월요일 payé ✓", "見積もり通りです — 월요일 payé ✓"),
])
def test_first_lines_are_readable_in_every_encoding(config, charset, text, expected):
    book = book_with_log(config)
    [r] = found(config, book, ms.reply("billing@hanbit.example.co.kr", text, in_reply_to=OURS_KO, charset=charset))
    assert r.first_line == expected
    assert r.invoices == ("INV-2",)


def test_html_only_reply_gives_its_text_without_the_quote(config):
    book = book_with_log(config)
    html = ("<html><head><style>p{color:red}</style></head><body><div>Paid &amp; done on Friday.</div>"
            "<blockquote>Invoice INV-1 is overdue</blockquote></body></html>")
    [r] = found(config, book, ms.reply("ap@acme.example.com", "", html=html, in_reply_to=OURS))
    assert r.first_line == "Paid & done on Friday."


def test_a_dsn_is_a_permanent_bounce_of_our_message(config):
    book = book_with_log(config)
    [b] = found(config, book, ms.dsn(OURS, "ap@acme.example.com"))
    assert isinstance(b, Bounce)
    assert (b.client_id, b.invoices, b.recipients, b.status, b.permanent) == (
        "C1", ("INV-1",), ("ap@acme.example.com",), "5.1.1", True)
    assert "User unknown" in b.reason


def test_a_delayed_dsn_is_temporary_and_a_daemon_notice_quoting_our_id_is_a_bounce(config):
    book = book_with_log(config)
    delayed, notice, other = found(config, book,
                                   ms.dsn(OURS, "ap@acme.example.com", status="4.4.1", action="delayed",
                                          diagnostic="451 4.4.1 try again later"),
                                   ms.daemon_notice(OURS_KO, "billing@hanbit.example.co.kr"),
                                   ms.dsn("<not-ours@example.com>", "x@example.com", message_id="<dsn-2@x>")) + [None]
    assert (delayed.status, delayed.permanent) == ("4.4.1", False)
    assert (notice.client_id, notice.status, notice.permanent, notice.recipients) == (
        "C2", "5.2.2", True, ("billing@hanbit.example.co.kr",))
    assert other is None  # a bounce of some other mail is not ours to judge


def test_log_rows_are_added_once_by_the_incoming_message_id(config):
    book = book_with_log(config)
    items = found(config, book, ms.reply("ap@acme.example.com", "Paid.", in_reply_to=OURS), ms.dsn(OURS_KO, "billing@hanbit.example.co.kr"))
    rows = log_entries(items, book)
    assert [(e.invoice_no, e.stage, e.state, e.transport) for e in rows] == [
        ("INV-1", "reply", "received", "imap"), ("INV-2", "bounce", "bounced", "imap")]
    assert rows[1].detail.startswith("5.1.1 (permanent): ")
    again = replace(book, log=book.log + tuple(rows))
    assert log_entries(items, again) == []
    assert latest_replies(again.log)["INV-1"].detail == "Paid."


def test_a_permanent_bounce_in_the_log_makes_the_address_a_problem_on_the_clients_cell(config):
    bounce_row = [datetime(2026, 11, 24, 9, 5), "INV-1", "C1", "bounce", "ap@acme.example.com", "Undelivered",
                  "<dsn-1@mx>", "imap", "bounced", "5.1.1 (permanent): User unknown; our message <x@y>"]
    book = apply_bounces(book_with_log(config, [bounce_row]), config)
    assert book.clients["C1"].emails == () and book.clients["C1"].email_problem is not None
    lines = [str(p) for p in book.problems]
    assert "Clients!C2: mail to ap@acme.example.com bounced on 2026-11-24 (5.1.1 (permanent): User unknown): nothing " \
           "more is sent to it; correct or replace the address." in lines
    assert {p.invoice_no for p in book.problems if p.invoice_no} == {"INV-1", "INV-4", "INV-5"}
    # the owner fixed the address: no problem any more
    fixed = [["C1", "Acme Ltd", "payables@acme.example.com", "", "Dana", "en", "Net 30", ""], *ms_clients()[1:]]
    assert apply_bounces(book_with_log(config, [bounce_row], clients=fixed), config).problems == ()
    temporary = bounce_row[:9] + ["4.4.1 (temporary): later; our message <x@y>"]
    assert apply_bounces(book_with_log(config, [temporary]), config).problems == ()


def ms_clients():
    from workbooks import DEFAULT_CLIENTS
    return DEFAULT_CLIENTS


def test_the_scan_starts_at_the_oldest_reminder_of_an_open_invoice(config):
    book = book_with_log(config)
    assert since(book) == date(2026, 11, 20)
    paid = replace(book, invoices=tuple(replace(i, status="Paid") for i in book.invoices))
    assert since(paid) is None


@pytest.mark.parametrize("text, expected", [
    ("> quoted only\n> more", ""),
    ("Yes.\n-----Original Message-----\nFrom: x", "Yes."),
    ("Dear Test Studio,\n\nWill pay on 2026-12-01.\n\nBest,\nDana", "Will pay on 2026-12-01."),
    ("x" * 300, "x" * 199 + "…"),
])
def test_first_line(text, expected):
    assert first_line(text) == expected


@pytest.mark.parametrize("raw", [
    b"",
    bytes(range(256)) * 20,
    b"From: =?utf-8?q?broken <ap@acme.example.com>\r\nSubject: =?x-unknown?b?!!!?=\r\nIn-Reply-To: <<<>>>\r\n"
    b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--",
    b"From: ap@acme.example.com\r\nContent-Type: text/plain; charset=no-such-charset\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 INV-4",
    b"From: MAILER-DAEMON@x.example.com\r\nContent-Type: multipart/report; report-type=delivery-status\r\n\r\nno parts",
])
def test_broken_mail_is_left_out_never_stops_the_run(config, raw):
    book = book_with_log(config)
    wanted(raw, mail_index(book, config))
    assert len(found(config, book, raw, ms.reply("ap@acme.example.com", "Paid.", in_reply_to=OURS))) >= 1

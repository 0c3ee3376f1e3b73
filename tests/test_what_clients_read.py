"""What a client reads, checked on every message of the demo (24 reminders in 17 messages, three languages):
the greeting each stage asks for, the final notice's deadline in its subject, the native wording of the
firm and final notices, no "overdue" in a note about invoices not yet due, and one form of the yuan in the
messages, the run summary, the job summary and the owner's digest."""
from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import date
from email import policy

import pytest

from sheet_sync.cli import render_summary
from sheet_sync.config import load_config
from sheet_sync.compose import reply_by
from sheet_sync.demo import run_demo
from sheet_sync.demo_data import CLIENTS
from sheet_sync.digest import build_digest
from sheet_sync.job_summary import markdown_summary
from sheet_sync.render import first_name, format_date, format_weekday, greeting_name

TODAY = date(2026, 11, 30)  # a Monday; the demo's dates are relative to it
FRIENDLY = ("upcoming", "gentle", "thanks")
BARE_YEN = re.compile(r"(?<!CN)(?<!JP)[¥￥]")  # a ¥ that does not say whose


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    result, folder = run_demo(tmp_path_factory.mktemp("demo"), today=TODAY)
    messages = []
    for path in sorted((folder / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        to = msg["To"].addresses[0].addr_spec
        client = next(c for c in CLIENTS if to in c[3])
        messages.append({
            "stage": msg["X-Sheet-Sync-Stage"], "subject": str(msg["Subject"]),
            # an .eml is mail, CRLF line ends: read as a mail program shows it
            "text": msg.get_body(("plain",)).get_content().replace("\r\n", "\n"),
            "html": msg.get_body(("html",)).get_content().replace("\r\n", "\n"),
            "company": client[1], "contact": client[2], "language": client[5],
        })
    return result, messages, folder


def expected_greeting(m: dict) -> str:
    lang, stage, contact, company = m["language"], m["stage"], m["contact"], m["company"]
    if lang == "en":
        return f"Hi {first_name(contact)}," if stage in FRIENDLY else f"Dear {contact},"
    if lang == "ko":
        return f"{contact} 님, 안녕하세요." if stage in FRIENDLY else f"{company} {contact} 님께"
    return f"{contact}，您好！" if stage in FRIENDLY else f"尊敬的{company}：\n您好！"


def test_the_demo_writes_every_stage_in_every_language(demo):
    _, messages, _ = demo
    assert len(messages) == 17
    assert {(m["language"], m["stage"]) for m in messages} >= {
        ("en", "upcoming"), ("en", "gentle"), ("en", "firm"), ("en", "final"),
        ("ko", "gentle"), ("ko", "firm"), ("zh", "firm"), ("zh", "final")}


def test_every_demo_message_greets_the_contact_as_its_stage_asks(demo):
    _, messages, _ = demo
    for m in messages:
        assert m["text"].startswith(expected_greeting(m) + "\n\n"), (m["subject"], m["text"][:80])
        assert expected_greeting(m).split("\n")[0] in m["html"]
    firsts = {m["contact"]: m["text"].split("\n")[0] for m in messages if m["language"] == "en"}
    assert firsts["Marcus Hale"] == "Hi Marcus," and firsts["Dana Whitfield"] == "Dear Dana Whitfield,"


@pytest.mark.parametrize("contact, language, name", [
    ("Marcus Hale", "en", "Marcus"), ("Dr. Jane Smith", "en", "Jane"), ("Smith, Jane", "en", "Jane"),
    ("Kevin O'Neill", "en", "Kevin"), ("Priya", "en", "Priya"),
    # no first name to be had: the greeting uses what the owner wrote
    ("Dr. Smith", "en", ""), ("J. Smith", "en", ""), ("Accounts Payable", "en", ""), ("Marcus & Ana", "en", ""),
    ("김민준", "en", ""), ("王芳", "en", ""), ("", "en", ""),
    # Korean and Chinese names are never cut to a given name
    ("김민준", "ko", "김민준 님"), ("김민준 과장", "ko", "김민준 과장님"), ("김민준님", "ko", "김민준님"),
    ("Marcus Hale", "ko", "Marcus Hale 님"), ("王芳", "zh", "王芳"), ("王经理", "zh", "王经理"), ("", "ko", ""),
])
def test_greeting_name(contact, language, name):
    assert greeting_name(contact, language) == name


def test_the_final_notice_subject_carries_the_deadline_in_every_language(demo):
    _, messages, _ = demo
    deadline = reply_by(TODAY, 4)
    assert deadline == date(2026, 12, 4)
    finals = [m for m in messages if m["stage"] == "final"]
    assert {m["language"] for m in finals} == {"en", "zh"}  # the demo has no Korean final today: render one below
    wanted = {"en": f"please reply by {format_weekday(deadline, 'en')}, {format_date(deadline, 'en')}",
              "zh": f"请于{format_date(deadline, 'zh')}（{format_weekday(deadline, 'zh')}）前付款或回复"}
    for m in finals:
        assert m["subject"].endswith(wanted[m["language"]]), m["subject"]


def test_korean_final_subject_and_chinese_firm_and_final_wording(demo):
    from sheet_sync.render import render_reminder, sample_context

    ko = render_reminder("final", "ko", sample_context("ko", "final"))
    assert ko.subject == ("[Maple & Pine Studio] [최종 통지] 인보이스 INV-2026-0042 미결제 (₩1,000,000), "
                          "2026년 12월 11일(금)까지 회신 부탁드립니다")
    _, messages, _ = demo
    zh_firm = [m for m in messages if m["language"] == "zh" and m["stage"] == "firm"]
    zh_final = [m for m in messages if m["language"] == "zh" and m["stage"] == "final"]
    assert zh_firm and zh_final
    for m in zh_firm:
        assert "暂停为贵司进行中的工作" in m["text"] and "暂停正在为您进行的工作" not in m["text"]
        assert re.search(r"但款项 CN¥[\d,]+\.\d\d 至今仍未到账。", m["text"])
    assert "但款项 CN¥12,000.00 至今仍未到账。" in next(m["text"] for m in zh_firm if m["company"] == "杭州青竹文化传媒")
    for m in zh_final:
        assert "与贵司直接协商" in m["text"] and "转交专业催收机构处理，特此告知。" in m["text"]
    for m in (m for m in messages if m["language"] == "ko" and m["stage"] == "firm"):
        assert re.search(r"결제 기한\(\d{4}년 \d+월 \d+일\)이 \d+일 지났습니다\. 앞서 안내해 드렸으나 아직 입금이 확인되지 않았습니다\.",
                         m["text"])
    for m in (m for m in messages if m["language"] == "ko" and m["stage"] == "gentle"):
        assert "편하실 때 회신해 주시기 바랍니다." in m["text"]


def test_no_message_calls_an_invoice_overdue_that_is_not(demo):
    _, messages, _ = demo
    for m in messages:
        if m["stage"] == "upcoming":
            for part in (m["subject"], m["text"]):
                assert not re.search(r"overdue|연체|지났|지남|逾期", part), m["subject"]
        if "남음" in m["text"] or "due in" in m["text"] or "到期）" in m["text"]:  # a grouped one with a not-yet-due
            assert not re.search(r"^Overdue: \d+ invoices|연체 안내: 인보이스 \d+건|：\d+张发票", m["subject"])


def test_one_form_of_the_yuan_in_messages_summary_job_summary_and_digest(demo):
    result, messages, folder = demo
    zh = [m for m in messages if m["language"] == "zh"]
    assert zh
    for m in zh:
        for part in (m["subject"], m["text"], m["html"]):
            assert "CN¥" in part and not BARE_YEN.search(part), part[:200]
    summary = render_summary(result)
    assert re.search(r"CNY +total +CN¥[\d,]+\.\d\d", summary), summary
    assert not BARE_YEN.search(summary)
    job = markdown_summary(result)
    assert "CN¥" in job and not BARE_YEN.search(job)
    config = load_config(folder / "sheet-sync.toml")
    config = replace(config, mail=replace(config.mail, digest_to="owner@example.com"))
    digest = build_digest(result, config)
    assert digest is not None
    for part in (digest.get_body(("plain",)).get_content(), digest.get_body(("html",)).get_content()):
        assert "CN¥" in part and not BARE_YEN.search(part)


def test_korean_and_chinese_clients_get_instructions_they_can_pay_from(demo):
    _, messages, _ = demo
    for m in messages:
        text = m["text"]
        if m["language"] == "ko":
            assert "해외 송금(원화, KRW)" in text and "SWIFT/BIC HRBRUS33" in text and "routing" not in text
        elif m["language"] == "zh":
            assert "境外电汇（人民币，CNY）" in text and "SWIFT/BIC HRBRUS33" in text and "routing" not in text


@pytest.mark.parametrize("lang", ["en", "ko", "zh"])
def test_a_grouped_message_gives_each_invoice_its_own_payment_link(lang):
    from sheet_sync.render import _variants, render_reminder

    many = _variants(lang, "firm")[2]  # INV-2026-0031, the lead INV-2026-0042 (the button) and INV-2026-0050
    msg = render_reminder("firm", lang, many)
    lines = msg.text.splitlines()
    for no in ("INV-2026-0031", "INV-2026-0050"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"- {no}"))
        assert lines[at + 1].strip().endswith(f"https://pay.example.com/inv/{no}")
        assert f'<a href="https://pay.example.com/inv/{no}"' in msg.html
    assert msg.text.count("https://pay.example.com/inv/INV-2026-0042") == 1  # the lead's link once, as the way to pay


def test_every_subject_reads_back_exactly_as_written(demo):
    """Folding a long subject must not lose a space between two encoded words ('미결제 인보이스' once arrived
    as '미결제인보이스') nor add one before the first word; header lines stay within 78 characters."""
    result, messages, folder = demo
    written = {s.subject for s in result.messages}
    assert {m["subject"] for m in messages} <= written
    assert any(len(s.encode()) > 78 for s in written)  # long enough to be folded
    for path in (folder / "outbox").glob("*.eml"):
        head = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        assert max(len(line) for line in head.split(b"\n")) <= 78, path.name


def test_dates_in_html_never_break_and_titles_stay_plain(demo):
    """On a 400 px phone a Korean date broke as '2026년 / 11월 16일': in HTML every date is one unbreakable span;
    the document's title (a plain-text element) holds no markup."""
    _, messages, _ = demo
    for m in messages:
        html = m["html"]
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and "&lt;" not in title, title
        body = html.split("</head>", 1)[1]
        dates = re.findall(r"\d{4}년 \d{1,2}월 \d{1,2}일|[A-Z][a-z]+ \d{1,2}, \d{4}", re.sub(r"<[^>]+>", "", body))
        spans = re.findall(r'<span style="white-space:nowrap;">([^<]*)</span>', body)
        if m["language"] != "zh":  # Chinese dates have no spaces to break at
            assert dates and all(d in spans for d in dates), (m["subject"], set(dates) - set(spans))

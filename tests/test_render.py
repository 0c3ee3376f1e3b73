"""The reminder templates: every stage in every language, formatting, escaping, overrides, the sandbox."""
from datetime import date
from decimal import Decimal

import pytest

from sheet_sync.errors import SheetSyncError
from sheet_sync.render import check_templates, format_date, format_money, render_reminder, sample_context

LANGS = ("en", "ko", "zh")
STAGES = ("upcoming", "gentle", "firm", "final")


def test_money_and_dates_in_each_language():
    assert format_money(Decimal("1250"), "USD", "en") == "$1,250.00"
    assert format_money(Decimal("1200000"), "KRW", "ko") == "₩1,200,000"
    assert format_money(Decimal("8800"), "CNY", "zh") == "¥8,800.00"
    assert format_money(Decimal("1250"), "USD", "zh") == "US$1,250.00"
    assert format_date(date(2026, 11, 22), "en") == "November 22, 2026"
    assert format_date(date(2026, 11, 22), "ko") == "2026년 11월 22일"
    assert format_date(date(2026, 11, 22), "zh") == "2026年11月22日"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_names_what_the_client_needs(lang, stage):
    ctx = sample_context(lang, stage)
    msg = render_reminder(stage, lang, ctx)
    inv = ctx["invoice"]
    balance = format_money(inv["balance"], inv["currency"], lang)
    due = format_date(inv["due_date"], lang)
    assert "\n" not in msg.subject and msg.subject
    for body in (msg.text, msg.html):
        assert inv["invoice_no"] in body
        assert balance in body
        assert due in body
        assert inv["payment_link"] in body
        assert "PO-7731" in body
        assert "Jamie Lee" in body
    assert inv["invoice_no"] in msg.subject
    assert msg.html.lstrip().startswith("<!DOCTYPE html>")
    text = (msg.subject + msg.text + msg.html).lower()
    assert "net 30" not in text and "net30" not in text
    assert "{{" not in msg.text and "{%" not in msg.html


@pytest.mark.parametrize("lang, please, thanks", [("en", ("please",), ("thank you",)), ("ko", ("주시", "부탁"), ("감사",)),
                                                  ("zh", ("请",), ("感谢", "谢谢"))])
def test_please_and_thank_you(lang, please, thanks):
    for stage in STAGES:
        text = render_reminder(stage, lang, sample_context(lang, stage)).text.lower()
        assert any(p in text for p in please) and any(t in text for t in thanks), stage


def test_without_link_the_payment_instructions_and_without_po_no_po_line():
    ctx = sample_context("en", "gentle")
    ctx["invoice"] = dict(ctx["invoice"], payment_link="", po_number="")
    msg = render_reminder("gentle", "en", ctx)
    assert "Bank transfer to account 000123456" in msg.text and "Bank transfer to account 000123456" in msg.html
    assert "PO number" not in msg.text and "PO number" not in msg.html
    ctx["business"] = dict(ctx["business"], payment_instructions="")
    assert "reply to this email and we will send you the payment details" in render_reminder("gentle", "en", ctx).text


def test_firm_pauses_work_and_final_is_firm_not_threatening():
    firm = {lang: render_reminder("firm", lang, sample_context(lang, "firm")).text for lang in LANGS}
    assert "pause any ongoing work" in firm["en"]
    assert "중단" in firm["ko"] and "暂停" in firm["zh"]
    for lang in LANGS:
        ctx = sample_context(lang, "final")
        text = render_reminder("final", lang, ctx).text
        assert format_date(ctx["reply_by"], lang) in text
        assert {"en": "collections agency", "ko": "채권추심", "zh": "催收"}[lang] in text
        for word in ("legal action", "lawsuit", "sue ", "court", "소송", "법적", "起诉", "法律"):
            assert word not in text.lower()


def test_partial_payment_says_what_was_received():
    ctx = sample_context("ko", "gentle")
    text = render_reminder("gentle", "ko", ctx).text
    assert "입금 확인 금액: ₩200,000" in text and "결제하실 금액: ₩1,000,000" in text


def test_html_escapes_the_client_name_and_text_keeps_it():
    ctx = sample_context("en", "gentle")
    ctx["client"] = dict(ctx["client"], name="<b>Bold & Co</b>", contact_name="")
    msg = render_reminder("gentle", "en", ctx)
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in msg.html and "<b>Bold" not in msg.html
    assert "Hi <b>Bold & Co</b>," in msg.text


def test_discount_in_the_upcoming_reminder():
    ctx = sample_context("en", "upcoming")
    ctx["discount"] = {"percent": Decimal("2"), "amount": Decimal("20.00"), "until": date(2026, 11, 15)}
    assert "take 2% off ($20.00)" in render_reminder("upcoming", "en", ctx).text


def test_owner_templates_override_one_file(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "gentle.subject.txt").write_text("Just checking in on {{ invoice.invoice_no }}", encoding="utf-8")
    ctx = sample_context("en", "gentle")
    mine = render_reminder("gentle", "en", ctx, tmp_path)
    shipped = render_reminder("gentle", "en", ctx)
    assert mine.subject == "Just checking in on INV-2026-0042"
    assert mine.text == shipped.text and mine.html == shipped.html
    assert check_templates(tmp_path) == []


def test_check_templates_names_a_broken_file(tmp_path):
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / "firm.txt").write_text("{% if %}broken", encoding="utf-8")
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "final.subject.txt").write_text("{{ invoice.no_such_field }}", encoding="utf-8")
    problems = check_templates(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("The template firm.txt line 1 cannot be rendered")
    assert "final.subject.txt" in problems[1] and "no_such_field" in problems[1]


def test_the_sandbox_blocks_python_internals(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "gentle.subject.txt").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(SheetSyncError, match="cannot be rendered"):
        render_reminder("gentle", "en", sample_context("en", "gentle"), tmp_path)


def test_unknown_stage_or_language():
    with pytest.raises(SheetSyncError, match="'polite' is not a reminder stage"):
        render_reminder("polite", "en", sample_context())
    with pytest.raises(SheetSyncError, match="'fr' is not a language"):
        render_reminder("gentle", "fr", sample_context())

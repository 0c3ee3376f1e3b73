"""The reminder templates: every stage in every language, formatting, escaping, overrides, the sandbox."""
import re
from datetime import date
from decimal import Decimal

import pytest

from sheet_sync.errors import SheetSyncError
from sheet_sync.render import (
    RenderedMessage,
    check_templates,
    format_date,
    format_money,
    render_reminder,
    sample_context,
    shipped_templates_dir,
)

LANGS = ("en", "ko", "zh")
STAGES = ("upcoming", "gentle", "firm", "final")
EVERY = [(lang, stage) for lang in LANGS for stage in STAGES]
PO_LABEL = {"en": "PO number", "ko": "발주 번호", "zh": "采购订单号"}
PAID_LABEL = {"en": "Paid so far", "ko": "입금 확인 금액", "zh": "已收款项"}


def bare(lang, stage, **invoice):
    """The sample context without a PO number, a payment link, a payment so far or a note."""
    ctx = sample_context(lang, stage)
    ctx["invoice"] = dict(ctx["invoice"], po_number="", payment_link="", note_to_client="", amount_paid=Decimal(0),
                          balance=ctx["invoice"]["amount"], **invoice)
    ctx["discount"] = None
    return ctx


def owner_file(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---- formatting ----------------------------------------------------------------------------

def test_money_in_each_language():
    assert format_money(Decimal("1250"), "USD", "en") == "$1,250.00"
    assert format_money(Decimal("1200000"), "KRW", "ko") == "₩1,200,000"
    # the yuan has one form in every language (the yen keeps ¥ in English, JP¥ in Korean and Chinese)
    assert [format_money(Decimal("1250"), "CNY", lang) for lang in LANGS] == ["CN¥1,250.00"] * 3
    assert format_money(Decimal("-1250"), "CNY", "zh") == "-CN¥1,250.00"
    assert format_money(Decimal("98000"), "JPY", "zh") == "JP¥98,000"
    assert format_money(Decimal("1250"), "USD", "zh") == "US$1,250.00"
    assert format_money(Decimal("1250"), "USD", "ko") == "US$1,250.00"
    assert format_money(Decimal("1200000"), "KRW", "en") == "₩1,200,000"
    assert format_money(Decimal("98000"), "JPY", "en") == "¥98,000"
    assert format_money(Decimal("0.5"), "EUR", "en") == "€0.50"
    assert format_money(Decimal("1250"), "usd", "en") == "$1,250.00"


def test_dates_in_each_language():
    assert format_date(date(2026, 11, 22), "en") == "November 22, 2026"
    assert format_date(date(2026, 11, 22), "ko") == "2026년 11월 22일"
    assert format_date(date(2026, 11, 22), "zh") == "2026年11月22日"
    assert format_date(date(2027, 1, 5), "en") == "January 5, 2027"


# ---- what every reminder says --------------------------------------------------------------

@pytest.mark.parametrize("lang, stage", EVERY)
def test_every_part_names_the_invoice_amount_and_due_date(lang, stage):
    ctx = sample_context(lang, stage)
    msg = render_reminder(stage, lang, ctx)
    inv = ctx["invoice"]
    balance = format_money(inv["balance"], inv["currency"], lang)
    due = format_date(inv["due_date"], lang)
    assert isinstance(msg, RenderedMessage)
    for part in (msg.subject, msg.text, msg.html):
        assert "INV-2026-0042" in part
        assert balance in part
        # the final notice's subject carries the date to reply by rather than the due date
        assert (format_date(ctx["reply_by"], lang) if part is msg.subject and stage == "final" else due) in part
    assert "\n" not in msg.subject and msg.subject == msg.subject.strip()


@pytest.mark.parametrize("lang, stage", EVERY)
def test_every_body_has_the_po_link_note_and_signature(lang, stage):
    ctx = sample_context(lang, stage)
    msg = render_reminder(stage, lang, ctx)
    for body in (msg.text, msg.html):
        assert "PO-7731" in body and PO_LABEL[lang] in body
        assert "https://pay.example.com/inv/INV-2026-0042" in body
        assert ctx["invoice"]["note_to_client"] in body
        assert "Jamie Lee" in body
        assert "billing@maple-pine.example.com" in body
    assert "Maple & Pine Studio" in msg.text and "Maple &amp; Pine Studio" in msg.html
    # the link and the instructions both, the link first (SPEC: both when both exist)
    for body in (msg.text, msg.html):
        assert body.index("https://pay.example.com/inv/INV-2026-0042") < body.index("Bank transfer to account 000123456")
    assert msg.html.startswith("<!DOCTYPE html>") and msg.html.rstrip().endswith("</html>")
    assert '<a href="https://pay.example.com/inv/INV-2026-0042"' in msg.html
    assert "{{" not in msg.text + msg.html and "{%" not in msg.text + msg.html


@pytest.mark.parametrize("lang, stage", EVERY)
def test_without_po_or_link_the_payment_instructions_and_no_po_line(lang, stage):
    msg = render_reminder(stage, lang, bare(lang, stage))
    for body in (msg.text, msg.html):
        assert "Bank transfer to account 000123456 (Harbour Bank), with the invoice number as reference." in body
        assert PO_LABEL[lang] not in body and "PO-7731" not in body
        assert "pay.example.com" not in body
        assert PAID_LABEL[lang] not in body
        assert "<a href" not in body


@pytest.mark.parametrize("lang, reply", [("en", "reply to this email and we will send you the payment details"),
                                         ("ko", "이 메일에 회신해 주시면 결제 정보를 보내 드리겠습니다."),
                                         ("zh", "请直接回复本邮件，我们会将付款信息发送给您。")])
def test_without_link_or_instructions_ask_the_client_to_reply(lang, reply):
    ctx = bare(lang, "gentle")
    ctx["business"] = dict(ctx["business"], payment_instructions="")
    msg = render_reminder("gentle", lang, ctx)
    assert reply in msg.text and reply in msg.html


@pytest.mark.parametrize("lang, please, thanks", [("en", ("please",), ("thank you",)),
                                                  ("ko", ("주시", "부탁"), ("감사",)),
                                                  ("zh", ("请",), ("感谢", "谢谢"))])
@pytest.mark.parametrize("stage", STAGES)
def test_please_and_thank_you(lang, please, thanks, stage):
    msg = render_reminder(stage, lang, sample_context(lang, stage))
    for body in (msg.text.lower(), msg.html.lower()):
        assert any(p in body for p in please) and any(t in body for t in thanks)


@pytest.mark.parametrize("lang, stage", EVERY)
def test_never_net_30_but_plain_words(lang, stage):
    msg = render_reminder(stage, lang, sample_context(lang, stage))
    everything = msg.subject + msg.text + msg.html
    assert not re.search(r"net\s*30", everything, re.IGNORECASE)
    assert {"en": "due within 30 days", "ko": "30일 이내 지급", "zh": "30天内付款"}[lang] in msg.text


def test_due_on_receipt_and_no_terms():
    assert "(due on receipt)" in render_reminder("gentle", "en", bare("en", "gentle", terms_days=0)).text
    text = render_reminder("gentle", "en", bare("en", "gentle", terms_days=None)).text
    assert "Due:           November 16, 2026\n" in text


# ---- the tone of each stage ----------------------------------------------------------------

def test_gentle_offers_to_resend_or_review_the_invoice():
    """Without the PDF (none could be made, or `attach_invoice = []`), gentle offers to resend the invoice."""
    texts = {lang: render_reminder("gentle", lang, dict(bare(lang, "gentle"), attachments=(), invoice_attached=False)).text
             for lang in LANGS}
    assert "Our records show no payment yet for invoice INV-2026-0042 for $1,250.00" in texts["en"]
    assert "We would be happy to resend it, or to go through it with you" in texts["en"]
    assert "인보이스를 다시 보내 드리고" in texts["ko"] and "함께 검토해 드리겠습니다" in texts["ko"]
    assert "重新发送发票" in texts["zh"] and "目前尚未收到付款" in texts["zh"]


def test_with_the_pdf_attached_gentle_firm_and_final_say_so_and_offer_no_resend():
    said = {"en": "A copy of the invoice is attached to this email.", "ko": "확인하실 수 있도록 인보이스 사본을 첨부해 드립니다.",
            "zh": "随函附上发票副本，供您查阅。"}
    resend = {"en": "resend", "ko": "다시 보내", "zh": "重新发送"}
    for lang in LANGS:
        for stage in ("gentle", "firm", "final"):
            ctx = dict(bare(lang, stage), attachments=("INV-2026-0042",), invoice_attached=True)
            message = render_reminder(stage, lang, ctx)
            for body in (message.text, message.html):
                assert said[lang] in body, (lang, stage)
                assert resend[lang] not in body, (lang, stage)
            bare_message = render_reminder(stage, lang, dict(ctx, attachments=(), invoice_attached=False))
            assert said[lang] not in bare_message.text and said[lang] not in bare_message.html
    # a grouped message names the invoices whose copies are attached
    ctx = dict(bare("en", "firm"), attachments=("INV-2026-0031", "INV-2026-0042"))
    ctx["statement"] = [dict(ctx["statement"][0], invoice_no="INV-2026-0031"), ctx["statement"][0]]
    assert "Copies of invoices INV-2026-0031 and INV-2026-0042 are attached to this email." in render_reminder(
        "firm", "en", ctx).text


def test_firm_asks_for_a_payment_date_and_says_work_will_pause():
    texts = {lang: render_reminder("firm", lang, sample_context(lang, "firm")).text for lang in LANGS}
    assert "we will need to pause any ongoing work for Northwind Traders until this invoice is settled" in texts["en"]
    assert "By Friday, November 27, 2026, please either settle the balance or reply to this email" in texts["en"]
    assert "작업을 부득이하게 잠시 중단하게 되는 점" in texts["ko"] and "2026년 11월 27일(금)까지" in texts["ko"]
    assert "결제 기한(2026년 11월 16일)이 9일 지났습니다. 앞서 안내해 드렸으나 아직 잔액 입금이 확인되지 않았습니다." in texts["ko"]
    # the firm notice speaks to the client's company (贵司), and the amount "has not arrived" (未到账)
    assert "暂停为贵司进行中的工作" in texts["zh"] and "烦请于2026年11月27日（星期五）前结清余款，或回复本邮件" in texts["zh"]
    assert "但余款 CN¥8,000.00 至今仍未到账。" in texts["zh"]
    ctx = bare("zh", "firm")
    assert "但款项 CN¥8,800.00 至今仍未到账。" in render_reminder("firm", "zh", ctx).text
    ctx = bare("ko", "firm")
    assert "9일 지났습니다. 앞서 안내해 드렸으나 아직 입금이 확인되지 않았습니다." in render_reminder("firm", "ko", ctx).text


@pytest.mark.parametrize("lang, agency", [("en", "we will have to pass this matter to a collections agency"),
                                          ("ko", "채권추심 전문기관에 의뢰하게 됨을"),
                                          ("zh", "转交专业催收机构处理")])
def test_final_names_the_reply_date_and_a_collections_agency_without_threats(lang, agency):
    ctx = sample_context(lang, "final")
    assert ctx["reply_by"] == date(2026, 12, 11)
    msg = render_reminder("final", lang, ctx)
    for body in (msg.text, msg.html):
        assert format_date(date(2026, 12, 11), lang) in body
        assert agency in body
        lowered = body.lower()
        for word in ("legal action", "lawsuit", "court", "attorney", "lawyer", "소송", "법적", "변호사", "起诉",
                     "法律", "律师", "法院"):
            assert word not in lowered
        assert not re.search(r"\bsue\b", lowered)
    assert {"en": "by Friday, December 11, 2026", "ko": "2026년 12월 11일(금)까지",
            "zh": "2026年12月11日（星期五）前"}[lang] in msg.text


def test_one_day_overdue_is_singular_in_english():
    ctx = sample_context("en", "firm")
    ctx["invoice"] = dict(ctx["invoice"], days_overdue=1)
    assert "is now 1 day overdue." in render_reminder("firm", "en", ctx).text


# ---- payments, discounts, greetings --------------------------------------------------------

@pytest.mark.parametrize("lang, received, remaining", [
    ("en", "Thank you for the $250.00 already paid toward the $1,250.00 total.", "Amount due:    $1,000.00"),
    ("ko", "일부 입금해 주신 금액(200,000원)은 감사히 잘 받았습니다.", "결제하실 금액: ₩1,000,000"),  # won in prose, ₩ in tables
    ("zh", "我们已收到您支付的 CN¥800.00（发票总额 CN¥8,800.00），非常感谢。", "应付金额：CN¥8,000.00"),
])
@pytest.mark.parametrize("stage", STAGES)
def test_a_partial_payment_says_what_was_received_and_what_remains(lang, received, remaining, stage):
    msg = render_reminder(stage, lang, sample_context(lang, stage))
    assert received in msg.text and received in msg.html
    assert remaining in msg.text
    assert PAID_LABEL[lang] in msg.text and PAID_LABEL[lang] in msg.html


@pytest.mark.parametrize("lang, offer", [
    ("en", "If it suits you to pay by November 15, 2026, you are welcome to take 2% off ($20.00) and pay $980.00 instead."),
    ("ko", "2026년 11월 15일까지 결제해 주시면 2% 조기 결제 할인(20,000원)이 적용되어 980,000원만 결제하시면 됩니다."),
    ("zh", "如您在2026年11月15日前付款，可享受 2% 的提前付款优惠（减免 CN¥160.00），只需支付 CN¥7,840.00。"),
])
def test_upcoming_mentions_the_early_payment_discount_only_when_given(lang, offer):
    ctx = sample_context(lang, "upcoming")
    assert render_reminder("upcoming", lang, ctx).text.count(offer) == 1
    ctx["discount"] = dict(ctx["discount"], percent=Decimal("2.5"))
    assert "2.5%" in render_reminder("upcoming", lang, ctx).html
    ctx["discount"] = None
    assert "%" not in render_reminder("upcoming", lang, ctx).text


@pytest.mark.parametrize("lang, stage, contact, company", [
    # friendly stages greet the contact by first name; firm and final more formally
    ("en", "upcoming", "Hi Dana,", "Hello Northwind Traders team,"),
    ("en", "gentle", "Hi Dana,", "Hello Northwind Traders team,"),
    ("en", "thanks", "Hi Dana,", "Hello Northwind Traders team,"),
    ("en", "firm", "Dear Dana Whitfield,", "Dear Northwind Traders team,"),
    ("en", "final", "Dear Dana Whitfield,", "Dear Northwind Traders team,"),
    ("ko", "gentle", "Dana Whitfield 님, 안녕하세요.", "Northwind Traders 담당자님, 안녕하세요."),
    ("ko", "final", "Northwind Traders Dana Whitfield 님께", "Northwind Traders 담당자님께"),
    ("zh", "gentle", "Dana Whitfield，您好！", "尊敬的Northwind Traders，您好！"),
    ("zh", "firm", "尊敬的Northwind Traders：\n您好！", "尊敬的Northwind Traders：\n您好！"),
])
def test_greet_the_contact_or_else_the_company(lang, stage, contact, company):
    ctx = sample_context(lang, stage)
    assert render_reminder(stage, lang, ctx).text.startswith(contact + "\n\n")
    ctx["client"] = dict(ctx["client"], contact_name="")
    msg = render_reminder(stage, lang, ctx)
    assert msg.text.startswith(company + "\n\n") and company.split("\n")[0] in msg.html


def test_signature_lines_tax_id_and_no_repeated_business_name():
    ctx = sample_context("ko", "gentle")
    ctx["business"] = dict(ctx["business"], signature="Jamie Lee\nMaple & Pine Studio 대표", tax_id="123-45-67890",
                           tax_id_label="사업자등록번호")
    msg = render_reminder("gentle", "ko", ctx)
    assert msg.text.endswith("Jamie Lee\nMaple & Pine Studio 대표\n12 Harbour Street, Portland, ME 04101\n"
                             "billing@maple-pine.example.com | +1 555 0100\n사업자등록번호: 123-45-67890\n")
    # a US EIN is never labelled a Korean business registration number: the owner's label, or a generic one
    ctx["business"] = dict(ctx["business"], tax_id="12-3456789", tax_id_label="EIN")
    assert "EIN: 12-3456789" in render_reminder("gentle", "ko", ctx).text
    ctx["business"] = dict(ctx["business"], tax_id_label="")
    assert "사업자등록번호" not in render_reminder("gentle", "ko", ctx).text
    ctx["business"] = dict(ctx["business"], tax_id="123-45-67890", tax_id_label="사업자등록번호")
    assert "Jamie Lee<br>\nMaple &amp; Pine Studio 대표" in msg.html
    ctx["business"] = dict(ctx["business"], signature="", phone="", address="", tax_id="")
    assert render_reminder("gentle", "ko", ctx).text.endswith("감사합니다.\n\nMaple & Pine Studio\n"
                                                               "billing@maple-pine.example.com\n")


# ---- escaping and safe links ---------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_html_escapes_what_the_owner_typed_and_text_keeps_it(lang):
    ctx = sample_context(lang, "firm")
    ctx["client"] = dict(ctx["client"], name="<b>Bold & Co</b>", contact_name="")
    ctx["invoice"] = dict(ctx["invoice"], note_to_client='Line one <script>alert("x")</script>\nLine two')
    msg = render_reminder("firm", lang, ctx)
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in msg.html
    assert "<b>Bold" not in msg.html and "<script>" not in msg.html
    assert "Line one &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<br>\nLine two" in msg.html
    assert "<b>Bold & Co</b>" in msg.text
    assert 'Line one <script>alert("x")</script>\nLine two' in msg.text


def test_payment_links_become_safe_hrefs():
    ctx = sample_context("en", "gentle")
    ctx["invoice"] = dict(ctx["invoice"], payment_link="javascript:alert(1)")
    msg = render_reminder("gentle", "en", ctx)
    assert "javascript" not in msg.html and "javascript" not in msg.text
    assert "How to pay:\nBank transfer to account 000123456" in msg.text
    ctx["invoice"] = dict(ctx["invoice"], payment_link="pay.example.com/x?a=1&b=2")
    msg = render_reminder("gentle", "en", ctx)
    assert '<a href="https://pay.example.com/x?a=1&amp;b=2"' in msg.html
    assert "You can pay online here: https://pay.example.com/x?a=1&b=2\nOr pay this way:\nBank transfer" in msg.text
    assert ">Pay $1,000.00 now</a>" in msg.html


# ---- the owner's templates -----------------------------------------------------------------

def test_owner_templates_override_one_file(tmp_path):
    owner_file(tmp_path, "en/gentle.subject.txt", "Just checking in on {{ invoice.invoice_no }}\n  again\n")
    ctx = sample_context("en", "gentle")
    mine = render_reminder("gentle", "en", ctx, tmp_path)
    shipped = render_reminder("gentle", "en", ctx)
    assert mine.subject == "Just checking in on INV-2026-0042 again"
    assert mine.text == shipped.text and mine.html == shipped.html
    assert render_reminder("firm", "en", ctx, tmp_path) == render_reminder("firm", "en", ctx)
    # a subject written for one invoice would name only the first of a message about several: said, by file
    assert check_templates(tmp_path) == ["The template en/gentle.subject.txt does not show how many invoices and "
                                         "their total, for a message about several."]
    owner_file(tmp_path, "en/gentle.subject.txt", "{% if statement|length > 1 %}{{ statement|length }} invoices: "
               "{% for t in totals %}{{ t.balance|money(t.currency) }} {% endfor %}{% else %}Just checking in on "
               "{{ invoice.invoice_no }}{% endif %}")
    assert check_templates(tmp_path) == []


def test_owner_edits_are_picked_up(tmp_path):
    ctx = sample_context("en", "gentle")
    owner_file(tmp_path, "en/gentle.subject.txt", "First {{ invoice.invoice_no }}")
    assert render_reminder("gentle", "en", ctx, tmp_path).subject == "First INV-2026-0042"
    owner_file(tmp_path, "en/gentle.subject.txt", "Second version of the subject {{ invoice.invoice_no }}")
    assert render_reminder("gentle", "en", ctx, str(tmp_path)).subject == "Second version of the subject INV-2026-0042"


def test_check_templates_names_each_broken_file(tmp_path):
    owner_file(tmp_path, "ko/firm.txt", "{% if %}broken")
    owner_file(tmp_path, "zh/final.subject.txt", "{{ invoice.no_such_field }}")
    assert check_templates(tmp_path) == [
        "The template ko/firm.txt in your templates folder has a mistake on line 1: "
        "Expected an expression, got 'end of statement block'.",
        "The template zh/final.subject.txt in your templates folder cannot be rendered: "
        "'dict object' has no attribute 'no_such_field'.",
    ]


def test_a_broken_shared_part_is_named_itself(tmp_path):
    owner_file(tmp_path, "en/_parts.txt", (shipped_templates_dir() / "en" / "_parts.txt").read_text(encoding="utf-8")
               .replace("{{ business.email }}{% if", "{{ business.emial }}{% if"))
    problems = check_templates(tmp_path)
    assert problems and all(p.startswith("The template en/_parts.txt in your templates folder cannot be rendered: "
                                         "'dict object' has no attribute 'emial'.") for p in problems)
    with pytest.raises(SheetSyncError, match=r"^The template en/_parts.txt in your templates folder cannot be "):
        render_reminder("final", "en", sample_context("en", "final"), tmp_path)


def test_check_templates_reports_what_a_reminder_must_say(tmp_path):
    owner_file(tmp_path, "en/upcoming.txt", "Hi {{ client.name }}, invoice {{ invoice.invoice_no }} is due net 30.\n")
    problems = check_templates(tmp_path)
    assert problems == [
        "The template en/upcoming.txt does not show the amount due, the due date, the payment link, the PO number.",
        "The template en/upcoming.txt says 'net 30'; write it in plain words, such as 'due within 30 days'.",
        "The template en/upcoming.txt does not show the amount due, the due date, the payment instructions.",
        "The template en/upcoming.txt does not show the amount due, the due date, the payment link, the PO number, "
        "invoice INV-2026-0031 of the statement, the balance of INV-2026-0031, the balance of INV-2026-0042, invoice "
        "INV-2026-0050 of the statement, the balance of INV-2026-0050.",
    ]


def test_a_missing_template_is_one_sentence(tmp_path):
    owner_file(tmp_path, "en/gentle.txt", '{% include "en/signature.txt" %}')
    with pytest.raises(SheetSyncError) as err:
        render_reminder("gentle", "en", sample_context(), tmp_path)
    assert str(err.value) == "The template en/signature.txt is missing (needed for en/gentle.txt)."
    assert check_templates(tmp_path / "nowhere") == [
        f"The templates folder {tmp_path / 'nowhere'} (reminders.templates_dir) does not exist or is not a folder."]


@pytest.mark.parametrize("code", ["{{ ''.__class__.__mro__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                  "{{ invoice.balance.__class__.__init__.__globals__ }}",
                                  "{{ cycler.__init__.__globals__.os }}"])
def test_the_sandbox_blocks_python_internals(tmp_path, code):
    owner_file(tmp_path, "en/gentle.subject.txt", code)
    with pytest.raises(SheetSyncError, match=r"^The template en/gentle.subject.txt in your templates folder "
                                             r"cannot be rendered: .*unsafe"):
        render_reminder("gentle", "en", sample_context("en", "gentle"), tmp_path)
    assert len(check_templates(tmp_path)) == 1


def test_unknown_stage_or_language():
    with pytest.raises(SheetSyncError, match=r"^'polite' is not a reminder stage \(upcoming, gentle, firm, final, invoice, thanks\)\.$"):
        render_reminder("polite", "en", sample_context())
    with pytest.raises(SheetSyncError, match=r"^'fr' is not a language sheet-sync writes in \(en, ko, zh\)\.$"):
        render_reminder("gentle", "fr", sample_context())


# ---- the shipped folder and the sample ------------------------------------------------------

def test_the_shipped_templates_are_complete_and_pass_the_check():
    folder = shipped_templates_dir()
    assert (folder / "__init__.py").is_file() and (folder / "base.html").is_file()
    for lang in LANGS:
        for stage in STAGES:
            for part in ("subject.txt", "txt", "html"):
                assert (folder / lang / f"{stage}.{part}").is_file()
    assert check_templates() == []


def test_sample_context_has_the_documented_shape():
    ctx = sample_context("ko", "final")
    assert set(ctx) == {"business", "client", "invoice", "statement", "totals", "stage", "language", "as_of",
                        "reply_by", "discount", "attachments", "invoice_attached", "late_fees"}
    assert ctx["attachments"] == ("INV-2026-0042",) and ctx["invoice_attached"] is True
    assert sample_context("en", "upcoming")["attachments"] == ()
    assert set(ctx["business"]) == {"name", "email", "phone", "address", "tax_id", "tax_id_label", "signature",
                                    "payment_instructions"}
    assert set(ctx["client"]) == {"client_id", "name", "contact_name"}
    assert set(ctx["invoice"]) == {"invoice_no", "issue_date", "due_date", "currency", "amount", "amount_paid", "balance",
                                   "po_number", "payment_link", "note_to_client", "description", "days_overdue",
                                   "terms_days"}
    inv = ctx["invoice"]
    assert (ctx["stage"], ctx["language"], inv["currency"], inv["days_overdue"]) == ("final", "ko", "KRW", 23)
    assert inv["balance"] == inv["amount"] - inv["amount_paid"] == Decimal("1000000")
    assert (ctx["as_of"] - inv["due_date"]).days == 23 and ctx["as_of"].weekday() < 5 and ctx["reply_by"].weekday() == 4
    assert ctx["discount"] is None and sample_context("en", "upcoming")["discount"]["percent"] == Decimal("2")

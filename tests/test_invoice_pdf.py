"""The invoice PDF: real PDFs made by WeasyPrint and read back with pdftotext and pypdf; attached to a real
SMTP message and to outbox files; the `invoice` command; Line Items that do not add up; a missing CJK font
(a real fontconfig set-up with no fonts, in a subprocess)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pypdf
import pytest

from sheet_sync import api
from sheet_sync.attach import invoice_pdf
from sheet_sync.invoice_doc import (check_invoice_template, invoice_context, invoice_filename, required_texts,
                                    sample_invoice_context)
from sheet_sync.line_items import parse_quantity, parse_tax_rate
from smtp_server import PASSWORD, mail_toml
from workbooks import make_workbook, sheets_book
import needs

AS_OF = date(2026, 11, 23)  # a Monday
DUE = AS_OF - timedelta(days=2)  # gentle today
ISSUE = DUE - timedelta(days=30)

CLIENT_HEADERS = ["Client ID", "Name", "Email", "Contact Name", "Language", "Payment Terms", "Tax ID", "Address",
                  "Phone"]
CLIENTS = [
    ["C1", "Acme Ltd", "ap@acme.example.com", "Dana Whitfield", "en", "Net 30", "GB123456789",
     "1 Quay Street\nBristol BS1 4DJ", "+44 117 496 0000"],
    ["C2", "한빛상사", "billing@hanbit.example.co.kr", "김민수", "ko", "30일", "123-45-67890",
     "서울특별시 중구 세종대로 110", "02-1234-5678"],
    ["C3", "上海星辰", "finance@xingchen.example.cn", "王芳", "zh", "30天", "91310000MA1K000000",
     "上海市浦东新区世纪大道100号", "021-5555-0000"],
]
INVOICE_HEADERS = ["Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "Amount Paid", "PO Number",
                   "Payment Link", "Description"]
INVOICES = [
    ["E-1", "C1", ISSUE, DUE, "USD", 1650, 150, "PO-7731", "https://pay.example.com/E-1", "Website redesign"],
    ["K-1", "C2", ISSUE, DUE, "KRW", 1100000, None, "", "", "웹사이트 유지보수"],
    ["Z-1", "C3", ISSUE, DUE, "CNY", 8800, None, "PO-88", "", "品牌设计"],
]
LINE_HEADERS = ["Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate"]
LINES = [  # E-1: 2 × 600 + 300 = 1500 + 10 % tax on the design = 1650; K-1: 1,000,000 + 10 % = 1,100,000
    ["E-1", "Design, 2 days", 2, 600, "10%"],
    ["E-1", "Hosting", 1, 250, ""],
    ["E-1", "Domain", None, 50, 0],
    ["K-1", "유지보수 (11월)", 1, 1000000, 0.1],
]
CONFIG = """
[business]
name = "Maple & Pine Studio"
email = "billing@maple-pine.example.com"
phone = "+1 555 0100"
address = "12 Harbour Street\\nPortland, ME 04101"
tax_id = "12-3456789"
tax_id_label = "EIN"
payment_instructions = { default = "Bank transfer to account 000123456.", KRW = "국민은행 123456-01-234567", CNY = "招商银行 6225 8888 0000 1234" }
[workbook]
path = "book.xlsx"
[mail]
transport = "outbox"
from = "billing@maple-pine.example.com"
outbox_dir = "outbox"
"""


def write_config(folder: Path, text: str = CONFIG) -> Path:
    path = folder / "sheet-sync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_book(folder: Path, invoices=INVOICES, lines=LINES) -> Path:
    sheets = {"Clients": [CLIENT_HEADERS, *CLIENTS], "Invoices": [INVOICE_HEADERS, *invoices]}
    if lines:
        sheets["Line Items"] = [LINE_HEADERS, *lines]
    return make_workbook(folder / "book.xlsx", sheets)


def book_of(config, lines):
    """The book with these Line Items, typed in memory (the pure load, no .xlsx)."""
    return sheets_book(config, {"Clients": [CLIENT_HEADERS, *CLIENTS], "Invoices": [INVOICE_HEADERS, *INVOICES],
                                "Line Items": [LINE_HEADERS, *lines]})


def pdftotext(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """The en, ko and zh invoices: (config, book, {invoice_no: (context, pdf bytes)}), made once."""
    from sheet_sync.config import load_config

    folder = tmp_path_factory.mktemp("three")
    config = load_config(write_config(folder))
    lines = [line for line in LINES if line[0] != "E-1"] + [  # E-1's lines adding up to its Amount, $1,650.00
        ["E-1", "Design, 2 days", 2, 600, "10%"], ["E-1", "Hosting", 1, 250, ""], ["E-1", "Domain", None, 80, 0]]
    book = book_of(config, lines)
    assert [p for p in book.problems if p.blocking] == []
    made = {no: (invoice_context(book, no, config, AS_OF), invoice_pdf(book, no, config, AS_OF).data)
            for no in ("E-1", "K-1", "Z-1")}
    return config, book, made


@needs.pdf_tools
@pytest.mark.parametrize("no", ["E-1", "K-1", "Z-1"])
def test_the_pdf_text_holds_every_required_field(three, no):
    _, _, made = three
    context, data = made[no]
    text = squeeze(pdftotext(data))
    must = required_texts(context)
    # every field the issue names, beyond the ones every invoice has
    assert {"the sender's email", "the sender's phone", "the sender's tax ID", "the client's tax ID",
            "the client's contact"} <= set(must)
    missing = {what: value for what, value in must.items() if squeeze(value) not in text}
    assert missing == {}
    c = context["client"]
    for value in (c["address"].splitlines()[0], c["phone"], "EIN 12-3456789", "12 Harbour Street",
                  context["business"]["payment_instructions"]):
        assert value in text
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1


@needs.pdf_tools
def test_english_invoice_lines_totals_and_terms(three):
    _, _, made = three
    text = squeeze(pdftotext(made["E-1"][1]))
    for expected in ("INVOICE", "Design, 2 days", "$600.00", "$1,200.00", "10%", "Hosting", "$250.00", "Domain",
                     "$80.00", "Subtotal $1,530.00", "Tax $120.00", "Total $1,650.00", "Amount paid $150.00",
                     "Balance due $1,500.00", "Due within 30 days of the invoice date", "PO-7731",
                     "Pay online: https://pay.example.com/E-1", "Thank you for your business."):
        assert expected in text, expected


@needs.pdf_tools
def test_korean_and_chinese_extract_as_the_right_characters(three):
    _, _, made = three
    ko = squeeze(pdftotext(made["K-1"][1]))
    for expected in ("인보이스", "한빛상사", "담당자 김민수", "서울특별시 중구 세종대로 110", "유지보수 (11월)",
                     "₩1,000,000", "세액 ₩100,000", "합계 ₩1,100,000", "미결제 잔액 ₩1,100,000", "2026년 10월 22일",
                     "발행일로부터 30일 이내 지급", "국민은행 123456-01-234567", "거래해 주셔서 감사합니다."):
        assert expected in ko, expected
    zh = squeeze(pdftotext(made["Z-1"][1]))
    for expected in ("发票", "上海星辰", "联系人 王芳", "上海市浦东新区世纪大道100号", "品牌设计", "CN¥8,800.00",
                     "应付余额 CN¥8,800.00", "2026年11月21日", "开票后30天内付款", "招商银行 6225 8888 0000 1234",
                     "感谢您的惠顾。"):
        assert expected in zh, expected
    # pypdf reads the same characters (the fonts carry their Unicode maps: no boxes, no private-use codes)
    for no, word in (("K-1", "한빛상사"), ("Z-1", "上海星辰")):
        page = pypdf.PdfReader(io.BytesIO(made[no][1])).pages[0].extract_text()
        assert word in page
        assert not re.search("[\ufffd\ue000-\uf8ff]", page)
    fonts = subprocess.run(["pdffonts", "-"], input=made["K-1"][1], capture_output=True).stdout.decode()
    assert "NotoSansCJK" in fonts.replace("-", "") and " no " not in fonts.split("\n", 2)[2]  # embedded


@needs.pdf_tools
def test_paper_size_follows_the_config(tmp_path, three):
    from sheet_sync.config import load_config

    config, book, made = three
    a4 = pypdf.PdfReader(io.BytesIO(made["E-1"][1])).pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    letter = load_config(write_config(tmp_path, CONFIG.replace('[workbook]', 'paper = "Letter"\n[workbook]')))
    data = invoice_pdf(book, "Z-1", letter, AS_OF).data
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


@needs.pdf_tools
def test_lines_that_do_not_add_up_are_a_problem_and_that_invoice_gets_no_send(tmp_path):
    """E-1's lines come to $1,620.00 with tax, its Amount says $1,650.00: a Problem at Invoices!F2, no reminder
    for E-1; K-1 (lines add up) and Z-1 (no lines) go, each with its PDF."""
    from sheet_sync.config import load_config

    write_book(tmp_path)
    config = load_config(write_config(tmp_path))
    result = api.sync(config, as_of=AS_OF)
    problems = [p for p in result.problems if p.blocking]
    assert [(str(p.cell), p.invoice_no) for p in problems] == [("Invoices!F2", "E-1")]
    assert problems[0].message == ("the lines of invoice E-1 on Line Items rows 2, 3, 4 add up to $1,620.00 "
                                   "($1,500.00 + tax $120.00), not the Amount $1,650.00; correct the lines or the "
                                   "Amount. Nothing is sent for this invoice until they agree.")
    assert sorted((m.invoice_no, m.stage, m.state) for m in result.messages) == [
        ("K-1", "gentle", "sent"), ("Z-1", "gentle", "sent")]
    assert result.exit_code == 1
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["Invoices"]
    headers = [c.value for c in ws[1]]
    row = dict(zip(headers, [c.value for c in ws[2]]))
    assert row["Sync Status"] == "Problem" and "Invoices!F2" in row["Sync Notes"]
    for name in ("K-1-gentle.eml", "Z-1-gentle.eml"):
        msg = message_from_bytes((tmp_path / "outbox" / name).read_bytes(), policy=policy.default)
        pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
        assert [p.get_filename() for p in pdfs] == [name.replace("-gentle.eml", ".pdf")]
        assert name[:3] in pdftotext(pdfs[0].get_content())
    assert not (tmp_path / "outbox" / "E-1-gentle.eml").exists()


def test_bad_line_cells_name_their_cell_and_lines_of_unknown_invoices_are_warnings(tmp_path):
    from sheet_sync.config import load_config

    config = load_config(write_config(tmp_path))
    lines = [["E-1", "Design", "two", 600, ""], ["E-1", "Hosting", 1, "€250", "120%"], ["X-9", "Stray", 1, 5, ""]]
    book = book_of(config, lines)
    found = sorted((str(p.cell), p.blocking, p.invoice_no) for p in book.problems)
    assert found == [("'Line Items'!A4", False, ""), ("'Line Items'!C2", True, "E-1"),
                     ("'Line Items'!D3", True, "E-1"), ("'Line Items'!E3", True, "E-1")]
    assert "E-1" not in book.line_items  # a line that cannot be read: the invoice has no lines to show
    by_cell = {str(p.cell): p.message for p in book.problems}
    assert by_cell["'Line Items'!D3"] == "'€250' is written in EUR but the invoice's currency is USD."
    assert by_cell["'Line Items'!E3"] == "'120%' is not a tax rate; write it like 10% (or 0 for none)."
    with pytest.raises(Exception, match=r"E-1 cannot be made into a PDF: 'Line Items'!C2"):
        invoice_context(book, "E-1", config, AS_OF)


@needs.pdf_tools
def test_a_gentle_reminder_over_real_smtp_carries_the_pdf_and_upcoming_does_not(tmp_path, smtp_server, trusted_ca,
                                                                               monkeypatch):
    from sheet_sync.config import load_config

    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    upcoming = AS_OF + timedelta(days=3)
    invoices = [["E-1", "C1", ISSUE, DUE, "USD", 1620, 120, "PO-7731", "https://pay.example.com/E-1", "Website"],
                ["E-2", "C1", upcoming - timedelta(days=30), upcoming, "USD", 300, None, "", "", "Hosting"]]
    write_book(tmp_path, invoices, LINES[:3])
    text = CONFIG.split("[mail]")[0] + mail_toml(smtp_server.port, "", 'security = "starttls"\ntimeout = 10')
    config = load_config(write_config(tmp_path, text + "\n[reminders]\none_email_per_client = false\n"))
    result = api.sync(config, as_of=AS_OF)
    assert sorted((m.invoice_no, m.stage, m.state) for m in result.messages) == [
        ("E-1", "gentle", "sent"), ("E-2", "upcoming", "sent")]
    got = {r.message["X-Sheet-Sync-Invoice"]: r.message for r in smtp_server.received}
    pdfs = [p for p in got["E-1"].iter_attachments() if p.get_content_type() == "application/pdf"]
    assert [p.get_filename() for p in pdfs] == ["E-1.pdf"]
    data = pdfs[0].get_content()
    assert data.startswith(b"%PDF-")
    text = squeeze(pdftotext(data))
    assert "E-1" in text and "Balance due $1,500.00" in text and "Amount paid $120.00" in text
    assert got["E-1"].get_body(("plain",)) is not None and got["E-1"].get_body(("html",)) is not None
    assert list(got["E-2"].iter_attachments()) == []


@needs.pdf_tools
def test_a_grouped_message_carries_one_pdf_per_invoice_at_an_attaching_stage(tmp_path):
    from sheet_sync.config import load_config

    late = DUE - timedelta(days=10)
    invoices = [["E-1", "C1", ISSUE, DUE, "USD", 1620, None, "", "", "Website"],
                ["E-3", "C1", late - timedelta(days=30), late, "USD", 400, None, "", "", "Logo"],
                ["E-2", "C1", AS_OF - timedelta(days=27), AS_OF + timedelta(days=3), "USD", 300, None, "", "", "Host"]]
    write_book(tmp_path, invoices, LINES[:3])
    config = load_config(write_config(tmp_path))
    result = api.sync(config, as_of=AS_OF)
    assert sorted((m.invoice_no, m.stage) for m in result.messages) == [
        ("E-1", "gentle"), ("E-2", "upcoming"), ("E-3", "gentle")]
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert [p.get_filename() for p in msg.iter_attachments()] == ["E-3.pdf", "E-1.pdf"]  # oldest first; E-2 upcoming


@needs.pdf_tools
def test_the_invoice_command_writes_a_valid_pdf(tmp_path):
    invoices = INVOICES + [["A/B 7", "C1", ISSUE, DUE, "USD", 99, None, "", "", "Fix"]]
    write_book(tmp_path, invoices, [])
    config = write_config(tmp_path)
    run = subprocess.run([sys.executable, "-m", "sheet_sync", "invoice", "A/B 7", "--config", str(config),
                          "--as-of", AS_OF.isoformat()], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Invoice A/B 7 written to A_B_7.pdf (")
    reader = pypdf.PdfReader(tmp_path / "A_B_7.pdf")
    assert "A/B 7" in reader.pages[0].extract_text()
    out = tmp_path / "k.pdf"
    run = subprocess.run([sys.executable, "-m", "sheet_sync", "invoice", "K-1", "--config", str(config), "--out",
                          str(out)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "한빛상사" in pdftotext(out.read_bytes())
    run = subprocess.run([sys.executable, "-m", "sheet_sync", "invoice", "NOPE", "--config", str(config)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (run.returncode, run.stderr) == (2, "sheet-sync: There is no invoice 'NOPE' on the Invoices sheet.\n")


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig's fc-list is needed")
def test_without_a_korean_font_the_reminder_goes_without_the_pdf(tmp_path):
    """A real fontconfig with an empty font folder: doctor warns, `invoice` refuses, the ko reminder goes bare."""
    fonts = tmp_path / "no-fonts"
    fonts.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / "fc-cache"}</cachedir>'
                    "</fontconfig>", encoding="utf-8")
    import os

    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    write_book(tmp_path, [INVOICES[1]], [LINES[3]])
    config = write_config(tmp_path)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "sheet_sync", *args, "--config", str(config)], env=env,
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)

    refused = run("invoice", "K-1")
    assert refused.returncode == 2
    assert refused.stderr == ("sheet-sync: No Korean font is installed (fc-list :lang=ko finds none), so the invoice "
                              "PDF would show boxes; install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk).\n")
    assert not (tmp_path / "K-1.pdf").exists()
    doctor = run("doctor")
    line = next(x for x in doctor.stdout.splitlines() if "invoice pdf" in x)
    assert line.startswith("warn") and "no Korean and Chinese font is installed" in line
    synced = run("sync", "--as-of", AS_OF.isoformat())
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert ("  warning: Invoice K-1: the gentle reminder goes without the invoice PDF: No Korean font is installed "
            "(fc-list :lang=ko finds none)") in synced.stdout
    msg = message_from_bytes((tmp_path / "outbox" / "K-1-gentle.eml").read_bytes(), policy=policy.default)
    assert list(msg.iter_attachments()) == []
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["Invoices"]
    row = dict(zip([c.value for c in ws[1]], [c.value for c in ws[2]]))
    assert row["Sync Status"] == "Overdue" and "goes without the invoice PDF: No Korean font" in row["Sync Notes"]
    assert "한빛상사" in msg.get_body(("plain",)).get_content() or "김민수" in msg.get_body(("plain",)).get_content()


@needs.pdf_tools
def test_a_dry_run_makes_no_pdf(tmp_path):
    from sheet_sync.attach import attach_invoices
    from sheet_sync.compose import compose
    from sheet_sync.config import load_config

    write_book(tmp_path, [INVOICES[1]], [LINES[3]])
    config = load_config(write_config(tmp_path))
    result = api.sync(config, as_of=AS_OF, dry_run=True)
    assert [(m.invoice_no, m.stage, m.state) for m in result.messages] == [("K-1", "gentle", "planned")]
    assert "pdf" in result.stage_seconds and result.pdf_warnings == ()  # checked: the font is there
    assert not (tmp_path / "outbox").exists()
    book, _ = api.load(config)
    inv = book.invoices[0]
    o = compose(inv, book.clients[inv.client_id], "gentle", inv.amount, 2, (), config, AS_OF)
    planned, warnings = attach_invoices([o], book, config, AS_OF, dry_run=True)
    assert planned[0] is o and list(o.message.iter_attachments()) == [] and warnings == []
    sent, warnings = attach_invoices([o], book, config, AS_OF)
    assert [p.get_filename() for p in sent[0].message.iter_attachments()] == ["K-1.pdf"] and warnings == []
    assert list(o.message.iter_attachments()) == []  # the composed message itself is left as it was


def test_reading_line_cells():
    assert parse_quantity(None) == (Decimal(1), "")
    assert parse_quantity("1.5") == (Decimal("1.5"), "")
    assert parse_quantity(3.0) == (Decimal(3), "")
    assert parse_quantity("two")[0] is None
    assert parse_tax_rate("10%") == (Decimal("0.1"), "")
    assert parse_tax_rate(0.1) == (Decimal("0.1"), "")  # a percent-formatted cell holds the fraction
    assert parse_tax_rate(10) == (Decimal("0.1"), "")
    assert parse_tax_rate("") == (Decimal(0), "")
    assert parse_tax_rate(0) == (Decimal(0), "")
    assert parse_tax_rate("-5%")[0] is None and parse_tax_rate("abc")[0] is None


def test_file_names_are_safe():
    assert invoice_filename("INV-2026-0042") == "INV-2026-0042.pdf"
    assert invoice_filename("../../etc/passwd") == "etc_passwd.pdf"
    assert invoice_filename("견적 1") == "1.pdf"
    assert invoice_filename("...") == "invoice.pdf"
    assert len(invoice_filename("x" * 300)) == 84


def test_an_owner_template_that_leaves_out_the_balance_is_reported(tmp_path):
    assert check_invoice_template() == []
    mine = tmp_path / "mine"
    mine.mkdir()
    shipped = (Path(__file__).resolve().parent.parent / "templates" / "invoice.html").read_text(encoding="utf-8")
    (mine / "invoice.html").write_text(shipped.replace("{{ balance|money(cur) }}", ""), encoding="utf-8")
    problems = check_invoice_template(mine)
    assert problems and all("does not show the balance due" in p for p in problems)
    assert sample_invoice_context("ko")["language"] == "ko"


@needs.pdf_tools
def test_the_logo_is_shown_and_nothing_outside_the_allowed_folders_is_read(tmp_path, three):
    """business.logo is embedded; an owner's template asking for a file elsewhere (or the network) gets nothing."""
    from PIL import Image

    from sheet_sync.config import load_config

    _, book, _ = three
    (tmp_path / "brand").mkdir()
    (tmp_path / "elsewhere").mkdir()
    Image.new("RGB", (120, 40), (31, 45, 61)).save(tmp_path / "brand" / "logo.png")
    Image.new("RGB", (50, 50), (200, 0, 0)).save(tmp_path / "elsewhere" / "private.png")
    mine = tmp_path / "mine"
    mine.mkdir()
    shipped = (Path(__file__).resolve().parent.parent / "templates" / "invoice.html").read_text(encoding="utf-8")
    outside = (tmp_path / "elsewhere" / "private.png").as_uri()
    (mine / "invoice.html").write_text(shipped.replace(
        "<p class=\"thanks\">", f'<img src="{outside}"><img src="https://example.com/x.png"><p class="thanks">'),
        encoding="utf-8")

    def images(config_text: str) -> list[tuple[int, int]]:
        config = load_config(write_config(tmp_path, config_text))
        page = pypdf.PdfReader(io.BytesIO(invoice_pdf(book, "E-1", config, AS_OF).data)).pages[0]
        return [(image.image.width, image.image.height) for image in page.images]

    assert images(CONFIG) == []
    with_logo = CONFIG.replace("[workbook]", 'logo = "brand/logo.png"\n[workbook]')
    assert images(with_logo) == [(120, 40)]
    assert images(with_logo + f'[reminders]\ntemplates_dir = "{mine.as_posix()}"\n') == [(120, 40)]

"""Status `Ready`: the tool sends the invoice itself (stage `invoice`, its PDF attached), once; `Invoice Sent` holds
the day; the owner's Status stays `Ready`; reminders then follow the invoice's own dates. The policy in memory;
the sends over the real SMTP test server, into a real .xlsx and the Sheets emulator; PDFs read back with
pdftotext."""
from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, time as clock, timedelta, timezone
from email import message_from_bytes, policy as email_policy
from pathlib import Path

import openpyxl
import pytest

from sheet_sync import api
from sheet_sync.aging import age
from sheet_sync.model import LogEntry, SendState
from sheet_sync.policy import make_calendar, plan
from smtp_server import PASSWORD, mail_toml
from workbooks import make_workbook, memory_book, write_config

AS_OF = date(2026, 11, 23)  # a Monday
CLIENT_HEADERS = ["Client ID", "Name", "Email", "CC", "Contact Name", "Language", "Payment Terms", "Reminders"]
CLIENTS = [
    ["C1", "Acme Ltd", "ap@acme.example.com", "", "Dana Whitfield", "en", "Net 30", ""],
    ["C2", "한빛상사", "billing@hanbit.example.co.kr", "", "김민수", "ko", "30일", ""],
    ["C3", "上海星辰", "finance@xingchen.example.cn", "", "王芳", "zh", "30天", ""],
    ["C4", "Quiet Co", "ap@quiet.example.com", "", "", "en", "Net 30", "off"],
]
HEADERS = ["Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "Amount Paid", "Status",
           "PO Number", "Payment Link", "Description"]
LINE_HEADERS = ["Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate"]


def row(no, client, due, amount=1000, status="Ready", currency="USD", paid=None, issue=None, description="Design work"):
    return [no, client, issue or due - timedelta(days=30), due, currency, amount, paid, status, "", "", description]


def decide(tmp_path, rows, as_of=AS_OF, log=()):
    config = write_config(tmp_path, tmp_path / "unused.xlsx")
    # workbooks.INVOICE_HEADERS' order: ..., Amount Paid, Paid Date, Status
    book = memory_book(config, [[*r[:7], None, r[7]] for r in rows], CLIENTS)
    from dataclasses import replace

    book = replace(book, log=tuple(log))
    report = age(book, config, as_of)
    return plan(report, book, config, make_calendar(config, as_of))


def logged(no, client, day, stage="invoice", state=SendState.SENT):
    return LogEntry(datetime.combine(day, clock(9), timezone.utc), no, client, stage, "x@example.com", "s",
                    f"<{no}.{stage}@example.com>", "outbox", state)


# ---- the policy, in memory ---------------------------------------------------------------------

def test_a_ready_invoice_is_sent_on_a_sending_day_and_gets_no_reminder_before_it(tmp_path):
    rows = [row("R-1", "C1", AS_OF + timedelta(days=30)),
            row("R-2", "C2", AS_OF - timedelta(days=10), currency="KRW", amount=500000),  # already past due
            row("S-1", "C2", AS_OF - timedelta(days=2), status="Sent", currency="KRW", amount=300000),  # gentle today
            row("S-2", "C3", AS_OF - timedelta(days=2), status="Sent", currency="CNY"),  # gentle today
            row("R-3", "C3", AS_OF + timedelta(days=5), paid=1000, currency="CNY"),  # paid in advance: nothing to send
            row("R-4", "C4", AS_OF + timedelta(days=30))]  # Reminders off: the invoice itself still goes
    d = decide(tmp_path, rows)
    assert {no: d[no].send for no in d} == {"R-1": "invoice", "R-2": "invoice", "S-1": "", "S-2": "gentle",
                                             "R-3": "", "R-4": "invoice"}
    # R-1's reminders follow its own dates: the heads-up three days before it is due
    assert (d["R-1"].next_stage, d["R-1"].next_date) == ("upcoming", date(2026, 12, 21))  # Sunday the 20th: Monday
    # R-2 was past due when it went: the first reminder waits three sending days after the invoice (Thursday)
    assert (d["R-2"].next_stage, d["R-2"].next_date) == ("gentle", date(2026, 11, 26))
    # S-1's client gets a new invoice this morning: its gentle reminder waits for the next sending day
    assert (d["S-1"].next_stage, d["S-1"].next_date) == ("gentle", date(2026, 11, 24))
    assert "this client gets a new invoice today" in " ".join(d["S-1"].notes)
    assert "Reminders are off" in " ".join(d["R-4"].notes)

    saturday = decide(tmp_path, rows, as_of=date(2026, 11, 28))
    assert saturday["R-1"].send == "" and (saturday["R-1"].next_stage, saturday["R-1"].next_date) == (
        "invoice", date(2026, 11, 30))
    assert saturday["R-2"].send == "" and saturday["R-2"].next_stage == "invoice"  # no reminder before the invoice


def test_once_sent_a_ready_invoice_is_reminded_like_a_sent_one(tmp_path):
    rows = [row("R-2", "C1", AS_OF - timedelta(days=10)), row("R-1", "C1", AS_OF + timedelta(days=4))]
    log = [logged("R-2", "C1", AS_OF), logged("R-1", "C1", AS_OF)]
    for day, wanted in ((AS_OF, {"R-2": "", "R-1": ""}),  # a re-run the same day sends nothing again
                        (date(2026, 11, 24), {"R-2": "", "R-1": ""}),
                        (date(2026, 11, 26), {"R-2": "gentle", "R-1": "upcoming"})):
        d = decide(tmp_path, rows, as_of=day, log=log)
        assert {no: x.send for no, x in d.items()} == wanted, day
        assert d["R-2"].invoice_sent == AS_OF
        assert d["R-2"].references == ("<R-2.invoice@example.com>",)  # the reminders thread after the invoice
    # an invoice whose send failed is tried again on the next run; one that may have gone is not
    failed = decide(tmp_path, rows[:1], log=[logged("R-2", "C1", AS_OF, state=SendState.FAILED)])
    assert failed["R-2"].send == "invoice" and "The invoice message failed on 2026-11-23" in failed["R-2"].notes[0]
    unsure = decide(tmp_path, rows[:1], as_of=date(2026, 11, 24),
                    log=[logged("R-2", "C1", AS_OF, state=SendState.UNCONFIRMED)])
    assert unsure["R-2"].send == "" and unsure["R-2"].invoice_sent is None
    assert "The invoice message of 2026-11-23 may not have been sent" in unsure["R-2"].notes[0]


# ---- over real SMTP, into a real .xlsx ----------------------------------------------------------

def pdftotext(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, r)) for r in ws.iter_rows(min_row=2, values_only=True)]


def ready_book(folder: Path) -> Path:
    due = AS_OF + timedelta(days=30)
    invoices = [row("E-1", "C1", due, amount=1200, description="Website redesign"),
                row("E-2", "C1", due, amount=300, description="Hosting, December"),
                row("K-1", "C2", due, amount=1100000, currency="KRW", description="웹사이트 유지보수"),
                row("Z-1", "C3", due, amount=8800, currency="CNY", description="品牌设计"),
                row("Z-2", "C3", due, amount=500, currency="CNY", description="印刷品")]
    lines = [["K-1", "유지보수 (12월)", 1, 1000000, "10%"],
             ["Z-2", "名片", 2, 200, ""]]  # 400, not the Amount's 500: a Problem, Z-2 is not sent
    return make_workbook(folder / "book.xlsx", {"Clients": [CLIENT_HEADERS, *CLIENTS], "Invoices": [HEADERS, *invoices],
                                                "Line Items": [LINE_HEADERS, *lines]})


def test_ready_rows_go_once_with_their_pdfs_over_smtp(tmp_path, smtp_server, trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    wb = ready_book(tmp_path)
    config = write_config(tmp_path, wb, mail_toml(smtp_server.port, smtp='security = "starttls"\ntimeout = 10'))
    result = api.sync(config, as_of=AS_OF)
    assert sorted((m.invoice_no, m.stage, m.state) for m in result.messages) == [
        ("E-1", "invoice", "sent"), ("E-2", "invoice", "sent"), ("K-1", "invoice", "sent"), ("Z-1", "invoice", "sent")]
    assert result.exit_code == 1  # Z-2's lines do not add up
    assert len(smtp_server.received) == 3  # one message per client: E-1 and E-2 together
    by_client = {r.message["To"]: r.message for r in smtp_server.received}
    en, ko, zh = (by_client[a] for a in ("ap@acme.example.com", "billing@hanbit.example.co.kr",
                                         "finance@xingchen.example.cn"))
    for message, files in ((en, ["E-1.pdf", "E-2.pdf"]), (ko, ["K-1.pdf"]), (zh, ["Z-1.pdf"])):
        pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
        assert [p.get_filename() for p in pdfs] == files
        for p, name in zip(pdfs, files):
            assert name[:-4] in pdftotext(p.get_content())
    assert "한빛상사" in pdftotext(next(ko.iter_attachments()).get_content())

    # the words, as the client reads them
    text = {lang: m.get_body(("plain",)).get_content() for lang, m in (("en", en), ("ko", ko), ("zh", zh))}
    assert en["Subject"] == "2 invoices from Test Studio: $1,500.00"
    assert "Thank you for working with us. Please find attached our invoices E-1 and E-2, for $1,500.00 in total." \
        in text["en"]
    assert "E-1 (Website redesign): $1,200.00, due December 23, 2026, due in 30 days" in text["en"]
    assert "Bank transfer to account 123." in text["en"]
    assert ko["Subject"] == "[Test Studio] 인보이스 K-1 발송 (₩1,100,000, 2026년 12월 23일까지)"
    assert "웹사이트 유지보수 관련 인보이스를 보내 드립니다(인보이스 번호: K-1). 인보이스 PDF를 첨부해 드렸습니다." in text["ko"]
    assert "결제하실 금액은 1,100,000원이며, 발행일로부터 30일 이내인 2026년 12월 23일까지 결제해 주시면 됩니다." in text["ko"]
    assert zh["Subject"] == "Test Studio：发票 Z-1（CN¥8,800.00，请于2026年12月23日前付款）"
    assert "现将“品牌设计”的发票 Z-1 发送给您，PDF 版本请见附件。" in text["zh"]
    assert "本次应付金额为 CN¥8,800.00，请于2026年12月23日前付款（即开票后30天内）。" in text["zh"]
    for body in text.values():
        assert not re.search(r"net\s*\d", body, re.IGNORECASE) and "remind" not in body.lower()

    invoices = {r["Invoice No"]: r for r in sheet_rows(wb, "Invoices")}
    headers = [c.value for c in openpyxl.load_workbook(wb)["Invoices"][1]]
    assert headers[-2:] == ["Sync Notes", "Invoice Sent"]  # added at the right end, after the other tool columns
    assert {no: r["Invoice Sent"] for no, r in invoices.items()} == {
        "E-1": datetime(2026, 11, 23), "E-2": datetime(2026, 11, 23), "K-1": datetime(2026, 11, 23),
        "Z-1": datetime(2026, 11, 23), "Z-2": None}
    assert {r["Status"] for r in invoices.values()} == {"Ready"}  # the owner's Status is never changed
    assert invoices["E-1"]["Last Reminder"] == "2026-11-23 invoice"
    assert invoices["E-1"]["Next Reminder"] == "2026-12-21 upcoming"
    assert invoices["Z-2"]["Sync Status"] == "Problem" and "add up to CN¥400.00" in invoices["Z-2"]["Sync Notes"]
    log = sheet_rows(wb, "Reminder Log")
    assert sorted((r["Invoice No"], r["Stage"], r["State"]) for r in log) == [
        ("E-1", "invoice", "sent"), ("E-2", "invoice", "sent"), ("K-1", "invoice", "sent"), ("Z-1", "invoice", "sent")]
    assert len({r["Message ID"] for r in log if r["Invoice No"].startswith("E-")}) == 1

    # a re-run the same day, and the next day: nothing goes again, and the columns keep the day it went
    for day in (AS_OF, AS_OF + timedelta(days=1)):
        again = api.sync(config, as_of=day)
        assert [m for m in again.messages if m.invoice_no != "Z-2"] == [], day
    assert len(smtp_server.received) == 3
    invoices = {r["Invoice No"]: r for r in sheet_rows(wb, "Invoices")}
    assert invoices["K-1"]["Invoice Sent"] == datetime(2026, 11, 23) and invoices["K-1"]["Status"] == "Ready"
    assert len(sheet_rows(wb, "Reminder Log")) == 4


def test_an_invoice_whose_pdf_cannot_be_made_is_not_sent_and_its_row_says_why(tmp_path):
    """A broken `invoice.html` in the owner's templates folder: the invoice stays unsent (no .eml, no log row),
    its Sync Notes say why, and the next run sends it once the template is fixed."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "invoice.html").write_text("<html>{{ invoice.nope.deeper }}</html>", encoding="utf-8")
    wb = make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *CLIENTS],
                                                "Invoices": [HEADERS, row("E-1", "C1", AS_OF + timedelta(days=30))]})
    config = write_config(tmp_path, wb, f'[reminders]\ntemplates_dir = "{folder}"\n')
    result = api.sync(config, as_of=AS_OF)
    assert result.messages == () and result.exit_code == 1
    assert not (tmp_path / "outbox").exists()
    (r,) = sheet_rows(wb, "Invoices")
    assert r["Sync Notes"].startswith("Invoice E-1 was not sent: its PDF could not be made: The template invoice.html")
    assert r["Invoice Sent"] is None and r["Next Reminder"] == "2026-11-24 invoice" and r["Status"] == "Ready"
    (folder / "invoice.html").unlink()
    result = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert [(m.invoice_no, m.stage, m.state) for m in result.messages] == [("E-1", "invoice", "sent")]
    msg = message_from_bytes((tmp_path / "outbox" / "E-1-invoice.eml").read_bytes(), policy=email_policy.default)
    assert [p.get_filename() for p in msg.iter_attachments()] == ["E-1.pdf"]


def test_a_dry_run_sends_and_writes_nothing(tmp_path):
    wb = make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *CLIENTS],
                                                "Invoices": [HEADERS, row("E-1", "C1", AS_OF + timedelta(days=30))]})
    before = wb.read_bytes()
    result = api.sync(write_config(tmp_path, wb), as_of=AS_OF, dry_run=True)
    assert [(m.invoice_no, m.stage, m.state) for m in result.messages] == [("E-1", "invoice", "planned")]
    assert wb.read_bytes() == before and not (tmp_path / "outbox").exists()


# ---- Google Sheets --------------------------------------------------------------------------------

@pytest.mark.usefixtures("no_google_credentials")
def test_invoice_sent_on_a_google_sheet(tmp_path, emulator):
    from sheets_emulator import serial
    from workbooks import sheet_config

    emulator.add_sheet("Clients", [CLIENT_HEADERS, *CLIENTS])
    emulator.add_sheet("Invoices", [HEADERS, row("E-1", "C1", AS_OF + timedelta(days=30)),
                                    row("S-1", "C1", AS_OF + timedelta(days=40), status="Sent")])
    config = sheet_config(tmp_path, emulator)
    result = api.sync(config, as_of=AS_OF)
    assert [(m.invoice_no, m.stage, m.state) for m in result.messages] == [("E-1", "invoice", "sent")]
    values = emulator.values("Invoices")
    headers = values[0]
    assert headers[-2:] == ["Sync Notes", "Invoice Sent"]
    col = headers.index("Invoice Sent")
    got = {r[0]: (r[col] if col < len(r) else None) for r in values[1:]}
    assert got["E-1"] == serial(AS_OF) and got["S-1"] in (None, "")
    assert emulator.sheet("Invoices").formats.get((2, col + 1)) == "yyyy-mm-dd"
    assert [r[headers.index("Status")] for r in values[1:]] == ["Ready", "Sent"]
    log = emulator.values("Reminder Log")
    assert [(r[1], r[3], r[8]) for r in log[1:]] == [("E-1", "invoice", "sent")]
    again = api.sync(config, as_of=AS_OF + timedelta(days=1))
    assert again.messages == ()
    assert {r[0]: r[col] for r in emulator.values("Invoices")[1:] if col < len(r)}.get("E-1") == serial(AS_OF)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


# ---- SIGKILL mid-run ----------------------------------------------------------------------------

def test_sigkill_while_sending_invoices_never_sends_one_twice(tmp_path, ca, trusted_ca):
    """As tests/test_crash.py does for reminders: a run killed at random moments while it makes the PDFs and
    sends the invoices to a slowed-down SMTP server, then run to the end. No invoice reaches the server twice;
    each is delivered with its PDF or logged `unconfirmed`."""
    import os
    import random
    import signal
    import sys
    import time
    from collections import Counter

    from smtp_server import Handler, SmtpServer

    n = 5
    clients = [[f"C{k}", f"Client {k}", f"ap{k}@client{k}.example.com", "", "", "en", "Net 30", ""] for k in range(n)]
    rng = random.Random(20261123)
    with SmtpServer(ca, Handler(delay=0.3)) as server:
        wb = make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *clients], "Invoices": [HEADERS, *[
            row(f"R-{k:02d}", f"C{k}", AS_OF + timedelta(days=30)) for k in range(n)]]})
        write_config(tmp_path, wb, mail_toml(server.port, smtp='security = "starttls"\ntimeout = 10'))
        env = dict(os.environ, SMTP_PASSWORD=PASSWORD, SSL_CERT_FILE=str(trusted_ca))
        cmd = [sys.executable, "-m", "sheet_sync", "sync", "--as-of", AS_OF.isoformat()]
        journal = tmp_path / ".book.sheet-sync-journal.jsonl"
        mid_send = 0
        for _ in range(3):
            start = journal.stat().st_size if journal.exists() else 0
            proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while (journal.stat().st_size if journal.exists() else 0) <= start and proc.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.005)
            if proc.poll() is None:
                time.sleep(rng.uniform(0, 0.4))
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            if proc.returncode != -signal.SIGKILL:
                break
            mid_send += (journal.stat().st_size if journal.exists() else 0) > start
        final = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode in (0, 3), final.stderr
        time.sleep(0.3)
        received = [r.message for r in server.received]

    ids = [m["Message-ID"] for m in received]
    assert [mid for mid, k in Counter(ids).items() if k > 1] == []
    assert mid_send >= 1  # a kill did land while invoices were going out
    for m in received:
        assert [p.get_filename() for p in m.iter_attachments()] == [m["X-Sheet-Sync-Invoice"] + ".pdf"]
    latest = {r["Invoice No"]: (r["Message ID"], r["State"]) for r in sheet_rows(wb, "Reminder Log")}
    assert set(latest) == {f"R-{k:02d}" for k in range(n)}
    for no, (mid, state) in latest.items():
        assert (mid in ids and state == "sent") or state == "unconfirmed", (no, mid, state)
    invoices = {r["Invoice No"]: r for r in sheet_rows(wb, "Invoices")}
    for no, (mid, state) in latest.items():
        assert invoices[no]["Invoice Sent"] == (datetime(2026, 11, 23) if state == "sent" else None)
        assert invoices[no]["Status"] == "Ready"
    print(f"\nSIGKILL landed {mid_send} times mid-send; {len(ids)} of {n} invoices delivered, none twice; "
          f"{sum(s == 'unconfirmed' for _, s in latest.values())} unconfirmed")


def test_check_templates_knows_the_invoice_stage(tmp_path):
    from sheet_sync.render import check_templates

    assert check_templates() == []
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "invoice.txt").write_text("Hello, here is invoice {{ invoice.invoice_no }}.\n", encoding="utf-8")
    found = check_templates(tmp_path)
    assert "The template en/invoice.txt does not show the amount due, the due date, the payment link, the PO number, " \
           "the Description." in found
    assert all("invoice.txt" in p for p in found) and not any("ko/" in p or "zh/" in p for p in found)


def test_the_summary_calls_a_sent_invoice_an_invoice_not_a_reminder():
    from datetime import date

    from sheet_sync.cli import render_summary
    from sheet_sync.result import Sent, SyncResult

    def summary(*stages: str) -> str:
        messages = tuple(Sent(f"INV-{i}", "C1", stage, "ap@acme.example.com", "Subject", "sent", message_id=f"<{i}@x>")
                         for i, stage in enumerate(stages))
        result = SyncResult(as_of=date(2026, 11, 30), workbook="book.xlsx", invoices_read=len(stages), problems=(),
                            totals={}, labels=(), messages=messages, needs_attention=(), unconfirmed=(), statuses={},
                            dry_run=False, transport="outbox")
        return next(line.strip() for line in render_summary(result).splitlines() if " sent: " in line)

    assert summary("invoice", "invoice") == "invoices sent: 2 (invoice 2)"
    assert summary("invoice", "gentle") == "invoices and reminders sent: 2 (invoice 1, gentle 1)"
    assert summary("gentle", "firm") == "reminders sent: 2 (gentle 1, firm 1)"

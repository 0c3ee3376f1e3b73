"""The owner's digest email and the GitHub job summary, from real runs on real workbooks."""
from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from email import policy

from sheet_sync import api
from sheet_sync.job_summary import markdown_summary
from smtp_server import PASSWORD, mail_toml
from workbooks import invoice, simple_book

AS_OF = date(2026, 11, 23)  # Monday
CLIENTS = [
    ["C1", "<b>Bold & Co</b> | Ltd", "ap@bold.example.com", "", "Dana", "en", "Net 30", ""],
    ["C2", "한빛상사", "billing@hanbit.example.co.kr", "", "김민수", "ko", "30일", ""],
]


def book(tmp_path):
    """One invoice due a gentle reminder, one long past its final notice (needs a decision), one bad row."""
    path = simple_book(tmp_path / "book.xlsx", [
        invoice("D-1", "C2", due=AS_OF - timedelta(days=2), currency="KRW", amount=1200000),
        invoice("D-2", "C1", due=AS_OF - timedelta(days=80), amount="2,400.00"),
        invoice("D-3", "C1", due=AS_OF - timedelta(days=3), amount="abc"),
    ], CLIENTS)
    return path


def run_until_attention(config):
    """Daily runs until D-2 has been through its final notice and waits for the owner."""
    result = None
    for n in range(20):
        result = api.sync(config, as_of=AS_OF + timedelta(days=n))
        if result.attention:
            return result, AS_OF + timedelta(days=n)
    raise AssertionError("D-2 never needed a decision")


def read_eml(path):
    """An outbox .eml (mail: CRLF line ends) as a mail program shows it, with plain line ends."""
    return email.message_from_bytes(path.read_bytes().replace(b"\r\n", b"\n"), policy=policy.default)


def test_digest_lists_sends_decisions_totals_and_problems(tmp_path, config_for):
    config = config_for(book(tmp_path), '[mail]\ntransport = "outbox"\nfrom = "billing@studio.example.com"\n'
                                        'outbox_dir = "outbox"\ndigest_to = "owner@studio.example.com"')
    result, day = run_until_attention(config)
    assert result.digest == "sent to owner@studio.example.com"
    digests = sorted((tmp_path / "outbox").glob("digest-*.eml"))
    assert digests[-1].name == f"digest-{day.isoformat()}.eml"
    msg = read_eml(digests[-1])
    assert msg["To"] == "owner@studio.example.com" and msg["X-Sheet-Sync-Invoice"] is None
    assert "1 invoice needs your decision" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "  <b>Bold & Co</b> | Ltd\n    - D-2: $2,400.00, " in text  # grouped per client, then each invoice
    assert "collections agency" in text
    assert "Invoices!F4: 'abc' is not an amount" in text
    assert "KRW: ₩1,200,000" in text
    html = msg.get_body(("html",)).get_content()
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in html and "<b>Bold" not in html
    assert html.count("height:14px;width:") == 2 * len(result.labels)  # a bar per bucket per currency
    assert "width:100%" in html  # the largest bucket fills the row

    first = read_eml(digests[0])  # the first day: a gentle reminder to C2 and a firm/final to C1
    assert "D-1, gentle, to billing@hanbit.example.co.kr" in first.get_body(("plain",)).get_content()


def test_no_digest_when_off_in_a_dry_run_or_with_nothing_to_say(tmp_path, config_for):
    path = simple_book(tmp_path / "book.xlsx", [invoice("N-1", due=AS_OF + timedelta(days=20))])
    with_digest = '[mail]\ntransport = "outbox"\nfrom = "b@studio.example.com"\ndigest_to = "owner@studio.example.com"'
    config = config_for(path, with_digest)
    assert api.sync(config, as_of=AS_OF).digest == ""  # nothing sent, nothing to decide
    late = simple_book(tmp_path / "book.xlsx", [invoice("N-1", due=AS_OF - timedelta(days=2))])
    config = config_for(late, with_digest)
    assert api.sync(config, as_of=AS_OF, dry_run=True).digest == ""
    assert not (tmp_path / "outbox").exists()
    config = config_for(late)  # digest_to not set
    assert len(api.sync(config, as_of=AS_OF).sent) == 1
    assert not list((tmp_path / "outbox").glob("digest-*"))


def test_digest_arrives_by_smtp_and_its_failure_never_touches_the_reminders(tmp_path, config_for, smtp_server,
                                                                            trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    def smtp(digest_to: str) -> str:
        return mail_toml(smtp_server.port, f'digest_to = "{digest_to}"')

    config = config_for(book(tmp_path), smtp("owner@studio.example.com"))
    result = api.sync(config, as_of=AS_OF)
    assert result.digest == "sent to owner@studio.example.com"
    digest = [r for r in smtp_server.received if r.message["X-Sheet-Sync-Digest"]]
    assert len(digest) == 1 and digest[0].rcpt_tos == ["owner@studio.example.com"]
    assert len(smtp_server.received) == len(result.sent) + 1

    smtp_server.handler.refuse = ("refused@studio.example.com",)
    config = config_for(book(tmp_path), smtp("refused@studio.example.com"))
    again = api.sync(config, as_of=AS_OF + timedelta(days=7))
    assert again.sent and again.exit_code == 1  # the row problem; the digest's failure is not a send failure
    assert again.digest.startswith("not sent to refused@studio.example.com")


def test_job_summary_escapes_sheet_text_and_charts_each_currency(tmp_path, config_for):
    config = config_for(book(tmp_path))
    result, _ = run_until_attention(config)
    md = markdown_summary(result)
    assert md.startswith(f"## sheet-sync, {result.as_of.isoformat()}")
    assert "| D-2 | &lt;b&gt;Bold &amp; Co&lt;/b&gt; \\| Ltd | $2,400.00 |" in md
    assert md.count("```mermaid") == len(result.totals) == 2
    assert 'x-axis ["Current", "1-30", "31-60", "61-90", "90+"]' in md
    assert "| Invoices!F4 | 'abc' is not an amount" in md
    usd = md.split('title "USD')[1].split("```")[0]
    assert "bar [0.00, 0.00, 0.00, 0.00, 2400.00]" in usd


def test_cli_writes_the_step_summary_and_the_json_report(tmp_path, config_for):
    config_for(book(tmp_path))
    summary, report = tmp_path / "step-summary.md", tmp_path / "report.json"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary))
    proc = subprocess.run([sys.executable, "-m", "sheet_sync", "sync", "--config", str(tmp_path / "sheet-sync.toml"),
                           "--as-of", AS_OF.isoformat(), "--report", str(report)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## sheet-sync, 2026-11-23")  # appended, not replaced
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["exit_code"] == 1 and data["reminders_by_stage"]
    assert "sheet-sync as of 2026-11-23" in proc.stdout  # the human summary still goes to the log


def test_doctor_renders_the_digest_and_names_a_broken_override(tmp_path, config_for):
    from sheet_sync.doctor import run_checks

    path = simple_book(tmp_path / "book.xlsx", [invoice("N-1", due=AS_OF + timedelta(days=20))])
    mine = tmp_path / "my-templates"
    mine.mkdir()
    config_for(path, f'[mail]\ntransport = "outbox"\nfrom = "b@studio.example.com"\ndigest_to = "owner@studio.example.com"\n'
                     f'[reminders]\ntemplates_dir = "{mine.as_posix()}"')
    good = {c.name: c for c in run_checks(tmp_path / "sheet-sync.toml")}
    assert good["templates"].state == "ok" and "your digest" in good["templates"].detail
    (mine / "digest.html").write_text("<p>{{ sent | length }</p>", encoding="utf-8")  # a typo
    bad = {c.name: c for c in run_checks(tmp_path / "sheet-sync.toml")}
    assert bad["templates"].state == "fail"
    assert "digest.html in your templates folder has a mistake on line 1" in bad["templates"].detail


def test_job_summary_never_turns_sheet_text_into_a_link_or_an_image(tmp_path, config_for):
    """Rendered as GitHub renders Markdown (tables, autolinks): what the sheet says stays text."""
    from markdown_it import MarkdownIt

    due = AS_OF - timedelta(days=50)
    clients = [["C1", "[Acme](https://evil.example)", "ap@acme.example.com", "", "", "en", "Net 30", ""]]
    wb = simple_book(tmp_path / "book.xlsx", [invoice("![x](https://evil.example/p.png)", due=due),
                                              invoice("www.evil.example", due=due, amount="*bold*")], clients)
    result, _ = run_until_attention(config_for(wb))
    html_out = MarkdownIt("gfm-like").render(markdown_summary(result))
    assert "evil.example" in html_out  # the text is there...
    assert "<a " not in html_out and "<img" not in html_out  # ...but never live


def test_the_digest_groups_decisions_per_client_oldest_first(tmp_path, config_for):
    """Needs your decision: one heading per client (the longest overdue first), its invoices oldest first,
    the advice said once, not a sentence per invoice."""
    from sheet_sync.digest import build_digest

    due = AS_OF - timedelta(days=80)
    rows = [invoice("A-1", due=due), invoice("A-2", due=due - timedelta(days=10)),
            invoice("B-1", "C2", due=due - timedelta(days=5), currency="KRW", amount=900000)]
    config = config_for(simple_book(tmp_path / "book.xlsx", rows, CLIENTS),
                        '[mail]\ntransport = "outbox"\nfrom = "billing@studio.example.com"\noutbox_dir = "outbox"\n'
                        'digest_to = "owner@studio.example.com"')
    result = None
    for n in range(25):
        result = api.sync(config, as_of=AS_OF + timedelta(days=n))
        if len(result.attention) == 3:
            break
    assert len(result.attention) == 3
    text = build_digest(result, config).get_body(("plain",)).get_content()
    assert text.count("collections agency") == 1
    assert text.index("Bold & Co") < text.index("A-2") < text.index("A-1") < text.index("한빛상사") < text.index("B-1")


def test_an_invoice_below_the_write_off_limit_is_marked_in_the_digest(tmp_path, config_for):
    config = config_for(book(tmp_path), '[mail]\ntransport = "outbox"\nfrom = "billing@studio.example.com"\n'
                                        'outbox_dir = "outbox"\ndigest_to = "owner@studio.example.com"\n'
                                        '[reminders]\nwrite_off_below = { USD = 3000 }')
    result, _ = run_until_attention(config)
    assert [(a.invoice_no, a.write_off) for a in result.attention] == [("D-2", True)]
    from sheet_sync.digest import build_digest

    assert "D-2: $2,400.00, " in build_digest(result, config).get_body(("plain",)).get_content()
    assert "(below your write-off limit)" in build_digest(result, config).get_body(("plain",)).get_content()

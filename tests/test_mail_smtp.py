"""Real reminder email through yagmail's real code, to a real SMTP server on 127.0.0.1
(STARTTLS with a certificate from a test CA, login required)."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import openpyxl

from sheet_sync import api
from smtp_server import PASSWORD, USER, Handler, SmtpServer, mail_toml
from workbooks import invoice, simple_book

AS_OF = date(2026, 11, 23)  # a Monday

CLIENTS = [
    ["C1", "Acme Ltd", "ap@acme.example.com", "boss@acme.example.com", "Dana", "en", "Net 30", ""],
    ["C2", "한빛상사", "billing@hanbit.example.co.kr", "", "김민수", "ko", "30일", ""],
    ["C3", "上海星辰", "finance@xingchen.example.cn", "", "王芳", "zh", "30天", ""],
]


def smtp_config(port: int, extra: str = "") -> str:
    return mail_toml(port, 'from_name = "Test Studio"\nreply_to = "accounts@studio.example.com"',
                     'security = "starttls"\ntimeout = 10\n' + extra)


def three_invoices(path):
    due = AS_OF - timedelta(days=2)
    return simple_book(path, [invoice("E-1", "C1", due=due), invoice("K-1", "C2", due=due, currency="KRW", amount=1200000),
                              invoice("Z-1", "C3", due=due, currency="CNY", amount=8800)], CLIENTS)


def run_cli(config_path, *args, env=None):
    return subprocess.run([sys.executable, "-m", "sheet_sync", "sync", "--config", str(config_path), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def log_rows(path):
    wb = openpyxl.load_workbook(path)
    if "Reminder Log" not in wb.sheetnames:
        return []
    ws = wb["Reminder Log"]
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, r)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_delivery_mime_and_unicode_headers(tmp_path, config_for, smtp_server, trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    wb = three_invoices(tmp_path / "book.xlsx")
    config = config_for(wb, smtp_config(smtp_server.port))
    result = api.sync(config, as_of=AS_OF)
    assert [(m.invoice_no, m.stage, m.state) for m in result.messages] == [
        ("E-1", "gentle", "sent"), ("K-1", "gentle", "sent"), ("Z-1", "gentle", "sent")]
    assert result.exit_code == 0
    got = {r.message["X-Sheet-Sync-Invoice"]: r for r in smtp_server.received}
    assert set(got) == {"E-1", "K-1", "Z-1"}
    assert smtp_server.handler.logins == 1  # one connection for the whole run

    en = got["E-1"]
    assert sorted(en.rcpt_tos) == ["ap@acme.example.com", "boss@acme.example.com"]
    msg = en.message
    assert msg["To"] == "ap@acme.example.com"
    assert msg["Cc"] == "boss@acme.example.com"
    assert msg["Reply-To"] == "accounts@studio.example.com"
    assert msg["From"] == f"Test Studio <{USER}>"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "E-1" in msg.get_body(("plain",)).get_content()
    assert msg["Message-ID"].startswith("<E-1.gentle.") and msg["Message-ID"].endswith("@studio.example.com>")

    ko, zh = got["K-1"].message, got["Z-1"].message
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko["Subject"])  # Korean survives the UTF-8 header
    assert "₩1,200,000" in ko.get_body(("plain",)).get_content()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["Subject"])
    assert b"=?utf-8?" in got["K-1"].data.lower() or b"=?UTF-8?" in got["K-1"].data  # encoded-word on the wire
    assert len({r.message["Message-ID"] for r in smtp_server.received}) == 3

    states = [(r["Invoice No"], r["State"], r["Transport"]) for r in log_rows(wb)]
    assert states == [("E-1", "sent", "smtp"), ("K-1", "sent", "smtp"), ("Z-1", "sent", "smtp")]
    # a re-run the same day sends nothing
    assert api.sync(config, as_of=AS_OF).messages == ()
    assert len(smtp_server.received) == 3


def test_untrusted_certificate_is_refused(tmp_path, config_for, smtp_server, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    wb = three_invoices(tmp_path / "book.xlsx")
    config = config_for(wb, smtp_config(smtp_server.port))
    result = api.sync(config, as_of=AS_OF)
    assert result.exit_code == 3
    assert {m.state for m in result.messages} == {"failed"}
    assert "presented a certificate that cannot be trusted" in result.messages[0].detail
    assert smtp_server.received == []
    assert [r["State"] for r in log_rows(wb)] == ["failed", "failed", "failed"]  # tried again next run


def test_wrong_password_one_sentence_exit_3_nothing_sent(tmp_path, config_for, smtp_server, trusted_ca):
    import os

    wb = three_invoices(tmp_path / "book.xlsx")
    config_for(wb, smtp_config(smtp_server.port))
    wrong = "wrong-pass-7Hq1"
    env = dict(os.environ, SMTP_PASSWORD=wrong, SSL_CERT_FILE=str(trusted_ca))
    proc = run_cli(tmp_path / "sheet-sync.toml", "--as-of", AS_OF.isoformat(), env=env)
    assert proc.returncode == 3, proc.stderr
    failures = [line for line in proc.stdout.splitlines() if line.strip().startswith("FAILED")]
    assert len(failures) == 3
    assert "refused the login (535): check the user and the password" in failures[0]
    assert wrong not in proc.stdout + proc.stderr
    assert smtp_server.received == []
    assert all(r["State"] != "sent" for r in log_rows(wb))
    # the next run, with the right password, sends them
    env["SMTP_PASSWORD"] = PASSWORD
    proc = run_cli(tmp_path / "sheet-sync.toml", "--as-of", AS_OF.isoformat(), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(smtp_server.received) == 3


def test_missing_password_is_a_config_error(tmp_path, config_for, smtp_server, monkeypatch):
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    wb = three_invoices(tmp_path / "book.xlsx")
    config_for(wb, smtp_config(smtp_server.port))
    proc = run_cli(tmp_path / "sheet-sync.toml", "--as-of", AS_OF.isoformat())
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("sheet-sync: SMTP_PASSWORD is not set: put the password for mail.smtp.user in that "
                                   "environment variable.")


def test_server_dropping_the_connection_mid_run(tmp_path, config_for, ca, trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    handler = Handler(drop_after=1)
    with SmtpServer(ca, handler) as server:
        wb = three_invoices(tmp_path / "book.xlsx")
        config = config_for(wb, smtp_config(server.port))
        result = api.sync(config, as_of=AS_OF)
        states = [(m.invoice_no, m.state) for m in result.messages]
        # the first was taken but its reply never came: unconfirmed; the others went over a new connection
        assert states == [("E-1", "unconfirmed"), ("K-1", "sent"), ("Z-1", "sent")]
        assert result.exit_code == 3
        assert len(server.received) == 3
        assert handler.logins == 2
        again = api.sync(config, as_of=AS_OF + timedelta(days=1))
        assert [m.invoice_no for m in again.messages] == []  # unconfirmed is never re-sent on its own
        assert len(server.received) == 3


def test_redirect_sends_everything_to_one_address(tmp_path, config_for, smtp_server, trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    wb = three_invoices(tmp_path / "book.xlsx")
    config = config_for(wb, smtp_config(smtp_server.port).replace('[mail.smtp]', 'redirect_to = "me@studio.example.com"\n[mail.smtp]'))
    api.sync(config, as_of=AS_OF)
    assert {tuple(r.rcpt_tos) for r in smtp_server.received} == {("me@studio.example.com",)}
    subject = smtp_server.received[0].message["Subject"]
    assert subject.startswith("[TEST → ap@acme.example.com] ")


def test_secrets_never_appear_in_output_logs_or_files(tmp_path, config_for, smtp_server, trusted_ca):
    import os
    import zipfile

    wb = three_invoices(tmp_path / "book.xlsx")
    config_for(wb, smtp_config(smtp_server.port))
    outputs = []
    for password in ("wrong-Zq81-secret", PASSWORD):
        env = dict(os.environ, SMTP_PASSWORD=password, SSL_CERT_FILE=str(trusted_ca))
        for extra in ((), ("--debug",), ("--json",)):
            proc = run_cli(tmp_path / "sheet-sync.toml", "--as-of", AS_OF.isoformat(), *extra, env=env)
            outputs.append(proc.stdout + proc.stderr)
    assert len(smtp_server.received) == 3
    blobs = outputs[:]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                blobs += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        elif path.is_file():
            blobs.append(path.read_bytes().decode("utf-8", "replace"))
    for secret in ("wrong-Zq81-secret", PASSWORD):
        assert not [b for b in blobs if secret in b], secret


def test_gmail_transport_over_implicit_tls_with_app_password_and_bcc(tmp_path, config_for, ca, trusted_ca, monkeypatch):
    """The `gmail` transport as it reaches smtp.gmail.com:465 (TLS from the first byte, login), pointed at a
    local server that speaks the same way; a BCC to the owner goes in the envelope only."""
    import sheet_sync.mail.smtp as smtp_module

    with SmtpServer(ca, implicit_tls=True) as server:
        monkeypatch.setattr(smtp_module, "GMAIL_HOST", "127.0.0.1")
        monkeypatch.setattr(smtp_module, "GMAIL_SSL_PORT", server.port)
        monkeypatch.setenv("GMAIL_APP_PASSWORD", PASSWORD)
        wb = three_invoices(tmp_path / "book.xlsx")
        config = config_for(wb, f"""
[mail]
transport = "gmail"
from = "{USER}"
bcc = "books@studio.example.com"
[mail.gmail]
user = "{USER}"
""")
        result = api.sync(config, as_of=AS_OF)
        assert [m.state for m in result.messages] == ["sent", "sent", "sent"], result.messages[0].detail
        assert server.handler.logins == 1
        by_invoice = {r.message["X-Sheet-Sync-Invoice"]: r for r in server.received}
        assert sorted(by_invoice["K-1"].rcpt_tos) == ["billing@hanbit.example.co.kr", "books@studio.example.com"]
        assert by_invoice["K-1"].message["Bcc"] is None and b"books@studio.example.com" not in by_invoice["K-1"].data
        assert [r["Transport"] for r in log_rows(wb)] == ["gmail"] * 3


def test_smtp_security_ssl_verifies_and_delivers(tmp_path, config_for, ca, monkeypatch):
    with SmtpServer(ca, implicit_tls=True) as server:
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        wb = three_invoices(tmp_path / "book.xlsx")
        config = config_for(wb, smtp_config(server.port).replace('security = "starttls"', 'security = "ssl"'))
        refused = api.sync(config, as_of=AS_OF)  # the test CA is not trusted yet
        assert {m.state for m in refused.messages} == {"failed"} and "cannot be trusted" in refused.messages[0].detail
        assert server.received == []
        pem = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(pem))
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))
        again = api.sync(config, as_of=AS_OF)
        assert [m.state for m in again.messages] == ["sent", "sent", "sent"]
        assert len(server.received) == 3


def _one_invoice_each(path, clients):
    due = AS_OF - timedelta(days=2)
    return simple_book(path, [invoice(f"X-{c[0]}", c[0], due=due) for c in clients], clients)


def test_a_refused_to_with_an_accepted_cc_is_failed_not_sent(tmp_path, config_for, ca, trusted_ca, monkeypatch):
    """The reminder is for the client: a CC that got it does not make it sent."""
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    clients = [["C1", "Acme Ltd", "gone@acme.example.com", "boss@acme.example.com", "Dana", "en", "Net 30", ""],
               ["C2", "Beta", "ap@beta.example.com", "", "", "en", "Net 30", ""]]
    wb = _one_invoice_each(tmp_path / "book.xlsx", clients)
    with SmtpServer(ca, Handler(refuse=("gone@acme.example.com",))) as server:
        result = api.sync(config_for(wb, smtp_config(server.port)), as_of=AS_OF)
        received = [r.message["X-Sheet-Sync-Invoice"] for r in server.received]
    states = {m.invoice_no: (m.state, m.detail) for m in result.messages}
    assert states["X-C1"][0] == "failed" and "gone@acme.example.com" in states["X-C1"][1]
    assert states["X-C2"][0] == "sent"
    assert received == ["X-C2"] and result.exit_code == 3


def test_an_open_relay_without_login_gets_ehlo_first(tmp_path, config_for, ca, monkeypatch):
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    wb = _one_invoice_each(tmp_path / "book.xlsx", CLIENTS[:1])
    with SmtpServer(ca, relay=True) as server:
        toml = f'[mail]\ntransport = "smtp"\nfrom = "{USER}"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {server.port}\n' \
               'security = "none"\ntimeout = 10\n'
        result = api.sync(config_for(wb, toml), as_of=AS_OF)
        assert [m.state for m in result.messages] == ["sent"], result.messages
        assert len(server.received) == 1


def test_a_non_ascii_address_fails_that_message_only_or_goes_with_smtputf8(tmp_path, config_for, ca, trusted_ca,
                                                                           monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    clients = [["C1", "José SA", "josé@acme.example.com", "", "", "en", "Net 30", ""],
               ["C2", "Beta", "ap@beta.example.com", "", "", "en", "Net 30", ""]]
    for smtputf8 in (False, True):
        folder = tmp_path / str(smtputf8)
        folder.mkdir()
        wb = _one_invoice_each(folder / "book.xlsx", clients)
        with SmtpServer(ca, smtputf8=smtputf8) as server:
            from workbooks import write_config

            result = api.sync(write_config(folder, wb, smtp_config(server.port)), as_of=AS_OF)
            received = sorted(r.message["X-Sheet-Sync-Invoice"] for r in server.received)
        states = {m.invoice_no: m.state for m in result.messages}
        assert states["X-C2"] == "sent"
        if smtputf8:
            assert states["X-C1"] == "sent" and received == ["X-C1", "X-C2"]
        else:
            assert states["X-C1"] == "failed" and received == ["X-C2"]
            assert "non-ASCII" in next(m.detail for m in result.messages if m.invoice_no == "X-C1")
        assert not any(r["State"] == "unconfirmed" for r in log_rows(wb))

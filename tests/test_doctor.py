"""`sheet-sync doctor` against real things: real .xlsx files, the real SMTP server (STARTTLS, login) on
127.0.0.1, the Sheets API emulator with a real service-account key; no mocks of our own code."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from sheet_sync.doctor import Check, checks_json, exit_code, format_checks, run_checks
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheets_emulator import Emulator, service_account_key
from smtp_server import PASSWORD, USER, mail_toml
from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, invoice, simple_book, write_config
import needs

SA_EMAIL = "sheet-sync@books-123.iam.gserviceaccount.com"
ENV_VARS = ("SMTP_PASSWORD", "GMAIL_APP_PASSWORD", "GOOGLE_SERVICE_ACCOUNT_JSON", "GOOGLE_APPLICATION_CREDENTIALS",
            "SHEET_SYNC_GOOGLE_API_ENDPOINT")
OVERDUE = date.today() - timedelta(days=10)  # a reminder would be due: doctor must still send nothing


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def login_attempts(smtp_server):
    """The SMTP sessions in which a login was tried, accepted or refused (the server counts successes only).

    One login is one session: within it smtplib offers the password once per mechanism the server
    announces (PLAIN, then LOGIN) until one is accepted."""
    sessions: dict[int, list[str]] = {}
    check = smtp_server.controller.SMTP_kwargs["authenticator"]

    def counting(server, session, envelope, mechanism, auth_data):
        sessions.setdefault(id(session), []).append(mechanism)
        return check(server, session, envelope, mechanism, auth_data)

    smtp_server.controller.SMTP_kwargs["authenticator"] = counting  # read for each new connection
    return sessions


def smtp_toml(port: int) -> str:
    return mail_toml(port, smtp='security = "starttls"\ntimeout = 10')


def book(tmp_path: Path, extra: str = "", invoices=None) -> Path:
    wb = simple_book(tmp_path / "book.xlsx", invoices if invoices is not None else [invoice("A-1", due=OVERDUE)])
    write_config(tmp_path, wb, extra)
    return tmp_path / "sheet-sync.toml"


def states(checks: list[Check]) -> list[tuple[str, str]]:
    return [(c.name, c.state) for c in checks]


def named(checks: list[Check], name: str) -> Check:
    return next(c for c in checks if c.name == name)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>") for p in folder.rglob("*")}


# ---- all green ------------------------------------------------------------------------------

@needs.pdf_tools
def test_all_green_with_smtp_logs_in_once_sends_nothing_writes_nothing(tmp_path, smtp_server, login_attempts,
                                                                        trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    calendar = '[aging]\ntimezone = "Asia/Seoul"\n[reminders]\nholidays = "KR"\n'
    cfg = book(tmp_path, smtp_toml(smtp_server.port) + calendar)
    before = snapshot(tmp_path)

    checks = run_checks(cfg)

    assert states(checks) == [("config", "ok"), ("mail secret", "ok"), ("workbook", "ok"), ("sheets", "ok"),
                              ("mail login", "ok"), ("templates", "ok"), ("invoice pdf", "ok"), ("time zone", "ok"), ("holidays", "ok"),
                              ("last run", "warn")]
    assert exit_code(checks) == 0
    assert named(checks, "config").detail == "sheet-sync.toml is valid"
    assert named(checks, "mail secret").detail == f"SMTP_PASSWORD is set (for {USER})"
    assert named(checks, "workbook").detail == "book.xlsx opens and is not open in Excel"
    assert named(checks, "sheets").detail == "3 clients and 1 invoice read; no problems"
    assert named(checks, "mail login").detail == f"127.0.0.1:{smtp_server.port} accepted the login; nothing was sent"
    assert named(checks, "templates").detail == "4 stages render in 3 languages (en, ko, zh)"
    assert named(checks, "time zone").detail.startswith("Asia/Seoul: it is ")
    holidays = named(checks, "holidays").detail
    assert holidays.startswith("KR: ") and "public holidays in" in holidays
    assert named(checks, "last run").detail == "the Aging Summary shows no run yet: no run has written the workbook"
    assert all(c.fix == "" for c in checks if c.name != "last run")
    assert smtp_server.received == []
    assert list(login_attempts.values()) == [["PLAIN"]] and smtp_server.handler.logins == 1
    assert snapshot(tmp_path) == before  # no journal, no lock file, no backup, no outbox

    text = format_checks(checks)
    assert text.splitlines()[0] == "ok    config        sheet-sync.toml is valid"
    assert text.endswith("All 10 checks passed (1 with a warning); nothing was sent or written.")


@needs.pdf_tools
def test_outbox_is_checked_by_writing_and_leaves_nothing_behind(tmp_path):
    cfg = book(tmp_path, "")
    cfg.write_text(cfg.read_text().replace('outbox_dir = "outbox"', 'outbox_dir = "mail/out/box"'))
    before = snapshot(tmp_path)
    checks = run_checks(cfg)
    assert states(checks) == [("config", "ok"), ("mail secret", "ok"), ("workbook", "ok"), ("sheets", "ok"),
                              ("outbox", "ok"), ("templates", "ok"), ("invoice pdf", "ok"), ("time zone", "ok"), ("holidays", "ok"),
                              ("last run", "warn")]
    assert named(checks, "mail secret").detail == "none needed: mail.transport is outbox"
    assert named(checks, "outbox").detail == f"{tmp_path / 'mail/out/box'} can be written (nothing was left in it)"
    assert named(checks, "holidays").detail == "none: reminders.holidays is empty, so only reminders.send_days count"
    assert snapshot(tmp_path) == before  # the folders it made to try are gone again

    (tmp_path / "mail").write_text("a file where the outbox folder should go")
    check = named(run_checks(cfg), "outbox")
    assert check.state == "fail"
    assert check.detail == (f"The outbox {tmp_path / 'mail/out/box'} cannot be made: {tmp_path / 'mail'} is a file, "
                            "not a folder.")
    assert check.fix.startswith("set mail.outbox_dir to a folder the user who runs sheet-sync can write")


@needs.pdf_tools
def test_google_sheet_all_green_changes_nothing(tmp_path, emulator, monkeypatch):
    cfg = google_setup(tmp_path, emulator, monkeypatch)
    before = [(s.title, dict(s.cells), dict(s.formats)) for s in emulator.sheets]
    checks = run_checks(cfg)
    assert states(checks) == [("config", "ok"), ("google key", "ok"), ("mail secret", "ok"), ("workbook", "ok"),
                              ("sheets", "ok"), ("outbox", "ok"), ("templates", "ok"), ("invoice pdf", "ok"), ("time zone", "ok"),
                              ("holidays", "ok"), ("last run", "warn")]
    assert named(checks, "google key").detail == f"service account {SA_EMAIL} (from GOOGLE_SERVICE_ACCOUNT_JSON)"
    assert named(checks, "workbook").detail == f"the Google Sheet 'Books' opens for {SA_EMAIL}, who may edit it"
    assert named(checks, "sheets").detail == "3 clients and 1 invoice read; no problems"
    # metadata, one read, and one write probe that adds a hidden marker and removes it in the same request
    assert [method for method, _ in emulator.requests] == ["GET", "GET", "POST"]
    assert [(s.title, dict(s.cells), dict(s.formats)) for s in emulator.sheets] == before
    assert emulator.developer_metadata == []


# ---- each failing check ---------------------------------------------------------------------

@needs.pdf_tools
def test_missing_smtp_password_fails_the_secret_and_skips_the_login(tmp_path, smtp_server, login_attempts):
    cfg = book(tmp_path, smtp_toml(smtp_server.port))
    checks = run_checks(cfg)
    assert states(checks) == [("config", "ok"), ("mail secret", "fail"), ("workbook", "ok"), ("sheets", "ok"),
                              ("mail login", "skip"), ("templates", "ok"), ("invoice pdf", "ok"), ("time zone", "ok"), ("holidays", "ok"),
                              ("last run", "warn")]
    secret = named(checks, "mail secret")
    assert secret.detail == "SMTP_PASSWORD is not set."
    assert secret.fix == (f"put the password of {USER} on 127.0.0.1 in the environment variable SMTP_PASSWORD (for a "
                          "scheduled job, as a secret; never in the config file), then run sheet-sync doctor again")
    assert named(checks, "mail login").detail == "needs the mail secret"
    assert exit_code(checks) == 2
    assert login_attempts == {} and smtp_server.received == []
    lines = format_checks(checks).splitlines()
    i = lines.index("FAIL  mail secret   SMTP_PASSWORD is not set.")
    assert lines[i + 1].startswith("      fix: put the password of ")
    assert "skip  mail login    needs the mail secret" in lines
    assert lines[-1] == "1 of 10 checks failed, 1 skipped."


def test_wrong_password_fails_the_login_with_one_attempt_and_no_message(tmp_path, smtp_server, login_attempts,
                                                                        trusted_ca, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-pass-Kx81q")
    cfg = book(tmp_path, smtp_toml(smtp_server.port))
    checks = run_checks(cfg)
    login = named(checks, "mail login")
    assert login.state == "fail"
    assert login.detail == (f"127.0.0.1:{smtp_server.port} refused the login (535): check the user and the password "
                            "(for Gmail, an app password, not your account password).")
    assert login.fix == (f"check mail.smtp.user ({USER}) and the password in SMTP_PASSWORD, then run sheet-sync "
                         "doctor again")
    assert [n for n, s in states(checks) if s != "ok"] == ["mail login", "last run"]  # never synced: a warning
    assert list(login_attempts.values()) == [["PLAIN", "LOGIN"]]  # one login, no second connection to retry
    assert smtp_server.received == [] and smtp_server.handler.logins == 0
    assert "wrong-pass-Kx81q" not in format_checks(checks) + checks_json(checks)


def test_gmail_needs_an_app_password_or_a_usable_oauth2_file(tmp_path):
    cfg = book(tmp_path, '[mail]\ntransport = "gmail"\nfrom = "me@gmail.example.com"\n')
    checks = run_checks(cfg)
    assert (named(checks, "mail secret").state, named(checks, "mail secret").detail) == (
        "fail", "GMAIL_APP_PASSWORD is not set.")
    assert "https://myaccount.google.com/apppasswords" in named(checks, "mail secret").fix
    assert named(checks, "mail login").state == "skip"

    # A client-secrets file would start yagmail's interactive set-up, which rewrites the file: refused before that.
    secrets_file = tmp_path / "oauth2.json"
    secrets_file.write_text(json.dumps({"installed": {"client_id": "x", "client_secret": "cs-9f8e7d6c5b4a"}}))
    before = secrets_file.read_bytes()
    cfg.write_text(cfg.read_text() + '[mail.gmail]\noauth2_file = "oauth2.json"\n')
    checks = run_checks(cfg)
    secret = named(checks, "mail secret")
    assert secret.state == "fail" and secret.detail.startswith(f"mail.gmail.oauth2_file {secrets_file} does not hold")
    assert named(checks, "mail login").state == "skip"
    assert secrets_file.read_bytes() == before
    assert "cs-9f8e7d6c5b4a" not in format_checks(checks)


def test_untrusted_certificate_fails_the_login(tmp_path, smtp_server, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    login = named(run_checks(book(tmp_path, smtp_toml(smtp_server.port))), "mail login")
    assert login.state == "fail" and "presented a certificate that cannot be trusted" in login.detail
    assert "SSL_CERT_FILE" in login.fix
    assert smtp_server.received == []


def test_unshared_google_sheet_names_the_service_account(tmp_path, emulator, monkeypatch):
    cfg = google_setup(tmp_path, emulator, monkeypatch)
    emulator.shared_with = "someone-else@example.com"
    checks = run_checks(cfg)
    assert states(checks)[:5] == [("config", "ok"), ("google key", "ok"), ("mail secret", "ok"), ("workbook", "fail"),
                                  ("sheets", "skip")]
    workbook = named(checks, "workbook")
    assert workbook.detail == (f"The Google Sheet is not shared with {SA_EMAIL}: open the sheet, click Share and add "
                               "that address as an Editor.")
    assert workbook.fix == (f"open the sheet in Google Sheets, click Share and add {SA_EMAIL} as an Editor, then run "
                            "sheet-sync doctor again")
    assert named(checks, "sheets").detail == "needs the workbook to open"
    assert exit_code(checks) == 2

    emulator.shared_with = SA_EMAIL
    assert exit_code(run_checks(cfg)) == 0


def test_a_google_sheet_shared_as_viewer_fails_the_workbook_check(tmp_path, emulator, monkeypatch):
    cfg = google_setup(tmp_path, emulator, monkeypatch)
    emulator.shared_with = "owner@studio.example.com"
    emulator.viewers = {SA_EMAIL}
    workbook = named(run_checks(cfg), "workbook")
    assert workbook.state == "fail"
    assert workbook.detail.startswith(f"The Google Sheet is shared with {SA_EMAIL} as a Viewer only")
    assert workbook.fix.startswith(f"open the sheet in Google Sheets, click Share and add {SA_EMAIL} as an Editor")


def test_missing_google_credentials_skip_the_workbook(tmp_path):
    cfg = tmp_path / "sheet-sync.toml"
    cfg.write_text('[workbook]\ngoogle_sheet = "https://docs.google.com/spreadsheets/d/abcdefghijklmnop/edit"\n')
    checks = run_checks(cfg)  # no endpoint: Google itself, which needs a service account; no request is made
    assert states(checks)[:5] == [("config", "ok"), ("google key", "fail"), ("mail secret", "ok"), ("workbook", "skip"),
                                  ("sheets", "skip")]
    key = named(checks, "google key")
    assert key.detail.startswith("No Google credentials: put the service account's JSON key in "
                                 "GOOGLE_SERVICE_ACCOUNT_JSON")
    assert "GOOGLE_SERVICE_ACCOUNT_JSON" in key.fix
    assert named(checks, "workbook").detail == "needs the Google credentials"


def test_a_broken_template_override_names_the_file(tmp_path):
    mine = tmp_path / "my-templates" / "en"
    mine.mkdir(parents=True)
    (mine / "gentle.txt").write_text("Hello {{ client.name }}\n{% if invoice.balance %}\nno end\n", encoding="utf-8")
    cfg = book(tmp_path, '[reminders]\ntemplates_dir = "my-templates"\n')
    checks = run_checks(cfg)
    templates = named(checks, "templates")
    assert templates.state == "fail"
    assert templates.detail.startswith("The template en/gentle.txt in your templates folder has a mistake on line 3: ")
    assert templates.fix == (f"correct the file named above in {tmp_path / 'my-templates'}, or delete it to use the "
                             "shipped one, then run sheet-sync doctor again")
    assert [n for n, s in states(checks) if s != "ok"] == ["templates", "last run"]  # never synced: a warning


@pytest.mark.parametrize("extra, sentence", [
    ('[aging]\ntimezone = "Mars/Olympus"\n',
     "Config: aging.timezone 'Mars/Olympus' is not a time zone; use an IANA name like 'Asia/Seoul'."),
    ('[reminders]\nholidays = "XX"\n',
     "Config: reminders.holidays 'XX' is not a country code the holidays package knows (e.g. 'US', 'KR', 'CN')."),
])
def test_a_bad_time_zone_or_holiday_country_is_a_config_failure(tmp_path, extra, sentence):
    with pytest.raises(SheetSyncError):  # load_config already refuses them (the helper loads what it wrote) ...
        book(tmp_path, extra)
    checks = run_checks(tmp_path / "sheet-sync.toml")  # ... so the config check is the one that fails
    assert checks[0] == Check("config", "fail", sentence, "edit sheet-sync.toml (config.example.toml documents every "
                                                          "key and its values), then run sheet-sync doctor again")
    assert {c.state for c in checks[1:]} == {"skip"}
    assert {c.detail for c in checks[1:]} == {"needs a valid config"}
    assert [c.name for c in checks] == ["config", "mail secret", "workbook", "sheets", "mail login", "templates",
                                        "time zone", "holidays", "last run"]


def test_missing_config_file(tmp_path):
    checks = run_checks(tmp_path / "sheet-sync.toml")
    assert checks[0].state == "fail"
    assert checks[0].detail == (f"No config file at {tmp_path / 'sheet-sync.toml'}; copy config.example.toml to "
                                "sheet-sync.toml and edit it.")
    assert checks[0].fix == ("copy config.example.toml to sheet-sync.toml beside your workbook and set workbook.path, "
                             "[business] and mail.from")


def test_missing_workbook_skips_the_sheets(tmp_path):
    cfg = book(tmp_path)
    (tmp_path / "book.xlsx").unlink()
    checks = run_checks(cfg)
    assert states(checks)[2:4] == [("workbook", "fail"), ("sheets", "skip")]
    assert named(checks, "workbook").detail == f"The workbook {tmp_path / 'book.xlsx'} does not exist."
    assert named(checks, "workbook").fix == ("check workbook.path in sheet-sync.toml (a relative path starts from the "
                                             "config file's folder), then run sheet-sync doctor again")
    assert exit_code(checks) == 2


def test_workbook_open_in_excel_still_reads_the_sheets(tmp_path):
    cfg = book(tmp_path)
    (tmp_path / "~$book.xlsx").write_bytes(b"owner")
    checks = run_checks(cfg)
    assert states(checks)[2:4] == [("workbook", "fail"), ("sheets", "ok")]
    workbook = named(checks, "workbook")
    assert workbook.detail == "book.xlsx is open in Excel (lock file ~$book.xlsx): close it and run again."
    assert workbook.fix.startswith("close book.xlsx in Excel; if Excel is not running, delete the leftover")


def test_a_file_that_is_not_a_workbook(tmp_path):
    cfg = book(tmp_path)
    (tmp_path / "book.xlsx").write_text("not a zip")
    workbook = named(run_checks(cfg), "workbook")
    assert workbook.state == "fail" and workbook.detail.startswith("Cannot read book.xlsx as an Excel workbook")
    assert workbook.fix.startswith("open book.xlsx in Excel and save it as an Excel Workbook (.xlsx)")


def test_sheets_problems_are_a_warning_and_a_missing_sheet_a_failure(tmp_path):
    cfg = book(tmp_path, invoices=[invoice("A-1", due=OVERDUE), invoice("A-2", due=OVERDUE, amount="lots")])
    checks = run_checks(cfg)
    sheets = named(checks, "sheets")
    assert (sheets.state, sheets.detail) == ("warn", "3 clients and 2 invoices read; 1 problem")
    assert sheets.fix.startswith("run sheet-sync check to see each problem with its cell")
    assert exit_code(checks) == 0
    assert format_checks(checks).endswith("All 10 checks passed (2 with a warning); nothing was sent or written.")

    from workbooks import make_workbook
    make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS]})
    sheets = named(run_checks(cfg), "sheets")
    assert sheets.state == "fail" and sheets.detail.startswith("The workbook has no 'Invoices' sheet")


def test_errors_name_their_kind_and_fix_and_keep_their_sentence(tmp_path, emulator, monkeypatch):
    """doctor chooses its fixes by the error's kind, never by its words: the raise sites set both."""
    from sheet_sync.backends import get_backend
    from sheet_sync.config import load_config
    from sheet_sync.load import wanted_sheets

    cfg = book(tmp_path)
    (tmp_path / "~$book.xlsx").write_bytes(b"owner")
    with pytest.raises(SheetSyncError) as caught:
        get_backend(load_config(cfg)).probe()
    assert str(caught.value) == "book.xlsx is open in Excel (lock file ~$book.xlsx): close it and run again."
    assert caught.value.kind is ErrorKind.WORKBOOK_LOCKED
    assert caught.value.fix == ("close book.xlsx in Excel; if Excel is not running, delete the leftover lock file "
                                "beside it (~$book.xlsx)")

    (tmp_path / "google").mkdir()
    config = load_config(google_setup(tmp_path / "google", emulator, monkeypatch))
    emulator.shared_with = "someone-else@example.com"
    with pytest.raises(SheetSyncError) as caught:
        get_backend(config).read(wanted_sheets(config))
    assert (caught.value.kind, caught.value.fix) == (
        ErrorKind.NOT_SHARED, f"open the sheet in Google Sheets, click Share and add {SA_EMAIL} as an Editor")
    assert SheetSyncError("plain").kind is ErrorKind.OTHER and SheetSyncError("plain").fix == ""


# ---- the command line, and no secret in any output --------------------------------------------

def google_setup(tmp_path: Path, emulator: Emulator, monkeypatch=None, env: dict | None = None) -> Path:
    emulator.add_sheet("Clients", [CLIENT_HEADERS, *DEFAULT_CLIENTS])
    emulator.add_sheet("Invoices", [INVOICE_HEADERS, invoice("A-1", due=OVERDUE)])
    key = service_account_key(emulator, SA_EMAIL)
    if monkeypatch is not None:
        monkeypatch.setenv("GOOGLE_SERVICE_ACCOUNT_JSON", json.dumps(key))
    if env is not None:
        env["GOOGLE_SERVICE_ACCOUNT_JSON"] = json.dumps(key)
    cfg = tmp_path / "sheet-sync.toml"
    cfg.write_text(f"""
[workbook]
google_sheet = "https://docs.google.com/spreadsheets/d/{emulator.key}/edit#gid=0"
[google]
api_endpoint = "{emulator.url}"
[mail]
outbox_dir = "outbox"
""", encoding="utf-8")
    return cfg


def doctor_cli(cfg: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sheet_sync", "doctor", "--config", str(cfg), *args],
                          capture_output=True, text=True, env=env, timeout=60)


def base_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ENV_VARS}


def test_cli_text_json_exit_codes_and_no_secret_in_any_output(tmp_path, smtp_server, trusted_ca, emulator):
    outputs: list[str] = []
    smtp_dir = tmp_path / "smtp"
    smtp_dir.mkdir()
    smtp_cfg = book(smtp_dir, smtp_toml(smtp_server.port))
    wrong = "wrong-pass-Zq81-secret"
    for password, code in ((wrong, 2), (PASSWORD, 0)):
        env = dict(base_env(), SMTP_PASSWORD=password, SSL_CERT_FILE=str(trusted_ca))
        for extra in ((), ("--debug",), ("--json", "--debug")):
            proc = doctor_cli(smtp_cfg, *extra, env=env)
            assert proc.returncode == code, proc.stdout + proc.stderr
            outputs.append(proc.stdout + proc.stderr)
            if "--json" in extra:
                data = json.loads(proc.stdout)
                assert data["exit_code"] == code and data["ok"] is (code == 0)
                login = next(c for c in data["checks"] if c["name"] == "mail login")
                assert login["state"] == ("fail" if password == wrong else "ok")
                assert set(login) == {"name", "state", "detail", "fix", "more", "ok"}
            elif password == wrong:
                assert f"FAIL  mail login    127.0.0.1:{smtp_server.port} refused the login (535)" in proc.stdout
                assert ("Traceback" in proc.stderr) is ("--debug" in extra)  # --debug shows it, scrubbed
    assert smtp_server.received == []

    google_dir = tmp_path / "google"
    google_dir.mkdir()
    env = base_env()
    google_cfg = google_setup(google_dir, emulator, env=env)
    key = json.loads(env["GOOGLE_SERVICE_ACCOUNT_JSON"])
    for shared_with, code in (("someone-else@example.com", 2), (SA_EMAIL, 0)):
        emulator.shared_with = shared_with
        for extra in ((), ("--debug",), ("--json", "--debug")):
            proc = doctor_cli(google_cfg, *extra, env=env)
            assert proc.returncode == code, proc.stdout + proc.stderr
            outputs.append(proc.stdout + proc.stderr)
    assert f"not shared with {SA_EMAIL}" in outputs[-6]

    secrets = [wrong, PASSWORD, key["private_key"], env["GOOGLE_SERVICE_ACCOUNT_JSON"]]
    secrets += [line for line in key["private_key"].splitlines() if "-----" not in line]
    secrets += list(emulator.tokens)  # the access tokens the emulator issued
    assert len(outputs) == 12
    for secret in secrets:
        assert not [out for out in outputs if secret in out], secret[:12]

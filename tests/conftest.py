"""Shared fixtures: a workbook built from an inline table, and a config for it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from workbooks import write_config  # noqa: E402


@pytest.fixture
def emulator():
    """The Sheets API emulator on 127.0.0.1 (the real gspread client talks to it)."""
    from sheets_emulator import Emulator

    em = Emulator().start()
    yield em
    em.stop()


@pytest.fixture
def no_google_credentials(monkeypatch):
    """No credentials or endpoint from the developer's own environment: the tests name the emulator."""
    for name in ("GOOGLE_SERVICE_ACCOUNT_JSON", "GOOGLE_APPLICATION_CREDENTIALS", "SHEET_SYNC_GOOGLE_API_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def config_for(tmp_path):
    """config_for(workbook_path, **toml_sections) -> Config, written to tmp_path/sheet-sync.toml."""

    def make(workbook: Path, extra: str = ""):
        return write_config(tmp_path, workbook, extra)

    return make


@pytest.fixture(scope="session")
def ca():
    import trustme

    return trustme.CA()


@pytest.fixture
def trusted_ca(ca, tmp_path, monkeypatch):
    """Make the test CA the one Python trusts (as SSL_CERT_FILE does for a company CA)."""
    pem = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    return pem


@pytest.fixture
def smtp_server(ca):
    from smtp_server import SmtpServer

    with SmtpServer(ca) as server:
        yield server



@pytest.fixture(scope="session")
def dovecot_server(ca):
    """A real Dovecot IMAP server on 127.0.0.1 (tests/imap_server.py), one for the session. Skipped when
    dovecot is not installed, unless SHEET_SYNC_REQUIRE_DOVECOT is set (CI sets it: there it must run)."""
    import os

    from imap_server import DovecotServer, dovecot_binary

    if dovecot_binary() is None:
        if os.environ.get("SHEET_SYNC_REQUIRE_DOVECOT"):
            pytest.fail("SHEET_SYNC_REQUIRE_DOVECOT is set but dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with DovecotServer(ca) as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server):
    """The session's Dovecot with an empty mailbox: each test starts with no mail in any folder."""
    dovecot_server.empty()
    return dovecot_server

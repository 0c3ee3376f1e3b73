"""The test IMAP server itself: Dovecot starts, takes a login over STARTTLS and over TLS with the test CA's
certificate, stores what APPEND gives it, and leaves it unread."""
from __future__ import annotations

import ssl

import pytest
from imapclient import IMAPClient
from imap_server import PASSWORD, USER


def test_append_then_read_back_unread(dovecot):
    dovecot.append(b"From: a@example.com\r\nSubject: one\r\nMessage-ID: <1@example.com>\r\n\r\nbody\r\n",
                   b"From: b@example.com\r\nSubject: two\r\nMessage-ID: <2@example.com>\r\n\r\nbody\r\n")
    flags = dovecot.flags()
    assert len(flags) == 2
    assert all(b"\\Seen" not in f for f in flags)


def test_starttls_and_ssl_verify_the_test_ca(dovecot, trusted_ca):
    ctx = ssl.create_default_context(cafile=str(trusted_ca))
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as c:
        c.starttls(ctx)
        c.login(USER, PASSWORD)
        assert c.folder_exists("INBOX")
    with IMAPClient("127.0.0.1", port=dovecot.ssl_port, ssl=True, ssl_context=ctx, timeout=10) as c:
        c.login(USER, PASSWORD)


def test_a_certificate_from_another_ca_is_refused(dovecot):
    ctx = ssl.create_default_context()  # the system's CAs: the test CA is not among them
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient("127.0.0.1", port=dovecot.ssl_port, ssl=True, ssl_context=ctx, timeout=10)

"""The one error that stops a run: a sentence for the owner, what kind of trouble it is, and its fix."""
from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    """What went wrong, for code that chooses what to do or say about it (`doctor`); people read the sentence."""

    CONFIG = "config"  # a config key is missing or has a bad value
    CREDENTIALS = "credentials"  # a secret (Google key, mail password, OAuth2 file) is missing, unusable or refused
    NOT_SHARED = "not_shared"  # the Google Sheet is not shared with the service account
    READ_ONLY = "read_only"  # ... shared with it as a Viewer only
    NO_SHEET = "no_sheet"  # workbook.google_sheet names no Google Sheet
    QUOTA = "quota"  # Google Sheets kept answering 429 or 5xx, after the retries
    NETWORK = "network"  # Google Sheets could not be reached
    WORKBOOK_LOCKED = "workbook_locked"  # the .xlsx is open in Excel (its lock file is there)
    WORKBOOK_MISSING = "workbook_missing"  # no file at workbook.path
    WORKBOOK_UNREADABLE = "workbook_unreadable"  # the file is not an .xlsx workbook sheet-sync can read
    MAIL_LOGIN = "mail_login"  # the mail server refused the login
    MAIL_CERTIFICATE = "mail_certificate"  # the mail server's certificate cannot be trusted
    MAIL_SERVER = "mail_server"  # the mail server could not be reached
    TEMPLATE = "template"  # a template is missing or fails to render
    OTHER = "other"


class SheetSyncError(Exception):
    """What stops a run: one plain sentence for the owner (`str(exc)`).

    Attributes:
        kind: what went wrong, an ErrorKind (OTHER unless the raise site names it).
        fix: what to do about it, as an imperative phrase without a final period ("close book.xlsx in
            Excel"), so that it reads after `fix:` and can be continued; "" when the sentence says it all.
    """

    def __init__(self, message: str, *, kind: ErrorKind = ErrorKind.OTHER, fix: str = ""):
        super().__init__(message)
        self.kind = kind
        self.fix = fix

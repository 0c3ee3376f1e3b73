"""The Google Sheets client: credentials, the base URL, and bounded retries, around gspread's own Client.

    spreadsheet_key(url_or_key)       -> the key in a Sheet's URL
    load_credentials(endpoint)        -> (credentials, the address to share the sheet with)
    make_client(endpoint, creds, log) -> a gspread.Client that can talk to another base URL and retries
                                         429 and 5xx a bounded number of times, honouring Retry-After
"""
from __future__ import annotations

import json
import os
import random
import re
import time
from urllib.parse import urlparse

from sheet_sync.errors import ErrorKind, SheetSyncError

GOOGLE_BASE = "https://sheets.googleapis.com"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_TRIES = 5
MAX_WAIT = 64.0  # seconds for one wait


def spreadsheet_key(url_or_key: str) -> str:
    m = re.search(r"/spreadsheets/d/([a-zA-Z0-9-_]+)", url_or_key)
    key = m.group(1) if m else url_or_key.strip()
    if not re.fullmatch(r"[a-zA-Z0-9-_]{10,}", key):
        raise SheetSyncError(f"workbook.google_sheet '{url_or_key}' is neither a Google Sheet URL nor a key; "
                             "copy the address of the sheet from your browser.",
                             kind=ErrorKind.NO_SHEET, fix="copy the sheet's address from your browser into "
                             "workbook.google_sheet")
    return key


def is_loopback(endpoint: str) -> bool:
    host = urlparse(endpoint).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def load_credentials(endpoint: str):
    """Service-account credentials (scope: spreadsheets only) and the address to share the sheet with.

    With no credentials in the environment, a loopback endpoint (an emulator) gets a token that is never
    refreshed; any other endpoint needs a service account."""
    from google.oauth2 import service_account

    raw = os.environ.get("GOOGLE_SERVICE_ACCOUNT_JSON", "").strip()
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    if not raw and not path:
        if endpoint and is_loopback(endpoint):
            from google.oauth2.credentials import Credentials

            return Credentials(token="sheet-sync-emulator"), "the emulator"
        raise SheetSyncError("No Google credentials: put the service account's JSON key in GOOGLE_SERVICE_ACCOUNT_JSON "
                             "(or its file path in GOOGLE_APPLICATION_CREDENTIALS).",
                             kind=ErrorKind.CREDENTIALS, fix="put the service account's JSON key in "
                             "GOOGLE_SERVICE_ACCOUNT_JSON (or its file path in GOOGLE_APPLICATION_CREDENTIALS)")
    source = "GOOGLE_SERVICE_ACCOUNT_JSON" if raw else f"GOOGLE_APPLICATION_CREDENTIALS ({path})"
    try:
        if raw:
            info = json.loads(raw)
        else:
            with open(path, encoding="utf-8") as fh:
                info = json.load(fh)
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ValueError("not a service account key")
        creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except OSError as exc:
        raise SheetSyncError(f"Cannot read the Google credentials file named by {source}: {exc.strerror}.",
                             kind=ErrorKind.CREDENTIALS, fix="point GOOGLE_APPLICATION_CREDENTIALS at the key file "
                             "(readable by the user who runs sheet-sync), or put the key itself in "
                             "GOOGLE_SERVICE_ACCOUNT_JSON") from None
    except (ValueError, KeyError, TypeError):
        raise SheetSyncError(f"The credentials in {source} are not a service account's JSON key; download one "
                             "(Google Cloud console > IAM > Service accounts > Keys > Add key > JSON).",
                             kind=ErrorKind.CREDENTIALS, fix="download a service account's JSON key (Google Cloud "
                             "console > IAM > Service accounts > Keys > Add key > JSON) and put it there instead") from None
    return creds, info.get("client_email", "the service account")


def make_client(endpoint: str, credentials, counter: list | None = None):
    """A real gspread Client whose HTTP client rewrites the base URL and retries within bounds."""
    import gspread
    from gspread.exceptions import APIError

    base = (endpoint or GOOGLE_BASE).rstrip("/")

    class BoundedHTTPClient(gspread.HTTPClient):
        requests_made = counter if counter is not None else []

        def request(self, method, endpoint, *args, **kwargs):
            url = endpoint.replace(GOOGLE_BASE, base, 1) if endpoint.startswith(GOOGLE_BASE) else endpoint
            for attempt in range(1, MAX_TRIES + 1):
                self.requests_made.append((method.upper(), url))
                try:
                    return super().request(method, url, *args, **kwargs)
                except APIError as exc:
                    code = exc.response.status_code
                    if code not in RETRY_STATUSES or attempt == MAX_TRIES:
                        raise
                    time.sleep(retry_delay(_retry_after(exc.response), attempt))
            raise AssertionError("unreachable")

    return gspread.Client(credentials, http_client=BoundedHTTPClient)


def retry_delay(asked: float | None, attempt: int, draw=random.uniform) -> float:
    """How long to wait before try `attempt + 1`: what Google asked (Retry-After) and up to half as much
    again at random, else 1, 2, 4 ... seconds; at most MAX_WAIT. The random part matters when many runs
    share one service account's quota: told the same Retry-After, they would all come back in the same
    second and most be refused again (bench/many_books.py: 27 of 100 runs, 8 at a time, gave up)."""
    if asked is None:
        return min(2.0 ** (attempt - 1), MAX_WAIT)
    return min(asked + draw(0.0, asked / 2), MAX_WAIT)


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

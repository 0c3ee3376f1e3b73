"""Google Sheets as the workbook, through gspread, in a constant number of API requests.

A sync makes at most six requests, whatever the number of rows:

1. the spreadsheet's metadata (sheet titles, ids, grid sizes);
2. one `values:batchGet` of every sheet read (UNFORMATTED_VALUE + SERIAL_NUMBER: numbers and date
   serials, never text in the sheet's locale);
3. when reminders are due: one `batchUpdate` that creates missing tool sheets and writes the planned
   messages into the Reminder Log (`pending`, or `queued` beyond the first window) before any is sent:
   a crash leaves them there, and the next run turns `pending` into `unconfirmed` (never sent twice,
   even on a fresh runner) and `queued` into `skipped` (planned again);
4. just before writing, the header row, the Invoice No and Currency columns and the log's Message IDs
   again, so that a sort, an inserted row or column since the read never puts a value on the wrong row;
5. one `batchUpdate` for structure and formats (tool sheets, grid sizes, filters, the chart);
6. one `values:batchUpdate` for every value written (RAW: nothing is parsed as a formula).

Requests 5 and 6 leave out what the sheet already holds: the read (2) has the values of the Invoices and
Aging sheets, and only the cells that differ are written, with the number formats of the rows they are
on (the rules are in sheets_diff.py). A re-run where a few invoices changed sends a few kilobytes.

With real mail the sends go a window at a time (`advance()`: two more requests per window), and a run
that sends marks the sheet so that a second run keeps out (`run_lock()`: no request of its own).

The client (credentials, base URL, bounded retries) is in google_client.py; the request bodies are
built in sheets_requests.py.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import socket
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import pandas as pd

from sheet_sync.backends.google_client import MAX_TRIES, RETRY_STATUSES, load_credentials, make_client, spreadsheet_key
from sheet_sync.raw import RawSheet, find_sheet, grid_from_rows, raw_sheet
from sheet_sync.backends.base import Backend, Wanted, WriteReport
from sheet_sync.backends.sheets_diff import (
    SKIP, ReadColumns, invoice_diff, read_columns, tool_sheet_diff, value_ranges,
)
from sheet_sync.backends.sheets_requests import (
    blank_value, bold_header, chart_request, column_widths, format_requests, list_validation, pixel_widths,
    quote_sheet_always,
    rows_request, spread,
)
from sheet_sync.config import Config
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.layout import (
    LOG_WIDTHS, AppendShape, Cell, InvoicesShape, LogShape, LogWrites, RecurringShape, Shape, ToolSheet, Writes, lay_out,
    log_columns, place_rows,
)
from sheet_sync.model import (
    AGING, AGING_SUMMARY, INVOICE_SENT, LATE_FEE, LOG_COLUMNS, TOOL_COLUMNS, LogEntry, WritePlan, column_letter, invoice_key, normalize_name,
)
from sheet_sync.sendlog import SendLog

RUN_MARK_KEY = "sheet-sync-run"
RUN_MARK_STALE = 30 * 60  # seconds without a refresh after which a run's mark belongs to a run that died


def _process_alive(pid: Any) -> bool:
    """Is the process that left a run mark on this machine still running? On Windows signal 0 is not a probe
    (it is CTRL_C_EVENT): there the mark's own expiry (RUN_MARK_STALE) decides."""
    if os.name == "nt":
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def _metadata(meta: Mapping, key: str) -> dict | None:
    """The spreadsheet's developer metadata entry of `key` (the first, if several)."""
    return next((m for m in meta.get("developerMetadata", []) if m.get("metadataKey") == key), None)


def _create_metadata(key: str, value: str, metadata_id: int | None = None) -> dict:
    """A request that adds spreadsheet-level developer metadata (hidden; its id given, or chosen by Google)."""
    meta = {"metadataKey": key, "metadataValue": value, "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}
    return {"createDeveloperMetadata": {"developerMetadata": meta if metadata_id is None
                                        else {"metadataId": metadata_id, **meta}}}


def _update_metadata(metadata_id: int, value: str) -> dict:
    return {"updateDeveloperMetadata": {
        "dataFilters": [{"developerMetadataLookup": {"metadataId": metadata_id}}],
        "developerMetadata": {"metadataValue": value}, "fields": "metadataValue"}}


def _delete_metadata(metadata_id: int) -> dict:
    return {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataId": metadata_id}}}}


def _run_mark(meta: Mapping) -> dict | None:
    return _metadata(meta, RUN_MARK_KEY)


# What the last run set of each tool sheet's look: a fingerprint of its header row (styled by `bold_header`) and
# its column widths in pixels. A re-run sends the header's style only when the header changed, and the widths
# that changed (Aging and Aging Summary: about 2 kB of requests a sheet, every run, otherwise).
LOOK_KEY = "sheet-sync-tool-sheets-look"


def _looks(meta: Mapping) -> tuple[int | None, dict[str, dict]]:
    """The metadata id and the {sheet title: look} the last run left (None, {} when none or unreadable)."""
    found = _metadata(meta, LOOK_KEY)
    if found is None:
        return None, {}
    try:
        looks = json.loads(found.get("metadataValue") or "{}")
    except ValueError:
        looks = {}
    if not isinstance(looks, dict):
        looks = {}
    return found.get("metadataId"), {str(k): v for k, v in looks.items() if isinstance(v, dict)}


def _look_of(sheet: ToolSheet) -> dict:
    """A tool sheet's look: {"header": a fingerprint of its header row, "widths": pixels per column from A}."""
    header = json.dumps([sheet.columns, [c.value for c in sheet.cells if c.row == 1]], default=str, ensure_ascii=False)
    return {"header": hashlib.sha256(header.encode("utf-8")).hexdigest()[:16], "widths": pixel_widths(sheet.widths)}


class GoogleSheetsBackend(Backend):
    name = "google"

    def __init__(self, config: Config):
        self.config = config
        self.key = spreadsheet_key(config.workbook.google_sheet)
        # While sending, at most this many sends are `pending` in the sheet at once; the others wait as
        # `queued` (see advance()). A run killed mid-send leaves at most a window's worth unknown.
        self.send_window = config.google.send_window or None
        self.endpoint = config.google.api_endpoint or os.environ.get("SHEET_SYNC_GOOGLE_API_ENDPOINT", "").strip()
        credentials, self.identity = load_credentials(self.endpoint)
        self.requests: list = []
        self.http = make_client(self.endpoint, credentials, self.requests).http_client
        self.meta: dict = {}
        self.raw: dict[str, RawSheet] = {}
        self._before: ReadColumns | None = None  # the Invoices sheet's tool-owned values at the read
        self._tool_rows: dict[str, list[list]] = {}  # title -> the rows of a tool sheet at the read
        self._log_rows = 0  # last used row of the Reminder Log at read time
        self._pending_rows: dict[tuple[str, str], int] = {}  # (Message ID, Invoice No) -> log row
        self._locking = False  # inside run_lock(): a sync that may send
        self._mark_id: int | None = None  # this run's mark on the sheet, while it sends
        self._mark: dict = {}
        self._looks_then: dict[str, dict] = {}  # the tool sheets' looks as the last run left them, and as this one does
        self._looks_now: dict[str, dict] = {}

    # ---- errors ----------------------------------------------------------------------------

    def _call(self, what: str, fn, *args, **kwargs):
        from gspread.exceptions import APIError
        from google.auth.exceptions import RefreshError
        from requests.exceptions import RequestException

        try:
            return fn(*args, **kwargs)
        except APIError as exc:
            code = exc.response.status_code
            message = (exc.error or {}).get("message", "") if isinstance(exc.error, dict) else str(exc)
            if code == 403 and self.meta:  # it could read the sheet, not write it
                raise SheetSyncError(f"The Google Sheet is shared with {self.identity} as a Viewer only: open the sheet, "
                                     "click Share and make that address an Editor. Nothing was sent.",
                                     kind=ErrorKind.READ_ONLY, fix=f"open the sheet in Google Sheets, click Share and add "
                                     f"{self.identity} as an Editor") from None
            if code == 403:
                raise SheetSyncError(f"The Google Sheet is not shared with {self.identity}: open the sheet, click Share "
                                     "and add that address as an Editor.",
                                     kind=ErrorKind.NOT_SHARED, fix=f"open the sheet in Google Sheets, click Share and add "
                                     f"{self.identity} as an Editor") from None
            if code == 404:
                raise SheetSyncError(f"There is no Google Sheet with the key {self.key}; check workbook.google_sheet.",
                                     kind=ErrorKind.NO_SHEET, fix="copy the sheet's address from your browser into "
                                     "workbook.google_sheet") from None
            if code in RETRY_STATUSES:
                raise SheetSyncError(f"Google Sheets kept answering {code} ({message}) while {what}, after {MAX_TRIES} "
                                     "tries; nothing more was written. Run again in a few minutes.",
                                     kind=ErrorKind.QUOTA, fix="wait a few minutes and run again") from None
            raise SheetSyncError(f"Google Sheets refused {what}: {message}") from None
        except RefreshError as exc:
            reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else "no reason given"
            raise SheetSyncError(f"Google refused the service account's key {self.identity} ({reason}); the key may "
                                 "have been deleted: create a new JSON key and update the secret.",
                                 kind=ErrorKind.CREDENTIALS, fix="create a new JSON key (Google Cloud console > IAM & "
                                 "Admin > Service accounts > Keys) and put it in GOOGLE_SERVICE_ACCOUNT_JSON") from None
        except RequestException as exc:
            raise SheetSyncError(f"Cannot reach Google Sheets while {what} ({type(exc).__name__}).",
                                 kind=ErrorKind.NETWORK, fix="check the network (and google.api_endpoint, when it is "
                                 "set)") from None

    # ---- reading ---------------------------------------------------------------------------

    def _sheets(self) -> dict[str, dict]:
        return {s["properties"]["title"]: s["properties"] for s in self.meta.get("sheets", [])}

    def read(self, wanted: Wanted) -> dict[str, RawSheet]:
        self.meta = self._call("opening the sheet", self.http.fetch_sheet_metadata, self.key)
        if self._locking:
            self._check_run_mark()
        titles = list(self._sheets())
        found = {canonical: find_sheet(titles, owner) for canonical, (owner, _) in wanted.items()}
        present = {c: t for c, t in found.items() if t}
        if not present:
            return {}
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                  "majorDimension": "ROWS"}
        # The tool sheets too, in the same request: the write then sends only what differs from them.
        tool = [find_sheet(titles, self.config.sheet_name(name)) for name in (AGING, AGING_SUMMARY)]
        extra = [t for t in tool if t and t not in present.values()]
        ranges = [quote_sheet_always(t) for t in [*present.values(), *extra]]
        resp = self._call("reading the sheet", self.http.values_batch_get, self.key, ranges, params=params)
        answers = resp.get("valueRanges", [])
        out: dict[str, RawSheet] = {}
        self._before, self._tool_rows = None, {}
        for (canonical, title), vr in zip(present.items(), answers):
            rows = [[None if v == "" else v for v in row] for row in vr.get("values", [])]
            grid = grid_from_rows(rows) if rows else pd.DataFrame(dtype=object)
            out[canonical] = raw_sheet(title, grid, wanted[canonical][1])
            if canonical == "Reminder Log":
                self._log_rows = len(rows)
            if canonical == "Invoices":
                self._invoice_rows = len(rows)  # the last row holding anything: added rows go below it
            if canonical == "Line Items":
                self._line_item_rows = len(rows)
            if canonical == "Invoices" and rows:
                keep = [self.config.column_name(c) for c in (*TOOL_COLUMNS, INVOICE_SENT, LATE_FEE, "Amount Paid")]
                sheet = out[canonical]
                self._before = read_columns(rows, sheet.header_row, sheet.column_of("Invoice No"), keep)
        for title, vr in zip(extra, answers[len(present):]):
            self._tool_rows[title] = [[None if v == "" else v for v in row] for row in vr.get("values", [])]
        self.raw = out
        return out

    def probe(self) -> str:
        """For `doctor`: can we write? The metadata, then one batchUpdate that adds a marker and removes it
        again (no visible change); a sheet shared as Viewer answers 403."""
        if not self.meta:
            self.meta = self._call("opening the sheet", self.http.fetch_sheet_metadata, self.key)
        probe = random.randint(10_000_000, 2_000_000_000)
        self._call("checking that the sheet can be written", self.http.batch_update, self.key, {"requests": [
            _create_metadata("sheet-sync-doctor", "write check", probe), _delete_metadata(probe)]})
        title = (self.meta.get("properties") or {}).get("title") or self.key
        return f"the Google Sheet '{title}' opens for {self.identity}, who may edit it"

    def send_log(self, real_mail: bool) -> SendLog:
        return SheetLog(self, self.send_window if real_mail else None)

    @contextmanager
    def lock(self):
        """Google Sheets has no lock: a run that is about to send marks the sheet (developer metadata, in
        the same request that logs its planned sends) and clears the mark with its final write. A run that
        finds a fresh mark when it reads stops before sending; a mark older than RUN_MARK_STALE is a run
        that died. It costs no request of its own."""
        self._locking = True
        try:
            yield
        finally:
            self._locking = False
            if self._mark_id is not None:  # the run stopped before its final write: clear the mark if we can
                try:
                    self.http.batch_update(self.key, {"requests": self._clear_mark_request()})
                except Exception:  # noqa: BLE001 - Google unreachable: the mark expires by itself
                    pass

    def _check_run_mark(self) -> None:
        mark = _run_mark(self.meta)
        if mark is None:
            return
        try:
            info = json.loads(mark.get("metadataValue") or "{}")
            refreshed = datetime.fromisoformat(info["refreshed"])
        except (ValueError, KeyError, TypeError):
            return
        age = (datetime.now(timezone.utc) - refreshed).total_seconds()
        if info.get("host") == socket.gethostname() and not _process_alive(info.get("pid")):
            return  # a run on this machine that is gone (killed): its mark is stale now
        if 0 <= age < RUN_MARK_STALE:
            until = (refreshed + timedelta(seconds=RUN_MARK_STALE)).strftime("%H:%M UTC")
            raise SheetSyncError(
                f"Another sheet-sync run ({info.get('host', 'somewhere')}) has been sending reminders from this Google "
                f"Sheet since {info.get('started', '?')[11:16]} UTC; wait for it to finish. If none is running, the "
                f"last one stopped without finishing and the mark expires at {until}.")

    def _mark_requests(self, create: bool) -> list[dict]:
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        if create:
            requests = []
            old = _run_mark(self.meta)
            if old is not None:  # a dead run's mark
                requests.append(_delete_metadata(old["metadataId"]))
            self._mark_id = random.randint(10_000_000, 2_000_000_000)
            self._mark = {"host": socket.gethostname(), "pid": os.getpid(), "started": now, "refreshed": now}
            requests.append(_create_metadata(RUN_MARK_KEY, json.dumps(self._mark), self._mark_id))
            return requests
        if self._mark_id is None:
            return []
        self._mark["refreshed"] = now
        return [_update_metadata(self._mark_id, json.dumps(self._mark))]

    def _clear_mark_request(self) -> list[dict]:
        if self._mark_id is None:
            return []
        mark_id, self._mark_id = self._mark_id, None
        return [_delete_metadata(mark_id)]

    # ---- before sending: the journal in the sheet --------------------------------------------

    def record_pending(self, entries: list[LogEntry]) -> dict[tuple[str, str], int]:
        """One batchUpdate: create the Reminder Log if missing and write the planned sends into it, as they
        come (`pending` for the first window, `queued` for the rest), before any is sent."""
        title = self._title_or(self.config.sheet_name("Reminder Log"))
        requests: list[dict] = []
        sheets = self._sheets()
        if title not in sheets:
            sheet_id = self._add_log_sheet(title, len(entries), requests)
            start = 1
        else:
            props = sheets[title]
            sheet_id = props["sheetId"]
            start = max(self._log_rows, 1)
            need = start + len(entries) - props["gridProperties"]["rowCount"]
            if need > 0:
                requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": need + 50}})
                props["gridProperties"]["rowCount"] += need + 50
        cols = self._log_columns()
        requests.append(rows_request(sheet_id, start, [spread(cols, e.as_row(self.config.tz)) for e in entries]))
        if self._locking:
            requests += self._mark_requests(create=True)
        self._call("recording the reminders about to be sent", self.http.batch_update, self.key, {"requests": requests})
        self._pending_rows = {(e.message_id, e.invoice_no): start + 1 + i for i, e in enumerate(entries)}
        return dict(self._pending_rows)

    def _add_log_sheet(self, title: str, rows: int, requests: list) -> int:
        """Requests that add the Reminder Log with its header row and room for `rows`; its sheet id."""
        sheet_id = self._new_sheet_id()
        grid = {"rowCount": rows + 100, "columnCount": len(LOG_COLUMNS)}
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title,
                                                     "gridProperties": {**grid, "frozenRowCount": 1}}}})
        requests.append(rows_request(sheet_id, 0, [list(LOG_COLUMNS)]))
        requests.append(bold_header(sheet_id, len(LOG_COLUMNS)))
        requests += column_widths(sheet_id, LOG_WIDTHS)
        self.meta.setdefault("sheets", []).append({"properties": {"sheetId": sheet_id, "title": title,
                                                                   "gridProperties": grid}})
        return sheet_id

    def _log_columns(self) -> list[int]:
        """0-based columns of LOG_COLUMNS in the log sheet as read (new ones after the last header); for a
        log that did not exist at the read, LOG_COLUMNS in order."""
        raw = self.raw.get("Reminder Log")
        return [c - 1 for c in log_columns(list(raw.headers) if raw else [])]

    def _title_or(self, name: str) -> str:
        return find_sheet(self._sheets(), name) or name

    def _new_sheet_id(self) -> int:
        used = {p["sheetId"] for p in self._sheets().values()}
        n = 1000 + len(used)
        while n in used:
            n += 1
        return n

    # ---- while sending: a window at a time ----------------------------------------------------

    def advance(self, outcomes: list[LogEntry], next_pending: list[LogEntry]) -> None:
        """Between two windows of sends: the outcomes so far and the next window's `pending` into their rows,
        found again by Message ID (one read, one write). Raises SheetSyncError when the sheet cannot take
        it; the run then stops sending, because what it sent next could not be known after a crash."""
        title = self._title_or(self.config.sheet_name("Reminder Log"))
        resp = self._call("re-reading the Reminder Log", self.http.values_get, self.key, self._message_id_range(),
                          params={"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"})
        ids = self._remember_log_rows((resp.get("values") or [[]])[0])
        sheet_id = self._sheets()[title]["sheetId"]
        cols = self._log_columns()
        entries = list(outcomes) + list(next_pending)
        placed, gone = place_rows([(self._pending_rows.get((e.message_id, e.invoice_no), 0), e.as_row(self.config.tz))
                                   for e in entries], ids)
        if gone:
            raise SheetSyncError(f"{len(gone)} planned reminders are no longer in the Reminder Log (rows deleted "
                                 "while sending?); the rest are left for the next run.")
        requests = [rows_request(sheet_id, row - 1, [spread(cols, values)]) for row, values in placed]
        requests += self._mark_requests(create=False)
        self._call("recording the reminders sent so far", self.http.batch_update, self.key, {"requests": requests})

    def _message_id_range(self) -> str:
        """The Reminder Log's Message ID column below its header, when the log exists."""
        title = self._title_or(self.config.sheet_name("Reminder Log"))
        if title not in self._sheets():
            return ""
        letter = column_letter(self._log_columns()[LOG_COLUMNS.index("Message ID")] + 1)
        return f"{quote_sheet_always(title)}!{letter}2:{letter}"

    def _remember_log_rows(self, ids: list) -> tuple[str, ...]:
        """The Message IDs below the log's header as they are now (the owner may have sorted the log)."""
        self._log_rows = max(self._log_rows, 1 + len(ids))
        return tuple("" if v is None else str(v) for v in ids)

    # ---- writing ---------------------------------------------------------------------------

    def _shape(self, plan: WritePlan) -> Shape:
        """4. Just before writing, the header row, the Invoice No and Currency columns and the log's Message
        IDs again, in one request (a second only when the owner moved the Invoice No column meanwhile):
        rows are found by number now, and columns by name now, whatever the owner sorted or inserted."""
        if not self.meta or "Invoices" not in self.raw:  # apply() without a read: read what the write needs
            self.read({"Invoices": (plan.invoices_sheet, {"Invoice No": plan.invoice_no_header,
                                                          "Currency": plan.currency_header}),
                       "Reminder Log": (plan.log_sheet, {h: h for h in LOG_COLUMNS})})
        titles = tuple(self._sheets())
        inv = self.raw.get("Invoices")
        log_title = find_sheet(titles, plan.log_sheet)
        log_raw = self.raw.get("Reminder Log")
        log_headers = tuple(log_raw.headers) if log_raw else tuple(LOG_COLUMNS) if log_title else ()
        sheet = quote_sheet_always(inv.title) if inv else ""
        header_row = inv.header_row if inv else 1
        keys = [normalize_name(h) for h in inv.headers] if inv else []
        no_key, cur_key = normalize_name(plan.invoice_no_header), normalize_name(plan.currency_header)
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"}

        def column_range(col: int) -> str:
            return f"{sheet}!{column_letter(col)}{header_row + 1}:{column_letter(col)}"

        no_col = keys.index(no_key) + 1 if no_key in keys else 0
        cur_col = keys.index(cur_key) + 1 if cur_key in keys else 0
        asked = {"headers": f"{sheet}!{header_row}:{header_row}" if inv else "",
                 "numbers": column_range(no_col) if no_col else "",
                 "currencies": column_range(cur_col) if cur_col else "", "log": self._message_id_range()}
        rec = self.raw.get("Recurring") if plan.next_dates else None
        rec_cols = [rec.column_of(h) for h in ("Client ID", "Description")] if rec else []
        for name, col in zip(("rec_ids", "rec_descriptions"), rec_cols):
            if col:  # the Recurring rows' keys again: a Next Date goes to the row that holds its row's keys now
                asked[name] = (f"{quote_sheet_always(rec.title)}!{column_letter(col)}{rec.header_row + 1}:"
                               f"{column_letter(col)}")
        out = self.raw.get("Outgoing") if plan.outgoing is not None else None
        out_cols = [out.column_of(h) for h in ("Approve", "Key")] if out else []
        if out is not None and all(out_cols):  # the owner's answers again: one given during the run is kept
            for name, col in zip(("approve", "key"), out_cols):
                letter = column_letter(col)
                asked[name] = f"{quote_sheet_always(out.title)}!{letter}{out.header_row + 1}:{letter}"
        asked = {name: a1 for name, a1 in asked.items() if a1}
        resp = self._call("re-reading the invoice numbers", self.http.values_batch_get, self.key, list(asked.values()),
                          params=params) if asked else {}
        ranges = dict(zip(asked, (vr.get("values") or [] for vr in resp.get("valueRanges", []))))
        answers = {name: (values or [[]])[0] for name, values in ranges.items()}
        ids = self._remember_log_rows(answers.get("log", [])) if "log" in asked else ()
        log = LogShape(log_title, 1, log_headers, ids, max(self._log_rows, 1)) if log_title else LogShape()
        recurring = None
        if rec is not None:
            cids, descriptions = answers.get("rec_ids", []), answers.get("rec_descriptions", [])
            n = max(len(cids), len(descriptions))
            recurring = RecurringShape(rec.title, rec.header_row, tuple(rec.headers), tuple(
                (rec.header_row + 1 + i, cids[i] if i < len(cids) else None,
                 descriptions[i] if i < len(descriptions) else None) for i in range(n)))
        li = self.raw.get("Line Items") if plan.line_item_rows_add else None
        line_items = AppendShape(li.title, li.header_row, tuple(li.headers), self._line_item_rows) if li else None
        approvals = None
        if "key" in asked:
            keys_now, answers_now = answers.get("key", []), answers.get("approve", [])
            approvals = {str(k).strip(): answers_now[i] if i < len(answers_now) and answers_now[i] != "" else None
                         for i, k in enumerate(keys_now) if k not in (None, "")}
        if inv is None:
            return Shape(None, log, titles, recurring, line_items, approvals)
        # The header row comes back with one value per column (majorDimension COLUMNS: one list each).
        header_cols = ranges.get("headers", [])
        now = tuple("" if not c or c[0] in (None, "") else str(c[0]).strip() for c in header_cols)
        now_keys = [normalize_name(h) for h in now]
        if no_key not in now_keys:  # renamed or deleted meanwhile: no row can be matched this time
            return Shape(None, log, titles, recurring, line_items)
        numbers = answers.get("numbers", [])
        moved_to = now_keys.index(no_key) + 1
        if moved_to != no_col:
            again = self._call("re-reading the invoice numbers", self.http.values_get, self.key, column_range(moved_to),
                               params=params)
            numbers = (again.get("values") or [[]])[0]
        still = cur_col and len(now_keys) >= cur_col and now_keys[cur_col - 1] == cur_key
        currencies = answers.get("currencies", []) if still else []
        return Shape(InvoicesShape(inv.title, header_row, now, tuple(numbers), tuple(currencies),
                                   max(inv.width, len(now)), getattr(self, "_invoice_rows", 0)), log, titles, recurring,
                     line_items, approvals)

    def apply(self, plan: WritePlan) -> WriteReport:
        shape = self._shape(plan)
        writes = lay_out(plan, shape)
        requests: list[dict] = []
        data: list[dict] = []
        look_id, self._looks_then = _looks(self.meta)
        self._looks_now = {}  # (the sheets this run writes: a renamed one is forgotten)
        if writes.invoices is not None:
            self._invoices(writes, shape.invoices, plan.default_currency, requests, data, plan.tool_columns)
        for sheet in writes.sheets:
            self._tool_sheet(sheet, requests, data)
        if writes.log is not None:
            self._log(writes.log, requests, data)
        if writes.line_items is not None:  # the recurring invoices' lines, below the last row (the grid grown first)
            props = self._sheets()[writes.line_items.title]
            last_row = max(c.row for c in writes.line_items.cells)
            if last_row > props["gridProperties"]["rowCount"]:
                requests.append({"appendDimension": {"sheetId": props["sheetId"], "dimension": "ROWS",
                                                     "length": last_row - props["gridProperties"]["rowCount"]}})
            _put(writes.line_items.title, props["sheetId"], writes.line_items.cells, writes.line_items.cells, requests,
                 data)
        if writes.recurring is not None:  # the Recurring sheet's Next Date: values only, the owner's formats kept
            rec_id = self._sheets()[writes.recurring.title]["sheetId"]
            _put(writes.recurring.title, rec_id, writes.recurring.cells, (), requests, data)
        if self._looks_now != self._looks_then:
            requests += _look_requests(look_id, self._looks_now)
        # 5. structure and formats (and the run's mark cleared), then 6. every value, RAW.
        requests += self._clear_mark_request()
        if requests:
            self._call("preparing the sheets", self.http.batch_update, self.key, {"requests": requests})
        if data:
            self._call("writing the results", self.http.values_batch_update, self.key,
                       {"valueInputOption": "RAW", "data": data})
        inv = writes.invoices
        return WriteReport(writes.cells_written, inv.rows_matched if inv else 0, inv.unmatched if inv else (),
                           tuple(c.value for c in inv.new_headers) if inv else (), None, len(self.requests))

    def _invoices(self, writes: Writes, shape: InvoicesShape, default_currency: str, requests: list,
                  data: list, tool_columns: tuple[str, ...] = ()) -> None:
        inv = writes.invoices
        props = self._sheets()[inv.title]
        sheet_id = props["sheetId"]
        last_col = max([c.column for c in inv.new_headers] + [c.column for c in inv.cells], default=0)
        if last_col > props["gridProperties"]["columnCount"]:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                 "length": last_col - props["gridProperties"]["columnCount"]}})
        requests += column_widths(sheet_id, [w for _, w in inv.new_widths], first=[c for c, _ in inv.new_widths])
        values, formats = inv.cells, inv.cells
        before = self._before
        if before is not None and "Invoices" in self.raw and self.raw["Invoices"].title == inv.title:
            # the tool's columns hold numbers an earlier run formatted, once one has run here (it left its look)
            formatted = tool_columns if self._looks_then else ()
            diff = invoice_diff(inv.cells, shape, before, self._aging_currencies(), default_currency, formatted)
            values, formats = diff.values, diff.formats
        if inv.added:  # recurring invoices, below the last row: the grid grows first (values never grow it)
            last_row = max(c.row for c in inv.added)
            if last_row > props["gridProperties"]["rowCount"]:
                requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS",
                                                     "length": last_row - props["gridProperties"]["rowCount"]}})
        _put(inv.title, sheet_id, inv.new_headers + values, formats, requests, data)
        if inv.added:  # the owner's columns of the added rows, with date and money formats
            _put(inv.title, sheet_id, inv.added, inv.added, requests, data)

    def _aging_currencies(self) -> dict[str, str]:
        """Invoice No -> the Currency the Aging sheet showed for it at the read (what its Balance was
        formatted for by the last run)."""
        aging = find_sheet(self._tool_rows, self.config.sheet_name(AGING))
        rows = self._tool_rows.get(aging or "", [])
        keys = [normalize_name(h) for h in rows[0]] if rows else []
        if "invoiceno" not in keys or "currency" not in keys:
            return {}
        no, cur = keys.index("invoiceno"), keys.index("currency")
        return {invoice_key(r[no]): str(r[cur] or "") for r in rows[1:] if no < len(r) and cur < len(r)}

    def _tool_sheet(self, sheet: ToolSheet, requests: list, data: list) -> None:
        sheets = self._sheets()
        n_rows = max((c.row for c in sheet.cells), default=1)
        grid = {"rowCount": max(n_rows + 20, 100), "columnCount": max(sheet.columns, 12), "frozenRowCount": 1}
        values, formats = sheet.cells, sheet.cells
        old = self._tool_rows.get(sheet.title) if sheet.title in sheets else None
        diff = tool_sheet_diff(sheet, old) if old is not None else None
        if diff is not None:  # rows no longer there deleted, new ones inserted, then only what differs
            props = sheets[sheet.title]
            sheet_id = props["sheetId"]
            if sheet.recreate:  # its chart is drawn again below: drop the old one (the sheet stays)
                entry = next(s for s in self.meta["sheets"] if s["properties"]["title"] == sheet.title)
                requests += [{"deleteEmbeddedObject": {"objectId": c["chartId"]}} for c in entry.get("charts", [])]
            deleted = sum(b - a + 1 for a, b in diff.deletes)
            if props["gridProperties"]["rowCount"] - deleted < 2:  # never delete every row below the header
                requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": 100}})
            for a, b in diff.deletes:
                requests.append({"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                               "startIndex": a - 1, "endIndex": b}}})
            for a, b in diff.inserts:
                requests.append({"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                               "startIndex": a - 1, "endIndex": b},
                                                     "inheritFromBefore": False}})
            requests.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": grid},
                                                       "fields": "gridProperties(rowCount,columnCount,frozenRowCount)"}})
            values = tuple(c for c in diff.values if c.column <= grid["columnCount"])  # beyond: cut by the grid
            formats = diff.formats
        elif sheet.title in sheets and sheet.recreate:  # drop it (and its chart) and add it again in its place
            sheet_id = sheets[sheet.title]["sheetId"]
            index = next(i for i, s in enumerate(self.meta["sheets"]) if s["properties"]["title"] == sheet.title)
            requests.append({"deleteSheet": {"sheetId": sheet_id}})
            requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": sheet.title, "index": index,
                                                         "gridProperties": grid}}})
        elif sheet.title in sheets:
            sheet_id = sheets[sheet.title]["sheetId"]
            requests.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": grid},
                                                       "fields": "gridProperties(rowCount,columnCount,frozenRowCount)"}})
            requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}})
        else:
            sheet_id = self._new_sheet_id()
            requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": sheet.title,
                                                         "gridProperties": grid}}})
            self.meta.setdefault("sheets", []).append({"properties": {"sheetId": sheet_id, "title": sheet.title,
                                                                       "gridProperties": grid}})
        look, then = _look_of(sheet), self._looks_then.get(sheet.title, {}) if diff is not None else {}
        if then.get("header") != look["header"]:  # (a sheet cleared or added: all of it)
            requests.append(bold_header(sheet_id, sheet.columns))
        before = then.get("widths") if isinstance(then.get("widths"), list) else []
        changed = [c for c, w in enumerate(look["widths"], start=1) if c > len(before) or before[c - 1] != w]
        requests += column_widths(sheet_id, [sheet.widths[c - 1] for c in changed], first=changed)
        self._looks_now[sheet.title] = look
        requests.append({"setBasicFilter": {"filter": {"range": {
            "sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": sheet.filter_rows,
            "startColumnIndex": 0, "endColumnIndex": sheet.columns}}}})
        if sheet.dropdown is not None:  # the Outgoing sheet's Approve: rows 2 to the table's last
            requests.append(list_validation(sheet_id, sheet.dropdown[0], 2, max(sheet.filter_rows, 2),
                                            sheet.dropdown[1]))
        for row, col in sheet.bold:
            requests.append({"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": row - 1, "endRowIndex": row,
                                                      "startColumnIndex": col - 1, "endColumnIndex": col},
                                            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                                            "fields": "userEnteredFormat.textFormat.bold"}})
        _put(sheet.title, sheet_id, values, formats, requests, data)
        if sheet.chart is not None:
            requests.append(chart_request(sheet_id, sheet.chart))

    def _log(self, log: LogWrites, requests: list, data: list) -> None:
        sheets = self._sheets()
        if log.title not in sheets:
            sheet_id = self._add_log_sheet(log.title, log.last_row, requests)
            grid_rows = log.last_row + 100
            cells = log.cells  # the header row is in _add_log_sheet's request
        else:
            sheet_id = sheets[log.title]["sheetId"]
            grid_rows = sheets[log.title]["gridProperties"]["rowCount"]
            cells = log.new_headers + log.cells
        if log.last_row > grid_rows:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS",
                                                 "length": log.last_row - grid_rows + 50}})
        _put(log.title, sheet_id, cells, cells, requests, data)


def _look_requests(metadata_id: int | None, looks: Mapping[str, dict]) -> list[dict]:
    """The tool sheets' looks kept in the spreadsheet's developer metadata, for the next run."""
    value = json.dumps(looks, ensure_ascii=False, sort_keys=True)
    return [_create_metadata(LOOK_KEY, value) if metadata_id is None else _update_metadata(metadata_id, value)]


def _put(title: str, sheet_id: int, values: tuple[Cell, ...], formats: tuple[Cell, ...], requests: list,
         data: list) -> None:
    """`values` as few value ranges (None clears a cell; a cell inside a range that is not written is
    null, which leaves it alone) and the number formats of `formats` as runs down each column."""
    by_col: dict[int, dict[int, str]] = {}
    for c in formats:
        if c.number_format:
            by_col.setdefault(c.column - 1, {})[c.row - 1] = c.number_format
    requests += format_requests(sheet_id, by_col)
    sheet = quote_sheet_always(title)
    for top, left, bottom, right, rows in value_ranges(values):
        data.append({"range": f"{sheet}!{column_letter(left)}{top}:{column_letter(right)}{bottom}",
                     "values": [[None if v is SKIP else blank_value(v) for v in row] for row in rows]})


class SheetLog(SendLog):
    """The Google Sheet's own Reminder Log as the journal: the planned sends are written into it before any
    goes out (a window `pending`, the rest `queued`), and each window's outcomes before the next opens."""

    def __init__(self, backend: GoogleSheetsBackend, window: int | None):
        self.backend = backend
        self.window = window

    def earlier(self, logged):
        return []  # the sheet is the journal: the log as read holds everything

    def plan(self, planned):
        return self.backend.record_pending(list(planned))

    def before(self, entry):
        return None

    def after(self, entry):
        return None

    def advance(self, outcomes, next_pending):
        self.backend.advance(list(outcomes), list(next_pending))

    def done(self):
        return None


__all__ = ["GoogleSheetsBackend", "SheetLog", "load_credentials", "make_client", "spreadsheet_key"]

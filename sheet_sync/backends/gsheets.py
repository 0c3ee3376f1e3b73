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

With real mail the sends go a window at a time (`advance()`: two more requests per window), and a run
that sends marks the sheet so that a second run keeps out (`run_lock()`: no request of its own).

The client (credentials, base URL, bounded retries) is in google_client.py; the request bodies are
built in sheets_requests.py.
"""
from __future__ import annotations

import json
import os
import random
import socket
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import pandas as pd

from sheet_sync.backends.google_client import MAX_TRIES, RETRY_STATUSES, load_credentials, make_client, spreadsheet_key
from sheet_sync.backends.raw import RawSheet, find_sheet, grid_from_rows, raw_sheet
from sheet_sync.backends.sheets_requests import (
    DATE_PATTERN, blank_value, bold_header, cell_value, chart_request, format_runs, number_format, quote_sheet_always,
    rows_request, spread,
)
from sheet_sync.config import Config
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.model import (
    LOG_COLUMNS, LogEntry, SheetTable, SummaryTable, WritePlan, column_letter, invoice_key, money_pattern,
    normalize_name,
)

RUN_MARK_KEY = "sheet-sync-run"
RUN_MARK_STALE = 30 * 60  # seconds without a refresh after which a run's mark belongs to a run that died


def _process_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


def _run_mark(meta: Mapping) -> dict | None:
    return next((m for m in meta.get("developerMetadata", []) if m.get("metadataKey") == RUN_MARK_KEY), None)


class GoogleSheetsBackend:
    name = "google"
    journal_path = None  # the Reminder Log in the sheet is the journal

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
        self._log_rows = 0  # last used row of the Reminder Log at read time
        self._pending_rows: dict[str, int] = {}
        self._log_rows_now: dict[str, list[int]] | None = None  # Message ID -> log rows, as re-read lately
        self._locking = False  # inside run_lock(): a sync that may send
        self._mark_id: int | None = None  # this run's mark on the sheet, while it sends
        self._mark: dict = {}

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

    def read(self, wanted: Mapping[str, tuple[str, Mapping[str, str]]]) -> dict[str, RawSheet]:
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
        ranges = [quote_sheet_always(t) for t in present.values()]
        resp = self._call("reading the sheet", self.http.values_batch_get, self.key, ranges, params=params)
        out: dict[str, RawSheet] = {}
        for (canonical, title), vr in zip(present.items(), resp.get("valueRanges", [])):
            rows = [[None if v == "" else v for v in row] for row in vr.get("values", [])]
            grid = grid_from_rows(rows) if rows else pd.DataFrame(dtype=object)
            out[canonical] = raw_sheet(title, grid, wanted[canonical][1])
            if canonical == "Reminder Log":
                self._log_rows = len(rows)
        self.raw = out
        return out

    def check_writable(self) -> None:
        return None  # a sheet shared read-only answers 403 at the first write, before anything is sent

    def probe_write(self) -> None:
        """For `doctor`: can we write? One batchUpdate that adds a marker and removes it again (no visible
        change); a sheet shared as Viewer answers 403."""
        probe = random.randint(10_000_000, 2_000_000_000)
        lookup = {"dataFilter": {"developerMetadataLookup": {"metadataId": probe}}}
        self._call("checking that the sheet can be written", self.http.batch_update, self.key, {"requests": [
            {"createDeveloperMetadata": {"developerMetadata": {
                "metadataId": probe, "metadataKey": "sheet-sync-doctor", "metadataValue": "write check",
                "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}}},
            {"deleteDeveloperMetadata": lookup}]})

    @contextmanager
    def run_lock(self):
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
                requests.append({"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
                    "metadataId": old["metadataId"]}}}})
            self._mark_id = random.randint(10_000_000, 2_000_000_000)
            self._mark = {"host": socket.gethostname(), "pid": os.getpid(), "started": now, "refreshed": now}
            requests.append({"createDeveloperMetadata": {"developerMetadata": {
                "metadataId": self._mark_id, "metadataKey": RUN_MARK_KEY, "metadataValue": json.dumps(self._mark),
                "location": {"spreadsheet": True}, "visibility": "DOCUMENT"}}})
            return requests
        if self._mark_id is None:
            return []
        self._mark["refreshed"] = now
        return [{"updateDeveloperMetadata": {
            "dataFilters": [{"developerMetadataLookup": {"metadataId": self._mark_id}}],
            "developerMetadata": {"metadataValue": json.dumps(self._mark)}, "fields": "metadataValue"}}]

    def _clear_mark_request(self) -> list[dict]:
        if self._mark_id is None:
            return []
        mark_id, self._mark_id = self._mark_id, None
        return [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataId": mark_id}}}}]

    # ---- before sending: the journal in the sheet --------------------------------------------

    def record_pending(self, entries: list[LogEntry]) -> dict[str, int]:
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
        requests.append(rows_request(sheet_id, start, [spread(cols, e.as_row()) for e in entries]))
        if self._locking:
            requests += self._mark_requests(create=True)
        self._call("recording the reminders about to be sent", self.http.batch_update, self.key, {"requests": requests})
        self._pending_rows = {e.message_id: start + 1 + i for i, e in enumerate(entries)}
        return dict(self._pending_rows)

    def _add_log_sheet(self, title: str, rows: int, requests: list) -> int:
        """Requests that add the Reminder Log with its header row and room for `rows`; its sheet id."""
        sheet_id = self._new_sheet_id()
        grid = {"rowCount": rows + 100, "columnCount": len(LOG_COLUMNS)}
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title,
                                                     "gridProperties": {**grid, "frozenRowCount": 1}}}})
        requests.append(rows_request(sheet_id, 0, [list(LOG_COLUMNS)]))
        requests.append(bold_header(sheet_id, len(LOG_COLUMNS)))
        self.meta.setdefault("sheets", []).append({"properties": {"sheetId": sheet_id, "title": title,
                                                                   "gridProperties": grid}})
        return sheet_id

    def _log_columns(self) -> list[int]:
        """0-based columns of LOG_COLUMNS in the log sheet as read (new ones after the last header); for a
        log that did not exist at the read, LOG_COLUMNS in order."""
        raw = self.raw.get("Reminder Log")
        headers = list(raw.headers) if raw else []
        keys = [normalize_name(h) for h in headers]
        cols, nxt = [], len(headers)
        for h in LOG_COLUMNS:
            if normalize_name(h) in keys:
                cols.append(keys.index(normalize_name(h)))
            else:
                cols.append(nxt)
                nxt += 1
        return cols

    def _title_or(self, name: str) -> str:
        return find_sheet(self._sheets(), name) or name

    def _new_sheet_id(self) -> int:
        used = {p["sheetId"] for p in self._sheets().values()}
        n = 1000 + len(used)
        while n in used:
            n += 1
        return n

    # ---- writing ---------------------------------------------------------------------------

    def write(self, plan: WritePlan) -> dict:
        inv = self.raw["Invoices"]
        title = inv.title
        props = self._sheets()[title]
        header_row = inv.header_row

        # 4. Just before writing, the header row and the Invoice No column again, in one request: rows are
        # found by number now, and columns by name now, whatever the owner sorted, inserted or moved meanwhile.
        headers, numbers, currencies = self._reread(title, header_row, list(inv.headers), plan.invoice_no_header,
                                                    plan.currency_header)
        keys = [normalize_name(h) for h in headers]
        if numbers is None:  # the Invoice No column is gone: leave the Invoices sheet alone, write the rest
            plan = replace(plan, tool_columns=(), invoice_updates={}, row_updates={}, amount_paid={})
            numbers = []

        # Where the tool columns are (new ones go after the last header).
        tool_cols, added = [], []
        nxt = len(headers) + 1
        for name in plan.tool_columns:
            if normalize_name(name) in keys:
                tool_cols.append(keys.index(normalize_name(name)) + 1)
            else:
                tool_cols.append(nxt)
                added.append((nxt, name))
                nxt += 1

        rows_by_no: dict[str, list[int]] = {}
        for i, value in enumerate(numbers):
            key = invoice_key(value)
            if key:
                rows_by_no.setdefault(key, []).append(header_row + 1 + i)
        # Trailing rows without a number are trimmed from the answer: the rows read before are still there.
        last_row = max(header_row + len(numbers), max(plan.row_updates, default=0))
        padded = list(numbers) + [None] * (last_row - header_row - len(numbers))
        blank_rows = {header_row + 1 + i for i, v in enumerate(padded) if not invoice_key(v)}

        requests: list[dict] = []
        data: list[dict] = []
        sheet_id = props["sheetId"]
        grid = props["gridProperties"]
        if nxt - 1 > grid["columnCount"]:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                 "length": nxt - 1 - grid["columnCount"]}})
        for c, name in added:
            data.append({"range": f"{quote_sheet_always(title)}!{column_letter(c)}{header_row}", "values": [[name]]})

        # Tool columns: one range per column over the data rows; None leaves a cell alone.
        n_rows = max(last_row - header_row, 0)

        def put_column(col: int, values: list) -> None:
            letter = column_letter(col)
            data.append({"range": f"{quote_sheet_always(title)}!{letter}{header_row + 1}:{letter}{last_row}",
                         "values": [[v] for v in values]})

        columns = [[None] * n_rows for _ in tool_cols]
        rows = [(r, values) for no, values in plan.invoice_updates.items() for r in rows_by_no.get(no, ())]
        rows += [(r, values) for r, values in plan.row_updates.items() if r in blank_rows]
        for r, values in rows:
            for k, v in enumerate(values):
                columns[k][r - header_row - 1] = blank_value(v)
        if n_rows:
            for c, values in zip(tool_cols, columns):
                put_column(c, values)
        paid_key = normalize_name(plan.amount_paid_header)
        paid_col = keys.index(paid_key) + 1 if plan.amount_paid and paid_key in keys else 0
        if paid_col and n_rows:
            paid = [None] * n_rows
            for no, amount in plan.amount_paid.items():
                for r in rows_by_no.get(no, ()):
                    paid[r - header_row - 1] = cell_value(amount)
            put_column(paid_col, paid)
        patterns = [money_pattern(str(c or "").strip().upper() or self.config.aging.default_currency) for c in currencies]
        patterns += [money_pattern(self.config.aging.default_currency)] * (n_rows - len(patterns))
        if tool_cols:  # Balance, in each row's currency
            requests += format_runs(sheet_id, tool_cols[0] - 1, header_row, patterns[:n_rows])
        if paid_col:
            requests += format_runs(sheet_id, paid_col - 1, header_row, patterns[:n_rows])

        if plan.aging is not None:
            self._table(plan.aging_sheet, plan.aging, requests, data, recreate=False)
        if plan.summary is not None:
            self._table(plan.summary_sheet, plan.summary.table, requests, data, recreate=True, summary=plan.summary)
        self._log(plan, requests, data)

        # 5. structure and formats (and the run's mark cleared), then 6. every value, RAW.
        requests += self._clear_mark_request()
        if requests:
            self._call("preparing the sheets", self.http.batch_update, self.key, {"requests": requests})
        if data:
            self._call("writing the results", self.http.values_batch_update, self.key,
                       {"valueInputOption": "RAW", "data": data})
        return {"requests": len(self.requests), "rows_matched": sum(len(rows_by_no.get(n, ())) for n in plan.invoice_updates)}

    def _message_id_range(self) -> str:
        """The Reminder Log's Message ID column below its header, when the log exists."""
        title = self._title_or(self.config.sheet_name("Reminder Log"))
        if title not in self._sheets():
            return ""
        cols = self._log_columns()
        letter = column_letter(cols[LOG_COLUMNS.index("Message ID")] + 1)
        return f"{quote_sheet_always(title)}!{letter}2:{letter}"

    def _remember_log_rows(self, ids: list) -> None:
        """Where each message's rows are now (the owner may have sorted the log since the read)."""
        rows: dict[str, list[int]] = {}
        for i, v in enumerate(ids):
            if str(v).strip():
                rows.setdefault(str(v).strip(), []).append(2 + i)
        self._log_rows_now = rows
        self._log_rows = max(self._log_rows, 1 + len(ids))

    def _place(self, updates: list[tuple[int, tuple]]) -> tuple[list[tuple[int, tuple]], list[tuple]]:
        """Rows to overwrite, found again by Message ID: (expected row, values) -> (row now, values), and the
        values whose row is gone. A row still where it was keeps its place; two rows of one message (a
        send planned again after a crash) take the two updates in either order: each is a whole row."""
        id_at = LOG_COLUMNS.index("Message ID")
        if self._log_rows_now is None:
            return updates, []
        free = {k: list(v) for k, v in self._log_rows_now.items()}
        placed, waiting, gone = [], [], []
        for row, values in updates:
            rows = free.get(str(values[id_at]).strip(), [])
            if row in rows:
                rows.remove(row)
                placed.append((row, values))
            else:
                waiting.append(values)
        for values in waiting:
            rows = free.get(str(values[id_at]).strip(), [])
            if rows:
                placed.append((rows.pop(0), values))
            else:
                gone.append(values)
        return placed, gone

    def advance(self, outcomes: list[LogEntry], next_pending: list[LogEntry]) -> None:
        """Between two windows of sends: the outcomes so far and the next window's `pending` into their rows,
        found again by Message ID (one read, one write). Raises SheetSyncError when the sheet cannot take
        it; the run then stops sending, because what it sent next could not be known after a crash."""
        title = self._title_or(self.config.sheet_name("Reminder Log"))
        resp = self._call("re-reading the Reminder Log", self.http.values_get, self.key, self._message_id_range(),
                          params={"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"})
        self._remember_log_rows((resp.get("values") or [[]])[0])
        sheet_id = self._sheets()[title]["sheetId"]
        cols = self._log_columns()
        entries = list(outcomes) + list(next_pending)
        placed, gone = self._place([(self._pending_rows.get(e.message_id, 0), e.as_row()) for e in entries])
        if gone:
            raise SheetSyncError(f"{len(gone)} planned reminders are no longer in the Reminder Log (rows deleted "
                                 "while sending?); the rest are left for the next run.")
        requests = [rows_request(sheet_id, row - 1, [spread(cols, values)]) for row, values in placed]
        requests += self._mark_requests(create=False)
        self._call("recording the reminders sent so far", self.http.batch_update, self.key, {"requests": requests})

    def _reread(self, title: str, header_row: int, headers: list[str], no_header: str,
                currency_header: str) -> tuple[list[str], list | None, list]:
        """The header row, the Invoice No column and the Currency column (for the money formats) as they are
        now: one request; a second one only when the owner moved the Invoice No column since the read."""
        keys = [normalize_name(h) for h in headers]
        no_col = keys.index(normalize_name(no_header)) + 1
        cur_col = keys.index(normalize_name(currency_header)) + 1 if normalize_name(currency_header) in keys else 0
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"}
        sheet = quote_sheet_always(title)

        def column_range(col: int) -> str:
            return f"{sheet}!{column_letter(col)}{header_row + 1}:{column_letter(col)}"

        log_range = self._message_id_range()
        asked = {"headers": f"{sheet}!{header_row}:{header_row}", "numbers": column_range(no_col),
                 "currencies": column_range(cur_col) if cur_col else "", "log": log_range}
        asked = {name: a1 for name, a1 in asked.items() if a1}
        resp = self._call("re-reading the invoice numbers", self.http.values_batch_get, self.key, list(asked.values()),
                          params=params)
        answers = dict(zip(asked, (vr.get("values") or [] for vr in resp.get("valueRanges", []))))
        header_cols, number_cols = answers.get("headers", []), answers.get("numbers", [])
        currency_cols, log_cols = answers.get("currencies", []), answers.get("log", [])
        if log_range:
            self._remember_log_rows(log_cols[0] if log_cols else [])
        now = ["" if not c or c[0] in (None, "") else str(c[0]).strip() for c in header_cols]
        now_keys = [normalize_name(h) for h in now]
        numbers = number_cols[0] if number_cols else []
        still_there = cur_col and len(now_keys) >= cur_col and now_keys[cur_col - 1] == normalize_name(currency_header)
        currencies = currency_cols[0] if currency_cols and still_there else []
        if normalize_name(no_header) not in now_keys:
            return headers, None, []  # renamed or deleted meanwhile: no row can be matched this time
        moved_to = now_keys.index(normalize_name(no_header)) + 1
        if moved_to != no_col:
            again = self._call("re-reading the invoice numbers", self.http.values_get, self.key, column_range(moved_to),
                               params=params)
            numbers = (again.get("values") or [[]])[0]
        return now, numbers, currencies

    def _table(self, name: str, table: SheetTable, requests: list, data: list, recreate: bool,
               summary: SummaryTable | None = None) -> None:
        sheets = self._sheets()
        title = self._title_or(name)
        n_rows = len(table.rows) + 1 + (3 if summary else 0)
        n_cols = len(table.headers)
        grid = {"rowCount": max(n_rows + 20, 100), "columnCount": max(n_cols, 12), "frozenRowCount": 1}
        if title in sheets and recreate:
            sheet_id = sheets[title]["sheetId"]
            index = next(i for i, s in enumerate(self.meta["sheets"]) if s["properties"]["title"] == title)
            requests.append({"deleteSheet": {"sheetId": sheet_id}})
            requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "index": index,
                                                         "gridProperties": grid}}})
        elif title in sheets:
            sheet_id = sheets[title]["sheetId"]
            requests.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": grid},
                                                       "fields": "gridProperties(rowCount,columnCount,frozenRowCount)"}})
            requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}})
        else:
            sheet_id = self._new_sheet_id()
            requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "gridProperties": grid}}})
            self.meta.setdefault("sheets", []).append({"properties": {"sheetId": sheet_id, "title": title,
                                                                       "gridProperties": grid}})
        requests.append(bold_header(sheet_id, n_cols))
        requests.append({"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id, "startRowIndex": 0,
                                                                  "endRowIndex": len(table.rows) + 1,
                                                                  "startColumnIndex": 0, "endColumnIndex": n_cols}}}})
        headers = list(table.headers)
        for c, header in enumerate(headers):
            fmt = table.formats.get(header, "")
            if fmt == "date":
                requests.append(number_format(sheet_id, 1, len(table.rows) + 1, c, c + 1, DATE_PATTERN, "DATE"))
            elif fmt == "int":
                requests.append(number_format(sheet_id, 1, len(table.rows) + 1, c, c + 1, "0"))
            elif fmt.startswith("money:"):
                by = fmt.split(":", 1)[1]
                at = headers.index(by) if by in headers else None
                patterns = [money_pattern(str(row[at] or "") if at is not None else "") for row in table.rows]
                requests += format_runs(sheet_id, c, 1, patterns)
        values = [list(table.headers)] + [[blank_value(v) for v in row] for row in table.rows]
        data.append({"range": f"{quote_sheet_always(title)}!A1:{column_letter(n_cols)}{len(values)}", "values": values})
        if summary is not None:
            as_of_row = len(table.rows) + 3
            data.append({"range": f"{quote_sheet_always(title)}!A{as_of_row}:B{as_of_row}",
                         "values": [["As of", cell_value(summary.as_of)]]})
            requests.append(number_format(sheet_id, as_of_row - 1, as_of_row, 1, 2, DATE_PATTERN, "DATE"))
            if summary.total_rows:
                requests.append(chart_request(sheet_id, table, summary, as_of_row + 1))

    def _log(self, plan: WritePlan, requests: list, data: list) -> None:
        if not plan.log_append and not plan.log_updates:
            return
        title = self._title_or(plan.log_sheet)
        sheets = self._sheets()
        cols = self._log_columns()
        if title not in sheets:
            sheet_id = self._add_log_sheet(title, len(plan.log_append), requests)
            last = 1
            grid_rows = len(plan.log_append) + 100
        else:
            sheet_id = sheets[title]["sheetId"]
            last = max([self._log_rows, 1] + list(self._pending_rows.values()))
            grid_rows = sheets[title]["gridProperties"]["rowCount"]

        def put(row_number: int, values: tuple) -> None:
            row = [blank_value(v) for v in spread(cols, values)]
            data.append({"range": f"{quote_sheet_always(title)}!A{row_number}:{column_letter(len(row))}{row_number}",
                         "values": [row]})

        # Rows to update are found again by Message ID (the log may have been sorted since the read);
        # one that is gone is appended instead.
        placed, gone = self._place(list(plan.log_updates.items()))
        for row, values in placed:
            put(row, values)
        appends = list(plan.log_append) + gone
        need = last + len(appends) - grid_rows
        if need > 0:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": need + 50}})
        for i, values in enumerate(appends, start=1):
            put(last + i, values)


__all__ = ["GoogleSheetsBackend", "load_credentials", "make_client", "spreadsheet_key"]

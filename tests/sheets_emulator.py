"""A Google Sheets API v4 emulator for the tests: standard-library HTTP on 127.0.0.1.

It answers the calls sheet-sync's real gspread client makes, with the shapes Google documents:
spreadsheet metadata; values get / batchGet (A1 ranges with quoted sheet names, trailing empties
trimmed, UNFORMATTED_VALUE or FORMATTED_VALUE, SERIAL_NUMBER dates); values batchUpdate (RAW or
USER_ENTERED, nulls skip a cell, writes outside the grid rejected); values append (grows the grid);
spreadsheets batchUpdate (addSheet, deleteSheet, updateSheetProperties (a smaller grid drops what lies
beyond it), appendDimension, insertDimension and deleteDimension of rows (cells and formats move with
their rows), updateCells (values, number formats), repeatCell, setBasicFilter, addChart, deleteEmbeddedObject); the error
envelope; 429 quota errors on demand.

A `/token` endpoint plays Google's OAuth server for service accounts: it checks the JWT's RS256
signature against the key `service_account_key()` made, and issues an access token for that email.

Test knobs: `requests` (every Sheets request, in order), `request_bytes` (their body sizes), `bodies`
(their bodies, once set to a list), `before_request` (a hook called before each request
is handled, so a test can edit the sheet between two requests), `fail_next` (answer the next requests
with these status codes), `shared_with` (None = anyone; else only that service account email, or bare token, may open it),
`quota` (None = off, the default; a `Quota` = Google's per-user rate limit: past it a 429 with Retry-After;
one Quota may be shared by many emulators, as one service account's quota is shared by many sheets).
"""
from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlparse

EPOCH = date(1899, 12, 30)
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE"}


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # (row, col) 1-based -> value
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # number format patterns
    frozen_rows: int = 0
    basic_filter: dict | None = None
    charts: list = field(default_factory=list)
    validations: dict[tuple[int, int], dict] = field(default_factory=dict)  # (row, col) 1-based -> data validation rule

    def grid(self) -> list[list[Any]]:
        if not self.cells:
            return []
        max_r = max(r for r, _ in self.cells)
        max_c = max(c for _, c in self.cells)
        return [[self.cells.get((r, c)) for c in range(1, max_c + 1)] for r in range(1, max_r + 1)]

    def set_rows(self, rows: list[list[Any]], top: int = 1, left: int = 1) -> None:
        """Test helper: write a block of values as the owner would type them."""
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, date):
                    v = (v - EPOCH).days
                    self.formats[(top + i, left + j)] = "yyyy-mm-dd"
                if v is None or v == "":
                    self.cells.pop((top + i, left + j), None)
                else:
                    self.cells[(top + i, left + j)] = v
        self.rows = max(self.rows, top + len(rows) - 1)


class ApiError(Exception):
    def __init__(self, code: int, message: str, retry_after: str | None = None):
        self.code, self.message, self.retry_after = code, message, retry_after


class Quota:
    """Google's per-user quota on the Sheets API: at most `limit` requests in any `window` seconds per user
    (60 a minute by default); a request past it is answered 429 RESOURCE_EXHAUSTED with `Retry-After`, the
    whole seconds until the user's oldest request in the window leaves it. Counts what it admits and refuses."""

    def __init__(self, limit: int = 60, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.admitted = 0
        self.refused = 0
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, user: str) -> float | None:
        """None when the request may go ahead; else the seconds until it could."""
        with self._lock:
            now = self.clock()
            seen = self._seen.setdefault(user, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) < self.limit:
                seen.append(now)
                self.admitted += 1
                return None
            self.refused += 1
            return seen[0] + self.window - now


@dataclass
class Range:
    sheet: Sheet
    r1: int
    c1: int
    r2: int | None  # None = open-ended
    c2: int | None


class Emulator:
    def __init__(self, key: str = "test-sheet-key", title: str = "Books"):
        self.key = key
        self.title = title
        self.sheets: list[Sheet] = []
        self.requests: list[tuple[str, str]] = []
        self.request_bytes: list[int] = []  # body size of each request
        self.bodies: list[dict] | None = None  # set to [] to keep each request's JSON body
        self.before_request: Callable[[str, str], None] | None = None
        self.fail_next: list[int] = []
        self.retry_after: str | None = None
        self.shared_with: str | None = None
        self.quota: Quota | None = None  # off by default
        self.service_accounts: dict[str, Any] = {}  # email -> public key that signs its JWTs
        self.tokens: dict[str, str] = {}  # access token -> service account email
        self.scopes_asked: list[str] = []
        self.token_requests = 0
        self.developer_metadata: list[dict] = []  # spreadsheet-level developer metadata
        self.viewers: set[str] = set()  # emails (or bare tokens) the sheet is shared with read-only
        self.lock = threading.RLock()
        self._next_id = 100
        self.server: ThreadingHTTPServer | None = None

    # ---- set-up helpers ------------------------------------------------------------------

    def add_sheet(self, title: str, rows: list[list[Any]] | None = None, grid_rows: int = 1000, grid_cols: int = 26) -> Sheet:
        sheet = Sheet(self._new_id(), title, grid_rows, grid_cols)
        if rows:
            sheet.set_rows(rows)
            sheet.cols = max(sheet.cols, max(len(r) for r in rows))
        self.sheets.append(sheet)
        return sheet

    def sheet(self, title: str) -> Sheet:
        return next(s for s in self.sheets if s.title == title)

    def values(self, title: str) -> list[list[Any]]:
        return self.sheet(title).grid()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "Emulator":
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                emulator._handle(self, "GET")

            def do_POST(self):
                emulator._handle(self, "POST")

            def do_PUT(self):
                emulator._handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # ---- HTTP ----------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(h.path)
        path = unquote(parsed.path)
        query = parse_qs(parsed.query)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if path == "/token" and method == "POST":
            self.token_requests += 1
            return self._token(h, parse_qs(raw.decode()))
        body = json.loads(raw or b"{}")
        self.requests.append((method, path))
        self.request_bytes.append(length)
        if self.bodies is not None:
            self.bodies.append(body)
        if self.before_request:
            self.before_request(method, path)
        try:
            if self.fail_next:
                code = self.fail_next.pop(0)
                raise ApiError(code, "Quota exceeded for quota metric 'Read requests'." if code == 429 else "Backend error.")
            token = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
            if self.quota is not None:
                wait = self.quota.admit(self.tokens.get(token, token))
                if wait is not None:
                    raise ApiError(429, "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per "
                                        "user' of service 'sheets.googleapis.com'.", str(max(1, math.ceil(wait))))
            with self.lock:
                result = self._route(method, path, query, body, self.tokens.get(token, token))
            self._send(h, 200, result)
        except ApiError as exc:
            retry_after = exc.retry_after or self.retry_after
            headers = {"Retry-After": retry_after} if exc.code in (429, 503) and retry_after else {}
            self._send(h, exc.code, {"error": {"code": exc.code, "message": exc.message,
                                               "status": STATUS.get(exc.code, "UNKNOWN")}}, headers)

    def _token(self, h: BaseHTTPRequestHandler, form: dict) -> None:
        """Google's OAuth token endpoint for a service account: a signed JWT in, an access token out."""
        assertion = (form.get("assertion") or [""])[0]
        if (form.get("grant_type") or [""])[0] != "urn:ietf:params:oauth:grant-type:jwt-bearer" or assertion.count(".") != 2:
            return self._send(h, 400, {"error": "invalid_request", "error_description": "Bad Request"})
        head, payload, signature = assertion.split(".")
        claims = json.loads(_b64(payload))
        email = claims.get("iss", "")
        public_key = self.service_accounts.get(email)
        try:
            if public_key is None:
                raise ValueError(email)
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding

            public_key.verify(_b64(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return self._send(h, 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        token = f"ya29.emulator-{len(self.tokens) + 1}"
        self.tokens[token] = email
        self.scopes_asked.append(claims.get("scope", ""))
        self._send(h, 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    @staticmethod
    def _send(h, code: int, data: dict, headers: dict | None = None) -> None:
        raw = json.dumps(data).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(raw)

    def _route(self, method: str, path: str, q: dict, body: dict, token: str) -> dict:
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not m:
            raise ApiError(404, "Requested entity was not found.")
        key, rest = m.groups()
        if key != self.key:
            raise ApiError(404, "Requested entity was not found.")
        if self.shared_with is not None and token != self.shared_with and token not in self.viewers:
            raise ApiError(403, "The caller does not have permission")
        if token in self.viewers and method != "GET":
            raise ApiError(403, "The caller does not have permission")
        if rest == "" and method == "GET":
            return self._metadata()
        if rest == ":batchUpdate" and method == "POST":
            return self._batch_update(body)
        if rest == "/values:batchGet" and method == "GET":
            return {"spreadsheetId": self.key, "valueRanges": [self._get(r, q) for r in q.get("ranges", [])]}
        if rest == "/values:batchUpdate" and method == "POST":
            return self._values_batch_update(body)
        m = re.fullmatch(r"/values/(.+):append", rest)
        if m and method == "POST":
            return self._append(m.group(1), q, body)
        m = re.fullmatch(r"/values/(.+)", rest)
        if m and method == "GET":
            return self._get(m.group(1), q)
        if m and method == "PUT":  # values.update: what an owner's edit through gspread (update_cell) sends
            a1 = unquote(m.group(1))
            r, c, n = self._write(a1, body.get("values", []), (q.get("valueInputOption") or [""])[0])
            return {"spreadsheetId": self.key, "updatedRange": a1, "updatedRows": r, "updatedColumns": c,
                    "updatedCells": n}
        raise ApiError(404, f"Method not found: {method} {rest}")

    # ---- ranges and values ---------------------------------------------------------------

    def _range(self, a1: str) -> Range:
        m = re.fullmatch(r"(?:'((?:[^']|'')+)'|([^!']+))(?:!(.+))?", a1)
        if not m:
            raise ApiError(400, f"Unable to parse range: {a1}")
        title = (m.group(1) or "").replace("''", "'") if m.group(1) is not None else m.group(2)
        sheet = next((s for s in self.sheets if s.title == title), None)
        if sheet is None:
            raise ApiError(400, f"Unable to parse range: {a1}")
        ref = m.group(3)
        if not ref:
            return Range(sheet, 1, 1, None, None)
        m2 = re.fullmatch(r"([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?", ref.upper())
        if not m2:
            raise ApiError(400, f"Unable to parse range: {a1}")
        c1, r1, c2, r2 = m2.groups()
        single = c2 is None and r2 is None
        return Range(sheet, int(r1) if r1 else 1, col_index(c1) if c1 else 1,
                     (int(r1) if r1 else None) if single else (int(r2) if r2 else None),
                     (col_index(c1) if c1 else None) if single else (col_index(c2) if c2 else None))

    def _render(self, sheet: Sheet, r: int, c: int, value: Any, option: str) -> Any:
        if isinstance(value, dict) and "formula" in value:
            return value["formula"] if option == "FORMULA" else value.get("cached", "")
        if option == "FORMATTED_VALUE":
            fmt = sheet.formats.get((r, c), "")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and ("yy" in fmt or "dd" in fmt):
                d = EPOCH + timedelta(days=int(value))
                return f"{d.month}/{d.day}/{d.year}"
            if isinstance(value, bool):
                return "TRUE" if value else "FALSE"
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            return str(value)
        return value

    def _get(self, a1: str, q: dict) -> dict:
        rng = self._range(a1)
        sheet = rng.sheet
        option = (q.get("valueRenderOption") or ["FORMATTED_VALUE"])[0]
        r2 = rng.r2 or max([r for r, _ in sheet.cells] + [0])
        c2 = rng.c2 or max([c for _, c in sheet.cells] + [0])
        rows = []
        for r in range(rng.r1, r2 + 1):
            row = [self._render(sheet, r, c, sheet.cells.get((r, c)), option) for c in range(rng.c1, c2 + 1)]
            while row and row[-1] in (None, ""):
                row.pop()
            rows.append(["" if v is None else v for v in row])
        while rows and not rows[-1]:
            rows.pop()
        dimension = (q.get("majorDimension") or ["ROWS"])[0]
        if dimension == "COLUMNS" and rows:
            width = max(len(r) for r in rows)
            rows = [[r[j] if j < len(r) else "" for r in rows] for j in range(width)]
            for col in rows:
                while col and col[-1] in (None, ""):
                    col.pop()
        out = {"range": f"{quote(sheet.title)}!{col_letters(rng.c1)}{rng.r1}:{col_letters(max(c2, rng.c1))}{max(r2, rng.r1)}",
               "majorDimension": dimension}
        if rows:
            out["values"] = rows
        return out

    def _write(self, a1: str, values: list[list[Any]], option: str) -> tuple[int, int, int]:
        rng = self._range(a1)
        sheet = rng.sheet
        if option not in ("RAW", "USER_ENTERED"):
            raise ApiError(400, "Invalid valueInputOption: must be RAW or USER_ENTERED")
        last_r = rng.r1 + len(values) - 1
        last_c = rng.c1 + max((len(r) for r in values), default=1) - 1
        if last_r > sheet.rows or last_c > sheet.cols:
            raise ApiError(400, f"Range ({quote(sheet.title)}!{col_letters(last_c)}{last_r}) exceeds grid limits. "
                                f"Max rows: {sheet.rows}, max columns: {sheet.cols}")
        cells = 0
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if v is None:
                    continue  # null skips the cell
                if not isinstance(v, (str, int, float, bool)):
                    raise ApiError(400, f"Invalid value at 'data.values[{i}][{j}]'")
                key = (rng.r1 + i, rng.c1 + j)
                if option == "USER_ENTERED" and isinstance(v, str) and v.startswith("="):
                    v = {"formula": v}
                elif option == "USER_ENTERED" and isinstance(v, str) and re.fullmatch(r"\$?-?[\d,]+(\.\d+)?", v):
                    v = float(v.replace("$", "").replace(",", ""))
                if v == "":
                    sheet.cells.pop(key, None)
                else:
                    sheet.cells[key] = v
                cells += 1
        return len(values), last_c - rng.c1 + 1, cells

    def _values_batch_update(self, body: dict) -> dict:
        option = body.get("valueInputOption", "")
        total = [0, 0, 0]
        responses = []
        for vr in body.get("data", []):
            r, c, n = self._write(vr["range"], vr.get("values", []), option)
            total = [total[0] + r, max(total[1], c), total[2] + n]
            responses.append({"spreadsheetId": self.key, "updatedRange": vr["range"], "updatedRows": r,
                              "updatedColumns": c, "updatedCells": n})
        return {"spreadsheetId": self.key, "totalUpdatedRows": total[0], "totalUpdatedColumns": total[1],
                "totalUpdatedCells": total[2], "totalUpdatedSheets": len({vr["range"].split("!")[0] for vr in body.get("data", [])}),
                "responses": responses}

    def _append(self, a1: str, q: dict, body: dict) -> dict:
        rng = self._range(unquote(a1))
        sheet = rng.sheet
        option = (q.get("valueInputOption") or [""])[0]
        values = body.get("values", [])
        last = max([r for r, _ in sheet.cells] + [0])
        start = last + 1
        need = start + len(values) - 1
        if need > sheet.rows:
            sheet.rows = need  # append grows the grid
        width = max((len(r) for r in values), default=1)
        sheet.cols = max(sheet.cols, rng.c1 + width - 1)
        a1_out = f"{quote(sheet.title)}!{col_letters(rng.c1)}{start}:{col_letters(rng.c1 + width - 1)}{need}"
        _, _, cells = self._write(a1_out, values, option)
        return {"spreadsheetId": self.key, "tableRange": f"{quote(sheet.title)}!A1:{col_letters(width)}{last}",
                "updates": {"spreadsheetId": self.key, "updatedRange": a1_out, "updatedRows": len(values),
                            "updatedColumns": width, "updatedCells": cells}}

    # ---- structure -----------------------------------------------------------------------

    def _metadata(self) -> dict:
        sheets = []
        for i, s in enumerate(self.sheets):
            grid = {"rowCount": s.rows, "columnCount": s.cols}
            if s.frozen_rows:
                grid["frozenRowCount"] = s.frozen_rows
            entry = {"properties": {"sheetId": s.sheet_id, "title": s.title, "index": i, "sheetType": "GRID",
                                    "gridProperties": grid}}
            if s.charts:
                entry["charts"] = s.charts
            if s.basic_filter:
                entry["basicFilter"] = s.basic_filter
            sheets.append(entry)
        extra = {"developerMetadata": [dict(m) for m in self.developer_metadata]} if self.developer_metadata else {}
        return {"spreadsheetId": self.key, **extra, "properties": {"title": self.title, "locale": "en_US",
                                                                   "timeZone": "Etc/GMT"}, "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit"}

    def _by_id(self, sheet_id: int) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise ApiError(400, f"Invalid requests: No grid with id: {sheet_id}")

    def _batch_update(self, body: dict) -> dict:
        replies = []
        for req in body.get("requests", []):
            (kind, arg), = req.items()
            reply: dict = {}
            if kind == "addSheet":
                props = arg.get("properties", {})
                title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
                if any(s.title == title for s in self.sheets):
                    raise ApiError(400, f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists. '
                                        "Please enter another name.")
                sid = props.get("sheetId", self._new_id())
                grid = props.get("gridProperties", {})
                sheet = Sheet(sid, title, grid.get("rowCount", 1000), grid.get("columnCount", 26),
                              frozen_rows=grid.get("frozenRowCount", 0))
                self.sheets.insert(props.get("index", len(self.sheets)), sheet)
                reply = {"addSheet": {"properties": {"sheetId": sid, "title": title}}}
            elif kind == "deleteSheet":
                self.sheets.remove(self._by_id(arg["sheetId"]))
            elif kind == "updateSheetProperties":
                sheet = self._by_id(arg["properties"]["sheetId"])
                grid = arg["properties"].get("gridProperties", {})
                sheet.rows = grid.get("rowCount", sheet.rows)
                sheet.cols = grid.get("columnCount", sheet.cols)
                for store in (sheet.cells, sheet.formats, sheet.validations):  # a smaller grid loses what lay beyond it
                    for key in [k for k in store if k[0] > sheet.rows or k[1] > sheet.cols]:
                        del store[key]
                sheet.frozen_rows = grid.get("frozenRowCount", sheet.frozen_rows)
            elif kind == "appendDimension":
                sheet = self._by_id(arg["sheetId"])
                if arg["dimension"] == "ROWS":
                    sheet.rows += arg["length"]
                else:
                    sheet.cols += arg["length"]
            elif kind in ("insertDimension", "deleteDimension"):
                rng = arg["range"]
                sheet = self._by_id(rng["sheetId"])
                if rng["dimension"] != "ROWS":
                    raise ApiError(400, "Invalid requests: only rows are inserted and deleted in the emulator")
                a, b = rng["startIndex"], rng["endIndex"]  # 0-based, end exclusive
                n = b - a
                if kind == "deleteDimension":
                    if b > sheet.rows:
                        raise ApiError(400, f"Invalid requests[0].deleteDimension: Cannot delete rows beyond {sheet.rows}.")
                    if sheet.rows - n <= sheet.frozen_rows:
                        raise ApiError(400, "Invalid requests[0].deleteDimension: Sorry, it is not possible to delete "
                                            "all non-frozen rows.")
                    if a < sheet.frozen_rows:
                        raise ApiError(400, "Invalid requests: the emulator deletes no frozen rows")
                for store in (sheet.cells, sheet.formats, sheet.validations):
                    moved = {}
                    for (r, c), v in store.items():
                        if r <= a:
                            moved[(r, c)] = v
                        elif kind == "insertDimension":
                            moved[(r + n, c)] = v
                        elif r > b:
                            moved[(r - n, c)] = v
                    store.clear()
                    store.update(moved)
                sheet.rows += n if kind == "insertDimension" else -n
            elif kind == "updateCells" and arg.get("rows"):
                start = arg["start"]
                sheet = self._by_id(start["sheetId"])
                r0, c0 = start.get("rowIndex", 0) + 1, start.get("columnIndex", 0) + 1
                fields = arg.get("fields", "")
                for i, row in enumerate(arg["rows"]):
                    for j, cell in enumerate(row.get("values", [])):
                        if r0 + i > sheet.rows or c0 + j > sheet.cols:
                            raise ApiError(400, "Invalid requests: updateCells range exceeds grid limits.")
                        if "numberFormat" in fields:
                            pattern = cell.get("userEnteredFormat", {}).get("numberFormat", {}).get("pattern")
                            if pattern:
                                sheet.formats[(r0 + i, c0 + j)] = pattern
                            else:
                                sheet.formats.pop((r0 + i, c0 + j), None)
                        uev = cell.get("userEnteredValue")
                        if uev is None:
                            continue
                        (_, v), = uev.items()
                        sheet.cells[(r0 + i, c0 + j)] = v
            elif kind in ("updateCells", "repeatCell"):
                grid_range = arg["range"]
                sheet = self._by_id(grid_range["sheetId"])
                r1, r2 = grid_range.get("startRowIndex", 0) + 1, grid_range.get("endRowIndex", sheet.rows)
                c1, c2 = grid_range.get("startColumnIndex", 0) + 1, grid_range.get("endColumnIndex", sheet.cols)
                if kind == "updateCells" and "userEnteredValue" in arg.get("fields", "") and not arg.get("rows"):
                    for key in [k for k in sheet.cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]:
                        del sheet.cells[key]
                pattern = (arg.get("cell", {}).get("userEnteredFormat", {}).get("numberFormat", {}) or {}).get("pattern")
                if kind == "repeatCell" and pattern:
                    for r in range(r1, r2 + 1):
                        for c in range(c1, c2 + 1):
                            sheet.formats[(r, c)] = pattern
            elif kind == "deleteEmbeddedObject":
                for sheet in self.sheets:
                    sheet.charts = [c for c in sheet.charts if c.get("chartId") != arg["objectId"]]
            elif kind == "setDataValidation":
                grid_range = arg["range"]
                sheet = self._by_id(grid_range["sheetId"])
                r1, r2 = grid_range.get("startRowIndex", 0) + 1, grid_range.get("endRowIndex", sheet.rows)
                c1, c2 = grid_range.get("startColumnIndex", 0) + 1, grid_range.get("endColumnIndex", sheet.cols)
                if r2 > sheet.rows or c2 > sheet.cols:
                    raise ApiError(400, "Invalid requests: setDataValidation range exceeds grid limits.")
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        if arg.get("rule"):
                            sheet.validations[(r, c)] = arg["rule"]
                        else:
                            sheet.validations.pop((r, c), None)
            elif kind == "setBasicFilter":
                self._by_id(arg["filter"]["range"]["sheetId"]).basic_filter = arg["filter"]
            elif kind == "addChart":
                anchor = arg["chart"]["position"]["overlayPosition"]["anchorCell"]["sheetId"]
                chart = dict(arg["chart"], chartId=self._new_id())
                self._by_id(anchor).charts.append(chart)
                reply = {"addChart": {"chart": chart}}
            elif kind == "createDeveloperMetadata":
                meta = dict(arg["developerMetadata"])
                if not meta.get("location", {}).get("spreadsheet"):
                    raise ApiError(400, "Invalid requests: only spreadsheet-level developer metadata is emulated")
                meta.setdefault("metadataId", self._new_id())
                if any(m["metadataId"] == meta["metadataId"] for m in self.developer_metadata):
                    raise ApiError(400, f"Invalid requests: metadata ID {meta['metadataId']} is already in use")
                self.developer_metadata.append(meta)
                reply = {"createDeveloperMetadata": {"developerMetadata": meta}}
            elif kind in ("updateDeveloperMetadata", "deleteDeveloperMetadata"):
                filters = arg["dataFilters"] if kind == "updateDeveloperMetadata" else [arg["dataFilter"]]
                ids = {f["developerMetadataLookup"]["metadataId"] for f in filters}
                hit = [m for m in self.developer_metadata if m["metadataId"] in ids]
                if kind == "deleteDeveloperMetadata":
                    self.developer_metadata = [m for m in self.developer_metadata if m["metadataId"] not in ids]
                    reply = {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": hit}}
                else:
                    for m in hit:
                        for name in arg["fields"].split(","):
                            m[name.strip()] = arg["developerMetadata"][name.strip()]
                    reply = {"updateDeveloperMetadata": {"developerMetadata": hit}}
            elif kind in ("updateDimensionProperties", "autoResizeDimensions", "clearBasicFilter"):
                if kind == "clearBasicFilter":
                    self._by_id(arg["sheetId"]).basic_filter = None
            else:
                raise ApiError(400, f"Invalid requests: unknown request {kind}")
            replies.append(reply)
        return {"spreadsheetId": self.key, "replies": replies}


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def service_account_key(emulator: Emulator, email: str = "sheet-sync@books-123.iam.gserviceaccount.com") -> dict:
    """A service account's JSON key (a fresh RSA key) whose token endpoint is the emulator."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    emulator.service_accounts[email] = key.public_key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "books-123", "private_key_id": "k1", "private_key": pem,
            "client_email": email, "client_id": "1", "token_uri": f"{emulator.url}/token"}


def serial(d: date) -> int:
    return (d - EPOCH).days


__all__ = ["Emulator", "Sheet", "serial", "datetime"]

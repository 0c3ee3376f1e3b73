"""Where every value a sync writes goes, and how it looks: the write-back, decided once for both backends. Pure.

A backend reads the shape of the workbook just before it writes (`Shape`: the Invoices header row, its
Invoice No and Currency columns, the Reminder Log's headers and Message IDs) and hands it here with the
run's `WritePlan`; `lay_out()` returns `Writes`, plain cells and whole tool sheets, that the backend only
applies. Rows are found by Invoice No and log rows by Message ID in that fresh shape, so a sort or an
inserted row since the read never puts a value on the wrong row; every number format comes from here
(`money.money_pattern` for each row's currency, the default currency for a blank one).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from sheet_sync.cells import has_control, one_line, paragraphs, text, visible
from sheet_sync.model import APPROVE_CHOICES
from sheet_sync.model import LOG_COLUMNS, TOOL_COLUMNS, SheetTable, SummaryTable, WritePlan, invoice_key, normalize_name
from sheet_sync.money import money_pattern
from sheet_sync.raw import HEADER_SEARCH_ROWS, find_sheet

DATE_PATTERN = "yyyy-mm-dd"
INT_PATTERN = "0"
FORMULA_PREFIXES = ("=", "+", "-", "@")
MAX_WIDTH = 48
LOG_WIDTHS = (22, 16, 12, 10, 32, 48, 40, 10, 12, 40)
HEADER_FILL = "305496"  # the tool sheets' header: white bold text on this blue
HEADER_TEXT = "FFFFFF"
CHART_TITLE, CHART_X, CHART_Y = "Open balance by age", "Days overdue", "Amount"


# ---- the shape a backend reads just before writing ----------------------------------------------

@dataclass(frozen=True)
class InvoicesShape:
    """The Invoices sheet as it stands now."""

    title: str
    header_row: int
    headers: tuple[str, ...]  # the header row, "" for a blank cell
    numbers: tuple[Any, ...]  # the Invoice No column below the header (may stop at the last filled cell)
    currencies: tuple[Any, ...] = ()  # the Currency column below the header; () when there is none
    last_column: int = 0  # the right-most column holding anything in any row (new tool columns go after it)
    last_row: int = 0  # the last row holding anything in any column (added rows go below it); 0: the numbers' end


@dataclass(frozen=True)
class RecurringShape:
    """The Recurring sheet as it stands now: its headers, and each row's Client ID and Description."""

    title: str
    header_row: int
    headers: tuple[str, ...]
    keys: tuple[tuple[int, Any, Any], ...]  # (row, Client ID, Description) below the header


@dataclass(frozen=True)
class LogShape:
    """The Reminder Log as it stands now; `title` None when the workbook has none yet."""

    title: str | None = None
    header_row: int = 1
    headers: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()  # the Message ID column below the header
    last_row: int = 1  # the last row with anything in the log's columns


@dataclass(frozen=True)
class AppendShape:
    """An owner's sheet that rows are appended to (Line Items, for the recurring invoices' lines)."""

    title: str
    header_row: int
    headers: tuple[str, ...]
    last_row: int  # the last row holding anything


@dataclass(frozen=True)
class Shape:
    invoices: InvoicesShape | None  # None: no Invoices sheet or no Invoice No column now (left alone)
    log: LogShape
    titles: tuple[str, ...]  # every sheet's title, in order
    recurring: RecurringShape | None = None  # read only when the plan moves a Next Date
    line_items: AppendShape | None = None  # read only when the plan adds lines
    # the Outgoing sheet's Approve by Key as it stands now (None: not re-read): an answer the owner gave during the
    # run is kept on a row that still waits
    approvals: Mapping[str, Any] | None = None


# ---- what the backend applies ----------------------------------------------------------------------

class Cell(NamedTuple):
    """One cell to write: None clears it; `number_format` None leaves its format as it is."""

    row: int
    column: int
    value: Any
    number_format: str | None = None


@dataclass(frozen=True)
class InvoiceWrites:
    title: str
    header_row: int
    new_headers: tuple[Cell, ...]  # header cells of tool columns added at the right end
    new_widths: tuple[tuple[int, float], ...]  # (column, width) of those columns
    cells: tuple[Cell, ...]
    rows_matched: int
    unmatched: tuple[str, ...]  # invoice numbers no longer on the sheet
    # owner rows added (recurring invoices): their cells carry the format to use when the writer cannot copy
    # the one of the owner's last invoice row (`added_like`; 0: none)
    added: tuple[Cell, ...] = ()
    added_like: int = 0


@dataclass(frozen=True)
class OwnerRows:
    """Rows appended to an owner's sheet: each cell styled as the one above it in row `like` (0: none) where
    the writer can, else with its own number format."""

    title: str
    cells: tuple[Cell, ...]
    like: int = 0


@dataclass(frozen=True)
class OwnerCells:
    """Cells of an owner's sheet the tool sets (the Recurring sheet's Next Date): values only, each cell's
    own format kept."""

    title: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Chart:
    """A clustered column chart of the bucket totals: one series per currency's totals row."""

    header_row: int
    first_column: int
    last_column: int
    series: tuple[tuple[int, str], ...]  # (row, name)
    anchor_row: int  # the chart's top-left cell is column A of this row
    title: str = CHART_TITLE
    x_title: str = CHART_X
    y_title: str = CHART_Y


@dataclass(frozen=True)
class ToolSheet:
    """A tool-owned sheet, written whole over whatever stood under its name. Row 1 is the header:
    styled, frozen, with a filter over the table."""

    title: str
    cells: tuple[Cell, ...]
    columns: int  # header cells in row 1
    filter_rows: int  # the filter covers rows 1..filter_rows
    widths: tuple[float, ...]  # per column from A
    bold: tuple[tuple[int, int], ...] = ()  # (row, column) labels outside the table
    chart: Chart | None = None
    recreate: bool = False  # drop the old sheet (its charts go with it) rather than clear its cells
    # a list to choose from in one column, rows 2..filter_rows (the Outgoing sheet's Approve): (column, choices)
    dropdown: tuple[int, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class LogWrites:
    title: str
    create: bool  # no log yet: add the sheet with its styled, frozen header row and widths
    header_row: int
    new_headers: tuple[Cell, ...]  # log headers added after the owner's last column
    cells: tuple[Cell, ...]
    last_row: int  # the log's last row after the write (for its filter)
    widths: tuple[float, ...] = ()  # when created


@dataclass(frozen=True)
class Writes:
    invoices: InvoiceWrites | None
    sheets: tuple[ToolSheet, ...]
    log: LogWrites | None
    recurring: OwnerCells | None = None
    line_items: OwnerRows | None = None

    @property
    def cells_written(self) -> int:
        return (len(self.invoices.cells) + len(self.invoices.added) if self.invoices else 0) \
            + (len(self.log.cells) if self.log else 0) + sum(len(s.cells) for s in self.sheets) \
            + (len(self.recurring.cells) if self.recurring else 0) + (len(self.line_items.cells) if self.line_items else 0)


# ---- values ------------------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A value as a cell holds it: NaN and infinities are blank, a date-time has no zone (it is already
    local), control characters in text are shown as their pictures (no cell can hold them)."""
    kind = value.__class__
    if value is None or kind is int or kind is Decimal or kind is date:  # most cells: as they are
        return value
    if kind is str and not has_control(value):
        return value
    if isinstance(value, str):
        return visible(paragraphs(value))
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, Decimal, date)):  # numpy scalars
        return value.item()
    return value


def is_formula_like(value: Any) -> bool:
    """Text a spreadsheet would take for a formula; backends write it as text."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _format_of(value: Any, pattern: str | None) -> str | None:
    if value is None or value.__class__ is str:
        return None
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm:ss"
    if isinstance(value, date):
        return DATE_PATTERN
    if pattern and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return pattern
    return None


def _cell(row: int, column: int, value: Any, pattern: str | None = None) -> Cell:
    kind = value.__class__
    if value is None or kind is str and not has_control(value):  # most cells: no format, as they are
        return Cell(row, column, value)
    if kind is Decimal or kind is int:  # an amount or a count: as _format_of formats it, without its checks
        return Cell(row, column, value, pattern or None)
    if kind is date:
        return Cell(row, column, value, DATE_PATTERN)
    value = plain(value)
    return Cell(row, column, value, _format_of(value, pattern))


# ---- the Invoices sheet --------------------------------------------------------------------------------

def _columns(headers: Sequence[str], wanted: Sequence[str], last_used: int = 0,
             ) -> tuple[list[int], list[tuple[int, str]]]:
    """1-based columns of `wanted` headers; missing ones go after the last header or the last column that
    holds anything (`last_used`), whichever is further right, in order."""
    keys = [normalize_name(h) for h in headers]
    last = max([i + 1 for i, k in enumerate(keys) if k] + [last_used])
    cols, added = [], []
    for name in wanted:
        key = normalize_name(name)
        if key in keys:
            cols.append(keys.index(key) + 1)
        else:
            last += 1
            cols.append(last)
            added.append((last, name))
            keys += [""] * (last - len(keys))
            keys[last - 1] = key
    return cols, added


def _invoice_writes(plan: WritePlan, shape: InvoicesShape) -> InvoiceWrites:
    hrow = shape.header_row
    tool_cols, added = _columns(shape.headers, plan.tool_columns, shape.last_column)
    keys = [normalize_name(h) for h in shape.headers]
    balance_col = tool_cols[TOOL_COLUMNS.index("Balance")] if tool_cols else 0  # the plan keeps TOOL_COLUMNS order
    money_cols = {balance_col} | {col for col, name in zip(tool_cols, plan.tool_columns) if name in plan.money_columns}
    paid_key = normalize_name(plan.amount_paid_header)
    paid_col = keys.index(paid_key) + 1 if plan.amount_paid and paid_key in keys else 0

    rows_by_no: dict[str, list[int]] = {}
    for i, value in enumerate(shape.numbers):
        key = invoice_key(value)
        if key:
            rows_by_no.setdefault(key, []).append(hrow + 1 + i)

    patterns: dict[Any, str] = {}  # a currency cell as read -> its money format (a book has a few currencies)

    def pattern(row: int) -> str:
        i = row - hrow - 1
        cell = shape.currencies[i] if i < len(shape.currencies) else None
        found = patterns.get(cell)
        if found is None:
            code = str(cell or "").strip().upper()
            found = patterns[cell] = money_pattern(code or plan.default_currency)
        return found

    def blank(row: int) -> bool:
        i = row - hrow - 1
        return row > hrow and (i >= len(shape.numbers) or not invoice_key(shape.numbers[i]))

    new_rows, like = _added_rows(plan, shape, keys, rows_by_no)
    cells: list[Cell] = []
    matched = 0

    def put_row(row: int, values: Sequence[Any]) -> None:
        money = pattern(row)
        for col, value in zip(tool_cols, values):
            cells.append(_cell(row, col, value, money if col in money_cols else None))

    for no, values in plan.invoice_updates.items():
        for row in rows_by_no.get(no, ()):
            put_row(row, values)
            matched += 1
    for row, values in plan.row_updates.items():
        if blank(row):
            put_row(row, values)
    if paid_col:
        for no, amount in plan.amount_paid.items():
            for row in rows_by_no.get(no, ()):
                cells.append(_cell(row, paid_col, amount, pattern(row)))
    return InvoiceWrites(
        title=shape.title,
        header_row=hrow,
        new_headers=tuple(Cell(hrow, col, name) for col, name in added),
        new_widths=tuple((col, float(max(len(name) + 4, 12))) for col, name in added),
        cells=tuple(cells),
        rows_matched=matched,
        unmatched=tuple(no for no in plan.invoice_updates if no not in rows_by_no),
        added=new_rows,
        added_like=like,
    )


def _added_rows(plan: WritePlan, shape: InvoicesShape, keys: list[str], rows_by_no: dict[str, list[int]],
                ) -> tuple[tuple[Cell, ...], int]:
    """The owner rows a run adds (recurring invoices), below the last row holding anything, in the owner's
    columns found by name now; their numbers join `rows_by_no`, so their tool columns are written too.
    A row whose number stands on the sheet already is not added again."""
    if not plan.invoice_rows_add:
        return (), 0
    last = max(shape.last_row, shape.header_row + len(shape.numbers))
    # the owner's last invoice row is the model of a new one: its cells' formats are copied where the writer can
    like = max((r for rows in rows_by_no.values() for r in rows), default=0)
    cells: list[Cell] = []
    row = last
    for values in plan.invoice_rows_add:
        number = invoice_key(dict(values).get(plan.invoice_no_header))
        if number in rows_by_no:
            continue
        row += 1
        currency = next((str(v).strip().upper() for h, v in values if normalize_name(h) == normalize_name(
            plan.currency_header) and v), plan.default_currency)
        for header, value in values:
            key = normalize_name(header)
            if key not in keys:  # the owner has no such column: nothing to put there
                continue
            money = money_pattern(currency) if isinstance(value, Decimal) else None  # the Amount
            cells.append(_cell(row, keys.index(key) + 1, value, money))
        rows_by_no[number] = [row]
    return tuple(cells), like


def _line_item_writes(plan: WritePlan, shape: AppendShape | None) -> OwnerRows | None:
    """The added invoices' lines, below the Line Items sheet's last row, in its columns found by name now."""
    if not plan.line_item_rows_add or shape is None:
        return None
    keys = [normalize_name(h) for h in shape.headers]
    last = max(shape.last_row, shape.header_row)
    cells = []
    for row, values in enumerate(plan.line_item_rows_add, start=last + 1):
        for header, value, pattern in values:
            if normalize_name(header) in keys:
                cells.append(_cell(row, keys.index(normalize_name(header)) + 1, value, pattern))
    return OwnerRows(shape.title, tuple(cells), last if last > shape.header_row else 0)


def _recurring_writes(plan: WritePlan, shape: RecurringShape | None) -> OwnerCells | None:
    """The Next Date cells, on the rows that hold the same Client ID and Description now (the row read first,
    another when the owner sorted meanwhile); a row no longer found is left alone (the next run finds its
    invoices on the sheet and moves Next Date then)."""
    if not plan.next_dates or shape is None:
        return None
    keys = [normalize_name(h) for h in shape.headers]
    key = normalize_name(plan.next_date_header)
    if key not in keys:
        return None
    column = keys.index(key) + 1
    where: dict[tuple[str, str], list[int]] = {}
    for row, cid, description in shape.keys:
        where.setdefault((invoice_key(cid), one_line(text(description)).casefold()), []).append(row)
    cells = []
    for move in plan.next_dates:
        rows = where.get((move.client_id, move.description.casefold()), [])
        if len(rows) != 1:  # gone, or two rows now: left alone
            continue
        value = plain(move.value)
        cells.append(Cell(rows[0], column, value))  # no format: the owner's own date format stays
    return OwnerCells(shape.title, tuple(cells)) if cells else None


# ---- the tool sheets ---------------------------------------------------------------------------------

def _shown_width(value: Any) -> int:
    if value.__class__ is str:
        return len(value)
    if isinstance(value, date):
        return 10
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return len(f"{value:,}")
    return len(str(value if value is not None else ""))


def _patterns(table: SheetTable, default_currency: str) -> list[list[str | None]]:
    """The number format of every cell of the table's body, row by row."""
    headers = list(table.headers)
    specs = [table.formats.get(h, "") for h in headers]
    currency_at = [headers.index(s.split(":", 1)[1]) if s.startswith("money:") and s.split(":", 1)[1] in headers
                   else None for s in specs]
    fixed = [DATE_PATTERN if spec == "date" else INT_PATTERN if spec == "int" else None for spec in specs]
    money = [(i, at) for i, (spec, at) in enumerate(zip(specs, currency_at)) if spec.startswith("money:")]
    out = []
    for row in table.rows:
        patterns = list(fixed)
        for i, at in money:
            code = str(row[at] or "").strip().upper() if at is not None else ""
            patterns[i] = money_pattern(code or default_currency)
        out.append(patterns)
    return out


def tool_sheet(title: str, table: SheetTable, default_currency: str, recreate: bool = False) -> ToolSheet:
    headers = list(table.headers)
    cells = [Cell(1, c, h) for c, h in enumerate(headers, start=1)]
    widths = [len(h) + 2 for h in headers]
    for r, (row, patterns) in enumerate(zip(table.rows, _patterns(table, default_currency)), start=2):
        for c, (value, pattern) in enumerate(zip(row, patterns)):
            cell = _cell(r, c + 1, value, pattern)
            if cell.number_format is None and pattern == INT_PATTERN:
                cell = cell._replace(number_format=INT_PATTERN)
            cells.append(cell)
            width = _shown_width(cell.value) + 2
            if width > widths[c]:
                widths[c] = width
    return ToolSheet(title, tuple(cells), len(headers), max(len(table.rows) + 1, 2),
                     tuple(float(min(w, MAX_WIDTH)) for w in widths), recreate=recreate)


LAST_RUN_WIDTH = 21  # "2026-11-30 08:00:04" in full, not "########"


def summary_sheet(title: str, summary: SummaryTable, default_currency: str) -> ToolSheet:
    """The summary table, the as-of date two rows below it, and the chart of the totals rows under that."""
    base = tool_sheet(title, summary.table, default_currency, recreate=True)
    n_rows = len(summary.table.rows)
    as_of_row = n_rows + 3
    cells = base.cells + (Cell(as_of_row, 1, "As of"), _cell(as_of_row, 2, summary.as_of))
    bold = ((as_of_row, 1),)
    widths = base.widths
    if summary.last_run is not None:  # the heartbeat, on the free row between the as-of date and the chart
        last = summary.last_run
        cells += (Cell(as_of_row + 1, 1, "Last run"), _cell(as_of_row + 1, 2, last.at), _cell(as_of_row + 1, 3, last.text))
        bold += ((as_of_row + 1, 1),)
        widths = tuple(max(w, float(LAST_RUN_WIDTH)) if i == 1 else w for i, w in enumerate(widths))
    chart = None
    if summary.total_rows:
        headers = list(summary.table.headers)
        currency_at = headers.index("Currency")
        first_total = n_rows + 2 - summary.total_rows
        chart = Chart(
            header_row=1,
            first_column=headers.index(summary.bucket_labels[0]) + 1,
            last_column=headers.index(summary.bucket_labels[-1]) + 1,
            series=tuple((r, str(summary.table.rows[r - 2][currency_at])) for r in range(first_total, n_rows + 2)),
            anchor_row=as_of_row + 2,
        )
    return ToolSheet(title, cells, base.columns, base.filter_rows, widths, bold, chart, True)


# ---- the Reminder Log ------------------------------------------------------------------------------------

def log_columns(headers: Sequence[str]) -> list[int]:
    """1-based columns of LOG_COLUMNS in a log with these headers (missing ones after the last header)."""
    return _columns(headers, LOG_COLUMNS)[0]


def place_rows(updates: Sequence[tuple[int, tuple]], message_ids: Sequence[str] | None, header_row: int = 1,
               ) -> tuple[list[tuple[int, tuple]], list[tuple]]:
    """Log rows to overwrite, found again by Message ID: (expected row, values) -> (row now, values), and the
    values whose row is gone. A row still where it was keeps its place; two rows of one message (a send
    planned again after a crash) take the two updates in either order: each is a whole row.
    With `message_ids` None (not re-read) every row stays where it was expected."""
    if message_ids is None:
        return list(updates), []
    id_at = LOG_COLUMNS.index("Message ID")
    free: dict[str, list[int]] = {}
    for i, v in enumerate(message_ids):
        if str(v or "").strip():
            free.setdefault(str(v).strip(), []).append(header_row + 1 + i)
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


def log_rows(shape: LogShape, rows: Sequence[tuple[int, tuple]]) -> tuple[Cell, ...]:
    """The cells of whole log rows (values in LOG_COLUMNS order) in the log's own columns."""
    cols = log_columns(shape.headers) if shape.title is not None else list(range(1, len(LOG_COLUMNS) + 1))
    return tuple(_cell(r, c, v) for r, values in rows for c, v in zip(cols, values))


def _log_writes(plan: WritePlan, shape: LogShape) -> LogWrites | None:
    if not plan.log_append and not plan.log_updates:
        return None
    create = shape.title is None
    if create:
        headers, added, hrow, last = tuple(LOG_COLUMNS), [], 1, 1
        new_headers = tuple(Cell(1, c, h) for c, h in enumerate(LOG_COLUMNS, start=1))
    else:
        hrow, headers, last = shape.header_row, shape.headers, max(shape.last_row, shape.header_row)
        added = _columns(headers, LOG_COLUMNS)[1]
        new_headers = tuple(Cell(hrow, c, h) for c, h in added)
    placed, gone = place_rows(list(plan.log_updates.items()), None if create else shape.message_ids, hrow)
    placed = [(r, v) for r, v in placed if r > hrow]
    appends = list(plan.log_append) + gone
    rows = placed + [(last + i, values) for i, values in enumerate(appends, start=1)]
    fresh = LogShape(shape.title or plan.log_sheet, hrow, tuple(headers) + tuple(n for _, n in added))
    return LogWrites(
        title=shape.title or plan.log_sheet,
        create=create,
        header_row=hrow,
        new_headers=new_headers,
        cells=log_rows(fresh, rows),
        last_row=last + len(appends),
        widths=tuple(float(w) for w in LOG_WIDTHS) if create else (),
    )


# ---- all of it ---------------------------------------------------------------------------------------------

def header_row(rows: Iterable[tuple[int, Sequence[Any]]], wanted: str) -> tuple[int, tuple[str, ...]]:
    """The header row among `rows` ((row number, values), top down): the first of the first ten that holds
    `wanted`, else the first non-empty one, else row 1; with its cells as header texts ("" for a blank)."""
    key = normalize_name(wanted)
    first: tuple[int, Sequence[Any]] | None = None
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        if any(normalize_name(v) == key for v in values if v is not None):
            first = (number, values)
            break
        if first is None and any(v not in (None, "") for v in values):
            first = (number, values)
    number, values = first or (1, ())
    return number, tuple("" if v in (None, "") else str(v).strip() for v in values)


def _fresh_answers(table: SheetTable, approvals: Mapping[str, Any] | None) -> SheetTable:
    """The Outgoing table with each waiting row's Approve as the sheet holds it now (the owner may have answered
    while the run was sending): a row found by its Key takes the answer standing there."""
    if not approvals:
        return table
    approve, key = table.headers.index("Approve"), table.headers.index("Key")
    rows = tuple(row if row[key] not in approvals else (*row[:approve], approvals[row[key]] or None, *row[approve + 1:])
                 for row in table.rows)
    return SheetTable(table.headers, rows, table.formats)


def lay_out(plan: WritePlan, shape: Shape) -> Writes:
    """The cells and sheets that carry `plan` into a workbook of this `shape`."""
    sheets = []
    if plan.aging is not None:
        sheets.append(tool_sheet(find_sheet(shape.titles, plan.aging_sheet) or plan.aging_sheet, plan.aging,
                                 plan.default_currency))
    if plan.summary is not None:
        sheets.append(summary_sheet(find_sheet(shape.titles, plan.summary_sheet) or plan.summary_sheet, plan.summary,
                                    plan.default_currency))
    if plan.outgoing is not None:  # the owner's Approve: a dropdown in the tool's sheet
        outgoing = tool_sheet(find_sheet(shape.titles, plan.outgoing_sheet) or plan.outgoing_sheet,
                              _fresh_answers(plan.outgoing, shape.approvals), plan.default_currency)
        sheets.append(replace(outgoing, dropdown=(plan.outgoing.headers.index("Approve") + 1, APPROVE_CHOICES)))
    return Writes(
        invoices=_invoice_writes(plan, shape.invoices) if shape.invoices is not None else None,
        sheets=tuple(sheets),
        log=_log_writes(plan, shape.log),
        # Next Date moves, and lines are added, only with the invoice rows they go with: an Invoices sheet that
        # cannot be matched now (its Invoice No header renamed meanwhile) adds nothing, so nothing moves
        recurring=_recurring_writes(plan, shape.recurring) if shape.invoices is not None else None,
        line_items=_line_item_writes(plan, shape.line_items) if shape.invoices is not None else None,
    )

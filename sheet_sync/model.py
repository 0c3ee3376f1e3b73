"""Typed records that flow through the pipeline, and the names of sheets and columns.

Everything here is plain data: frozen dataclasses with tuple fields, no IO.
"""
from __future__ import annotations

import re
from enum import StrEnum
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal
from typing import Any, Iterable, Mapping

from sheet_sync.cells import visible

# Canonical sheet names (the config may rename them; matching ignores case and spaces).
CLIENTS = "Clients"
INVOICES = "Invoices"
PAYMENTS = "Payments"
LINE_ITEMS = "Line Items"
AGING = "Aging"
AGING_SUMMARY = "Aging Summary"
REMINDER_LOG = "Reminder Log"
RECURRING = "Recurring"
OUTGOING = "Outgoing"  # with reminders.approval: the messages waiting for the owner's Approve

# Columns the tool owns on the Invoices sheet, in the order they are added at the right end.
TOOL_COLUMNS = (
    "Balance",
    "Days Overdue",
    "Aging Bucket",
    "Sync Status",
    "Last Reminder",
    "Next Reminder",
    "Sync Notes",
)
# A tool column added at the right end only once the feature is used: a `Ready` row, or an `invoice` stage in the log.
INVOICE_SENT = "Invoice Sent"
# A tool column added at the right end while `reminders.late_fee` is set: the invoice's late fee as of the run.
LATE_FEE = "Late Fee"

LOG_COLUMNS = (
    "Logged At",
    "Invoice No",
    "Client ID",
    "Stage",
    "To",
    "Subject",
    "Message ID",
    "Transport",
    "State",
    "Detail",
)

# The owner's headers on each sheet they keep (`*` ones are required: see load.REQUIRED).
CLIENT_HEADERS = (
    "Client ID", "Name", "Email", "CC", "Contact Name", "Language", "Payment Terms", "Reminders",
    "Tax ID", "Address", "Phone", "Notes",
)
INVOICE_HEADERS = (
    "Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "Amount Paid", "Paid Date",
    "Status", "Hold Until", "PO Number", "Payment Link", "Note to Client", "Description",
)
PAYMENT_HEADERS = ("Invoice No", "Date", "Amount", "Method", "Reference")
LINE_ITEM_HEADERS = ("Invoice No", "Description", "Quantity", "Unit Price", "Tax Rate")
RECURRING_HEADERS = ("Client ID", "Description", "Amount", "Currency", "Every", "Next Date", "End Date", "Send", "Lines")
SHEET_HEADERS = {CLIENTS: CLIENT_HEADERS, INVOICES: INVOICE_HEADERS, PAYMENTS: PAYMENT_HEADERS, REMINDER_LOG: LOG_COLUMNS,
                 LINE_ITEMS: LINE_ITEM_HEADERS, RECURRING: RECURRING_HEADERS}


class Status(StrEnum):
    """An invoice's `Sync Status`, in the SPEC's words (the owner types some of them in `Status`)."""

    DRAFT = "Draft"
    CURRENT = "Current"
    DUE_SOON = "Due Soon"
    OVERDUE = "Overdue"
    PARTIALLY_PAID = "Partially Paid"
    PAID = "Paid"
    DISPUTED = "Disputed"
    ON_HOLD = "On Hold"
    VOID = "Void"
    WRITTEN_OFF = "Written Off"
    REPLIED = "Replied"  # the client answered (read from the mailbox): reminders wait
    NEEDS_ATTENTION = "Needs Attention"
    PROBLEM = "Problem"


STATUSES = tuple(Status)
# The owner's Status values that stand as the Sync Status (precedence below Problem only).
OWNER_KEPT = (Status.DRAFT, Status.PAID, Status.DISPUTED, Status.ON_HOLD, Status.VOID, Status.WRITTEN_OFF)
# What the owner may type in the Status column ("Sent" says the invoice went out; it changes nothing; "Ready" asks
# the tool to send the invoice itself on the next run, after which it ages and is reminded like "Sent").
READY = "Ready"
OWNER_STATUSES = ("Draft", READY, "Sent", "Paid", "Disputed", "On Hold", "Void", "Written Off")
# Closed invoices: no days overdue, no bucket, not in the Aging tabs.
CLOSED = (Status.DRAFT, Status.PAID, Status.VOID, Status.WRITTEN_OFF)
# Statuses that an open, unpaid invoice may have; Needs Attention overrides them.
CHASED = (Status.PARTIALLY_PAID, Status.OVERDUE, Status.DUE_SOON, Status.CURRENT)


class SendState(StrEnum):
    """A Reminder Log row's `State`."""

    PENDING = "pending"  # about to be sent, or sending when the run stopped
    QUEUED = "queued"  # planned, surely not sent yet
    SKIPPED = "skipped"  # planned, left for the next run
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # may have gone out; never sent again on its own
    RETRY = "retry"  # set by the owner: send an unconfirmed one again
    PLANNED = "planned"  # a dry run's would-send (never written)
    RECEIVED = "received"  # a reply read from the mailbox (stage `reply`)
    BOUNCED = "bounced"  # a bounce read from the mailbox (stage `bounce`)


# A row in one of these states counts as that stage sent (it may have reached the client).
DELIVERED = (SendState.SENT, SendState.PENDING, SendState.UNCONFIRMED)
# States left by a run that stopped before it recorded the outcome.
OPEN = (SendState.PENDING, SendState.QUEUED)
# Messages that did not surely arrive.
NOT_DELIVERED = (SendState.FAILED, SendState.UNCONFIRMED)

LANGUAGES = ("en", "ko", "zh")
STAGES = ("upcoming", "gentle", "firm", "final")
THANKS = "thanks"  # once, when an invoice that got a reminder is paid
INVOICE = "invoice"  # the invoice itself, with its PDF, for a `Ready` row; once


def message_name(stage: str) -> str:
    """A stage as a note names its message: "gentle reminder", "invoice message", "thank-you"."""
    return {INVOICE: "invoice message", THANKS: "thank-you"}.get(stage, f"{stage} reminder")
MESSAGES = (*STAGES, INVOICE, THANKS)  # every kind of message a client may get, each with its templates

_SPACES = re.compile(r"[\s_]+")


def normalize_name(name: object) -> str:
    """Key for matching sheet and header names: case- and space-insensitive."""
    if name is None:
        return ""
    return _SPACES.sub("", str(name)).casefold()


def invoice_key(value: object) -> str:
    """The text form of an Invoice No or Client ID cell, so `1001`, `1001.0` and `"1001 "` match."""
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value).strip()


def adjacent_spans(columns: Iterable[int]) -> list[tuple[int, int]]:
    """Columns as (first, end) spans of adjacent ones, `end` past the last: [8, 16, 17, 18] -> [(8, 9), (16, 19)]."""
    spans: list[list[int]] = []
    for c in sorted(columns):
        if spans and spans[-1][1] == c:
            spans[-1][1] = c + 1
        else:
            spans.append([c, c + 1])
    return [(a, b) for a, b in spans]


def column_number(letters: str) -> int:
    """A -> 1, AA -> 27, up to ZZZ; ValueError for anything else (as openpyxl's column_index_from_string)."""
    key = letters.upper()
    if not 1 <= len(key) <= 3 or not key.isascii() or not key.isalpha():
        raise ValueError(f"{letters} is not a valid column name")
    number = 0
    for ch in key:
        number = number * 26 + ord(ch) - 64
    return number


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def quote_sheet(sheet: str) -> str:
    """A sheet name as it stands in an A1 reference: quoted when it holds anything but letters/digits."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True, order=True)
class CellRef:
    """A cell (or a whole row when column is 0) in the owner's workbook."""

    sheet: str
    row: int
    column: int = 0

    def __str__(self) -> str:
        if self.column:
            return f"{quote_sheet(self.sheet)}!{column_letter(self.column)}{self.row}"
        return f"{quote_sheet(self.sheet)}!{self.row}:{self.row}"


@dataclass(frozen=True)
class Problem:
    """Something wrong with the owner's data: where, and one plain sentence that names the fix."""

    cell: CellRef | None
    message: str
    invoice_no: str = ""
    blocking: bool = True  # False: a warning; the row is still processed

    def __post_init__(self) -> None:
        # the message quotes the owner's cell: its control characters are shown, never carried along
        object.__setattr__(self, "message", visible(self.message))

    def __str__(self) -> str:
        return f"{self.cell}: {self.message}" if self.cell else self.message


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    emails: tuple[str, ...]
    cc: tuple[str, ...] = ()
    contact_name: str = ""
    language: str = "en"
    terms_days: int | None = None
    reminders: bool = True
    row: int = 0
    email_problem: Problem | None = None  # set when no valid address: its invoices become Problems
    email_cell: CellRef | None = None  # the Email cell, for a problem found later (a bounce)
    # shown on the invoice PDF only
    tax_id: str = ""
    address: str = ""  # may hold line breaks, as the owner typed them
    phone: str = ""


@dataclass(frozen=True)
class Invoice:
    """One Invoices row, typed. Fields that could not be read are None and a Problem says why."""

    invoice_no: str
    client_id: str
    row: int
    issue_date: date | None = None
    due_date: date | None = None
    currency: str = ""
    amount: Decimal | None = None
    amount_paid: Decimal = Decimal(0)
    paid_date: date | None = None
    status: str = ""  # the owner's Status, normalised to OWNER_STATUSES or ""
    hold_until: date | None = None
    po_number: str = ""
    payment_link: str = ""
    note_to_client: str = ""
    description: str = ""  # what the invoice is for, in the owner's words; shown to the client


@dataclass(frozen=True)
class Payment:
    invoice_no: str
    date: date | None
    amount: Decimal
    row: int


@dataclass(frozen=True)
class LineItem:
    """One Line Items row: a line of an invoice's PDF. `net` and `tax` are rounded to the currency's minor
    unit line by line, as the PDF shows them; the invoice's Amount is the sum of both over its lines."""

    invoice_no: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal  # a fraction: 0.1 is 10 %
    net: Decimal
    tax: Decimal
    row: int = 0


@dataclass(frozen=True)
class LogEntry:
    """One row of the Reminder Log (or of the crash journal merged into it)."""

    logged_at: datetime
    invoice_no: str
    client_id: str
    stage: str
    to: str
    subject: str
    message_id: str
    transport: str
    state: SendState
    detail: str = ""
    row: int = 0

    def as_row(self, tz: tzinfo = timezone.utc) -> tuple[Any, ...]:
        """The row in LOG_COLUMNS order; `Logged At` a date-time in `tz` (the owner's time zone), to the second."""
        return (
            self.logged_at.astimezone(tz).replace(tzinfo=None, microsecond=0),
            self.invoice_no,
            self.client_id,
            self.stage,
            self.to,
            self.subject,
            self.message_id,
            self.transport,
            self.state,
            self.detail,
        )


@dataclass(frozen=True)
class Book:
    """The owner's workbook, typed."""

    clients: Mapping[str, Client]
    invoices: tuple[Invoice, ...]
    payments: tuple[Payment, ...]
    log: tuple[LogEntry, ...]
    problems: tuple[Problem, ...]
    has_payments_sheet: bool = False
    line_items: Mapping[str, tuple[LineItem, ...]] = field(default_factory=dict)  # Invoice No -> its lines, in order
    recurring: tuple[Recurring, ...] = ()  # the Recurring sheet's readable rows (recurring.py plans from them)
    invoice_columns: frozenset[str] | None = None  # the Invoices sheet's canonical headers (None: not known)
    outgoing: tuple[Waiting, ...] = ()  # the Outgoing sheet's rows (with reminders.approval; approval.py decides)

    def has_invoice_column(self, canonical: str) -> bool:
        return self.invoice_columns is None or canonical in self.invoice_columns


@dataclass(frozen=True)
class Recurring:
    """One row of the optional Recurring sheet: an invoice added to Invoices once per period."""

    row: int
    client_id: str
    description: str
    amount: Decimal
    currency: str
    months: int  # the period: months, or (when 0) days
    days: int
    next_date: date
    end_date: date | None
    send: bool  # add the invoice as `Ready`
    next_date_as_text: bool = False  # the owner typed Next Date as text: it is written back as text
    next_date_cell: CellRef | None = None
    lines: tuple[LineItem, ...] = ()  # copied for each new invoice from the invoice that `Lines` names


# The Outgoing sheet (reminders.approval): one row per message waiting for the owner's word. `Approve` is the owner's
# cell inside the tool's sheet (a dropdown of APPROVE_CHOICES); `Key` is how the tool finds the row's message again.
OUTGOING_COLUMNS = ("Approve", "Client", "To", "Invoices", "Stage", "Subject", "First Lines", "Preview", "Queued On",
                    "Key")
APPROVE_CHOICES = ("yes", "no", "hold")
# The Reminder Log's Detail of a stage the owner answered `no` to (State `skipped`): it is never asked again.
NOT_APPROVED = "not approved"


def is_declined(entry: LogEntry) -> bool:
    """A log row that says the owner did not approve this stage for this invoice (Outgoing, `no`)."""
    return entry.state == SendState.SKIPPED and entry.detail.strip().casefold().startswith(NOT_APPROVED)


@dataclass(frozen=True)
class Waiting:
    """One row of the Outgoing sheet as read."""

    row: int
    parts: tuple[tuple[str, str], ...]  # (invoice_no, stage) of each invoice the message is about, from its Key
    approve: str  # "yes", "no", "hold", "" (blank), or the owner's text when it is none of these
    values: tuple[Any, ...]  # the row's cells in OUTGOING_COLUMNS order, as read
    approve_cell: CellRef | None = None


# ---- what the write-back edge receives -------------------------------------------------------

@dataclass(frozen=True)
class SheetTable:
    """A tool-owned table: headers and rows of plain values (str, int, Decimal, date, None).

    `formats` maps a header to how its cells look: "date", "int", "text", or "money:<Header>"
    (a money amount whose currency code stands in column <Header> of the same row).
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    formats: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LastRun:
    """The heartbeat under the summary's as-of date: when the run was (a date-time in aging.timezone, without a
    zone, as the sheet shows it) and what it did, in words."""

    at: datetime
    text: str


@dataclass(frozen=True)
class SummaryTable:
    """The Aging Summary sheet: a table with totals rows, the as-of date and a bucket chart."""

    table: SheetTable
    as_of: date
    bucket_labels: tuple[str, ...]  # the headers the chart plots, in order
    total_rows: int = 0  # how many rows at the end are per-currency totals
    last_run: LastRun | None = None  # the heartbeat (heartbeat.py), written by every run that writes


@dataclass(frozen=True)
class NextDate:
    """A Recurring row's `Next Date` moved on, found again at write time by its Client ID and Description."""

    row: int  # the row it stood on at the read
    client_id: str
    description: str
    value: Any  # a date, or ISO text when the owner typed the date as text


@dataclass(frozen=True)
class WritePlan:
    """Everything a sync writes, addressed by Invoice No, never by row position."""

    invoices_sheet: str  # the sheet's title as the config names it (matched case/space-insensitively)
    invoice_no_header: str  # the header of the Invoice No column
    tool_columns: tuple[str, ...]  # headers of the tool-owned columns, added at the right end when missing
    invoice_updates: Mapping[str, tuple[Any, ...]]  # Invoice No -> values in tool_columns order
    row_updates: Mapping[int, tuple[Any, ...]]  # rows with a blank Invoice No -> values (only while still blank)
    amount_paid_header: str = "Amount Paid"
    amount_paid: Mapping[str, Decimal] = field(default_factory=dict)  # with a Payments sheet: the sums
    currency_header: str = "Currency"
    default_currency: str = "USD"  # the money format of a row whose Currency is blank
    aging_sheet: str = AGING
    aging: SheetTable | None = None
    summary_sheet: str = AGING_SUMMARY
    summary: SummaryTable | None = None
    log_sheet: str = REMINDER_LOG
    log_append: tuple[tuple[Any, ...], ...] = ()  # rows in LOG_COLUMNS order
    log_updates: Mapping[int, tuple[Any, ...]] = field(default_factory=dict)  # log row -> new values (LOG_COLUMNS order)
    # recurring invoices: the only owner rows the tool adds (owner's header -> value), after the last used row
    invoice_rows_add: tuple[tuple[tuple[str, Any], ...], ...] = ()
    recurring_sheet: str = RECURRING
    # the added invoices' lines: (owner's header, value, number format or None) for each cell of each row
    line_item_rows_add: tuple[tuple[tuple[str, Any, str | None], ...], ...] = ()
    line_items_sheet: str = LINE_ITEMS
    next_dates: tuple[NextDate, ...] = ()  # Recurring `Next Date` cells moved on
    next_date_header: str = "Next Date"
    recurring_key_headers: tuple[str, str] = ("Client ID", "Description")
    money_columns: tuple[str, ...] = ()  # tool columns besides Balance shown as money in the row's currency (Late Fee)
    # with reminders.approval: the Outgoing sheet, rewritten whole (None: left alone); its Approve column a dropdown
    outgoing_sheet: str = OUTGOING
    outgoing: SheetTable | None = None


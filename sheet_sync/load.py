"""Raw sheets -> a typed Book and the problems found on the way. Pure: no IO.

Each bad cell becomes a Problem naming its cell and the fix; the row is skipped or kept as the
problem allows, and every other row is still read.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Mapping

from babel.numbers import list_currencies

from sheet_sync import cells
from sheet_sync.line_items import check_totals, load_line_items
from sheet_sync.recurring_load import load_recurring
from sheet_sync.money import parse_money
from sheet_sync.raw import RawBook, RawSheet
from sheet_sync.config import Config
from sheet_sync.errors import SheetSyncError
from sheet_sync.model import (
    CLIENTS, INVOICES, LINE_ITEMS, PAYMENTS, RECURRING, REMINDER_LOG, SHEET_HEADERS, Book, CellRef, Client, Invoice, LogEntry,
    Payment, Problem, invoice_key,
)
from sheet_sync.model import APPROVE_CHOICES, MESSAGES, OUTGOING, OUTGOING_COLUMNS, Waiting

REQUIRED = {
    CLIENTS: ("Client ID", "Name", "Email"),
    INVOICES: ("Invoice No", "Client ID", "Issue Date", "Amount"),
    PAYMENTS: ("Invoice No", "Amount"),
    REMINDER_LOG: ("Invoice No", "Stage", "State"),
}
_CURRENCIES = frozenset(list_currencies())
MAX_KEY_LENGTH = 100  # an Invoice No or Client ID names files and headers


def wanted_sheets(config: Config) -> dict[str, tuple[str, dict[str, str]]]:
    """What a backend should read: canonical sheet -> (owner's sheet name, {canonical: owner's header})."""
    wanted = {
        sheet: (config.sheet_name(sheet), {h: config.column_name(h) for h in headers})
        for sheet, headers in SHEET_HEADERS.items()
    }
    if config.reminders.approval:  # the tool's own sheet, its headers its own: the owner's Approve is read from it
        wanted[OUTGOING] = (config.sheet_name(OUTGOING), {h: h for h in OUTGOING_COLUMNS})
    return wanted


class _Rows:
    """Iterates a RawSheet's rows and makes cell references and problems for them."""

    def __init__(self, sheet: RawSheet, problems: list[Problem], canonical: str, config: Config):
        self.sheet = sheet
        self.problems = problems
        self.config = config
        missing = [h for h in REQUIRED[canonical] if h not in sheet.columns]
        if missing:
            names = ", ".join(f"'{config.column_name(h)}'" for h in missing)
            raise SheetSyncError(
                f"The {sheet.title} sheet has no {names} column (headers are read from row {sheet.header_row}); "
                "add it or rename it in [workbook.columns]."
            )

    def __iter__(self):
        return iter(self.sheet.rows)

    def cell(self, row: int, header: str) -> CellRef:
        return CellRef(self.sheet.title, row, self.sheet.column_of(header))

    def problem(self, row: int, header: str, message: str, invoice_no: str = "", blocking: bool = True) -> Problem:
        p = Problem(self.cell(row, header), message, invoice_no, blocking)
        self.problems.append(p)
        return p


def load_book(raw: RawBook, config: Config) -> Book:
    """Type every row of the owner's sheets; bad cells become Problems, never exceptions."""
    for sheet in (CLIENTS, INVOICES):
        if sheet not in raw:
            raise SheetSyncError(
                f"The workbook has no '{config.sheet_name(sheet)}' sheet; add it (see the README for its columns) "
                "or name yours in [workbook.sheets]."
            )
    problems: list[Problem] = []
    clients = _load_clients(_Rows(raw[CLIENTS], problems, CLIENTS, config), config)
    invoice_rows = _Rows(raw[INVOICES], problems, INVOICES, config)
    payments: tuple[Payment, ...] = ()
    payment_problems: list[Problem] = []  # (said after the invoices' own)
    if PAYMENTS in raw:  # read first, so that each invoice is made once, with what its payments add up to
        currency_of = {invoice_key(v.get("Invoice No")): _currency(v, config) for _, v in invoice_rows}
        currency_of.pop("", None)
        payments = _load_payments(_Rows(raw[PAYMENTS], payment_problems, PAYMENTS, config), currency_of, config)
    invoices = _load_invoices(invoice_rows, clients, raw[CLIENTS], config, problems,
                              _paid(payments) if PAYMENTS in raw else None)
    problems += payment_problems
    log = _load_log(_Rows(raw[REMINDER_LOG], problems, REMINDER_LOG, config), config.tz) if REMINDER_LOG in raw else ()
    line_items = {}
    if LINE_ITEMS in raw:  # the invoice PDF's lines; lines that do not add up to the Amount make a Problem
        line_items = load_line_items(raw[LINE_ITEMS], invoices, config, problems)
        problems.extend(check_totals(line_items, invoices, raw[INVOICES].column_of("Amount"), raw[INVOICES].title,
                                     raw[LINE_ITEMS].title))
    # the invoices to add once per period (recurring.py plans them against the as-of date)
    recurring = (load_recurring(raw[RECURRING], clients, config, problems, line_items, invoices)
                 if RECURRING in raw else ())
    outgoing = _load_outgoing(raw[OUTGOING], problems) if OUTGOING in raw and config.reminders.approval else ()
    return Book(clients, tuple(invoices), payments, log, tuple(problems), PAYMENTS in raw, line_items, recurring,
                frozenset(raw[INVOICES].columns), outgoing)


def _load_clients(rows: _Rows, config: Config) -> dict[str, Client]:
    clients: dict[str, Client] = {}
    seen: Counter[str] = Counter(invoice_key(v.get("Client ID")) for _, v in rows)
    for row, v in rows:
        cid = invoice_key(v.get("Client ID"))
        if not cid:
            rows.problem(row, "Client ID", "this client has no Client ID; invoices cannot refer to it.", blocking=False)
            continue
        if cells.has_control(cid) or len(cid) > MAX_KEY_LENGTH:
            rows.problem(row, "Client ID", f"Client ID '{cells.visible(cid)[:60]}' is not one short line; write it "
                         f"without line breaks or control characters, in at most {MAX_KEY_LENGTH} characters.")
            continue
        if seen[cid] > 1:
            rows.problem(row, "Client ID", f"Client ID '{cid}' stands on {seen[cid]} rows; give each client its own ID.")
            clients.pop(cid, None)
            continue
        emails = cells.split_emails(v.get("Email"))
        email_problem = None
        if not emails:
            email_problem = Problem(rows.cell(row, "Email"), f"client '{cid}' has no email address.")
        else:
            bad = [e for e in emails if cells.check_email(e)]
            if bad:
                reason = cells.check_email(bad[0])
                email_problem = Problem(rows.cell(row, "Email"), f"client '{cid}': {reason}")
        cc = []
        for address in cells.split_emails(v.get("CC")):
            if err := cells.check_email(address):
                rows.problem(row, "CC", f"{err} It is left out of the CC.", blocking=False)
            else:
                cc.append(address)
        language, err = cells.parse_language(v.get("Language"))
        if err:
            rows.problem(row, "Language", f"{err} Writing in '{config.reminders.default_language}'.", blocking=False)
        terms, err = cells.parse_terms(v.get("Payment Terms"))
        if err:
            rows.problem(row, "Payment Terms", err, blocking=False)
        reminders, err = cells.parse_flag(v.get("Reminders"))
        if err:
            rows.problem(row, "Reminders", err, blocking=False)
        name = cells.one_line(cells.text(v.get("Name")))
        if not name:
            rows.problem(row, "Name", f"client '{cid}' has no name; messages greet the contact or the Client ID.", blocking=False)
        clients[cid] = Client(
            client_id=cid,
            name=name or cells.one_line(cells.text(v.get("Contact Name"))) or cid,
            emails=emails,
            cc=tuple(cc),
            contact_name=cells.one_line(cells.text(v.get("Contact Name"))),
            language=language or config.reminders.default_language,
            terms_days=terms,
            reminders=reminders,
            row=row,
            email_problem=email_problem,
            email_cell=rows.cell(row, "Email"),
            tax_id=cells.one_line(cells.text(v.get("Tax ID"))),
            address=cells.paragraphs(cells.text(v.get("Address"))).strip(),
            phone=cells.one_line(cells.text(v.get("Phone"))),
        )
    return clients


def _rows_of_client(clients_sheet: RawSheet, cid: str) -> list[CellRef]:
    """The Client ID cells on which `cid` stands."""
    column = clients_sheet.column_of("Client ID")
    return [CellRef(clients_sheet.title, r, column) for r, v in clients_sheet.rows if invoice_key(v.get("Client ID")) == cid]


def _currency(v: Mapping[str, object], config: Config) -> str:
    """An Invoices row's currency code ("" when the Currency cell is not one; a blank one is the default)."""
    return _currency_code(v.get("Currency"), config.aging.default_currency)


@lru_cache(maxsize=256)  # a book holds a few currencies (a cell is text, a number or blank: hashable)
def _currency_code(cell: object, default: str) -> str:
    currency = cells.text(cell).upper() or default
    return currency if currency in _CURRENCIES else ""


def _load_invoices(
    rows: _Rows, clients: Mapping[str, Client], clients_sheet: RawSheet, config: Config, problems: list[Problem],
    payments: Mapping[str, tuple[Decimal, date | None]] | None = None,
) -> list[Invoice]:
    """The Invoices rows, typed. With a Payments sheet (`payments`: invoice -> the sum of its payments and the
    last one's date), Amount Paid is that sum, and the last payment dates a full one that has no Paid Date."""
    order = config.workbook.date_order
    counts: Counter[str] = Counter(invoice_key(v.get("Invoice No")) for _, v in rows)
    invoices: list[Invoice] = []
    for row, v in rows:
        no = invoice_key(v.get("Invoice No"))
        if not no:
            rows.problem(row, "Invoice No", "this row has no Invoice No, so it is skipped; give it a unique number.")
            continue
        if counts[no] > 1:
            rows.problem(row, "Invoice No", f"Invoice No '{cells.visible(no)}' stands on {counts[no]} rows; each invoice "
                         "needs its own number.", no)
        if cells.has_control(no) or len(no) > MAX_KEY_LENGTH:
            rows.problem(row, "Invoice No", f"Invoice No '{cells.visible(no)[:60]}' is not one short line; write it "
                         f"without line breaks or control characters, in at most {MAX_KEY_LENGTH} characters.", no)

        def bad(header: str, message: str, blocking: bool = True) -> None:
            rows.problem(row, header, message, no, blocking)

        cid = invoice_key(v.get("Client ID"))
        client = clients.get(cid)
        if cells.has_control(cid) or len(cid) > MAX_KEY_LENGTH:
            bad("Client ID", f"Client ID '{cells.visible(cid)[:60]}' is not one short line; write it as on the "
                f"{config.sheet_name(CLIENTS)} sheet.")
            client = None
        elif not cid:
            bad("Client ID", "this invoice has no Client ID; write the ID of a client on the Clients sheet.")
        elif client is None and len(twice := _rows_of_client(clients_sheet, cid)) > 1:
            bad("Client ID", f"client '{cells.visible(cid)}' stands on {len(twice)} rows of the "
                f"{config.sheet_name(CLIENTS)} sheet ({', '.join(map(str, twice))}); keep one, so that this invoice "
                "has one client.")
        elif client is None:
            bad("Client ID", f"client '{cells.visible(cid)}' is not on the {config.sheet_name(CLIENTS)} sheet; add it or fix the ID.")
        elif client.email_problem is not None:
            problems.append(Problem(client.email_problem.cell, client.email_problem.message + " No reminder can be sent.", no))

        currency = _currency(v, config)
        if not currency:
            bad("Currency", f"'{cells.text(v.get('Currency'))}' is not a currency code; write one like USD, KRW or CNY.")
        amount, err = parse_money(v.get("Amount"), currency) if currency else (None, "")
        if err:
            bad("Amount", err)
        elif amount is None and currency:
            bad("Amount", "the Amount is blank; write the invoice total.")
        paid, err = parse_money(v.get("Amount Paid"), currency) if currency else (None, "")
        if err:
            bad("Amount Paid", err)

        issue, err = cells.parse_date(v.get("Issue Date"), order)
        if err:
            bad("Issue Date", err)
        elif issue is None:
            bad("Issue Date", "the Issue Date is blank; write the date the invoice was sent.")
        due, err = cells.parse_date(v.get("Due Date"), order)
        if err:
            bad("Due Date", err)
        elif due is None and issue is not None and client is not None:
            if client.terms_days is None:
                terms_cell = CellRef(clients_sheet.title, client.row, clients_sheet.column_of("Payment Terms"))
                bad("Due Date", f"the Due Date is blank and client '{cid}' has no Payment Terms I can read "
                    f"({terms_cell}); write a due date here or the terms there.")
            else:
                due = issue + timedelta(days=client.terms_days)
        if due is not None and issue is not None and due < issue:
            bad("Due Date", f"the Due Date {due.isoformat()} is before the Issue Date {issue.isoformat()}.", blocking=False)

        paid_date, err = cells.parse_date(v.get("Paid Date"), order)
        if err:
            bad("Paid Date", err, blocking=False)
        hold, err = cells.parse_date(v.get("Hold Until"), order)
        if err:
            bad("Hold Until", err + " No reminder is sent until it is fixed.")
        status, err = cells.parse_status(v.get("Status"))
        if err:
            bad("Status", err, blocking=False)
        if payments is not None:
            total, last = payments.get(no, _UNPAID)
            paid = paid if paid is not None and paid == total else total  # (the sum the last run wrote, as written)
            if paid_date is None and amount is not None and total >= amount and total > 0:
                paid_date = last
        invoices.append(Invoice(
            invoice_no=no,
            client_id=cid,
            row=row,
            issue_date=issue,
            due_date=due,
            currency=currency,
            amount=amount,
            amount_paid=paid if paid is not None else Decimal(0),
            paid_date=paid_date,
            status=status,
            hold_until=hold,
            po_number=cells.one_line(cells.text(v.get("PO Number"))),
            payment_link=cells.one_line(cells.text(v.get("Payment Link"))),
            note_to_client=cells.paragraphs(cells.text(v.get("Note to Client"))),
            description=cells.one_line(cells.text(v.get("Description"))),
        ))
    return invoices


def _load_payments(rows: _Rows, currency_of: Mapping[str, str], config: Config) -> tuple[Payment, ...]:
    """The Payments rows, typed (`currency_of`: each invoice's currency, "" for one that is not a code)."""
    payments = []
    for row, v in rows:
        no = invoice_key(v.get("Invoice No"))
        if not no:
            rows.problem(row, "Invoice No", "this payment names no invoice; it is not counted.", blocking=False)
            continue
        if no not in currency_of:
            rows.problem(row, "Invoice No", f"invoice '{no}' is not on the Invoices sheet; this payment is not counted.", blocking=False)
            continue
        amount, err = parse_money(v.get("Amount"), currency_of[no] or config.aging.default_currency)
        if err or amount is None:
            rows.problem(row, "Amount", (err or "the Amount is blank.") + f" This payment is not counted, so invoice '{no}' may look unpaid.", no)
            continue
        when, err = cells.parse_date(v.get("Date"), config.workbook.date_order)
        if err:
            rows.problem(row, "Date", err, no, blocking=False)
        payments.append(Payment(no, when, amount, row))
    return tuple(payments)


_UNPAID = (Decimal(0), None)


def _paid(payments: tuple[Payment, ...]) -> dict[str, tuple[Decimal, date | None]]:
    """Invoice -> the sum of its payments and the date of the last dated one."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    last: dict[str, date] = {}
    for p in payments:
        totals[p.invoice_no] += p.amount
        if p.date and (p.invoice_no not in last or p.date > last[p.invoice_no]):
            last[p.invoice_no] = p.date
    return {no: (total, last.get(no)) for no, total in totals.items()}


def logged_at(value: object, tz: tzinfo) -> datetime:
    """A `Logged At` cell: a date-time (or a date-time serial, as Google Sheets gives it) in the owner's time
    zone, to the second; or, as older logs hold it, ISO 8601 text (UTC unless it says otherwise)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        try:
            value = cells.EXCEL_EPOCH_TIME + timedelta(days=float(value))
        except OverflowError:
            value = None
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=tz)
        return (at + timedelta(microseconds=500_000)).replace(microsecond=0)  # a serial's float comes back ±1 µs
    try:
        at = datetime.fromisoformat(cells.text(value).replace("Z", "+00:00"))
        return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)


def _load_outgoing(sheet: RawSheet, problems: list[Problem]) -> tuple[Waiting, ...]:
    """The Outgoing sheet's rows (the tool wrote them; the owner sets Approve). A row whose Key cannot be read is
    left out (the run writes the sheet again from what is due); an Approve that is none of yes, no, hold is a
    warning naming its cell, and the row keeps waiting with the owner's text in it."""
    out = []
    for row, v in sheet.rows:
        parts = parse_key(v.get("Key"))
        if not parts:
            if not cells.is_blank(v.get("Approve")) and sheet.column_of("Key"):
                problems.append(Problem(CellRef(sheet.title, row, sheet.column_of("Key")), "this row's Key is not one "
                                        "the tool wrote, so its Approve cannot count; the message is listed again "
                                        "when it is due. Leave the Key column as the tool writes it.", blocking=False))
            continue
        raw_approve = v.get("Approve")
        answer = "" if cells.is_blank(raw_approve) else cells.text(raw_approve).strip()
        cell = CellRef(sheet.title, row, sheet.column_of("Approve")) if sheet.column_of("Approve") else None
        if answer.casefold() in APPROVE_CHOICES:
            answer = answer.casefold()
        elif answer:
            problems.append(Problem(cell, f"Approve {cells.quoted(answer)} is none of yes, no, hold; the message "
                                          "keeps waiting. Choose one from the cell's list.", parts[0][0],
                                    blocking=False))
        values = tuple(None if cells.is_blank(v.get(h)) else v.get(h) for h in OUTGOING_COLUMNS)
        queued = OUTGOING_COLUMNS.index("Queued On")
        values = (*values[:queued], cells.parse_date(values[queued])[0], *values[queued + 1:])
        out.append(Waiting(row, parts, answer, values, cell))
    return tuple(out)


def outgoing_key(parts: tuple[tuple[str, str], ...]) -> str:
    """The Outgoing sheet's Key of a message: 'gentle:A-1 | firm:A-2' (each invoice with its stage)."""
    return " | ".join(f"{stage}:{no}" for no, stage in parts)


def parse_key(value: object) -> tuple[tuple[str, str], ...]:
    """An Outgoing Key back into (invoice_no, stage) pairs; () when it is not one the tool wrote."""
    if cells.is_blank(value):
        return ()
    parts = []
    for piece in cells.text(value).split(" | "):
        stage, sep, no = piece.strip().partition(":")
        if not sep or stage not in MESSAGES or not no.strip():
            return ()
        parts.append((no.strip(), stage))
    return tuple(parts)


def _load_log(rows: _Rows, tz: tzinfo) -> tuple[LogEntry, ...]:
    entries = []
    for row, v in rows:
        at = logged_at(v.get("Logged At"), tz)
        entries.append(LogEntry(
            logged_at=at,
            invoice_no=invoice_key(v.get("Invoice No")),
            client_id=invoice_key(v.get("Client ID")),
            stage=cells.text(v.get("Stage")).lower(),
            to=cells.text(v.get("To")),
            subject=cells.text(v.get("Subject")),
            message_id=cells.text(v.get("Message ID")),
            transport=cells.text(v.get("Transport")).lower(),
            state=cells.text(v.get("State")).lower(),
            detail=cells.text(v.get("Detail")),
            row=row,
        ))
    return tuple(entries)

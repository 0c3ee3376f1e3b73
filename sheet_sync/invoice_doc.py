"""The invoice document: its data from the loaded Book, and its HTML from `invoice.html`. Pure.

    invoice_context(book, invoice_no, config, as_of)  -> the data the template sees
    render_invoice_html(context, templates_dir)       -> the HTML (the edge `pdf.py` makes the PDF of it)
    required_texts(context)                           -> what the document must show, as it shows it

The template is `invoice.html` in the owner's `reminders.templates_dir`, else the shipped one; it is
rendered in the same sandbox, with the same filters (money, date, number, nl2br, href) and in the client's
language, as the reminders. Without Line Items the invoice has one line: its Description and Amount.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from sheet_sync.compose import terms_of
from sheet_sync.config import Config
from sheet_sync.errors import SheetSyncError
from sheet_sync.late_fee import invoice_fee
from sheet_sync.model import INVOICE, LANGUAGES, Book, Client, Invoice, LineItem, SendState
from sheet_sync.money import format_money, quantize
from sheet_sync.policy import stage_history
from sheet_sync.render import format_date, render_document

TEMPLATE = "invoice.html"
# Scripts that need a CJK font, and the fontconfig language that has one.
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_TAG = re.compile(r"<[^>]*>")


def invoice_filename(invoice_no: str) -> str:
    """A safe file name for the invoice's PDF: `INV-2026-0042.pdf` (no folders, no hidden files, not too long)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", invoice_no).strip("._-")[:80]
    return f"{stem or 'invoice'}.pdf"


def _lines(invoice: Invoice, items: tuple[LineItem, ...]) -> list[dict[str, Any]]:
    if items:
        return [{"description": i.description, "quantity": i.quantity, "unit_price": i.unit_price,
                 "tax_rate": i.tax_rate, "net": i.net, "tax": i.tax} for i in items]
    amount = invoice.amount or Decimal(0)
    return [{"description": invoice.description, "quantity": Decimal(1), "unit_price": amount, "tax_rate": Decimal(0),
             "net": amount, "tax": Decimal(0)}]


def document_context(invoice: Invoice, client: Client, items: tuple[LineItem, ...], config: Config,
                     as_of: date, sent: date | None = None) -> dict[str, Any]:
    """The data `invoice.html` sees for one invoice (the shape `sample_invoice_context` documents); `sent`: the
    day the tool sent a `Ready` invoice, from which its late fee counts."""
    b = config.business
    r = config.reminders
    lines = _lines(invoice, items)
    subtotal = sum((line["net"] for line in lines), Decimal(0))
    tax = sum((line["tax"] for line in lines), Decimal(0))
    total = invoice.amount if invoice.amount is not None else subtotal + tax
    balance = total - invoice.amount_paid
    discount = None
    if r.discount_percent > 0 and r.discount_days > 0 and invoice.issue_date and balance > 0:
        until = invoice.issue_date + timedelta(days=r.discount_days)
        if until >= as_of:  # never offer a discount whose day has passed
            discount = {"percent": r.discount_percent, "until": until,
                        "amount": quantize(balance * r.discount_percent / 100, invoice.currency)}
    logo = b.logo.resolve().as_uri() if b.logo is not None and b.logo.is_file() else ""
    # the late fee as of the PDF's date, on a line of its own below the totals, while the invoice is open
    late_fee = invoice_fee(r.late_fee, invoice, client, as_of, sent) if balance > 0 else Decimal(0)
    return {
        "business": {
            "name": b.name, "email": b.email or config.mail.from_, "phone": b.phone, "address": b.address,
            "tax_id": b.tax_id, "tax_id_label": b.tax_id_label, "logo": logo,
            "payment_instructions": b.payment_instructions_for(invoice.currency, client.language),
        },
        "client": {"client_id": client.client_id, "name": client.name, "contact_name": client.contact_name,
                   "address": client.address, "tax_id": client.tax_id, "phone": client.phone,
                   "email": ", ".join(client.emails)},
        "invoice": {
            "invoice_no": invoice.invoice_no, "issue_date": invoice.issue_date, "due_date": invoice.due_date,
            "terms_days": terms_of(invoice), "po_number": invoice.po_number, "description": invoice.description,
            "currency": invoice.currency, "payment_link": invoice.payment_link,
            "note_to_client": invoice.note_to_client,
        },
        "lines": lines,
        "itemised": bool(items),
        "subtotal": subtotal,
        "tax": tax,
        "total": total,
        "amount_paid": invoice.amount_paid,
        "balance": balance,
        "discount": discount,
        "late_fee": late_fee,
        "now_due": balance + late_fee,
        "language": client.language,
        "paper": b.paper,
        "as_of": as_of,
    }


def invoice_context(book: Book, invoice_no: str, config: Config, as_of: date) -> dict[str, Any]:
    """The document's data for `invoice_no` of the Book.

    Raises:
        SheetSyncError: no such invoice, or one whose own cells (or lines) have a problem: the PDF would be wrong.
    """
    invoice = next((i for i in book.invoices if i.invoice_no == invoice_no), None)
    if invoice is None:
        raise SheetSyncError(f"There is no invoice '{invoice_no}' on the {config.sheet_name('Invoices')} sheet.")
    own_sheets = {config.sheet_name("Invoices").casefold(), config.sheet_name("Line Items").casefold()}
    for p in book.problems:
        if p.blocking and p.invoice_no == invoice_no and p.cell is not None and p.cell.sheet.casefold() in own_sheets:
            raise SheetSyncError(f"Invoice {invoice_no} cannot be made into a PDF: {p}")
    client = book.clients.get(invoice.client_id)
    if client is None or invoice.amount is None or not invoice.currency or invoice.due_date is None:
        raise SheetSyncError(f"Invoice {invoice_no} has a problem (see `sheet-sync check`), so it cannot be made into "
                             "a PDF.")
    sent = stage_history(book.log, config).get(invoice_no, {}).get(INVOICE)
    return document_context(invoice, client, book.line_items.get(invoice_no, ()), config, as_of,
                            sent.day if sent is not None and sent.state == SendState.SENT else None)


def render_invoice_html(context: Mapping[str, Any], templates_dir: Path | str | None = None) -> str:
    """The invoice as HTML for WeasyPrint, from the owner's `invoice.html` or the shipped one."""
    return render_document(TEMPLATE, context, templates_dir)


def required_texts(context: Mapping[str, Any]) -> dict[str, str]:
    """What every invoice must show, as it shows it (money and dates in the client's language)."""
    inv, b, c, lang = context["invoice"], context["business"], context["client"], context["language"]

    def money(x: Decimal) -> str:
        return format_money(x, inv["currency"], lang)

    must = {"the sender": b["name"], "the client": c["name"], "the invoice number": inv["invoice_no"],
            "the issue date": format_date(inv["issue_date"], lang), "the due date": format_date(inv["due_date"], lang),
            "the subtotal": money(context["subtotal"]), "the total": money(context["total"]),
            "the balance due": money(context["balance"])}
    optional = {"the sender's email": b["email"], "the sender's phone": b["phone"], "the sender's tax ID": b["tax_id"],
                "the client's tax ID": c["tax_id"], "the client's contact": c["contact_name"],
                "the PO number": inv["po_number"], "the payment link": inv["payment_link"]}
    must.update({k: v for k, v in optional.items() if v})
    if context.get("late_fee"):
        must["the late fee"] = money(context["late_fee"])
        must["the total now due"] = money(context["now_due"])
    for i, line in enumerate(context["lines"], 1):
        if line["description"]:
            must[f"line {i}"] = line["description"].splitlines()[0]
    return must


def visible_text(html: str) -> str:
    return _TAG.sub(" ", html)


def fonts_needed(text: str) -> tuple[str, ...]:
    """The fontconfig languages whose fonts `text` needs beyond Latin: `ko` for Hangul, `zh` for Han."""
    return tuple(lang for lang, script in (("ko", _HANGUL), ("zh", _HAN)) if script.search(text))


def sample_invoice_context(language: str = "en") -> dict[str, Any]:
    """A realistic document with every optional field filled: two lines with tax, a part payment, a discount."""
    currency, price, paid = {"en": ("USD", "600.00", "250.00"), "ko": ("KRW", "500000", "200000"),
                             "zh": ("CNY", "4000.00", "800.00")}.get(language, ("USD", "600.00", "250.00"))
    price = Decimal(price)
    lines = [{"description": "Design", "quantity": Decimal(2), "unit_price": price, "tax_rate": Decimal("0.1"),
              "net": price * 2, "tax": quantize(price * 2 / 10, currency)},
             {"description": "Hosting", "quantity": Decimal(1), "unit_price": price / 2, "tax_rate": Decimal(0),
              "net": price / 2, "tax": Decimal(0)}]
    subtotal = sum((line["net"] for line in lines), Decimal(0))
    tax = sum((line["tax"] for line in lines), Decimal(0))
    issue = date(2026, 10, 17)
    return {
        "business": {"name": "Maple & Pine Studio", "email": "billing@maple-pine.example.com", "phone": "+1 555 0100",
                     "address": "12 Harbour Street\nPortland, ME 04101", "tax_id": "12-3456789", "tax_id_label": "EIN",
                     "logo": "", "payment_instructions": "Bank transfer to account 000123456 (Harbour Bank)."},
        "client": {"client_id": "C-001", "name": "Northwind Traders", "contact_name": "Dana", "address": "1 Main St",
                   "tax_id": "DE123456789", "phone": "+49 30 1234", "email": "ap@northwind.example.com"},
        "invoice": {"invoice_no": "INV-2026-0042", "issue_date": issue, "due_date": issue + timedelta(days=30),
                    "terms_days": 30, "po_number": "PO-7731", "description": "Website redesign, phase 2",
                    "currency": currency, "payment_link": "https://pay.example.com/inv/INV-2026-0042",
                    "note_to_client": "As agreed."},
        "lines": lines, "itemised": True, "subtotal": subtotal, "tax": tax, "total": subtotal + tax,
        "amount_paid": Decimal(paid), "balance": subtotal + tax - Decimal(paid),
        "discount": {"percent": Decimal(2), "until": issue + timedelta(days=10),
                     "amount": quantize((subtotal + tax - Decimal(paid)) * 2 / 100, currency)},
        "language": language, "paper": "A4", "as_of": issue, "late_fee": Decimal(0),
        "now_due": subtotal + tax - Decimal(paid),
    }


def check_invoice_template(templates_dir: Path | str | None = None, late_fee: bool = False) -> list[str]:
    """Render `invoice.html` in every language with sample data (full, and with every optional field empty);
    one sentence per problem, naming what the document fails to show; with `late_fee`, once more with a fee."""
    problems: list[str] = []
    for language in LANGUAGES:
        full = sample_invoice_context(language)
        bare = dict(full, discount=None, amount_paid=Decimal(0), balance=full["total"], now_due=full["total"], itemised=False,
                    business=dict(full["business"], phone="", tax_id="", tax_id_label="", payment_instructions=""),
                    client=dict(full["client"], contact_name="", address="", tax_id="", phone=""),
                    invoice=dict(full["invoice"], po_number="", payment_link="", note_to_client="", description="",
                                 terms_days=None))
        fee = quantize(full["balance"] / 20, full["invoice"]["currency"])
        late = dict(full, late_fee=fee, now_due=full["balance"] + fee)
        for ctx in (full, bare, late) if late_fee else (full, bare):
            try:
                html = render_invoice_html(ctx, templates_dir)
            except SheetSyncError as exc:
                problem = str(exc)
            else:
                text = visible_text(html).replace("&amp;", "&")
                missing = [what for what, value in required_texts(ctx).items() if value not in text]
                problem = (f"The template {TEMPLATE} ({language}) does not show {', '.join(missing)}." if missing
                           else "")
            if problem and problem not in problems:
                problems.append(problem)
    return problems

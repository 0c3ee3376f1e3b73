"""The invoice PDF for the command line and for the reminders that carry it.

    invoice_pdf(book, invoice_no, config, as_of)     -> InvoicePdf (file name, bytes)
    attach_invoices(outgoing, book, config, as_of)   -> (outgoing with PDFs, problems)

The invoice itself (the `invoice` stage of a `Ready` row) always carries its PDF, and is not sent
when the PDF cannot be made. A reminder at a stage named in `reminders.attach_invoice` (gentle, firm and
final by default) carries its invoice's PDF. A message about several invoices (one message per client) carries one PDF per listed
invoice whose own stage is named there: each invoice stays the document the client files and pays
against, with its own number, and the message's body already is the statement.

When a PDF cannot be made (no font for the client's Korean or Chinese, a broken `invoice.html`, no
WeasyPrint), the reminder still goes, without the attachment, and a warning says why: a reminder
without a copy is better than none, and far better than a copy full of boxes.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Mapping, Sequence

from sheet_sync.compose import Outgoing
from sheet_sync.config import Config
from sheet_sync.errors import SheetSyncError
from sheet_sync.invoice_doc import fonts_needed, invoice_context, invoice_filename, render_invoice_html, visible_text
from sheet_sync.model import INVOICE, Book, Problem
from sheet_sync.pdf import font_problem, html_to_pdf
from sheet_sync.render import shipped_templates_dir


class FontMissing(SheetSyncError):
    """The document needs a Korean or Chinese font that is not installed."""


@dataclass(frozen=True)
class InvoicePdf:
    invoice_no: str
    filename: str
    data: bytes
    language: str


def render_pdf(context: Mapping[str, Any], config: Config) -> bytes:
    """The PDF of one invoice's document data.

    Raises:
        FontMissing: the text needs a CJK font fontconfig does not have.
        SheetSyncError: the template or WeasyPrint failed.
    """
    folder = config.reminders.templates_dir
    html = render_invoice_html(context, folder)
    missing = font_problem(fonts_needed(visible_text(html)))
    if missing:
        raise FontMissing(missing[0].upper() + missing[1:] + ".")
    allowed = [shipped_templates_dir()] + ([folder] if folder else [])
    if config.business.logo is not None:
        allowed.append(config.business.logo.resolve().parent)
    return html_to_pdf(html, allowed)


def invoice_pdf(book: Book, invoice_no: str, config: Config, as_of: date) -> InvoicePdf:
    """The PDF of `invoice_no` as of `as_of` (its balance, its discount if still open)."""
    context = invoice_context(book, invoice_no, config, as_of)
    return InvoicePdf(invoice_no, invoice_filename(invoice_no), render_pdf(context, config), context["language"])


def carries_pdf(stage: str, config: Config) -> bool:
    """Whether a message at `stage` carries its invoice's PDF: always for the invoice itself, and for the
    reminder stages `reminders.attach_invoice` names."""
    return stage == INVOICE or stage in config.reminders.attach_invoice


def wanted(outgoing: Outgoing, config: Config) -> list[str]:
    """The invoices of a message whose PDF goes with it, in the message's order."""
    return [no for no, stage in outgoing.parts if carries_pdf(stage, config)]


def make_pdfs(numbers: Sequence[str], book: Book, config: Config, as_of: date,
              dry_run: bool = False) -> tuple[dict[str, InvoicePdf | None], dict[str, str]]:
    """The PDFs of `numbers`, made before the messages are written, so that a message says a copy is attached
    only when one is: (made, failed), `made` mapping each invoice to its PDF (None in a dry run, which checks the
    document's data and fonts only), `failed` to the sentence saying why it could not be made."""
    made: dict[str, InvoicePdf | None] = {}
    failed: dict[str, str] = {}
    for no in dict.fromkeys(numbers):
        try:
            if dry_run:
                _check_only(book, no, config, as_of)
                made[no] = None
            else:
                made[no] = invoice_pdf(book, no, config, as_of)
        except SheetSyncError as exc:
            failed[no] = str(exc).rstrip(".") + "."
    return made, failed


def add_pdfs(outgoing: Sequence[Outgoing], made: Mapping[str, InvoicePdf | None],
             config: Config) -> list[Outgoing]:
    """Each message with the PDFs made for its invoices, in the message's order (the composed message itself
    is left as it was)."""
    out: list[Outgoing] = []
    for o in outgoing:
        pdfs = [made[no] for no in wanted(o, config) if made.get(no) is not None]
        if not pdfs:
            out.append(o)
            continue
        message = copy.deepcopy(o.message)
        for pdf in pdfs:
            message.add_attachment(pdf.data, maintype="application", subtype="pdf", filename=pdf.filename)
        out.append(replace(o, message=message))
    return out


def _check_only(book: Book, invoice_no: str, config: Config, as_of: date) -> None:
    """What a dry run checks instead of making the PDF: the document's data, and the fonts its text needs."""
    context = invoice_context(book, invoice_no, config, as_of)
    words = [str(v) for part in ("business", "client", "invoice") for v in context[part].values()]
    words += [line["description"] for line in context["lines"]]
    missing = font_problem(sorted(set(fonts_needed(" ".join(words))) | {context["language"]} & {"ko", "zh"}))
    if missing:
        raise FontMissing(missing[0].upper() + missing[1:] + ".")


def attach_invoices(outgoing: Sequence[Outgoing], book: Book, config: Config, as_of: date,
                    dry_run: bool = False) -> tuple[list[Outgoing], list[Problem]]:
    """Each message with the PDFs of its invoices that `reminders.attach_invoice` names; a warning for each PDF
    that could not be made (the message then goes without it). A dry run makes no PDF: it checks the document's
    data and fonts only, and returns the messages as they were."""
    out: list[Outgoing] = []
    problems: list[Problem] = []
    for o in outgoing:
        numbers = wanted(o, config)
        if not numbers:
            out.append(o)
            continue
        message = o.message if dry_run else copy.deepcopy(o.message)
        for no in numbers:
            try:
                if dry_run:
                    _check_only(book, no, config, as_of)
                    continue
                pdf = invoice_pdf(book, no, config, as_of)
            except SheetSyncError as exc:
                problems.append(Problem(None, f"Invoice {no}: the {o.stage} reminder goes without the invoice PDF: "
                                              f"{str(exc).rstrip('.')}.", no, blocking=False))
                continue
            message.add_attachment(pdf.data, maintype="application", subtype="pdf", filename=pdf.filename)
        out.append(o if dry_run else replace(o, message=message))
    return out, problems


__all__ = ["FontMissing", "InvoicePdf", "add_pdfs", "attach_invoices", "carries_pdf", "invoice_pdf", "make_pdfs",
           "render_pdf"]

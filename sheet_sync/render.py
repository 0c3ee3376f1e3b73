"""Rendering a reminder from Jinja2 templates: subject, plain text and HTML. Pure.

Layout of a templates folder (the shipped one is `templates/` at the top of the repository,
installed as the package `sheet_sync.templates`):

    base.html                   the HTML layout (header, card, fonts) every HTML body extends
    <lang>/_parts.txt           macros shared by the text bodies of that language: greeting, the
                                payment received so far, the invoice details, how to pay, signature
    <lang>/_parts.html          the same macros for the HTML bodies (the "Pay now" button lives here)
    <lang>/<stage>.subject.txt  the subject; rendered, then squeezed onto one line
    <lang>/<stage>.txt          the plain-text body
    <lang>/<stage>.html         the HTML body: {% extends "base.html" %}

`lang` is en, ko or zh; `stage` is upcoming, gentle, firm or final, or `invoice` (the invoice itself,
sent for a `Ready` row with its PDF) or `thanks`. `attachments` lists the invoices whose PDF goes with
the message (`invoice_attached`: the message's own invoice is one): say "a copy is attached" then. The owner's `templates_dir`
is searched first, so any one file there (say `en/gentle.subject.txt`) overrides the shipped file
of the same relative path and everything else still comes from the shipped folder.

The environment is sandboxed (the owner's folder is user input), `.html` files are autoescaped and
`.txt` files are not, and an unknown variable is an error rather than a silent blank. Filters a
template may use, all in the message's language:

    {{ invoice.balance|money(invoice.currency) }}   ₩1,200,000 / $1,250.00 / US$1,250.00 / CN¥8,800.00
    {{ invoice.due_date|date }}                     2026년 11월 22일 / November 22, 2026
    {{ reply_by|weekday }}                          금요일 / Friday / 星期五
    {{ discount.percent|number }}                   2 / 2.5
    {{ note|nl2br }}                                HTML only: escaped, line breaks kept
    {{ invoice.payment_link|href }}                 a safe href (http, https or mailto)

Besides what the caller passes, `client.greeting_name` is the name a friendly greeting uses
(`greeting_name()`: `Marcus`, `김민준 님`, `王芳`; empty when there is no safe one).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError, pass_context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.money import LOCALES, format_amount, format_money
from sheet_sync.model import INVOICE, LANGUAGES, MESSAGES, THANKS

PARTS = ("subject.txt", "txt", "html")
_NET_TERMS = re.compile(r"\bnet\s*\d+\b", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedMessage:
    """One reminder, ready for a mail transport."""

    subject: str  # one line, no newlines
    text: str  # plain-text body
    html: str  # full HTML document


def shipped_templates_dir() -> Path:
    """The templates that ship with sheet-sync (the package `sheet_sync.templates`)."""
    try:
        from importlib.resources import files

        path = Path(str(files("sheet_sync.templates")))
        if (path / "base.html").is_file():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def _locale(language: str) -> str:
    return LOCALES.get(language, "en_US")


def format_date(d: date, language: str) -> str:
    """A date as the language writes it: `November 22, 2026`, `2026년 11월 22일`, `2026年11月22日`."""
    return babel_format_date(d, format="long", locale=_locale(language))


def format_weekday(d: date, language: str, width: str = "wide") -> str:
    """The day of the week: `Friday`, `금요일`, `星期五`; with width "short": `Fri`, `금`, `周五`."""
    return babel_format_date(d, format="EEEE" if width == "wide" else "E", locale=_locale(language))


@pass_context
def _money_filter(ctx, amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, ctx.get("language", "en"))


@pass_context
def _amount_filter(ctx, amount: Decimal, currency: str) -> str:
    return format_amount(amount, currency, ctx.get("language", "en"))


@pass_context
def _date_filter(ctx, d: date) -> str:
    """In HTML a date never breaks across lines (`2026년 11월 / 23일` on a phone): it stands in a nowrap span
    (in a `<title>` or an attribute, add `|striptags`)."""
    text = format_date(d, ctx.get("language", "en"))
    return Markup('<span style="white-space:nowrap;">%s</span>') % text if ctx.eval_ctx.autoescape else text


@pass_context
def _weekday_filter(ctx, d: date, width: str = "wide") -> str:
    return format_weekday(d, ctx.get("language", "en"), width)


@pass_context
def _number_filter(ctx, value: Decimal) -> str:
    return format_decimal(Decimal(value), locale=_locale(ctx.get("language", "en")))


def _nl2br(value: Any) -> Markup:
    # Owners type multi-line signatures and instructions into a cell; keep their line breaks in HTML.
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


def _href(value: Any) -> str:
    # The payment link comes from a spreadsheet cell: accept web and mail links, add a missing https://,
    # and never let a javascript: (or any other scheme) into an href.
    link = str(value).strip()
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", link)
    if scheme is None:
        return "https://" + link if link else ""
    return link if scheme.group(1).lower() in ("http", "https", "mailto") else ""


def _environment(templates_dir: str) -> SandboxedEnvironment:
    folders = ([templates_dir] if templates_dir else []) + [str(shipped_templates_dir())]
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=lambda name: bool(name) and name.endswith(".html"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(money=_money_filter, amount=_amount_filter, date=_date_filter, weekday=_weekday_filter, number=_number_filter,
                       nl2br=_nl2br, href=_href)
    return env


@lru_cache(maxsize=16)
def _environment_for(templates_dir: str, files: tuple[str, ...]) -> SandboxedEnvironment:
    return _environment(templates_dir)


def _cached_environment(templates_dir: str) -> SandboxedEnvironment:
    """FileSystemLoader checks modification times, so an owner's edit is picked up by the same environment;
    a file added to (or removed from) the owner's folder is not, so the folder's listing is part of the key."""
    files: tuple[str, ...] = ()
    if templates_dir:
        try:
            files = tuple(sorted(str(p.relative_to(templates_dir)) for p in Path(templates_dir).rglob("*")))
        except OSError:
            files = ()
    return _environment_for(templates_dir, files)


def _describe(filename: str | None, fallback: str, templates_dir: str) -> str:
    """`en/gentle.txt`, or `en/gentle.txt in your templates folder` when the owner's file is the one used."""
    if filename:
        path = Path(filename).resolve()
        for folder, suffix in ((templates_dir, " in your templates folder"), (str(shipped_templates_dir()), "")):
            if folder:
                try:
                    return path.relative_to(Path(folder).resolve()).as_posix() + suffix
                except ValueError:
                    continue
        return str(path)
    return fallback


def _failing_template(exc: BaseException) -> str | None:
    # Jinja rewrites the traceback so that template frames carry the template's file name; the innermost
    # one is the file (maybe an imported _parts file) where rendering failed.
    found, tb = None, exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".txt", ".html")):
            found = name
        tb = tb.tb_next
    return found


def _render(env: SandboxedEnvironment, name: str, context: Mapping[str, Any], templates_dir: str) -> str:
    try:
        return env.get_template(name).render(**context)
    except TemplateNotFound as exc:
        missing = exc.name if exc.name != name else name
        raise SheetSyncError(f"The template {missing} is missing (needed for {name}).", kind=ErrorKind.TEMPLATE) from None
    except TemplateSyntaxError as exc:
        where = _describe(exc.filename, exc.name or name, templates_dir)
        raise SheetSyncError(f"The template {where} has a mistake on line {exc.lineno}: {str(exc.message).rstrip('.')}.",
                             kind=ErrorKind.TEMPLATE) from None
    except Exception as exc:  # noqa: BLE001 - the owner's template code may fail in any way; name the file
        where = _describe(_failing_template(exc), name, templates_dir)
        reason = str(getattr(exc, "message", None) or exc or type(exc).__name__).rstrip(".")
        raise SheetSyncError(f"The template {where} cannot be rendered: {reason}.", kind=ErrorKind.TEMPLATE) from None


def _check_names(stage: str, language: str) -> None:
    if stage not in MESSAGES:
        raise SheetSyncError(f"'{stage}' is not a reminder stage ({', '.join(MESSAGES)}).")
    if language not in LANGUAGES:
        raise SheetSyncError(f"'{language}' is not a language sheet-sync writes in ({', '.join(LANGUAGES)}).")


_TITLES = re.compile(r"^(mr|mrs|ms|miss|mx|dr|prof|sir|madam)\.?\s+", re.IGNORECASE)
# several people, or a role rather than a person: greeted by what the owner wrote, never by its first word
_NOT_ONE_PERSON = re.compile(r"[/&;+]|\b(and|team|accounts?|payables?|billing|finance|department|office|invoices?|"
                             r"admin|reception|bookkeeping)\b", re.IGNORECASE)
# Hangul, kana and CJK ideographs: a Korean or Chinese name puts the family name first, and its given name alone
# is not how a client is addressed
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_KO_TITLES = ("대표", "대표이사", "이사", "상무", "전무", "부장", "차장", "과장", "대리", "주임", "사원", "팀장", "실장", "매니저",
              "원장", "교수", "선생", "변호사", "세무사", "회계사")


def first_name(contact: str) -> str:
    """The given name a friendly English note greets a contact by: `Marcus` for `Marcus Hale`, `Jane` for
    `Dr. Jane Smith` or `Smith, Jane`. Empty when it cannot be told safely: a Korean or Chinese name, several
    people or a role (`Accounts Payable`), a title with a family name only (`Dr. Smith`), an initial."""
    name = " ".join(str(contact or "").split())
    if not name or _CJK.search(name) or _NOT_ONE_PERSON.search(name):
        return ""
    if name.count(",") == 1:  # "Smith, Jane"
        name = name.split(",")[1].strip()
    elif "," in name:
        return ""
    titled = _TITLES.match(name) is not None
    words = _TITLES.sub("", name).split()
    if not words or (titled and len(words) < 2) or len(words[0].rstrip(".")) < 2:
        return ""
    return words[0]


def greeting_name(contact: str, language: str) -> str:
    """How a message greets the client's contact, as a native writer would: the first name in English
    (empty when it cannot be told, see `first_name`); in Korean the full name with 님 (`김민준 님`, or
    `김민준 과장님` after a job title); in Chinese the name as written (`王芳`). Empty for a blank contact."""
    name = " ".join(str(contact or "").split())
    if not name:
        return ""
    if language == "ko":
        if name.endswith("님"):
            return name
        return name + ("님" if name.endswith(_KO_TITLES) else " 님")
    if language == "zh":
        return name
    return first_name(name)


def _with_names(context: Mapping[str, Any], stage: str, language: str) -> dict[str, Any]:
    """The context with the stage, the language and the name the greeting uses (`client.greeting_name`, made
    from `contact_name` unless the caller gave one)."""
    ctx = dict(context, stage=stage, language=language)
    client = ctx.get("client")
    if isinstance(client, Mapping) and "greeting_name" not in client:
        ctx["client"] = dict(client, greeting_name=greeting_name(client.get("contact_name", ""), language))
    return ctx


def _render_parts(env: SandboxedEnvironment, stage: str, language: str, context: Mapping[str, Any],
                  templates_dir: str) -> RenderedMessage:
    ctx = _with_names(context, stage, language)
    subject = _render(env, f"{language}/{stage}.subject.txt", ctx, templates_dir)
    subject = re.sub(r"\s+", " ", subject).strip()
    text = tidy_text(_render(env, f"{language}/{stage}.txt", ctx, templates_dir))
    html = _render(env, f"{language}/{stage}.html", ctx, templates_dir)
    return RenderedMessage(subject, text, html)


def render_reminder(stage: str, language: str, context: Mapping[str, Any],
                    templates_dir: Path | str | None = None) -> RenderedMessage:
    """Render one reminder.

    Args:
        stage: `upcoming`, `gentle`, `firm` or `final`.
        language: `en`, `ko` or `zh`; money and dates are formatted for it.
        context: the data the templates see, shaped as `sample_context()` returns it.
        templates_dir: the owner's folder, searched before the shipped templates.

    Returns:
        The subject (one line), the plain-text body and the HTML document.

    Raises:
        SheetSyncError: an unknown stage or language, a missing template, or a template that fails.
    """
    _check_names(stage, language)
    folder = str(templates_dir or "")
    return _render_parts(_cached_environment(folder), stage, language, context, folder)


def tidy_text(text: str) -> str:
    """A rendered plain-text body without trailing spaces or runs of blank lines, ending in one newline."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def render_document(name: str, context: Mapping[str, Any], templates_dir: Path | str | None = None) -> str:
    """Render one template by its file name (the owner's digest: `digest.txt`, `digest.html`), the owner's
    folder first; `.html` files are autoescaped."""
    folder = str(templates_dir or "")
    return _render(_cached_environment(folder), name, context, folder)


def sample_context(language: str = "en", stage: str = "gentle") -> dict[str, Any]:
    """A realistic context for previews and for checking templates (the shape callers pass).

    Every optional field is filled (PO number, payment link, a partial payment, a note, and a discount
    for `upcoming`), so that a preview shows everything a template can say.
    """
    currency, amount, paid, discount = {
        "en": ("USD", "1250.00", "250.00", "20.00"),
        "ko": ("KRW", "1200000", "200000", "20000"),
        "zh": ("CNY", "8800.00", "800.00", "160.00"),
    }.get(language, ("USD", "1250.00", "250.00", "20.00"))
    due = date(2026, 11, 16)  # a Monday: every stage below lands on a weekday, as real sends do
    days = {"upcoming": -3, "gentle": 2, "firm": 9, "final": 23, INVOICE: -30}.get(stage, 2)
    as_of = due + timedelta(days=days)
    friday = as_of + timedelta(days=(4 - as_of.weekday()) % 7 or 7)
    note = {
        "en": "As agreed, this invoice covers the October design work only.",
        "ko": "말씀드린 대로 이번 인보이스에는 10월 디자인 작업분만 포함되어 있습니다.",
        "zh": "按双方约定，本发票仅包含 10 月份的设计工作。",
    }.get(language, "")
    ctx = {
        "business": {
            "name": "Maple & Pine Studio",
            "email": "billing@maple-pine.example.com",
            "phone": "+1 555 0100",
            "address": "12 Harbour Street, Portland, ME 04101",
            "tax_id": "",
            "tax_id_label": "",
            "signature": "Jamie Lee",
            "payment_instructions": "Bank transfer to account 000123456 (Harbour Bank), with the invoice number as reference.",
        },
        "client": {"client_id": "C-001", "name": "Northwind Traders", "contact_name": "Dana Whitfield"},
        "invoice": {
            "invoice_no": "INV-2026-0042",
            "issue_date": due - timedelta(days=30),
            "due_date": due,
            "currency": currency,
            "amount": Decimal(amount),
            "amount_paid": Decimal(paid),
            "balance": Decimal(amount) - Decimal(paid),
            "po_number": "PO-7731",
            "payment_link": "https://pay.example.com/inv/INV-2026-0042",
            "note_to_client": note,
            "description": "Website redesign, phase 2",
            "days_overdue": days,
            "terms_days": 30,
        },
        "stage": stage,
        "language": language,
        "as_of": as_of,
        "reply_by": friday,
        "discount": ({"percent": Decimal("2"), "amount": Decimal(discount), "until": as_of + timedelta(days=2)}
                     if stage == "upcoming" else None),
    }
    inv = ctx["invoice"]
    # every invoice the message is about, oldest first (one here), and the open balance per currency
    ctx["statement"] = [{"invoice_no": inv["invoice_no"], "description": inv["description"],
                         "issue_date": inv["issue_date"], "due_date": inv["due_date"], "days_overdue": days,
                         "amount": inv["amount"], "balance": inv["balance"], "currency": currency, "stage": stage,
                         "po_number": inv["po_number"], "payment_link": inv["payment_link"], "attached": False,
                         "note_to_client": inv["note_to_client"]}]
    ctx["totals"] = [{"currency": currency, "balance": inv["balance"]}]
    # the late fee (reminders.late_fee) of each line and of each currency's total; `late_fees`: the lines with one
    _no_fees(ctx)
    # the invoice PDF goes with the invoice itself and, by default, with gentle, firm and final
    attached = stage in (INVOICE, "gentle", "firm", "final")
    ctx["attachments"] = (inv["invoice_no"],) if attached else ()
    ctx["invoice_attached"] = attached
    return ctx


def fee_totals(lines: list[dict[str, Any]], totals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each currency's total the `late_fee` of its statement lines and its `now_due` (balance + fee); return
    the lines that carry a fee (the context's `late_fees`). Each line has its `late_fee` already."""
    for total in totals:
        fee = sum((line["late_fee"] for line in lines if line["currency"] == total["currency"]), Decimal(0))
        total.update(late_fee=fee, now_due=total["balance"] + fee)
    return [line for line in lines if line["late_fee"] > 0]


def _no_fees(ctx: dict[str, Any]) -> None:
    for line in ctx["statement"]:
        line.update(late_fee=Decimal(0), now_due=line["balance"])
    ctx["late_fees"] = fee_totals(ctx["statement"], ctx["totals"])


def _with_fees(ctx: dict[str, Any]) -> dict[str, Any]:
    """The context with a late fee on each line at a firm or final stage (a tenth of its balance)."""
    from sheet_sync.money import quantize

    ctx = dict(ctx, statement=[dict(line) for line in ctx["statement"]], totals=[dict(t) for t in ctx["totals"]])
    for line in ctx["statement"]:
        if line["stage"] in ("firm", "final"):
            fee = quantize(line["balance"] / 10, line["currency"])
            line.update(late_fee=fee, now_due=line["balance"] + fee)
    ctx["late_fees"] = fee_totals(ctx["statement"], ctx["totals"])
    return ctx


def _variants(language: str, stage: str, late_fee: bool = False) -> list[dict[str, Any]]:
    """The sample, and the sample with every optional field empty: both branches of each template run; with
    `late_fee`, the firm and final samples again with a late fee."""
    full = sample_context(language, stage)
    bare = sample_context(language, stage)
    bare["client"] = dict(bare["client"], contact_name="")
    bare["invoice"] = dict(bare["invoice"], amount_paid=Decimal(0), balance=bare["invoice"]["amount"], po_number="",
                           payment_link="", note_to_client="", terms_days=None, description="")
    bare["business"] = dict(bare["business"], signature="", phone="", tax_id="DE123456789", tax_id_label="VAT")
    bare["discount"] = None
    bare["statement"] = [dict(line, description="", po_number="", payment_link="") for line in bare["statement"]]
    bare["attachments"], bare["invoice_attached"] = (), False  # the PDF could not be made: no word of it
    many = sample_context(language, stage)  # a message about three invoices in two currencies
    first = many["statement"][0]
    other = "USD" if first["currency"] == "KRW" else "KRW"
    other_balance = Decimal("1250.00") if other == "USD" else Decimal(1200000)
    many["statement"] = [dict(first, invoice_no="INV-2026-0031", due_date=first["due_date"] - timedelta(days=40),
                              payment_link="https://pay.example.com/inv/INV-2026-0031",
                              days_overdue=first["days_overdue"] + 40, stage="final" if stage == "final" else stage),
                         first,
                         dict(first, invoice_no="INV-2026-0050", currency=other, balance=other_balance,
                              payment_link="https://pay.example.com/inv/INV-2026-0050",
                              due_date=many["as_of"] + timedelta(days=3), days_overdue=-3,
                              stage=INVOICE if stage == INVOICE else "upcoming", description="")]
    carried = (INVOICE, "gentle", "firm", "final")
    many["statement"] = [dict(line, attached=line["stage"] in carried) for line in many["statement"]]
    many["attachments"] = tuple(line["invoice_no"] for line in many["statement"] if line["attached"])
    many["totals"] = [{"currency": first["currency"], "balance": first["balance"] * 2},
                      {"currency": other, "balance": other_balance}]
    _no_fees(many)
    if late_fee and stage in ("firm", "final"):  # and both again with a late fee
        return [full, bare, many, _with_fees(full), _with_fees(many)]
    return [full, bare, many]


def _content_problems(message: RenderedMessage, ctx: Mapping[str, Any], language: str, stage: str) -> list[str]:
    """What every reminder must say (SPEC, Reminders), checked in each rendered part."""
    inv = ctx["invoice"]
    lines = ctx.get("statement") or []
    if stage == THANKS:  # a thank-you names the invoice and what was paid, and asks for nothing
        must = {"the invoice number": inv["invoice_no"],
                "the amount paid": format_amount(inv["amount"], inv["currency"], language)}
    else:
        must = {
            "the invoice number": inv["invoice_no"],
            "the amount due": format_money(inv["balance"], inv["currency"], language),
            "the due date": format_date(inv["due_date"], language),
        }
        if inv["payment_link"]:
            must["the payment link"] = inv["payment_link"]
        elif ctx["business"]["payment_instructions"]:
            must["the payment instructions"] = ctx["business"]["payment_instructions"]
        if inv["po_number"]:
            must["the PO number"] = inv["po_number"]
        if stage == INVOICE and inv["description"] and len(lines) <= 1:  # the invoice says what it is for
            must["the Description"] = inv["description"]
        for line in lines if len(lines) > 1 else ():  # a message about several: each is named
            must[f"invoice {line['invoice_no']} of the statement"] = line["invoice_no"]
            must[f"the balance of {line['invoice_no']}"] = format_money(line["balance"], line["currency"], language)
        for line in ctx.get("late_fees") or ():  # a late fee: the fee and the total now due, on a line of their own
            must[f"the late fee of {line['invoice_no']}"] = format_money(line["late_fee"], line["currency"], language)
            must[f"the total now due of {line['invoice_no']}"] = format_money(line["now_due"], line["currency"],
                                                                             language)
    problems = []
    for part, body in (("txt", message.text), ("html", message.html)):
        # In HTML a value appears escaped (`Maple &amp; Pine`); in text, as typed.
        missing = [what for what, value in must.items()
                   if value not in body and (part == "txt" or str(escape(value)) not in body)]
        if missing:
            problems.append(f"The template {language}/{stage}.{part} does not show {', '.join(missing)}.")
    if len(lines) > 1:  # the subject names how many and the total in each currency
        wanted = [str(len(lines))] + [format_money(t["balance"], t["currency"], language) for t in ctx["totals"]]
        if not all(w in message.subject for w in wanted):
            problems.append(f"The template {language}/{stage}.subject.txt does not show how many invoices and their "
                            "total, for a message about several.")
    elif inv["invoice_no"] not in message.subject:
        problems.append(f"The template {language}/{stage}.subject.txt does not show the invoice number.")
    for part, body in (("subject.txt", message.subject), ("txt", message.text), ("html", message.html)):
        term = _NET_TERMS.search(body)
        if term:
            problems.append(f"The template {language}/{stage}.{part} says '{term.group(0)}'; write it in plain words, "
                            f"such as 'due within 30 days'.")
    return problems


def check_templates(templates_dir: Path | str | None = None, late_fee: bool = False) -> list[str]:
    """Render every stage in every language with sample data; one plain sentence per problem.

    Args:
        templates_dir: the owner's folder (searched first), or None for the shipped templates alone.
        late_fee: also render firm and final with a late fee (`reminders.late_fee` is set) and check they show it.

    Returns:
        Sentences naming the file and what is wrong with it; an empty list when every template is fine.
    """
    folder = str(templates_dir or "")
    if folder and not Path(folder).is_dir():
        return [f"The templates folder {folder} (reminders.templates_dir) does not exist or is not a folder."]
    env = _environment(folder)  # fresh, not cached: the owner may have just edited a file
    problems: list[str] = []
    for language in LANGUAGES:
        for stage in MESSAGES:
            for ctx in _variants(language, stage, late_fee) if stage != THANKS else [sample_context(language, stage)]:
                ctx = _with_names(ctx, stage, language)
                try:
                    message = _render_parts(env, stage, language, ctx, folder)
                except SheetSyncError as exc:
                    found = [str(exc)]
                    # A broken subject should not hide a broken body: try each part on its own.
                    for part in PARTS:
                        try:
                            _render(env, f"{language}/{stage}.{part}", ctx, folder)
                        except SheetSyncError as part_exc:
                            found.append(str(part_exc))
                    found = found[1:] or found
                else:
                    found = _content_problems(message, ctx, language, stage)
                problems.extend(p for p in found if p not in problems)
    return problems

"""Rendering a reminder from Jinja2 templates: subject, plain text and HTML. Pure.

Layout of a templates folder (the shipped one is `templates/` at the top of the repository):

    base.html                   the HTML layout every HTML body extends
    <lang>/_parts.txt           macros shared by the text bodies: details, how to pay, signature
    <lang>/_parts.html          the same for the HTML bodies
    <lang>/<stage>.subject.txt  one line
    <lang>/<stage>.txt          the plain-text body
    <lang>/<stage>.html         the HTML body

`lang` is en, ko or zh; `stage` is upcoming, gentle, firm or final. The owner's `templates_dir`
is searched first, so any one file there overrides the shipped file of the same path.
The environment is sandboxed (the owner's folder is user input), HTML is autoescaped, and an
unknown variable is an error rather than a silent blank.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, pass_context
from jinja2.sandbox import SandboxedEnvironment

from sheet_sync.errors import SheetSyncError
from sheet_sync.model import LANGUAGES, STAGES

LOCALES = {"en": "en_US", "ko": "ko_KR", "zh": "zh_Hans_CN"}
PARTS = ("subject.txt", "txt", "html")


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


def shipped_templates_dir() -> Path:
    try:
        from importlib.resources import files

        path = Path(str(files("sheet_sync.templates")))
        if (path / "base.html").exists():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """`$1,250.00`, `₩1,200,000`, `¥8,800.00`: the currency's own decimals, the language's symbols."""
    return format_currency(amount, currency, locale=LOCALES.get(language, "en_US"))


def format_date(day: date, language: str) -> str:
    """`November 22, 2026`, `2026년 11월 22일`, `2026年11月22日`."""
    return babel_format_date(day, format="long", locale=LOCALES.get(language, "en_US"))


@pass_context
def _money_filter(ctx, amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, ctx.get("language", "en"))


@pass_context
def _date_filter(ctx, day: date) -> str:
    return format_date(day, ctx.get("language", "en"))


def _environment(templates_dir: Path | str | None) -> SandboxedEnvironment:
    loaders = []
    if templates_dir:
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders.append(FileSystemLoader(str(shipped_templates_dir())))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=lambda name: bool(name) and name.endswith(".html"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = _money_filter
    env.filters["date"] = _date_filter
    return env


_ENVIRONMENTS: dict[str, SandboxedEnvironment] = {}


def _env_for(templates_dir: Path | str | None) -> SandboxedEnvironment:
    key = str(templates_dir or "")
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = _environment(templates_dir)
    return _ENVIRONMENTS[key]


def _render(env: SandboxedEnvironment, name: str, context: Mapping[str, Any]) -> str:
    try:
        return env.get_template(name).render(**context)
    except TemplateNotFound as exc:
        raise SheetSyncError(f"The template {exc.name} is missing.") from None
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        at = f" line {line}" if line else ""
        raise SheetSyncError(f"The template {Path(where).name if where else name}{at} cannot be rendered: {exc.message}.") from None


def render_reminder(stage: str, language: str, context: Mapping[str, Any],
                    templates_dir: Path | str | None = None) -> RenderedMessage:
    if stage not in STAGES:
        raise SheetSyncError(f"'{stage}' is not a reminder stage ({', '.join(STAGES)}).")
    if language not in LANGUAGES:
        raise SheetSyncError(f"'{language}' is not a language sheet-sync writes in ({', '.join(LANGUAGES)}).")
    env = _env_for(templates_dir)
    ctx = dict(context, stage=stage, language=language)
    subject = re.sub(r"\s+", " ", _render(env, f"{language}/{stage}.subject.txt", ctx)).strip()
    text = _render(env, f"{language}/{stage}.txt", ctx)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = _render(env, f"{language}/{stage}.html", ctx)
    return RenderedMessage(subject, text, html)


def sample_context(language: str = "en", stage: str = "gentle") -> dict[str, Any]:
    """A realistic context, for previews and for checking templates."""
    currency, amount, paid = {"en": ("USD", "1250.00", "250.00"), "ko": ("KRW", "1200000", "200000"),
                              "zh": ("CNY", "8800.00", "800.00")}[language]
    days = {"upcoming": -3, "gentle": 2, "firm": 9, "final": 23}.get(stage, 2)
    due = date(2026, 11, 20)
    as_of = date.fromordinal(due.toordinal() + days)
    return {
        "business": {"name": "Maple & Pine Studio", "email": "billing@maple-pine.example.com", "phone": "+1 555 0100",
                     "address": "12 Harbour Street, Portland, ME", "tax_id": "", "signature": "Jamie Lee",
                     "payment_instructions": "Bank transfer to account 000123456, with the invoice number as reference."},
        "client": {"client_id": "C-001", "name": "Northwind Traders", "contact_name": "Dana"},
        "invoice": {"invoice_no": "INV-2026-0042", "issue_date": date(2026, 10, 21), "due_date": due,
                    "currency": currency, "amount": Decimal(amount), "amount_paid": Decimal(paid),
                    "balance": Decimal(amount) - Decimal(paid), "po_number": "PO-7731",
                    "payment_link": "https://pay.example.com/inv/INV-2026-0042", "note_to_client": "",
                    "days_overdue": days, "terms_days": 30},
        "stage": stage,
        "language": language,
        "as_of": as_of,
        "reply_by": date.fromordinal(as_of.toordinal() + 5),
        "discount": None,
    }


def check_templates(templates_dir: Path | str | None = None) -> list[str]:
    """Render every stage in every language with a sample context; one sentence per problem."""
    problems = []
    if templates_dir and not Path(templates_dir).is_dir():
        return [f"reminders.templates_dir {templates_dir} is not a folder."]
    env = _environment(templates_dir)  # fresh: the owner may have just edited a file
    for language in LANGUAGES:
        for stage in STAGES:
            ctx = sample_context(language, stage)
            for part in PARTS:
                name = f"{language}/{stage}.{part}"
                try:
                    _render(env, name, ctx)
                except SheetSyncError as exc:
                    problems.append(str(exc))
    return problems

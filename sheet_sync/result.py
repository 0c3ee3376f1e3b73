"""What a command returns: frozen result objects, and one way to turn them into plain data.

    SyncResult.to_dict()   -> dict   every field, plus what is derived from them: the exit code, the
                                     reminders by stage, the sent / failed / skipped messages, the
                                     blocking problems
    CheckResult.to_dict()  -> dict   every field, plus the exit code
    failed_run_dict(...)   -> dict   the report of a run that could not run (exit code 2): the sentence why
    problem_line(problem)  -> str    a problem from such a dict as one line, `Invoices!F4: sentence`

The dicts are JSON-ready (Decimal as a string, dates in ISO 8601, a Problem as {cell, message, invoice_no,
blocking}) and are what every renderer reads: `--json` and `--report`, the job summary and the digest.
They are built by walking the dataclass fields, so a field added to a result shows up in all of them.

A `--report` file carries `format_version` (REPORT_FORMAT): 2 added it, with `business` and
`workbook_name`, and the report of a run that could not run; a report without it is of format 1. The
portfolio (`sheet-sync portfolio`) reads every version it knows and says so of one it does not.
"""
from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from numbers import Integral, Real
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Mapping

from sheet_sync.model import NOT_DELIVERED, Problem, SendState
from sheet_sync.recurring import Added, summary_line

REPORT_FORMAT = 2  # the `format_version` of what to_dict() returns; raise it when a field changes meaning

if TYPE_CHECKING:
    from sheet_sync.compose import Outgoing


@dataclass(frozen=True)
class Sent:
    invoice_no: str
    client_id: str
    stage: str
    to: str
    subject: str
    state: str  # sent, failed, unconfirmed, planned (dry run), skipped (left for the next run)
    detail: str = ""
    message_id: str = ""  # one message to a client may cover several invoices: they share it

    @classmethod
    def each(cls, o: Outgoing, state: str, detail: str = "") -> list[Sent]:
        """One per invoice the message is about (a message to a client may cover several)."""
        return [cls(no, o.client_id, stage, o.to_text, o.subject, state, detail, o.message_id)
                for no, stage in o.parts]


@dataclass(frozen=True)
class Attention:
    """An invoice that needs the owner's decision, and why."""

    invoice_no: str
    client: str
    currency: str
    balance: Decimal | None
    days_overdue: int
    reason: str
    write_off: bool = False  # below the write-off limit: writing it off is the suggestion


@dataclass(frozen=True)
class SyncResult:
    as_of: date
    workbook: str
    invoices_read: int
    problems: tuple[Problem, ...]
    totals: Mapping[str, Mapping[str, Decimal]]  # currency -> bucket -> open balance
    labels: tuple[str, ...]
    messages: tuple[Sent, ...]
    needs_attention: tuple[str, ...]
    unconfirmed: tuple[str, ...]
    statuses: Mapping[str, int]
    dry_run: bool
    transport: str
    outbox_dir: str = ""
    written: bool = False
    sending_day: bool = True
    attention: tuple[Attention, ...] = ()
    replied: tuple[Attention, ...] = ()  # invoices whose client replied (read from the mailbox): reminders wait
    mailbox: str = ""  # what the mailbox scan read: "" when [mail.imap] is off
    digest: str = ""  # what happened to the owner's digest: "", "sent", or why it was not
    writer: str = ""  # which writer changed an Excel workbook: "surgical", or "openpyxl" (the fallback)
    stage_seconds: Mapping[str, float] = field(default_factory=dict)  # read, load, age, plan, render, send, write
    # reminders that go (or in a dry run would go) without their invoice PDF, and why (also among `problems`)
    pdf_warnings: tuple[Problem, ...] = ()
    # invoices whose send a stopped run left `pending`, found by this run: their outcome is unknown, now
    # `unconfirmed` in the Reminder Log, and not sent again unless the owner sets `retry`
    found_unconfirmed: tuple[str, ...] = ()
    # recurring invoices added to Invoices by this run (in a dry run: that it would add), numbered
    recurring_added: tuple[Added, ...] = ()
    recurring_already: int = 0  # periods found on the sheet already (a run stopped before it moved Next Date)
    business: str = ""  # business.name: who sends, the first thing a bookkeeper with many workbooks reads
    workbook_name: str = ""  # the workbook's file name, or "Google Sheet <key>"
    # with reminders.approval: the messages waiting for the owner's Approve in the Outgoing sheet (None: approval is
    # off), and what happened today to rows the owner answered or that are no longer due (one line each)
    awaiting_approval: int | None = None
    approval_notes: tuple[str, ...] = ()

    @property
    def blocking_problems(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.blocking)

    @property
    def reminders(self) -> tuple[Sent, ...]:
        """The messages that went out (or, in a dry run, would go out)."""
        return tuple(m for m in self.messages if m.state in (SendState.SENT, SendState.PLANNED))

    @property
    def sent(self) -> tuple[Sent, ...]:
        return tuple(m for m in self.messages if m.state == SendState.SENT)

    @property
    def failed(self) -> tuple[Sent, ...]:
        """Messages that did not surely arrive: refused, or cut off mid-send (unconfirmed)."""
        return tuple(m for m in self.messages if m.state in NOT_DELIVERED)

    @property
    def skipped(self) -> tuple[Sent, ...]:
        """Messages left for the next run (over the daily cap, or the log could not record them)."""
        return tuple(m for m in self.messages if m.state == SendState.SKIPPED)

    @property
    def exit_code(self) -> int:
        """0 done; 1 done but some rows have problems; 3 some messages failed, or a stopped run's send was
        found unconfirmed (wins over 1: the scheduled job's red mark is how the owner hears of it)."""
        if self.failed or self.found_unconfirmed:
            return 3
        if self.blocking_problems:
            return 1
        return 0

    def by_stage(self) -> dict[str, int]:
        return dict(Counter(m.stage for m in self.reminders))

    def to_dict(self) -> dict[str, Any]:
        """Every field and every derived value, JSON-ready: what `--json` prints and the renderers read."""
        return _with_derived(self, {
            "format_version": REPORT_FORMAT,
            "exit_code": self.exit_code,
            "reminders_by_stage": self.by_stage(),
            "reminders": self.reminders,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "blocking_problems": self.blocking_problems,
            "recurring_summary": summary_line(self.recurring_added, self.dry_run),
        })


@dataclass(frozen=True)
class CheckResult:
    problems: tuple[Problem, ...]
    template_problems: tuple[str, ...]
    invoices: int
    clients: int

    @property
    def exit_code(self) -> int:
        return 1 if any(p.blocking for p in self.problems) or self.template_problems else 0

    def to_dict(self) -> dict[str, Any]:
        """Every field and the exit code, JSON-ready: what `check --json` prints."""
        return _with_derived(self, {"exit_code": self.exit_code})


def failed_run_dict(error: str, *, business: str = "", workbook: str = "", workbook_name: str = "",
                    as_of: date | None = None, dry_run: bool = False) -> dict[str, Any]:
    """The report of a run that could not run (exit code 2): what is known of the workbook, and the one
    sentence that said why. No figures: nothing was read (or nothing can be trusted)."""
    return {"format_version": REPORT_FORMAT, "exit_code": 2, "error": error, "business": business,
            "workbook": workbook, "workbook_name": workbook_name, "as_of": plain(as_of), "dry_run": dry_run}


def problem_line(problem: Mapping[str, Any]) -> str:
    """A problem from a result's dict as one line, as `str(Problem)` writes it: `Invoices!F4: sentence`."""
    return f"{problem['cell']}: {problem['message']}" if problem["cell"] else problem["message"]


# ---- plain data ------------------------------------------------------------------------------

def _with_derived(result: Any, derived: Mapping[str, Any]) -> dict[str, Any]:
    data = {f.name: plain(getattr(result, f.name)) for f in dataclasses.fields(result)}
    clash = data.keys() & derived.keys()
    if clash:  # a derived value must never hide a field
        raise AssertionError(f"{type(result).__name__}.to_dict: {sorted(clash)} is both a field and derived")
    return {**data, **{key: plain(value) for key, value in derived.items()}}


def plain(value: Any) -> Any:
    """`value` as JSON-ready data: Decimal -> str, date -> ISO text, a Problem -> {cell, message,
    invoice_no, blocking}, a dataclass -> a dict of its fields, tuples -> lists. Anything else is a
    TypeError, so that no value reaches the JSON as something it does not mean."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Problem):
        return {"cell": str(value.cell) if value.cell else None, "message": value.message,
                "invoice_no": value.invoice_no, "blocking": value.blocking}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no plain form for a result's dict")


@dataclass(frozen=True)
class Preview:
    """A reminder rendered for `sheet-sync preview`: as of `day`, with a note when that is not today."""

    outgoing: Outgoing
    day: date
    note: str = ""  # "" when the stage is due today

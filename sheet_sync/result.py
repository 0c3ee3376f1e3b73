"""What a command returns: frozen results that the CLI, `--json`, the job summary and the digest render."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Mapping

from sheet_sync.compose import Outgoing
from sheet_sync.model import Problem


@dataclass(frozen=True)
class Sent:
    invoice_no: str
    client_id: str
    stage: str
    to: str
    subject: str
    state: str  # sent, failed, unconfirmed, planned (dry run), skipped (left for the next run)
    detail: str = ""

    @classmethod
    def of(cls, o: Outgoing, state: str, detail: str = "") -> "Sent":
        return cls(o.invoice_no, o.client_id, o.stage, o.to_text, o.subject, state, detail)


@dataclass(frozen=True)
class Attention:
    """An invoice that needs the owner's decision, and why."""

    invoice_no: str
    client: str
    currency: str
    balance: Decimal | None
    days_overdue: int
    reason: str


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
    digest: str = ""  # what happened to the owner's digest: "", "sent", or why it was not

    @property
    def blocking_problems(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.blocking)

    @property
    def sent(self) -> tuple[Sent, ...]:
        return tuple(m for m in self.messages if m.state == "sent")

    @property
    def failed(self) -> tuple[Sent, ...]:
        """Messages that did not surely arrive: refused, or cut off mid-send (unconfirmed)."""
        return tuple(m for m in self.messages if m.state in ("failed", "unconfirmed"))

    @property
    def exit_code(self) -> int:
        """0 done; 1 done but some rows have problems; 3 some messages failed (wins over 1)."""
        if self.failed:
            return 3
        if self.blocking_problems:
            return 1
        return 0

    def by_stage(self) -> dict[str, int]:
        counted = Counter(m.stage for m in self.messages if m.state in ("sent", "planned"))
        return dict(counted)


@dataclass(frozen=True)
class CheckResult:
    problems: tuple[Problem, ...]
    template_problems: tuple[str, ...]
    invoices: int
    clients: int

    @property
    def exit_code(self) -> int:
        return 1 if any(p.blocking for p in self.problems) or self.template_problems else 0

"""Many workbooks at a glance: the `--report` JSON of many runs as one table, pure.

    read_report(label, text, why) -> PortfolioRow   one run's report (or why there is none) as one row
    build(rows) -> tuple[PortfolioRow, ...]          sorted: the workbooks that need the bookkeeper first
    markdown(rows) -> str                            for a GitHub Actions job summary (escaped)
    text(rows) -> str                                the printed summary

Reading the files is the caller's job (the CLI): a report that is missing, not JSON, not a report, of a
run that could not run, or of an older or newer format is a row that says so, never an exception.

The order, and why: a bookkeeper opens this to find what needs them, so the rows go
    0  the run did not happen or cannot be read (exit code 2, no report, a broken report): nothing was
       sent for that business today, and nothing will be until someone acts;
    1  messages failed to send or are unconfirmed (exit code 3): a client may have missed a reminder, or
       may get it twice if someone resends it blindly;
    2  rows with problems, or invoices that need a decision (collections, write-off): the owner's work;
    3  the rest: done, nothing to do.
Within a group, the workbook with more to look at comes first, then by business name.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

from sheet_sync.job_summary import money, table
from sheet_sync.result import REPORT_FORMAT

# Every workbook gets its row (a job summary holds 1 MiB: 1,000 rows of about 300 bytes fit). A run's own
# summary stops at 50 rows of a kind; a portfolio of 300 books must not hide the 51st.
MAX_BOOKS = 1000
OUTCOMES = {0: "done", 1: "done, some rows have problems", 2: "could not run", 3: "some messages failed to send"}
# What each group asks of the bookkeeper; numbered, so that a filtered or sorted sheet keeps the order.
GROUPS = ("1 check the run", "2 check the sends", "3 rows and decisions", "4 nothing to do")


@dataclass(frozen=True)
class PortfolioRow:
    """One workbook's run, as the portfolio shows it."""

    label: str  # the run's name: the report's folder (the matrix's book) or file name
    source: str  # the report file as given
    business: str = ""
    workbook: str = ""
    as_of: date | None = None
    exit_code: int | None = None  # None: no report that says
    outcome: str = ""  # the exit code in words, or what is wrong with the report
    note: str = ""  # the sentence a failed run gave, or what to do about the report
    dry_run: bool = False
    labels: tuple[str, ...] = ()  # the buckets, as the run named them
    totals: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)  # currency -> bucket/Total -> open
    sent: int = 0
    failed: int = 0
    unconfirmed: int = 0
    decisions: int = 0
    problems: int = 0
    format_version: int | None = None

    @property
    def group(self) -> int:
        """0 could not run or no readable report; 1 failed or unconfirmed sends; 2 problems or decisions; 3 the rest."""
        if self.exit_code is None or self.exit_code == 2:
            return 0
        if self.exit_code == 3 or self.failed or self.unconfirmed:
            return 1
        if self.exit_code == 1 or self.problems or self.decisions:
            return 2
        return 3

    @property
    def open_total(self) -> dict[str, Decimal]:
        """Open balance per currency (never summed across currencies)."""
        return {currency: buckets["Total"] for currency, buckets in self.totals.items() if "Total" in buckets}


def label_for(path: str) -> str:
    """A run's name from its report's path: the folder an artifact was downloaded into
    (`sheet-sync-report-acme/sheet-sync-report.json` -> `acme`), else the file's name without `.json`."""
    parts = path.replace("\\", "/").rstrip("/").split("/")
    name = parts[-1]
    if name == "sheet-sync-report.json" and len(parts) > 1 and parts[-2] not in ("", "."):
        return parts[-2].removeprefix("sheet-sync-report-")
    return name.removesuffix(".json")


def read_report(source: str, text: str | None, why: str = "", label: str = "") -> PortfolioRow:
    """One report as a row. `text` is the file's content, or None with `why` it could not be read."""
    label = label or label_for(source)
    if text is None:
        return PortfolioRow(label, source, outcome="no report",
                            note=why or "no report: the run may not have started, or its artifact was not uploaded")
    try:
        data = json.loads(text)
    except ValueError as exc:
        return PortfolioRow(label, source, outcome="unreadable report",
                            note=f"{source} is not JSON ({exc.msg}, line {exc.lineno}): not a sheet-sync report")
    if not isinstance(data, dict) or "exit_code" not in data or "as_of" not in data:
        return PortfolioRow(label, source, outcome="unreadable report",
                            note=f"{source} is JSON but not a sheet-sync report (no exit_code or as_of)")
    version = data.get("format_version", 1)
    if not isinstance(version, int) or version > REPORT_FORMAT:
        return PortfolioRow(label, source, outcome="unreadable report", format_version=version if isinstance(version, int) else None,
                            note=f"written by a newer sheet-sync (report format {version}; this one reads up to "
                                 f"{REPORT_FORMAT}): update sheet-sync where the portfolio runs")
    try:
        return _row(label, source, data, version)
    except (TypeError, ValueError, KeyError, InvalidOperation, AttributeError) as exc:
        return PortfolioRow(label, source, outcome="unreadable report", format_version=version,
                            note=f"{source} has a value sheet-sync cannot read ({type(exc).__name__}: {exc})")


def _row(label: str, source: str, data: Mapping[str, Any], version: int) -> PortfolioRow:
    code = data["exit_code"]
    if not isinstance(code, int) or isinstance(code, bool):
        raise ValueError(f"exit_code {code!r} is not a number")
    as_of = date.fromisoformat(data["as_of"]) if data.get("as_of") else None
    common = dict(label=label, source=source, business=str(data.get("business") or ""),
                  workbook=str(data.get("workbook_name") or data.get("workbook") or ""), as_of=as_of,
                  exit_code=code, dry_run=bool(data.get("dry_run")), format_version=version)
    if code == 2:
        return PortfolioRow(**common, outcome=OUTCOMES[2], note=str(data.get("error") or "the run stopped before it "
                                                                                      "finished; see its log"))
    totals = {str(currency): {str(bucket): Decimal(str(amount)) for bucket, amount in buckets.items()}
              for currency, buckets in (data.get("totals") or {}).items()}
    note = "" if version >= 2 else "an older sheet-sync wrote this report (no business name): update it"
    failed = data.get("failed") or []
    return PortfolioRow(
        **common, outcome=OUTCOMES.get(code, f"stopped with exit code {code}"), note=note,
        labels=tuple(str(x) for x in data.get("labels") or ()), totals=totals,
        sent=len(data.get("sent") or ()),
        failed=sum(1 for m in failed if m.get("state") != "unconfirmed"),
        unconfirmed=len(set(data.get("unconfirmed") or ()) | {m.get("invoice_no") for m in failed
                                                                if m.get("state") == "unconfirmed"}),
        decisions=len(data.get("attention") or data.get("needs_attention") or ()),
        problems=len(data.get("blocking_problems") or ()),
    )


def build(rows: Iterable[PortfolioRow]) -> tuple[PortfolioRow, ...]:
    """The rows in the order a bookkeeper works through them (the module's docstring says why)."""
    def key(r: PortfolioRow):
        weight = r.failed + r.unconfirmed if r.group == 1 else r.problems + r.decisions
        return (r.group, -weight, (r.business or r.label).casefold(), r.label)

    return tuple(sorted(rows, key=key))


def all_labels(rows: Sequence[PortfolioRow]) -> tuple[str, ...]:
    """Every bucket named by any run, in the order the runs name them (configs may differ)."""
    seen: dict[str, None] = {}
    for r in rows:
        for label in r.labels:
            seen.setdefault(label, None)
    return tuple(seen)


def counts(r: PortfolioRow) -> tuple[int | str, ...]:
    """Sent, failed, unconfirmed, decisions, problems; blank for a run that has no figures to give."""
    if r.group == 0:
        return ("",) * 5
    return (r.sent, r.failed, r.unconfirmed, r.decisions, r.problems)


def open_text(r: PortfolioRow) -> str:
    """The open balance per currency as one text, `$1,250.00; ₩800,000`: side by side, never added up."""
    return _open(r)


def _open(r: PortfolioRow) -> str:
    return "; ".join(money(total, currency) for currency, total in r.open_total.items())


def _as_of(r: PortfolioRow) -> str:
    return (r.as_of.isoformat() if r.as_of else "") + (" (dry run)" if r.dry_run else "")


def _outcome(r: PortfolioRow) -> str:
    return f"{r.outcome}: {r.note}" if r.note else r.outcome


def markdown(rows: Sequence[PortfolioRow]) -> str:
    """The portfolio as Markdown for a job summary; every value from a report is escaped."""
    per_group = [sum(1 for r in rows if r.group == g) for g in range(4)]
    lines = [f"## sheet-sync portfolio: {len(rows)} workbook{'s' if len(rows) != 1 else ''}",
             " · ".join(f"**{n}** {name[2:]}" for n, name in zip(per_group, GROUPS)), ""]
    lines += table(["Book", "Business", "As of", "Outcome", "Open", "Sent", "Failed", "Unconfirmed", "Decisions",
                    "Problems"],
                   [(r.label, r.business, _as_of(r), _outcome(r), _open(r), *counts(r)) for r in rows],
                   "llll" + "r" * 6, limit=MAX_BOOKS)
    balances = [(r, currency, buckets) for r in rows for currency, buckets in r.totals.items()]
    if balances:
        labels = all_labels(rows)
        lines += ["", "### Open balances by days overdue", ""]
        lines += table(["Book", "Currency", *labels, "Total"],
                       [(r.label, currency, *(money(buckets.get(label), currency) for label in labels),
                         money(buckets.get("Total"), currency)) for r, currency, buckets in balances],
                       "ll" + "r" * (len(labels) + 1), limit=MAX_BOOKS)
    return "\n".join(lines) + "\n"


def text(rows: Sequence[PortfolioRow]) -> str:
    """The printed summary: one block per workbook, in the portfolio's order."""
    out = [f"sheet-sync portfolio: {len(rows)} workbook{'s' if len(rows) != 1 else ''}"]
    for r in rows:
        name = f"{r.label} ({r.business})" if r.business and r.business != r.label else r.label
        out.append(f"  {name}, as of {_as_of(r) or '?'}: {_outcome(r)}")
        if r.exit_code is not None and r.exit_code != 2:
            out.append(f"    open {_open(r) or 'nothing'}; sent {r.sent}, failed {r.failed}, unconfirmed {r.unconfirmed},"
                       f" decisions {r.decisions}, problems {r.problems}")
    return "\n".join(out)


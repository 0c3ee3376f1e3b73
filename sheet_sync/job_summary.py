"""A run as Markdown for a GitHub Actions job summary ($GITHUB_STEP_SUMMARY): pure, from a SyncResult's
`to_dict()`.

Totals per currency and bucket, a Mermaid bar chart per currency, the reminders by stage and to whom,
the failures, the invoices that need a decision and why, the problems with their cells. Everything that
comes from the sheet is escaped: a client name cannot break the table or inject markup.
"""
from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from typing import Iterable, Sequence

from sheet_sync.money import format_money
from sheet_sync.result import SyncResult

MAX_ROWS = 50  # per table; the rest is counted


_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")  # with [ and ] escaped, no ![..](..) or [..](..) can form
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)")  # GitHub links bare addresses: break them invisibly


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no line breaks, no HTML, and every character Markdown gives a
    meaning (links, images, emphasis, code, the table's bars) escaped, so a value from the sheet is shown
    as it is written and can never become a live link or image."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # no newlines
    return _AUTOLINK.sub("\u200b", _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False)))


def money(amount: Decimal | str | None, currency: str) -> str:
    return "" if amount is None else format_money(amount, currency, "en")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str = "", limit: int = MAX_ROWS) -> list[str]:
    rows = list(rows)
    out = ["| " + " | ".join(cell(h) for h in headers) + " |",
           "|" + "|".join(("---:" if a == "r" else "---") for a in (align or "l" * len(headers)).ljust(len(headers), "l")) + "|"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        out.append(f"\n… and {len(rows) - limit} more.")
    return out


def mermaid_bars(currency: str, labels: Sequence[str], totals) -> list[str]:
    def quoted(text: str) -> str:
        return '"' + str(text).replace('"', "'") + '"'

    values = ", ".join(format(Decimal(totals.get(label, 0)).quantize(Decimal("0.01")), "f") for label in labels)
    return ["```mermaid", "xychart-beta", f"    title {quoted(f'{currency} open balance by days overdue')}",
            "    x-axis [" + ", ".join(quoted(label) for label in labels) + "]",
            f"    y-axis {quoted(currency)}", f"    bar [{values}]", "```"]


def markdown_summary(result: SyncResult) -> str:
    r = result.to_dict()
    lines: list[str] = []
    mode = " (dry run: nothing written, nothing sent)" if r["dry_run"] else ""
    lines.append(f"## sheet-sync, {r['as_of']}{mode}")
    stages = r["reminders_by_stage"]
    verb = "would send" if r["dry_run"] else "sent"
    weekday = f"{date.fromisoformat(r['as_of']):%A}"
    facts = [f"**{r['invoices_read']}** invoices read",
             f"**{sum(stages.values())}** reminders {verb}" if r["sending_day"]
             else f"no reminders ({weekday} is not a sending day)",
             f"**{len(r['attention'])}** need a decision",
             f"**{len(r['blocking_problems'])}** problems"]
    if r["failed"]:
        facts.append(f"**{len(r['failed'])}** failed to send")
    lines.append(" · ".join(facts))
    lines.append("")
    if r.get("recurring_summary"):
        lines.append(cell(r["recurring_summary"][0].upper() + r["recurring_summary"][1:]))
        lines.append("")
    if r.get("awaiting_approval"):  # reminders.approval
        n = r["awaiting_approval"]
        lines.append(f"**{n}** message{'s' if n != 1 else ''} waiting for your approval in the Outgoing sheet")
        lines.append("")

    if r["failed"]:
        lines.append("### ⚠️ Not sent")
        lines += table(["Invoice", "Stage", "To", "State", "Why"],
                       [(m["invoice_no"], m["stage"], m["to"], m["state"], m["detail"]) for m in r["failed"]])
        lines.append("")

    if r["totals"]:
        lines.append("### Open balances")
        labels = r["labels"]
        lines += table(["Currency", *labels, "Total"],
                       [(c, *(money(t.get(label), c) for label in labels), money(t.get("Total"), c))
                        for c, t in r["totals"].items()],
                       "l" + "r" * (len(labels) + 1))
        lines.append("")
        for currency, t in r["totals"].items():
            lines += mermaid_bars(currency, labels, t)
        lines.append("")

    if stages:
        lines.append("### Reminders")
        lines += table(["Stage", "Count"], list(stages.items()), "lr")
        lines.append("")
        lines.append("<details><summary>To whom</summary>\n")
        lines += table(["Invoice", "Stage", "To", "Subject"],
                       [(m["invoice_no"], m["stage"], m["to"], m["subject"]) for m in r["reminders"]])
        lines.append("\n</details>\n")

    skipped = r["skipped"]
    if skipped:
        lines.append(f"{len(skipped)} reminders wait for the next run: {cell(skipped[0]['detail'])}.\n")

    if r["attention"]:
        lines.append("### Needs your decision")
        lines += table(["Invoice", "Client", "Balance", "Days overdue", "Why"],
                       [(a["invoice_no"], a["client"], money(a["balance"], a["currency"]), a["days_overdue"], a["reason"])
                        for a in r["attention"]],
                       "llrrl")
        lines.append("")

    if r["replied"]:
        lines.append("### Replied: reminders wait")
        lines += table(["Invoice", "Client", "Balance", "Reply"],
                       [(a["invoice_no"], a["client"], money(a["balance"], a["currency"]), a["reason"])
                        for a in r["replied"]], "llrl")
        lines.append("")

    if r["unconfirmed"]:
        lines.append("### Unconfirmed sends")
        lines.append("These may or may not have arrived; they are not sent again unless you set their State to "
                     "`retry` in the Reminder Log: " + ", ".join(cell(n) for n in r["unconfirmed"][:MAX_ROWS]) + "\n")

    blocking = r["blocking_problems"]
    if blocking:
        lines.append("### Problems in the sheet")
        lines += table(["Cell", "Problem"], [(p["cell"] or "", p["message"]) for p in blocking])
        lines.append("")
    return "\n".join(lines) + "\n"

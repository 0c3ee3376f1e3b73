"""The command line: parse options, make one library call, render the result. Nothing else.

Exit codes: 0 done; 1 done, but some rows have problems; 3 done, but some messages failed to
send; 2 could not run. Errors are one sentence on stderr; --debug adds the traceback.
"""
from __future__ import annotations

import argparse
import codecs
import io
import json
import os
import shlex
import sys
import traceback
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from sheet_sync import api
from sheet_sync.cells import FIRST_YEAR, LAST_YEAR
from sheet_sync.config import load_config
from sheet_sync.errors import SheetSyncError
from sheet_sync.recurring import summary_line

DEFAULT_CONFIG = "sheet-sync.toml"


def _as_of(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-30") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range; give a day between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _days(text: str) -> int:
    from sheet_sync.forecast import MAX_DAYS

    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days from 1 to {MAX_DAYS}, e.g. 30")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the full traceback when something goes wrong")
    with_config = argparse.ArgumentParser(add_help=False)
    with_config.add_argument("--config", default=DEFAULT_CONFIG, metavar="FILE",
                             help=f"the TOML config file (default: {DEFAULT_CONFIG})")

    parser = argparse.ArgumentParser(
        prog="sheet-sync",
        description="Turn a spreadsheet of clients and invoices into a calm, automatic payment collector.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", parents=[common], help="make a demo workbook and config, run a sync to an outbox",
                       description="Make a demo workbook (dates relative to today) and a config in DIR, run a sync "
                                   "with the outbox transport, and print what it did. No account, no network.")
    p.add_argument("dir", nargs="?", default="sheet-sync-demo", metavar="DIR",
                   help="folder for the demo files (default: ./sheet-sync-demo)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser("sync", parents=[common, with_config], help="age the invoices, send due reminders, write back",
                       description="The main job: read the workbook, compute aging, send the reminders that are due, "
                                   "write statuses, the Aging tabs and the Reminder Log back.")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="run as if today were DATE (YYYY-MM-DD)")
    p.add_argument("--dry-run", action="store_true", help="read and report only: write nothing, send nothing")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--report", metavar="FILE", help="also write the result as JSON to FILE")
    p.add_argument("--log", metavar="FILE", help="append what the run prints (its summary, or why it could not run) "
                                                 "to FILE with the time, instead of printing it; the file is kept "
                                                 "small (the scheduled run uses this)")

    p = sub.add_parser("check", parents=[common, with_config], help="validate config, workbook and templates",
                       description="Validate the config, the workbook and the templates; list every problem with its "
                                   "cell. Writes nothing.")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser("preview", parents=[common, with_config], help="render the reminder an invoice would get",
                       description="Render the reminder that an invoice would get: today's due stage, or --stage.")
    p.add_argument("invoice_no", metavar="INVOICE_NO", help="the invoice number, as on the Invoices sheet")
    p.add_argument("--stage", choices=["upcoming", "gentle", "firm", "final", "invoice"],
                   help="render this stage (invoice: the message that sends a Ready invoice)")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="as if today were DATE (YYYY-MM-DD)")
    p.add_argument("--html", action="store_true", help="print the HTML body instead of the text")

    p = sub.add_parser("invoice", parents=[common, with_config], help="write an invoice's PDF",
                       description="Write the invoice's PDF (in the client's language, on business.paper) to a file: "
                                   "its lines from the Line Items sheet, totals, balance due and how to pay.")
    p.add_argument("invoice_no", metavar="INVOICE_NO", help="the invoice number, as on the Invoices sheet")
    p.add_argument("--out", metavar="FILE", help="the PDF file to write (default: the invoice number, e.g. "
                                                 "INV-2026-0042.pdf, in the current folder)")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="as if today were DATE (YYYY-MM-DD)")

    p = sub.add_parser("forecast", parents=[common, with_config], help="the reminders of the coming days, the cash per week",
                       description="The messages the daily runs will send, day by day, if nothing is paid (client, "
                                   "invoices, stage; the days that send nothing; when invoices turn Needs Attention), "
                                   "and the open balances by the week they fall due, per currency. Reads the workbook "
                                   "only: writes nothing, sends nothing, reads no mailbox.")
    p.add_argument("--days", type=_days, default=30, metavar="N", help="how many days ahead, from the as-of day (default: 30)")
    p.add_argument("--as-of", type=_as_of, metavar="DATE", help="start on DATE instead of today (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="print the forecast as JSON (dates ISO, money as strings)")

    p = sub.add_parser("portfolio", parents=[common], help="one table of many runs' --report files",
                       description="Read the --report JSON of many runs (one per workbook) and show one row per "
                                   "workbook: business, as-of date, open balances per currency and bucket, reminders "
                                   "sent, failed and unconfirmed, decisions, problems and the run's outcome; the "
                                   "workbooks that need you first. A missing or broken report is a row that says so. "
                                   "In a GitHub Actions run the Markdown also goes into the job summary.")
    p.add_argument("reports", nargs="+", metavar="REPORT.json", help="the reports, e.g. reports/*/sheet-sync-report.json")
    p.add_argument("--xlsx", metavar="FILE", help="write the portfolio as an Excel workbook to FILE")
    p.add_argument("--markdown", metavar="FILE", help="write the portfolio as Markdown to FILE")

    p = sub.add_parser("doctor", parents=[common, with_config], help="check the whole set-up; sends and writes nothing",
                       description="Check the set-up end to end without sending or writing anything: the config, the "
                                   "credentials, the workbook, the mail login, the templates, the time zone and the "
                                   "holidays. One line per check, with a fix for each failure; exit code 2 if any fails.")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")

    p = sub.add_parser("schedule", help="run sync every sending day with this computer's own scheduler",
                       description="Set up, show or remove a daily `sheet-sync sync` for a config with this computer's "
                                   "own scheduler: a crontab entry on Linux, a launchd agent on macOS, a Task Scheduler "
                                   "task on Windows. It runs on reminders.send_days at --time in aging.timezone, and "
                                   "appends to sheet-sync.log beside the workbook.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("install", parents=[common, with_config], help="schedule the daily run (again: replaces it)",
                           description="Schedule `sheet-sync sync --config FILE` on the config's sending days at --time "
                                       "in its time zone. Installing again replaces the entry, never adds a second.")
    a.add_argument("--time", default="08:00", metavar="HH:MM",
                   help="the time of day in aging.timezone (default: 08:00)")
    actions.add_parser("status", parents=[common, with_config], help="show whether and when the daily run is scheduled",
                       description="Show the scheduled entry for the config, where its log is, and whether its "
                                   "summary goes to you by the digest (mail.digest_to).")
    actions.add_parser("remove", parents=[common, with_config], help="take the daily run out of the scheduler",
                       description="Remove the config's scheduled entry; everything else in the scheduler stays as "
                                   "it was.")
    return parser


# What a console's code page cannot show, in letters it can: "CN¥1,250.00" reads "CNY1,250.00" in code page
# 949 (Korean Windows), "₩800,000" reads "KRW 800,000" in 1252; anything else becomes "?".
_STAND_INS = {"¥": "Y", "￥": "Y", "₩": "KRW ", "￦": "KRW ", "€": "EUR ", "£": "GBP ", "\u00a0": " ", "\u202f": " ",
              "–": "-", "—": "-", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "→": "->", "·": "-", "×": "x",
              "÷": "/"}


def _stand_in(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_STAND_INS.get(ch, "?") for ch in exc.object[exc.start:exc.end]), exc.end


codecs.register_error("sheet_sync_stand_in", _stand_in)


def _printable_everywhere() -> None:
    """Printing never fails on an encoding. Output to a file or a pipe (a scheduled task's log) is UTF-8,
    unless the owner chose an encoding with PYTHONIOENCODING; a console, or the chosen encoding, shows what
    its code page cannot as a stand-in (a Korean or Chinese Windows writes redirected output in code page
    949 or 936, which has no "¥" or "€")."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue
        if not os.environ.get("PYTHONIOENCODING") and not stream.isatty():
            stream.reconfigure(encoding="utf-8", errors="sheet_sync_stand_in")
        else:
            stream.reconfigure(errors="sheet_sync_stand_in")


def _stdout_is_utf8() -> bool:
    return codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name == "utf-8"


def main(argv: list[str] | None = None) -> int:
    _printable_everywhere()
    args = build_parser().parse_args(argv)
    if getattr(args, "log", None):
        return _logged(args)
    return _dispatch(args)


def _logged(args: argparse.Namespace) -> int:
    """Run the command with its output going to the --log file (appended, with the time), not to the screen."""
    import contextlib
    from sheet_sync import runlog

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        code = _dispatch(args)
    text = runlog.entry(datetime.now().astimezone(), args.command, code, captured.getvalue())
    try:
        runlog.append(Path(args.log), text)
    except OSError as exc:
        print(f"sheet-sync: could not write the log {args.log} ({exc.strerror}).", file=sys.stderr)
        print(text, end="")
    return code


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except SheetSyncError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"sheet-sync: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sheet-sync: interrupted.", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one sentence unless --debug
        if args.debug:
            traceback.print_exc()
        print(f"sheet-sync: unexpected error ({type(exc).__name__}: {exc}); run again with --debug for details.",
              file=sys.stderr)
        return 2


def _progress(done: int, total: int, what: str) -> None:
    if sys.stderr.isatty() and total >= 10:
        print(f"\rsending {done}/{total} ({what})" + " " * 10, end="" if done < total else "\n", file=sys.stderr)


def cmd_sync(args: argparse.Namespace) -> int:
    report = Path(args.report) if args.report else None
    config = None
    try:
        config = load_config(args.config)
        if report is not None and (report.is_dir() or not report.parent.is_dir()):  # before anything is sent
            bad, report = report, None
            raise SheetSyncError(f"--report {bad} is {'a folder' if bad.is_dir() else 'in a folder that does not exist'}; "
                                 "name a file to write the run's JSON to.")
        result = api.sync(config, as_of=args.as_of, dry_run=args.dry_run, progress=_progress)
    except Exception as exc:
        # A run that could not run still leaves its report, so that a portfolio of many runs can say why.
        if report is not None:
            _write_report(report, _failed_report(exc, config, args))
        raise
    print(to_json(result, for_stdout=True) if args.json else render_summary(result))
    if report is not None:
        _write_report(report, result.to_dict(), "; the run itself is done")
    _job_summary(result)
    return result.exit_code


def _failed_report(exc: Exception, config, args: argparse.Namespace) -> dict:
    from sheet_sync.result import failed_run_dict

    error = str(exc) if isinstance(exc, SheetSyncError) else f"unexpected error ({type(exc).__name__}: {exc})"
    if config is None:  # the day the run stood on: in UTC, when the config (and its time zone) is unreadable
        return failed_run_dict(error, workbook=str(args.config), dry_run=args.dry_run,
                               as_of=args.as_of or datetime.now(timezone.utc).date())
    return failed_run_dict(error, business=config.business.name,
                           workbook=str(config.workbook.path or config.workbook.google_sheet),
                           workbook_name=api.workbook_name(config), as_of=args.as_of or api.today(config),
                           dry_run=args.dry_run)


def _write_report(report: Path, data: dict, after: str = "") -> None:
    """A --report file: always UTF-8, letters unescaped; data, so LF on every system."""
    try:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    except OSError as exc:
        print(f"sheet-sync: could not write the report {report} ({exc.strerror}){after}.", file=sys.stderr)


def _job_summary(result: api.SyncResult) -> None:
    """In a GitHub Actions run, add the run's Markdown summary to the job's page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not target:
        return
    from sheet_sync.job_summary import markdown_summary

    _append_job_summary(markdown_summary(result))


def _append_job_summary(md: str) -> None:
    """In a GitHub Actions run ($GITHUB_STEP_SUMMARY set), add Markdown to the job's page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(md)
    except OSError as exc:
        print(f"sheet-sync: could not write the job summary ({exc.strerror}).", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    from sheet_sync.demo import run_demo

    result, folder = run_demo(Path(args.dir))
    if args.json:
        print(to_json(result, for_stdout=True))
    else:
        print(f"Demo workbook and config written to {folder}{os.sep}")
        print(render_summary(result))
        # a folder with a space in it (C:\\Users\\Kim Minji\\...) must stay one argument to cd
        shown = f'"{folder}"' if os.name == "nt" else shlex.quote(str(folder))
        print(f"\nTry: cd {shown} && sheet-sync preview {result.messages[0].invoice_no if result.messages else 'INV-2026-0001'}"
              " && sheet-sync sync --dry-run")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    result = api.check(config)
    if args.json:
        print(to_json(result, for_stdout=True))
        return result.exit_code
    print(f"Config OK. Read {result.clients} clients and {result.invoices} invoices.")
    for p in result.problems:
        print(("  problem: " if p.blocking else "  warning: ") + str(p))
    for t in result.template_problems:
        print(f"  template: {t}")
    if not result.problems and not result.template_problems:
        print("No problems found.")
    return result.exit_code


def cmd_preview(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    shown = api.preview(config, args.invoice_no, args.stage, args.as_of)
    o = shown.outgoing
    body = o.message.get_body(("html",) if args.html else ("plain",))
    stage = f"{o.stage} ({shown.note})" if shown.note else o.stage
    print(f"To: {o.to_text}\nSubject: {o.subject}\nStage: {stage}")
    from sheet_sync.attach import wanted
    from sheet_sync.invoice_doc import invoice_filename

    attached = [invoice_filename(no) for no in wanted(o, config)]
    print(f"Attached: {', '.join(attached)} (the invoice PDF; `sheet-sync invoice` writes it)\n" if attached else "")
    print(body.get_content())
    return 0


def cmd_invoice(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    out = Path(args.out) if args.out else None
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        raise SheetSyncError(f"--out {out} is {'a folder' if out.is_dir() else 'in a folder that does not exist'}; "
                             "name the PDF file to write.")
    pdf = api.invoice_pdf(config, args.invoice_no, args.as_of)
    out = out or Path(pdf.filename)
    try:
        out.write_bytes(pdf.data)
    except OSError as exc:
        raise SheetSyncError(f"Cannot write {out}: {exc.strerror}.") from None
    print(f"Invoice {pdf.invoice_no} written to {out} ({len(pdf.data) // 1024 + 1} KB, {pdf.language}).")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from sheet_sync import doctor

    def show_traceback(name: str, text: str) -> None:  # already scrubbed of secrets
        print(f"--- {name} ---\n{text}", file=sys.stderr)

    checks = doctor.run_checks(Path(args.config), on_error=show_traceback if args.debug else None)
    print(doctor.checks_json(checks) if args.json else doctor.format_checks(checks))
    return doctor.exit_code(checks)


def cmd_portfolio(args: argparse.Namespace) -> int:
    from sheet_sync import portfolio

    outputs = [Path(f) for f in (args.xlsx, args.markdown) if f]
    for out in outputs:  # before reading anything: a typo in a path is one sentence, not a half-done job
        if out.is_dir() or not out.parent.is_dir():
            raise SheetSyncError(f"{out} is {'a folder' if out.is_dir() else 'in a folder that does not exist'}; "
                                 "name the file to write the portfolio to.")
    rows = []
    for name in args.reports:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            rows.append(portfolio.read_report(name, None, f"nothing at {name}: the run may not have started, "
                                                           "or its report was not kept"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            rows.append(portfolio.read_report(name, None, f"{name} cannot be read ({why})"))
            continue
        rows.append(portfolio.read_report(name, text))
    rows = portfolio.build(rows)
    md = portfolio.markdown(rows)
    if args.xlsx:
        from sheet_sync.portfolio_xlsx import write_xlsx

        try:
            write_xlsx(rows, Path(args.xlsx))
        except OSError as exc:
            raise SheetSyncError(f"Cannot write {args.xlsx}: {exc.strerror}.") from None
    if args.markdown:
        try:
            Path(args.markdown).write_text(md, encoding="utf-8")
        except OSError as exc:
            raise SheetSyncError(f"Cannot write {args.markdown}: {exc.strerror}.") from None
    if not outputs:
        print(portfolio.text(rows))
    else:
        print(f"Portfolio of {len(rows)} workbook{'s' if len(rows) != 1 else ''} written to "
              + " and ".join(str(o) for o in outputs) + ".")
    _append_job_summary(md)
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from sheet_sync import schedule, schedule_run

    if args.action == "install":
        lines = schedule_run.install(args.config, schedule.parse_time(args.time))
    elif args.action == "status":
        lines = schedule_run.status(args.config)
    else:
        lines = schedule_run.remove(args.config)
    print("\n".join(lines))
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    from sheet_sync.forecast import to_text

    config = load_config(args.config)
    fc = api.forecast(config, args.days, args.as_of)
    if args.json:
        print(json.dumps(fc.to_dict(), ensure_ascii=not _stdout_is_utf8(), indent=2))
    else:
        print(to_text(fc))
    return 0


COMMANDS = {"sync": cmd_sync, "portfolio": cmd_portfolio, "demo": cmd_demo, "check": cmd_check, "preview": cmd_preview,
            "invoice": cmd_invoice, "forecast": cmd_forecast, "doctor": cmd_doctor, "schedule": cmd_schedule}



# ---- rendering results -----------------------------------------------------------------------

def _money(amount: Decimal, currency: str) -> str:
    from sheet_sync.money import format_money

    return format_money(amount, currency, "en")


def render_summary(r: api.SyncResult) -> str:
    lines = []
    mode = " (dry run: nothing written, nothing sent)" if r.dry_run else ""
    lines.append(f"sheet-sync as of {r.as_of.isoformat()}{mode}")
    written_by = {"surgical": " (written by the surgical writer)", "openpyxl": " (written by openpyxl, the fallback writer)"}
    lines.append(f"  workbook: {r.workbook}{written_by.get(r.writer, '')}")
    blocking = r.blocking_problems
    lines.append(f"  invoices read: {r.invoices_read}; problems: {len(blocking)}; warnings: {len(r.problems) - len(blocking)}")
    if r.statuses:
        lines.append("  statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(r.statuses.items())))
    if r.totals:
        lines.append("  open balances:")
        width = max(len(_money(t["Total"], c)) for c, t in r.totals.items())
        for currency, t in r.totals.items():
            parts = ", ".join(f"{label} {_money(t[label], currency)}" for label in r.labels if t[label])
            lines.append(f"    {currency}  total {_money(t['Total'], currency):>{width}}  ({parts})")
    stages = r.by_stage()
    verb = "would send" if r.dry_run else "sent"
    if not r.sending_day:
        lines.append(f"  reminders: none ({r.as_of:%A} is not a sending day)")
    else:
        messages = len({m.message_id for m in r.reminders})
        invoices = stages.get("invoice", 0)  # a Ready invoice sent is the invoice itself, not a reminder of it
        what = ("invoices" if invoices == sum(stages.values()) else "invoices and reminders") if invoices else "reminders"
        lines.append(f"  {what} {verb}: {sum(stages.values())}"
                     + (" (" + ", ".join(f"{s} {n}" for s, n in stages.items()) + ")" if stages else "")
                     + (f" in {messages} message{'s' if messages != 1 else ''}" if messages != sum(stages.values()) else ""))
    if r.awaiting_approval is not None:  # reminders.approval: nothing goes to a client before the owner's yes
        n = r.awaiting_approval
        lines.append(f"  waiting for your approval: {n} message{'s' if n != 1 else ''} (the Outgoing sheet: set "
                     "Approve to yes, no or hold)")
        for note in r.approval_notes[:20]:
            lines.append(f"    {note}")
    if r.recurring_added:
        lines.append("  " + summary_line(r.recurring_added, r.dry_run))
    if r.recurring_already:
        lines.append(f"  recurring: {r.recurring_already} period{'s' if r.recurring_already != 1 else ''} already on "
                     "the Invoices sheet (a run stopped before it moved Next Date): not added again")
    for m in r.failed:
        lines.append(f"  FAILED {m.invoice_no} {m.stage} to {m.to}: {m.detail}")
    for p in r.pdf_warnings:
        lines.append(f"  warning: {p}")
    skipped = r.skipped
    if skipped:
        n = len(skipped)
        lines.append(f"  {n} reminder{'s' if n != 1 else ''} left for the next run ({skipped[0].detail.split(';')[0]})")
    if r.needs_attention:
        lines.append(f"  needs a decision ({len(r.needs_attention)}): {_some(r.needs_attention)}")
    if r.replied:
        lines.append(f"  replied, reminders wait ({len(r.replied)}): {_some(tuple(a.invoice_no for a in r.replied))}")
    if r.mailbox:
        lines.append(f"  {r.mailbox}")
    if r.unconfirmed:
        lines.append(f"  unconfirmed sends (not repeated; set State to 'retry' to resend): {_some(r.unconfirmed)}")
    if blocking:
        lines.append("  problems:")
        for p in blocking[:20]:
            lines.append(f"    {p}")
        if len(blocking) > 20:
            lines.append(f"    ... and {len(blocking) - 20} more (see Sync Notes, or run sheet-sync check)")
    if r.outbox_dir and r.sent:
        lines.append(f"  outbox: {r.outbox_dir}")
    if r.digest:
        lines.append(f"  digest: {r.digest}")
    return "\n".join(lines)


def _some(items, n: int = 8) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n} more (filter Sync Status on the Invoices sheet)" if len(items) > n else "")


def to_json(r: api.SyncResult | api.CheckResult, for_stdout: bool = False) -> str:
    """The result as JSON; for a stdout that is not UTF-8, with non-ASCII letters escaped (`\\uc6d0`), so
    that no code page loses a character of it."""
    return json.dumps(r.to_dict(), ensure_ascii=for_stdout and not _stdout_is_utf8(), indent=2)

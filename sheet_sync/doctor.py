"""`sheet-sync doctor`: check a set-up end to end, sending nothing and writing nothing.

    run_checks(config_path)  -> [Check]    one per thing that must work before a sync can
    format_checks(checks)    -> str        one line per check, a `fix:` line under each failure
    checks_json(checks)      -> str
    exit_code(checks)        -> 0 when nothing failed, 2 otherwise

The checks, in order (a check whose input failed is a `skip` naming what it waits for):

    config       the TOML file loads (keys, values, time zone and holiday country included)
    google key   a Google Sheet only: the service account's key loads from the environment
    mail secret  the password for smtp/gmail is in the environment (or the Gmail OAuth2 file is usable)
    workbook     the .xlsx opens and Excel does not hold it open, or the Google Sheet opens
    sheets       Clients and Invoices read; how many rows, how many problems (`sheet-sync check` lists them)
    mail login   smtp/gmail: connect and log in, then quit (no message); outbox: the folder can be written
    templates    every stage renders in every language, the owner's overrides included
    time zone    aging.timezone resolves
    holidays     reminders.holidays resolves to this year's public holidays
    last run     the Aging Summary's `Last run` line: a warning when no run wrote it, or none ran on the last two
                 sending days (a scheduled run that stopped)

No secret (password, private key, token) can appear in a Check: every text is scrubbed of the values
found in the environment and in the credential files before it is returned.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable, Mapping

from sheet_sync.config import Config, load_config
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.model import LANGUAGES, STAGES

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
LABELS = {OK: "ok", WARN: "warn", FAIL: "FAIL", SKIP: "skip"}
SECRET_VARS = ("SMTP_PASSWORD", "GMAIL_APP_PASSWORD", "IMAP_PASSWORD", "GOOGLE_SERVICE_ACCOUNT_JSON")
RERUN = "then run sheet-sync doctor again"

OnError = Callable[[str, str], None]  # (check name, traceback text already scrubbed of secrets)


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Attributes:
        name: what was checked (`config`, `workbook`, `mail login`, ...).
        state: `ok`, `warn` (works, but look), `fail` or `skip` (an earlier check it needs failed).
        detail: one sentence: what was found.
        fix: what to do about it (for `fail` and `warn`).
        more: further sentences (every broken template, say).
    """

    name: str
    state: str
    detail: str
    fix: str = ""
    more: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.state != FAIL


def exit_code(checks: Iterable[Check]) -> int:
    return 2 if any(c.state == FAIL for c in checks) else 0


# ---- secrets --------------------------------------------------------------------------------

def _secret_values() -> list[str]:
    """Every secret the checks could come near: passwords, the service account's key, OAuth2 tokens."""
    found: list[str] = []
    for var in SECRET_VARS:
        value = os.environ.get(var, "")
        if value.strip():
            found.append(value)
            found.append(value.strip())
    raw = os.environ.get("GOOGLE_SERVICE_ACCOUNT_JSON", "")
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    for text in (raw, _read_small(path)):
        found.extend(_json_secrets(text))
    return sorted({s for s in found if len(s) >= 6}, key=len, reverse=True)


def _read_small(path: str | Path | None) -> str:
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(1_000_000)
    except (OSError, UnicodeDecodeError):
        return ""


def _json_secrets(text: str) -> list[str]:
    """The private key (whole and line by line) and any token or client secret in a JSON credential."""
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return []
    if isinstance(data, dict) and isinstance(data.get("installed"), dict):
        data = {**data, **data["installed"]}
    if not isinstance(data, dict):
        return []
    found = []
    for key, value in data.items():
        if not isinstance(value, str):
            continue
        if key == "private_key":
            found.append(value)
            found.extend(line for line in value.splitlines() if len(line) >= 16 and "-----" not in line)
        elif any(word in key for word in ("secret", "token", "private_key_id", "password")):
            found.append(value)
    return found


class _Scrubber:
    def __init__(self, extra_files: Iterable[Path] = ()):
        secrets = _secret_values()
        for path in extra_files:
            secrets.extend(_json_secrets(_read_small(path)))
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def check(self, c: Check) -> Check:
        return Check(c.name, c.state, self.text(c.detail), self.text(c.fix), tuple(self.text(m) for m in c.more))


# ---- the checks -----------------------------------------------------------------------------

def run_checks(config_path: Path | str, on_error: OnError | None = None) -> list[Check]:
    """Check the set-up named by `config_path`, sending nothing and writing nothing.

    Args:
        config_path: the TOML config file.
        on_error: called with (check name, traceback) when a check fails by an exception, for --debug;
            the traceback is scrubbed of secrets like every other text.

    Returns:
        The checks in order; `exit_code(checks)` is 2 when any failed.
    """
    config_path = Path(config_path)
    scrub = _Scrubber()
    try:
        config = load_config(config_path)
    except SheetSyncError as exc:
        if on_error:
            on_error("config", scrub.text(traceback.format_exc()))
        fix = (f"copy config.example.toml to {config_path.name} beside your workbook and set workbook.path, "
               "[business] and mail.from" if not config_path.exists()
               else f"edit {config_path.name} (config.example.toml documents every key and its values), {RERUN}")
        later = ("mail secret", "workbook", "sheets", "mail login", "templates", "time zone", "holidays", "last run")
        return [scrub.check(Check("config", FAIL, str(exc), fix))] + [
            Check(name, SKIP, "needs a valid config") for name in later]

    if config.mail.gmail.oauth2_file:
        scrub = _Scrubber([config.mail.gmail.oauth2_file])
    doctor = _Doctor(config, config_path, scrub, on_error)
    return doctor.run()


class _Doctor:
    def __init__(self, config: Config, config_path: Path, scrub: _Scrubber, on_error: OnError | None):
        self.config = config
        self.config_path = config_path
        self.scrub = scrub
        self.on_error = on_error
        self.checks: list[Check] = []
        self.identity = ""  # the service account's email, once its key loaded
        self.raw = None  # the sheets read by the workbook check

    def run(self) -> list[Check]:
        config = self.config
        self._add("config", lambda: Check("config", OK, f"{self.config_path.name} is valid"))
        google = bool(config.workbook.google_sheet)
        key_ok = True
        if google:
            key_ok = self._add("google key", self._google_key)
        secret_ok = self._add("mail secret", self._mail_secret)
        if key_ok:
            self._add("workbook", self._workbook)
        else:
            self._skip("workbook", "needs the Google credentials")
        if self.raw is not None:
            self._add("sheets", self._sheets)
        else:
            self._skip("sheets", "needs the workbook to open")
        if config.mail.transport == "outbox":
            self._add("outbox", self._outbox)
        elif secret_ok:
            self._add("mail login", self._mail_login)
        else:
            self._skip("mail login", "needs the mail secret")
        if config.mail.imap.on:
            self._add("mailbox", self._mailbox)
        self._add("templates", self._templates)
        self._add("invoice pdf", self._invoice_pdf)
        self._add("time zone", self._time_zone)
        self._add("holidays", self._holidays)
        if self.raw is not None:
            self._add("last run", self._last_run)
        else:
            self._skip("last run", "needs the workbook to open")
        return self.checks

    # ---- plumbing ------------------------------------------------------------------------

    def _add(self, name: str, fn: Callable[[], Check]) -> bool:
        """Run one check; an exception becomes a failed check, never a crash. True unless it failed."""
        try:
            check = fn()
        except SheetSyncError as exc:  # a check function raises this only for what it cannot name better
            self._report(name)
            check = Check(name, FAIL, str(exc), _fix(exc))
        except Exception as exc:  # noqa: BLE001 - a bug or an odd environment: one line, the rest with --debug
            self._report(name)
            check = Check(name, FAIL, f"unexpected error ({type(exc).__name__}: {exc})",
                          "run sheet-sync doctor --debug and report the traceback")
        self.checks.append(self.scrub.check(check))
        return check.state != FAIL

    def _report(self, name: str) -> None:
        if self.on_error and sys.exc_info()[0] is not None:
            self.on_error(name, self.scrub.text(traceback.format_exc()))

    def _skip(self, name: str, why: str) -> None:
        self.checks.append(Check(name, SKIP, why))

    def _fail(self, name: str, detail: str, fix: str, more: Iterable[str] = ()) -> Check:
        self._report(name)
        return Check(name, FAIL, detail, fix, tuple(more))

    @property
    def _endpoint(self) -> str:
        return self.config.google.api_endpoint or os.environ.get("SHEET_SYNC_GOOGLE_API_ENDPOINT", "").strip()

    # ---- credentials ---------------------------------------------------------------------

    def _google_key(self) -> Check:
        from sheet_sync.backends.google_client import load_credentials

        try:
            _, identity = load_credentials(self._endpoint)
        except SheetSyncError as exc:
            key = exc.fix or ("put the service account's JSON key in GOOGLE_SERVICE_ACCOUNT_JSON (or its file path in "
                              "GOOGLE_APPLICATION_CREDENTIALS)")
            return self._fail("google key", str(exc),
                              f"{key}; the README's 'A Google Sheet as the workbook' says how to make one, {RERUN}")
        self.identity = identity
        if os.environ.get("GOOGLE_SERVICE_ACCOUNT_JSON", "").strip():
            source = "GOOGLE_SERVICE_ACCOUNT_JSON"
        elif os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip():
            source = "GOOGLE_APPLICATION_CREDENTIALS"
        else:
            return Check("google key", OK, f"none needed for the emulator at {self._endpoint}")
        return Check("google key", OK, f"service account {identity} (from {source})")

    def _mail_secret(self) -> Check:
        mail = self.config.mail
        if mail.transport == "outbox":
            return Check("mail secret", OK, "none needed: mail.transport is outbox")
        if mail.transport == "smtp":
            if not mail.smtp.host:
                return self._fail("mail secret", "mail.smtp.host is not set.",
                                  f"name your SMTP server in mail.smtp.host in {self.config_path.name}")
            if not mail.smtp.user:
                return Check("mail secret", OK, "none needed: mail.smtp.user is empty, so there is no login")
            if not os.environ.get("SMTP_PASSWORD", ""):
                return self._fail("mail secret", "SMTP_PASSWORD is not set.",
                                  f"put the password of {mail.smtp.user} on {mail.smtp.host} in the environment "
                                  "variable SMTP_PASSWORD (for a scheduled job, as a secret; never in the config "
                                  f"file), {RERUN}")
            return Check("mail secret", OK, f"SMTP_PASSWORD is set (for {mail.smtp.user})")
        # gmail
        oauth = mail.gmail.oauth2_file
        if oauth:
            return self._gmail_oauth2(oauth)
        if not os.environ.get("GMAIL_APP_PASSWORD", ""):
            return self._fail("mail secret", "GMAIL_APP_PASSWORD is not set.",
                              "create an app password at https://myaccount.google.com/apppasswords (not your "
                              "account password) and put it in the environment variable GMAIL_APP_PASSWORD, or set "
                              f"mail.gmail.oauth2_file, {RERUN}")
        return Check("mail secret", OK, f"GMAIL_APP_PASSWORD is set (for {mail.gmail.user or mail.from_})")

    def _gmail_oauth2(self, path: Path) -> Check:
        fix = ("make the file once with yagmail's OAuth2 set-up (see https://github.com/kootenpv/yagmail), or use an "
               f"app password in GMAIL_APP_PASSWORD instead and remove mail.gmail.oauth2_file, {RERUN}")
        from sheet_sync.mail.smtp import oauth2_problem

        problem = oauth2_problem(path)  # a client-secrets file would make yagmail ask questions and rewrite it
        if problem:
            return self._fail("mail secret", problem, fix)
        return Check("mail secret", OK, f"the Gmail OAuth2 file {path.name} holds a refresh token")

    # ---- the workbook --------------------------------------------------------------------

    def _workbook(self) -> Check:
        from sheet_sync.backends import get_backend
        from sheet_sync.load import wanted_sheets

        if self.config.workbook.google_sheet:
            return self._google_workbook()
        path = self.config.workbook.path
        where = f"workbook.path in {self.config_path.name}"
        try:
            backend = get_backend(self.config)
        except SheetSyncError as exc:
            return self._fail("workbook", str(exc), f"set {where} to your .xlsx file, {RERUN}")
        if not path.exists():
            return self._fail("workbook", f"The workbook {path} does not exist.",
                              f"check {where} (a relative path starts from the config file's folder), {RERUN}")
        if not path.is_file():
            return self._fail("workbook", f"{path} is a folder, not a workbook.", f"point {where} at the .xlsx file")
        try:
            with open(path, "rb") as fh:
                fh.read(4)
        except OSError as exc:
            return self._fail("workbook", f"{path} cannot be read ({exc.strerror}).",
                              f"let the user who runs sheet-sync read and write {path.name}, {RERUN}")
        try:
            self.raw = backend.read(_with_summary(wanted_sheets(self.config), self.config))
        except SheetSyncError as exc:
            return self._fail("workbook", str(exc),
                              _fix(exc, default=f"open {path.name} in Excel and save it as an Excel Workbook (.xlsx)"))
        try:
            backend.probe()
        except SheetSyncError as exc:  # it reads, so the sheets can still be checked
            return self._fail("workbook", str(exc), _fix(exc))
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            return self._fail("workbook", f"{path} opens, but sheet-sync could not write it back.",
                              f"let the user who runs sheet-sync write {path.name} and its folder {path.parent}")
        return Check("workbook", OK, f"{path.name} opens and is not open in Excel")

    def _google_workbook(self) -> Check:
        from sheet_sync.backends import get_backend
        from sheet_sync.load import wanted_sheets

        try:
            backend = get_backend(self.config)
            self.raw = backend.read(_with_summary(wanted_sheets(self.config), self.config))  # metadata first: the sharing is checked there
            found = backend.probe()  # a marker added and removed at once: shared as Editor, not Viewer
        except SheetSyncError as exc:  # not shared, a Viewer only, no such sheet, a refused key, no network
            return self._fail("workbook", str(exc), _fix(exc, default="check the network and workbook.google_sheet"))
        return Check("workbook", OK, found)

    def _sheets(self) -> Check:
        from sheet_sync.load import load_book

        try:
            book = load_book(self.raw, self.config)
        except SheetSyncError as exc:
            return self._fail("sheets", str(exc),
                              f"add the sheet, or name yours in [workbook.sheets] in {self.config_path.name}, {RERUN}")
        blocking = sum(1 for p in book.problems if p.blocking)
        warnings = len(book.problems) - blocking
        read = f"{_count(len(book.clients), 'client')} and {_count(len(book.invoices), 'invoice')} read"
        if blocking:
            also = f", {_count(warnings, 'warning')}" if warnings else ""
            return Check("sheets", WARN, f"{read}; {_count(blocking, 'problem')}{also}",
                         "run sheet-sync check to see each problem with its cell; those rows get no reminder "
                         "until fixed")
        if warnings:
            return Check("sheets", OK, f"{read}; no problems, {_count(warnings, 'warning')} (sheet-sync check "
                                       "lists them)")
        return Check("sheets", OK, f"{read}; no problems")

    # ---- mail ----------------------------------------------------------------------------

    def _mail_login(self) -> Check:
        from sheet_sync.mail.smtp import check_login

        mail = self.config.mail
        try:
            where = check_login(self.config)  # connect, log in, quit: no message
        except SheetSyncError as exc:
            if mail.transport == "gmail":
                login = ("put an app password from https://myaccount.google.com/apppasswords (not your account "
                         f"password) for {mail.gmail.user or mail.from_} in GMAIL_APP_PASSWORD")
            else:
                login = f"check mail.smtp.user ({mail.smtp.user}) and the password in SMTP_PASSWORD"
            return self._fail("mail login", str(exc), _fix(exc, {ErrorKind.MAIL_LOGIN: login},
                                                          default="check the [mail] settings"))
        if mail.transport == "smtp" and not mail.smtp.user:
            return Check("mail login", OK, f"connected to {where} (no login: mail.smtp.user is empty); "
                                           "nothing was sent")
        return Check("mail login", OK, f"{where} accepted the login; nothing was sent")

    def _mailbox(self) -> Check:
        from sheet_sync.mail.mailbox import check_login

        imap = self.config.mail.imap
        try:
            where = check_login(self.config)  # connect, log in, look for the folders, log out: read-only
        except SheetSyncError as exc:
            return self._fail("mailbox", str(exc), _fix(exc, {ErrorKind.MAIL_LOGIN: (
                f"check mail.imap.user ({imap.user}) and the password in IMAP_PASSWORD (for Gmail, an app password "
                "from https://myaccount.google.com/apppasswords)")}, default="check the [mail.imap] settings"))
        return Check("mailbox", OK, f"{where} accepted the login of {imap.user}; folders {', '.join(imap.folders)} "
                                    "found; nothing was changed")

    def _outbox(self) -> Check:
        folder = self.config.mail.outbox_dir
        fix = f"set mail.outbox_dir to a folder the user who runs sheet-sync can write, {RERUN}"
        missing: list[Path] = []  # folders this check creates, deepest first, removed again at the end
        p = folder
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        if not p.is_dir():
            return self._fail("outbox", f"The outbox {folder} cannot be made: {p} is a file, not a folder.", fix)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sheet-sync-doctor-", suffix=".tmp")
            try:
                os.write(fd, b"sheet-sync doctor\n")
            finally:
                os.close(fd)
                os.unlink(tmp)
        except OSError as exc:
            return self._fail("outbox", f"The outbox {folder} cannot be written ({exc.strerror}).", fix)
        finally:
            for d in missing:
                try:
                    d.rmdir()
                except OSError:
                    pass
        return Check("outbox", OK, f"{folder} can be written (nothing was left in it)")

    # ---- templates and calendar ----------------------------------------------------------

    def _templates(self) -> Check:
        from sheet_sync.render import check_templates

        folder = self.config.reminders.templates_dir
        problems = check_templates(folder, bool(self.config.reminders.late_fee))
        if self.config.mail.digest_to:
            from sheet_sync.digest import check_digest

            problems += check_digest(self.config)
        if problems:
            fix = (f"correct the file named above in {folder}, or delete it to use the shipped one, {RERUN}" if folder
                   else "the shipped templates are damaged: reinstall sheet-sync")
            return self._fail("templates", problems[0], fix, problems[1:])
        mine = f", with your templates from {folder}" if folder else ""
        digest = " and your digest" if self.config.mail.digest_to else ""
        return Check("templates", OK, f"{len(STAGES)} stages render in {len(LANGUAGES)} languages "
                                      f"({', '.join(LANGUAGES)}){digest}{mine}")

    def _invoice_pdf(self) -> Check:
        """invoice.html renders and shows what it must; WeasyPrint loads; Korean and Chinese have a font."""
        from sheet_sync.invoice_doc import check_invoice_template
        from sheet_sync.pdf import FONT_LANGUAGES, font_fix, has_font_for, weasyprint_problem

        folder = self.config.reminders.templates_dir
        problems = check_invoice_template(folder)
        if problems:
            fix = (f"correct invoice.html in {folder}, or delete it to use the shipped one, {RERUN}" if folder
                   else "the shipped templates are damaged: reinstall sheet-sync")
            return self._fail("invoice pdf", problems[0], fix, problems[1:])
        attach = self.config.reminders.attach_invoice
        problem = weasyprint_problem()
        if problem:
            if attach:
                return self._fail("invoice pdf", problem, f"install what it names, {RERUN}")
            return Check("invoice pdf", WARN, problem, "only needed for `sheet-sync invoice` and attached invoices")
        missing = [lang for lang in FONT_LANGUAGES if not has_font_for(lang)]
        if missing:
            names = " and ".join(FONT_LANGUAGES[lang] for lang in missing)
            return Check("invoice pdf", WARN, f"no {names} font is installed (fc-list :lang={'/'.join(missing)} finds "
                                              f"none): invoices for {names} clients go without the PDF, not with boxes",
                         f"{font_fix()}, {RERUN}")
        paper = self.config.business.paper
        attached = f"attached to {', '.join(attach)}" if attach else "attached to no reminder"
        return Check("invoice pdf", OK, f"WeasyPrint and the Korean and Chinese fonts are there; {paper}, {attached}")

    def _time_zone(self) -> Check:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        name = self.config.aging.timezone
        try:
            now = datetime.now(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            return self._fail("time zone", f"aging.timezone '{name}' is not a time zone.",
                              "use an IANA name like 'Asia/Seoul' or 'America/New_York' (and pip install tzdata on "
                              f"Windows), {RERUN}")
        return Check("time zone", OK, f"{name}: it is {now:%A %Y-%m-%d %H:%M} there")

    def _holidays(self) -> Check:
        from sheet_sync.policy import make_calendar

        code = self.config.reminders.holidays
        today = datetime.now(self.config.tz).date() if self._zone_ok() else date.today()
        try:
            calendar = make_calendar(self.config, today)
        except (KeyError, NotImplementedError, ValueError) as exc:
            return self._fail("holidays", f"reminders.holidays '{code}' does not resolve ({type(exc).__name__}).",
                              f"use a country code the holidays package knows, like 'US', 'KR' or 'CN', {RERUN}")
        if not code:
            return Check("holidays", OK, "none: reminders.holidays is empty, so only reminders.send_days count")
        this_year = [d for d in calendar.holidays if d.year == today.year]
        upcoming = [d for d in calendar.holidays if d >= today]
        nxt = f"; next: {upcoming[0].isoformat()}" if upcoming else ""
        return Check("holidays", OK, f"{code}: {_count(len(this_year), 'public holiday')} in {today.year}{nxt}")

    def _last_run(self) -> Check:
        """The heartbeat every run writes under the Aging Summary: a scheduled run that stopped shows here."""
        from sheet_sync.heartbeat import read_last_run, staleness
        from sheet_sync.model import AGING_SUMMARY
        from sheet_sync.policy import make_calendar

        tz = self.config.tz
        now = datetime.now(tz)
        found = read_last_run(self.raw.get(AGING_SUMMARY), tz)
        stale = staleness(found[0] if found else None, now, make_calendar(self.config, now.date()))
        fix = ("run sheet-sync sync, and check that the scheduled run works: sheet-sync schedule status shows it "
               "and where its log is")
        if found is None:
            return Check("last run", WARN, f"{stale}: no run has written the workbook", fix)
        at, words = found
        said = f"{at:%Y-%m-%d %H:%M} {words}".strip()
        if stale:
            return Check("last run", WARN, f"{stale} (the last: {said})", fix)
        return Check("last run", OK, said)

    def _zone_ok(self) -> bool:
        try:
            self.config.tz
        except Exception:  # noqa: BLE001 - reported by the time zone check
            return False
        return True


def _with_summary(wanted: dict, config: Config) -> dict:
    """What the workbook check reads: the sheets a sync reads, and the Aging Summary for its `Last run` line."""
    from sheet_sync.heartbeat import READ_COLUMNS
    from sheet_sync.model import AGING_SUMMARY

    return {**wanted, AGING_SUMMARY: (config.sheet_name(AGING_SUMMARY), {h: h for h in READ_COLUMNS})}


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _fix(exc: SheetSyncError, mine: Mapping[ErrorKind, str] | None = None,
         default: str = "follow the advice above") -> str:
    """The fix line for a failed check: the check's own words for this kind of error (it knows the config's
    keys and values), else the fix the error carries, else `default`; then the re-run hint."""
    return f"{(mine or {}).get(exc.kind) or exc.fix or default}, {RERUN}"


# ---- rendering ------------------------------------------------------------------------------

def format_checks(checks: Iterable[Check]) -> str:
    """One line per check (`ok    config        sheet-sync.toml is valid`), `fix:` under a failure or warning."""
    checks = list(checks)
    lines = []
    for c in checks:
        lines.append(f"{LABELS[c.state]:<6}{c.name:<14}{c.detail}")
        lines.extend(f"{'':20}{m}" for m in c.more)
        if c.fix and c.state in (FAIL, WARN):
            lines.append(f"{'':6}fix: {c.fix}")
    failed = sum(c.state == FAIL for c in checks)
    skipped = sum(c.state == SKIP for c in checks)
    if failed:
        lines.append(f"\n{failed} of {len(checks)} checks failed" + (f", {skipped} skipped" if skipped else "") + ".")
    else:
        warned = sum(c.state == WARN for c in checks)
        also = f" ({warned} with a warning)" if warned else ""
        lines.append(f"\nAll {len(checks)} checks passed{also}; nothing was sent or written.")
    return "\n".join(lines)


def checks_json(checks: Iterable[Check]) -> str:
    checks = list(checks)
    return json.dumps({"checks": [dict(asdict(c), more=list(c.more), ok=c.ok) for c in checks],
                       "ok": exit_code(checks) == 0, "exit_code": exit_code(checks)}, ensure_ascii=False, indent=2)

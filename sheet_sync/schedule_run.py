"""`sheet-sync schedule install|status|remove`: the platform's own scheduler, driven through a runner.

The decisions (the crontab text, the plist, the schtasks command lines) are made in `schedule.py`; this edge
reads and writes them with the platform's commands, never through a shell. A `Runner` runs one command;
tests hand a recording one to check the macOS and Windows commands, and run the real `crontab` on Linux.

    install(config_path, at, platform, runner, ...) -> [str]   what was done, and what the owner should know
    status(config_path, platform, runner, ...)      -> [str]
    remove(config_path, platform, runner, ...)      -> [str]
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, Protocol

from sheet_sync import schedule
from sheet_sync.backends.google_client import is_loopback
from sheet_sync.config import Config, load_config
from sheet_sync.errors import SheetSyncError

INSTALL_HINT = {
    "crontab": "install cron (Debian, Ubuntu: sudo apt-get install cron; Fedora: sudo dnf install cronie)",
    "launchctl": "launchctl comes with macOS; run this on the Mac itself",
    "schtasks": "schtasks comes with Windows; run this on the Windows computer itself",
}


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str = ""
    stderr: str = ""


class Runner(Protocol):
    def __call__(self, argv: list[str], input: str | None = None) -> Ran: ...


def run_command(argv: list[str], input: str | None = None) -> Ran:
    """Run one command (no shell) and return what it said.

    Raises:
        SheetSyncError: the command does not exist here, or this user may not run it.
    """
    try:
        done = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise SheetSyncError(f"There is no {argv[0]} command on this computer; "
                             f"{INSTALL_HINT.get(argv[0], 'install it first')}.") from None
    except PermissionError:
        raise SheetSyncError(f"This user may not run {argv[0]} (permission denied).") from None
    except subprocess.TimeoutExpired:
        raise SheetSyncError(f"{argv[0]} did not answer within two minutes.") from None
    return Ran(done.returncode, done.stdout, done.stderr)


def system_clock(moment: datetime) -> datetime:
    """An aware date-time on this computer's own clock (the one cron, launchd and Task Scheduler use), naive."""
    return datetime.fromtimestamp(moment.timestamp())


@dataclass(frozen=True)
class Where:
    """Where the scheduler lives: the platform, the runner, and for tests another user's crontab or home."""

    platform: str = sys.platform
    runner: Runner = run_command
    home: Path | None = None  # macOS: ~/Library/LaunchAgents is under it
    uid: int | None = None  # macOS: launchctl's gui/<uid> domain
    crontab_user: str | None = None  # Linux, as root: `crontab -u USER` (the tests' throw-away user)
    python: Path | None = None  # the interpreter the scheduled run uses (default: the one running now)
    to_local: Callable[[datetime], datetime] = system_clock
    today: date | None = None


def _load(config_path: Path | str) -> tuple[Config, Path]:
    path = Path(config_path).expanduser().resolve()
    return load_config(path), path


def _job(config_path: Path | str, at: time, where: Where) -> tuple[schedule.Job, Config]:
    config, path = _load(config_path)
    python = (where.python or Path(sys.executable)).absolute()
    if where.platform == "win32" and where.python is None and (python.parent / "pythonw.exe").exists():
        python = python.parent / "pythonw.exe"  # no console window at 08:00; the run writes its own log
    today = where.today or datetime.now(config.tz).date()
    return schedule.make_job(config, path, python, at, where.to_local, today), config


def install(config_path: Path | str, at: time, where: Where = Where()) -> list[str]:
    """Schedule the daily run of `config_path` (replacing ours for that config, if any)."""
    job, config = _job(config_path, at, where)
    if where.platform.startswith("linux") or where.platform.startswith("freebsd"):
        crontab = _Crontab(where)
        before = crontab.read()
        crontab.write(schedule.crontab_with(before, job))
        lines = schedule.ours_in_crontab(crontab.read(), job.config)
        done = [f"Scheduled sheet-sync sync for {job.config} at {job.when()}, in your crontab:"]
        done += [f"  {line}" for line in lines]
    elif where.platform == "darwin":
        plist = schedule.plist_path(_home(where), job.label)
        uid = _uid(where)
        plist.parent.mkdir(parents=True, exist_ok=True)
        where.runner(schedule.launchctl_bootout(uid, job.label))  # a previous one, if loaded; not there is fine
        plist.write_bytes(schedule.launchd_plist(job))
        _must(where.runner(schedule.launchctl_bootstrap(uid, plist)), "launchctl bootstrap")
        done = [f"Scheduled sheet-sync sync for {job.config} at {job.when()}: launchd agent {job.label} ({plist})."]
    elif where.platform == "win32":
        for name in schedule.task_names_for(job.config)[len(job.fires):]:  # fewer fire times than before
            if where.runner(schedule.schtasks_query(name)).returncode != 0:
                break
            _must(where.runner(schedule.schtasks_delete(name)), "schtasks /Delete")
        for argv in schedule.schtasks_create(job):
            _must(where.runner(argv), "schtasks /Create")
        done = [f"Scheduled sheet-sync sync for {job.config} at {job.when()}: Task Scheduler task "
                f"{', '.join(job.task_names)}."]
    else:
        raise SheetSyncError(f"sheet-sync cannot schedule itself on {where.platform}; run `sheet-sync sync` from "
                             "the system's own scheduler.")
    return done + _notes(job, config)


def status(config_path: Path | str, where: Where = Where()) -> list[str]:
    """Whether the daily run of `config_path` is scheduled, when, where its log is, and where its summary goes."""
    config, path = _load(config_path)
    log = schedule.log_path(config, path)
    if where.platform.startswith("linux") or where.platform.startswith("freebsd"):
        lines = schedule.ours_in_crontab(_Crontab(where).read(), path)
        entries = [line for line in lines if not line.startswith("#")]
        if not entries:
            return [f"Not scheduled: no sheet-sync entry for {path} in your crontab; run `sheet-sync schedule install`."]
        out = [f"Scheduled in your crontab for {path}:"] + [f"  {line}" for line in entries]
        at = schedule.installed_time(lines)
        if at is not None:
            job, _ = _job(path, at, where)
            if schedule.ours_in_crontab(schedule.crontab_with("", job), path) != lines:
                out.append(f"  out of date: `sheet-sync schedule install --time {at:%H:%M}` would now write "
                           "other lines (the config's send days or time zone changed, the clocks changed, or "
                           "sheet-sync moved); run it again.")
    elif where.platform == "darwin":
        label = schedule.label_for(path)
        plist = schedule.plist_path(_home(where), label)
        if not plist.exists():
            return [f"Not scheduled: there is no launchd agent for {path}; run `sheet-sync schedule install`."]
        loaded = where.runner(schedule.launchctl_print(_uid(where), label)).returncode == 0
        out = [f"Scheduled: launchd agent {label} ({plist}), "
               + ("loaded." if loaded else "NOT loaded: run `sheet-sync schedule install` again.")]
    elif where.platform == "win32":
        found = []
        for name in schedule.task_names_for(path):
            ran = where.runner(schedule.schtasks_query(name))
            if ran.returncode != 0:
                break
            found.append((name, ran.stdout))
        if not found:
            return [f"Not scheduled: no Task Scheduler task for {path}; run `sheet-sync schedule install`."]
        out = [f"Scheduled: Task Scheduler task {name}" + _task_summary(text) for name, text in found]
    else:
        raise SheetSyncError(f"sheet-sync cannot schedule itself on {where.platform}.")
    out.append(f"  log: {log}" + _last_logged(log))
    out.append(_digest_line(config))
    return out


def remove(config_path: Path | str, where: Where = Where()) -> list[str]:
    """Take the daily run of `config_path` out of the scheduler; everything else stays as it was."""
    config, path = _load(config_path)
    if where.platform.startswith("linux") or where.platform.startswith("freebsd"):
        crontab = _Crontab(where)
        before = crontab.read()
        if not schedule.ours_in_crontab(before, path):
            return [f"Nothing to remove: no sheet-sync entry for {path} in your crontab."]
        crontab.write(schedule.crontab_without(before, path))
        return [f"Removed the sheet-sync entry for {path} from your crontab; the rest of it is as it was."]
    if where.platform == "darwin":
        label = schedule.label_for(path)
        plist = schedule.plist_path(_home(where), label)
        if not plist.exists():
            return [f"Nothing to remove: there is no launchd agent for {path}."]
        where.runner(schedule.launchctl_bootout(_uid(where), label))
        plist.unlink()
        return [f"Removed the launchd agent {label} ({plist})."]
    if where.platform == "win32":
        removed = []
        for name in schedule.task_names_for(path):
            if where.runner(schedule.schtasks_query(name)).returncode != 0:
                break
            _must(where.runner(schedule.schtasks_delete(name)), "schtasks /Delete")
            removed.append(name)
        if not removed:
            return [f"Nothing to remove: no Task Scheduler task for {path}."]
        return [f"Removed the Task Scheduler task {', '.join(removed)}."]
    raise SheetSyncError(f"sheet-sync cannot schedule itself on {where.platform}.")


def needed_secrets(config: Config) -> list[str]:
    """The environment variables a run of `config` needs (the scheduled run sees none of the owner's shell)."""
    out = []
    mail = config.mail
    if mail.transport == "smtp" and mail.smtp.user:
        out.append("SMTP_PASSWORD")
    if mail.transport == "gmail" and not mail.gmail.oauth2_file:
        out.append("GMAIL_APP_PASSWORD")
    if mail.imap.on:
        out.append("IMAP_PASSWORD")
    if config.workbook.google_sheet and not is_loopback(config.google.api_endpoint):
        out.append("GOOGLE_SERVICE_ACCOUNT_JSON (or GOOGLE_APPLICATION_CREDENTIALS)")
    return out


# ---- plumbing ----------------------------------------------------------------------------------------

class _Crontab:
    def __init__(self, where: Where):
        self.runner = where.runner
        self.user = ["-u", where.crontab_user] if where.crontab_user else []

    def read(self) -> str:
        ran = self.runner(["crontab", *self.user, "-l"])
        if ran.returncode == 0:
            return ran.stdout
        if "no crontab for" in ran.stderr:
            return ""
        raise _crontab_error(ran, "crontab -l")

    def write(self, text: str) -> None:
        if not text:  # nothing left: no crontab, as before the first install
            ran = self.runner(["crontab", *self.user, "-r"])
            if ran.returncode != 0 and "no crontab for" not in ran.stderr:
                raise _crontab_error(ran, "crontab -r")
            return
        ran = self.runner(["crontab", *self.user, "-"], input=text)
        if ran.returncode != 0:
            raise _crontab_error(ran, "crontab -")


def _crontab_error(ran: Ran, what: str) -> SheetSyncError:
    said = (ran.stderr or ran.stdout).strip().splitlines()
    first = said[0] if said else f"exit code {ran.returncode}"
    if "not allowed" in first or "ermission denied" in first:
        return SheetSyncError(f"cron refused this user ({first}); ask the computer's administrator to allow it "
                              "(/etc/cron.allow), or run sheet-sync from GitHub Actions.")
    return SheetSyncError(f"{what} failed: {first}.")


def _must(ran: Ran, what: str) -> None:
    if ran.returncode != 0:
        said = (ran.stderr or ran.stdout).strip().splitlines()
        raise SheetSyncError(f"{what} failed: {said[0] if said else f'exit code {ran.returncode}'}.")


def _home(where: Where) -> Path:
    return where.home or Path.home()


def _uid(where: Where) -> int:
    return where.uid if where.uid is not None else os.getuid()  # type: ignore[attr-defined]  # macOS only


def _task_summary(text: str) -> str:
    """The next run time and last result from `schtasks /Query /V /FO LIST`."""
    wanted = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("Next Run Time", "Last Run Time", "Last Result", "Status"):
            wanted[key.strip()] = value.strip()
    return (": " + "; ".join(f"{k.lower()} {v}" for k, v in wanted.items())) if wanted else "."


def _last_logged(log: Path) -> str:
    from sheet_sync.runlog import last_heading

    try:
        heading = last_heading(log.read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return " (no run yet)"
    except OSError as exc:
        return f" (cannot be read: {exc.strerror})"
    return f" (last run: {heading})" if heading else ""


def _digest_line(config: Config) -> str:
    if config.mail.digest_to:
        return (f"  summary: each run that sends something or needs you emails its summary to {config.mail.digest_to} "
                "(mail.digest_to)")
    return ("  summary: no digest is configured; set mail.digest_to to your address to get each run's summary by "
            "email (until then, read the log)")


def _notes(job: schedule.Job, config: Config) -> list[str]:
    notes = [f"  log: {job.log} (appended by each run, trimmed to its last runs)", _digest_line(config)]
    if job.drift:
        notes.append(f"  note: {job.drift}")
    secrets = needed_secrets(config)
    if secrets:
        notes.append(f"  note: the scheduled run does not see your shell's environment, and needs {', '.join(secrets)}: "
                     "see the README, \"A daily run on your own computer\".")
    return notes

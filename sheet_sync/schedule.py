"""The daily run on the owner's own computer, decided without touching the system. Pure.

    make_job(config, config_path, python, at, to_local, today) -> Job   what runs, where, when (local clock)
    crontab_with(text, job) / crontab_without(text, config)    -> str   the user's crontab with ours in or out
    ours_in_crontab(text, config)                              -> [str] our lines, found by the marker
    launchd_plist(job)                                         -> bytes the launchd agent (macOS)
    schtasks_create(job) / schtasks_query(name) / ...          -> argv  Task Scheduler (Windows)

Every platform's scheduler runs on the computer's own clock, not on `aging.timezone`: the job's fire times are
that zone's send time converted to the local clock (for a Europe/Berlin config on a UTC server, 08:00 is
07:00 in winter). When the two clocks change to summer time on different days, the conversion holds only
until the next change, and `Job.drift` says so (`schedule status` then says the entry is out of date).
The cron entry is marked by a comment line naming the config, so that several configs each have their own
and nothing else in the crontab is ever touched.
"""
from __future__ import annotations

import hashlib
import plistlib
import shlex
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from sheet_sync.config import DAY_NAMES, Config
from sheet_sync.errors import SheetSyncError

MARKER = "# sheet-sync: "
RUNS_AT = "# sheet-sync runs at "
LOG_NAME = "sheet-sync.log"
TR_LIMIT = 261  # schtasks refuses a /TR command longer than this
CRON_DAYS = ("1", "2", "3", "4", "5", "6", "0")  # Monday first, as DAY_NAMES; cron counts from Sunday = 0

ToLocal = Callable[[datetime], datetime]  # an aware date-time -> the same instant on this computer's clock (naive)


@dataclass(frozen=True)
class Fire:
    """One time of day on the local clock, and the weekdays (0 = Monday) it fires on."""

    hour: int
    minute: int
    weekdays: tuple[int, ...]


@dataclass(frozen=True)
class Job:
    config: Path  # absolute
    python: Path  # the interpreter that runs sheet-sync (sys.executable), absolute
    workdir: Path  # the config's folder
    log: Path  # beside the workbook (an .xlsx), else beside the config
    at: time  # in `timezone`
    timezone: str
    send_days: tuple[str, ...]
    fires: tuple[Fire, ...]  # on the local clock, as of today
    drift: str = ""  # a sentence when the conversion does not hold all year

    @property
    def key(self) -> str:
        return config_key(self.config)

    @property
    def label(self) -> str:
        """The launchd agent's label: one per config."""
        return label_for(self.config)

    @property
    def task_names(self) -> tuple[str, ...]:
        return task_names_for(self.config)[:len(self.fires)]

    @property
    def argv(self) -> tuple[str, ...]:
        return (str(self.python), "-m", "sheet_sync", "sync", "--config", str(self.config), "--log", str(self.log))

    def when(self) -> str:
        """'08:00 Europe/Berlin on mon, tue, wed, thu, fri'."""
        return f"{self.at:%H:%M} {self.timezone} on {', '.join(self.send_days)}"


def config_key(config: Path) -> str:
    """Eight hex digits naming one config file: its scheduler entries' names."""
    return hashlib.sha256(str(config).encode("utf-8")).hexdigest()[:8]


def parse_time(text: str) -> time:
    """'08:00' -> time(8, 0); a sentence when it is not a time of day."""
    try:
        hour, minute = (int(part) for part in text.strip().split(":"))
        return time(hour, minute)
    except ValueError:
        raise SheetSyncError(f"--time '{text}' is not a time of day; write it as HH:MM, e.g. 08:00.") from None


def log_path(config: Config, config_path: Path) -> Path:
    """The run's log: beside the workbook (an .xlsx), else (a Google Sheet) beside the config."""
    folder = config.workbook.path.parent if config.workbook.path else config_path.parent
    return Path(folder) / LOG_NAME


def make_job(config: Config, config_path: Path, python: Path, at: time, to_local: ToLocal, today: date) -> Job:
    """The scheduled run of `config_path` at `at` in `aging.timezone` on `reminders.send_days`."""
    log = log_path(config, config_path)
    for path in (config_path, python, log):
        if "\n" in str(path) or "\r" in str(path):
            raise SheetSyncError(f"{str(path)!r} has a line break in its name; a scheduler cannot run it. Rename it.")
    days = tuple(DAY_NAMES.index(d) for d in config.reminders.send_days)
    now = _fires(days, at, config.tz, to_local, today)
    winter = _fires(days, at, config.tz, to_local, date(today.year, 1, 10))
    summer = _fires(days, at, config.tz, to_local, date(today.year, 7, 10))
    drift = ""
    if winter != summer:
        drift = (f"the difference between {config.aging.timezone} and this computer's clock changes with summer time, "
                 f"so the entry made today runs at {at:%H:%M} {config.aging.timezone} only until the clocks change: "
                 "then run `sheet-sync schedule install` again (`schedule status` says when the entry is out of "
                 "date).")
    return Job(config_path, python, config_path.parent, log, at, config.aging.timezone,
               config.reminders.send_days, now, drift)


def _fires(days: tuple[int, ...], at: time, tz, to_local: ToLocal, around: date) -> tuple[Fire, ...]:
    """The local times at which `at` in `tz` falls on each of `days` in the week from `around`."""
    by_time: dict[tuple[int, int], set[int]] = {}
    for i in range(7):
        day = around + timedelta(days=i)
        if day.weekday() in days:
            local = to_local(datetime.combine(day, at, tz))
            by_time.setdefault((local.hour, local.minute), set()).add(local.weekday())
    return tuple(Fire(h, m, tuple(sorted(w))) for (h, m), w in sorted(by_time.items()))


# ---- cron (Linux) --------------------------------------------------------------------------------

def marker(config: Path) -> str:
    return MARKER + str(config)


def _cron_days(weekdays: tuple[int, ...]) -> str:
    """Weekdays (0 = Monday) in cron's numbering, runs written as ranges: (0..4) -> '1-5', (6,) -> '0'."""
    numbers = sorted(int(CRON_DAYS[w]) for w in weekdays)
    if len(numbers) == 7:
        return "*"
    parts: list[list[int]] = []
    for n in numbers:
        if parts and parts[-1][1] == n - 1:
            parts[-1][1] = n
        else:
            parts.append([n, n])
    return ",".join(f"{a}-{b}" if b > a + 1 else f"{a},{b}" if b == a + 1 else f"{a}" for a, b in parts)


def _cron_quote(text: str) -> str:
    """Shell-quoted, and `%` escaped: cron turns a bare `%` of the command into a line break."""
    return shlex.quote(text).replace("%", "\\%")


def cron_lines(job: Job) -> list[str]:
    """The marker line and one entry per local fire time."""
    command = " ".join(_cron_quote(a) for a in job.argv)
    run = f"cd {_cron_quote(str(job.workdir))} && {command} >> {_cron_quote(str(job.log))} 2>&1"
    info = f"{RUNS_AT}{job.when()}; log: {job.log}"
    return [marker(job.config), info] + [f"{f.minute} {f.hour} * * {_cron_days(f.weekdays)} {run}" for f in job.fires]


def _is_entry(line: str, config: Path) -> bool:
    return (" -m sheet_sync sync --config " + _cron_quote(str(config)) + " ") in line


def _split(text: str, config: Path) -> tuple[list[str], list[str]]:
    """The crontab's lines (each with its line end) without ours, and ours: each marker line naming `config` and
    the entries for `config` right below it."""
    kept: list[str] = []
    ours: list[str] = []
    in_block = False
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if bare == marker(config):
            ours.append(line)
            in_block = True
        elif in_block and (_is_entry(bare, config) or bare.startswith(RUNS_AT)):
            ours.append(line)
        else:
            in_block = False
            kept.append(line)
    return kept, ours


def installed_time(lines: list[str]) -> time | None:
    """The send time our comment line names ('# sheet-sync runs at 08:00 Europe/Berlin on ...'), if any."""
    for line in lines:
        if line.startswith(RUNS_AT):
            try:
                return parse_time(line[len(RUNS_AT):].split(" ", 1)[0])
            except SheetSyncError:
                return None
    return None


def ours_in_crontab(text: str, config: Path) -> list[str]:
    """Our lines for `config` (marker included), without their line ends."""
    return [line.rstrip("\r\n") for line in _split(text, config)[1]]


def crontab_without(text: str, config: Path) -> str:
    """The crontab with our lines for `config` taken out; every other byte as it was."""
    return "".join(_split(text, config)[0])


def crontab_with(text: str, job: Job) -> str:
    """The crontab with our lines for `job.config` replaced (or added at the end): installing twice never
    duplicates them."""
    kept = crontab_without(text, job.config)
    if kept and not kept.endswith("\n"):
        kept += "\n"
    return kept + "".join(line + "\n" for line in cron_lines(job))


# ---- launchd (macOS) -----------------------------------------------------------------------------

def launchd_plist(job: Job) -> bytes:
    """The agent's property list: the run, its folder, its log, and a StartCalendarInterval per local fire time
    and weekday (launchd counts weekdays from Sunday = 0)."""
    intervals = [{"Weekday": (w + 1) % 7, "Hour": f.hour, "Minute": f.minute} for f in job.fires for w in f.weekdays]
    return plistlib.dumps({
        "Label": job.label,
        "ProgramArguments": list(job.argv),
        "WorkingDirectory": str(job.workdir),
        "StartCalendarInterval": intervals,
        "StandardOutPath": str(job.log),
        "StandardErrorPath": str(job.log),
        "RunAtLoad": False,
    }, sort_keys=False)


def label_for(config: Path) -> str:
    return f"org.sheet-sync.{config_key(config)}"


def plist_path(home: Path, label: str) -> Path:
    return home / "Library" / "LaunchAgents" / f"{label}.plist"


def launchctl_bootstrap(uid: int, plist: Path) -> list[str]:
    return ["launchctl", "bootstrap", f"gui/{uid}", str(plist)]


def launchctl_bootout(uid: int, label: str) -> list[str]:
    return ["launchctl", "bootout", f"gui/{uid}/{label}"]


def launchctl_print(uid: int, label: str) -> list[str]:
    return ["launchctl", "print", f"gui/{uid}/{label}"]


# ---- Task Scheduler (Windows) --------------------------------------------------------------------

def _win_quote(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ' \t&()^|<>"') or not text else text


def task_command(job: Job) -> str:
    """The task's /TR: the interpreter and its arguments (the config's relative paths start from its folder,
    so the task needs no start folder)."""
    command = " ".join(_win_quote(a) for a in job.argv)
    if len(command) > TR_LIMIT:
        raise SheetSyncError(f"The scheduled command is {len(command)} characters long and Task Scheduler takes at most "
                             f"{TR_LIMIT}; move the config and the workbook to a shorter folder, e.g. C:\\Books.")
    return command


def schtasks_create(job: Job) -> list[list[str]]:
    """One task per local fire time (one, unless the week crosses midnight on the local clock); /F replaces a
    task of the same name, so installing twice never duplicates it."""
    command = task_command(job)
    return [["schtasks", "/Create", "/TN", name, "/SC", "WEEKLY",
             "/D", ",".join(DAY_NAMES[w].upper() for w in f.weekdays), "/ST", f"{f.hour:02d}:{f.minute:02d}",
             "/TR", command, "/F"]
            for name, f in zip(job.task_names, job.fires)]


def schtasks_query(name: str) -> list[str]:
    return ["schtasks", "/Query", "/TN", name, "/V", "/FO", "LIST"]


def schtasks_delete(name: str) -> list[str]:
    return ["schtasks", "/Delete", "/TN", name, "/F"]


def task_names_for(config: Path) -> tuple[str, ...]:
    """Every task name a job for `config` may have had (one per local fire time: at most one per weekday)."""
    key = config_key(config)
    return tuple(f"sheet-sync-{key}" if i == 0 else f"sheet-sync-{key}-{i + 1}" for i in range(7))

"""The heartbeat: the Aging Summary's `Last run` line, written by every run that writes, read back by
`sheet-sync doctor`. Pure.

    last_run(when, zone, sent, failed, problems, sending_day) -> LastRun   what the run writes
    read_last_run(sheet, tz)                                  -> datetime | None  from the Aging Summary as read
    staleness(last, now, calendar)                            -> str       '' or why the owner should look

The line stands under the summary's `As of` line: `Last run` | 2026-11-30 08:00:04 (a date-time cell in
aging.timezone) | `Europe/Berlin — 3 reminders sent, 1 problem, 0 failed`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sheet_sync.load import logged_at
from sheet_sync.model import LastRun, normalize_name
from sheet_sync.policy import Calendar
from sheet_sync.raw import RawSheet

LABEL = "Last run"
READ_COLUMNS = ("Client ID", "Client", "Currency")  # the summary's headers above the label, the time and the words
STALE_AFTER = 2  # sending days without a run, before today


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def what_it_did(sent: int, failed: int, problems: int, sending_day: bool, weekday: str, waiting: int = 0) -> str:
    """'3 reminders sent, 1 problem, 0 failed'; on a day without sending, says so; with reminders.approval, how
    many messages wait in the Outgoing sheet."""
    did = f"{_count(sent, 'reminder')} sent" if sending_day else f"no reminders ({weekday} is not a sending day)"
    wait = f", {waiting} waiting for approval" if waiting else ""
    return f"{did}{wait}, {_count(problems, 'problem')}, {failed} failed"


def last_run(when: datetime, zone: str, sent: int, failed: int, problems: int, sending_day: bool,
             waiting: int = 0) -> LastRun:
    """The line for a run at `when`, a date-time in `zone` (aware or not); the cell holds it to the second,
    without its zone (the words name it)."""
    local = when.replace(microsecond=0, tzinfo=None)
    return LastRun(local, f"{zone} — {what_it_did(sent, failed, problems, sending_day, f'{local:%A}', waiting)}")


def read_last_run(sheet: RawSheet | None, tz: tzinfo) -> tuple[datetime, str] | None:
    """The last run's time (aware, in `tz`) and what it did, from the Aging Summary as read (its `Client ID`
    column holds the label, `Client` the time, `Currency` the words); None when no run wrote one."""
    label_at, time_at, words_at = READ_COLUMNS
    if sheet is None or label_at not in sheet.columns:
        return None
    for _, values in sheet.rows:
        label = values.get(label_at)
        if isinstance(label, str) and normalize_name(label) == normalize_name(LABEL):
            at = logged_at(values.get(time_at), tz)
            if at.year < 2000:  # not a date-time: someone typed over it
                return None
            words = values.get(words_at)
            return at.astimezone(tz), words if isinstance(words, str) else ""
    return None


def staleness(last: datetime | None, now: datetime, calendar: Calendar) -> str:
    """'' when the last run (aware) is recent; else a sentence: never run, or `STALE_AFTER` or more sending days
    (the config's send days and holidays) went by, before today, without a run."""
    if last is None:
        return "the Aging Summary shows no run yet"
    start, today = last.astimezone(now.tzinfo).date(), now.date()
    missed = max(0, calendar.busdays_between(start + timedelta(days=1), today))
    if missed >= STALE_AFTER:
        return f"no run on the {missed} sending days since {start:%A %Y-%m-%d}"
    return ""

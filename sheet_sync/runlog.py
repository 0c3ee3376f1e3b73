"""The log of unattended runs (`sheet-sync sync --log FILE`, as the scheduled run writes it beside the
workbook): each run's output appended under a line with its time and exit code, the file kept small.

    entry(when, command, exit_code, output) -> str   pure
    trimmed(text, limit, keep)              -> str   pure: the latest runs, whole
    last_heading(text)                      -> str   pure: the latest run's time and exit code
    append(path, text)                      -> None  edge: appended, then trimmed when past `LIMIT`
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

START = "=== "  # each run's first line
LIMIT = 256 * 1024  # bytes: past this the file is trimmed ...
KEEP = 128 * 1024  # ... to (characters) the latest runs that fit in this


def entry(when: datetime, command: str, exit_code: int, output: str) -> str:
    """One run: '=== 2026-11-30 08:00:04 +0100 sheet-sync sync: exit 0' and what it printed."""
    body = output if output.endswith("\n") or not output else output + "\n"
    return f"{START}{when:%Y-%m-%d %H:%M:%S %z} sheet-sync {command}: exit {exit_code}\n{body}"


def trimmed(text: str, limit: int = LIMIT, keep: int = KEEP) -> str:
    """`text` when it is within `limit`; else its last `keep` characters, from the first run that starts in
    them (a single run longer than `keep` is cut at a line)."""
    if len(text) <= limit:
        return text
    tail = text[-keep:]
    at = tail.find("\n" + START)
    if at >= 0:
        return tail[at + 1:]
    line = tail.find("\n")
    return tail[line + 1:] if line >= 0 else tail


def last_heading(text: str) -> str:
    """The latest run's first line without its marker ('2026-11-30 08:00:04 +0100 sheet-sync sync: exit 0'), or ''."""
    at = text.rfind("\n" + START)
    start = at + 1 if at >= 0 else (0 if text.startswith(START) else -1)
    return text[start + len(START):].split("\n", 1)[0] if start >= 0 else ""


def append(path: Path, text: str) -> None:
    """Append one run to the log; when the file grows past `LIMIT`, keep only its latest runs (written to a
    temporary file beside it, then renamed over it, so a crash never leaves half a log)."""
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    if path.stat().st_size <= LIMIT:
        return
    kept = trimmed(path.read_text(encoding="utf-8", errors="replace"))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(kept)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""The outbox transport: each message becomes an .eml file in a folder. Needs no account."""
from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Sequence

from sheet_sync.mail.transport import SendError


class OutboxTransport:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = folder
        self.written: list[Path] = []

    def __enter__(self) -> "OutboxTransport":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SendError(f"cannot create the outbox folder {self.folder}: {exc.strerror}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> str:
        if message.get("X-Sheet-Sync-Digest"):
            label = f"digest-{message['X-Sheet-Sync-Digest']}"
        else:
            label = f"{message.get('X-Sheet-Sync-Invoice', 'message')}-{message.get('X-Sheet-Sync-Stage', '')}"
        name = _file_name(label)
        path = self.folder / f"{name}.eml"
        n = 2
        while path.exists():
            path = self.folder / f"{name}-{n}.eml"
            n += 1
        try:
            _write_eml(path, message)
        except OSError as exc:
            raise SendError(f"cannot write {path.name}: {exc.strerror}") from None
        self.written.append(path)
        return f"written to {path.name}"


def write_previews(folder: Path, messages: Sequence[tuple[str, EmailMessage]],
                   keep: Sequence[str] = ()) -> dict[str, str]:
    """Each message waiting for the owner's approval as an .eml file in `folder` (a mail program opens it as the
    client would see it), named after its Outgoing Key; the folder's other .eml files are removed (their messages
    no longer wait), except those named in `keep`. Returns Key -> file name. A file that cannot be written is
    left out (its row shows the preview command instead); the run goes on."""
    names: dict[str, str] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return names
    for key, message in messages:
        name = _file_name(key) + ".eml"
        try:
            _write_eml(folder / name, message)
        except OSError:
            continue
        names[key] = name
    wanted = set(names.values()) | set(keep)
    for old in folder.glob("*.eml"):
        if old.name not in wanted:
            try:
                old.unlink()
            except OSError:
                pass
    return names


def _file_name(label: str) -> str:
    """`label` as a file name any system takes (file names have a limit)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")[:120] or "message"


def _write_eml(path: Path, message: EmailMessage) -> None:
    """`message` as an .eml file at `path`, whole or not at all, with mail's line ends (as SMTP sends it).

    Raises:
        OSError: the file cannot be written (nothing is left behind).
    """
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise

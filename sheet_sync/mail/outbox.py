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
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")[:120] or "message"  # file names have a limit
        path = self.folder / f"{name}.eml"
        n = 2
        while path.exists():
            path = self.folder / f"{name}-{n}.eml"
            n += 1
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # mail's line ends, as SMTP sends it
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
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
        name = (re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[:120] or "message") + ".eml"
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, folder / name)
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

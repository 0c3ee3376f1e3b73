"""The zip container of an .xlsx, read once and written again with every unchanged member copied as it was.

`ZipSource` reads members (and their raw, still-compressed bytes); `ZipSink` writes a zip whose unchanged
members are the source's compressed bytes, copied without inflating them again (same data, same
compression, same CRC), and whose new or changed members are deflated. `replace_atomically()` puts the
result in place of the original: a temporary file in the same folder, fsync, the original's mode (and
owner and group, where the user running sheet-sync may set them), a `.bak` copy, then one rename.

On Windows: there is no owner or group to keep (`os.chown` does not exist; the mode is only the read-only
bit), a folder cannot be fsynced (skipped), and a file another program holds open (Excel, a sync client,
an antivirus scan) cannot be renamed over: `WorkbookInUse` says so in one sentence, the workbook stays as
it was and the new version is kept beside it as `<name>.unsaved.xlsx`.

Zip64 archives, encrypted or duplicated members are not handled: `Unsupported` says so, and the caller
falls back to the openpyxl writer.
"""
from __future__ import annotations

import os
import shutil
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Callable

from sheet_sync.errors import ErrorKind, SheetSyncError

LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
END_RECORD = struct.Struct("<4s4H2LH")
LIMIT_32 = 0xFFFFFFFF
DATA_DESCRIPTOR_FLAG = 0x08
UTF8_FLAG = 0x800
DEFLATE_LEVEL = 6


class Unsupported(Exception):
    """The package holds something the surgical writer does not handle; the openpyxl writer takes over."""


class ZipSource:
    """A zip file opened once: its members in order, their bytes, and their raw compressed bytes."""

    def __init__(self, path: Path):
        self._fh = open(path, "rb")
        try:
            self._zip = zipfile.ZipFile(self._fh)
        except (zipfile.BadZipFile, OSError) as exc:
            self._fh.close()
            raise Unsupported(f"not a zip package ({exc})") from None
        self.infos = self._zip.infolist()
        names = [i.filename for i in self.infos]
        if len(set(n.lower() for n in names)) != len(names):
            raise Unsupported("the zip holds two members of one name")
        for info in self.infos:
            if info.flag_bits & 0x1:
                raise Unsupported(f"{info.filename} is encrypted")
            if max(info.file_size, info.compress_size, info.header_offset) >= LIMIT_32:
                raise Unsupported("a zip64 package")
        self.by_name = {i.filename: i for i in self.infos}

    def close(self) -> None:
        self._zip.close()
        self._fh.close()

    def __enter__(self) -> ZipSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, name: str) -> bytes:
        return self._zip.read(name)

    def raw(self, info: zipfile.ZipInfo) -> bytes:
        """The member's compressed bytes as they are stored."""
        self._fh.seek(info.header_offset)
        header = self._fh.read(LOCAL_HEADER.size)
        if len(header) != LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise Unsupported(f"a damaged local header for {info.filename}")
        fields = LOCAL_HEADER.unpack(header)
        name_len, extra_len = fields[-2], fields[-1]
        self._fh.seek(info.header_offset + LOCAL_HEADER.size + name_len + extra_len)
        data = self._fh.read(info.compress_size)
        if len(data) != info.compress_size:
            raise Unsupported(f"{info.filename} is cut short")
        return data


class ZipSink:
    """Writes a zip: members copied raw from a source, or new bytes deflated."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self._central: list[bytes] = []
        self._offset = 0

    def copy(self, source: ZipSource, info: zipfile.ZipInfo) -> None:
        self._put(info.filename, info.flag_bits, info.compress_type, info.date_time, info.CRC, source.raw(info),
                  info.file_size, info.external_attr, info.create_system, info.internal_attr)

    def add(self, name: str, data: bytes, like: zipfile.ZipInfo | None = None) -> None:
        """A new or changed member, deflated; `like` gives its date and attributes (the member it replaces)."""
        packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
        packed = packer.compress(data) + packer.flush()
        date_time = like.date_time if like is not None else time.localtime()[:6]
        if date_time[0] < 1980:
            date_time = (1980, 1, 1, 0, 0, 0)
        self._put(name, 0, zipfile.ZIP_DEFLATED, date_time, zlib.crc32(data), packed, len(data),
                  like.external_attr if like is not None else 0, like.create_system if like is not None else 0,
                  like.internal_attr if like is not None else 0)

    def _put(self, name: str, flags: int, method: int, date_time, crc: int, packed: bytes, size: int,
             external_attr: int, create_system: int, internal_attr: int) -> None:
        try:
            encoded = name.encode("ascii")
            flags &= ~UTF8_FLAG
        except UnicodeEncodeError:
            encoded = name.encode("utf-8")
            flags |= UTF8_FLAG
        flags &= ~DATA_DESCRIPTOR_FLAG  # sizes and CRC are known: they go into the local header
        if self._offset >= LIMIT_32 or len(packed) >= LIMIT_32 or size >= LIMIT_32:
            raise Unsupported("the result would need zip64")
        y, mo, d, h, mi, s = date_time
        dos_time, dos_date = h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d
        version = 20 if method == zipfile.ZIP_DEFLATED else 10
        self._fh.write(LOCAL_HEADER.pack(b"PK\x03\x04", version, 0, flags, method, dos_time, dos_date, crc,
                                         len(packed), size, len(encoded), 0))
        self._fh.write(encoded)
        self._fh.write(packed)
        self._central.append(CENTRAL_HEADER.pack(
            b"PK\x01\x02", version, create_system, version, 0, flags, method, dos_time, dos_date, crc, len(packed),
            size, len(encoded), 0, 0, 0, internal_attr, external_attr, self._offset) + encoded)
        self._offset += LOCAL_HEADER.size + len(encoded) + len(packed)

    def close(self) -> None:
        start = self._offset
        for entry in self._central:
            self._fh.write(entry)
        size = sum(len(e) for e in self._central)
        if len(self._central) > 0xFFFF or start + size >= LIMIT_32:
            raise Unsupported("the result would need zip64")
        self._fh.write(END_RECORD.pack(b"PK\x05\x06", 0, 0, len(self._central), len(self._central), size, start, 0))


def backup_path_of(path: Path) -> Path:
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def file_signature(path: Path) -> tuple[int, int, int, int] | None:
    """What tells one version of a file from the next: device, inode, size, modification time."""
    try:
        st = os.stat(os.path.realpath(path))
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class WorkbookChanged(SheetSyncError):
    """The owner (or Excel, or a sync client) saved the workbook while this run was writing it."""


class WorkbookInUse(SheetSyncError):
    """The workbook (or its backup) cannot be replaced: on Windows, another program holds it open."""

    @classmethod
    def keeping(cls, tmp: Path, real: Path, path: Path, busy: Path) -> WorkbookInUse:
        """The error for a refused rename, after keeping the new version beside the workbook when it can."""
        unsaved = real.with_name(f"{real.stem}.unsaved{real.suffix}")
        try:
            os.replace(tmp, unsaved)
            kept = f"this run's result is kept as {unsaved.name} beside it"
        except OSError:
            kept = "this run's result could not be kept beside it either"
        return cls(f"{busy.name} cannot be replaced: another program has it open (Excel, a sync client?) or it is "
                   f"write-protected; {path.name} is as it was, {kept}, and what this run sent is in its journal "
                   "and reaches the Reminder Log on the next run.", kind=ErrorKind.WORKBOOK_LOCKED,
                   fix=f"close {busy.name} and run sheet-sync again")


def replace_atomically(path: Path, write: Callable[[BinaryIO], None], backup_path: Path | None,
                       unchanged_since: tuple[int, int, int, int] | None = None) -> None:
    """Write a new version of `path` through `write(fh)` and put it in place in one rename.

    The new file gets the original's mode, and its owner and group where this user may set them (root
    always may). The original is kept as `backup_path` first. A symlink stays a symlink: its target is
    replaced. With `unchanged_since` (the file's signature when it was read), a file saved by someone else
    meanwhile is never replaced: WorkbookChanged. A rename refused with PermissionError (Windows: the file is
    open in another program) is WorkbookInUse, the new version kept beside the original. Raises OSError
    otherwise; the original is left as it was.
    """
    real = Path(os.path.realpath(path))
    st = os.stat(real)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{real.stem}.", suffix=real.suffix, dir=real.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))  # mkstemp makes 0600: keep the owner's mode
        _keep_owner(tmp, st)
        if unchanged_since is not None and file_signature(real) != unchanged_since:
            raise WorkbookChanged(
                f"{path.name} was saved by someone else while sheet-sync was writing it; their version is kept "
                "as it is. The reminders this run sent are in its journal and reach the Reminder Log on the next "
                "run.", kind=ErrorKind.WORKBOOK_LOCKED, fix="run sheet-sync again once nobody is saving the workbook")
        busy = backup_path or path
        try:
            if backup_path is not None:
                _keep_backup(real, backup_path)
            busy = path
            os.replace(tmp, real)
        except PermissionError:
            # Windows refuses to rename over (or delete) a file another program holds open; Linux and macOS never do
            raise WorkbookInUse.keeping(tmp, real, path, busy) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(real.parent)


def _keep_owner(tmp: Path, st: os.stat_result) -> None:
    """Give the new file the original's owner and group where this user may (root always may). Windows has
    neither `os.chown` nor `os.geteuid` (and reports 0 for both ids): nothing to keep there."""
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid) or not hasattr(os, "chown"):
        return
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except PermissionError:
        if getattr(os, "geteuid", lambda: -1)() == 0:
            raise
    os.chmod(tmp, stat.S_IMODE(st.st_mode))  # chown may clear set-id bits


def _keep_backup(real: Path, backup_path: Path) -> None:
    """The original under the backup name: a hard link where the file system has them (no copying)."""
    backup_path.unlink(missing_ok=True)
    try:
        os.link(real, backup_path)
    except OSError:
        shutil.copy2(real, backup_path)


def _sync_folder(folder: Path) -> None:
    # Makes the rename durable on Linux and macOS; Windows cannot open a folder as a file (skipped).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def excel_lock_file(path: Path) -> Path | None:
    """Excel's owner file `~$name.xlsx` beside an open workbook (Excel may drop the first two characters)."""
    for name in (f"~${path.name}", f"~${path.name[2:]}" if len(path.name) > 7 else None):
        if name:
            lock = path.with_name(name)
            if lock.exists():
                return lock
    return None


def refuse_if_open(path: Path) -> None:
    lock = excel_lock_file(path)
    if lock is not None:
        raise SheetSyncError(f"{path.name} is open in Excel (lock file {lock.name}): close it and run again.",
                             kind=ErrorKind.WORKBOOK_LOCKED, fix=f"close {path.name} in Excel; if Excel is not running, "
                             f"delete the leftover lock file beside it ({lock.name})")

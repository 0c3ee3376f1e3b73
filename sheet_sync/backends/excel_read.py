"""Reading an .xlsx workbook with calamine (fast, keeps cell positions); each cell as pandas' calamine
reader gives it, without pandas' own cost."""
from __future__ import annotations

from datetime import date, datetime
import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from queue import Queue
from pathlib import Path
from typing import Mapping, Sequence

from lxml import etree

from sheet_sync.backends.xlsx_cache import sheet_parts
from sheet_sync.raw import RawSheet, find_sheet, raw_sheet
from sheet_sync.errors import ErrorKind, SheetSyncError
from sheet_sync.model import column_letter, column_number


def read_workbook(path: Path, sheets: Mapping[str, tuple[str, Mapping[str, str]]]) -> dict[str, RawSheet]:
    """Read the named sheets of `path`.

    Args:
        path: the .xlsx file.
        sheets: canonical sheet name -> (the owner's sheet name, {canonical header: owner's header}).

    Returns:
        canonical sheet name -> RawSheet, for the sheets that exist.
    """
    if not path.exists():
        raise SheetSyncError(f"The workbook {path} does not exist; check workbook.path in the config.",
                             kind=ErrorKind.WORKBOOK_MISSING, fix="check workbook.path in the config (a relative path "
                             "starts from the config file's folder)")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise SheetSyncError(f"Cannot read {path.name} ({exc.strerror}).", kind=ErrorKind.WORKBOOK_UNREADABLE,
                             fix=f"let the user who runs sheet-sync read and write {path.name}") from None
    if magic == OLE_MAGIC:  # an .xlsx saved with a password is an encrypted OLE container, not a zip
        raise SheetSyncError(f"{path.name} is protected with a password, so sheet-sync cannot open it; remove the "
                             "password (Excel: File > Info > Protect Workbook > Encrypt with Password, clear it) or "
                             "keep the invoices in a workbook without one.", kind=ErrorKind.WORKBOOK_UNREADABLE,
                             fix=f"remove the password from {path.name}")
    from python_calamine import SheetTypeEnum, load_workbook

    _check_package(path, [owner_name for owner_name, _ in sheets.values()])  # before calamine inflates anything
    try:
        with open(path, "rb") as fh:
            book = load_workbook(fh)
    except Exception as exc:  # calamine raises its own types for corrupt or non-xlsx files
        raise SheetSyncError(f"Cannot read {path.name} as an Excel workbook ({type(exc).__name__}: {exc}).",
                             kind=ErrorKind.WORKBOOK_UNREADABLE, fix=f"open {path.name} in Excel and save it as an "
                             "Excel Workbook (.xlsx)") from None
    titles = [s.name for s in book.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
    wanted = {canonical: find_sheet(titles, owner_name) for canonical, (owner_name, _) in sheets.items()}
    todo = [(canonical, title) for canonical, title in wanted.items() if title is not None]
    found: dict[str, RawSheet] = {}
    # calamine parses a sheet without holding Python's lock: the sheets are parsed side by side (each by a reader of
    # its own), and each is typed here as soon as it is parsed, whichever comes first, while the others still are
    parsed: Queue = Queue()
    with ThreadPoolExecutor(max_workers=max(1, min(len(todo), _cpus()))) as pool:
        for i, (canonical, title) in enumerate(todo):
            pool.submit(_parse, parsed, path, canonical, title, book if i == 0 else None)
        del book
        for _ in todo:
            canonical, title, sheet = parsed.get()
            try:
                if isinstance(sheet, BaseException):
                    raise sheet
                cells = sheet.to_python(skip_empty_area=False)
            except Exception as exc:  # calamine's own errors: a damaged sheet part (e.g. larger than the zip says)
                raise SheetSyncError(f"Cannot read the {title} sheet of {path.name} ({type(exc).__name__}: {exc}); "
                                     "open the workbook in Excel and save it again.",
                                     kind=ErrorKind.WORKBOOK_UNREADABLE,
                                     fix=f"open {path.name} in Excel and save it again") from None
            del sheet  # (a sheet's cells are let go once it is typed)
            found[canonical] = raw_sheet(title, cells, sheets[canonical][1], _cells)
            del cells
    return {canonical: found[canonical] for canonical, _ in todo}


def _cpus() -> int:
    """The CPUs this process may run on (a job pinned to one gets one reader at a time)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def _parse(parsed: Queue, path: Path, canonical: str, title: str, book=None) -> None:
    """Put one sheet as calamine parses it (its cells still calamine's, compact, until `to_python`), or what calamine
    raised, into `parsed`; by `book` or by a reader of its own (a reader is not shared between threads)."""
    from python_calamine import load_workbook

    try:
        if book is None:
            with open(path, "rb") as fh:
                book = load_workbook(fh)
        parsed.put((canonical, title, book.get_sheet_by_name(title)))
    except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which says it (and never waits in vain)
        parsed.put((canonical, title, exc))


# The texts pandas reads as a missing value (pandas.io.parsers STR_NA_VALUES); such a cell is blank here too.
NA_TEXTS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                      "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
NAN = float("nan")
STORED_NAN = "#NUM!"  # what Excel shows for a number it cannot hold; load then names the cell and says why


def _cells(values: list[object]) -> list[object]:
    """`_cell` of each of a column's cells; a column of text, numbers and dates (nearly every column) without a
    call per cell."""
    if set(map(type, values)) <= _PLAIN:  # each by its kind, as _cell does
        return [(NAN if v in NA_TEXTS else v) if (kind := v.__class__) is str
                else (STORED_NAN if v != v else int(v) if v.is_integer() else v) if kind is float
                else datetime(v.year, v.month, v.day) for v in values]
    return [_cell(v) for v in values]


_PLAIN = frozenset({str, float, date})  # what calamine gives for text (and blanks), numbers and dates


def _cell(value: object) -> object:
    """A cell as pandas' calamine reader gives it: whole numbers as int, a date as a midnight datetime,
    the missing-value texts (and an empty cell) as NaN; a number stored as NaN as Excel's `#NUM!`."""
    kind = value.__class__
    if kind is str:
        return NAN if value in NA_TEXTS else value
    if kind is float:
        if value != value:  # a number stored as NaN (an empty cell comes as ""): not a blank the owner left
            return STORED_NAN
        return int(value) if value.is_integer() else value
    if kind is date:
        return datetime(value.year, value.month, value.day)
    return value


OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
MAX_CELLS = 20_000_000  # a sheet's used range beyond this is a stray value far out, not the owner's books
# An XML part inflating beyond this is refused: 100,000 realistic invoices make a 50 MB Invoices sheet, and the
# surgical writer holds about four times a sheet's size while it patches it (a 1 GB sheet took 4 GB and 24 s).
MAX_PART_BYTES = 250_000_000
BLANK_RATIO = 100  # owners' sheets pack about 10:1; blank space and empty rows about 1000:1
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "pr": "http://schemas.openxmlformats.org/package/2006/relationships"}
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _cell_index(ref: str) -> tuple[int, int]:
    m = _REF.match(ref.upper())
    if not m:
        return 0, 0
    return int(m.group(2)), column_number(m.group(1))


def _too_many(first: str, last: str) -> bool:
    (r1, c1), (r2, c2) = _cell_index(first), _cell_index(last)
    return bool(r2 and c2) and (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_CELLS


def _check_package(path: Path, wanted: Sequence[str] = ()) -> None:
    """Refuse, in one sentence and before anything is sent or written (and before calamine inflates
    anything), a package the tool could not read or write back in bounded memory and time: an XML part that
    inflates beyond MAX_PART_BYTES (a 1 MB file can hold a 1 GB sheet of blank space); a sheet named in
    `wanted` (as the owner names it) whose values reach absurdly far (see _check_extent)."""
    try:
        with zipfile.ZipFile(path) as z:
            try:
                parts = sheet_parts(z)
            except (KeyError, etree.XMLSyntaxError):
                parts = {}
            _check_part_sizes(path, z, {part: title for title, part in parts.items()})
            for owner_name in wanted:
                title = find_sheet(parts, owner_name)
                if title is not None:
                    _check_extent(z, parts[title], title)
    except (KeyError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return  # not a package we can look into this way: calamine says what is wrong with it


def _check_part_sizes(path: Path, z: zipfile.ZipFile, titles: Mapping[str, str]) -> None:
    """The zip's own record of each part's inflated size bounds what any reader of it inflates (Python's
    zipfile and calamine's zip crate stop there), so a look at the directory is enough."""
    for info in z.infolist():
        if info.file_size <= MAX_PART_BYTES or not info.filename.lower().endswith((".xml", ".rels")):
            continue
        where = f"The {titles[info.filename]} sheet" if info.filename in titles else f"The part {info.filename}"
        size, packed = _megabytes(info.file_size), _megabytes(info.compress_size)
        why = (f" (from {packed} in the file: nearly all of it blank space or empty rows)"
               if info.file_size > BLANK_RATIO * max(info.compress_size, 1) else "")
        raise SheetSyncError(f"{where} of {path.name} unpacks to {size}{why}, more than sheet-sync reads "
                             f"({_megabytes(MAX_PART_BYTES)} at most); open the workbook in Excel, delete the empty "
                             "rows and columns beyond your data (or move old invoices to another workbook) and save "
                             "it again.", kind=ErrorKind.WORKBOOK_UNREADABLE,
                             fix="delete the empty rows and columns beyond your data and save the workbook again")


def _megabytes(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1e7 else f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} KB"


def _check_extent(z: zipfile.ZipFile, part: str, title: str) -> None:
    """Refuse, in one sentence, a sheet whose values reach absurdly far (a stray value in XFD1048576 would
    make the reader allocate hundreds of gigabytes). Reads the sheet's `<dimension>`; only when that is
    absurd, the cells themselves, streamed, since formatting alone out there is harmless."""
    m = _NS["m"]
    ref = ""
    with z.open(part) as fh:
        for _, el in etree.iterparse(fh, events=("start",), tag=(f"{{{m}}}dimension", f"{{{m}}}sheetData")):
            ref = el.get("ref", "") if el.tag == f"{{{m}}}dimension" else ""
            break
    if not ref or not _too_many(ref.split(":")[0], ref.split(":")[-1]):
        return
    far_row = far_col = 0
    with z.open(part) as fh:
        for _, c in etree.iterparse(fh, events=("end",), tag=f"{{{m}}}c"):
            if c.find(f"{{{m}}}v") is not None or c.find(f"{{{m}}}is") is not None:
                row, col = _cell_index(c.get("r", ""))
                far_row, far_col = max(far_row, row), max(far_col, col)
            c.clear()
    last = f"{column_letter(far_col)}{far_row}"
    if far_row and _too_many("A1", last):
        raise SheetSyncError(f"The {title} sheet has a value out at cell {last}, far beyond your rows and columns; "
                             "delete it (and anything else out there) and save the workbook again.",
                             kind=ErrorKind.WORKBOOK_UNREADABLE,
                             fix=f"delete the value in {title}!{last} and save the workbook again")


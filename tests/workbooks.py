"""Test helpers: build a real .xlsx from small inline tables, so each case sits next to its assertion."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence

import openpyxl

from sheet_sync.config import load_config
from sheet_sync.load import load_book, wanted_sheets
from sheet_sync.model import Book
from sheet_sync.raw import grid_from_rows, raw_sheet

CLIENT_HEADERS = ["Client ID", "Name", "Email", "CC", "Contact Name", "Language", "Payment Terms", "Reminders"]
INVOICE_HEADERS = ["Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "Amount Paid",
                   "Paid Date", "Status", "Hold Until", "PO Number", "Payment Link", "Note to Client"]

DEFAULT_CLIENTS = [
    ["C1", "Acme Ltd", "ap@acme.example.com", "", "Dana", "en", "Net 30", ""],
    ["C2", "한빛상사", "billing@hanbit.example.co.kr", "", "김민수", "ko", "30일", ""],
    ["C3", "上海星辰", "finance@xingchen.example.cn", "", "王芳", "zh", "30天", ""],
]


def make_workbook(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """Write `sheets` (name -> rows, the first row the headers) to a real .xlsx."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def invoice(no: str, client: str = "C1", *, due: date | None, issue: date | None = None, amount: Any = 1000,
            paid: Any = None, currency: str = "USD", status: str = "", hold: Any = None, po: str = "",
            link: str = "", note: str = "", paid_date: Any = None) -> list[Any]:
    issue = issue if issue is not None else (due - timedelta(days=30) if due else date(2026, 1, 1))
    return [no, client, issue, due, currency, amount, paid, paid_date, status, hold, po, link, note]


def simple_book(path: Path, invoices: Sequence[Sequence[Any]], clients: Sequence[Sequence[Any]] | None = None,
                extra: dict[str, Sequence[Sequence[Any]]] | None = None) -> Path:
    sheets = {
        "Clients": [CLIENT_HEADERS, *(clients if clients is not None else DEFAULT_CLIENTS)],
        "Invoices": [INVOICE_HEADERS, *invoices],
    }
    sheets.update(extra or {})
    return make_workbook(path, sheets)


def many_invoices(n: int, as_of: date) -> tuple[list[list[Any]], list[list[Any]]]:
    """(clients, invoices) for n invoices over 200 clients: one in 250 due a reminder, the rest current or paid."""
    clients = [[f"C{k}", f"Client {k}", f"ap{k}@client{k}.example.com", "", "", "en", "Net 30", ""] for k in range(200)]
    rows = []
    for i in range(n):
        late = i % 250 == 0
        due = as_of - timedelta(days=2) if late else as_of + timedelta(days=20 + i % 30)
        paid = None if late or i % 3 else 100 + i % 900
        rows.append(invoice(f"INV-{i:05d}", f"C{i % 200}", due=due, amount=100 + i % 900, paid=paid))
    return clients, rows


def write_config(folder: Path, workbook: Path, extra: str = ""):
    """A config for `workbook`; `extra` TOML is appended (a [mail] table in it replaces the outbox one)."""
    return _config(folder, f'path = "{workbook.name}"', extra)


def sheet_config(folder: Path, emulator, extra: str = "", google: str = ""):
    """A config for the Sheets emulator's sheet; `extra` TOML is appended (a [mail] table in it replaces the
    outbox one), `google` adds keys to [google]."""
    return _config(folder, f'google_sheet = "https://docs.google.com/spreadsheets/d/{emulator.key}/edit#gid=0"\n'
                           f'[google]\napi_endpoint = "{emulator.url}"\n{google}', extra)


def _no_pdfs(extra: str) -> str:
    """`extra` with `reminders.attach_invoice = []` unless it names the key: a test of another feature makes no
    PDF, so that the suite stays fast (test_invoice_pdf.py and the demo make them with the default stages)."""
    if "attach_invoice" in extra:
        return extra
    if re.search(r"^\s*\[reminders\]\s*$", extra, re.MULTILINE):
        return re.sub(r"^(\s*\[reminders\]\s*)$", r"\1\nattach_invoice = []", extra, count=1, flags=re.MULTILINE)
    return extra + "\n[reminders]\nattach_invoice = []\n"


def _config(folder: Path, workbook: str, extra: str):
    extra = _no_pdfs(extra)
    mail = "" if "[mail]" in extra else """
[mail]
transport = "outbox"
from = "billing@studio.example.com"
outbox_dir = "outbox"
"""
    text = f"""
[business]
name = "Test Studio"
payment_instructions = "Bank transfer to account 123."
[workbook]
{workbook}
{mail}
{extra}
"""
    path = folder / "sheet-sync.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def memory_book(config, invoices: Sequence[Sequence[Any]], clients: Sequence[Sequence[Any]] | None = None,
                extra: dict[str, Sequence[Sequence[Any]]] | None = None) -> Book:
    """The same book `simple_book` writes, typed in memory (no .xlsx): for the pure stages' tests."""
    return sheets_book(config, {"Clients": [CLIENT_HEADERS, *(clients if clients is not None else DEFAULT_CLIENTS)],
                                "Invoices": [INVOICE_HEADERS, *invoices], **(extra or {})})


def sheets_book(config, sheets: dict[str, Sequence[Sequence[Any]]]) -> Book:
    """Sheets (name -> rows, the first row the headers) typed in memory as a backend's read would give them."""
    raw = {}
    for canonical, (owner_name, headers) in wanted_sheets(config).items():
        rows = next((r for name, r in sheets.items() if name.replace(" ", "").lower() == owner_name.replace(" ", "").lower()), None)
        if rows is not None:
            raw[canonical] = raw_sheet(owner_name, grid_from_rows([list(r) for r in rows]), headers)
    return load_book(raw, config)


def pad_sheet(path: Path, sheet: str, pad_bytes: int = 0, *, chunk: bytes = b" " * (1 << 20), at: bytes = b"</sheetData>",
              chunks: Iterable[bytes] | None = None) -> Path:
    """Rewrite the .xlsx at `path` with `pad_bytes` of `chunk` (whitespace by default: valid XML), or else
    the given `chunks`, inserted before `at` in the sheet named `sheet`, streamed into the zip entry: a ~1 GB
    sheet is built in seconds and never held in memory. Deflate packs a megabyte of spaces into about a
    kilobyte, so the file stays small: the "1 MB file holding a 1 GB sheet" of issue 11."""
    import zipfile

    members, part = _members_and_part(path, sheet)
    tmp = path.with_suffix(".padding")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info, data in members:
            if info.filename != part:
                out.writestr(info, data, zipfile.ZIP_DEFLATED)
                continue
            head, tail = data.split(at, 1)
            with out.open(part, "w") as fh:  # a name, not a ZipInfo: the archive's deflate level applies
                fh.write(head)
                left = pad_bytes
                while left > 0:
                    fh.write(chunk[:left])
                    left -= len(chunk)
                for piece in chunks or ():
                    fh.write(piece)
                fh.write(at + tail)
    tmp.replace(path)
    return path


def _members_and_part(path: Path, sheet: str):
    """The zip's (ZipInfo, bytes) members, and the name of the member holding `sheet`'s XML."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    workbook_xml = next(d for i, d in members if i.filename == "xl/workbook.xml").decode()
    rels = next(d for i, d in members if i.filename == "xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', workbook_xml).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"|<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"',
                       rels)
    part = (target.group(1) or target.group(2)).lstrip("/")
    return members, part if part.startswith("xl/") else "xl/" + part


def raw_number(path: Path, sheet: str, ref: str, text: str) -> Path:
    """Put `<v>text</v>` as the number in cell `ref` of `sheet` (which must hold a cell there): what no
    spreadsheet program writes but a file can hold, e.g. `NaN`, `inf`, `1e400` (openpyxl writes NaN as an
    empty `<v/>`)."""
    return replace_cell(path, sheet, ref, f'<c r="{ref}"><v>{text}</v></c>')


def rich_text_cell(path: Path, sheet: str, ref: str, runs: Sequence[tuple[bool, str]]) -> Path:
    """Make cell `ref` of `sheet` a rich-text cell of (bold?, text) runs, as Excel keeps one inline."""
    body = "".join(f'<r>{"<rPr><b/></rPr>" if bold else ""}<t xml:space="preserve">{text}</t></r>' for bold, text in runs)
    return replace_cell(path, sheet, ref, f'<c r="{ref}" t="inlineStr"><is>{body}</is></c>')


def replace_cell(path: Path, sheet: str, ref: str, cell_xml: str) -> Path:
    """Put `cell_xml` in place of cell `ref` of `sheet` (which must hold a cell there), every other byte kept."""
    import re
    import zipfile

    members, part = _members_and_part(path, sheet)
    tmp = path.with_suffix(".raw")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == part:
                data, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(), cell_xml.encode(), data, count=1)
                assert n == 1, f"no cell {ref} in {sheet}"
            out.writestr(info, data, zipfile.ZIP_DEFLATED)
    tmp.replace(path)
    return path


def excel_text(value: Any) -> Any:
    """How an owner's Excel file holds a control character: `_x000B_` (openpyxl cannot write it raw)."""
    if isinstance(value, str):
        return "".join(f"_x{ord(c):04X}_" if ord(c) < 0x20 and c not in "\t\n\r" else c for c in value)
    return value


def understate_size(path: Path, sheet: str, declared: int = 5000) -> Path:
    """Make the zip say that `sheet`'s XML unpacks to `declared` bytes (in its local header and in the central
    directory) while it unpacks to more: a bomb that lies about its size."""
    import struct
    import zipfile

    _, part = _members_and_part(path, sheet)
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(part).header_offset
    data = bytearray(path.read_bytes())
    struct.pack_into("<L", data, offset + 22, declared)  # the local header's uncompressed size
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:  # the central directory's entry for the part
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + length]) == part.encode():
            struct.pack_into("<L", data, at + 24, declared)
        at += 4
    path.write_bytes(bytes(data))
    return path

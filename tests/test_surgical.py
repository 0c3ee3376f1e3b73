"""The surgical Excel writer on rich workbooks: what the tool does not own stays byte for byte.

The workbooks come from scripts/make_rich_workbook.py: built with openpyxl and finished as Excel saves
(a drawing with a shape and an image, an owner's chart, comments, a table, conditional formats, an x14
list validation reading a hidden sheet, formula results, defined names, a custom XML part), as .xlsm with
a VBA project part, and once saved by LibreOffice. Each gets two syncs on two days.
"""
from __future__ import annotations

import os
import re
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from sheet_sync import api
from sheet_sync.backends.excel import ExcelBackend
from sheet_sync.backends.xlsx_package import MAIN_NS
from owner_snapshot import owner_snapshot
from test_libreoffice import SOFFICE, as_shown
from workbooks import simple_book, invoice

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import make_rich_workbook as rich  # noqa: E402
import needs

AS_OF = rich.AS_OF  # a Monday
DAY_2 = AS_OF + timedelta(days=3)
TOOL_HEADERS = ("Balance", "Days Overdue", "Aging Bucket", "Sync Status", "Last Reminder", "Next Reminder",
                "Sync Notes")
KINDS = ["openpyxl", "xlsm", "libreoffice"]


def _make(kind: str, folder: Path) -> Path:
    if kind == "libreoffice" and SOFFICE is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    path = folder / ("book.xlsm" if kind == "xlsm" else "book.xlsx")
    rich.make(path, xlsm=kind == "xlsm", libreoffice=SOFFICE if kind == "libreoffice" else None)
    path.chmod(0o640)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def sheet_parts(files: dict[str, bytes]) -> dict[str, str]:
    from sheet_sync.backends.xlsx_cache import sheet_parts as parts
    import io

    with zipfile.ZipFile(io.BytesIO(_zip(files))) as z:
        return parts(z)


def _zip(files: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def owned_parts(before: dict[str, bytes]) -> set[str]:
    """The parts a sync may change: the Invoices sheet and the parts that list sheets, styles and strings."""
    parts = sheet_parts(before)
    return {parts["Invoices"], "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
            "xl/styles.xml", "xl/sharedStrings.xml"}


def cells_by_ref(xml: bytes) -> dict[str, bytes]:
    return {m.group(1).decode(): m.group(0) for m in
            re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S)}


def tool_columns(path: Path) -> set[str]:
    ws = openpyxl.load_workbook(path)["Invoices"]
    return {c.column_letter for c in ws[1] if c.value in TOOL_HEADERS}


@pytest.fixture(params=KINDS)
def rich_book(request, tmp_path):
    return _make(request.param, tmp_path)


def test_two_syncs_change_only_what_the_tool_owns(rich_book, config_for, tmp_path):
    before = members(rich_book)
    snapshot = owner_snapshot(rich_book)
    config = config_for(rich_book)
    first = api.sync(config, as_of=AS_OF)
    second = api.sync(config, as_of=DAY_2)
    assert (first.writer, second.writer) == ("surgical", "surgical")
    assert first.to_dict()["writer"] == "surgical"

    after = members(rich_book)
    for name in set(before) - owned_parts(before):  # every other member: the same bytes
        assert after.get(name) == before[name], name
    assert oct(rich_book.stat().st_mode & 0o777) == "0o640"
    assert owner_snapshot(rich_book) == snapshot  # every owner cell, style, width, validation, name

    # in the Invoices sheet, every cell of the owner's columns and everything after the cells is as it was
    inv = sheet_parts(before)["Invoices"]
    old, new = before[inv], after[inv]
    tool = tool_columns(rich_book)
    new_cells = cells_by_ref(new)
    for ref, cell in cells_by_ref(old).items():
        if re.match(r"[A-Z]+", ref).group(0) not in tool:
            assert new_cells.get(ref) == cell, ref
    assert new[new.index(b"</sheetData>"):] == old[old.index(b"</sheetData>"):]
    assert b"x14:dataValidation" in new or b"x14:dataValidation" not in old

    # no repair: every part is well-formed, every relationship points at a part that exists
    for name, data in after.items():
        if name.endswith((".xml", ".rels", ".vml")):
            etree.fromstring(data)
    for name, data in after.items():
        if name.endswith(".rels"):
            for rel in etree.fromstring(data):
                if rel.get("TargetMode") != "External":
                    source = name.replace("_rels/", "")[:-5]
                    target = rel.get("Target")
                    resolved = target.lstrip("/") if target.startswith("/") else os.path.normpath(
                        os.path.join(os.path.dirname(source), target))
                    assert resolved in after, (name, target)
    _shared_string_count_is_right(after)


def _shared_string_count_is_right(files: dict[str, bytes]) -> None:
    if "xl/sharedStrings.xml" not in files:
        return
    refs = sum(len(re.findall(rb'<c [^>]*t="s"', data)) for name, data in files.items()
               if name.startswith("xl/worksheets/sheet"))
    sst = etree.fromstring(files["xl/sharedStrings.xml"])
    if sst.get("count") is not None:
        assert int(sst.get("count")) == refs
    assert int(sst.get("uniqueCount", len(sst))) == len(sst)


def test_the_tool_cells_hold_the_right_values_read_back_both_ways(rich_book, config_for):
    config = config_for(rich_book)
    first = api.sync(config, as_of=AS_OF)
    assert sorted((m.invoice_no, m.stage) for m in first.sent) == [("R-1", "gentle"), ("R-2", "gentle"), ("R-4", "gentle")]
    second = api.sync(config, as_of=DAY_2)  # the log the first run wrote is read back: no stage twice
    assert [(m.invoice_no, m.stage) for m in second.sent] == [("R-2", "firm"), ("R-4", "firm")]

    wb = openpyxl.load_workbook(rich_book)
    ws = wb["Invoices"]
    headers = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(headers, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert (rows["R-1"]["Balance"], rows["R-1"]["Days Overdue"], rows["R-1"]["Aging Bucket"]) == (1000, 5, "1-30")
    assert rows["R-1"]["Last Reminder"] == "2026-11-23 gentle"
    assert rows["R-2"]["Balance"] == 1200000 and rows["R-2"]["Last Reminder"] == "2026-11-26 firm"
    assert rows["R-3"]["Sync Status"] == "Current" and rows["R-3"]["Days Overdue"] == -7
    assert rows["R-4"]["Aging Bucket"] == "90+"
    assert rows["R-3"]["Note to Client"] == "=not a formula"
    assert rows["R-1"]["My Margin"] == "=F2*0.3"  # the owner's formula, still a formula
    balance = headers.index("Balance") + 1
    formats = {ws.cell(r, 1).value: ws.cell(r, balance).number_format for r in range(2, 6)}
    assert formats == {"R-1": "#,##0.00", "R-2": "#,##0", "R-3": "#,##0.00", "R-4": "#,##0.00"}

    aging = wb["Aging"]
    assert aging.freeze_panes == "A2" and aging.auto_filter.ref.startswith("A1:")
    assert [r[2] for r in aging.iter_rows(min_row=2, values_only=True)] == ["R-4", "R-2", "R-1", "R-3"]
    assert aging.cell(2, 5).is_date and aging.cell(2, 5).number_format == "yyyy-mm-dd"
    summary = wb["Aging Summary"]
    assert len(summary._charts) == 1
    log = [r for r in wb["Reminder Log"].iter_rows(min_row=2, values_only=True)]
    logged = [(r[1], r[3], r[8]) for r in log]  # each run's rows in the order its messages went out
    assert sorted(logged[:3]) == [("R-1", "gentle", "sent"), ("R-2", "gentle", "sent"), ("R-4", "gentle", "sent")]
    assert sorted(logged[3:]) == [("R-2", "firm", "sent"), ("R-4", "firm", "sent")]

    # the tool's own reader (calamine) sees the same values
    read = ExcelBackend(rich_book).read({"Invoices": ("Invoices", {"Invoice No": "Invoice No", "Balance": "Balance",
                                                                  "Sync Status": "Sync Status"})})["Invoices"]
    got = {r["Invoice No"]: (r["Balance"], r["Sync Status"]) for _, r in read.rows}
    assert got == {no: (rows[no]["Balance"], rows[no]["Sync Status"]) for no in rows}
    assert (rich_book.parent / f"{rich_book.stem}.bak{rich_book.suffix}").exists()


def always_recalculate(profile: Path) -> None:
    """LibreOffice shows an .xlsx's saved formula results unless told to recompute them on load (Tools >
    Options > Calc > Formula: "Recalculation on file load"; Excel honours the file's fullCalcOnLoad)."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">'
        '<value>0</value></prop></item></oor:items>\n', encoding="utf-8")


def test_libreoffice_opens_the_result_and_recalculates(rich_book, config_for, tmp_path):
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    config = config_for(rich_book)
    api.sync(config, as_of=AS_OF)
    api.sync(config, as_of=DAY_2)
    target = rich_book
    if rich_book.suffix == ".xlsm":  # LibreOffice names its CSVs after the file; a copy keeps the test simple
        target = tmp_path / "macro.xlsx"
        target.write_bytes(rich_book.read_bytes())
    always_recalculate(tmp_path / "lo-profile")
    shown = as_shown(SOFFICE, target, tmp_path)
    assert {"Clients", "Invoices", "Report", "My Notes", "Lists", "Aging", "Aging Summary", "Reminder Log"} <= set(shown)
    invoices = shown["Invoices"]
    rows = {r[0]: dict(zip(invoices[0], r)) for r in invoices[1:] if r and r[0]}
    assert rows["R-2"]["My Margin"] == "360000"
    assert (rows["R-1"]["Balance"], rows["R-1"]["Sync Status"]) == ("1000", "Overdue")
    assert rows["R-2"]["Last Reminder"] == "2026-11-26 firm"
    assert shown["Report"][2][1] == "3"  # =COUNTIF(Invoices!A1:Z100,"Overdue"), saved as 0: recalculated
    assert shown["Aging"][1][4] == "2026-08-20"  # R-4's due date, shown as a date
    totals = [r for r in shown["Aging Summary"] if r and r[0] == "TOTAL"]
    assert {r[2] for r in totals} == {"USD", "KRW", "CNY"}


# ---- the package details ------------------------------------------------------------------------------

def test_shared_strings_in_tool_columns_are_replaced_and_counted(tmp_path, config_for):
    """A workbook Excel saved with shared strings in the tool columns (as after an owner's edit)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed")
    book = simple_book(tmp_path / "book.xlsx", [invoice("S-1", due=AS_OF - timedelta(days=2))])
    config = config_for(book)
    api.sync(config, as_of=AS_OF)
    rich.resave_with_libreoffice(book, SOFFICE)  # every text cell becomes a shared string
    result = api.sync(config, as_of=DAY_2)
    assert result.writer == "surgical"
    files = members(book)
    _shared_string_count_is_right(files)
    ws = openpyxl.load_workbook(book)["Invoices"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(2, headers.index("Days Overdue") + 1).value == 5
    assert ws.cell(2, headers.index("Last Reminder") + 1).value == "2026-11-23 gentle"


def test_a_prefixed_namespace_sheet_is_patched_in_its_own_spelling(tmp_path, config_for):
    """Some programs write `<x:worksheet xmlns:x=...>`: new cells use the same prefix."""
    book = simple_book(tmp_path / "book.xlsx", [invoice("P-1", due=AS_OF - timedelta(days=2))])
    files = members(book)
    part = sheet_parts(files)["Invoices"]
    root = etree.fromstring(files[part])
    prefixed = etree.Element(f"{{{MAIN_NS}}}worksheet", nsmap={"x": MAIN_NS})
    prefixed.extend(list(root))
    files[part] = etree.tostring(prefixed, xml_declaration=True, encoding="UTF-8", standalone=True)
    book.write_bytes(_zip(files))
    result = api.sync(config_for(book), as_of=AS_OF)
    assert result.writer == "surgical"
    xml = members(book)[part]
    assert b"<c " not in xml and b'<x:c r="N2"' in xml
    ws = openpyxl.load_workbook(book)["Invoices"]
    assert [c.value for c in ws[2]][13:17] == [1000, 2, "1-30", "Overdue"]


def test_what_it_does_not_handle_falls_back_to_openpyxl(tmp_path, config_for):
    book = simple_book(tmp_path / "book.xlsx", [invoice("F-1", due=AS_OF - timedelta(days=2))])
    files = members(book)
    part = sheet_parts(files)["Invoices"]
    files[part] = files[part].replace(b"<sheetData>", b"<sheetData><!-- a comment among the rows -->")
    book.write_bytes(_zip(files))
    result = api.sync(config_for(book), as_of=AS_OF)
    assert result.writer == "openpyxl"
    ws = openpyxl.load_workbook(book)["Invoices"]
    assert [c.value for c in ws[2]][13:17] == [1000, 2, "1-30", "Overdue"]
    from sheet_sync.cli import render_summary

    assert "written by openpyxl" in render_summary(result)


@needs.root
def test_owner_group_and_mode_are_kept(tmp_path, config_for):
    book = simple_book(tmp_path / "book.xlsx", [invoice("O-1", due=AS_OF - timedelta(days=2))])
    os.chown(book, 1234, 2345)
    book.chmod(0o664)
    api.sync(config_for(book), as_of=AS_OF)
    st = book.stat()
    assert (st.st_uid, st.st_gid, oct(st.st_mode & 0o777)) == (1234, 2345, "0o664")


@needs.symlinks
def test_a_symlinked_workbook_stays_a_link(tmp_path, config_for):
    real = simple_book(tmp_path / "real.xlsx", [invoice("L-1", due=AS_OF - timedelta(days=2))])
    link = tmp_path / "book.xlsx"
    link.symlink_to(real)
    api.sync(config_for(link), as_of=AS_OF)
    assert link.is_symlink()
    assert "Aging" in openpyxl.load_workbook(real).sheetnames


def test_a_date1904_workbook_gets_its_own_serials(tmp_path, config_for):
    book = simple_book(tmp_path / "book.xlsx", [invoice("D-1", due=AS_OF - timedelta(days=2))])
    wb = openpyxl.load_workbook(book)
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    wb.save(book)
    api.sync(config_for(book), as_of=AS_OF)
    wb = openpyxl.load_workbook(book)
    assert wb["Aging"].cell(2, 5).value.date() == AS_OF - timedelta(days=2)
    summary = wb["Aging Summary"]
    as_of = next(r for r in summary.iter_rows(values_only=True) if r[0] == "As of")
    assert as_of[1].date() == AS_OF


def test_the_invoices_shape_from_the_read_is_the_one_the_xml_gives(rich_book, tmp_path):
    """An unchanged file's Invoices shape is taken from the sync's own read: it must be the writer's."""
    from sheet_sync.backends.excel import invoices_shape
    from sheet_sync.backends.xlsx_surgical import _Edit
    from sheet_sync.backends.xlsx_zip import ZipSource
    from sheet_sync.load import wanted_sheets
    from sheet_sync.model import WritePlan
    from workbooks import write_config

    plan = WritePlan("Invoices", "Invoice No", TOOL_HEADERS, {}, {})
    book = rich_book
    for _ in range(2):  # as the owner left it, then with a title above the headers, blank and numeric numbers
        raw = ExcelBackend(book).read(wanted_sheets(write_config(tmp_path, book)))["Invoices"]
        with ZipSource(book) as src:
            from_xml = _Edit(src).shape(plan)[0].invoices
        from_read = invoices_shape(raw)
        assert from_read.header_row == from_xml.header_row and from_read.title == from_xml.title
        assert from_read.headers[:len(from_xml.headers)] == from_xml.headers
        assert [str(v) for v in from_read.numbers] == [str(v) for v in from_xml.numbers]
        assert from_read.currencies == from_xml.currencies
        wb = openpyxl.load_workbook(book)
        ws = wb["Invoices"]
        ws.insert_rows(1, 2)
        ws["A1"] = "Invoices of Test Studio"
        ws.append([1001, "C1", None, None, "", 5])
        ws.append([None, "C1", None, None, "USD", 5])
        book = tmp_path / "titled.xlsx"
        wb.save(book)


def _with_calc_chain(book: Path, cells: str) -> None:
    files = members(book)
    files["xl/calcChain.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                 f'<calcChain xmlns="{MAIN_NS}">{cells}</calcChain>').encode()
    rels = files["xl/_rels/workbook.xml.rels"].decode()
    files["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" '
        'Target="calcChain.xml"/></Relationships>')).encode()
    types = files["[Content_Types].xml"].decode()
    files["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/xl/calcChain.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')).encode()
    book.write_bytes(_zip(files))


def test_a_formula_in_a_tool_column_is_replaced_and_the_calc_chain_dropped(tmp_path, config_for):
    rows = [invoice("C-1", due=AS_OF - timedelta(days=2)) + ["=1+1"], invoice("C-2", due=AS_OF - timedelta(days=40))]
    from workbooks import CLIENT_HEADERS, DEFAULT_CLIENTS, INVOICE_HEADERS, make_workbook

    book = make_workbook(tmp_path / "book.xlsx", {"Clients": [CLIENT_HEADERS, *DEFAULT_CLIENTS],
                                                  "Invoices": [INVOICE_HEADERS + ["Balance"], *rows]})
    _with_calc_chain(book, '<c r="N2" i="2"/>')
    result = api.sync(config_for(book), as_of=AS_OF)
    assert result.writer == "surgical"
    files = members(book)
    assert "xl/calcChain.xml" not in files
    assert b"calcChain" not in files["xl/_rels/workbook.xml.rels"] + files["[Content_Types].xml"]
    assert openpyxl.load_workbook(book)["Invoices"]["N2"].value == 1000


def test_without_a_formula_in_its_way_the_calc_chain_stays(tmp_path, config_for):
    book = simple_book(tmp_path / "book.xlsx", [invoice("K-1", due=AS_OF - timedelta(days=2))])
    _with_calc_chain(book, "")
    api.sync(config_for(book), as_of=AS_OF)
    assert "xl/calcChain.xml" in members(book)


def test_a_shared_formula_in_a_tool_column_falls_back(tmp_path, config_for):
    book = simple_book(tmp_path / "book.xlsx", [invoice("H-1", due=AS_OF - timedelta(days=2))])
    api.sync(config_for(book), as_of=AS_OF)
    files = members(book)
    part = sheet_parts(files)["Invoices"]
    files[part] = re.sub(rb'<c r="N2"[^>]*?(?:/>|>.*?</c>)', b'<c r="N2"><f t="shared" ref="N2:N2" si="0">F2</f><v>1000</v></c>',
                         files[part], flags=re.S)
    book.write_bytes(_zip(files))
    result = api.sync(config_for(book), as_of=AS_OF + timedelta(days=1))
    assert result.writer == "openpyxl"


def _row_xml(xml: bytes, number: int) -> bytes:
    found = re.search(rb'<row r="%d"[ >].*?</row>' % number, xml, re.S)
    assert found, number
    return found.group(0)


def _set_cell(xml: bytes, ref: str, cell: bytes) -> bytes:
    changed, n = re.subn(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref.encode(), cell, xml, flags=re.S)
    assert n == 1, ref
    return changed


def test_a_rerun_keeps_the_rows_that_hold_their_values_and_patches_the_rest(tmp_path, config_for):
    """A re-run leaves each row whose tool cells already hold what it would write byte for byte (most rows of a
    daily run), and patches every other: a currency changed by the owner (the same balance, another format), a
    tool cell typed over by hand, a formula put in a tool cell."""
    book = simple_book(tmp_path / "book.xlsx", [
        invoice("K-1", due=AS_OF - timedelta(days=40), paid=1000, paid_date=AS_OF - timedelta(days=3)),
        invoice("K-2", due=AS_OF + timedelta(days=20)),
        invoice("K-3", due=AS_OF + timedelta(days=25)),
        invoice("K-4", due=AS_OF + timedelta(days=28)),
        invoice("K-5", due=AS_OF + timedelta(days=29)),
        invoice("K-6", due=AS_OF + timedelta(days=29)),
    ])
    config = config_for(book)
    api.sync(config, as_of=AS_OF)
    part = sheet_parts(members(book))["Invoices"]
    synced = members(book)[part]
    assert api.sync(config, as_of=AS_OF).writer == "surgical"
    assert members(book)[part] == synced  # nothing to change: every row kept, the part's bytes too

    headers = [c.value for c in openpyxl.load_workbook(book)["Invoices"][1]]
    col = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(headers)}
    files = members(book)
    xml = _set_cell(files[part], f"{col['Currency']}3", b'<c r="%s3" t="inlineStr"><is><t>KRW</t></is></c>' % col["Currency"].encode())
    xml = _set_cell(xml, f"{col['Sync Status']}4", b'<c r="%s4" t="inlineStr"><is><t>typed by hand</t></is></c>' % col["Sync Status"].encode())
    xml = _set_cell(xml, f"{col['Balance']}5", b'<c r="%s5"><f>500+500</f><v>1000</v></c>' % col["Balance"].encode())
    # stale cells where blanks go: between written cells (a paid invoice's Days Overdue) and after them (Sync Notes)
    days, notes = col["Days Overdue"].encode(), col["Sync Notes"].encode()
    row2 = _row_xml(xml, 2)
    assert b'r="%s2"' % days not in row2 and b'r="%s2"' % notes not in row2
    at = row2.index(b'<c r="%s2"' % col["Aging Bucket"].encode()) if b'r="%s2"' % col["Aging Bucket"].encode() in row2 \
        else row2.index(b'<c r="%s2"' % col["Sync Status"].encode())
    stale = row2[:at] + b'<c r="%s2"><v>99</v></c>' % days + row2[at:]
    xml = xml.replace(row2, stale)
    row6 = _row_xml(xml, 6)
    assert b'r="%s6"' % notes not in row6
    xml = xml.replace(row6, row6.replace(b"</row>", b'<c r="%s6" t="inlineStr"><is><t>stale</t></is></c></row>' % notes))
    files[part] = xml
    book.write_bytes(_zip(files))
    kept = {n: _row_xml(xml, n) for n in (7,)}

    assert api.sync(config, as_of=AS_OF).writer == "surgical"
    after = members(book)[part]
    assert {n: _row_xml(after, n) for n in (7,)} == kept
    ws = openpyxl.load_workbook(book)["Invoices"]
    assert ws[f"{col['Days Overdue']}2"].value is None and ws[f"{col['Sync Notes']}6"].value is None
    assert [_row_xml(after, n) for n in (2, 6)] == [_row_xml(synced, n) for n in (2, 6)]  # as the first sync wrote
    balance = ws[f"{col['Balance']}3"]
    assert (balance.value, balance.number_format) == (1000, "#,##0")  # the won has no decimals
    assert ws[f"{col['Sync Status']}4"].value == "Current"
    assert ws[f"{col['Balance']}5"].value == 1000 and b"<f>" not in _row_xml(after, 5)
    assert ws[f"{col['Balance']}6"].number_format == "#,##0.00"
    assert api.sync(config, as_of=AS_OF).writer == "surgical"
    assert members(book)[part] == after

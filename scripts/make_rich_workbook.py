"""Make an owner's workbook that holds everything a save by another program may damage.

    python scripts/make_rich_workbook.py OUT.xlsx [--xlsm] [--libreoffice]

Built with openpyxl, then finished by editing the package as Excel would have saved it: a drawing with a
shape and an image, a chart of the owner's, comments, a table, conditional formats, a list validation that
reads another sheet (Excel 2010's x14 form), formulas with their saved results, a hidden sheet, defined
names and an unknown custom XML part. `--xlsm` makes a macro-enabled workbook with a VBA project part
(`xl/vbaProject.bin`: a placeholder with the compound-file signature, not real VBA). `--libreoffice` has
LibreOffice (headless) open the workbook and save it again as .xlsx, so that it is a package written by
another program (shared strings, its own styles and formula results); the custom XML part is added
after that save, as LibreOffice drops parts it does not know.
"""
from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

AS_OF = date(2026, 11, 23)
CLIENTS = [["Client ID", "Name", "Email", "CC", "Contact Name", "Language", "Payment Terms", "Reminders"],
           ["C1", "Acme Ltd", "ap@acme.example.com", "", "Dana", "en", "Net 30", ""],
           ["C2", "한빛상사", "billing@hanbit.example.co.kr", "", "김민수", "ko", "30일", ""],
           ["C3", "上海星辰", "finance@xingchen.example.cn", "", "王芳", "zh", "30天", ""]]
INVOICE_HEADERS = ["Invoice No", "Client ID", "Issue Date", "Due Date", "Currency", "Amount", "My Margin",
                   "Amount Paid", "Status", "Note to Client"]
INVOICES = [  # number, client, days overdue, currency, amount, note
    ("R-1", "C1", 2, "USD", 1000, "Thank you!"),
    ("R-2", "C2", 50, "KRW", 1200000, ""),
    ("R-3", "C3", -10, "CNY", 8000.5, "=not a formula"),
    ("R-4", "C1", 95, "USD", 250, ""),
]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
X14_LIST = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
    '<x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>E2:E100</xm:sqref>'
    '</x14:dataValidation></x14:dataValidations></ext></extLst>')
DRAWING = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="' + REL + '">'
    '<xdr:twoCellAnchor><xdr:from><xdr:col>4</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>'
    '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>5</xdr:row>'
    '<xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Note Box"/>'
    '<xdr:cNvSpPr/></xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1828800" cy="731520"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFF2CC"/></a:solidFill></xdr:spPr>'
    '<xdr:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>Ask Dana about Q3</a:t></a:r></a:p></xdr:txBody></xdr:sp>'
    '<xdr:clientData/></xdr:twoCellAnchor>'
    '<xdr:oneCellAnchor><xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>6</xdr:row>'
    '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx="952500" cy="952500"/><xdr:pic><xdr:nvPicPr>'
    '<xdr:cNvPr id="3" name="Logo"/><xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr>'
    '<xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm>'
    '<a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
    '</xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>')
CUSTOM_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<notes xmlns="urn:example:owner"><keep>every byte</keep></notes>'
CUSTOM_PROPS = (b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem '
                b'ds:itemID="{6E2D2A5B-2D0F-4A8E-9E39-0C6B1D1B0A11}" '
                b'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs>'
                b'<ds:schemaRef ds:uri="urn:example:owner"/></ds:schemaRefs></ds:datastoreItem>')
VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"sheet-sync test placeholder for a VBA project\n" * 8


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (48, 84, 150)) -> bytes:
    """A small solid PNG, without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def build(path: Path) -> None:
    wb = openpyxl.Workbook()
    clients = wb.active
    clients.title = "Clients"
    for row in CLIENTS:
        clients.append(row)
    clients["B2"].comment = Comment("Our oldest client", "Owner")
    clients.column_dimensions["C"].width = 34

    inv = wb.create_sheet("Invoices")
    inv.append(INVOICE_HEADERS)
    for r, (no, client, days, currency, amount, note) in enumerate(INVOICES, start=2):
        due = AS_OF - timedelta(days=days)
        inv.append([no, client, due - timedelta(days=30), due, currency, amount, f"=F{r}*0.3", None, "", note])
        inv.cell(r, 10).data_type = "s"  # typed with a leading apostrophe: text
    for cell in inv[1]:
        cell.font = Font(bold=True)
    inv["A1"].comment = Comment("Numbered by year", "Owner")
    inv.freeze_panes = "B2"
    inv.column_dimensions["A"].width = 14
    table = Table(displayName="InvoiceTable", ref=f"A1:J{len(INVOICES) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    inv.add_table(table)
    inv.conditional_formatting.add("F2:F100", CellIsRule(operator="greaterThan", formula=["100000"],
                                                         fill=PatternFill("solid", bgColor="FFC7CE")))
    status = DataValidation(type="list", formula1='"Draft,Sent,Paid,On Hold"', allow_blank=True)
    inv.add_data_validation(status)
    status.add("I2:I100")

    report = wb.create_sheet("Report")
    report["A1"], report["B1"] = "Invoiced (all currencies, raw)", f"=SUM(Invoices!F2:F{len(INVOICES) + 1})"
    report["A2"], report["B2"] = "Rows", f"=COUNTA(Invoices!A2:A{len(INVOICES) + 1})"
    report["A3"], report["B3"] = "Overdue (the tool's Sync Status)", '=COUNTIF(Invoices!A1:Z100,"Overdue")'
    chart = BarChart()
    chart.title = "Amounts (owner's chart)"
    chart.add_data(Reference(inv, min_col=6, min_row=1, max_row=len(INVOICES) + 1), titles_from_data=True)
    chart.set_categories(Reference(inv, min_col=1, min_row=2, max_row=len(INVOICES) + 1))
    report.add_chart(chart, "D2")

    notes = wb.create_sheet("My Notes")
    notes["A1"] = "keep me"
    lists = wb.create_sheet("Lists")
    for r, code in enumerate(("USD", "KRW", "CNY"), start=1):
        lists.cell(r, 1, code)
    lists.sheet_state = "hidden"
    wb.defined_names["Currencies"] = DefinedName("Currencies", attr_text="Lists!$A$1:$A$3")
    wb.defined_names["Margin"] = DefinedName("Margin", attr_text="Report!$B$1")
    wb.active = 1
    wb.save(path)


def finish(path: Path, *, xlsm: bool, extras: bool = True, custom: bool = True) -> None:
    """Add what openpyxl cannot write, as Excel saves it: formula results, the x14 list validation, the
    drawing with a shape and an image, the custom XML part, the VBA project."""
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheets = _sheet_parts(members)
    if extras:
        inv = sheets["Invoices"]
        xml = members[inv].decode()
        for r, (_, _, _, _, amount, _) in enumerate(INVOICES, start=2):
            xml = xml.replace(f"<f>F{r}*0.3</f><v></v>", f"<f>F{r}*0.3</f><v>{amount * 0.3:g}</v>")
            xml = xml.replace(f"<f>F{r}*0.3</f><v/>", f"<f>F{r}*0.3</f><v>{amount * 0.3:g}</v>")
        members[inv] = xml.replace("</worksheet>", X14_LIST + "</worksheet>").encode()
        rep = sheets["Report"]
        total = sum(i[4] for i in INVOICES)
        xml = members[rep].decode()
        xml = xml.replace(f"<f>SUM(Invoices!F2:F{len(INVOICES) + 1})</f><v></v>",
                          f"<f>SUM(Invoices!F2:F{len(INVOICES) + 1})</f><v>{total!r}</v>")
        xml = xml.replace(f"<f>COUNTA(Invoices!A2:A{len(INVOICES) + 1})</f><v></v>",
                          f"<f>COUNTA(Invoices!A2:A{len(INVOICES) + 1})</f><v>{len(INVOICES)}</v>")
        members[rep] = xml.replace('<f>COUNTIF(Invoices!A1:Z100,"Overdue")</f><v></v>',
                                   '<f>COUNTIF(Invoices!A1:Z100,"Overdue")</f><v>0</v>').encode()
        notes = sheets["My Notes"]
        members[notes] = members[notes].replace(b"</worksheet>", f'<drawing xmlns:r="{REL}" r:id="rId1"/></worksheet>'.encode())
        folder, name = notes.rsplit("/", 1)
        members[f"{folder}/_rels/{name}.rels"] = _rels([("rId1", REL + "/drawing", "../drawings/owner_drawing1.xml")])
        members["xl/drawings/owner_drawing1.xml"] = DRAWING.encode()
        members["xl/drawings/_rels/owner_drawing1.xml.rels"] = _rels([("rId1", REL + "/image", "../media/logo1.png")])
        members["xl/media/logo1.png"] = png()
        _content_type(members, default=("png", "image/png"))
        _content_type(members, override=("/xl/drawings/owner_drawing1.xml",
                                         "application/vnd.openxmlformats-officedocument.drawing+xml"))
    if custom:
        members["customXml/item1.xml"] = CUSTOM_XML
        members["customXml/itemProps1.xml"] = CUSTOM_PROPS
        members["customXml/_rels/item1.xml.rels"] = _rels([("rId1", REL + "/customXmlProps", "itemProps1.xml")])
        _add_workbook_rel(members, REL + "/customXml", "../customXml/item1.xml")
        _content_type(members, override=("/customXml/itemProps1.xml",
                                         "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"))
    if xlsm:
        members["xl/vbaProject.bin"] = VBA
        _add_workbook_rel(members, "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin")
        _content_type(members, default=("bin", "application/vnd.ms-office.vbaProject"))
        ct = members["[Content_Types].xml"].decode()
        members["[Content_Types].xml"] = ct.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                                    "application/vnd.ms-excel.sheet.macroEnabled.main+xml").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _sheet_parts(members: dict[str, bytes]) -> dict[str, str]:
    from lxml import etree

    wb = etree.fromstring(members["xl/workbook.xml"])
    rels = etree.fromstring(members["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iter(f"{{{MAIN}}}sheet"):
        target = targets[s.get(f"{{{REL}}}id")]
        out[s.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def _rels(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{p}"/>' for i, t, p in items)
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">{body}</Relationships>'.encode()


def _add_workbook_rel(members: dict[str, bytes], rel_type: str, target: str) -> None:
    xml = members["xl/_rels/workbook.xml.rels"].decode()
    n = 1
    while f'Id="rId{n}"' in xml:
        n += 1
    members["xl/_rels/workbook.xml.rels"] = xml.replace(
        "</Relationships>", f'<Relationship Id="rId{n}" Type="{rel_type}" Target="{target}"/></Relationships>').encode()


def _content_type(members: dict[str, bytes], default: tuple[str, str] | None = None,
                  override: tuple[str, str] | None = None) -> None:
    xml = members["[Content_Types].xml"].decode()
    if default and f'Extension="{default[0]}"' not in xml:
        xml = xml.replace("</Types>", f'<Default Extension="{default[0]}" ContentType="{default[1]}"/></Types>')
    if override:
        xml = xml.replace("</Types>", f'<Override PartName="{override[0]}" ContentType="{override[1]}"/></Types>')
    members["[Content_Types].xml"] = xml.encode()


def resave_with_libreoffice(path: Path, soffice: str) -> None:
    """Open `path` in LibreOffice (headless) and save it again as .xlsx, in place."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        done = subprocess.run([soffice, f"-env:UserInstallation=file://{folder}/profile", "--headless",
                               "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                              capture_output=True, text=True, timeout=180)
        saved = out / (path.stem + ".xlsx")
        if done.returncode != 0 or not saved.exists():
            raise RuntimeError(f"LibreOffice could not save {path.name}: {done.stderr.strip()}")
        shutil.move(saved, path)


def make(path: Path, *, xlsm: bool = False, libreoffice: str | None = None) -> Path:
    """The rich workbook at `path` (.xlsx, or .xlsm with `xlsm`); with `libreoffice` (the soffice command),
    saved by LibreOffice first."""
    build(path)
    if libreoffice:
        finish(path, xlsm=False, custom=False)
        resave_with_libreoffice(path, libreoffice)
        finish(path, xlsm=xlsm, extras=False)
    else:
        finish(path, xlsm=xlsm)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--xlsm", action="store_true")
    parser.add_argument("--libreoffice", action="store_true")
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice") if args.libreoffice else None
    if args.libreoffice and not soffice:
        print("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)", file=sys.stderr)
        return 2
    make(args.out, xlsm=args.xlsm, libreoffice=soffice)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The parts of an .xlsx package the surgical writer reads and updates: relationships, content types, the
workbook's sheet list, shared strings and styles (ECMA-376 Part 1, transitional; Part 2 for the package).

Every part is kept as bytes and changed by splicing text into it, so that whatever the writer does not
understand stays exactly as it was. lxml reads the small parts (workbook, rels, styles); the big ones
(sheets, shared strings) are scanned with regular expressions in xlsx_sheet.py.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from sheet_sync.backends.xlsx_zip import Unsupported, ZipSource

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
OFFICE_DOCUMENT = REL_TYPE + "officeDocument"
WORKSHEET_TYPE = REL_TYPE + "worksheet"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_CT = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARSER = etree.XMLParser(resolve_entities=False, huge_tree=True, remove_blank_text=False)

_CHAR_REF = re.compile(rb"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}


def xml_text(raw: bytes) -> str:
    """The text of XML character data (entities and character references resolved)."""
    if b"&" not in raw:
        return raw.decode("utf-8")

    def one(m: re.Match) -> bytes:
        ref = m.group(1)
        if ref.startswith(b"#x"):
            return chr(int(ref[2:], 16)).encode("utf-8")
        if ref.startswith(b"#"):
            return chr(int(ref[1:])).encode("utf-8")
        return _ENTITIES[ref].encode("utf-8")

    return _CHAR_REF.sub(one, raw).decode("utf-8")


def parse(data: bytes, what: str) -> etree._Element:
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unsupported(f"{what} is not well-formed XML ({exc})") from None


def attr(value: object) -> str:
    """A quoted XML attribute value."""
    return quoteattr(str(value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def text(value: str) -> str:
    return escape(value)


def set_attribute(tag: bytes, name: bytes, value: str) -> bytes:
    """A start tag with one attribute set (replaced in place, or added before the tag's end)."""
    new = name + b"=" + attr(value).encode("utf-8")
    m = re.search(rb"(\s)" + re.escape(name) + rb"\s*=\s*(\"[^\"]*\"|'[^']*')", tag)
    if m:
        return tag[:m.start()] + m.group(1) + new + tag[m.end():]
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end].rstrip() + b" " + new + tag[end:]


def prefix_of(data: bytes, local: str) -> bytes:
    """The namespace prefix (with its colon, or b"") of the first `local` element, e.g. b"x:"."""
    m = re.search(rb"<([A-Za-z_][\w.\-]*:)?" + local.encode() + rb"[\s/>]", data)
    if m is None:
        raise Unsupported(f"no <{local}> element")
    return m.group(1) or b""


# ---- relationships and content types -----------------------------------------------------------------

@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str  # the part's name in the zip, resolved; the raw target for an external one
    external: bool = False


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def read_rels(data: bytes | None, source_part: str) -> list[Rel]:
    if not data:
        return []
    out = []
    for r in parse(data, rels_name(source_part)).iter(f"{{{PKG_REL_NS}}}Relationship"):
        external = r.get("TargetMode") == "External"
        target = r.get("Target", "")
        out.append(Rel(r.get("Id", ""), r.get("Type", ""), target if external else resolve(source_part, target), external))
    return out


def rels_xml(source_part: str, rels: list[tuple[str, str, str]]) -> bytes:
    """A relationships part: (id, type, target part) each, targets relative to `source_part`."""
    items = "".join(f"<Relationship Id={attr(i)} Type={attr(t)} Target={attr(relative(source_part, p))}/>"
                    for i, t, p in rels)
    return XML_DECLARATION + f'<Relationships xmlns="{PKG_REL_NS}">{items}</Relationships>'.encode()


def append_rel(data: bytes, rel_id: str, rel_type: str, target: str) -> bytes:
    """`data` (a relationships part) with one more relationship before its end tag."""
    p = prefix_of(data, "Relationships")
    item = f"<{p.decode()}Relationship Id={attr(rel_id)} Type={attr(rel_type)} Target={attr(target)}/>".encode()
    return insert_before_end(data, p + b"Relationships", item)


def insert_before_end(data: bytes, tag: bytes, item: bytes) -> bytes:
    """`item` inserted as the last child of the first `tag` element (opened if it is written `<tag/>`)."""
    end = data.find(b"</" + tag + b">")
    if end >= 0:
        return data[:end] + item + data[end:]
    m = re.search(rb"<" + re.escape(tag) + rb"(\s[^>]*)?/>", data)
    if m is None:
        raise Unsupported(f"no <{tag.decode()}> element")
    return data[:m.start()] + m.group(0)[:-2] + b">" + item + b"</" + tag + b">" + data[m.end():]


def new_id(used: set[str], stem: str = "rId") -> str:
    n = 1
    while f"{stem}{n}" in used:
        n += 1
    used.add(f"{stem}{n}")
    return f"{stem}{n}"


def free_part(taken: set[str], pattern: str) -> str:
    """The first unused name `pattern % n` (names compared without case, as OPC does)."""
    lower = {t.lower() for t in taken}
    n = 1
    while (pattern % n).lower() in lower:
        n += 1
    taken.add(pattern % n)
    return pattern % n


class ContentTypes:
    """[Content_Types].xml: Overrides added and removed by splicing."""

    NAME = "[Content_Types].xml"

    def __init__(self, data: bytes):
        self.data = data
        root = parse(data, self.NAME)
        self.defaults = {d.get("Extension", "").lower(): d.get("ContentType") for d in root.iter(f"{{{CT_NS}}}Default")}
        self.overrides = {o.get("PartName", "").lower(): o.get("ContentType") for o in root.iter(f"{{{CT_NS}}}Override")}
        self.changed = False

    def of(self, part: str) -> str | None:
        found = self.overrides.get("/" + part.lower())
        return found if found is not None else self.defaults.get(part.rsplit(".", 1)[-1].lower())

    def add(self, part: str, content_type: str) -> None:
        if self.of(part) == content_type:
            return
        p = prefix_of(self.data, "Types")
        item = f"<{p.decode()}Override PartName={attr('/' + part)} ContentType={attr(content_type)}/>".encode()
        self.data = insert_before_end(self.data, p + b"Types", item)
        self.overrides["/" + part.lower()] = content_type
        self.changed = True

    def remove(self, part: str) -> None:
        if "/" + part.lower() not in self.overrides:
            return
        pattern = rb"<(?:[\w.\-]+:)?Override\s[^>]*PartName\s*=\s*([\"'])/" + re.escape(part.encode()) + rb"\1[^>]*/>"
        self.data = re.sub(pattern, b"", self.data, count=1, flags=re.IGNORECASE)
        del self.overrides["/" + part.lower()]
        self.changed = True


# ---- the workbook ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetEntry:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None  # None: its relationship is missing or external


@dataclass
class Workbook:
    part: str
    data: bytes
    sheets: list[SheetEntry]
    rels: list[Rel]
    rels_data: bytes
    date1904: bool
    changed: bool = False
    rels_changed: bool = False
    added_rels: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, src: ZipSource) -> Workbook:
        root_rels = read_rels(_member(src, "_rels/.rels"), "")
        office = [r for r in root_rels if r.type == OFFICE_DOCUMENT and not r.external]
        if not office:
            raise Unsupported("no workbook part (strict OOXML, or not a spreadsheet)")
        part = office[0].target
        data = _member(src, part)
        if data is None:
            raise Unsupported(f"the workbook part {part} is missing")
        root = parse(data, part)
        if root.tag != f"{{{MAIN_NS}}}workbook":
            raise Unsupported("strict OOXML or an unknown workbook" if STRICT_NS in root.tag else f"{root.tag} is not a workbook")
        rels_data = _member(src, rels_name(part)) or b""
        rels = read_rels(rels_data, part)
        targets = {r.id: r.target for r in rels if not r.external}
        sheets = [SheetEntry(s.get("name", ""), int(s.get("sheetId", "0")), s.get(f"{{{REL_NS}}}id", ""),
                             targets.get(s.get(f"{{{REL_NS}}}id", ""))) for s in root.iter(f"{{{MAIN_NS}}}sheet")]
        pr = root.find(f"{{{MAIN_NS}}}workbookPr")
        date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        return cls(part, data, sheets, rels, rels_data, date1904)

    def target(self, rel_type: str) -> str | None:
        return next((r.target for r in self.rels if r.type == REL_TYPE + rel_type and not r.external), None)

    def add_sheet(self, name: str, part: str) -> SheetEntry:
        """A new sheet at the end of the workbook, with its relationship."""
        rel_id = new_id({r.id for r in self.rels})
        self.rels_data = append_rel(self.rels_data, rel_id, WORKSHEET_TYPE, relative(self.part, part))
        self.rels.append(Rel(rel_id, WORKSHEET_TYPE, part))
        self.rels_changed = True
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        p = prefix_of(self.data, "workbook").decode()
        r_prefix = _root_prefix_for(self.data, "workbook", REL_NS)
        ns = "" if r_prefix else f' xmlns:r="{REL_NS}"'
        item = f"<{p}sheet name={attr(name)} sheetId=\"{sheet_id}\"{ns} {r_prefix or 'r'}:id={attr(rel_id)}/>"
        self.data = insert_before_end(self.data, (p + "sheets").encode(), item.encode())
        self.changed = True
        entry = SheetEntry(name, sheet_id, rel_id, part)
        self.sheets.append(entry)
        return entry

    def set_filter_name(self, index: int, name: str, ref: str) -> None:
        """Point an existing `_xlnm._FilterDatabase` of the sheet at `index` to its new filter range."""
        pattern = (rb"(<(?:[\w.\-]+:)?definedName\s[^>]*name\s*=\s*\"_xlnm\._FilterDatabase\"[^>]*localSheetId\s*=\s*\""
                   + str(index).encode() + rb"\"[^>]*>)([^<]*)(<)")
        m = re.search(pattern, self.data)
        if m is None:
            return
        value = text(f"{quote_sheet(name)}!{absolute(ref)}").encode()
        if m.group(2) != value:
            self.data = self.data[:m.start(2)] + value + self.data[m.end(2):]
            self.changed = True


    def request_recalculation(self) -> None:
        """Set `fullCalcOnLoad` on `<calcPr>` (added where the schema puts it when missing)."""
        p = prefix_of(self.data, "workbook")
        m = re.search(rb"<" + re.escape(p) + rb"calcPr(?:\s[^>]*)?/?>", self.data)
        if m is not None:
            if re.search(rb"\sfullCalcOnLoad\s*=\s*[\"'](1|true)[\"']", m.group(0)):
                return
            tag = set_attribute(m.group(0), b"fullCalcOnLoad", "1")
            self.data = self.data[:m.start()] + tag + self.data[m.end():]
        else:
            at = None
            for name in (b"definedNames", b"externalReferences", b"functionGroups", b"sheets"):
                end = re.search(rb"</" + re.escape(p + name) + rb">|<" + re.escape(p + name) + rb"(?:\s[^>]*)?/>", self.data)
                if end is not None:
                    at = end.end()
                    break
            if at is None:
                raise Unsupported("the workbook has no <sheets>")
            self.data = self.data[:at] + b"<" + p + b'calcPr fullCalcOnLoad="1"/>' + self.data[at:]
        self.changed = True


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def absolute(ref: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _root_prefix_for(data: bytes, root: str, namespace: str) -> str | None:
    """The prefix the root element's start tag binds to `namespace` (None: not bound there)."""
    tag = re.search(rb"<(?:[\w.\-]+:)?" + root.encode() + rb"[\s>][^>]*>", data)
    m = re.search(rb"xmlns:([\w.\-]+)\s*=\s*[\"']" + re.escape(namespace.encode()) + rb"[\"']", tag.group(0)) if tag else None
    return m.group(1).decode() if m else None


def _member(src: ZipSource, name: str) -> bytes | None:
    if name in src.by_name:
        return src.read(name)
    lower = name.lower()
    for info in src.infos:
        if info.filename.lower() == lower:
            return src.read(info.filename)
    return None


# ---- shared strings ------------------------------------------------------------------------------------

_SI = re.compile(rb"<(?:[\w.\-]+:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.\-]+:)?si>)", re.S)
_T = re.compile(rb"<(?:[\w.\-]+:)?t(?:\s[^>]*)?(?:/>|>(.*?)</(?:[\w.\-]+:)?t>)", re.S)
_PHONETIC = re.compile(rb"<(?:[\w.\-]+:)?rPh[\s>].*?</(?:[\w.\-]+:)?rPh>", re.S)


def inline_text(body: bytes) -> str:
    """The text of an `<si>` or `<is>` body: its `<t>`, or its runs' `<t>`s, without phonetic runs."""
    if b"<" not in body:
        return ""
    if b"rPh" in body:
        body = _PHONETIC.sub(b"", body)
    return "".join(xml_text(m.group(1) or b"") for m in _T.finditer(body))


def shared_strings(data: bytes | None) -> list[str]:
    if not data:
        return []
    return [inline_text(m.group(1) or b"") for m in _SI.finditer(data)]


def with_count_reduced(data: bytes, by: int) -> bytes:
    """The shared-strings part with its `count` (references in the workbook) lowered by `by`."""
    m = re.search(rb"<(?:[\w.\-]+:)?sst\b[^>]*>", data)
    if m is None or by <= 0:
        return data
    count = re.search(rb"\scount\s*=\s*[\"'](\d+)[\"']", m.group(0))
    if count is None:
        return data
    tag = set_attribute(m.group(0), b"count", str(max(int(count.group(1)) - by, 0)))
    return data[:m.start()] + tag + data[m.end():]

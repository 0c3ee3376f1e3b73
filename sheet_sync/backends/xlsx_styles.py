"""The cell formats the surgical writer needs, added to styles.xml without renumbering anything.

A cell's style is an index into `cellXfs`. Writing a number format onto a cell keeps the rest of its style
(font, fill, border, alignment, protection) and changes only the format, as openpyxl's
`cell.number_format = ...` does: the cell gets an `xf` that is a copy of its old one with the new
`numFmtId`. Formats and xfs already in the file are reused; new ones are appended, and the `count`
attributes are set to the new totals.
"""
from __future__ import annotations

import copy
import re

from lxml import etree

from sheet_sync.backends.xlsx_package import MAIN_NS, attr, insert_before_end, parse, prefix_of, set_attribute
from sheet_sync.backends.xlsx_zip import Unsupported
from sheet_sync.layout import HEADER_FILL, HEADER_TEXT

# Excel's built-in number formats by id, as openpyxl.styles.numbers.BUILTIN_FORMATS lists them (copied, so that the
# surgical writer does not load openpyxl; a test checks that they agree).
BUILTIN_FORMATS = {
    0: 'General', 1: '0', 2: '0.00', 3: '#,##0', 4: '#,##0.00', 5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)', 7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: '0%', 10: '0.00%', 11: '0.00E+00', 12: '# ?/?', 13: '# ??/??', 14: 'mm-dd-yy', 15: 'd-mmm-yy', 16: 'd-mmm',
    17: 'mmm-yy', 18: 'h:mm AM/PM', 19: 'h:mm:ss AM/PM', 20: 'h:mm', 21: 'h:mm:ss', 22: 'm/d/yy h:mm',
    37: '#,##0_);(#,##0)', 38: '#,##0_);[Red](#,##0)', 39: '#,##0.00_);(#,##0.00)',
    40: '#,##0.00_);[Red](#,##0.00)', 41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)', 45: 'mm:ss', 46: '[h]:mm:ss', 47: 'mmss.0',
    48: '##0.0E+0', 49: '@',
}
BUILTIN_IDS = {code: i for i, code in BUILTIN_FORMATS.items()}
FIRST_CUSTOM_ID = 164
_NS = f"{{{MAIN_NS}}}"


class Styles:
    def __init__(self, data: bytes | None):
        self.original = data
        if not data:
            raise Unsupported("no styles part")
        root = parse(data, "styles.xml")
        if root.tag != _NS + "styleSheet":
            raise Unsupported("styles.xml is not a transitional style sheet")
        self.prefix = prefix_of(data, "styleSheet")
        self.custom = {int(n.get("numFmtId")): n.get("formatCode", "") for n in root.iter(_NS + "numFmt")}
        self._ids = {code: i for i, code in sorted(self.custom.items(), reverse=True)}
        self.xfs = _children(root, "cellXfs", "xf")
        self.fonts = _children(root, "fonts", "font")
        self.fills = _children(root, "fills", "fill")
        self._xf_keys = {_key(x): i for i, x in reversed(list(enumerate(self.xfs)))}
        self._added: dict[str, list[bytes]] = {"numFmts": [], "fonts": [], "fills": [], "cellXfs": []}
        self._with_format: dict[tuple[int, str], int] = {}
        self._named: dict[str, int] = {}

    @property
    def changed(self) -> bool:
        return any(self._added.values())

    # ---- number formats ----

    def format_id(self, code: str) -> int:
        if code in self._ids:
            return self._ids[code]
        if code in BUILTIN_IDS:
            return BUILTIN_IDS[code]
        new = max([FIRST_CUSTOM_ID - 1, *self.custom]) + 1
        self.custom[new] = code
        self._ids[code] = new
        self._added["numFmts"].append(f"<{self._p}numFmt numFmtId=\"{new}\" formatCode={attr(code)}/>".encode())
        return new

    def with_format(self, base: int, code: str) -> int:
        """The cellXfs index of style `base` with number format `code`."""
        key = (base, code)
        if key not in self._with_format:
            base_xf = self.xfs[base] if 0 <= base < len(self.xfs) else self.xfs[0]
            fmt = self.format_id(code)
            if int(base_xf.get("numFmtId", "0")) == fmt:
                self._with_format[key] = base if 0 <= base < len(self.xfs) else 0
            else:
                xf = copy.deepcopy(base_xf)
                xf.set("numFmtId", str(fmt))
                xf.set("applyNumberFormat", "1")
                self._with_format[key] = self._xf(xf)
        return self._with_format[key]

    # ---- the tool sheets' header and labels ----

    def header(self) -> int:
        """White bold text on blue, centred vertically: the tool sheets' header cells."""
        if "header" not in self._named:
            font = self._font(bold=True, color="FF" + HEADER_TEXT)
            fill = self._fill("FF" + HEADER_FILL)
            xf = etree.fromstring(f'<xf xmlns="{MAIN_NS}" numFmtId="0" fontId="{font}" fillId="{fill}" borderId="0" '
                                  f'xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="center"/></xf>')
            self._named["header"] = self._xf(xf)
        return self._named["header"]

    def bold(self) -> int:
        if "bold" not in self._named:
            font = self._font(bold=True)
            xf = etree.fromstring(f'<xf xmlns="{MAIN_NS}" numFmtId="0" fontId="{font}" fillId="0" borderId="0" xfId="0" '
                                  'applyFont="1"/>')
            self._named["bold"] = self._xf(xf)
        return self._named["bold"]

    def _font(self, bold: bool, color: str | None = None) -> int:
        """The workbook's default font, bold (and in `color`)."""
        font = copy.deepcopy(self.fonts[0]) if self.fonts else etree.Element(_NS + "font")
        for child in list(font):
            if child.tag in (_NS + "b",) or (color and child.tag == _NS + "color"):
                font.remove(child)
        font.insert(0, etree.Element(_NS + "b"))
        if color:
            etree.SubElement(font, _NS + "color").set("rgb", color)
        return self._append("fonts", self.fonts, font)

    def _fill(self, rgb: str) -> int:
        fill = etree.fromstring(f'<fill xmlns="{MAIN_NS}"><patternFill patternType="solid"><fgColor rgb="{rgb}"/>'
                                '<bgColor indexed="64"/></patternFill></fill>')
        return self._append("fills", self.fills, fill)

    def _xf(self, xf: etree._Element) -> int:
        key = _key(xf)
        if key in self._xf_keys:
            return self._xf_keys[key]
        index = self._append("cellXfs", self.xfs, xf, reuse=False)
        self._xf_keys[key] = index
        return index

    def _append(self, group: str, items: list, element: etree._Element, reuse: bool = True) -> int:
        if reuse:
            key = _key(element)
            for i, existing in enumerate(items):
                if _key(existing) == key:
                    return i
        items.append(element)
        self._added[group].append(self._serialize(element))
        return len(items) - 1

    @property
    def _p(self) -> str:
        return self.prefix.decode()

    def _serialize(self, element: etree._Element) -> bytes:
        """The element in this file's spelling of the main namespace (default or prefixed)."""
        element = copy.deepcopy(element)
        for e in element.iter():
            if isinstance(e.tag, str) and e.tag.startswith(_NS):
                e.tag = e.tag[len(_NS):]
        etree.cleanup_namespaces(element)
        out = etree.tostring(element)
        if self.prefix:  # unqualified names become the file's prefix
            out = re.sub(rb"<(/?)(?![\w.\-]+:)([A-Za-z_][\w.\-]*)", lambda m: b"<" + m.group(1) + self.prefix + m.group(2), out)
        return out

    # ---- the part ----

    def to_bytes(self) -> bytes:
        data = self.original
        totals = {"numFmts": len(self.custom), "fonts": len(self.fonts), "fills": len(self.fills),
                  "cellXfs": len(self.xfs)}
        for group in ("numFmts", "fonts", "fills", "cellXfs"):
            items = b"".join(self._added[group])
            if not items:
                continue
            tag = self.prefix + group.encode()
            start = re.search(rb"<" + re.escape(tag) + rb"(?:\s[^>]*)?/?>", data)
            if start is None:
                if group != "numFmts":
                    raise Unsupported(f"styles.xml has no <{group}>")
                root = re.search(rb"<" + re.escape(self.prefix) + rb"styleSheet[\s>][^>]*>", data)
                block = b"<" + tag + b' count="' + str(totals[group]).encode() + b'">' + items + b"</" + tag + b">"
                data = data[:root.end()] + block + data[root.end():]
                continue
            new_tag = set_attribute(start.group(0), b"count", str(totals[group])) \
                if re.search(rb"\scount\s*=", start.group(0)) else start.group(0)
            data = data[:start.start()] + new_tag + data[start.end():]
            data = insert_before_end(data, tag, items)
        return data


def _children(root: etree._Element, group: str, item: str) -> list[etree._Element]:
    parent = root.find(_NS + group)
    return [] if parent is None else [c for c in parent if c.tag == _NS + item]


def _key(element: etree._Element) -> bytes:
    """A comparable form of a style element: attributes sorted, children in order."""
    def norm(e: etree._Element) -> bytes:
        attrs = b" ".join(f"{k}={v}".encode() for k, v in sorted(e.attrib.items()) if k not in ("applyNumberFormat",))
        return b"<" + str(e.tag).encode() + b" " + attrs + b">" + b"".join(norm(c) for c in e if isinstance(c.tag, str)) + b"</>"
    return norm(element)

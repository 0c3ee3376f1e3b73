"""Keeping the owner's formula results across a save.

openpyxl writes every formula without its cached result (`<f>A2*B2</f><v></v>`). Other readers,
sheet-sync's own next run included, then see an empty cell until a spreadsheet program
recalculates: an Amount typed as `=Qty*Price` would read as blank tomorrow. sheet-sync never
changes the owner's cells, so the results Excel saved are still the right ones: this module
copies them from the file as it was into the file as saved, before it replaces the original.
"""
from __future__ import annotations

import posixpath
import shutil
import zipfile
from pathlib import Path
from typing import Iterable

from lxml import etree

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
C, F, V = f"{{{NS}}}c", f"{{{NS}}}f", f"{{{NS}}}v"


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the zip member holding its XML."""
    wb = etree.fromstring(z.read("xl/workbook.xml"))
    rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    out = {}
    for sheet in wb.iter(f"{{{NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{REL_NS}}}id"), "")
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[sheet.get("name")] = path
    return out


def cached_results(xml: bytes) -> dict[str, tuple[str | None, str]]:
    """Cell ref -> (type, cached value) for every formula cell that has a saved result."""
    found = {}
    for _, cell in etree.iterparse(_Bytes(xml), tag=C):
        f = cell.find(F)
        v = cell.find(V)
        if f is not None and v is not None and v.text not in (None, "") and cell.get("t") != "s":
            found[cell.get("r")] = (cell.get("t"), v.text)
        cell.clear()
    return found


def restore_cached_results(original: Path, saved: Path, skip: Iterable[str] = ()) -> int:
    """Put the original's formula results into `saved` (rewritten in place). Returns cells restored."""
    skip_titles = set(skip)
    with zipfile.ZipFile(original) as zo:
        old_parts = sheet_parts(zo)
        results = {title: cached_results(zo.read(part)) for title, part in old_parts.items() if title not in skip_titles}
    results = {t: r for t, r in results.items() if r}
    if not results:
        return 0
    restored = 0
    tmp = saved.with_name(saved.name + ".cache")
    with zipfile.ZipFile(saved) as zs, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zt:
        new_parts = {part: title for title, part in sheet_parts(zs).items() if title in results}
        for item in zs.infolist():
            data = zs.read(item.filename)
            title = new_parts.get(item.filename)
            if title is not None:
                data, n = _fill(data, results[title])
                restored += n
            zt.writestr(item, data)
    shutil.move(tmp, saved)
    return restored


def _fill(xml: bytes, results: dict[str, tuple[str | None, str]]) -> tuple[bytes, int]:
    root = etree.fromstring(xml, parser=etree.XMLParser(huge_tree=True, remove_blank_text=False))
    n = 0
    for cell in root.iter(C):
        ref = cell.get("r")
        if ref not in results or cell.find(F) is None:
            continue
        v = cell.find(V)
        if v is None:
            v = etree.SubElement(cell, V)
        if v.text:
            continue
        kind, value = results[ref]
        v.text = value
        if kind:
            cell.set("t", kind)
        elif "t" in cell.attrib:
            del cell.attrib["t"]
        n += 1
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), n


class _Bytes:
    """A file-like view of bytes for iterparse."""

    def __init__(self, data: bytes):
        import io

        self._io = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._io.read(n)

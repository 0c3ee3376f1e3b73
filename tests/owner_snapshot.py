"""Everything an owner may have put into a workbook, as one flat dict: compare two with `==` and a failing
test names what changed (`'Invoices!N1'`, `'Invoices: columns'`, `'file mode'`…).

The tool owns some sheets and some columns of a sheet; those are left out, and so is whatever does not
show (an empty, unstyled cell is the same as no cell).
"""
from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from copy import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

import openpyxl
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

TOOL_SHEETS = ("Aging", "Aging Summary", "Reminder Log", "Outgoing")
TOOL_COLUMNS = ("Balance", "Days Overdue", "Aging Bucket", "Sync Status", "Last Reminder", "Next Reminder",
                "Sync Notes", "Invoice Sent", "Late Fee")


def owner_snapshot(path: Path, tool_sheets: Iterable[str] = TOOL_SHEETS,
                   tool_columns: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """The owner's part of the workbook at `path`.

    Args:
        path: the .xlsx file.
        tool_sheets: sheets the tool owns, left out whole.
        tool_columns: sheet -> headers of the columns the tool owns there (found in the first ten rows),
            left out: their cells and their column dimensions.
    """
    tool_columns = {"Invoices": TOOL_COLUMNS} if tool_columns is None else tool_columns
    wb = openpyxl.load_workbook(readable(path), rich_text=True)
    owned = [ws for ws in wb.worksheets if ws.title not in set(tool_sheets)]
    snap: dict[str, Any] = {
        "file mode": oct(stat.S_IMODE(os.stat(path).st_mode)),
        "sheets": [ws.title for ws in owned],
        "active sheet": wb.active.title if wb.active.title not in set(tool_sheets) else None,
        "defined names": {name: _xml(dn) for name, dn in wb.defined_names.items()},
    }
    drawings = _drawings(path)
    for ws in owned:
        snap.update(_sheet(ws, _columns_named(ws, tool_columns.get(ws.title, ()))))
        snap[f"{ws.title}: drawing parts"] = drawings.get(ws.title)
    return snap


def _drawings(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet title -> each drawing of the sheet and everything it refers to (images, charts, their own
    relationships), as (part, sha256 of its bytes): openpyxl drops images without Pillow, so they are read
    from the package itself."""
    import hashlib
    import posixpath

    from sheet_sync.backends.xlsx_cache import sheet_parts
    from sheet_sync.backends.xlsx_package import read_rels, rels_name

    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        out: dict[str, list[tuple[str, str]]] = {}
        for title, part in sheet_parts(z).items():
            seen: list[tuple[str, str]] = []
            todo = [r.target for r in read_rels(z.read(rels_name(part)), part) if not r.external
                    and posixpath.basename(posixpath.dirname(r.target)) in ("drawings", "media", "charts")] \
                if rels_name(part) in names else []
            while todo:
                target = todo.pop()
                if target in dict(seen) or target not in names:
                    continue
                seen.append((target, hashlib.sha256(z.read(target)).hexdigest()))
                if rels_name(target) in names:
                    todo += [r.target for r in read_rels(z.read(rels_name(target)), target) if not r.external]
            out[title] = sorted(seen)
    return out


_ODD_NUMBER = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?)(?: t="n")?><v>([-+]?(?:nan|inf|infinity))</v>',
                         re.IGNORECASE)


def readable(path: Path) -> Path | io.BytesIO:
    """The workbook as openpyxl can read it: a number stored as `NaN` or `inf` (openpyxl raises on them)
    becomes the text `number NaN`, so that it is still compared, and a change to it still seen."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    if not any(_ODD_NUMBER.search(d) for i, d in members if i.filename.startswith("xl/worksheets/")):
        return path
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename.startswith("xl/worksheets/"):
                data = _ODD_NUMBER.sub(rb'<c r="\1"\2 t="inlineStr"><is><t>number \3</t></is>', data)
            z.writestr(info, data)
    out.seek(0)
    return out


def _rich(value: Any) -> Any:
    """A rich-text cell as its runs, each with its font: flattening it to plain text is a change."""
    from openpyxl.cell.rich_text import CellRichText

    if not isinstance(value, CellRichText):
        return value
    return ("rich text", [(_xml(getattr(run, "font", None)), str(getattr(run, "text", run))) for run in value])


def _xml(obj) -> str | None:
    tree = obj.to_tree() if obj is not None else None
    return tostring(tree).decode() if tree is not None else None


def _columns_named(ws: Worksheet, headers: Iterable[str]) -> set[int]:
    wanted = {h.strip().lower() for h in headers}
    return {c.column for row in ws.iter_rows(max_row=min(ws.max_row, 10)) for c in row
            if isinstance(c.value, str) and c.value.strip().lower() in wanted}


def _dimension(dim, style_key: str) -> dict[str, Any]:
    """A row's or column's attributes, its style as the format it stands for (openpyxl numbers a dimension's
    style by its place in a list that grows with the workbook's cell formats)."""
    attrs = dict(dim)
    if style_key in attrs:
        attrs[style_key] = (dim.number_format, _xml(dim.font), _xml(dim.fill), _xml(dim.border), _xml(dim.alignment),
                            _xml(dim.protection))
    return attrs


def _rule(rule) -> str:
    rule = copy(rule)
    dxf, rule.dxf, rule.dxfId = rule.dxf, None, None  # the id is renumbered on save; the format is what shows
    return f"{_xml(rule)} {_xml(dxf)}"


def _sheet(ws: Worksheet, skip: set[int]) -> dict[str, Any]:
    name = ws.title
    out: dict[str, Any] = {}
    for row in ws.iter_rows():
        for c in row:
            if c.column in skip or (c.value is None and not c.has_style and c.comment is None and c.hyperlink is None):
                continue
            out[f"{name}!{c.coordinate}"] = {
                "value": _rich(c.value), "number_format": c.number_format, "font": _xml(c.font), "fill": _xml(c.fill),
                "border": _xml(c.border), "alignment": _xml(c.alignment), "protection": _xml(c.protection),
                "comment": (c.comment.text, c.comment.author) if c.comment else None,
                "hyperlink": c.hyperlink.target if c.hyperlink else None,
            }
    for key, dim in ws.column_dimensions.items():  # items(), never [letter]: indexing a dimension creates it
        if column_index_from_string(key) not in skip:
            out[f"{name}: column {key}"] = _dimension(dim, "style")
    out[f"{name}: rows"] = {r: _dimension(dim, "s") for r, dim in ws.row_dimensions.items() if dict(dim)}
    out[f"{name}: merged"] = sorted(str(r) for r in ws.merged_cells.ranges)
    out[f"{name}: validations"] = sorted(_xml(dv) for dv in ws.data_validations.dataValidation)
    out[f"{name}: conditional formats"] = sorted((str(cf.sqref), [_rule(r) for r in cf.rules])
                                                 for cf in ws.conditional_formatting)
    out[f"{name}: freeze panes"] = ws.freeze_panes
    out[f"{name}: auto filter"] = _xml(ws.auto_filter)
    out[f"{name}: views"] = _xml(ws.views)
    out[f"{name}: properties"] = _xml(ws.sheet_properties)
    out[f"{name}: state"] = ws.sheet_state
    out[f"{name}: protection"] = _xml(ws.protection)
    out[f"{name}: print"] = (ws.print_area, ws.print_title_rows, ws.print_title_cols, _xml(ws.page_setup),
                             _xml(ws.print_options), _xml(ws.page_margins), _xml(ws.HeaderFooter))
    out[f"{name}: defined names"] = {n: _xml(dn) for n, dn in ws.defined_names.items()}
    out[f"{name}: tables"] = {t.name: _xml(t) for t in ws.tables.values()}  # items() gives (name, ref)
    out[f"{name}: drawings"] = (len(ws._images), len(ws._charts))
    return out

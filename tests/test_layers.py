"""The code's shape: data flows one way. No module imports one above it in the flow, and nothing imports
itself in a circle (function-level imports included). The layers, lowest first, are also the README's
"How the code is laid out"."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sheet_sync"

LAYERS = [
    # plain data and cell parsing
    {"errors", "model", "cells", "demo_data", "mail.message", "backends.xlsx_cache", "templates"},
    {"money", "raw", "config", "journal", "late_fee"},
    # the pure core: load, age, plan, compose/render, layout
    {"load", "line_items", "recurring_load", "recurring", "aging", "render", "layout", "replies"},
    {"policy", "compose", "invoice_doc"},
    {"result", "tables", "writeplan", "sendlog", "forecast", "approval", "schedule", "heartbeat"},
    # the edges: workbook backends, mail transports
    {"pdf", "mail", "mail.transport", "mail.outbox", "mail.smtp", "mail.mailbox", "backends", "backends.base", "backends.excel",
     "backends.excel_read", "backends.excel_write", "backends.google_client", "backends.sheets_requests",
     "backends.sheets_diff", "backends.gsheets", "backends.xlsx_zip", "backends.xlsx_package", "backends.xlsx_styles",
     "backends.xlsx_sheet", "backends.xlsx_tool_sheets", "backends.xlsx_surgical", "runlog", "schedule_run"},
    # the send loop and the renderers of a result
    {"send", "attach", "digest", "job_summary", "portfolio", "portfolio_xlsx"},
    {"api"},
    {"demo", "doctor", "cli", "__main__"},
]


def _name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts) or "__init__"


def _modules() -> dict[str, set[str]]:
    """module -> the sheet_sync modules it imports, anywhere in its file (`from sheet_sync.x import y`
    counts y when y is a module itself)."""
    files = list(PACKAGE.rglob("*.py"))
    known = {_name(f) for f in files}
    graph = {}
    for path in files:
        name = _name(path)
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sheet_sync":
                package = "" if node.module == "sheet_sync" else node.module.removeprefix("sheet_sync.")
                for alias in node.names:
                    sub = f"{package}.{alias.name}" if package else alias.name
                    deps.add(sub if sub in known else package)
            elif isinstance(node, ast.Import):
                deps |= {a.name.removeprefix("sheet_sync.") for a in node.names if a.name.startswith("sheet_sync.")}
        graph[name] = deps - {name}
    graph.pop("__init__", None)
    return graph


def test_every_module_has_a_layer():
    graph = _modules()
    placed = set().union(*LAYERS)
    assert sorted(set(graph) - placed) == [], "add the new module to a layer here and to the README's layout"
    assert sorted(placed - set(graph) - {"templates"}) == [], "a module in LAYERS no longer exists"


def test_no_module_imports_one_above_it():
    layer = {m: i for i, names in enumerate(LAYERS) for m in names}
    upward = sorted(f"{m} (layer {layer[m]}) imports {d} (layer {layer[d]})"
                    for m, deps in _modules().items() for d in deps if d in layer and layer[d] > layer[m])
    assert upward == []


def test_no_import_cycles():
    graph = _modules()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for dep in sorted(graph.get(node, ())):
            if dep in path:
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep not in done:
                visit(dep, path + [dep])
        done.add(node)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert cycles == []

"""Where Excel owners are: a Windows console's code page, a system without fcntl. Simulated on this machine,
each in a process of its own, as a scheduled task would run the tool."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from workbooks import INVOICE_HEADERS, invoice, simple_book, write_config

AS_OF = "2026-11-30"


def run(args: list[str], cwd: Path, encoding: str | None = None, code: str = "") -> subprocess.CompletedProcess:
    """`sheet-sync ARGS` in a new process whose output goes to a pipe in `encoding` (PYTHONIOENCODING), as
    a Windows scheduled task writes its log; `code` runs first (say, to take fcntl away)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8")}
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    script = f"import sys\n{code}\nfrom sheet_sync.cli import main\nsys.exit(main({args!r}))"
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo's workbook: English, Korean and Chinese clients; dollars, euros, won and yuan."""
    folder = tmp_path_factory.mktemp("demo")
    done = run(["demo", str(folder / "d")], folder)
    assert done.returncode == 0, done.stderr.decode()
    return folder / "d"


@pytest.mark.parametrize("code_page", ["cp949", "cp936", "cp1252"])
def test_a_windows_code_page_gets_the_whole_summary_and_the_same_exit_code(demo, code_page):
    args = ["sync", "--dry-run", "--as-of", AS_OF]
    utf8 = run(args, demo, "utf-8")
    there = run(args, demo, code_page)
    assert there.returncode == utf8.returncode and there.returncode in (0, 1), there.stderr.decode(code_page)
    assert b"unexpected error" not in there.stderr
    summary = there.stdout.decode(code_page)  # every byte is the code page's own
    assert summary.count("\n") == utf8.stdout.decode("utf-8").count("\n")
    assert "would send" in summary and "problems" in summary
    # money the code page cannot show is spelt with letters, never a bare "?"
    for line in summary.splitlines():
        if line.strip().startswith(("CNY", "KRW", "EUR", "USD")) and "total" in line:
            assert "?" not in line, line
            code, amounts = line.split()[0], line.split("total", 1)[1]
            if code in ("CNY", "KRW"):  # the code page's own sign, or the code spelt out
                assert code in amounts or {"CNY": "¥", "KRW": "₩"}[code] in amounts, line


@pytest.mark.parametrize("code_page", ["cp949", "cp1252"])
def test_json_on_a_code_page_is_the_same_data(demo, code_page):
    args = ["sync", "--dry-run", "--json", "--as-of", AS_OF]
    utf8 = json.loads(run(args, demo, "utf-8").stdout.decode("utf-8"))
    there = json.loads(run(args, demo, code_page).stdout.decode(code_page))
    utf8.pop("stage_seconds"), there.pop("stage_seconds")  # timings: the one thing two runs never share
    assert there == utf8
    assert any("₩" in json.dumps(t, ensure_ascii=False) or "KRW" in json.dumps(t) for t in utf8["totals"])


def test_a_pipe_without_a_chosen_encoding_gets_utf8(demo):
    done = run(["sync", "--dry-run", "--as-of", AS_OF], demo)
    assert done.returncode in (0, 1)
    assert "₩" in done.stdout.decode("utf-8")


NO_FCNTL = textwrap.dedent("""
    import sys
    sys.modules["fcntl"] = None  # as on Windows: the module does not exist
    import filelock
    assert not filelock.has_fcntl
""")


def test_without_fcntl_a_sync_runs_locks_and_refuses_a_second_run(tmp_path):
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=date(2026, 11, 20))])
    write_config(tmp_path, wb)
    holder = subprocess.Popen(
        [sys.executable, "-c", NO_FCNTL + textwrap.dedent(f"""
            from pathlib import Path
            from sheet_sync.backends.excel import ExcelBackend
            with ExcelBackend(Path({str(wb)!r})).lock():
                print("locked", flush=True)
                sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = run(["sync", "--as-of", AS_OF], tmp_path, code=NO_FCNTL)
        assert second.returncode == 2 and b"Another sheet-sync run is working on book.xlsx" in second.stderr
        assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").iterdir())
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    done = run(["sync", "--as-of", AS_OF], tmp_path, code=NO_FCNTL)
    assert done.returncode == 0, done.stderr.decode()
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    ws = openpyxl.load_workbook(wb)["Invoices"]
    headers = [c.value for c in ws[1]]
    assert headers[:len(INVOICE_HEADERS)] == INVOICE_HEADERS
    assert ws.cell(2, headers.index("Sync Status") + 1).value == "Overdue"

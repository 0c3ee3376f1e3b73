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

from sheet_sync.errors import SheetSyncError
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
def demo_run(tmp_path_factory) -> tuple[Path, str]:
    """The demo, made in a folder whose name has a space and Korean letters; its folder and its output."""
    folder = tmp_path_factory.mktemp("demo")
    done = run(["demo", str(folder / "데모 폴더")], folder)
    assert done.returncode == 0, done.stderr.decode()
    return folder / "데모 폴더", done.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def demo(demo_run) -> Path:
    """The demo's workbook: English, Korean and Chinese clients; dollars, euros, won and yuan."""
    return demo_run[0]


def test_the_demo_names_its_folder_so_that_it_can_be_pasted(demo_run):
    folder, out = demo_run
    assert out.startswith(f"Demo workbook and config written to {folder}{os.sep}")
    quoted = f'"{folder}"' if sys.platform == "win32" else f"'{folder}'"
    assert f"\nTry: cd {quoted} && sheet-sync preview " in out.replace("\r\n", "\n")


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


# --- Windows: a workbook another program holds open ------------------------------------------------


def _windows_refuses_to_replace(monkeypatch, target: Path) -> list[str]:
    """os.replace as Windows does it while Excel (or a sync client) holds `target` open: PermissionError
    (WinError 32). Only the rename over that file is refused; every other rename works as usual. Linux and
    macOS never refuse this rename, so this one branch is simulated."""
    real_replace, refused = os.replace, []
    target = Path(os.path.realpath(target))  # Windows' temp folder may be named in 8.3 form (RUNNER~1)

    def replace(src, dst, **kw):
        if Path(os.path.realpath(dst)) == target:
            refused.append(str(dst))
            raise PermissionError(13, "The process cannot access the file because it is being used by another "
                                      "process", str(src), None, str(dst))
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    return refused


@pytest.mark.parametrize("writer", ["surgical", "openpyxl"])
def test_a_workbook_held_open_is_one_sentence_and_nothing_is_lost(tmp_path, monkeypatch, capsys, writer):
    from sheet_sync.cli import main

    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=date(2026, 11, 20))])
    write_config(tmp_path, wb)
    monkeypatch.setenv("SHEET_SYNC_EXCEL_WRITER", writer)
    before = wb.read_bytes()
    refused = _windows_refuses_to_replace(monkeypatch, wb)
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF])
    err = capsys.readouterr().err
    assert refused and code == 2
    assert err.strip().count("\n") == 0 and "unexpected" not in err
    assert "book.xlsx cannot be replaced: another program has it open" in err
    assert "kept as book.unsaved.xlsx beside it" in err
    assert wb.read_bytes() == before  # the owner's file, byte for byte
    kept = openpyxl.load_workbook(tmp_path / "book.unsaved.xlsx")  # the run's result, where the sentence says
    headers = [c.value for c in kept["Invoices"][1]]
    assert kept["Invoices"].cell(2, headers.index("Sync Status") + 1).value == "Overdue"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert (tmp_path / ".book.sheet-sync-journal.jsonl").exists()  # what was sent waits for the next run
    assert not list(tmp_path.glob(".book.*.xlsx"))  # no temporary copy left behind

    monkeypatch.undo()  # the owner closed Excel
    code = main(["sync", "--config", str(tmp_path / "sheet-sync.toml"), "--as-of", AS_OF])
    assert code == 0, capsys.readouterr().err
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # never sent twice
    log = openpyxl.load_workbook(wb)["Reminder Log"]
    assert [(r[1], r[3], r[8]) for r in log.iter_rows(min_row=2, values_only=True)] == [("A", "gentle", "sent")]
    assert not (tmp_path / ".book.sheet-sync-journal.jsonl").exists()


def test_a_backup_held_open_is_named_and_the_workbook_kept(tmp_path, monkeypatch, capsys):
    """The owner opened yesterday's book.bak.xlsx in Excel: Windows will not delete it to make the new backup."""
    from sheet_sync.backends.xlsx_zip import replace_atomically

    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=date(2026, 11, 20))])
    backup = tmp_path / "book.bak.xlsx"
    backup.write_bytes(b"yesterday")
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self == backup:
            raise PermissionError(13, "The process cannot access the file", str(self))
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    before = wb.read_bytes()
    with pytest.raises(SheetSyncError) as caught:
        replace_atomically(wb, lambda fh: fh.write(b"new version"), backup)
    monkeypatch.undo()
    assert str(caught.value).startswith("book.bak.xlsx cannot be replaced: another program has it open")
    assert caught.value.fix == "close book.bak.xlsx and run sheet-sync again"
    assert wb.read_bytes() == before and backup.read_bytes() == b"yesterday"
    assert (tmp_path / "book.unsaved.xlsx").read_bytes() == b"new version"


def test_without_chown_and_geteuid_the_workbook_is_still_replaced(tmp_path, monkeypatch):
    """Windows has neither os.chown nor os.geteuid; a file whose owner differs from the new one's (as a
    workbook shared on a network drive reads) must still be replaced, its mode kept."""
    from sheet_sync.backends import xlsx_zip

    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=date(2026, 11, 20))])
    wb.chmod(0o644)
    real_stat, real_wb = os.stat, Path(os.path.realpath(wb))

    def stat_of_another_owner(path, *a, **kw):  # the original looks owned by someone else
        st = real_stat(path, *a, **kw)
        if Path(os.path.realpath(path)) == real_wb:
            return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid + 1, st.st_gid + 1,
                                   st.st_size, int(st.st_atime), int(st.st_mtime), int(st.st_ctime)))
        return st

    monkeypatch.setattr(xlsx_zip.os, "stat", stat_of_another_owner)
    monkeypatch.delattr(os, "chown", raising=False)
    monkeypatch.delattr(os, "geteuid", raising=False)
    xlsx_zip.replace_atomically(wb, lambda fh: fh.write(b"new version"), None)
    monkeypatch.undo()
    assert wb.read_bytes() == b"new version"
    if sys.platform != "win32":
        assert oct(wb.stat().st_mode & 0o777) == "0o644"


# --- paths: Windows folders, Korean names, spaces, brackets, long paths, the config as Notepad saves it ---


@pytest.mark.parametrize("line, said", [
    ('path = "C:\\Users\\김민지\\문서\\invoices.xlsx"', "is not valid TOML: Invalid hex value"),
    ('path = "C:\\new\\table.xlsx"', "workbook.path holds a tab or a line break"),
])
def test_a_windows_path_in_double_quotes_is_one_sentence_with_the_fix(tmp_path, line, said):
    from sheet_sync.config import load_config

    (tmp_path / "sheet-sync.toml").write_text(f"[workbook]\n{line}\n", encoding="utf-8")
    with pytest.raises(SheetSyncError) as caught:
        load_config(tmp_path / "sheet-sync.toml")
    text = str(caught.value)
    assert said in text and "\n" not in text
    assert "single quotes" in text and "forward slashes" in text


def test_a_windows_path_in_single_quotes_is_read_as_written(tmp_path):
    from sheet_sync.config import load_config

    (tmp_path / "sheet-sync.toml").write_text("[workbook]\npath = 'C:\\Users\\김민지\\문서\\invoices.xlsx'\n",
                                              encoding="utf-8")
    assert str(load_config(tmp_path / "sheet-sync.toml").workbook.path).endswith("C:\\Users\\김민지\\문서\\invoices.xlsx")


def test_a_config_saved_by_notepad_with_a_byte_order_mark_is_read(tmp_path):
    from sheet_sync.config import load_config

    (tmp_path / "sheet-sync.toml").write_bytes("\ufeff[business]\nname = \"서울디자인랩\"\n".encode("utf-8"))
    assert load_config(tmp_path / "sheet-sync.toml").business.name == "서울디자인랩"


def test_a_config_saved_in_a_windows_code_page_is_one_sentence(tmp_path):
    from sheet_sync.config import load_config

    (tmp_path / "sheet-sync.toml").write_bytes("[business]\nname = \"서울디자인랩\"\n".encode("cp949"))
    with pytest.raises(SheetSyncError, match=r"^sheet-sync.toml is not saved as UTF-8 \(line 2 .*Encoding: UTF-8\)"):
        load_config(tmp_path / "sheet-sync.toml")


def test_a_workbook_in_a_korean_folder_with_spaces_and_brackets(tmp_path):
    """As on a Korean Windows (C:\\Users\\김민지\\문서), with a real folder of that name: the run is started from
    elsewhere, the config named by its path; the outbox, journal, lock and backup all land beside the workbook."""
    folder = tmp_path / "Users" / "김민지" / "문서" / "청구 2026 (공유)"
    folder.mkdir(parents=True)
    wb = simple_book(folder / "청구서 [최종].xlsx", [invoice("A", due=date(2026, 11, 20))])
    write_config(folder, wb)
    leftover = folder / ".청구서 [최종].a1b2c3d4.xlsx"  # a temporary copy from a run killed while saving
    leftover.write_bytes(b"half a workbook")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run(["sync", "--config", str(folder / "sheet-sync.toml"), "--as-of", AS_OF], elsewhere)
    assert done.returncode == 0, done.stderr.decode()
    assert "청구서 [최종].xlsx" in done.stdout.decode("utf-8")
    ws = openpyxl.load_workbook(wb)["Invoices"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(2, headers.index("Sync Status") + 1).value == "Overdue"
    assert len(list((folder / "outbox").glob("*.eml"))) == 1 and not (elsewhere / "outbox").exists()
    assert (folder / "청구서 [최종].bak.xlsx").exists()
    assert not leftover.exists() and not (folder / ".청구서 [최종].sheet-sync-journal.jsonl").exists()

    (folder / "~$청구서 [최종].xlsx").write_bytes(b"")  # Excel has it open
    done = run(["sync", "--config", str(folder / "sheet-sync.toml"), "--as-of", AS_OF], elsewhere)
    assert done.returncode == 2
    assert done.stderr.decode("utf-8").strip() == (
        "sheet-sync: 청구서 [최종].xlsx is open in Excel (lock file ~$청구서 [최종].xlsx): close it and run again.")


def test_a_path_too_long_for_windows_is_refused_before_anything_is_sent(tmp_path):
    from sheet_sync.backends.excel import WINDOWS_MAX_PATH, refuse_too_long

    deep = tmp_path / ("긴 폴더 이름 " * 3)
    while len(str(deep)) < WINDOWS_MAX_PATH - 40:
        deep = deep / ("긴 폴더 이름 " * 3)
    book = deep / "invoices.xlsx"  # the workbook itself fits; its journal beside it does not
    assert len(str(book)) <= WINDOWS_MAX_PATH
    with pytest.raises(SheetSyncError) as caught:
        refuse_too_long(book, long_paths=False)
    assert str(caught.value).startswith(f"The path to invoices.xlsx is {len(str(book))} characters long and the "
                                        "files sheet-sync keeps beside it ")
    assert "move it to a shorter folder" in str(caught.value) and "nothing was sent" in str(caught.value)
    refuse_too_long(book, long_paths=True)  # long paths turned on: nothing to say
    refuse_too_long(tmp_path / "invoices.xlsx", long_paths=False)  # a short path: nothing to say


@pytest.mark.skipif(sys.platform == "win32", reason="a path this long needs Windows' long paths turned on")
def test_a_long_path_with_korean_folders_syncs_where_the_system_allows_it(tmp_path):
    """Linux and macOS allow 1024-4096 characters: a workbook 300 characters deep syncs (the Windows check
    is not applied there)."""
    deep = tmp_path
    while len(str(deep)) < 300:
        deep = deep / "문서 보관함"
    deep.mkdir(parents=True)
    wb = simple_book(deep / "invoices.xlsx", [invoice("A", due=date(2026, 11, 20))])
    write_config(deep, wb)
    done = run(["sync", "--as-of", AS_OF], deep)
    assert done.returncode == 0, done.stderr.decode()
    assert len(list((deep / "outbox").glob("*.eml"))) == 1


# --- line ends of the text files the tool writes ---------------------------------------------------


def test_line_ends_mail_is_crlf_data_is_lf_on_every_system(tmp_path, monkeypatch):
    """The outbox's .eml files are mail: CRLF, as SMTP carries them and Outlook or Windows Mail open them. The
    --report JSON and the crash journal are data: LF on every system (the same bytes on Windows, where text
    mode would write CRLF; the Actions workflow commits the journal). Left to the system: what is printed,
    and the demo's sheet-sync.toml, the owner's own file (CRLF on Windows, as Notepad saves it)."""
    wb = simple_book(tmp_path / "book.xlsx", [invoice("A", due=date(2026, 11, 20)),
                                              invoice("K", "C2", due=date(2026, 11, 20), currency="KRW")])
    write_config(tmp_path, wb)
    done = run(["sync", "--as-of", AS_OF, "--report", "report.json"], tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    emls = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(emls) == 2
    for eml in emls:
        data = eml.read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 10, eml.name  # every line ends CRLF, none bare
    report = (tmp_path / "report.json").read_bytes()
    assert b"\r" not in report and report.endswith(b"}\n")
    assert json.loads(report)["exit_code"] == 0

    # the journal as a crash leaves it: the write-back fails after the sends
    (tmp_path / "j").mkdir()
    wb2 = simple_book(tmp_path / "j" / "book.xlsx", [invoice("A", due=date(2026, 11, 20))])
    write_config(tmp_path / "j", wb2)
    done = run(["sync", "--as-of", AS_OF], tmp_path / "j", code=textwrap.dedent("""
        from sheet_sync.backends import xlsx_surgical
        def crash(*a, **k):
            raise SystemExit(9)
        xlsx_surgical.write_workbook = crash
    """))
    assert done.returncode == 9
    journal = (tmp_path / "j" / ".book.sheet-sync-journal.jsonl").read_bytes()
    assert journal.count(b"\n") == 2 and b"\r" not in journal  # pending, then sent


def test_the_demo_config_has_the_systems_own_line_ends(demo):
    data = (demo / "sheet-sync.toml").read_bytes()
    assert (b"\r\n" in data) == (os.linesep == "\r\n")
    assert data.count(b"\n") > 5


# --- the test suite itself on a system without POSIX (as CI's Windows job collects it) ------------------

WITHOUT_POSIX = textwrap.dedent("""
    import os, signal, sys
    for name in ("pwd", "grp", "fcntl", "resource", "termios"):
        sys.modules[name] = None  # as on Windows: no such modules
    for name in ("geteuid", "getuid", "getegid", "chown"):
        if hasattr(os, name):
            delattr(os, name)
    if hasattr(signal, "SIGKILL"):
        del signal.SIGKILL
    import pytest
    sys.exit(pytest.main(["-p", "no:cacheprovider", *sys.argv[1:]]))
""")


def test_without_posix_every_test_is_collected_and_the_posix_ones_skip_with_a_reason(tmp_path):
    root = Path(__file__).resolve().parent.parent
    collected = subprocess.run([sys.executable, "-c", WITHOUT_POSIX, "--collect-only", "-q", "tests"], cwd=root,
                               capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout[-3000:]
    assert "error" not in collected.stdout.splitlines()[-1]
    ran = subprocess.run([sys.executable, "-c", WITHOUT_POSIX, "-q", "-rs", "tests/test_crash.py",
                          "tests/test_surgical.py::test_owner_group_and_mode_are_kept"], cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:]
    skips = [line for line in ran.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skips) == 3 and ran.stdout.splitlines()[-1].startswith("3 skipped")
    assert sum("kills a process with SIGKILL: Windows has no Unix signals" in s for s in skips) == 2
    assert sum("only root may give a file to another user" in s for s in skips) == 1


def test_on_windows_without_fc_list_the_fonts_folder_says_which_languages_have_a_font(tmp_path, monkeypatch):
    """Windows has no fc-list unless MSYS2's is on PATH; its own Malgun Gothic (Korean) and Microsoft YaHei
    (Chinese) are in C:\\Windows\\Fonts. Simulated: a Fonts folder with only the Korean one."""
    from sheet_sync import pdf

    (tmp_path / "Fonts").mkdir()
    (tmp_path / "Fonts" / "malgun.ttf").write_bytes(b"a font")
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.setenv("WINDIR", str(tmp_path))
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    pdf.has_font_for.cache_clear()
    try:
        monkeypatch.setattr(pdf.sys, "platform", "win32")
        assert pdf.has_font_for("ko") and not pdf.has_font_for("zh")
        said = pdf.font_problem(["ko", "zh"])
        assert said.startswith("no Chinese font is installed") and "apt-get" not in said
        assert said.endswith("add the language in Settings > Time & language > Language & region (it installs its fonts)")
        pdf.has_font_for.cache_clear()
        monkeypatch.setattr(pdf.sys, "platform", "darwin")  # elsewhere only fontconfig is asked
        assert not pdf.has_font_for("ko")
        assert pdf.font_problem(["ko"]).endswith("install Homebrew's fontconfig (brew install pango), which finds "
                                                 "macOS's own Korean and Chinese fonts")
    finally:
        monkeypatch.undo()
        pdf.has_font_for.cache_clear()

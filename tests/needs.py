"""What a test needs of the system it runs on, as skip marks with a reason that names the system and the fix.

CI runs the suite on Linux, Windows and macOS (.github/workflows/ci.yml). A test that needs something one of
them lacks says so here, once, and is skipped there with that reason (pytest's `-ra` lists every skip, and
the CI job writes them into its summary). Where the thing must be present (Linux CI, `.ci/run`), an
environment variable turns the skip into a failure, as SHEET_SYNC_REQUIRE_LIBREOFFICE does for LibreOffice.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest

WINDOWS = sys.platform == "win32"
LINUX = sys.platform.startswith("linux")


@lru_cache(maxsize=None)
def _can_symlink() -> bool:
    """Windows makes symlinks only as an administrator or in Developer Mode; try it."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            os.symlink(Path(folder) / "target", Path(folder) / "link")
        except (OSError, NotImplementedError):
            return False
    return True


@lru_cache(maxsize=None)
def pdf_tools_missing() -> str:
    """'' when the invoice PDF can be made and read back here (WeasyPrint with Pango, fontconfig with Korean
    and Chinese fonts, poppler's pdftotext), else what is missing."""
    from sheet_sync.pdf import has_font_for, weasyprint_problem

    problem = weasyprint_problem()
    if problem:
        return problem
    missing = [tool for tool in ("pdftotext", "fc-list") if shutil.which(tool) is None]
    missing += [f"a font for {lang} (fc-list :lang={lang})" for lang in ("ko", "zh") if not has_font_for(lang)]
    return ", ".join(missing) and f"missing: {', '.join(missing)}"


def _pdf_reason() -> str:
    missing = pdf_tools_missing()
    if missing and os.environ.get("SHEET_SYNC_REQUIRE_PDF"):
        return ""  # must run here: the test fails and says what is missing
    return missing


sigkill = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"),
    reason="kills a process with SIGKILL: Windows has no Unix signals (TerminateProcess is not the same crash)")

posix_modes = pytest.mark.skipif(
    WINDOWS, reason="checks POSIX file modes (0o600, 0o640): Windows keeps only a read-only flag")

root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="only root may give a file to another user (and Windows has no os.chown)")

symlinks = pytest.mark.skipif(
    not _can_symlink(), reason="makes a symlink: Windows allows that only to an administrator or in Developer Mode")

proc_status = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads peak memory from /proc/self/status, which only Linux has")

bash_steps = pytest.mark.skipif(
    not LINUX or shutil.which("bash") is None,
    reason="runs the action's and the example workflow's bash steps (GNU tools, #!/bin/sh fakes) as GitHub's "
           "ubuntu runners do; they run there only")

pdf_tools = pytest.mark.skipif(
    bool(_pdf_reason()),
    reason=f"makes and reads back invoice PDFs: {_pdf_reason() or 'all there'} (Linux: apt-get install "
           "libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils; macOS: brew install pango poppler)")


def _crontab_reason() -> str:
    if not LINUX:
        return "uses the real crontab of a Linux user; on macOS and Windows the tests check the launchd and schtasks commands"
    if shutil.which("crontab") is None and not os.environ.get("SHEET_SYNC_REQUIRE_CRON"):
        return "needs the crontab command (apt-get install cron)"
    return ""  # there, or required (.ci/run): the test runs and fails without it


crontab = pytest.mark.skipif(bool(_crontab_reason()), reason=_crontab_reason() or "crontab is there")

"""The edge that makes PDFs: WeasyPrint (Pango) turns the invoice's HTML into a PDF, and fontconfig says
whether the fonts for Korean and Chinese text are installed.

WeasyPrint is imported only when a PDF is made (it loads Pango and takes half a second). It fetches
nothing from the network: only `file:` URLs inside the template folders and the logo's folder, and
`data:` URLs, are read; anything else is left out of the page.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from sheet_sync.errors import SheetSyncError

FONT_LANGUAGES = {"ko": "Korean", "zh": "Chinese"}
FONT_PACKAGE = "fonts-noto-cjk"


# Windows' own fonts for each language (Malgun Gothic, Gulim, Batang; Microsoft YaHei, SimSun, SimHei), and the
# Noto ones an owner may add: Pango (MSYS2's, which WeasyPrint uses there) finds them in the Fonts folders.
WINDOWS_FONTS = {"ko": ("malgun.ttf", "gulim.ttc", "batang.ttc", "NotoSansKR-VF.ttf", "NotoSansCJK-Regular.ttc"),
                 "zh": ("msyh.ttc", "simsun.ttc", "simhei.ttf", "NotoSansSC-VF.ttf", "NotoSansCJK-Regular.ttc")}


@lru_cache(maxsize=None)
def has_font_for(language: str) -> bool:
    """Whether fontconfig knows a font that covers `language` (`fc-list :lang=ko`). On Windows without `fc-list`
    on PATH: whether one of the fonts Windows has for it is in the system's or the user's Fonts folder."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return sys.platform == "win32" and _windows_font_for(language)
    try:
        out = subprocess.run([fc_list, f":lang={language}", "family"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and bool(out.stdout.strip())


def _windows_font_for(language: str) -> bool:
    folders = [Path(os.environ.get("WINDIR") or r"C:\Windows") / "Fonts"]
    if os.environ.get("LOCALAPPDATA"):
        folders.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
    return any((folder / name).is_file() for folder in folders for name in WINDOWS_FONTS.get(language, ()))


def font_problem(languages: Iterable[str]) -> str:
    """'' when every language's glyphs have a font, else one sentence naming the missing ones and the fix."""
    missing = [FONT_LANGUAGES.get(lang, lang) for lang in languages if not has_font_for(lang)]
    if not missing:
        return ""
    names = " and ".join(missing)
    return (f"no {names} font is installed (fc-list :lang={'/'.join(l for l in languages if not has_font_for(l))} "
            f"finds none), so the invoice PDF would show boxes; {font_fix()}")


def _on_this_system(linux: str, macos: str, windows: str) -> str:
    return {"darwin": macos, "win32": windows}.get(sys.platform, linux)


def font_fix() -> str:
    """How to install the Korean and Chinese fonts on this system, as an imperative phrase."""
    return _on_this_system(f"install {FONT_PACKAGE} (sudo apt-get install {FONT_PACKAGE})",
                           "install Homebrew's fontconfig (brew install pango), which finds macOS's own Korean and "
                           "Chinese fonts",
                           "add the language in Settings > Time & language > Language & region (it installs its fonts)")


def weasyprint_problem() -> str:
    """'' when WeasyPrint and Pango load, else one sentence naming the fix."""
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return "WeasyPrint is not installed; pip install weasyprint (it comes with sheet-sync)."
    except OSError as exc:  # Pango or its friends are missing: WeasyPrint's import fails with OSError
        return (f"WeasyPrint cannot load Pango ({str(exc).splitlines()[0][:120]}); " + _on_this_system(
            "install libpango-1.0-0 and libpangoft2-1.0-0 (sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0).",
            "install Pango (brew install pango).",
            "install Pango with MSYS2 (pacman -S mingw-w64-x86_64-pango), as WeasyPrint's documentation describes."))
    return ""


def _fetcher(allowed: tuple[Path, ...]):
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    class Local(URLFetcher):
        """Reads `data:` URLs and files inside the allowed folders; refuses everything else (no network)."""

        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(unquote(urlparse(url).path)).resolve()
                if not any(path.is_relative_to(folder) for folder in allowed):
                    raise ValueError(f"not an allowed file: {path.name}")
            return super().fetch(url, headers)

    return Local(allowed_protocols=("file", "data"), allow_redirects=False)


@lru_cache(maxsize=1)
def _font_config():
    """One font configuration for every PDF of a process: WeasyPrint gathers the system's fonts once."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, allowed: Iterable[Path] = ()) -> bytes:
    """The PDF of `html`. `allowed`: folders whose files the page may show (the templates, the logo's folder).

    Raises:
        SheetSyncError: WeasyPrint (or Pango) is missing or failed.
    """
    problem = weasyprint_problem()
    if problem:
        raise SheetSyncError(problem)
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a left-out resource is a warning we need not print
    folders = tuple(Path(f).resolve() for f in allowed)
    try:
        return weasyprint.HTML(string=html, base_url=str(folders[0]) if folders else None,
                               url_fetcher=_fetcher(folders)).write_pdf(font_config=_font_config())
    except Exception as exc:  # noqa: BLE001 - a layout bug in WeasyPrint or a broken image: one sentence
        raise SheetSyncError(f"WeasyPrint could not make the PDF ({type(exc).__name__}: {str(exc)[:160]}).") from None

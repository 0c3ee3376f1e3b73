"""Shared fixtures: a workbook built from an inline table, and a config for it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from workbooks import write_config  # noqa: E402


@pytest.fixture
def config_for(tmp_path):
    """config_for(workbook_path, **toml_sections) -> Config, written to tmp_path/sheet-sync.toml."""

    def make(workbook: Path, extra: str = ""):
        return write_config(tmp_path, workbook, extra)

    return make

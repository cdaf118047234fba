"""What fitplug remembers: one resolve, one error, and changes that concurrent commands do not lose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from fitplug import settings
from fitplug.errors import FitplugError

_ADD = """
import sys
from pathlib import Path
from fitplug import settings
name = sys.argv[1]
for i in range(25):
    settings.add_sources([Path(sys.argv[2]) / f"{name}-{i}"])
settings.remember(programme=Path(sys.argv[2]) / f"{name}.toml")
"""


def test_concurrent_commands_keep_every_source(tmp_path: Path) -> None:
    """Four processes adding sources at once: every one of the 100 is kept (read-modify-write is locked)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _ADD, f"p{n}", str(tmp_path)], env=env) for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    kept = {p.name for p in settings.remembered().sources}
    assert kept == {f"p{n}-{i}" for n in range(4) for i in range(25)}
    assert settings.remembered().programme is not None
    assert not any(p.name.startswith(".") for p in settings.settings_path().parent.iterdir() if p.suffix == ".tmp")


def test_remember_says_whether_anything_changed(tmp_path: Path) -> None:
    prog = tmp_path / "p.toml"
    assert settings.remember(programme=prog) is True
    before = settings.settings_path().read_bytes()
    assert settings.remember(programme=prog) is False  # the same: the file is not rewritten
    assert settings.settings_path().read_bytes() == before
    assert settings.add_sources([tmp_path / "a", tmp_path / "a"]) == [(tmp_path / "a").resolve()]
    assert settings.add_sources([tmp_path / "a"]) == []


def test_reading_writes_nothing(fitplug_home: Path) -> None:
    assert settings.remembered() == settings.Remembered()
    assert not (fitplug_home / "config").exists()


def test_one_error_when_there_is_no_programme(tmp_path: Path) -> None:
    with pytest.raises(
        FitplugError, match=r"^no programme given and none remembered; name one, or run `fitplug init`$"
    ):
        settings.programme_path(None)
    gone = tmp_path / "gone.toml"
    settings.remember(programme=gone)
    with pytest.raises(FitplugError, match=r"the remembered programme .*gone\.toml is gone"):
        settings.programme_path(None)
    named = tmp_path / "named.toml"
    assert settings.programme_path(named) == named


def test_an_unreadable_settings_file_counts_as_empty(fitplug_home: Path) -> None:
    path = settings.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"programme": 3, "sources": "x", "device": ["y"]}')
    assert settings.remembered() == settings.Remembered()
    path.write_text("not json")
    assert settings.remembered() == settings.Remembered()

"""The session-wide guard in conftest (tests/homeguard.py) is in place and would notice a write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import homeguard
import pytest


def test_every_user_folder_variable_points_into_the_temporary_base(home_guard: homeguard.Guard) -> None:
    for var in ("HOME", *homeguard.XDG_VARS, *homeguard.WINDOWS_VARS):
        assert home_guard.is_fake(os.environ[var]), var
    assert home_guard.is_fake(Path.home())
    assert home_guard.real_env["HOME"] is None or not home_guard.is_fake(home_guard.real_env["HOME"])


def test_platformdirs_without_fitplug_variables_resolves_to_the_temporary_base(
    home_guard: homeguard.Guard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a test that drops FITPLUG_DATA_DIR/FITPLUG_CONFIG_DIR (e.g. via monkeypatch.undo())."""
    from fitplug import settings

    monkeypatch.delenv("FITPLUG_DATA_DIR")
    monkeypatch.delenv("FITPLUG_CONFIG_DIR")
    assert home_guard.is_fake(settings.data_dir()) and home_guard.is_fake(settings.config_dir())
    assert not any(home_guard.is_fake(p) for p in home_guard.trees)  # the real ones are watched


def test_a_subprocess_inherits_the_temporary_folders(home_guard: homeguard.Guard) -> None:
    code = "import os, platformdirs; print(os.environ['HOME']); print(platformdirs.user_data_dir('fitplug'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    home, data = out.splitlines()
    assert home_guard.is_fake(home) and home_guard.is_fake(data)


def test_the_comparison_names_what_appeared_vanished_or_changed(tmp_path: Path) -> None:
    home, app = tmp_path / "home", tmp_path / "home" / ".local" / "share" / "fitplug"
    app.mkdir(parents=True)
    (home / ".profile").write_text("x")
    (app / "store.sqlite3").write_bytes(b"1")
    (home / "deep").mkdir()
    before = homeguard.snapshot([app], [home])
    assert homeguard.compare(before, homeguard.snapshot([app], [home])) == []
    (home / "deep" / "ignored").write_text("below the top level of HOME is not watched")
    assert homeguard.compare(before, homeguard.snapshot([app], [home])) == []
    (home / ".profile").write_text("xy")
    (home / "new").write_text("")
    (app / "store.sqlite3").unlink()
    (app / "settings.toml").write_text("")
    assert homeguard.compare(before, homeguard.snapshot([app], [home])) == [
        f"appeared: {app / 'settings.toml'}",
        f"appeared: {home / 'new'}",
        f"vanished: {app / 'store.sqlite3'}",
        f"changed:  {home / '.profile'}",
    ]


def test_an_absent_fitplug_folder_that_appears_is_a_change(tmp_path: Path) -> None:
    app = tmp_path / "fitplug"
    before = homeguard.snapshot([app], [])
    app.mkdir()
    assert homeguard.compare(before, homeguard.snapshot([app], [])) == [f"appeared: {app}"]

"""The session-wide guard that keeps the test run out of the user's own folders.

``tests/conftest.py`` calls :func:`install` when pytest starts: it remembers the
real ``HOME`` and XDG/Windows folder variables, points every one of them at a
fresh temporary folder for the whole run (subprocesses inherit them), and takes
a :func:`snapshot` of what must not change:

- the real fitplug folders (platformdirs' data, config, cache and state
  folders for ``fitplug``, resolved under the real environment), recursively;
- the top level only of the real ``HOME`` and of the real XDG folders (a new
  name, a name gone, or a top-level file whose size or mtime changed). The
  whole home folder is never walked.

At the end :func:`Guard.differences` compares a new snapshot with the first;
conftest fails the run with the list when it is not empty.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

APP = "fitplug"
# Variables that decide where platformdirs (and most programs) put per-user files.
XDG_VARS = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR")
WINDOWS_VARS = ("APPDATA", "LOCALAPPDATA")
GUARDED_VARS = ("HOME", *XDG_VARS, *WINDOWS_VARS)
# The XDG defaults under HOME when a variable is unset.
_XDG_DEFAULTS = {
    "XDG_DATA_HOME": ".local/share",
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_STATE_HOME": ".local/state",
}

Entry = tuple[str, int, int]  # kind, size, mtime_ns (size and mtime 0 for folders)
Snapshot = dict[str, Entry]


def _entry(st: os.stat_result) -> Entry:
    if stat.S_ISDIR(st.st_mode):
        return ("dir", 0, 0)  # a folder's mtime moves with its entries, which are listed themselves
    kind = "link" if stat.S_ISLNK(st.st_mode) else "file"
    return (kind, st.st_size, st.st_mtime_ns)


def _top_level(folder: Path) -> Snapshot:
    out: Snapshot = {}
    try:
        with os.scandir(folder) as it:
            for e in it:
                try:
                    out[str(folder / e.name)] = _entry(e.stat(follow_symlinks=False))
                except OSError:
                    continue
    except OSError:
        pass
    return out


def _tree(folder: Path) -> Snapshot:
    out: Snapshot = {}
    try:
        out[str(folder)] = _entry(folder.lstat())
    except OSError:
        return out  # absent: appearing later is the change
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in (*dirnames, *filenames):
            path = Path(dirpath) / name
            try:
                out[str(path)] = _entry(path.lstat())
            except OSError:
                continue
    return out


def snapshot(trees: list[Path], tops: list[Path]) -> Snapshot:
    """``trees`` walked recursively, ``tops`` listed one level deep."""
    out: Snapshot = {}
    for folder in tops:
        out.update(_top_level(folder))
    for folder in trees:
        out.update(_tree(folder))
    return out


def compare(before: Snapshot, after: Snapshot) -> list[str]:
    lines = [f"appeared: {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"vanished: {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"changed:  {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines


def real_fitplug_dirs(env: dict[str, str]) -> list[Path]:
    """platformdirs' folders for fitplug as they resolve under ``env`` (the real environment)."""
    import platformdirs

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return [
            Path(platformdirs.user_data_dir(APP, appauthor=False)),
            Path(platformdirs.user_config_dir(APP, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP, appauthor=False)),
            Path(platformdirs.user_state_dir(APP, appauthor=False)),
        ]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def real_top_folders(env: dict[str, str]) -> list[Path]:
    """The real HOME and the real XDG/Windows folders (set or default), for a top-level listing."""
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    folders = [home]
    for var in (*XDG_VARS, *WINDOWS_VARS):
        if env.get(var):
            folders.append(Path(env[var]))
        elif var in _XDG_DEFAULTS:
            folders.append(home / _XDG_DEFAULTS[var])
    return list(dict.fromkeys(folders))


@dataclass
class Guard:
    base: Path  # the temporary folder every guarded variable now points into
    real_env: dict[str, str | None]  # the guarded variables as they were (None: unset)
    trees: list[Path]
    tops: list[Path]
    before: Snapshot = field(default_factory=dict)

    def differences(self) -> list[str]:
        return compare(self.before, snapshot(self.trees, self.tops))

    def is_fake(self, path: str | Path) -> bool:
        return Path(path).resolve().is_relative_to(self.base.resolve())

    def uninstall(self) -> None:
        for var, value in self.real_env.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        shutil.rmtree(self.base, ignore_errors=True)


def install() -> Guard:
    """Point HOME, XDG_* and APPDATA/LOCALAPPDATA at a new temporary folder; snapshot the real ones."""
    real_env = {var: os.environ.get(var) for var in GUARDED_VARS}
    env = dict(os.environ)
    trees = real_fitplug_dirs(env)
    tops = real_top_folders(env)
    base = Path(tempfile.mkdtemp(prefix="fitplug-tests-home-"))
    fake = {
        "HOME": base / "home",
        "XDG_DATA_HOME": base / "xdg-data",
        "XDG_CONFIG_HOME": base / "xdg-config",
        "XDG_CACHE_HOME": base / "xdg-cache",
        "XDG_STATE_HOME": base / "xdg-state",
        "XDG_RUNTIME_DIR": base / "xdg-runtime",
        "APPDATA": base / "appdata-roaming",
        "LOCALAPPDATA": base / "appdata-local",
    }
    if os.name == "nt":  # Path.home() reads USERPROFILE there
        real_env["USERPROFILE"] = os.environ.get("USERPROFILE")
        fake["USERPROFILE"] = fake["HOME"]
    for var, path in fake.items():
        path.mkdir(mode=0o700)
        os.environ[var] = str(path)
    guard = Guard(base, real_env, trees, tops)
    guard.before = snapshot(trees, tops)
    return guard

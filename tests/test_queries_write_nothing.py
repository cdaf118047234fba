"""Commands that only look write nothing: the data and config folders stay byte-identical.

``check``, ``show``, ``status``, ``activities``, ``calendar -o -``, ``exercises`` and
``templates`` run against fresh folders (absent, or empty) and against folders
holding a store, settings and feed state (after ``init``, ``build`` and a ``sync``
of a few activity files). Every file's bytes and mtime and every folder under the
data and config folders must be as they were, and nothing may appear: no store, no
``-wal``/``-shm``/journal file, no lock file, no settings, no folder.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import make_activities as m
import pytest
from conftest import ROOT, Invoke, invoke_cli

from fitplug.programme import exercises as exercises_module

NOW = "2026-11-22T09:30:00Z"
T0 = dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC)

#: relative path -> (bytes, mtime_ns) for a file, None for a folder; "." is the folder itself
Tree = dict[str, tuple[bytes, int] | None]

# Each query as a function of (programme, workout file, store) -> CLI arguments.
QUERIES: dict[str, Callable[[Path, Path, Path], list[str]]] = {
    "check": lambda prog, fit, db: ["check", str(prog)],
    "show": lambda prog, fit, db: ["show", str(fit)],
    "show --json": lambda prog, fit, db: ["show", "--json", str(fit)],
    "status": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "status", "-p", str(prog)],
    "status --json": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "status", "--json", "-p", str(prog)],
    "status (default store)": lambda prog, fit, db: ["--now", NOW, "status", "-p", str(prog)],
    "activities": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "activities"],
    "activities --json": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "activities", "--json"],
    "calendar -o -": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "calendar", str(prog), "-o", "-"],
    "exercises": lambda prog, fit, db: ["exercises"],
    "exercises warm_up": lambda prog, fit, db: ["exercises", "warm_up"],
    "templates": lambda prog, fit, db: ["templates"],
    "log": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "log"],
    "log --json": lambda prog, fit, db: ["--db", str(db), "--now", NOW, "log", "--json"],
}


@pytest.fixture(autouse=True)
def first_use_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what an earlier test loaded into this process, so a command here does the
    first-use work a fresh `fitplug` process does (and any writing that comes with it)."""
    monkeypatch.setattr(exercises_module, "_cache", None)


def tree(root: Path) -> Tree:
    """Everything under ``root``, recursively; empty when ``root`` does not exist."""
    if not root.exists():
        return {}
    out: Tree = {".": None}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = None if path.is_dir() and not path.is_symlink() else (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def what_changed(before: Tree, after: Tree) -> list[str]:
    lines = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    for p in sorted(before.keys() & after.keys()):
        b, a = before[p], after[p]
        if b != a:
            same_bytes = b is not None and a is not None and b[0] == a[0]
            lines.append(f"{'rewrote (same bytes)' if same_bytes else 'changed'} {p}")
    return lines


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folders after `init`, `build` and `sync` of a few watch-shaped activity files, made once:
    ``data/``, ``config/``, ``out/`` (the built workouts), ``prog.toml`` and ``activities/``."""
    base = tmp_path_factory.mktemp("queries-built")
    acts = base / "activities"
    acts.mkdir()
    files = {
        "run-1.fit": m.run(T0, 48, 10.2),
        "strength.fit": m.strength(T0 + dt.timedelta(days=1, hours=10), [12, 12, 10]),
        "run-2.fit": m.run(T0 + dt.timedelta(days=3), 35, 7.1),
        "stretch.fit": m.stretch_workout(T0 + dt.timedelta(days=3, minutes=40)),
        "ride.fit": m.ride(T0 + dt.timedelta(days=2), 60, 30),
    }
    for name, data in files.items():
        (acts / name).write_bytes(data)
    env = {"FITPLUG_DATA_DIR": str(base / "data"), "FITPLUG_CONFIG_DIR": str(base / "config")}
    for args in (
        ["init", str(base / "prog.toml")],
        ["--now", NOW, "build", "-o", str(base / "out")],
        ["--now", NOW, "sync", str(acts)],
    ):
        result = invoke_cli(*args, env=env)
        assert result.exit_code == 0, (args, result.output)
    assert (base / "data" / "fitplug.sqlite3").is_file() and any((base / "config").iterdir())
    return base


def _prepare(state: str, built: Path, home: Path) -> tuple[Path, Path, Path, Path]:
    """The (data, config) folders in ``state`` under ``home``, and the programme and workout file."""
    data, config = home / "data", home / "config"
    if state == "empty":
        data.mkdir()
        config.mkdir()
    elif state == "populated":
        shutil.copytree(built / "data", data)  # copy2: mtimes kept, so the copy is a fair "before"
        shutil.copytree(built / "config", config)
    assert os.environ["FITPLUG_DATA_DIR"] == str(data) and os.environ["FITPLUG_CONFIG_DIR"] == str(config)
    return data, config, built / "prog.toml", built / "out" / "glute-strength.fit"


_CASES = [
    pytest.param(query, state, id=f"{query}-{state}") for state in ("absent", "empty", "populated") for query in QUERIES
]


@pytest.mark.parametrize(("query", "state"), _CASES)
def test_a_query_writes_nothing(query: str, state: str, built: Path, fitplug_home: Path, invoke: Invoke) -> None:
    data, config, prog, fit = _prepare(state, built, fitplug_home)
    before = {"data": tree(data), "config": tree(config)}
    result = invoke(*QUERIES[query](prog, fit, data / "fitplug.sqlite3"))
    assert result.exit_code == 0, result.output
    changed = [
        f"{name}/: {line}"
        for name, root in (("data", data), ("config", config))
        for line in what_changed(before[name], tree(root))
    ]
    assert changed == [], f"`fitplug {query}` wrote: {changed}"


@pytest.mark.parametrize("state", ["absent", "populated"])
def test_status_in_a_real_process_writes_nothing(state: str, built: Path, fitplug_home: Path) -> None:
    """`python -m fitplug status` as a user runs it: default store, settings from the config folder."""
    data, config, prog, _ = _prepare(state, built, fitplug_home)
    before = {"data": tree(data), "config": tree(config)}
    args = ["--now", NOW, "status"] if state == "populated" else ["--now", NOW, "status", "-p", str(prog)]
    proc = subprocess.run([sys.executable, "-m", "fitplug", *args], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout
    changed = [
        f"{name}/: {line}"
        for name, root in (("data", data), ("config", config))
        for line in what_changed(before[name], tree(root))
    ]
    assert changed == [], f"`fitplug status` wrote: {changed}"


def test_the_snapshot_sees_a_write(tmp_path: Path) -> None:
    """The comparison itself: a new file, a rewrite with the same bytes, a new folder."""
    (tmp_path / "a").write_bytes(b"x")
    before = tree(tmp_path)
    (tmp_path / "a").write_bytes(b"x")
    os.utime(tmp_path / "a", ns=(0, 12345))
    (tmp_path / "db-wal").write_bytes(b"")
    (tmp_path / "lock").mkdir()
    assert what_changed(before, tree(tmp_path)) == ["created db-wal", "created lock", "rewrote (same bytes) a"]
    assert what_changed({}, tree(tmp_path / "new")) == []

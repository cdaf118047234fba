#!/usr/bin/env python3
"""Commands over a long tracked history against the same commands over an empty store, in one run.

Issue #23: `status`, `report -o FILE`, `calendar -o -` and a warm `sync` (nothing changed)
with 5,000 activities ALL inside the tracked period (the programme's ``start = 2012-01-01``)
should each cost within 1.2× of the same command with an empty store.

Builds once, under ``--dir`` (default ``fitplug-bench/history`` in the temporary folder, or a temporary folder with
``--tmp``):

- ``files/``: 5,000 small placeholder files, and ``tracked.sqlite3``, a store holding
  5,000 simulated activities (``benchmarks/due_rule.py``'s runner: runs most days, two
  strength sessions a week from fitplug's workout, post-run stretch workouts, yoga; from
  2014 on) each recorded under one of those files' key, size and mtime, so a sync finds
  every file unchanged and reads none;
- ``empty/`` and ``empty.sqlite3``: an empty source folder and a store holding nothing;
- ``p2012.toml``: the glute-runner template with ``start = 2012-01-01``;
- ``today.sqlite3`` and ``p-today.toml``: a copy of the tracked store, and the template starting on
  the benchmark's day: a warm sync of the same files with none of the history tracked, to tell what of
  the warm sync's cost is the history and what is reading 5,000 unchanged files.

Then times each command as a whole process (``python -m fitplug``, fixed ``--now``),
interleaved (empty, tracked, empty, ...) after one untimed warm-up each, and prints the
medians and the ratio tracked / empty against the 1.2× target. Each configuration has
its own throwaway FITPLUG_DATA_DIR / FITPLUG_CONFIG_DIR (a sync remembers its sources).
The warm-up runs at ``NOW`` (its sync records what it decides, as a runner's last sync did);
the timed runs an hour later (``LATER``), as a runner's next command comes: at the very
instant of that sync, every item it saved counts as new since it ("Since the last sync"
would list the 2,500 of them), which no later command meets.

    python benchmarks/history.py --runs 7
    python benchmarks/history.py --runs 7 --tree /path/to/another/checkout   # e.g. main, before
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from due_rule import build

from fitplug.activities.store.store import Store

NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
#: when the timed runs happen: an hour after the warm-up's sync
LATER = NOW + dt.timedelta(hours=1)
COUNT = 5000
TARGET = 1.2


def prepare(base: Path) -> Path:
    """The programme, both stores and both source folders under ``base`` (built once); the programme."""
    base.mkdir(parents=True, exist_ok=True)
    programme = base / "p2012.toml"
    template = (ROOT / "templates" / "glute-runner.toml").read_text(encoding="utf-8")
    programme.write_text(template.replace("# start = 2026-11-18", "start = 2012-01-01  #", 1), encoding="utf-8")
    (base / "empty").mkdir(exist_ok=True)
    if not (base / "empty.sqlite3").exists():
        Store(base / "empty.sqlite3").close()
    tracked = base / "tracked.sqlite3"
    if not tracked.exists():
        files = base / "files"
        files.mkdir(exist_ok=True)
        activities = build(13)[-COUNT:]
        batch = []
        for n, a in enumerate(activities):
            path = files / f"activity-{n:05d}.fit"
            path.write_bytes(b"placeholder")
            st = path.stat()
            batch.append((str(path.resolve()), st.st_size, st.st_mtime_ns, a))
        with Store(base / "building.sqlite3") as store:
            for at in range(0, len(batch), 500):
                store.record_batch(batch[at : at + 500], NOW)
        (base / "building.sqlite3").rename(tracked)
    # the same store and files under a programme that starts on the benchmark's day: nothing of the
    # history is tracked, so a warm sync against it costs what reading 5,000 unchanged files costs
    today = base / "p-today.toml"
    today.write_text(template.replace("# start = 2026-11-18", f"start = {NOW.date()}  #", 1), encoding="utf-8")
    if not (base / "today.sqlite3").exists():
        with sqlite3.connect(tracked) as src, sqlite3.connect(base / "today.sqlite3") as dst:
            src.backup(dst)
        src.close()
        dst.close()
    return programme


def commands(base: Path, programme: Path, which: str, out: Path, now: dt.datetime) -> dict[str, list[str]]:
    db = base / f"{which}.sqlite3"
    source = base / ("empty" if which == "empty" else "files")
    common = [sys.executable, "-m", "fitplug", "--db", str(db), "--now", now.isoformat()]
    if which == "today":
        return {"sync (warm)": [*common, "sync", str(source), "-p", str(base / "p-today.toml")]}
    return {
        "status": [*common, "status", "-p", str(programme)],
        "report -o FILE": [*common, "report", "-p", str(programme), "-o", str(out / f"{which}.html")],
        "calendar -o -": [*common, "calendar", "-p", str(programme), "-o", "-"],
        "sync (warm)": [*common, "sync", str(source), "-p", str(programme)],
    }


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """One whole process, its output dropped: (wall, user + system CPU) in seconds. The CPU time is the
    steadier on a machine others share; the issue's figure is the wall."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # run from a neutral folder: `python -m` puts its working folder first on sys.path, before PYTHONPATH
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "fitplug-bench" / "history")
    parser.add_argument("--tmp", action="store_true", help="build in a temporary folder instead of --dir")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the fitplug tree timed (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "bench" if args.tmp else args.dir
        programme = prepare(base)
        envs = {}
        for which in ("empty", "tracked", "today"):
            home = Path(tmp) / which
            # PYTHONDONTWRITEBYTECODE, set on some machines, would time the compiler too (as startup.py says)
            inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            envs[which] = {
                **inherited,
                "FITPLUG_DATA_DIR": str(home / "data"),
                "FITPLUG_CONFIG_DIR": str(home / "config"),
                "PYTHONPATH": str(args.tree),
            }
        cmds = {which: commands(base, programme, which, Path(tmp), LATER) for which in envs}
        for which in envs:
            for cmd in commands(base, programme, which, Path(tmp), NOW).values():
                timed(cmd, envs[which])  # warm-up: caches, and the last sync's records, an hour before
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for name in cmds["empty"]:
                for which in envs:
                    if name in cmds[which]:
                        times.setdefault((name, which), []).append(timed(cmds[which][name], envs[which]))
    print(
        f"{COUNT} activities since 2014, programme start 2012-01-01 (all tracked); median of {args.runs} "
        f"interleaved runs, python {sys.version.split()[0]}, fitplug from {args.tree}"
    )
    print(f"{'':<16} {'wall, median ms':^26}   {'CPU, median ms':^26}")
    heads = f"{'empty':>8} {'5,000':>8} {'ratio':>8}  "
    print(f"{'command':<16} {heads} {heads} target ≤ {TARGET}× (wall)")
    for name in cmds["empty"]:
        row = f"{name:<16}"
        ratios = []
        for k in (0, 1):
            empty = statistics.median(t[k] for t in times[(name, "empty")])
            full = statistics.median(t[k] for t in times[(name, "tracked")])
            ratios.append(full / empty)
            row += f" {empty * 1000:8.1f} {full * 1000:8.1f} {full / empty:8.2f}  "
        print(row + ("ok" if ratios[0] <= TARGET else "NOT MET"))
    # what of the warm sync is the history, and what reading 5,000 unchanged files (which an empty store lacks)
    today = [statistics.median(t[k] for t in times[("sync (warm)", "today")]) for k in (0, 1)]
    full = [statistics.median(t[k] for t in times[("sync (warm)", "tracked")]) for k in (0, 1)]
    print(
        f"sync (warm), the same 5,000 files under a programme starting {NOW.date()} (none of it tracked): "
        f"{today[0] * 1000:.1f} ms wall, {today[1] * 1000:.1f} ms CPU; all of it tracked: "
        f"{full[0] / today[0]:.2f}× wall, {full[1] / today[1]:.2f}× CPU"
    )


if __name__ == "__main__":
    main()

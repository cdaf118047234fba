#!/usr/bin/env python3
"""What history inside the tracked period costs: each command with a full store against an empty one.

Builds, in a throwaway folder (FITPLUG_DATA_DIR and FITPLUG_CONFIG_DIR point
there), a store of N activities (default 5,000: runs most days, two strength
sessions a week with banded sets, post-run stretch workouts, yoga; the
generator of ``benchmarks/due_rule.py``, written through the store's own
``record_batch``) and a programme (the glute-runner template) whose ``start``
is the day of the first activity, so that every activity is inside the
tracked period; and an empty store (the schema, no rows) with the same
programme. Then times whole processes, interleaved (empty, full, empty, …),
one untimed warm-up each, ``--runs`` times:

- ``fitplug status``;
- ``fitplug report -o FILE``;
- ``fitplug calendar -o -``;
- a warm ``fitplug sync`` (an empty source folder: nothing to read, the rule
  run and the items recorded).

Prints the median of each and the ratio full / empty against the issue's
target (≤ 1.2×).

    python benchmarks/history.py                 # 5,000 activities
    python benchmarks/history.py --activities 1000 --runs 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
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
TARGET = 1.2


def programme_file(folder: Path, start: dt.date) -> Path:
    """The glute-runner template, starting on ``start``."""
    text = (ROOT / "templates" / "glute-runner.toml").read_text(encoding="utf-8")
    text = re.sub(r"^# start = \S+", f"start = {start.isoformat()}", text, count=1, flags=re.MULTILINE)
    path = folder / "programme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def stores(folder: Path, n: int) -> tuple[Path, Path, dt.date]:
    """An empty store and one of ``n`` activities (the latest ``n`` the generator makes); the first day."""
    years = n // 300 + 1
    activities = build(years)[-n:]
    empty, full = folder / "empty.sqlite3", folder / "full.sqlite3"
    with Store(empty):
        pass
    with Store(full) as store:
        store.record_batch([(f"/bench/{i}.fit", 1, 1, a) for i, a in enumerate(activities)], NOW)
    return empty, full, activities[0].start_utc.date()


def throwaway_env(base: Path) -> dict[str, str]:
    """This environment with fitplug's data and config folders under ``base`` and this tree importable."""
    return {
        **os.environ,
        "FITPLUG_DATA_DIR": str(base / "data"),
        "FITPLUG_CONFIG_DIR": str(base / "config"),
        "PYTHONPATH": str(ROOT),
    }


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = throwaway_env(base)
        empty, full, first = stores(base, args.activities)
        programme = str(programme_file(base, first))
        source = base / "source"
        source.mkdir()

        def commands(db: Path) -> dict[str, list[str]]:
            common = [sys.executable, "-m", "fitplug", "--db", str(db), "--now", NOW.isoformat()]
            return {
                "status": [*common, "status", "-p", programme],
                "report -o FILE": [*common, "report", "-p", programme, "-o", str(base / f"{db.stem}.html")],
                "calendar -o -": [*common, "calendar", "-p", programme, "-o", "-"],
                "sync (warm)": [*common, "sync", "-p", programme, str(source)],
            }

        pairs = {name: (cmd, commands(full)[name]) for name, cmd in commands(empty).items()}
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in pairs}
        for cmd_empty, cmd_full in pairs.values():
            timed(cmd_empty, env)
            timed(cmd_full, env)
        for _ in range(args.runs):
            for name, (cmd_empty, cmd_full) in pairs.items():
                times[name][0].append(timed(cmd_empty, env))
                times[name][1].append(timed(cmd_full, env))
    print(
        f"{args.activities} activities, all inside the tracked period (start {first}); "
        f"median of {args.runs} interleaved runs, python {sys.version.split()[0]}"
    )
    print(f"{'command':<16} {'empty ms':>9} {'full ms':>9} {'full/empty':>11}  target ≤ {TARGET}×")
    for name, (t_empty, t_full) in times.items():
        e, f = statistics.median(t_empty), statistics.median(t_full)
        verdict = "ok" if f / e <= TARGET else "OVER"
        print(f"{name:<16} {e * 1000:9.1f} {f * 1000:9.1f} {f / e:10.2f}×  {verdict}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Start-up cost of the everyday commands, against the interpreter's own start.

Times, as whole subprocesses, each ``--runs`` times after one untimed warm-up:

- ``python -c pass`` (the floor every command pays);
- ``fitplug --help``;
- ``fitplug status -p PROGRAMME`` and a warm ``fitplug sync FOLDER -p PROGRAMME``
  (every file already stored, none changed) with 0, 1,000 and 5,000 stored
  activities (``--counts``).

The baseline runs in the same loop as the command it is compared with
(alternating), so both see the same machine load. Prints min and median in
milliseconds, each as a ratio to ``python -c pass`` (min to min, median to
median), and the warm sync's cost per unchanged file in microseconds
((median at N - median at 0) / N).

Activity files are generated with ``tests/make_activities.py`` (Garmin's FIT
SDK Encoder, shaped as a watch writes them: file_id, sessions, activity) into a
temporary folder; FITPLUG_DATA_DIR and FITPLUG_CONFIG_DIR point at temporary
folders, so nothing of the user's is read or written.

    python benchmarks/startup.py
    python benchmarks/startup.py --runs 20 --counts 0,1000,5000,20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = ROOT / "templates" / "glute-runner.toml"
sys.path.insert(0, str(ROOT / "tests"))

import make_activities as m

T0 = dt.datetime(2020, 1, 1, 6, 0, tzinfo=dt.UTC)


def write_activities(folder: Path, count: int) -> None:
    """``count`` distinct runs, one a day from 2020 (distinct start, serial and bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        start = T0 + dt.timedelta(days=i // 2, hours=12 * (i % 2))
        (folder / f"{start:%Y-%m-%d-%H-%M-%S}.fit").write_bytes(m.run(start, 30 + i % 30, 5 + (i % 10) / 2))


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    return elapsed


def compare(label: str, cmd: list[str], env: dict[str, str], runs: int) -> tuple[str, float]:
    """``cmd`` and ``python -c pass`` alternately, ``runs`` times each; one row and the median."""
    base_cmd = [sys.executable, "-c", "pass"]
    timed(base_cmd, env)
    timed(cmd, env)  # warm-up: the page cache
    base, this = [], []
    for _ in range(runs):
        base.append(timed(base_cmd, env))
        this.append(timed(cmd, env))
    bmin, bmed = min(base), statistics.median(base)
    cmin, cmed = min(this), statistics.median(this)
    row = (
        f"{label:<34} {cmin * 1e3:8.1f} {cmed * 1e3:8.1f}   {bmin * 1e3:6.1f} {bmed * 1e3:6.1f}"
        f"   {cmin / bmin:5.1f}x {cmed / bmed:5.1f}x"
    )
    return row, cmed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    ap.add_argument("--counts", default="0,1000,5000", help="stored activities (default 0,1000,5000)")
    args = ap.parse_args()
    counts = sorted({int(c) for c in args.counts.split(",")})

    with tempfile.TemporaryDirectory(prefix="fitplug-startup-") as tmp_name:
        tmp = Path(tmp_name)

        # as an installed fitplug runs: with its bytecode cached (pip compiles it at install
        # time). PYTHONDONTWRITEBYTECODE, set on some machines, would time the compiler instead.
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fitplug")], check=True)

        def env_for(name: str) -> dict[str, str]:
            return {
                **inherited,
                "FITPLUG_DATA_DIR": str(tmp / name / "data"),
                "FITPLUG_CONFIG_DIR": str(tmp / name / "config"),
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            }

        fitplug = [sys.executable, "-m", "fitplug"]
        print(
            f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores; {args.runs} runs each, after one warm-up"
        )
        print(f"{'':<34} {'command ms':>17}   {'python -c pass':>13}   {'ratio':>12}")
        print(f"{'':<34} {'min':>8} {'median':>8}   {'min':>6} {'median':>6}   {'min':>6} {'median':>6}")
        row, _ = compare("fitplug --help", [*fitplug, "--help"], env_for("help"), args.runs)
        print(row, flush=True)
        warm: dict[int, float] = {}
        for n in counts:
            env = env_for(f"n{n}")
            folder = tmp / f"n{n}" / "activities"
            t0 = time.perf_counter()
            write_activities(folder, n)
            made = time.perf_counter() - t0
            t0 = time.perf_counter()
            cold = subprocess.run(
                [*fitplug, "sync", str(folder), "-p", str(PROGRAMME)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if cold.returncode != 0:
                raise SystemExit(f"first sync of {n} files failed:\n{cold.stderr}")
            print(
                f"-- {n} stored activities (files written in {made:.1f} s, "
                f"first sync {time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
            row, _ = compare(f"fitplug status ({n})", [*fitplug, "status", "-p", str(PROGRAMME)], env, args.runs)
            print(row, flush=True)
            row, warm[n] = compare(
                f"fitplug sync, warm ({n})", [*fitplug, "sync", str(folder), "-p", str(PROGRAMME)], env, args.runs
            )
            print(row, flush=True)
        if 0 in warm:
            for n in counts:
                if n:
                    print(
                        f"warm sync per unchanged file at {n}: {(warm[n] - warm[0]) / n * 1e6:.1f} µs "
                        f"(median at {n} minus median at 0, over {n})"
                    )


if __name__ == "__main__":
    main()

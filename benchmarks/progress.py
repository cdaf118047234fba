#!/usr/bin/env python3
"""What the progress page costs, against `fitplug status` on the same store.

Builds the simulated 12-week history of the tests (``tests/progress_history.py``:
FIT files written with the SDK Encoder, read by the real `fitplug sync`) in a
temporary folder, then times as whole subprocesses, alternating so both see
the same machine load, ``--runs`` times after one untimed warm-up each:

- ``fitplug status`` (the baseline: the due rule once, the words);
- ``fitplug report -o FILE`` (the rule at now and at the end of each of the
  12 weeks, the page written).

Prints min and median in milliseconds and the ratio report/status, and the
page's size. FITPLUG_DATA_DIR and FITPLUG_CONFIG_DIR point at temporary folders.

    python benchmarks/progress.py --runs 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from progress_history import NOW, PROGRAMME_FILE, synced_store


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = {
            **os.environ,
            "FITPLUG_DATA_DIR": str(base / "data"),
            "FITPLUG_CONFIG_DIR": str(base / "config"),
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(FITPLUG_DATA_DIR=env["FITPLUG_DATA_DIR"], FITPLUG_CONFIG_DIR=env["FITPLUG_CONFIG_DIR"])
        db = synced_store(base)
        common = [sys.executable, "-m", "fitplug", "--db", str(db), "--now", NOW.isoformat()]
        commands = {
            "status": [*common, "status", "-p", str(PROGRAMME_FILE)],
            "report": [*common, "report", "-p", str(PROGRAMME_FILE), "-o", str(base / "page.html")],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():
            timed(cmd, env)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, env))
        size = (base / "page.html").stat().st_size
    print(f"{'command':<8} {'min ms':>8} {'median ms':>10}  (runs: {args.runs}, python {sys.version.split()[0]})")
    for name, ts in times.items():
        print(f"{name:<8} {min(ts) * 1000:8.1f} {statistics.median(ts) * 1000:10.1f}")
    ratio = statistics.median(times["report"]) / statistics.median(times["status"])
    print(f"report / status (median): {ratio:.2f}; the page: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()

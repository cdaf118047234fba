#!/usr/bin/env python3
"""Every benchmark of issue 23 in one run, and the ratios they print, gathered at the end.

Runs each script below in turn (a subprocess each, its output streamed as it
comes), then repeats every line that states a ratio against a named baseline
or a target, grouped by script, so one screen holds the whole answer. A script
that fails is reported and the rest still run; the exit status is 1 if any
failed.

    python benchmarks/all.py                  # the issue's scale: 1,000 and 5,000 files (about 20 minutes)
    python benchmarks/all.py --quick          # small sizes, to see that everything runs
    python benchmarks/all.py --only sync,serve_load

Needs ``pip install -r benchmarks/requirements.txt`` (fitfast) and ``wrk``
(Debian's package) for the serving benchmark; FITPLUG_DATA_DIR and
FITPLUG_CONFIG_DIR are pointed at temporary folders by each script.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: script → (arguments at the issue's scale, arguments with --quick); {archive} and {work} are filled in
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "startup": (
        ["--archive", "{archive}", "--runs", "25"],
        ["--archive", "{archive}", "--runs", "3", "--counts", "0,200"],
    ),
    "read": (["--archive", "{archive}"], ["--archive", "{archive}", "--sizes", "100", "--fitdecode-files", "3"]),
    "sync": (
        ["--archive", "{archive}"],
        ["--archive", "{archive}", "--files", "100", "--repeat", "1", "--slow-files", "3"],
    ),
    "export_zip": (
        ["--archive", "{archive}", "--out", "{work}/export"],
        ["--archive", "{archive}", "--out", "{work}/export", "--repeat", "1"],
    ),
    "history": ([], ["--runs", "2"]),
    "serve_load": ([], ["--activities", "500", "--duration", "1", "--rounds", "1"]),
}

#: a line worth repeating: a ratio ("4.6×", "x fitfast", "ratio"), a target, a verdict, a reader's or a server's row
SUMMARY = re.compile(
    r"×|\bratio\b|\btarget\b|\bNOT MET\b|\bx fitfast\b|^\d+ files,|^(fitplug|fitfast|cat)\b|^(feed|page) +\d",
    re.IGNORECASE,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: see that everything runs")
    parser.add_argument("--only", help="comma-separated script names (default: all)")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fitplug-bench", help="where the archive is built"
    )
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SCRIPTS)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")
    archive = args.work / ("archive-quick" if args.quick else "archive")
    wanted = 200 if args.quick else 5000
    if len(list(archive.glob("activity-*.fit"))) < wanted:
        print(f"=== building {wanted} activity files in {archive}", flush=True)
        subprocess.run([sys.executable, str(HERE / "archive.py"), str(archive), "--files", str(wanted)], check=True)
    gathered: dict[str, list[str]] = {}
    failed: list[str] = []
    for name in names:
        full, quick = SCRIPTS[name]
        extra = [a.format(archive=archive, work=args.work) for a in (quick if args.quick else full)]
        command = [sys.executable, str(HERE / f"{name}.py"), *extra]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        lines: list[str] = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(line)
                lines.append(line.rstrip("\n"))
        if proc.returncode != 0:
            failed.append(f"{name} (exit {proc.returncode})")
        gathered[name] = [line for line in lines if SUMMARY.search(line)]
    print("\n=== ratios and targets")
    for name, lines in gathered.items():
        print(f"-- {name}")
        for line in lines:
            print(f"   {line.strip()}")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

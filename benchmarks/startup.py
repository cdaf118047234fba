#!/usr/bin/env python3
"""Fixed cost of fitplug's commands, against the interpreter's own start and ``import click``.

Prints, from one run, every figure as a median of whole subprocesses timed
interleaved (one of each per round, ``--runs`` rounds after one untimed warm-up),
so every ratio compares commands that saw the same machine load:

- ``python -c pass`` (the floor), ``python -c "import click"`` and
  ``fitplug --help`` as a ratio to ``import click`` (target ≤ 1.3×);
- each everyday command on a trivial input (status, check, show, calendar -o -,
  exercises, activities, log, watch --help, a sync of an empty folder), as its
  cost over ``python -c pass`` (target ≤ 0.15 s);
- a warm sync (every file already stored, none changed) with 0, 1,000 and 5,000
  stored activities (``--counts``), and its margin over ``--help`` (target ≤ 0.1 s);
- ``python -X importtime``: the heaviest imports of each command (cumulative ms
  of the top-level imports beyond ``import click``), so a regression is visible.

The activity files are the first N of ``--archive`` (default
/tmp/fitplug-bench/archive, read-only; hard links, or copies, are made in a
temporary folder), else generated with ``tests/make_activities.py``. The
programme is the template with ``start`` = today, so the due rule is cheap and
what is timed is the fixed cost. FITPLUG_DATA_DIR and FITPLUG_CONFIG_DIR point
at temporary folders; nothing of the user's is read or written.

    python benchmarks/startup.py
    python benchmarks/startup.py --runs 21 --counts 0,1000,5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "glute-runner.toml"
ARCHIVE = Path(tempfile.gettempdir()) / "fitplug-bench" / "archive"
HELP_TARGET, FIXED_TARGET_S, WARM_TARGET_S = 1.3, 0.15, 0.1
#: what `fitplug` runs as, the way the installed console script does (no runpy)
SCRIPT = "import sys; from fitplug.cli import cli; sys.argv[0] = 'fitplug'; sys.exit(cli())"


def files_into(folder: Path, count: int, archive: Path) -> None:
    """``count`` activity files in ``folder``: the archive's first ones, else generated runs."""
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in archive.glob("*.fit"))[:count] if archive.is_dir() else []
    if len(names) == count:
        for name in names:
            try:
                os.link(archive / name, folder / name)
            except OSError:
                shutil.copyfile(archive / name, folder / name)
        return
    sys.path.insert(0, str(ROOT / "tests"))
    import make_activities as m

    t0 = dt.datetime(2020, 1, 1, 6, 0, tzinfo=dt.UTC)
    for i in range(count):
        start = t0 + dt.timedelta(days=i // 2, hours=12 * (i % 2))
        (folder / f"{start:%Y-%m-%d-%H-%M-%S}.fit").write_bytes(m.run(start, 30 + i % 30, 5 + (i % 10) / 2))


def run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    return elapsed


def interleaved(cases: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    """The median seconds of each case, the cases run one after another in each of ``runs`` rounds."""
    for cmd, env in cases.values():
        run(cmd, env)  # warm-up: the page cache, the exercise table
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (cmd, env) in cases.items():
            times[name].append(run(cmd, env))
    return {name: statistics.median(t) for name, t in times.items()}


def heaviest(args: list[str], env: dict[str, str], top: int) -> str:
    """The ``top`` heaviest top-level imports of ``fitplug ARGS`` that ``import click`` does not make."""
    code = f"import sys; import click; sys.argv = ['fitplug', *{args!r}]; from fitplug.cli import cli; cli()"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    lines = proc.stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if re.search(r"\| click$", line)), 0)
    found: list[tuple[int, str]] = []
    for line in lines[start + 1 :]:
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)$", line)
        if m and len(m.group(2)) == 1:  # imported by the command, not by one of its imports
            found.append((int(m.group(1)), m.group(3)))
    found.sort(reverse=True)
    return ", ".join(f"{name} {us / 1e3:.0f}" for us, name in found[:top])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=11, help="timed rounds (default 11)")
    ap.add_argument("--counts", default="0,1000,5000", help="stored activities for the warm sync (default 0,1000,5000)")
    ap.add_argument("--archive", type=Path, default=ARCHIVE, help="folder of activity files to take the first N of")
    ap.add_argument("--top", type=int, default=4, help="heaviest imports shown per command (default 4)")
    args = ap.parse_args()
    counts = sorted({int(c) for c in args.counts.split(",")})

    with tempfile.TemporaryDirectory(prefix="fitplug-startup-") as tmp_name:
        tmp = Path(tmp_name)
        # as an installed fitplug runs: with its bytecode cached (pip compiles it at install time);
        # PYTHONDONTWRITEBYTECODE, set on some machines, would time the compiler instead
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fitplug")], check=True)
        python = [sys.executable]
        fitplug = [sys.executable, "-c", SCRIPT]

        def env_for(name: str) -> dict[str, str]:
            return {
                **inherited,
                "FITPLUG_DATA_DIR": str(tmp / name / "data"),
                "FITPLUG_CONFIG_DIR": str(tmp / name / "config"),
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            }

        programme = tmp / "programme.toml"
        text = TEMPLATE.read_text(encoding="utf-8")
        programme.write_text(text.replace("# start = 2026-11-18", f"start = {dt.date.today()}", 1), encoding="utf-8")
        p = str(programme)
        env = env_for("commands")
        (tmp / "empty").mkdir()
        subprocess.run([*fitplug, "build", p, "-o", str(tmp / "out")], env=env, capture_output=True, check=True)
        workout = str(next((tmp / "out").glob("*.fit")))
        subprocess.run([*fitplug, "sync", str(tmp / "empty"), "-p", p], env=env, capture_output=True, check=True)
        commands = {
            "status": ["status", "-p", p],
            "check": ["check", p],
            "show": ["show", workout],
            "calendar -o -": ["calendar", p, "-o", "-"],
            "exercises": ["exercises"],
            "activities": ["activities"],
            "log": ["log", "-p", p],
            "watch --help": ["watch", "--help"],
            "sync (empty folder)": ["sync", str(tmp / "empty"), "-p", p],
        }
        print(
            f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores; medians of {args.runs} interleaved rounds, after one warm-up"
        )
        cases = {
            "python -c pass": ([*python, "-c", "pass"], env),
            'python -c "import click"': ([*python, "-c", "import click"], env),
            "fitplug --help": ([*fitplug, "--help"], env),
            **{f"fitplug {name}": ([*fitplug, *cmd], env) for name, cmd in commands.items()},
        }
        med = interleaved(cases, args.runs)
        base, click_s = med["python -c pass"], med['python -c "import click"']
        print(f"{'':<30} {'median ms':>9}  {'over pass':>9}  against its target")
        for name, s in med.items():
            verdict = ""
            if name == "fitplug --help":
                r = s / click_s
                verdict = f"{r:.2f}x import click (target {HELP_TARGET}x) {'ok' if r <= HELP_TARGET else 'OVER'}"
            elif name.startswith("fitplug"):
                verdict = f"target +{FIXED_TARGET_S * 1e3:.0f} ms {'ok' if s - base <= FIXED_TARGET_S else 'OVER'}"
            print(f"{name:<30} {s * 1e3:9.1f}  {(s - base) * 1e3:+9.1f}  {verdict}", flush=True)

        print("\nwarm sync: every file already stored, none changed")
        for n in counts:
            wenv = env_for(f"n{n}")
            folder = tmp / f"n{n}" / "activities"
            files_into(folder, n, args.archive)
            sync = [*fitplug, "sync", str(folder), "-p", p]
            t0 = time.perf_counter()
            subprocess.run(sync, env=wenv, capture_output=True, check=True)
            first = time.perf_counter() - t0
            w = interleaved(
                {"pass": ([*python, "-c", "pass"], wenv), "help": ([*fitplug, "--help"], wenv), "sync": (sync, wenv)},
                args.runs,
            )
            margin = w["sync"] - w["help"]
            verdict = "ok" if margin <= WARM_TARGET_S else "OVER"
            print(
                f"{n:>6} stored (first sync {first:5.1f} s): warm sync {w['sync'] * 1e3:6.1f} ms, --help "
                f"{w['help'] * 1e3:5.1f} ms, pass {w['pass'] * 1e3:5.1f} ms; margin over --help "
                f"{margin * 1e3:+6.1f} ms (target +{WARM_TARGET_S * 1e3:.0f}) {verdict}",
                flush=True,
            )

        print("\nheaviest imports beyond `import click` (python -X importtime, cumulative ms, one run)")
        for name, cmd in {"--help": ["--help"], **commands}.items():
            print(f"{name:<22} {heaviest(cmd, env, args.top)}")


if __name__ == "__main__":
    main()

"""Time a cold `fitplug sync` against fitfast, fitdecode and `cat` of the same bytes, in one run (issue 23).

For each archive size (``--files``, default 1,000 and 5,000: the first N files
of ``--archive``, hard-linked into a folder of their own when the archive holds
more), every round runs, interleaved so that all see the same load:

- cold sync: the real ``fitplug --db NEW sync FOLDER`` in a subprocess, every
  CRC checked (the default). Its process reports its own CPU time (interpreter
  start and imports included) and its reaped workers' (``RUSAGE_CHILDREN``):
  "parent" and "workers"; wall / (parent + workers) shows how well the cores
  are used (0.5 on two busy cores; the goal: ≤ 0.6);
- fitfast: a Python process that reads the session messages of every file
  with ``fitfast.records(path, "session")`` (the Rust reader; it decodes the
  whole file to get them), timed the same way, whole process;
- cat: ``cat FILES > /dev/null``, the bytes read and nothing else;

then once per size, fitdecode (full iteration, its default options) over a
fixed random sample (``--slow-files``), extrapolated to the archive by bytes,
and a warm sync (nothing new) of the synced store. Medians are shown; ratios
are against the cold sync's wall.

    python benchmarks/sync.py --archive /tmp/fitplug-bench/archive            # 1,000 and 5,000 files
    python benchmarks/sync.py --archive /tmp/arch --files 200 --repeat 3   # quick (built when missing)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

#: the CLI in a process that says, on its last stderr line, its own CPU time and its reaped workers'
_CLI = """
import json, resource, sys
from fitplug.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"parent": me.ru_utime + me.ru_stime, "workers": kids.ru_utime + kids.ru_stime,
                  "code": code}), file=sys.stderr)
"""

#: fitfast reading the session messages of every file listed in argv[1]
_FITFAST = """
import sys
import fitfast
for path in open(sys.argv[1]).read().splitlines():
    try:
        fitfast.records(path, "session")
    except fitfast.FitDecodeError:
        pass
"""

#: fitdecode iterating every frame of the files listed in argv[1]; prints its own seconds
_FITDECODE = """
import json, sys, time, warnings
import fitdecode
paths = open(sys.argv[1]).read().splitlines()
t = time.perf_counter()
for path in paths:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with fitdecode.FitReader(path) as reader:
                for _ in reader:
                    pass
        except fitdecode.FitError:
            pass
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


@dataclass
class Timed:
    wall: float
    parent: float = float("nan")
    workers: float = float("nan")


def timed(cmd: list[str], env: dict[str, str]) -> Timed:
    """Run ``cmd`` to its end; its wall time and, when it reports them, its own and its workers' CPU."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    for line in reversed(proc.stderr.strip().splitlines()):
        if line.startswith("{"):
            cpu = json.loads(line)
            return Timed(wall, cpu["parent"], cpu["workers"])
    return Timed(wall)


def median(runs: list[Timed]) -> Timed:
    return Timed(*(statistics.median(getattr(r, f) for r in runs) for f in ("wall", "parent", "workers")))


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {cpu}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")  # fmt: skip


def environment(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "FITPLUG_DATA_DIR": str(tmp / "data"),
        "FITPLUG_CONFIG_DIR": str(tmp / "config"),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed package runs: bytecode cached
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="archive folder (built there when empty)")
    parser.add_argument("--files", default="1000,5000", help="archive sizes, comma-separated (default 1000,5000)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (median shown)")
    parser.add_argument("--slow-files", type=int, default=40, help="fitdecode reads a random sample of this many")
    args = parser.parse_args()
    sizes = [int(n) for n in args.files.split(",")]

    sys.path.insert(0, str(BENCH))
    import archive

    if not args.archive.is_dir() or len(list(args.archive.glob("activity-*.fit"))) < max(sizes):
        print(f"building {max(sizes)} files in {args.archive} ...", file=sys.stderr)
        archive.build_archive(args.archive, max(sizes))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = environment(tmp)
        folders = {n: archive.first_files(args.archive, n, tmp / f"first{n}") for n in sizes}
        paths = {n: sorted(folders[n].glob("*.fit")) for n in sizes}
        lists = {}
        for n in sizes:
            lists[n] = tmp / f"files{n}.txt"
            lists[n].write_text("\n".join(str(p) for p in paths[n]))
            for p in paths[n]:  # the page cache warm for every contender alike
                p.read_bytes()
        cli = [sys.executable, "-c", _CLI]
        syncs: dict[int, list[Timed]] = {n: [] for n in sizes}
        fitfast: dict[int, list[Timed]] = {n: [] for n in sizes}
        cat: dict[int, list[Timed]] = {n: [] for n in sizes}
        db = {}
        for i in range(args.repeat):
            print(f"round {i + 1} of {args.repeat} ...", file=sys.stderr)
            for n in sizes:
                db[n] = tmp / f"cold{n}-{i}.sqlite3"
                # its own config folder: a sync remembers its sources, and the next one would read them too
                fresh = {**env, "FITPLUG_CONFIG_DIR": str(tmp / f"config{n}-{i}")}
                syncs[n].append(timed([*cli, "--db", str(db[n]), "sync", str(folders[n])], fresh))
                fitfast[n].append(timed([sys.executable, "-c", _FITFAST, str(lists[n])], env))
                cat[n].append(timed(["cat", *map(str, paths[n])], env))
        rows = []
        for n in sizes:
            with sqlite3.connect(db[n]) as c:
                stored = c.execute("SELECT count(*) FROM activities").fetchone()[0]
                errors = c.execute("SELECT count(*) FROM files WHERE status = 'error'").fetchone()[0]
            fresh = {**env, "FITPLUG_CONFIG_DIR": str(tmp / f"config{n}-{args.repeat - 1}")}
            warm = median([timed([*cli, "--db", str(db[n]), "sync", str(folders[n])], fresh) for _ in range(3)])
            rng = random.Random(1)
            sample = sorted(rng.sample(paths[n], min(args.slow_files, n)))
            sample_list = tmp / f"sample{n}.txt"
            sample_list.write_text("\n".join(map(str, sample)))
            print(f"fitdecode over {len(sample)} of {n} files ...", file=sys.stderr)
            out = subprocess.run([sys.executable, "-c", _FITDECODE, str(sample_list)], env=env, capture_output=True,
                                 text=True, check=True)  # fmt: skip
            total = sum(p.stat().st_size for p in paths[n])
            fitdecode = json.loads(out.stdout)["seconds"] * total / sum(p.stat().st_size for p in sample)
            rows.append((n, total, median(syncs[n]), median(fitfast[n]), median(cat[n]), fitdecode, warm,
                         stored, errors))  # fmt: skip

    print(f"\nMachine: {machine()}")
    print(f"Archive: {args.archive}; medians of {args.repeat} interleaved rounds; whole processes\n")
    print(
        "| files | MB | cold sync wall s | parent CPU s | workers CPU s | wall / CPU | fitfast s | × fitfast "
        "| fitdecode s (extrap.) | × fitdecode | cat s | sync / cat | warm sync s | stored |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, total, s, ff, c, fd, warm, stored, errors in rows:
        print(f"| {n} | {total / 1e6:.0f} | {s.wall:.3f} | {s.parent:.3f} | {s.workers:.3f} "
              f"| {s.wall / (s.parent + s.workers):.2f} | {ff.wall:.3f} | {ff.wall / s.wall:.1f}× "
              f"| {fd:.1f} | {fd / s.wall:.0f}× | {c.wall:.3f} | {s.wall / c.wall:.1f}× | {warm.wall:.3f} "
              f"| {stored} activities, {errors} unreadable |")  # fmt: skip
    print(
        "\ntargets (issue 23): ≥ 6× fitfast at 1,000 files and ≥ 8× at 5,000; ≥ 400× fitdecode; within 6× of "
        "cat at 5,000; wall / CPU ≤ 0.6 on two cores"
    )


if __name__ == "__main__":
    main()

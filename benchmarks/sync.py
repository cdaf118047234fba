"""Time `fitplug sync` over an archive against fitdecode, Garmin's Decoder and fitfast, in one run.

Builds (or reuses) an archive of N distinct activity files with
``benchmarks/archive.py``, then times, each several times (median shown):

- cold sync: the real ``fitplug sync ARCHIVE`` in a subprocess, fresh ``--db``
  each time; it checks every file's CRC (natively, with anycrc: issue 13). Once
  more as before issue 13, the same command with the CRC check switched off
  (``Crc.SKIP``), so the cost of checking is printed from one run;
- warm sync: the same command again on the synced store (nothing changed);
- the readers alone, each in its own process over the same files
  (``benchmarks/read.py``): fitscan, fitscan with CRC checks, fitdecode (full
  iteration, default options: the baseline), Garmin's SDK Decoder, and
  fitfast when it imports. fitdecode and the SDK read a fixed random sample
  (``--slow-files``) and are extrapolated to the archive by bytes;
- start-up: ``fitplug --help`` and ``fitplug status`` against ``python -c pass``.

"wall" is the whole subprocess (interpreter start included); "in-process" is
the command's own time after ``import fitplug.cli``. Peak RSS is sampled from
``getrusage(RUSAGE_CHILDREN)`` (the largest single process of the command,
workers included); for the cold sync, the sum over the process and its
workers is sampled from /proc in one more, untimed run.
The page cache is warm (the archive was just written or read).

    python benchmarks/sync.py                      # quick: 200 files
    python benchmarks/sync.py --files 2000 --archive /tmp/fit-archive --slow-files 100
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
BASELINE = "fitdecode"
PROGRAMME = ROOT / "templates" / "glute-runner.toml"

_CLI = """
import json, sys, time
t0 = time.perf_counter()
from fitplug.cli import cli
t1 = time.perf_counter()
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"import": t1 - t0, "run": time.perf_counter() - t1, "code": code}), file=sys.stderr)
"""

#: the same command with the CRC check off, as every sync was before issue 13: the command's one
#: call of ``ingest.sync`` passes ``crc=Crc.SKIP`` (imported in the timed part, where the command
#: itself imports them)
_CLI_NO_CRC = _CLI.replace(
    "t1 = time.perf_counter()\n",
    """t1 = time.perf_counter()
import functools
import fitplug.activities.ingest
import fitplug.app.sync
from fitplug.activities.read.reader import Crc
fitplug.app.sync.sync = functools.partial(fitplug.activities.ingest.sync, crc=Crc.SKIP)
""",
)
assert _CLI_NO_CRC != _CLI


#: the library's warm sync alone, median of argv[3] calls, after the imports
_LIBRARY_WARM = """
import datetime as dt, json, statistics, sys, time
from pathlib import Path
from fitplug.activities.store.store import Store
from fitplug.activities.ingest import sync
now = dt.datetime.now(dt.UTC)
times = []
with Store(sys.argv[1]) as store:
    for _ in range(int(sys.argv[3])):
        t = time.perf_counter()
        result = sync(store, [Path(sys.argv[2])], programme=None, now=now)
        times.append(time.perf_counter() - t)
        assert not result.new and not result.skipped
print(json.dumps({"run": statistics.median(times), "code": 0}), file=sys.stderr)
"""


@dataclass
class Run:
    wall: float
    inner: float | None
    rss_max_mb: float
    rss_sum_mb: float


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parents.get(p, [])
    return out


#: runs ``argv`` and reports the peak RSS of the largest process of its tree (KiB on Linux)
_WRAP = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
print("MAXRSS", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def measure(cmd: list[str], env: dict[str, str]) -> Run:
    """Run ``cmd``; its wall time, its own time (when it reports one), peak RSS of its largest process."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WRAP, *cmd], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - t0
    err = proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    inner, maxrss = None, 0.0
    for line in err.strip().splitlines():
        if line.startswith("{"):
            inner = json.loads(line)["run"]
        elif line.startswith("MAXRSS"):
            maxrss = int(line.split()[1]) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Run(wall, inner, maxrss, float("nan"))


def tree_rss_mb(cmd: list[str], env: dict[str, str]) -> float:
    """Peak of the summed RSS of ``cmd`` and its workers, sampled from /proc (an untimed run)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_rss_kb(p) for p in _tree(proc.pid)))
        time.sleep(0.02)
    return peak / 1024


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.inner for r in runs) if all(r.inner is not None for r in runs) else None,
        max(r.rss_max_mb for r in runs),
        float("nan"),
    )


def reader(name: str, paths: list[Path], repeat: int, tmp: Path) -> dict[str, object]:
    """One reader of benchmarks/read.py over ``paths`` in its own process."""
    listing = tmp / f"{name.replace(' ', '-')}.txt"
    listing.write_text("\n".join(str(p) for p in paths))
    out = subprocess.run(
        [sys.executable, str(BENCH / "read.py"), "--worker", name, str(listing), "--repeat", str(repeat)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                      if x.startswith("MemTotal"))  # fmt: skip
        mem = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        mem = "? RAM"
    return (f"{os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {cpu}, {mem}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, help="archive files (default 200: quick)")
    parser.add_argument("--archive", type=Path, help="archive folder (built there when short of files)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each timing (median)")
    parser.add_argument(
        "--slow-files",
        type=int,
        default=40,
        help="fitdecode/SDK read a fixed random sample of this many files (0: all)",
    )
    parser.add_argument("--slow-repeat", type=int, default=1, help="repetitions for fitdecode/SDK")
    parser.add_argument("--startup-repeat", type=int, default=15)
    args = parser.parse_args()

    sys.path.insert(0, str(BENCH))
    import archive

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = args.archive or tmp / "archive"
        paths = sorted(folder.glob("activity-*.fit"))[: args.files] if folder.is_dir() else []
        if len(paths) < args.files:
            print(f"building {args.files} files in {folder} ...", file=sys.stderr)
            archive.build_archive(folder, args.files)
            paths = sorted(folder.glob("activity-*.fit"))[: args.files]
        if len(paths) != len(list(folder.glob("*.fit"))):
            raise SystemExit(f"{folder} holds other .fit files too: sync would read them; use an own folder")
        total = sum(p.stat().st_size for p in paths)
        for p in paths:  # warm the page cache for every contender alike
            p.read_bytes()
        n = len(paths)
        env = {
            **os.environ,
            "FITPLUG_DATA_DIR": str(tmp / "data"),
            "FITPLUG_CONFIG_DIR": str(tmp / "config"),
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        # as an installed package runs: with its modules' bytecode cached
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cli = [sys.executable, "-c", _CLI]
        rows: list[tuple[str, int, int, float, Run | None, str]] = []

        def sync_runs() -> tuple[Run, Run, Path]:
            """Cold syncs with the CRC check and without, alternating run by run (the same load for both)."""
            checked: list[Run] = []
            skipped: list[Run] = []
            db = tmp / "none"
            for i in range(args.repeat):
                for crc, runs in ((True, checked), (False, skipped)):
                    path = tmp / f"{'crc' if crc else 'nocrc'}-{i}.sqlite3"
                    command = cli if crc else [sys.executable, "-c", _CLI_NO_CRC]
                    runs.append(measure([*command, "--db", str(path), "sync", str(folder)], env))
                    db = path if crc else db
            return median_run(checked), median_run(skipped), db

        print(f"cold sync, with and without the CRC check, x{args.repeat} ...", file=sys.stderr)
        cold, unchecked, db = sync_runs()
        cold.rss_sum_mb = tree_rss_mb([*cli, "--db", str(tmp / "tree.sqlite3"), "sync", str(folder)], env)
        with sqlite3.connect(db) as c:
            stored = c.execute("SELECT count(*) FROM activities").fetchone()[0]
            errors = c.execute("SELECT count(*) FROM files WHERE status = 'error'").fetchone()[0]
        rows.append(
            (
                "cold sync (fitplug sync)",
                n,
                total,
                cold.inner or cold.wall,
                cold,
                f"{stored} activities stored, {errors} unreadable",
            )
        )
        print("warm sync ...", file=sys.stderr)
        warm = median_run([measure([*cli, "--db", str(db), "sync", str(folder)], env) for _ in range(args.repeat)])
        rows.append(("warm sync (nothing changed)", n, total, warm.inner or warm.wall, warm, ""))
        lib = measure([sys.executable, "-c", _LIBRARY_WARM, str(db), str(folder), str(args.repeat)], env)
        rows.append(
            (
                "warm sync, library call sync()",
                n,
                total,
                lib.inner or lib.wall,
                Run(lib.inner or 0, None, lib.rss_max_mb, float("nan")),
                "the walk and the unchanged check alone: no interpreter start, no imports",
            )
        )
        rows.append(
            (
                "cold sync, no CRC check (before #13)",
                n,
                total,
                unchecked.inner or unchecked.wall,
                unchecked,
                "the same command with Crc.SKIP",
            )
        )

        rng = random.Random(1)
        sample = paths if not args.slow_files or args.slow_files >= n else sorted(rng.sample(paths, args.slow_files))
        sample_bytes = sum(p.stat().st_size for p in sample)
        readers = [
            ("fitscan", paths, args.repeat),
            ("fitscan verify", paths, args.repeat),
            ("fitfast parse", paths, args.repeat),
            ("fitfast count", paths, args.repeat),
            ("fitdecode", sample, args.slow_repeat),
            ("garmin-fit-sdk", sample, args.slow_repeat),
        ]
        for name, ps, rep in readers:
            print(f"{name} over {len(ps)} files x{rep} ...", file=sys.stderr)
            result = reader(name, ps, rep, tmp)
            size = sum(p.stat().st_size for p in ps)
            label = {
                "fitscan": "fitscan alone (1 process)",
                "fitscan verify": "fitscan + CRC alone (1 process)",
                "fitfast parse": "fitfast.parse (summary read)",
                "fitfast count": "fitfast.count",
                "fitdecode": "fitdecode (baseline)",
                "garmin-fit-sdk": "Garmin SDK Decoder",
            }[name]
            if "error" in result:
                rows.append((label, len(ps), size, float("nan"), None, str(result["error"])))
                continue
            t = statistics.median(result["times"])  # type: ignore[arg-type]
            rss = float(result["rss_mb"])  # type: ignore[arg-type]
            note = ""
            if ps is not paths:  # extrapolate to the whole archive by bytes
                note = f"sample of {len(ps)} files ({size / 1e6:.1f} MB), extrapolated by bytes"
                t, size = t * total / sample_bytes, total
            rows.append((label, n, size, t, Run(t, t, rss, float("nan")), note))

        print("start-up ...", file=sys.stderr)
        startup: list[tuple[str, float, str]] = []
        status_args = ["--db", str(db), "status", "--programme", str(PROGRAMME)]
        subprocess.run([sys.executable, "-m", "fitplug", *status_args], env=env, check=True,
                       capture_output=True)  # a first run, so the page cache is warm  # fmt: skip
        for label, cmd in (
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("fitplug --help", [sys.executable, "-m", "fitplug", "--help"]),
            ("fitplug status", [sys.executable, "-m", "fitplug", *status_args]),
        ):
            times = [measure(cmd, env).wall for _ in range(args.startup_repeat)]
            startup.append((label, statistics.median(times), ""))

    base = next((r[3] for r in rows if r[0].startswith(BASELINE)), None)
    print(f"\nMachine: {machine()}")
    print(
        f"Archive: {n} files, {total / 1e6:.1f} MB; median of {args.repeat} "
        f"(fitdecode/SDK: {len(sample)} files, median of {args.slow_repeat})\n"
    )
    head = (
        f"| {'what':34} | {'files':>5} | {'seconds':>8} | {'MB/s':>8} | {'files/s':>8} "
        f"| {'peak RSS MB (max/sum)':>21} | {'× fitdecode':>11} | note"
    )
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|---|")
    for label, files, size, t, run, note in rows:
        if run is None:
            print(f"| {label:34} | {files:>5} | {'-':>8} | {'-':>8} | {'-':>8} | {'-':>21} | {'-':>11} | {note}")
            continue
        ratio = f"{base / t:.0f}×" if base and t else "-"
        rss = f"{run.rss_max_mb:.0f}" + (f" / {run.rss_sum_mb:.0f}" if run.rss_sum_mb == run.rss_sum_mb else "")
        extra = note
        if run.inner is not None and run.wall != run.inner:
            extra = f"wall {run.wall:.3f} s with interpreter start" + (f"; {note}" if note else "")
        print(
            f"| {label:34} | {files:>5} | {t:>8.3f} | {size / t / 1e6:>8.1f} | {files / t:>8.0f} | {rss:>21} | "
            f"{ratio:>11} | {extra}"
        )
    cold_t = cold.inner or cold.wall
    warm_t = warm.inner or warm.wall
    lib_t = lib.inner or lib.wall
    print(
        f"\nwarm / cold: {warm_t / cold_t:.2%} in-process, {warm.wall / cold.wall:.2%} wall, "
        f"{lib_t / cold_t:.2%} library call against the in-process cold sync"
    )
    before = unchecked.inner or unchecked.wall
    print(
        f"checking every CRC costs {cold_t / before - 1:+.1%} on the cold sync "
        f"({cold_t:.3f} s against {before:.3f} s without; target: within +10%)"
    )
    print("\n| start-up | median s |")
    print("|---|---|")
    for label, t, _ in startup:
        print(f"| {label} | {t:.3f} |")


if __name__ == "__main__":
    main()

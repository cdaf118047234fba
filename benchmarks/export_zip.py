"""Time `fitplug sync` of a Garmin-export-shaped zip against the same files as a folder (issue 23).

The export (built once, under ``--out``: the archive's files in a deflated zip,
itself deflated in the outer zip at
``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip``, as Connect
nests them) and the folder are synced cold, interleaved, ``--repeat`` times
each, whole processes. For each: the wall time, the peak of the summed RSS of
the sync and its workers (sampled from /proc every 20 ms), their CPU seconds
(user + system of the sync and every worker it waited for), and how many times a
nested zip was inflated (``zips.spool_member`` counted in the sync and, forked,
in its workers: a line per call in a log file). Also a bare inflate of the
inner zip alone (one process, one core), with zipfile and the standard zlib and
with fitplug's own inflater (zlib-ng's where installed): the floor of spooling
it. The load average is printed before and after: the machine may be shared.

    python benchmarks/export_zip.py --archive /tmp/fitplug-bench/archive --out /tmp/fitplug-bench/export
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

#: `fitplug sync` with every call of zips.spool_member noted in the file argv[1] (workers fork with it)
_CLI = """
import os, sys
from fitplug.activities.files import zips
log, real = sys.argv.pop(1), zips.spool_member
def counted(*args, **kwargs):
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(fd, b"spool\\n")
    os.close(fd)
    return real(*args, **kwargs)
zips.spool_member = counted
from fitplug.cli import cli
cli(sys.argv[1:])
"""


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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sync(source: Path, tmp: Path, n: int, env: dict[str, str]) -> tuple[float, float, int, float]:
    """One cold sync of ``source``: wall seconds, peak summed RSS (MB), nested zips inflated, CPU seconds."""
    log = tmp / f"spools-{n}.log"
    run_env = {**env, "FITPLUG_CONFIG_DIR": str(tmp / f"config-{n}")}
    cmd = [sys.executable, "-c", _CLI, str(log), "--db", str(tmp / f"db-{n}.sqlite3"), "sync", str(source)]
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_rss_kb(p) for p in _tree(proc.pid)))
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0  # the sync and its workers (each waited for by its parent)
    if proc.returncode != 0:
        raise SystemExit(f"sync of {source} failed:\n{proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    spools = len(log.read_text().splitlines()) if log.exists() else 0
    return wall, peak / 1024, spools, cpu


def bare_inflate(export: Path, own: bool) -> float:
    """Seconds to inflate the export's inner zip once, to a temporary file (no reading of its members):
    with zipfile (the standard zlib), or (``own``) with fitplug's inflater."""
    from fitplug.activities.files import inflate

    t0 = time.perf_counter()
    with zipfile.ZipFile(export) as z, tempfile.TemporaryFile() as out:
        info = z.getinfo(archive_inner())
        if own:
            assert z.fp is not None
            for chunk in inflate.stream(z.fp, info, 1 << 20):
                out.write(chunk)
        else:
            with z.open(info) as f:
                while chunk := f.read(1 << 20):
                    out.write(chunk)
    return time.perf_counter() - t0


def archive_inner() -> str:
    import archive

    return str(archive.EXPORT_INNER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="folder of activity-*.fit files")
    parser.add_argument("--out", type=Path, required=True, help="where the export zip is built (once)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    import archive

    export = args.out / "export.zip"
    if not export.is_file():
        print(f"building {export} ...", file=sys.stderr)
    archive.build_export(args.archive, export)
    files = sorted(args.archive.glob("activity-*.fit"))
    for p in files:
        p.read_bytes()
    export.read_bytes()
    load = [os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "FITPLUG_DATA_DIR": str(tmp / "data"),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}  # fmt: skip
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        runs: dict[str, list[tuple[float, float, int, float]]] = {"folder": [], "export zip": []}
        n = 0
        for i in range(args.repeat):
            print(f"round {i + 1} of {args.repeat} ...", file=sys.stderr)
            for name, source in (("folder", args.archive), ("export zip", export)):
                n += 1
                runs[name].append(sync(source, tmp, n, env))
        bare = statistics.median(bare_inflate(export, own=False) for _ in range(args.repeat))
        own = statistics.median(bare_inflate(export, own=True) for _ in range(args.repeat))
    load.append(os.getloadavg())
    from fitplug.activities.files import inflate

    inflater = inflate.backend().__name__
    print(f"\n{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB; export zip "
          f"{export.stat().st_size / 1e6:.0f} MB; medians of {args.repeat} interleaved cold syncs, "
          "whole processes\n")  # fmt: skip
    print("| source | wall s | CPU s (sync + workers) | peak summed RSS MB | nested zips inflated |")
    print("|---|---:|---:|---:|---:|")
    med = {}
    for name, rs in runs.items():
        med[name] = tuple(statistics.median(r[k] for r in rs) for k in (0, 3, 1)) + (max(r[2] for r in rs),)
        print(f"| {name} | {med[name][0]:.3f} | {med[name][1]:.2f} | {med[name][2]:.0f} | {med[name][3]:.0f} |")
    f, z = med["folder"], med["export zip"]
    print(
        f"\nexport zip / folder: wall {z[0] / f[0]:.2f}×, CPU {z[1] / f[1]:.2f}×, peak summed RSS "
        f"{z[2] / f[2]:.2f}× (targets ≤ 1.5× for wall and RSS); inner zip inflated {z[3]:.0f} time(s) per sync "
        "(target: at most once)"
    )
    print(f"a bare inflate of the inner zip alone, one core: {bare:.3f} s with zipfile (zlib), "
          f"{own:.3f} s with fitplug's inflater ({inflater})")  # fmt: skip
    print(
        "load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
            *load[0], *load[1]
        )
    )


if __name__ == "__main__":
    main()

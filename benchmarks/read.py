"""Time reading one file at a time: fitplug's scanner (C walker and Python walker) against fitfast, fitdecode, cat.

Over the same archive files (the first 1,000 and the first 5,000 of
``--archive``, as ``benchmarks/sync.py --files N`` takes them), each reader in
its own child process, interleaved round by round (``--repeat`` rounds; the
table shows medians), in one run:

- ``fitplug native``: :func:`fitplug.activities.read.scan.scan` with CRC checks
  (``verify=True``, as every sync reads), the file opened as the reader opens it,
  the C record walker (``_fitwalk``);
- ``fitplug python``: the same with ``FITPLUG_PURE_PYTHON=1``, the pure-Python
  walk that is the fallback where the extension is not built;
- ``fitfast``: ``fitfast.records(path, "session")``, the Rust reader decoding
  session messages only (the issue's baseline);
- ``fitdecode``: full iteration, on a sample (``--fitdecode-files``), its time
  extrapolated by bytes to all files;
- ``cat``: ``cat`` of the same files to /dev/null (the whole process).

Ratios: ``x fitfast`` and ``x fitdecode`` = that reader's time / this one's
(higher is faster); ``/ cat`` = this one's time / cat's.

    python benchmarks/read.py --archive /tmp/fitplug-bench/archive            # 1,000 and 5,000 files
    python benchmarks/read.py --archive /tmp/arch --sizes 200 --repeat 3   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _fitplug(verify: bool = True) -> Callable[[Path], object]:
    from fitplug.activities.files.fitfile import open_fit
    from fitplug.activities.read import scan as fitscan

    def read(path: Path) -> object:
        with open_fit(path) as fit:  # the scanning strategy alone, as the reader opens files
            try:
                return fitscan.scan(fit.buf, fit.size, verify=verify, mm=fit.mm)
            except fitscan.ScanError:
                return None

    return read


def _fitfast(mode: str = "session") -> Callable[[Path], object]:
    import fitfast  # optional: a Rust-backed decoder, not a fitplug dependency

    def read(path: Path) -> object:
        try:
            if mode == "parse":
                return fitfast.parse(path)
            if mode == "count":
                return fitfast.count(path)
            return fitfast.records(path, "session")  # session messages only: the baseline
        except fitfast.FitDecodeError:
            return None

    return read


def _fitdecode() -> Callable[[Path], object]:
    import fitdecode

    def read(path: Path) -> object:
        n = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with fitdecode.FitReader(str(path)) as reader:
                    for _ in reader:
                        n += 1
            except fitdecode.FitError:
                pass
        return n

    return read


def _sdk() -> Callable[[Path], object]:
    from garmin_fit_sdk import Decoder, Stream

    def read(path: Path) -> object:
        return Decoder(Stream.from_file(str(path))).read()

    return read


#: the readers of this benchmark's table, in its order
READERS: dict[str, Callable[[], Callable[[Path], object]]] = {
    "fitplug native": _fitplug,
    "fitplug python": _fitplug,
    "fitfast": _fitfast,
    "fitdecode": _fitdecode,
}
#: the workers benchmarks/sync.py asks for by name (``--worker NAME LIST --repeat N``)
WORKERS: dict[str, Callable[[], Callable[[Path], object]]] = {
    **READERS,
    "fitscan": lambda: _fitplug(False),
    "fitscan verify": _fitplug,
    "fitfast parse": lambda: _fitfast("parse"),
    "fitfast count": lambda: _fitfast("count"),
    "garmin-fit-sdk": _sdk,
}


def worker(name: str, list_file: Path, repeat: int) -> None:
    """Child process: read every listed file ``repeat`` times with one reader, print JSON on stdout."""
    paths = [Path(p) for p in list_file.read_text().splitlines()]
    try:
        read = WORKERS[name]()
    except ImportError as exc:
        print(json.dumps({"error": f"not installed ({exc.name})"}))
        return
    if name.startswith("fitplug "):
        from fitplug.activities.read import scan as fitscan

        walker = "native" if fitscan.native is not None else "python"
        if walker != name.split()[1]:
            print(json.dumps({"error": f"the {walker} walker ran (is the extension built?)"}))
            return
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for p in paths:
            read(p)
        times.append(time.perf_counter() - t)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"time": times[0], "times": times, "rss_mb": rss_mb}))


def _child(name: str, list_file: Path) -> float | str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    if name == "fitplug python":
        env["FITPLUG_PURE_PYTHON"] = "1"
    else:
        env.pop("FITPLUG_PURE_PYTHON", None)
    out = subprocess.run(
        [sys.executable, __file__, "--worker", name, str(list_file), "--repeat", "1"],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result.get("error") or float(result["time"])


def _cat(paths: list[Path]) -> float:
    t = time.perf_counter()
    subprocess.run(["cat", *map(str, paths)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def measure(paths: list[Path], sample: list[Path], repeat: int, tmp: Path) -> dict[str, float | str]:
    """Median seconds per reader over all ``paths`` (fitdecode: its sample, scaled by bytes)."""
    lists = {"all": tmp / f"all-{len(paths)}.txt", "sample": tmp / f"sample-{len(paths)}.txt"}
    lists["all"].write_text("\n".join(map(str, paths)))
    lists["sample"].write_text("\n".join(map(str, sample)))
    scale = sum(p.stat().st_size for p in paths) / max(1, sum(p.stat().st_size for p in sample))
    times: dict[str, list[float]] = {name: [] for name in [*READERS, "cat"]}
    errors: dict[str, str] = {}
    _cat(paths)  # the page cache holds the files for every reader alike
    for _ in range(repeat):  # interleaved: each round runs every reader once
        for name in READERS:
            if name in errors:
                continue
            got = _child(name, lists["sample" if name == "fitdecode" else "all"])
            if isinstance(got, str):
                errors[name] = got
            else:
                times[name].append(got * scale if name == "fitdecode" else got)
        times["cat"].append(_cat(paths))
    return {name: errors.get(name) or statistics.median(ts) for name, ts in times.items()}


def table(n: int, megabytes: float, result: dict[str, float | str], sample: int) -> None:
    def ratio(base: str, name: str, inverse: bool = False) -> str:
        b, t = result.get(base), result[name]
        if not isinstance(b, float) or not isinstance(t, float) or name == base:
            return "-"
        return f"{t / b:.2f}" if inverse else f"{b / t:.1f}"

    print(f"\n{n} files, {megabytes:.1f} MB (fitdecode: {sample} files, extrapolated by bytes)")
    print(f"{'reader':16} {'s':>8} {'MB/s':>8} {'x fitfast':>10} {'x fitdecode':>12} {'/ cat':>7}")
    for name, t in result.items():
        if isinstance(t, str):
            print(f"{name:16} {'-':>8}  {t}")
            continue
        print(
            f"{name:16} {t:>8.3f} {megabytes / t:>8.1f} {ratio('fitfast', name):>10} "
            f"{ratio('fitdecode', name):>12} {ratio('cat', name, inverse=True):>7}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="folder of activity-*.fit (benchmarks/archive.py)")
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated file counts (default 1000,5000)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="interleaved rounds (median shown); a worker's repetitions"
    )
    parser.add_argument("--fitdecode-files", type=int, default=10, help="fitdecode's sample: the first N files")
    parser.add_argument("--worker", nargs=2, metavar=("READER", "LIST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.repeat)
        return
    if args.archive is None:
        parser.error("--archive is required")
    every = sorted(args.archive.glob("activity-*.fit"))
    print(f"{args.archive}; median of {args.repeat} interleaved rounds; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            paths = every[:n]
            if len(paths) < n:
                sys.exit(f"{args.archive} has {len(every)} files, fewer than {n}")
            sample = paths[: args.fitdecode_files]
            result = measure(paths, sample, args.repeat, Path(tmp))
            table(n, sum(p.stat().st_size for p in paths) / 1e6, result, len(sample))


if __name__ == "__main__":
    main()

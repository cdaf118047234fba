"""Time FIT readers over the same activity files: fitscan against fitdecode and the SDK.

Each reader runs in its own child process (so its peak RSS is its own), over
every file, ``--repeat`` times; the table shows the median. fitdecode (full
iteration, default options) is the named baseline of the ratio column.

    python benchmarks/read.py                         # 50 files, quick
    python benchmarks/read.py --files 2000 --slow-files 100 --archive /tmp/arch
    python benchmarks/read.py --corpus                # the shared corpus as it is
"""

from __future__ import annotations

import argparse
import json
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
BASELINE = "fitdecode"


def _fitscan(verify: bool) -> Callable[[Path], object]:
    from fitplug.activities.files.fitfile import open_fit
    from fitplug.activities.read.scan import ScanError, scan

    def read(path: Path) -> object:
        with open_fit(path) as fit:  # the scanning strategy alone, as the reader opens files
            try:
                return scan(fit.buf, fit.size, verify=verify, mm=fit.mm)
            except ScanError:
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


def _fitfast(mode: str) -> Callable[[Path], object]:
    import fitfast  # optional: a Rust-backed decoder, not a fitplug dependency

    call = fitfast.parse if mode == "parse" else fitfast.count

    def read(path: Path) -> object:
        try:
            return call(path)
        except fitfast.FitDecodeError:
            return None

    return read


READERS: dict[str, Callable[[], Callable[[Path], object]]] = {
    "fitscan": lambda: _fitscan(False),
    "fitscan verify": lambda: _fitscan(True),
    "fitdecode": _fitdecode,
    "garmin-fit-sdk": _sdk,
    "fitfast parse": lambda: _fitfast("parse"),
    "fitfast count": lambda: _fitfast("count"),
}
SLOW = {"fitdecode", "garmin-fit-sdk"}


def worker(name: str, list_file: Path, repeat: int) -> None:
    """Child process: time one reader, print JSON on stdout."""
    paths = [Path(p) for p in list_file.read_text().splitlines()]
    try:
        read = READERS[name]()
    except ImportError as exc:
        print(json.dumps({"error": f"not installed ({exc.name})"}))
        return
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for p in paths:
            read(p)
        times.append(time.perf_counter() - t)
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"times": times, "rss_mb": rss_kb / 1024}))


def run(paths: list[Path], slow_paths: list[Path], repeat: int, slow_repeat: int, readers: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lists = {}
        for key, ps in (("all", paths), ("slow", slow_paths)):
            lists[key] = Path(tmp) / f"{key}.txt"
            lists[key].write_text("\n".join(str(p) for p in ps))
        rows = []
        for name in readers:
            key = "slow" if name in SLOW else "all"
            ps = slow_paths if key == "slow" else paths
            out = subprocess.run(
                [sys.executable, __file__, "--worker", name, str(lists[key]), "--repeat",
                 str(slow_repeat if key == "slow" else repeat)],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            result = json.loads(out.stdout.strip().splitlines()[-1])
            size = sum(p.stat().st_size for p in ps)
            if "error" in result:
                rows.append((name, len(ps), None, None, None, result["error"]))
                continue
            t = statistics.median(result["times"])
            rows.append((name, len(ps), size / t / 1e6, len(ps) / t, result["rss_mb"], ""))
    base = next((r[2] for r in rows if r[0] == BASELINE and r[2]), None)
    print(f"{'reader':16} {'files':>6} {'MB/s':>9} {'files/s':>9} {'peak RSS MB':>12} "
          f"{'x ' + BASELINE:>12}")  # fmt: skip
    for name, n, mbs, fps, rss, note in rows:
        if mbs is None:
            print(f"{name:16} {n:>6} {'-':>9} {'-':>9} {'-':>12} {'-':>12}  {note}")
            continue
        ratio = f"{mbs / base:.1f}" if base else "-"
        print(f"{name:16} {n:>6} {mbs:>9.2f} {fps:>9.1f} {rss:>12.1f} {ratio:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=50, help="archive files to read")
    parser.add_argument("--slow-files", type=int, default=None,
                        help="fitdecode/SDK read only the first N (default: all)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median shown)")
    parser.add_argument("--slow-repeat", type=int, default=None,
                        help="repetitions for fitdecode/SDK (default: --repeat)")  # fmt: skip
    parser.add_argument("--archive", type=Path, help="archive folder (built there if empty)")
    parser.add_argument("--corpus", action="store_true", help="read the shared corpus instead")
    parser.add_argument("--readers", default=",".join(READERS), help="comma-separated")
    parser.add_argument("--worker", nargs=2, metavar=("READER", "LIST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.repeat)
        return

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import archive

    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus:
            if archive.CORPUS is None:
                sys.exit("no ../shared/fit-corpus beside the checkout")
            paths = sorted(p for p in archive.CORPUS.rglob("*") if p.suffix.lower() == ".fit")
        else:
            folder = args.archive or Path(tmp)
            paths = sorted(folder.glob("activity-*.fit"))[: args.files]
            if len(paths) < args.files:
                paths = archive.build_archive(folder, args.files)
        slow = paths[: args.slow_files] if args.slow_files else paths
        slow_repeat = args.slow_repeat or args.repeat
        total = sum(p.stat().st_size for p in paths)
        print(f"{len(paths)} files, {total / 1e6:.1f} MB; median of {args.repeat} runs "
              f"(fitdecode/SDK: {len(slow)} files, median of {slow_repeat})")  # fmt: skip
        run(paths, slow, args.repeat, slow_repeat, args.readers.split(","))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Load test for `fitplug serve` with wrk: the feed and the page against `python -m http.server`
serving the same bytes, on loopback, from a server in another process; every answer is checked.

    python benchmarks/serve_load.py                       # 5,000 tracked activities, 4 and 20 clients
    python benchmarks/serve_load.py --duration 3 --rounds 1 --activities 40
    python benchmarks/serve_load.py --url http://127.0.0.1:8765/<token>/glute-runner.ics   # the mix only

Without --url it stores ``--activities`` activities (one a day back from today, so 5,000
reach 2013) under a programme that starts on 2012-01-01 (all of them tracked), starts
`python -m fitplug serve` with a throwaway data and config folder, and prints in one run:

- the correctness mix, on the feed and the page: plain GETs (200, the same bytes),
  conditional GETs with the ETag (304, no body), HEADs (200, no body) and wrong-token
  GETs (404); exits 1 if any request was answered wrongly;
- for the feed and the page, at 4 and 20 clients: requests/s of `fitplug serve` and of
  `python -m http.server` serving the same bytes (written to a temp folder), their ratio,
  and latency p50/p99 (wrk --latency), the two servers alternated ``--rounds`` times
  (medians);
- the feed's p99 at rest, while the page is being made again (the programme file saved
  again and the page asked for, every ~2 s: only the page depends on the file's stamp),
  while the store is written (as a sync does: the feed is rebuilt too), and while the
  same render runs in a process that is not the server's, at the page child's nice 10
  (the control: what sharing the CPU alone costs); the four alternated ``--rounds``
  times (medians, each round's p99 after them).

Needs `wrk` (Debian's package) on PATH; everything it starts it stops.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("get", "conditional", "head", "wrong-token")


def request(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path, headers={"User-Agent": "fitplug-serve-load/1", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def fill_store(db: Path, count: int) -> None:
    """``count`` activities, one a day back from today: runs, with a strength session a week."""
    sys.path.insert(0, str(ROOT))
    from fitplug.activities.store.store import Store
    from fitplug.model import ActivitySession, ActivitySummary, SetRecord

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    batch = []
    for i in range(count):
        start = now - dt.timedelta(days=i, hours=2)
        strength = i % 7 == 3
        sets = (
            tuple(SetRecord(start + dt.timedelta(minutes=k), "active", 12, None, "hip_stability", 1) for k in range(6))
            if strength
            else ()
        )
        session = ActivitySession(
            "training" if strength else "running", None, start, 0, 2400.0, 2400.0, None if strength else 8000.0, 140
        )
        summary = ActivitySummary(
            hashlib.sha256(f"a{i}".encode()).hexdigest(),
            "activity",
            "garmin",
            "fr265",
            12345,
            start,
            (session,),
            "Glute Strength & Mobility" if strength else None,
            sets,
        )
        batch.append((f"bench/{i}.fit", 1000 + i, i, summary))
    db.parent.mkdir(parents=True, exist_ok=True)
    with Store(db) as store:
        for n in range(0, len(batch), 500):
            store.record_batch(batch[n : n + 500], now)


def fitplug_env(data: Path) -> dict[str, str]:
    """A throwaway data and config folder, and this checkout's fitplug."""
    return {
        **os.environ,
        "FITPLUG_DATA_DIR": str(data / "data"),
        "FITPLUG_CONFIG_DIR": str(data / "config"),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


def start_server(programme: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    env = fitplug_env(data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fitplug", "serve", str(programme), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for _ in range(5):
        line = proc.stdout.readline()
        if line.strip().startswith("http://"):
            return proc, line.strip()
        if not line:
            break
    proc.kill()
    raise SystemExit("fitplug serve did not print its URL")


def baseline(files: dict[str, bytes], tmp: Path) -> tuple[subprocess.Popen[str], int]:
    """``python -m http.server`` on a folder holding the same bytes at the same paths."""
    root = tmp / "plain"
    for path, body in files.items():
        target = root / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for _ in range(100):
        try:
            request(f"http://127.0.0.1:{port}{next(iter(files))}", timeout=2)
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("python -m http.server did not start")


#: seconds past the server's look interval (1 s) before it is asked again
LOOK_S = 1.1

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, clients: int, duration_s: float) -> dict[str, float]:
    """One bounded wrk run: requests/s, p50 and p99 (ms), and answers that were errors."""
    out = subprocess.run(
        ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{duration_s:g}s", "--timeout", "10s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=duration_s + 30,
        check=True,
    ).stdout
    got = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if found is None:
            print(f"wrk printed no {pct}th percentile:\n{out}", file=sys.stderr)
            got["p" + pct] = float("nan")
            continue
        got["p" + pct] = float(found.group(1)) * UNITS[found.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    got["bad"] = float(int(bad.group(1)) if bad else 0) + (sum(int(g) for g in errors.groups()) if errors else 0)
    return got


def compare(feed_url: str, tmp: Path, clients: list[int], duration_s: float, rounds: int) -> int:
    """Feed and page against http.server with the same bytes, alternated; 1 on any failure."""
    parts = urllib.parse.urlsplit(feed_url)
    page_path = parts.path.rsplit("/", 1)[0] + "/"
    base = f"http://127.0.0.1:{parts.port}"
    targets = {"feed": parts.path, "page": page_path}
    files = {path: request(base + path)[2] for path in targets.values()}
    plain, port = baseline(files, tmp)
    failed = 0
    print(
        f"{'':5} {'clients':>7} {'fitplug req/s':>13} {'http.server':>11} {'ratio':>6}"
        f"  {'fitplug p50/p99 ms':>18}  {'http.server p50/p99 ms':>22}"
    )
    try:
        for name, path in targets.items():
            for n in clients:
                ours, theirs = [], []
                for _ in range(rounds):  # alternated, so neither gets the quieter moments of a shared machine
                    ours.append(wrk(base + path, n, duration_s))
                    theirs.append(wrk(f"http://127.0.0.1:{port}{path}", n, duration_s))
                failed += int(sum(r["bad"] for r in ours + theirs))
                o = {k: statistics.median(r[k] for r in ours) for k in ("rps", "p50", "p99")}
                t = {k: statistics.median(r[k] for r in theirs) for k in ("rps", "p50", "p99")}
                print(
                    f"{name:5} {n:>7} {o['rps']:>13.0f} {t['rps']:>11.0f} {o['rps'] / t['rps']:>6.2f}"
                    f"  {o['p50']:>8.2f}/{o['p99']:<9.2f}  {t['p50']:>10.2f}/{t['p99']:<11.2f}"
                )
    finally:
        plain.send_signal(signal.SIGINT)
        plain.wait(timeout=10)
    print(f"bytes: feed {len(files[parts.path])}, page {len(files[page_path])}; {rounds} round(s) of {duration_s:g} s")
    return 1 if failed else 0


def while_changing(
    feed_url: str,
    change: Callable[[], None],
    clients: int,
    duration_s: float,
    then: Callable[[], bool] | None = None,
) -> tuple[dict[str, float], list[float]]:
    """The feed under wrk while ``change`` runs every ~2 s followed by ``then`` (by default a page GET;
    true when it counts), and the seconds each ``then`` took."""
    page_url = feed_url.rsplit("/", 1)[0] + "/"
    stop = threading.Event()
    waits: list[float] = []

    def churn() -> None:
        while not stop.wait(0.2):
            change()
            time.sleep(LOOK_S)
            started = time.perf_counter()
            if then() if then is not None else request(page_url)[0] == 200:
                waits.append(time.perf_counter() - started)

    side = threading.Thread(target=churn, daemon=True)
    side.start()
    try:
        return wrk(feed_url, clients, duration_s), waits
    finally:
        stop.set()
        side.join(30)


#: the control: the page's own render, at the page child's priority, in a process that is not the server's
RENDER_ASIDE = """
import datetime as dt, os, sys
from pathlib import Path
os.nice(10)
from fitplug.app.progress import render_page
for line in sys.stdin:
    render_page(Path(sys.argv[1]), db_path=Path(sys.argv[2]), now=dt.datetime.now(dt.UTC))
    print("made", flush=True)
"""


class RenderAside:
    """A process that renders the page each time it is asked (warmed once, as the server's child is)."""

    def __init__(self, programme: Path, db: Path, data: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RENDER_ASIDE, str(programme), str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=fitplug_env(data),
        )
        if not self():
            raise SystemExit("the control render failed")

    def __call__(self) -> bool:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip() == "made"

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def settle(feed_url: str) -> None:
    """Let the server see what the last phase changed and make it again before the next is timed:
    it looks at its inputs only when asked, and the request that sees a change of the store waits
    for the feed (the page too)."""
    time.sleep(LOOK_S)
    request(feed_url)
    request(feed_url.rsplit("/", 1)[0] + "/")


def rebuilds(feed_url: str, programme: Path, db: Path, data: Path, clients: int, duration_s: float, rounds: int) -> int:
    """The feed's p99 at rest, while the page is made again, while the same render runs in a process
    unrelated to the server (the control: what sharing the CPU alone costs), while the store is
    written: the four alternated ``rounds`` times (medians), so a busy moment of a shared machine
    falls on each alike, each once the server made again what the last one changed."""

    def touch() -> None:
        os.utime(programme)

    def write() -> None:
        with sqlite3.connect(db, timeout=5) as conn:
            conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('bench', ?)", (str(time.time()),))
        conn.close()

    aside = RenderAside(programme, db, data)
    phases: dict[str, Callable[[], tuple[dict[str, float], list[float]]]] = {
        "rest": lambda: (wrk(feed_url, clients, duration_s), []),
        "paged": lambda: while_changing(feed_url, touch, clients, max(duration_s, 8.0)),
        "control": lambda: while_changing(feed_url, lambda: None, clients, max(duration_s, 8.0), then=aside),
        "synced": lambda: while_changing(feed_url, write, clients, max(duration_s, 8.0)),
    }
    got: dict[str, list[dict[str, float]]] = {name: [] for name in phases}
    waits: dict[str, list[float]] = {name: [] for name in phases}
    try:
        for _ in range(rounds):
            for name, phase in phases.items():
                settle(feed_url)
                result, seen = phase()
                got[name].append(result)
                waits[name].extend(seen)
    finally:
        aside.close()
    med = {name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p99")} for name, runs in got.items()}
    rest = med["rest"]
    print(
        f"feed at {clients} clients: p99 {rest['p99']:.2f} ms at rest ({rest['rps']:.0f}/s); "
        f"medians of {rounds} round(s), at rest: " + ", ".join(f"{r['p99']:.2f}" for r in got["rest"]) + " ms"
    )
    for what, name, made in (
        ("while the page is made again", "paged", "page rebuilds, a page request waited"),
        ("while the store is written", "synced", "page rebuilds, a page request waited"),
        ("while another process renders the page at nice 10", "control", "renders, each took"),
    ):
        m, seen = med[name], waits[name]
        waited = f"{statistics.median(seen):.2f} s" if seen else "none seen"
        print(
            f"  {what}: p99 {m['p99']:.2f} ms ({m['p99'] / rest['p99']:.2f}× at rest, {m['rps']:.0f}/s; "
            + ", ".join(f"{r['p99']:.2f}" for r in got[name])
            + f" ms); {len(seen)} {made} {waited} (median)"
        )
    return 1 if any(r["bad"] for runs in got.values() for r in runs) else 0


def run(url: str, requests: int, concurrency: int) -> int:
    status, headers, body = request(url)
    if status != 200:
        print(f"first GET answered {status}; is the URL right?")
        return 1
    etag, digest = headers.get("etag", ""), hashlib.sha256(body).hexdigest()
    parts = urllib.parse.urlsplit(url)
    wrong = parts._replace(path="/not-the-token/" + parts.path.rsplit("/", 1)[-1]).geturl()
    what = "page" if parts.path.endswith("/") else "feed"

    def one(i: int) -> tuple[str, int | str, float, str | None]:
        kind = KINDS[i % 10] if i % 10 < len(KINDS) else "get"  # 70 % plain GETs, 10 % each other kind
        started = time.perf_counter()
        try:
            if kind == "get":
                st, h, b = request(url)
                ok = (
                    st == 200
                    and hashlib.sha256(b).hexdigest() == digest
                    and h.get("content-type") == headers.get("content-type")
                )
            elif kind == "conditional":
                st, h, b = request(url, headers={"If-None-Match": etag})
                ok = st == 304 and not b
            elif kind == "head":
                st, h, b = request(url, method="HEAD")
                ok = st == 200 and not b and h.get("content-length") == str(len(body))
            else:
                st, h, b = request(wrong)
                ok = st == 404
            problem = None if ok else f"{kind}: unexpected answer {st}"
            return kind, st, time.perf_counter() - started, problem
        except Exception as exc:  # noqa: BLE001  # every failure is counted, not raised
            return kind, type(exc).__name__, time.perf_counter() - started, f"{kind}: {exc!r}"

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - started

    latencies = sorted(r[2] * 1000 for r in results)
    problems = [r[3] for r in results if r[3]]
    statuses = Counter(str(r[1]) for r in results)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    print(f"requests: {len(results)}  concurrency: {concurrency}  {what}: {len(body)} bytes")
    print(f"errors: {len(problems)}")
    print("statuses: " + "  ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
    print(f"latency ms: p50={cuts[49]:.1f}  p90={cuts[89]:.1f}  p99={cuts[98]:.1f}  max={latencies[-1]:.1f}")
    print(f"throughput: {len(results) / elapsed:.0f} requests/s over {elapsed:.2f} s")
    for problem, count in Counter(problems).most_common(5):
        print(f"  {count} × {problem}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="feed URL of a running `fitplug serve` (loopback only): the mix alone")
    parser.add_argument(
        "--programme",
        type=Path,
        default=ROOT / "templates" / "glute-runner.toml",
        help="programme to serve (its start is set to 2012-01-01) when no --url is given",
    )
    parser.add_argument("--requests", type=int, default=400, help="requests of the correctness mix")
    parser.add_argument("--concurrency", type=int, default=20, help="clients of the correctness mix")
    parser.add_argument("--activities", type=int, default=5000, help="activities stored before the server starts")
    parser.add_argument("--clients", default="4,20", help="wrk connections, comma-separated")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of each wrk run (at most 60)")
    parser.add_argument("--rounds", type=int, default=2, help="alternated rounds of each comparison")
    args = parser.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 500:
        parser.error("--requests must be 1..1000000 and --concurrency 1..500")
    if not 0 < args.duration <= 60 or not 1 <= args.rounds <= 10 or not all(1 <= c <= 200 for c in clients):
        parser.error("--duration must be 0..60, --rounds 1..10, --clients 1..200 each")
    if args.url:
        if urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must be on loopback")
        return run(args.url, args.requests, args.concurrency)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="fitplug-load-") as tmp:
        db = Path(tmp) / "data" / "fitplug.sqlite3"
        fill_store(db, args.activities)
        programme = Path(tmp) / "programme.toml"
        text = args.programme.read_text(encoding="utf-8")
        programme.write_text(re.sub(r"(?m)^# ?start = \S+", "start = 2012-01-01", text), encoding="utf-8")
        proc, url = start_server(programme, Path(tmp))
        try:
            code = run(url, args.requests, args.concurrency)
            code |= run(url.rsplit("/", 1)[0] + "/", args.requests, args.concurrency)
            print(f"activities stored: {args.activities}, all inside the tracked period (start 2012-01-01)")
            code |= compare(url, Path(tmp), clients, args.duration, args.rounds)
            code |= rebuilds(url, programme, db, Path(tmp), clients[0], args.duration, args.rounds)
            return code
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())

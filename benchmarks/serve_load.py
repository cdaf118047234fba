#!/usr/bin/env python3
"""Load test for `fitplug serve`: a bounded number of concurrent requests on loopback,
from this process to a server in another process; every answer is checked.

    python benchmarks/serve_load.py                       # 5,000 activities stored, baseline too
    python benchmarks/serve_load.py --requests 5000 --concurrency 100
    python benchmarks/serve_load.py --url http://127.0.0.1:8765/<token>/glute-runner.ics

Without --url it also stores ``--activities`` activities first (5,000 by
default) and then measures, in the same run:

- the same bytes served by Python's own ``python -m http.server`` (the
  baseline: plain GETs only, as it has no ETag) and by ``fitplug serve``
  (plain GETs), with the ratio;
- ``fitplug serve`` while 200 idle connections are open;
- ``fitplug serve`` while another connection holds the store's write lock
  (as a sync does) after new data arrived: every answer must still come.

The mix: plain GETs (must be 200 with the same bytes every time), conditional
GETs with the ETag (must be 304 with no body), HEADs (200, no body) and
wrong-token GETs (must be 404). Prints requests, errors, the status counts and
latency percentiles; exits 1 if any request was answered wrongly.

Without --url it starts `python -m fitplug serve PROGRAMME --port 0` with a
throwaway data folder (so no real token is touched) and stops it at the end.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import hashlib
import http.client
import http.server
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("get", "conditional", "head", "wrong-token")
#: rounds of the baseline comparison
ROUNDS = 3


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


def start_server(programme: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "FITPLUG_DATA_DIR": str(data / "data"),
        "FITPLUG_CONFIG_DIR": str(data / "config"),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
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


def pace(url: str, requests: int, concurrency: int) -> tuple[float, int]:
    """Plain GETs only: requests per second, and how many were not 200."""

    def one(_: int) -> bool:
        try:
            return request(url)[0] == 200
        except OSError:
            return False

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        answers = list(pool.map(one, range(requests)))
    return requests / (time.perf_counter() - started), answers.count(False)


def baseline(url: str, body: bytes, tmp: Path) -> subprocess.Popen[str]:
    """``python -m http.server`` on a folder holding the same bytes at the same path."""
    path = urllib.parse.urlsplit(url).path
    target = tmp / "plain" / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp / "plain",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for _ in range(100):
        try:
            request(f"http://127.0.0.1:{port}{path}", timeout=2)
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("python -m http.server did not start")


def compare(url: str, db: Path, tmp: Path, requests: int, concurrency: int) -> int:
    """The baseline, idle connections and the write lock, in this run; 1 on any failure."""
    _, _, body = request(url)
    plain = baseline(url, body, tmp)
    parts = urllib.parse.urlsplit(url)
    failed = 0
    try:
        plain_port = _listening_port(plain)
        plain_url = f"http://127.0.0.1:{plain_port}{parts.path}"
        ours_runs, theirs_runs = [], []
        for _ in range(ROUNDS):  # alternated, so neither gets the quieter moments of a shared machine
            ours_one, bad_ours = pace(url, requests, concurrency)
            theirs_one, bad_theirs = pace(plain_url, requests, concurrency)
            ours_runs.append(ours_one)
            theirs_runs.append(theirs_one)
            failed += bad_ours + bad_theirs
    finally:
        plain.send_signal(signal.SIGINT)
        plain.wait(timeout=10)
    ours, theirs = statistics.median(ours_runs), statistics.median(theirs_runs)
    print(
        f"pace, plain GETs of {len(body)} bytes, median of {ROUNDS} alternated rounds: fitplug serve "
        f"{ours:.0f}/s, python -m http.server {theirs:.0f}/s (same bytes, same run): ratio {ours / theirs:.2f}"
    )

    idle = [socket.create_connection((parts.hostname, parts.port)) for _ in range(200)]
    try:
        with_idle, bad = pace(url, requests, concurrency)
    finally:
        for s in idle:
            s.close()
    print(f"with 200 idle connections open: {with_idle:.0f}/s, {bad} not answered 200")
    failed += bad

    writer = sqlite3.connect(db, timeout=1, isolation_level=None)
    try:
        writer.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('bench', ?)", (str(time.time()),))
        writer.execute("BEGIN IMMEDIATE")  # what a sync holds while it writes
        time.sleep(1.1)  # the server looks at its inputs at most once a second
        started = time.perf_counter()
        locked, bad = pace(url, requests, concurrency)
        waited = time.perf_counter() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    print(f"while a sync holds the store's write lock: {locked:.0f}/s over {waited:.2f} s, {bad} not answered 200")
    failed += bad
    return 1 if failed else 0


def _listening_port(proc: subprocess.Popen[str]) -> int:
    return int(proc.args[3])  # type: ignore[index]


def run(url: str, requests: int, concurrency: int) -> int:
    status, headers, body = request(url)
    if status != 200:
        print(f"first GET answered {status}; is the URL right?")
        return 1
    etag, digest = headers.get("etag", ""), hashlib.sha256(body).hexdigest()
    parts = urllib.parse.urlsplit(url)
    wrong = parts._replace(path="/not-the-token/" + parts.path.rsplit("/", 1)[-1]).geturl()

    def one(i: int) -> tuple[str, int | str, float, str | None]:
        kind = KINDS[i % 10] if i % 10 < len(KINDS) else "get"  # 70 % plain GETs, 10 % each other kind
        started = time.perf_counter()
        try:
            if kind == "get":
                st, h, b = request(url)
                ok = (
                    st == 200
                    and hashlib.sha256(b).hexdigest() == digest
                    and h.get("content-type") == "text/calendar; charset=utf-8"
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
    print(f"requests: {len(results)}  concurrency: {concurrency}  feed: {len(body)} bytes")
    print(f"errors: {len(problems)}")
    print("statuses: " + "  ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
    print(f"latency ms: p50={cuts[49]:.1f}  p90={cuts[89]:.1f}  p99={cuts[98]:.1f}  max={latencies[-1]:.1f}")
    print(f"throughput: {len(results) / elapsed:.0f} requests/s over {elapsed:.2f} s")
    for problem, count in Counter(problems).most_common(5):
        print(f"  {count} × {problem}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="feed URL of a running `fitplug serve` (loopback only)")
    parser.add_argument(
        "--programme",
        type=Path,
        default=ROOT / "templates" / "glute-runner.toml",
        help="programme to serve when no --url is given",
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--activities", type=int, default=5000, help="activities stored before the server starts (without --url)"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the http.server baseline, idle and write-lock phases"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 500:
        parser.error("--requests must be 1..1000000 and --concurrency 1..500")
    if args.url:
        if urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must be on loopback")
        return run(args.url, args.requests, args.concurrency)
    with tempfile.TemporaryDirectory(prefix="fitplug-load-") as tmp:
        db = Path(tmp) / "data" / "fitplug.sqlite3"
        if args.activities:
            fill_store(db, args.activities)
        proc, url = start_server(args.programme, Path(tmp))
        try:
            code = run(url, args.requests, args.concurrency)
            if args.activities:
                print(f"activities stored: {args.activities}")
            if not args.no_baseline and args.activities:
                code |= compare(url, db, Path(tmp), args.requests, args.concurrency)
            return code
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())

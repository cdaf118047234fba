#!/usr/bin/env python3
"""Load test for `fitplug serve`: a bounded number of concurrent requests on loopback,
from this process to a server in another process; every answer is checked.

    python benchmarks/serve_load.py                       # starts `fitplug serve` itself
    python benchmarks/serve_load.py --requests 5000 --concurrency 100
    python benchmarks/serve_load.py --url http://127.0.0.1:8765/<token>/glute-runner.ics

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
import hashlib
import http.client
import os
import signal
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


def request(url: str, method: str = "GET", headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path, headers={"User-Agent": "fitplug-serve-load/1", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def start_server(programme: Path, data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "FITPLUG_DATA_DIR": str(data / "data"), "FITPLUG_CONFIG_DIR": str(data / "config"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "fitplug", "serve", str(programme), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    for _ in range(5):
        line = proc.stdout.readline()
        if line.strip().startswith("http://"):
            return proc, line.strip()
        if not line:
            break
    proc.kill()
    raise SystemExit("fitplug serve did not print its URL")


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
                ok = st == 200 and hashlib.sha256(b).hexdigest() == digest and \
                    h.get("content-type") == "text/calendar; charset=utf-8"
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
    parser.add_argument("--programme", type=Path, default=ROOT / "templates" / "glute-runner.toml",
                        help="programme to serve when no --url is given")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 500:
        parser.error("--requests must be 1..1000000 and --concurrency 1..500")
    if args.url:
        if urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must be on loopback")
        return run(args.url, args.requests, args.concurrency)
    with tempfile.TemporaryDirectory(prefix="fitplug-load-") as tmp:
        proc, url = start_server(args.programme, Path(tmp))
        try:
            return run(url, args.requests, args.concurrency)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())

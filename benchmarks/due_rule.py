#!/usr/bin/env python3
"""Time the due rule over years of history against loading that history from the store, in one run.

Builds a store of N years of a runner's activities (runs most days, two
strength sessions a week done from fitplug's workout, post-run stretch
workouts recorded as strength, yoga), then times, each several times
(median shown):

- baseline: ``store.history()``, loading every activity (what any answer costs at least);
- ``classify`` over every activity (the one classification);
- ``decide`` over the whole history;
- ``tracking.evaluate``: what `fitplug status` runs (the bounded load, then ``decide``).

    python benchmarks/due_rule.py            # 3 years
    python benchmarks/due_rule.py --years 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fitplug.activities import tracking
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.due import decide
from fitplug.activities.store.store import Store
from fitplug.model import ActivitySession, ActivitySummary, SetRecord
from fitplug.programme.load import load_programme

UTC = dt.UTC


def build(years: int) -> list[ActivitySummary]:
    rng = random.Random(5)
    out: list[ActivitySummary] = []
    day = dt.date(2026, 11, 30) - dt.timedelta(days=365 * years)

    def add(
        start: dt.datetime,
        sport: str,
        sub: str,
        minutes: float,
        name: str | None = None,
        sets: tuple[SetRecord, ...] = (),
    ) -> None:
        session = ActivitySession(sport, sub, start, 0, minutes * 60, minutes * 60, None, 130)
        out.append(
            ActivitySummary(f"{len(out):064x}", "activity", "garmin", "fr965", len(out), start, (session,), name, sets)
        )

    while day <= dt.date(2026, 11, 30):
        t = dt.datetime.combine(day, dt.time(7), tzinfo=UTC)
        if day.weekday() in (1, 4):
            reps = rng.choice([12, 13, 14])
            sets = tuple(SetRecord(t, "active", reps, None, "hip_stability", 0, 40.0) for _ in range(6))
            add(t, "training", "strength_training", 35, "Glute Strength & Mobility", sets)
        elif rng.random() < 0.7:
            add(t, "running", "road", rng.choice([30, 45, 60]))
            if rng.random() < 0.5:
                pigeon = tuple(SetRecord(t, "active", None, None, "warm_up", 59, 30.0) for _ in range(2))
                add(t + dt.timedelta(hours=3), "training", "strength_training", 4, "Post-run Stretch 1", pigeon)
        elif rng.random() < 0.3:
            add(t, "training", "yoga", 30)
        day += dt.timedelta(days=1)
    return out


def median_s(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    programme = load_programme(ROOT / "templates" / "glute-runner.toml")
    activities = build(args.years)
    now = dt.datetime(2026, 11, 30, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.sqlite3") as store:
        store.record_batch([(f"/{n}.fit", 1, 1, a) for n, a in enumerate(activities)], now)
        since = dt.datetime(2026, 1, 5, tzinfo=UTC)
        store.set_meta(tracking.SINCE_KEY, since.isoformat())
        held = store.history()
        rows = [
            ("store.history() (baseline)", median_s(store.history, args.runs)),
            ("classify, every activity", median_s(lambda: [classify(a, programme) for a in held], args.runs)),
            ("decide, whole history", median_s(lambda: decide(held, [], programme, now, since=since), args.runs)),
            ("tracking.evaluate (status)", median_s(lambda: tracking.evaluate(store, programme, now), args.runs)),
        ]
    base = rows[0][1]
    print(f"{len(activities)} activities over {args.years} years; median of {args.runs} runs")
    for name, seconds in rows:
        print(f"  {name:<30} {seconds * 1000:8.1f} ms   {seconds / base:5.2f}× baseline")


if __name__ == "__main__":
    main()

"""A simulated 12-week history for the progress page: FIT files written with the SDK Encoder.

Weeks of runs (Mon, Wed, Sat), strength sessions done from the programme's
workout (Tue, Fri; every exercise's sets, per side, with wkt_step_index as a
watch writes them), post-run stretch workouts, Sunday yoga; some days missed
on purpose. The banded exercise climbs past the band threshold (12 reps) by the end.
:func:`write_history` writes the files; the tests sync them into a store.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from make_activities import Activity, Leg, Set, encode, run, stretch_workout, yoga

from fitplug.model import Hold, Programme, Reps, SessionKind
from fitplug.programme.steps import StepType, plan_session

UTC = dt.UTC
#: Monday of the first of the 12 weeks; "now" is Thursday of the twelfth
FIRST_WEEK = dt.date(2026, 9, 7)
NOW = dt.datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
#: (week, weekday) of planned strength days with no session
MISSED_STRENGTH = {(2, 4), (5, 1), (9, 4)}
#: (week, weekday) of runs whose post-run set is never done (none of them has a strength day or
#: yoga before it lapses: those sessions hold the same stretches, and the rule counts them)
SKIPPED_STRETCH = {(3, 5), (7, 2), (9, 5), (11, 2)}
#: weeks with Sunday yoga
YOGA_WEEKS = {0, 1, 4, 6, 8, 10}


def band_reps(week: int, day: int) -> int:
    """Reps of every banded set: up from 9, past the threshold (12) only in the last three sessions."""
    if week >= 10:
        return 13
    return min(12, 9 + week // 3 + (1 if day == 4 else 0))


def _at(week: int, weekday: int, hour: int, minute: int = 0) -> dt.datetime:
    day = FIRST_WEEK + dt.timedelta(days=7 * week + weekday)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def strength_activity(programme: Programme, start: dt.datetime, reps: int) -> bytes:
    """The programme's strength session as a watch records it from the workout."""
    session = next(s for s in programme.sessions if s.kind is SessionKind.STRENGTH)
    steps = [st for st in plan_session(session) if st.type is StepType.WORK]
    sets: list[Set] = []
    t = start
    for ex in session.exercises:
        g = ex.garmin
        work = [st for st in steps if st.exercise == ex]
        for _ in range(ex.sets):
            for st in work:
                if isinstance(ex.dose, Reps):
                    n = reps if ex.band else ex.dose.high
                    sets.append(Set(t, "active", n, g.category, g.name_id, None, 6.0 * n, st.index))
                    t += dt.timedelta(seconds=6 * n)
                else:
                    assert isinstance(ex.dose, Hold)
                    sets.append(Set(t, "active", None, g.category, g.name_id, None, ex.dose.high_s, st.index))
                    t += dt.timedelta(seconds=ex.dose.high_s)
                sets.append(Set(t, "rest", duration_s=20))
                t += dt.timedelta(seconds=20)
    minutes = (t - start).total_seconds() / 60
    leg = Leg("training", "strength_training", start, minutes * 60, None, 105)
    return encode(Activity([leg], workout_name=session.name, sets=sets, serial=3_999_000_001))


def write_history(folder: Path, programme: Programme, *, until: dt.datetime = NOW) -> list[Path]:
    """Write every activity that has ended by ``until`` into ``folder``; the paths written."""
    files: dict[str, bytes] = {}
    for week in range(12):
        for weekday, hour, minutes, km in ((0, 7, 40, 8.0), (2, 18, 45, 9.1), (5, 8, 70, 14.2)):
            start = _at(week, weekday, hour)
            files[f"run-{start:%Y%m%dT%H%M}.fit"] = run(start, minutes, km)
            if (week, weekday) not in SKIPPED_STRETCH:
                after = start + dt.timedelta(minutes=minutes + 10)
                files[f"stretch-{after:%Y%m%dT%H%M}.fit"] = stretch_workout(after, "Post-run Stretch 1")
        for weekday in (1, 4):
            if (week, weekday) not in MISSED_STRENGTH:
                start = _at(week, weekday, 7)
                files[f"strength-{start:%Y%m%dT%H%M}.fit"] = strength_activity(
                    programme, start, band_reps(week, weekday)
                )
        if week in YOGA_WEEKS:
            start = _at(week, 6, 17)
            files[f"yoga-{start:%Y%m%dT%H%M}.fit"] = yoga(start, 30)
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        start = dt.datetime.strptime(name.split("-", 1)[1][:13], "%Y%m%dT%H%M").replace(tzinfo=UTC)
        if start + dt.timedelta(hours=2) <= until:
            (folder / name).write_bytes(data)
            written.append(folder / name)
    return written


PROGRAMME_FILE = Path(__file__).resolve().parent.parent / "examples" / "glute-runner.toml"
#: the first sync, which starts the due bookkeeping (Monday of the week before: 31 Aug)
FIRST_SYNC = dt.datetime(2026, 9, 7, 6, 0, tzinfo=UTC)


def _env(base: Path) -> dict[str, str | None]:
    return {
        "FITPLUG_DATA_DIR": str(base / "data"),
        "FITPLUG_CONFIG_DIR": str(base / "config"),
        "FITPLUG_NOW": None,
        "FITPLUG_DB": None,
    }


def synced_store(base: Path, *, until: dt.datetime = NOW, first_sync: dt.datetime = FIRST_SYNC) -> Path:
    """A store as a runner would have it: a first sync on 7 Sep (or ``first_sync``: tracking starts
    that day), then the 12 weeks synced at ``until``.

    Runs the real `fitplug sync` (in-process) with its own data and config
    folders under ``base``; returns the store's path.
    """
    from conftest import invoke_cli

    from fitplug.programme.load import load_programme

    env = _env(base)
    db, folder = base / "store.sqlite3", base / "activities"
    folder.mkdir(parents=True, exist_ok=True)
    for when in (first_sync, until):
        if when is until:
            write_history(folder, load_programme(PROGRAMME_FILE), until=until)
        result = invoke_cli(
            "--db", str(db), "--now", when.isoformat(), "sync", str(folder), "-p", str(PROGRAMME_FILE), env=env
        )
        assert result.exit_code == 0, result.output
    return db


#: the late start: the first sync on Wednesday 14 Oct (week 5), so tracking starts that day
LATE_SYNC = dt.datetime(2026, 10, 14, 10, 0, tzinfo=UTC)
#: the band changed to "medium" (a band named by its strength, not a colour) on Tue 20 Oct at 09:00,
#: two hours after that day's session, which the runner then logged by hand
BAND_CHANGED = dt.datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
#: a session logged by hand with no activity recorded that day (a Sunday)
LOGGED_ALONE = dt.date(2026, 11, 1)


def medium_programme(folder: Path) -> Path:
    """The example programme with bands named light, medium, heavy, its leg raise on the medium one."""
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    ladder = 'ladder = ["yellow", "red", "green", "blue", "black", "silver", "gold"]'
    band = 'band = "green"'
    assert ladder in text and band in text
    path = folder / "medium.toml"
    path.write_text(
        text.replace(ladder, 'ladder = ["light", "medium", "heavy"]').replace(band, 'band = "medium"'), encoding="utf-8"
    )
    return path


def changed_store(base: Path) -> tuple[Path, Path]:
    """The 12 weeks tracked from :data:`LATE_SYNC`, the band changed at :data:`BAND_CHANGED` (the runner
    logged that day's sets with the new programme: `fitplug log` is the writing command that sees
    the change) and :data:`LOGGED_ALONE` logged; ``(store, the medium programme)``."""
    from conftest import invoke_cli

    db = synced_store(base, first_sync=LATE_SYNC)
    programme = medium_programme(base)
    for when, day, reps in ((BAND_CHANGED, BAND_CHANGED.date(), "13"), (NOW, LOGGED_ALONE, "12")):
        result = invoke_cli(
            *("--db", str(db), "--now", when.isoformat(), "log", "banded_leg_raise", "--day", day.isoformat()),
            *[reps] * 6,
            *("-p", str(programme)),
            env=_env(base),
        )
        assert result.exit_code == 0, result.output
    return db, programme


def main(argv: list[str]) -> None:
    """``python tests/progress_history.py docs/progress.png [WIDTH HEIGHT]``: the docs' screenshot.

    Builds the simulated history in a temporary folder (nothing of the user's is
    read or written), writes the page for :data:`NOW` and photographs it in
    headless Chromium.
    """
    import os
    import shutil
    import tempfile

    from browser import load

    from fitplug.app.progress import render_page

    out = Path(argv[0])
    width, height = (int(argv[1]), int(argv[2])) if len(argv) > 2 else (820, 2500)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        os.environ.update(FITPLUG_DATA_DIR=str(base / "data"), FITPLUG_CONFIG_DIR=str(base / "config"))
        page = base / "progress.html"
        page.write_bytes(render_page(PROGRAMME_FILE, db_path=synced_store(base), now=NOW))
        messages = load(page.as_uri(), base / "shot.png", width=width, height=height)
        if messages:
            raise SystemExit(f"console messages: {messages}")
        shutil.copyfile(base / "shot.png", out)
    print(f"Wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

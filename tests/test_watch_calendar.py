"""The watch carries the post-run set (#20): the schedule puts the next post-run sets on the runner's
usual run days, learned from synced runs, at the usual end of the run, in the rotation's order; planned
sessions first within the 30 entries; `check` and `watch` say which days; fit-check on the schedules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import make_activities as m
import pytest
from conftest import ROOT, Invoke, at
from test_fit_workout import run_fit_check

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.due import decide
from fitplug.activities.rule.habit import run_habit
from fitplug.model import RunHabit
from fitplug.programme.load import load_programme
from fitplug.programme.schedule import post_run_variants, watch_calendar

PROGRAMME = load_programme(ROOT / "templates" / "glute-runner.toml")
NOW = at(30, 12)  # Mon 30 Nov 2026, noon UTC (London: the same)


def runs_on(days: list[int], hour: int = 7) -> list:  # type: ignore[type-arg]
    return [read_activity(m.run(at(d, hour), 45, 8.0)) for d in days]


def test_run_days_are_weekdays_with_runs_in_two_of_the_last_four_weeks() -> None:
    # Mondays 9, 16, 23 (3 weeks), one Thursday (19), Saturdays 14 and 28, all 45 min from 07:00
    history = runs_on([9, 16, 23, 19, 14, 28])
    d = decide(history, [], PROGRAMME, NOW, since=at(2, 0))
    habit = run_habit(d.runs, PROGRAMME, NOW)
    assert habit.days == ((0, dt.time(7, 45)), (5, dt.time(7, 45)))  # Mon and Sat, the usual end
    assert habit.next_variant == len(d.runs) == 6
    assert run_habit((), PROGRAMME, NOW) == RunHabit()  # no history: nothing guessed


def test_the_watch_calendar_gets_the_post_run_sets_after_the_planned_sessions() -> None:
    habit = RunHabit(((0, dt.time(7, 45)), (3, dt.time(18, 30))), next_variant=4)
    entries = watch_calendar(PROGRAMME, NOW, habit)
    post = [e for e in entries if e.session.kind.value == "post_run"]
    variants = post_run_variants(PROGRAMME)
    # Thu 3 Dec first (Mon 30 Nov at 07:45 is already past), then each Mon and Thu for four weeks
    assert [(e.date.isoformat(), f"{e.start:%H:%M}") for e in post][:3] == [
        ("2026-12-03", "18:30"),
        ("2026-12-07", "07:45"),
        ("2026-12-10", "18:30"),
    ]
    assert len(post) == 7 and all(e.date < dt.date(2026, 12, 28) for e in post)
    assert [e.session.id for e in post[:4]] == [variants[(4 + n) % len(variants)].id for n in range(4)]
    assert len(entries) == 30 and entries == sorted(entries, key=lambda e: e.start)
    strength = [e for e in entries if e.session.kind.value == "strength"]
    assert len(strength) == 30 - len(post)  # planned sessions first; the post-run sets fill what they leave
    off = dataclasses.replace(PROGRAMME, post_run=dataclasses.replace(PROGRAMME.post_run, on_watch_calendar=False))
    assert all(e.session.kind.value == "strength" for e in watch_calendar(off, NOW, habit))
    assert all(e.session.kind.value == "strength" for e in watch_calendar(PROGRAMME, NOW, RunHabit()))


@pytest.fixture
def synced(invoke: Invoke, tmp_path: Path) -> tuple[Path, Path]:
    programme = tmp_path / "p.toml"
    text = (ROOT / "examples" / "glute-runner.toml").read_text(encoding="utf-8")
    programme.write_text(text.replace("# start = 2026-11-18 ", "start = 2026-11-02   ", 1), encoding="utf-8")
    src = tmp_path / "runs"
    src.mkdir()
    for n, day in enumerate([9, 16, 23, 11, 18, 25]):  # Mondays and Wednesdays at 18:00
        (src / f"{n}.fit").write_bytes(m.run(at(day, 18), 40, 8.0))
    db = tmp_path / "db.sqlite3"
    invoke("--db", db, "--now", "2026-11-30T12:00:00Z", "sync", str(src), str(programme), code=0)
    return programme, db


def test_install_puts_the_post_run_sets_on_the_watch_and_check_says_when(
    invoke: Invoke, tmp_path: Path, synced: tuple[Path, Path]
) -> None:
    programme, db = synced
    now = ("--db", db, "--now", "2026-11-30T12:00:00Z")
    check = invoke(*now, "check", str(programme), code=0).output
    assert "on the watch's calendar: post-run sets on Mon 18:40 and Wed 18:40, your usual run days" in check
    root = tmp_path / "watch"
    (root / "GARMIN" / "NewFiles").mkdir(parents=True)
    invoke(*now, "install", str(programme), "--device", str(root), code=0)
    newfiles = root / "GARMIN" / "NewFiles"
    shown = invoke("show", str(newfiles / "schedule.fit"), code=0).output.splitlines()[3:]
    post = [line for line in shown if "Post-run" in line]
    assert post[0].startswith("Mon 30 Nov 2026  18:40  Post-run 1 Stretch")  # the 7th run gets set 1 of 3
    assert post[1].startswith("Wed 02 Dec 2026  18:40  Post-run 2 Stretch")
    assert all(line.split()[-1].endswith(".fit") for line in shown)  # every entry's workout is beside it
    checked = run_fit_check(newfiles)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doc = json.loads(invoke(*now, "watch", str(programme), "--device", str(root), "--json", code=0).output)
    assert doc["run_days"] == [{"weekday": "monday", "time": "18:40"}, {"weekday": "wednesday", "time": "18:40"}]
    fresh = invoke("--db", tmp_path / "none.sqlite3", "--now", "2026-11-30T12:00:00Z", "check", str(programme))
    assert "once your runs show your usual days" in fresh.output

"""Dated sessions from a programme, across clock changes, and the post-run rotation."""

from __future__ import annotations

import datetime as dt

from fitplug.model import (
    Exercise,
    GarminExercise,
    Hold,
    PostRunSet,
    Programme,
    Session,
    SessionKind,
    Weekday,
)
from fitplug.programme import schedule


def stretch(key: str) -> Exercise:
    return Exercise(
        id=key, title=key.title(), garmin=GarminExercise("warm_up"), sets=1, dose=Hold(20, 30), per_side=True
    )


def programme(tz: str = "Europe/London") -> Programme:
    strength = Session(
        id="glute-strength",
        name="Glute Strength",
        kind=SessionKind.STRENGTH,
        exercises=(stretch("a"),),
        days=(Weekday.TUE, Weekday.FRI),
        time=dt.time(7, 0),
        duration_min=40,
    )
    post = PostRunSet(
        always=(stretch("pigeon"),), rotation=(stretch("lying"), stretch("standing"), stretch("stacked")), per_run=2
    )
    return Programme(id="p", name="P", timezone=tz, sessions=(strength,), post_run=post)


def test_expand_keeps_wall_clock_across_autumn_change() -> None:
    planned = schedule.expand(programme(), dt.date(2026, 10, 20), dt.date(2026, 11, 3))
    assert [p.date.isoformat() for p in planned] == ["2026-10-20", "2026-10-23", "2026-10-27", "2026-10-30"]
    assert {p.start.strftime("%H:%M") for p in planned} == {"07:00"}
    utc_hours = [p.start.astimezone(dt.UTC).hour for p in planned]
    assert utc_hours == [6, 6, 7, 7]  # BST before 25 Oct, GMT after
    assert all(p.end - p.start == dt.timedelta(minutes=40) for p in planned)


def test_expand_southern_hemisphere() -> None:
    planned = schedule.expand(programme("Australia/Sydney"), dt.date(2026, 9, 29), dt.date(2026, 10, 9))
    offsets = [p.start.utcoffset() for p in planned]
    assert offsets == [dt.timedelta(hours=10), dt.timedelta(hours=10), dt.timedelta(hours=11)]


def test_skipped_local_time_moves_forward() -> None:
    tz = schedule.zone("Europe/London")
    start = schedule.local_datetime(dt.date(2027, 3, 28), dt.time(1, 30), tz)
    assert start.strftime("%H:%M %Z") == "02:30 BST"


def test_upcoming_is_future_only_and_bounded() -> None:
    now = dt.datetime(2026, 11, 24, 7, 30, tzinfo=dt.UTC)  # a Tuesday, after 07:00
    nxt = schedule.upcoming(programme(), now, limit=30)
    assert len(nxt) == 30
    assert nxt[0].date == dt.date(2026, 11, 27)
    assert all(p.start > now for p in nxt)
    assert [p.date for p in nxt] == sorted(p.date for p in nxt)


def test_post_run_rotation() -> None:
    variants = schedule.post_run_variants(programme())
    assert [[e.id for e in v.exercises] for v in variants] == [
        ["pigeon", "lying"],
        ["pigeon", "standing"],
        ["pigeon", "stacked"],
    ]
    assert [v.id for v in variants] == ["post-run-stretch-1", "post-run-stretch-2", "post-run-stretch-3"]

"""Properties of the whole rule beyond the default week (#18), over SDK-encoded recordings: a multisport
strength + run + strength file, sessions too tough for the band, a Friday session done on Saturday, a
partial session, a post-run set, sets logged by hand. Syncing in any order gives the same decision;
an unrelated activity never changes it."""

from __future__ import annotations

import datetime as dt

import make_activities as m
from conftest import ROOT, at
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rule_beyond import strength_run_strength

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.due import decide
from fitplug.model import ActivitySession, ActivitySummary, LoggedSets
from fitplug.programme.load import load_programme

PROGRAMME = load_programme(ROOT / "templates" / "glute-runner.toml")
SINCE = at(16, 0)
HISTORY = [
    read_activity(data)
    for data in (
        strength_run_strength(at(17, 7)),  # Tue: strength legs and a run in one file
        m.stretch_workout(at(17, 19), "Post-run 1 Stretch"),
        m.strength(at(21, 9), [8, 9, 8, 7, 9, 8]),  # Fri's session on Sat: moved, and too tough
        m.strength(at(24, 7), [9, 8, 8, 8, 9, 7]),  # Tue: too tough again -> lighter band
        m.strength(at(27, 7), [14, 14]),  # Fri: partial, passed over
        m.run(at(28, 8), 45, 9.0),  # Sat: a run, its set due
    )
]
LOGGED = [LoggedSets(dt.date(2026, 11, 30), "banded_leg_raise", (10,) * 6, False, at(30, 20))]
INSTANTS = [at(18, 12), at(22, 12), at(25, 12), at(29, 12), at(30, 21)]


@st.composite
def unrelated(draw: st.DrawFn) -> ActivitySummary:
    sport = draw(st.sampled_from(["cycling", "swimming", "walking", "hiking", "rowing"]))
    start = at(15, 0) + dt.timedelta(minutes=draw(st.integers(0, 15 * 24 * 60)))
    minutes = draw(st.integers(5, 240))
    n = draw(st.integers(0, 10**9))
    session = ActivitySession(sport, None, start, 0, minutes * 60.0, minutes * 60.0, 10_000.0, 120)
    return ActivitySummary(f"{n:064x}", "activity", "garmin", "fr965", n, start, (session,))


def test_the_history_exercises_every_new_rule() -> None:
    """The fixture is what the properties below need: each rule change shows in it."""
    d = decide(HISTORY, [], PROGRAMME, at(30, 21), since=SINCE, weeks=3, logged=LOGGED)
    assert [(x.planned.day, x.done.day) for x in d.strength_moved] == [(20, 21)]
    assert [b.lighter_band for b in d.band_down] == ["red"] and d.band == ()
    assert [r.key for r in d.runs][:1] == ["stretch-20261117T072000Z"] and d.runs[0].state.value == "done"


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations(list(range(len(HISTORY)))),
    extra=st.lists(unrelated(), max_size=4),
    now=st.sampled_from(INSTANTS),
)
def test_order_and_unrelated_activities_change_nothing(
    order: list[int], extra: list[ActivitySummary], now: dt.datetime
) -> None:
    expected = decide(HISTORY, [], PROGRAMME, now, since=SINCE, weeks=3, logged=LOGGED)
    shuffled = [HISTORY[i] for i in order]
    assert decide(shuffled, [], PROGRAMME, now, since=SINCE, weeks=3, logged=LOGGED) == expected
    assert decide([*shuffled, *extra], [], PROGRAMME, now, since=SINCE, weeks=3, logged=LOGGED) == expected

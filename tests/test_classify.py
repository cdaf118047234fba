"""The one classification: what each recorded activity was (a table of cases), then the same through FIT files."""

from __future__ import annotations

import datetime as dt

import make_activities as m
import pytest
from conftest import ROOT

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.classify import classify
from fitplug.model import ActivityKind, ActivitySession, ActivitySummary, Programme, SetRecord
from fitplug.programme.load import load_programme
from fitplug.programme.schedule import post_run_variants

UTC = dt.UTC
T = dt.datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
RUNNER = load_programme(ROOT / "templates" / "glute-runner.toml")
STRETCHES = load_programme(ROOT / "templates" / "stretches.toml")

PIGEON = ("warm_up", 59)  # warm_up/stretch_pigeon_pose
PIRIFORMIS = ("warm_up", 60)  # warm_up/stretch_piriformis (standing figure-four)
LYING = ("warm_up", 53)  # warm_up/stretch_lying_piriformis
BAND_RAISE = ("hip_stability", 0)  # the template's banded leg raise
BRIDGE = ("hip_raise", 11)


def activity(
    sport: str,
    sub_sport: str | None,
    *,
    name: str | None = None,
    sets: tuple[tuple[str | None, int | None], ...] = (),
    minutes: float = 30,
    legs: tuple[tuple[str, str | None, float], ...] = (),
) -> ActivitySummary:
    sessions = [ActivitySession(sport, sub_sport, T, 0, minutes * 60, minutes * 60, None, 120)]
    t = T + dt.timedelta(minutes=minutes)
    for leg_sport, leg_sub, leg_minutes in legs:
        sessions.append(ActivitySession(leg_sport, leg_sub, t, 0, leg_minutes * 60, leg_minutes * 60, None, 120))
        t += dt.timedelta(minutes=leg_minutes)
    records = tuple(SetRecord(T, "active", 12, None, c, n) for c, n in sets)
    return ActivitySummary("0" * 64, "activity", "garmin", "fr965", 1, T, tuple(sessions), name, records)


ST = ("training", "strength_training")

#: (case, activity, programme, expected kind, post-run set?, decided by)
CASES: list[tuple[str, ActivitySummary, Programme | None, str, bool, str]] = [
    (
        "the post-run workout, recorded as strength (every fitplug workout is)",
        activity(*ST, name="Post-run Stretch 2", sets=(PIGEON, PIGEON, PIRIFORMIS, PIRIFORMIS)),
        RUNNER,
        "stretch",
        True,
        "workout name",
    ),
    (
        "the post-run workout, no sets recorded",
        activity(*ST, name="Post-run Stretch 1"),
        RUNNER,
        "stretch",
        True,
        "workout name",
    ),
    (
        "a renamed copy of the post-run workout",
        activity(*ST, name="Post-run Stretch (copy)"),
        RUNNER,
        "stretch",
        True,
        "workout name",
    ),
    (
        "the name matched whatever the case and spacing",
        activity(*ST, name="post-run  stretch 3"),
        RUNNER,
        "stretch",
        True,
        "workout name",
    ),
    (
        "a fitplug strength session by its name",
        activity(*ST, name="Glute Strength & Mobility", sets=(BRIDGE, BAND_RAISE, BAND_RAISE)),
        RUNNER,
        "strength",
        False,
        "workout name",
    ),
    (
        "a strength session with only its stretches done still counts as planned",
        activity(*ST, name="Glute Strength & Mobility", sets=(PIGEON, LYING)),
        RUNNER,
        "strength",
        False,
        "workout name",
    ),
    (
        "a fitplug stretch session, recorded as strength",
        activity(*ST, name="Glute Stretch", sets=(PIGEON,)),
        STRETCHES,
        "stretch",
        False,
        "workout name",
    ),
    (
        "an unknown workout with banded sets",
        activity(*ST, name="Leg day", sets=(BAND_RAISE,)),
        RUNNER,
        "strength",
        False,
        "sport",
    ),
    (
        "strength with every set a stretch: stretching (and it holds a post-run variant)",
        activity(*ST, sets=(PIGEON, PIGEON, LYING, LYING)),
        RUNNER,
        "stretch",
        True,
        "sets",
    ),
    (
        "strength with every set a stretch, without a programme",
        activity(*ST, sets=(PIGEON, LYING)),
        None,
        "stretch",
        False,
        "sets",
    ),
    (
        "strength with yoga-pose sets",
        activity(*ST, sets=(("pose", 3), ("pose", None))),
        RUNNER,
        "stretch",
        False,
        "sets",
    ),
    (
        "strength with one real lift among the stretches",
        activity(*ST, sets=(PIGEON, BRIDGE)),
        RUNNER,
        "strength",
        False,
        "sport",
    ),
    (
        "strength, a warm-up recorded by category alone is not known to be a stretch",
        activity(*ST, sets=(("warm_up", None),)),
        RUNNER,
        "strength",
        False,
        "sport",
    ),
    ("strength with no sets", activity(*ST), RUNNER, "strength", False, "sport"),
    ("flexibility training", activity("training", "flexibility_training"), RUNNER, "stretch", False, "sport"),
    (
        "flexibility training holding a post-run variant",
        activity("training", "flexibility_training", sets=(PIGEON, LYING)),
        RUNNER,
        "stretch",
        True,
        "sport",
    ),
    ("yoga", activity("training", "yoga"), RUNNER, "stretch", False, "sport"),
    ("sport mobility", activity("mobility", None), RUNNER, "stretch", False, "sport"),
    ("a road run", activity("running", "road"), RUNNER, "run", False, "sport"),
    ("a treadmill run", activity("running", "treadmill"), RUNNER, "run", False, "sport"),
    ("a run with no sub_sport", activity("running", None), RUNNER, "run", False, "sport"),
    (
        "a run named like the post-run workout is still a run",
        activity("running", "road", name="Post-run Stretch 1"),
        RUNNER,
        "run",
        False,
        "sport",
    ),
    (
        "a multisport activity with a running leg",
        activity("cycling", "road", legs=(("running", "generic", 40),)),
        RUNNER,
        "run",
        False,
        "sport",
    ),
    ("a ride keeps its sport", activity("cycling", "road"), RUNNER, "cycling", False, "sport"),
    ("a swim", activity("swimming", "lap_swimming"), RUNNER, "swimming", False, "sport"),
]


@pytest.mark.parametrize(("case", "summary", "programme", "kind", "post_run", "by"), CASES, ids=[c[0] for c in CASES])
def test_classification_table(
    case: str, summary: ActivitySummary, programme: Programme | None, kind: str, post_run: bool, by: str
) -> None:
    c = classify(summary, programme)
    assert (str(c.kind), c.post_run, c.by) == (kind, post_run, by)


def test_no_session_is_other() -> None:
    empty = ActivitySummary("0" * 64, "activity", None, None, None, None, ())
    assert classify(empty, RUNNER).kind is ActivityKind.OTHER


def test_the_workout_is_named() -> None:
    c = classify(activity(*ST, name="Post-run Stretch 2"), RUNNER)
    assert c.session is not None and c.session.id == "post-run-stretch-2"


# --- the same through FIT files the watch writes ------------------------------------------------


def test_fitplug_workouts_recorded_by_a_watch() -> None:
    variants = post_run_variants(RUNNER)
    strength = RUNNER.sessions[0]
    post = read_activity(m.fitplug_session(T, variants[1]))
    lift = read_activity(m.fitplug_session(T, strength, {"banded_leg_raise": [14, 13, 13]}))
    skipped = read_activity(m.fitplug_session(T, strength, skip=("glute_bridge", "banded_leg_raise")))
    assert post.sessions[0].sub_sport == "strength_training" and post.workout_name == "Post-run 2 Stretch"
    assert (classify(post, RUNNER).kind, classify(post, RUNNER).post_run) == (ActivityKind.STRETCH, True)
    assert classify(lift, RUNNER).kind is ActivityKind.STRENGTH
    assert classify(skipped, RUNNER).kind is ActivityKind.STRENGTH  # planned as strength
    # the same post-run file with its name lost (an old watch): its sets still say stretching
    unnamed = read_activity(
        m.encode(
            m.Activity(
                [m.Leg("training", "strength_training", T, 240)],
                sets=[
                    m.Set(T, "active", None, "warm_up", 59, None, 30, 0),
                    m.Set(T + dt.timedelta(seconds=30), "active", None, "warm_up", 60, None, 30, 1),
                ],
            )
        )
    )
    assert (classify(unnamed, RUNNER).kind, classify(unnamed, RUNNER).by) == (ActivityKind.STRETCH, "sets")

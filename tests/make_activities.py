"""FIT activity fixtures, built at test time with garmin-fit-sdk's Encoder.

Each builder returns the bytes of a complete, CRC-correct FIT file; the
``broken_*`` helpers damage them in the ways real files break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from garmin_fit_sdk import Encoder, Profile

from fitplug.model import Hold, Session
from fitplug.programme.steps import StepType, plan_session
from fitplug.times import FIT_EPOCH

UTC = dt.UTC

MESG = Profile["mesg_num"]
#: garmin_product id of the fr965
FR965 = 4315


def fit_seconds(t: dt.datetime) -> int:
    return int((t - FIT_EPOCH).total_seconds())


@dataclass
class Leg:
    """One session message."""

    sport: str
    sub_sport: str | None
    start: dt.datetime
    elapsed_s: float
    distance_m: float | None = None
    avg_hr: int | None = None
    timer_s: float | None = None

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.elapsed_s)


@dataclass
class Set:
    """One set message."""

    start: dt.datetime
    set_type: str = "active"
    repetitions: int | None = None
    category: str | None = None
    exercise_name: int | None = None
    weight_kg: float | None = None
    duration_s: float = 40.0
    wkt_step_index: int | None = None


@dataclass
class Step:
    """One workout_step message, as a watch copies it from the workout into the activity."""

    category: str | None
    exercise_name: int | None
    duration_type: str = "reps"  #: ``reps`` or ``time``
    value: float = 12  #: reps, or seconds for ``time``
    intensity: str = "active"


@dataclass
class Activity:
    legs: Sequence[Leg]
    serial: int = 3486647825
    manufacturer: str = "garmin"
    product: int = FR965
    #: watch-local offset written into activity.local_timestamp (None: not written)
    utc_offset_s: int | None = 0
    workout_name: str | None = None
    sets: Sequence[Set] = field(default_factory=tuple)
    time_created: dt.datetime | None = None
    #: workout_step messages (written after the workout message)
    steps: Sequence[Step] = field(default_factory=tuple)
    workout_sub_sport: str | None = None


def encode(a: Activity) -> bytes:
    enc = Encoder()
    created = a.time_created or a.legs[0].start
    enc.on_mesg(
        MESG["FILE_ID"],
        {
            "type": "activity",
            "manufacturer": a.manufacturer,
            "product": a.product,
            "serial_number": a.serial,
            "time_created": created,
        },
    )
    if a.workout_name is not None:
        workout: dict[str, object] = {
            "wkt_name": a.workout_name,
            "sport": "training",
            "num_valid_steps": len(a.steps) or 2,
        }
        if a.workout_sub_sport is not None:
            workout["sub_sport"] = a.workout_sub_sport
        enc.on_mesg(MESG["WORKOUT"], workout)
    for i, step in enumerate(a.steps):
        wstep: dict[str, object] = {
            "message_index": i,
            "duration_type": step.duration_type,
            "intensity": step.intensity,
            "duration_value": int(step.value * 1000) if step.duration_type == "time" else int(step.value),
            "target_type": "open",
        }
        if step.category is not None:
            wstep["exercise_category"] = step.category
            if step.exercise_name is not None:
                wstep["exercise_name"] = step.exercise_name
        enc.on_mesg(MESG["WORKOUT_STEP"], wstep)
    for i, s in enumerate(a.sets):
        mesg: dict[str, object] = {
            "timestamp": s.start + dt.timedelta(seconds=s.duration_s),
            "start_time": s.start,
            "duration": s.duration_s,
            "set_type": s.set_type,
            "message_index": i,
        }
        if s.repetitions is not None:
            mesg["repetitions"] = s.repetitions
        if s.weight_kg is not None:
            mesg["weight"] = s.weight_kg
        if s.category is not None:
            mesg["category"] = [s.category]
            mesg["category_subtype"] = [s.exercise_name if s.exercise_name is not None else 65535]
        if s.wkt_step_index is not None:
            mesg["wkt_step_index"] = s.wkt_step_index
        enc.on_mesg(MESG["SET"], mesg)
    for i, leg in enumerate(a.legs):
        mesg = {
            "message_index": i,
            "timestamp": leg.end,
            "start_time": leg.start,
            "sport": leg.sport,
            "total_elapsed_time": leg.elapsed_s,
            "total_timer_time": leg.timer_s or leg.elapsed_s,
            "event": "session",
            "event_type": "stop",
        }
        if leg.sub_sport is not None:
            mesg["sub_sport"] = leg.sub_sport
        if leg.distance_m is not None:
            mesg["total_distance"] = leg.distance_m
        if leg.avg_hr is not None:
            mesg["avg_heart_rate"] = leg.avg_hr
        enc.on_mesg(MESG["SESSION"], mesg)
    end = a.legs[-1].end
    activity: dict[str, object] = {
        "timestamp": end,
        "num_sessions": len(a.legs),
        "type": "manual",
        "total_timer_time": sum(leg.elapsed_s for leg in a.legs),
    }
    if a.utc_offset_s is not None:
        activity["local_timestamp"] = fit_seconds(end) + a.utc_offset_s
    enc.on_mesg(MESG["ACTIVITY"], activity)
    return bytes(enc.close())


# --- builders --------------------------------------------------------------------------


def run(
    start: dt.datetime,
    minutes: float,
    km: float | None = None,
    *,
    sub_sport: str = "generic",
    hr: int | None = 150,
    offset_s: int | None = 0,
    serial: int | None = None,
) -> bytes:
    leg = Leg("running", sub_sport, start, minutes * 60, km * 1000 if km is not None else None, hr)
    return encode(Activity([leg], utc_offset_s=offset_s, serial=serial or _serial(start)))


def ride(start: dt.datetime, minutes: float, km: float) -> bytes:
    return encode(Activity([Leg("cycling", "road", start, minutes * 60, km * 1000, 130)], serial=_serial(start)))


def multisport(start: dt.datetime) -> bytes:
    """Swim 20 min, transition 3 min, ride 60 min, transition 2 min, run 40 min (8 km)."""
    legs = []
    t = start
    for sport, sub, minutes, km in [
        ("swimming", "open_water", 20, 1.0),
        ("transition", None, 3, None),
        ("cycling", "road", 60, 30.0),
        ("transition", None, 2, None),
        ("running", "generic", 40, 8.0),
    ]:
        legs.append(Leg(sport, sub, t, minutes * 60, km * 1000 if km else None, 140))
        t += dt.timedelta(minutes=minutes)
    return encode(Activity(legs, serial=_serial(start)))


def strength(
    start: dt.datetime,
    reps: Sequence[int],
    *,
    category: str = "hip_stability",
    exercise_name: int | None = 0,
    minutes: float = 35,
) -> bytes:
    """A strength activity: one active set per entry of ``reps`` (rests between)."""
    sets = []
    t = start
    for r in reps:
        sets.append(Set(t, "active", r, category, exercise_name, 0.0, 45))
        t += dt.timedelta(seconds=45)
        sets.append(Set(t, "rest", duration_s=60))
        t += dt.timedelta(seconds=60)
    leg = Leg("training", "strength_training", start, minutes * 60, None, 110)
    return encode(Activity([leg], sets=sets, serial=_serial(start)))


def stretch_workout(start: dt.datetime, name: str = "Post-run Stretch 1", minutes: float = 4) -> bytes:
    """A performed stretch workout: workout message plus timed sets of pigeon and lying figure-four."""
    sets = [
        Set(start, "active", None, "warm_up", 59, None, 30, 0),
        Set(start + dt.timedelta(seconds=30), "active", None, "warm_up", 59, None, 30, 1),
    ]
    leg = Leg("training", "flexibility_training", start, minutes * 60, None, 90)
    return encode(Activity([leg], workout_name=name, sets=sets, serial=_serial(start)))


def fitplug_session(
    start: dt.datetime, session: Session, reps: Mapping[str, Sequence[int]] | None = None, *, skip: Sequence[str] = ()
) -> bytes:
    """A fitplug workout done on the watch, recorded as a watch records it.

    The activity is ``training/strength_training`` (every fitplug workout is), with
    the workout and its steps (one step an exercise and side), and an active ``set``
    per set and side with the step's category, name id and ``wkt_step_index``, a
    rest set after each. ``reps``: reps per set for an exercise id (each side the
    same; default the top of its range); ``skip``: exercise ids not done.
    """
    steps: list[Step] = []
    sets: list[Set] = []
    t = start
    # the workout's own step indices (what a watch writes as wkt_step_index): fitplug's plan of the session
    work = [st for st in plan_session(session) if st.type is StepType.WORK]
    for ex in session.exercises:
        sides = 2 if ex.per_side else 1
        timed = isinstance(ex.dose, Hold)
        indices = [st.index for st in work if st.exercise is ex]
        for _ in range(sides):
            value = ex.dose.high_s if isinstance(ex.dose, Hold) else ex.dose.high
            steps.append(
                Step(
                    ex.garmin.category,
                    ex.garmin.name_id,
                    "time" if timed else "reps",
                    value,
                    "warmup" if ex.intensity.value == "warmup" else "active",
                )
            )
        if ex.id in skip:
            continue
        counts = list(reps.get(ex.id, ())) if reps else []
        for n in range(ex.sets):
            for side in range(sides):
                count = None if timed else (counts[n] if n < len(counts) else ex.dose.high)  # type: ignore[union-attr]
                seconds = float(ex.dose.high_s) if isinstance(ex.dose, Hold) else 6.0 * (count or 1)
                sets.append(
                    Set(t, "active", count, ex.garmin.category, ex.garmin.name_id, None, seconds, indices[side])
                )
                t += dt.timedelta(seconds=seconds)
                sets.append(Set(t, "rest", duration_s=20))
                t += dt.timedelta(seconds=20)
    minutes = max(1.0, (t - start).total_seconds() / 60)
    leg = Leg("training", "strength_training", start, minutes * 60, None, 100)
    return encode(
        Activity(
            [leg],
            workout_name=session.name,
            sets=sets,
            steps=steps,
            serial=_serial(start),
            workout_sub_sport="strength_training",
        )
    )


def yoga(start: dt.datetime, minutes: float = 30) -> bytes:
    return encode(Activity([Leg("training", "yoga", start, minutes * 60, None, 85)], serial=_serial(start)))


def workout_file() -> bytes:
    """A workout file (not an activity): sync skips it quietly."""
    enc = Encoder()
    enc.on_mesg(
        MESG["FILE_ID"],
        {
            "type": "workout",
            "manufacturer": "development",
            "product": 1,
            "serial_number": 7,
            "time_created": dt.datetime(2026, 1, 1, tzinfo=UTC),
        },
    )
    enc.on_mesg(MESG["WORKOUT"], {"wkt_name": "Glute Strength", "sport": "training", "num_valid_steps": 0})
    return bytes(enc.close())


def _serial(start: dt.datetime) -> int:
    return 3_000_000_000 + fit_seconds(start) % 1_000_000_000


# --- broken files -------------------------------------------------------------------------


def truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def bit_flipped(data: bytes) -> bytes:
    """One bit flipped in the last message's values: only the CRC can tell."""
    b = bytearray(data)
    b[-3] ^= 0x10
    return bytes(b)


ZERO_BYTES = b""
NOT_FIT = b"<?xml version='1.0'?><TrainingCenterDatabase/>\n" * 4


# --- every generated fixture, by name (the readers must agree on each) ------------------

_T = dt.datetime(2026, 11, 20, 7, 14, tzinfo=UTC)


def _chained() -> bytes:
    from fitfiles import chain

    return chain(run(_T, 30, 5), strength(_T + dt.timedelta(hours=2), [10, 8]))


FIXTURES: dict[str, Callable[[], bytes]] = {
    "run": lambda: run(_T, 45, 9.2),
    "run_treadmill_no_hr_no_offset": lambda: run(_T, 30, 5, sub_sport="treadmill", hr=None, offset_s=None),
    "run_no_distance": lambda: run(_T, 30),
    "run_offset_over_a_day": lambda: run(_T, 30, 5, offset_s=2 * 86400),
    "run_negative_offset": lambda: run(_T, 30, 5, offset_s=-7 * 3600),
    # a watch whose clock was never set: times below 0x10000000, from the FIT epoch
    "run_device_relative_time": lambda: run(FIT_EPOCH + dt.timedelta(seconds=5000), 30, 5),
    "ride": lambda: ride(_T, 60, 30),
    "multisport": lambda: multisport(_T),
    "strength": lambda: strength(_T, [12, 10, 8]),
    "strength_no_exercise_name": lambda: strength(_T, [5], category="squat", exercise_name=None),
    "stretch_workout": lambda: stretch_workout(_T),
    "yoga": lambda: yoga(_T),
    "workout_file": workout_file,
    "chained": _chained,
    "truncated": lambda: truncated(run(_T, 30, 5)),
    "bit_flipped": lambda: bit_flipped(strength(_T, [10])),
    "zero_bytes": lambda: ZERO_BYTES,
    "not_fit": lambda: NOT_FIT,
}

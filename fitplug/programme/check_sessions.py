"""The ``[[sessions]]`` and ``[post_run]`` parts of a programme: what is done on which day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fitplug.model import DEFAULT_POST_RUN_NAME, Exercise, PostRunSet, Session, SessionKind, Weekday
from fitplug.programme import fields as f
from fitplug.programme.check_exercises import MAX_NAME_BYTES, ExerciseTable
from fitplug.programme.fields import KeyPath, Problems
from fitplug.programme.schedule import session_minutes
from fitplug.programme.steps import MAX_STEPS, count_steps

MAX_DESCRIPTION_CHARS = 1000

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_SESSION_KEYS = ("id", "name", "kind", "days", "time", "duration_min", "exercises", "description")
_POST_RUN_KEYS = ("name", "always", "rotation", "per_run", "on_watch_calendar")

_DAYS = {
    **{d.name.lower(): d for d in Weekday},
    "monday": Weekday.MON,
    "tuesday": Weekday.TUE,
    "wednesday": Weekday.WED,
    "thursday": Weekday.THU,
    "friday": Weekday.FRI,
    "saturday": Weekday.SAT,
    "sunday": Weekday.SUN,
}


@dataclass(slots=True)
class _Week:
    """What the sessions checked so far have taken: ids and days (one session a day)."""

    ids: set[str] = field(default_factory=set)
    days: dict[Weekday, str] = field(default_factory=dict)


def check_sessions(problems: Problems, raw: Any, exercises: ExerciseTable) -> list[Session]:
    if not isinstance(raw, list):
        problems.fail(("sessions",), f"must be an array of tables ([[sessions]]), got {f.kind_of(raw)}")
        return []
    week = _Week()
    sessions: list[Session] = []
    for i, body in enumerate(raw):
        session = _session(problems.part(), ("sessions", i), body, exercises, week)
        if session is not None:
            week.ids.add(session.id)
            sessions.append(session)
    return sessions


def _session(problems: Problems, path: KeyPath, body: Any, exercises: ExerciseTable, week: _Week) -> Session | None:
    table = f.table(problems, body, path, _SESSION_KEYS)
    sid = _session_id(problems, table, path, week)
    name = f.text(problems, table, path, "name", max_bytes=MAX_NAME_BYTES, name=True)
    kind = _kind(problems, table, path)
    days = _days(problems, table, path, sid, week)
    time = _clock(problems, table, path)
    moves = exercise_refs(problems, table, path, exercises)
    duration = f.integer(problems, table, path, "duration_min", 5, 240, default=None, unit=" minutes")
    description = f.text(
        problems, table, path, "description", default="", max_chars=MAX_DESCRIPTION_CHARS, single_line=False
    )
    if problems.found or not sid or not name or not moves or time is None:
        return None
    session = Session(
        id=sid,
        name=name,
        kind=kind,
        exercises=tuple(moves),
        days=days,
        time=time,
        duration_min=duration or 0,
        description=description or "",
    )
    steps = count_steps(session)
    if steps > MAX_STEPS:
        problems.fail(
            (*path, "exercises"),
            f"makes {steps} watch steps; a Garmin workout holds at most {MAX_STEPS} (fewer exercises or sets)",
        )
        return None
    if not duration:
        session = dataclasses.replace(session, duration_min=max(5, session_minutes(session)))
    return session


def _session_id(problems: Problems, table: Mapping[str, Any], path: KeyPath, week: _Week) -> str | None:
    sid = f.slug(problems, table, path, "id")
    if sid and sid.startswith("post-run-stretch"):
        problems.fail((*path, "id"), "the post-run-stretch names are kept for the [post_run] set")
    if sid in week.ids:
        problems.fail((*path, "id"), f"{sid!r} is used by an earlier session")
    return sid


def _kind(problems: Problems, table: Mapping[str, Any], path: KeyPath) -> SessionKind:
    name = f.get(problems, table, path, "kind", str, default="strength")
    if name not in ("strength", "stretch"):
        problems.fail((*path, "kind"), f"must be 'strength' or 'stretch', got {name!r}")
        return SessionKind.STRENGTH
    return SessionKind(name)


def _days(
    problems: Problems, table: Mapping[str, Any], path: KeyPath, sid: str | None, week: _Week
) -> tuple[Weekday, ...]:
    full = (*path, "days")
    if "days" not in table:
        problems.fail(full, 'is required: the weekdays of this session, e.g. ["tue", "fri"]')
        return ()
    days = _weekdays(problems, table["days"], full)
    for day in days:
        if day in week.days:
            problems.fail(full, f"{day.name.lower()} already has the session {week.days[day]!r}; one session a day")
        elif sid:
            week.days[day] = sid
    return days


def _weekdays(problems: Problems, value: Any, path: KeyPath) -> tuple[Weekday, ...]:
    if not isinstance(value, list):
        problems.fail(path, f'must be a list of weekdays like ["tue", "fri"], got {f.kind_of(value)}')
        return ()
    days: list[Weekday] = []
    for i, item in enumerate(value):
        day = _DAYS.get(item.strip().lower()) if isinstance(item, str) else None
        if day is None:
            problems.fail((*path, i), f"unknown weekday {item!r}{f.suggest(str(item).lower(), _DAYS)}")
        elif day in days:
            problems.fail((*path, i), f"{item!r} is listed twice")
        else:
            days.append(day)
    return tuple(sorted(days))


def _clock(problems: Problems, table: Mapping[str, Any], path: KeyPath) -> dt.time | None:
    value = table.get("time", "07:00")
    if isinstance(value, dt.time):  # TOML local time: 07:00:00
        return value.replace(microsecond=0)
    if isinstance(value, str) and (m := _TIME.match(value)):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    problems.fail((*path, "time"), f'must be a local time like "07:00", got {value!r}')
    return None


def exercise_refs(
    problems: Problems, table: Mapping[str, Any], path: KeyPath, exercises: ExerciseTable, key: str = "exercises"
) -> list[Exercise]:
    """The exercises a list of keys names; a key of an exercise that failed is not reported again."""
    value = table.get(key)
    full = (*path, key)
    if value is None:
        problems.fail(full, "is required: a list of exercise keys from [exercises]")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.fail(full, f"must be a list of exercise keys, got {value!r}")
        return []
    found: list[Exercise] = []
    for i, ref in enumerate(value):
        if ref in exercises.found:
            found.append(exercises.found[ref])
        elif ref not in exercises.failed:
            problems.fail((*full, i), f"no exercise {ref!r} in [exercises]{f.suggest(ref, exercises.keys)}")
    return found


def check_post_run(problems: Problems, raw: Any, exercises: ExerciseTable) -> PostRunSet | None:
    path: KeyPath = ("post_run",)
    table = f.table(problems, raw, path, _POST_RUN_KEYS)
    # variant names get " 1", " 2"... appended: keep room for that
    name = f.text(problems, table, path, "name", default=DEFAULT_POST_RUN_NAME, max_bytes=MAX_NAME_BYTES - 3, name=True)
    always = exercise_refs(problems, table, path, exercises, "always") if "always" in table else []
    rotation = exercise_refs(problems, table, path, exercises, "rotation") if "rotation" in table else []
    if not always and not rotation and "always" in table and "rotation" in table:
        problems.fail(path, "needs at least one stretch in always or rotation")
    if "always" not in table and "rotation" not in table:
        problems.fail(path, "needs always = [...] and/or rotation = [...] (exercise keys)")
    per_run = _per_run(problems, table, path, always, rotation)
    on_calendar = f.get(problems, table, path, "on_watch_calendar", bool, default=True)
    if problems.found or name is None or per_run is None or not isinstance(on_calendar, bool):
        return None
    return PostRunSet(
        always=tuple(always), rotation=tuple(rotation), per_run=per_run, name=name, on_watch_calendar=on_calendar
    )


def _per_run(
    problems: Problems, table: Mapping[str, Any], path: KeyPath, always: list[Exercise], rotation: list[Exercise]
) -> int | None:
    # by default: the fixed stretches plus one from the rotation
    default = max(1, len(always) + min(1, len(rotation)))
    per_run = f.integer(problems, table, path, "per_run", 1, 6, default=default)
    if per_run is not None and per_run < len(always):
        problems.fail((*path, "per_run"), f"is {per_run} but {len(always)} stretches are always done")
    if per_run is not None and per_run > len(always) and not rotation:
        problems.fail((*path, "rotation"), f"per_run is {per_run}: give stretches to rotate through")
    overlap = {e.id for e in always} & {e.id for e in rotation}
    if overlap:
        problems.fail((*path, "rotation"), f"{', '.join(sorted(overlap))} is already in always")
    return per_run

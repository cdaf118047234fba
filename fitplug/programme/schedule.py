"""Programme plus dates → dated sessions, and the post-run set's rotation.

No hidden clock: every function takes the dates it works on.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from fitplug.model import Exercise, Hold, PlannedSession, Programme, RunHabit, Session, SessionKind
from fitplug.times import UTC


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name (cached)."""
    return ZoneInfo(name)


def local_datetime(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at wall-clock ``time`` in ``tz``; a time that a spring clock change skips
    moves forward by the gap, as a clock on the wall would."""
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


def expand(programme: Programme, start: dt.date, end: dt.date) -> list[PlannedSession]:
    """Every planned session on the days ``start`` ≤ day < ``end``, in date order.

    Validation guarantees no two sessions share a weekday, so a day has at most one.
    """
    tz = zone(programme.timezone)
    by_day: dict[int, Session] = {}
    for session in programme.sessions:
        for weekday in session.days:
            by_day.setdefault(int(weekday), session)
    planned: list[PlannedSession] = []
    day = start
    while day < end:
        planned_session = by_day.get(day.weekday())
        if planned_session is not None:
            begin = local_datetime(day, planned_session.time, tz)
            planned.append(
                PlannedSession(
                    date=day,
                    start=begin,
                    end=begin + dt.timedelta(minutes=planned_session.duration_min),
                    session=planned_session,
                )
            )
        day += dt.timedelta(days=1)
    return planned


def upcoming(programme: Programme, now: dt.datetime, limit: int = 30) -> list[PlannedSession]:
    """The next ``limit`` planned sessions that start after ``now`` (aware)."""
    if not any(s.days for s in programme.sessions):
        return []
    tz = zone(programme.timezone)
    day = now.astimezone(tz).date()
    found: list[PlannedSession] = []
    while len(found) < limit:
        chunk = expand(programme, day, day + dt.timedelta(days=28))
        found += [p for p in chunk if p.start > now]
        day += dt.timedelta(days=28)
    return found[:limit]


#: how far ahead the watch's calendar is given post-run sets
POST_RUN_AHEAD_DAYS = 28


def watch_calendar(programme: Programme, now: dt.datetime, habit: RunHabit, limit: int = 30) -> list[PlannedSession]:
    """What the watch's own calendar gets: the next planned sessions and, when the programme says so
    (``[post_run] on_watch_calendar``), its post-run sets on the runner's usual run days over the next
    four weeks, at the usual end of the run, in the rotation's order from the set the next run gets.
    Within ``limit`` entries in all, planned sessions first: post-run sets fill what they leave, the
    earliest first; in time order."""
    planned = upcoming(programme, now, limit=limit)
    post = programme.post_run
    variants = post_run_variants(programme)
    if post is None or not post.on_watch_calendar or not habit.days or not variants:
        return planned
    tz = zone(programme.timezone)
    today = now.astimezone(tz).date()
    ends = dict(habit.days)
    sets: list[PlannedSession] = []
    for offset in range(POST_RUN_AHEAD_DAYS):
        day = today + dt.timedelta(days=offset)
        if day.weekday() not in ends:
            continue
        start = dt.datetime.combine(day, ends[day.weekday()], tz)
        variant = variants[(habit.next_variant + len(sets)) % len(variants)]
        if start > now:
            sets.append(PlannedSession(day, start, start + dt.timedelta(minutes=variant.duration_min or 5), variant))
    horizon = [p for p in planned if p.start.date() < today + dt.timedelta(days=POST_RUN_AHEAD_DAYS)]
    room = max(0, limit - len(horizon))
    chosen = sets[:room]
    return sorted([*planned[: limit - len(chosen)], *chosen], key=lambda p: p.start)


#: characters of a workout name a watch compares: two names alike in these are one workout
NAME_KEY_CHARS = 15


def name_key(name: str) -> str:
    """What a watch compares of a workout name."""
    return name[:NAME_KEY_CHARS].casefold()


def variant_name(base: str, number: int) -> str:
    """Post-run set ``number``'s name, the one the watch shows and every report uses: the number
    brought forward into the 15 characters a watch compares, after as many whole words as fit
    ("Post-run Stretch" and 2 → "Post-run 2 Stretch"), so no two sets look alike on the watch;
    every word is kept. A first word too long for that is cut instead."""
    tail = str(number)
    words = base.split(" ")
    for k in range(len(words), 0, -1):
        lead = " ".join(words[:k])
        if len(lead) + 1 + len(tail) <= NAME_KEY_CHARS:
            return " ".join([lead, tail, *words[k:]])[:31]
    return f"{base[: NAME_KEY_CHARS - len(tail) - 1].rstrip()} {tail}"


def post_run_variants(programme: Programme) -> tuple[Session, ...]:
    """The distinct post-run sets the rotation produces, in the order they come round.

    With ``always`` = (pigeon,), a rotation of three stretches and two per run,
    the variants are pigeon + each of the three in turn, named as the watch
    shows them (:func:`variant_name`).
    """
    post = programme.post_run
    if post is None:
        return ()
    extra = max(0, post.per_run - len(post.always))
    rotation = post.rotation
    count = len(rotation) if rotation and extra else 1
    variants: list[Session] = []
    for i in range(count):
        picked: list[Exercise] = list(post.always)
        for k in range(min(extra, len(rotation))):
            picked.append(rotation[(i * extra + k) % len(rotation)])
        suffix = f"-{i + 1}" if count > 1 else ""
        variants.append(
            Session(
                id=f"post-run-stretch{suffix}",
                name=variant_name(post.name, i + 1) if count > 1 else post.name[:31],
                kind=SessionKind.POST_RUN,
                exercises=tuple(picked),
                duration_min=max(1, sum(_exercise_minutes(e) for e in picked)),
                description="Stretches for after a training run.",
            )
        )
    return tuple(variants)


def _exercise_minutes(exercise: Exercise) -> int:
    """Rough minutes an exercise takes, for calendar event lengths."""
    sides = 2 if exercise.per_side else 1
    if isinstance(exercise.dose, Hold):
        work = exercise.dose.high_s
    else:
        work = exercise.dose.high * (exercise.tempo.rep_s if exercise.tempo else 3)
    rest = exercise.rest_s or 0
    seconds = exercise.sets * (sides * work + (sides - 1) * exercise.side_rest_s + rest)
    return max(1, round(seconds / 60))


def session_minutes(session: Session) -> int:
    """Rough minutes a session takes from its exercises."""
    return max(1, sum(_exercise_minutes(e) for e in session.exercises))

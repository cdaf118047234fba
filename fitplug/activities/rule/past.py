"""The part of the rule's answer that is settled for good, kept, so a later answer decides only what came after.

A post-run set whose run is weeks old is done or missed, and a planned strength day weeks back is
missed or credited, for good: nothing recorded later can change them, only something recorded
*then* (a file synced late, a hand log or a mark for those days). :func:`settled` takes that part of a
whole answer, up to a cut (a local Monday), with ``until``: every record it depends on starts before
that instant. :func:`~fitplug.activities.rule.due.decide` given it (``past=``) decides only from the
cut on and gives the answer it would give over everything, as long as what is recorded before
``until`` is what it was then (the caller checks that: :mod:`fitplug.activities.tracking`).

:func:`encode` and :func:`decode` turn it into text and back (JSON; a session is named by its place in
the programme, so the text holds nothing the programme does not say).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fitplug.model import Decision, DoneBy, Moved, Programme, RunStretch, Session, State
from fitplug.programme.schedule import post_run_variants, zone
from fitplug.times import UTC, local_midnight

#: how far back the cut lies: the report's twelve weeks and a margin stay after it
KEEP_WEEKS = 16
#: the text's form; another form (or a damaged text) is not used
FORM = "fitplug.past/1"


@dataclass(frozen=True, slots=True)
class Past:
    """The rule's settled answer before ``cut`` (local midnight of a Monday, UTC), decided at ``now``."""

    cut: dt.datetime
    #: every activity, mark and hand log it depends on starts (or is for a day) before this
    until: dt.datetime
    now: dt.datetime
    runs: tuple[RunStretch, ...]
    missed: tuple[tuple[dt.date, Session], ...]
    moved: tuple[Moved, ...]

    @property
    def taken(self) -> frozenset[dt.date]:
        """The days done that were credited to a planned day before the cut: none is credited twice."""
        return frozenset(m.done for m in self.moved)


def cut_for(programme: Programme, now: dt.datetime) -> dt.datetime:
    """Where the settled part ends at ``now``: the local Monday :data:`KEEP_WEEKS` weeks back (UTC)."""
    tz = zone(programme.timezone)
    day = now.astimezone(tz).date() - dt.timedelta(weeks=KEEP_WEEKS)
    return local_midnight(day - dt.timedelta(days=day.weekday()), tz).astimezone(UTC)


def settled(decision: Decision, programme: Programme, cut: dt.datetime) -> Past | None:
    """The part of ``decision`` (over the whole history) before ``cut`` that nothing later can change;
    the cut is moved back to the Monday of the first post-run set still open before it. ``None`` when
    there is nothing to keep (no day before the cut is tracked)."""
    tz = zone(programme.timezone)
    open_runs = [r for r in decision.runs if r.run_start_utc < cut and r.state is State.DUE]
    if open_runs:
        day = open_runs[0].run_start_utc.astimezone(tz).date()
        cut = local_midnight(day - dt.timedelta(days=day.weekday()), tz).astimezone(UTC)
    cut_day = cut.astimezone(tz).date()
    if decision.first_day is None or decision.first_day >= cut_day:
        return None
    runs = tuple(r for r in decision.runs if r.run_start_utc < cut)
    # what a settled set depended on: the evidence up to its completion, else up to its lapse (never
    # ``None`` here: a set open until a run not yet run is still due); a planned day, strength days
    # ``move_days`` off, and a day's local span
    until = cut + dt.timedelta(days=programme.targets.move_days + 3)
    for r in runs:
        end = r.done_utc if r.done_utc is not None else r.lapse_utc
        if end is None:
            return None
        until = max(until, end)
    if until.microsecond:  # the store keeps whole seconds: round up, so nothing before it is left out
        until = until.replace(microsecond=0) + dt.timedelta(seconds=1)
    return Past(
        cut=cut,
        until=until,
        now=decision.now,
        runs=runs,
        missed=tuple(m for m in decision.strength_missed if m[0] < cut_day),
        moved=tuple(m for m in decision.strength_moved if m.planned < cut_day),
    )


# --- as text ---------------------------------------------------------------------------


def _sessions(programme: Programme) -> tuple[Session, ...]:
    """Every session a kept answer can name, by place: the programme's, then the post-run variants."""
    return (*programme.sessions, *post_run_variants(programme))


def _place(session: Session | None, sessions: Sequence[Session]) -> int | None:
    if session is None:
        return None
    for n, s in enumerate(sessions):
        if s is session:
            return n
    return sessions.index(session)  # ValueError: not the programme's (encode refuses)


def _t(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()


def encode(past: Past, programme: Programme) -> str | None:
    """``past`` as text, or ``None`` when it names a session the programme does not hold."""
    sessions = _sessions(programme)
    try:
        runs = [
            [r.key, _t(r.run_start_utc), _t(r.run_end_utc), r.utc_offset_s, r.sub_sport, r.distance_m, r.elapsed_s,
             r.run_number, _place(r.session, sessions), _t(r.lapse_utc), r.state.value, _t(r.done_utc),
             None if r.done_by is None else r.done_by.value, _place(r.done_session, sessions)]
            for r in past.runs
        ]  # fmt: skip
        missed = [[d.isoformat(), _place(s, sessions)] for d, s in past.missed]
        moved = [[m.planned.isoformat(), m.done.isoformat(), _place(m.session, sessions)] for m in past.moved]
    except ValueError:
        return None
    head = {"form": FORM, "cut": _t(past.cut), "until": _t(past.until), "now": _t(past.now)}
    return json.dumps({**head, "runs": runs, "missed": missed, "moved": moved}, separators=(",", ":"))


def decode(text: str, programme: Programme) -> Past | None:
    """What :func:`encode` wrote, for the same programme; ``None`` for any other text."""
    sessions = _sessions(programme)
    try:
        data: Any = json.loads(text)
        if data.get("form") != FORM:
            return None
        t, d = dt.datetime.fromisoformat, dt.date.fromisoformat

        def at(x: str | None) -> dt.datetime | None:
            return None if x is None else t(x)

        def named(n: int | None) -> Session | None:
            if n is None:
                return None
            if not 0 <= n < len(sessions):
                raise ValueError(n)
            return sessions[n]

        runs = tuple(
            RunStretch(
                key=r[0], run_start_utc=t(r[1]), run_end_utc=t(r[2]), utc_offset_s=r[3], sub_sport=r[4],
                distance_m=r[5], elapsed_s=r[6], run_number=r[7], session=named(r[8]), lapse_utc=at(r[9]),
                state=State(r[10]), done_utc=at(r[11]), done_by=None if r[12] is None else DoneBy(r[12]),
                done_session=named(r[13]),
            )
            for r in data["runs"]
        )  # fmt: skip
        missed = tuple((d(m[0]), _required(named(m[1]))) for m in data["missed"])
        moved = tuple(Moved(d(m[0]), d(m[1]), _required(named(m[2]))) for m in data["moved"])
        return Past(t(data["cut"]), t(data["until"]), t(data["now"]), runs, missed, moved)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _required(session: Session | None) -> Session:
    if session is None:
        raise ValueError("a planned day without its session")
    return session

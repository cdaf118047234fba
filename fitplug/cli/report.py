"""Words and JSON for `fitplug sync`, `status`, `activities` and `done` (schemas: docs/json.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fitplug.activities.rule.due import band_words, run_words, stretch_names
from fitplug.activities.rule.plan import plan_against_done
from fitplug.errors import printable
from fitplug.model import (
    ActivitySession,
    Decision,
    DoneBy,
    DueItem,
    DueKind,
    PlanAgainstDone,
    Programme,
    Reps,
    RunStretch,
    State,
    StoredActivity,
    WeekTally,
)
from fitplug.programme.schedule import upcoming, zone
from fitplug.times import utc_text as iso

if TYPE_CHECKING:
    from fitplug.activities.ingest import SyncResult

_KIND_WORDS = {"run": ("run", "runs"), "strength": ("strength", "strength"), "stretch": ("stretch", "stretch")}


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# --- human -------------------------------------------------------------------------


def sync_lines(result: SyncResult, programme: Programme | None, now: dt.datetime) -> list[str]:
    """The short summary `fitplug sync` prints."""
    lines = [_read_line(result), *_skipped_lines(result), *result.notes, *_installed_lines(result)]
    if programme is None:
        lines.append("No programme: name one with --programme (or run `fitplug init`) to learn what is due.")
    elif result.decision is not None:
        tz = zone(programme.timezone)
        completed = completed_by_sync(result)
        for r in completed:
            name = r.session.name if r.session else "post-run stretches"
            assert r.done_utc is not None
            lines.append(f"post-run set done: {name}, {r.done_utc.astimezone(tz):%a %H:%M}")
        said = {r.key for r in completed}  # not again under "since the last sync"
        lines += decision_lines(result.decision, programme, now, [i for i in result.items if i.key not in said])
    return lines


def completed_by_sync(result: SyncResult) -> list[RunStretch]:
    """The post-run sets that activities read in this sync completed."""
    if result.decision is None:
        return []
    starts = {a.start_utc for a in result.new if a.start_utc is not None}
    return [r for r in result.decision.runs
            if r.state is State.DONE and r.done_by is not DoneBy.MARK and r.done_utc in starts]


def _read_line(result: SyncResult) -> str:
    """``Read 3 new activities: 2 runs, 1 strength (12 unchanged, 1 duplicate).``"""
    if result.new:
        parts = []
        for kind, n in sorted(result.new_by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
            one, many = _KIND_WORDS.get(kind, (kind, kind))
            parts.append(f"{n} {one if n == 1 else many}")
        head = f"Read {_plural(len(result.new), 'new activity', 'new activities')}: {', '.join(parts)}"
    else:
        head = "No new activities"
    other = sum(result.other.values())
    extra = [
        f"{result.unchanged} unchanged" if result.unchanged else "",
        _plural(result.duplicates, "duplicate") if result.duplicates else "",
        _plural(other, "non-activity file") if other else "",
        f"{result.known_bad} known bad" if result.known_bad else "",
    ]
    extra = [e for e in extra if e]
    return head + (f" ({', '.join(extra)})." if extra else ".")


def _skipped_lines(result: SyncResult) -> list[str]:
    if not result.skipped:
        return []
    lines = [f"Skipped {_plural(len(result.skipped), 'file')} that could not be read:"]
    for s in result.skipped:
        at = f" @ byte {s.offset}" if s.offset is not None else ""
        lines.append(f"  {printable(s.key)}{at}: {printable(s.reason)}")
    return lines


def _installed_lines(result: SyncResult) -> list[str]:
    lines = []
    for inst in result.installed:
        if inst.status in ("copied", "replaced"):
            lines.append(f"Put {inst.name} on the watch ({inst.path.parent}).")
        elif inst.status == "conflict":
            lines.append(f"Did not put {inst.name} on the watch: a file fitplug did not write has that name.")
    return lines


def decision_lines(
    decision: Decision, programme: Programme, now: dt.datetime, items: Sequence[DueItem] = ()
) -> list[str]:
    """What is due and until when, what changed since the last sync, the coming week, the tally, the band."""
    tz = zone(programme.timezone)
    lines: list[str] = []
    due = decision.due
    if due:
        for r in due:
            until = (f"until {(r.lapse_utc.astimezone(tz) - dt.timedelta(minutes=1)):%a %d %b %H:%M}"
                     if r.lapse_utc is not None else "until your next run")
            lines.append(f"post-run stretch due now, {until}: {stretch_names(r.session)} "
                         f"(after {run_words(r, programme, now)})")
    else:
        lines.append("No post-run stretch due.")
    lines += _changed_lines(items, now, tz)
    lines += _coming_lines(programme, now)
    lines.append(_week_line(decision))
    lines += [band_words(b) for b in decision.band]
    return lines


#: what "since the last sync" lists: the items that closed (done, lapsed, missed)
_CLOSED = {DueKind.STRETCH_DONE: "done", DueKind.STRETCH_MISSED: "lapsed", DueKind.STRENGTH_MISSED: "missed"}


def _changed_lines(items: Sequence[DueItem], now: dt.datetime, tz: dt.tzinfo) -> list[str]:
    """Items that closed since the store last recorded them (a sync records them), of the last week."""
    recent = now - dt.timedelta(days=8)
    changed = [i for i in items if i.kind in _CLOSED and i.updated_utc is not None
               and i.updated_utc >= now.replace(microsecond=0) and i.end_utc >= recent]
    if not changed:
        return []
    lines = ["Since the last sync:"]
    for i in changed[-5:]:
        lines.append(f"  {i.start_utc.astimezone(tz):%a %d %b}: {i.title}")
    return lines


def _coming_lines(programme: Programme, now: dt.datetime) -> list[str]:
    """The planned sessions of the coming seven days, with their local dates and times."""
    tz = zone(programme.timezone)
    coming = [p for p in upcoming(programme, now, limit=14) if p.start <= now + dt.timedelta(days=7)]
    if not coming:
        return []
    return ["Coming up:"] + [f"  {p.start.astimezone(tz):%a %d %b %H:%M}  {p.session.name}" for p in coming]


def _week_line(decision: Decision) -> str:
    t = decision.tally
    target = f"{t.stretch_min}–{t.stretch_max}" if t.stretch_min != t.stretch_max else f"{t.stretch_min}"
    week = f"This week (from Mon {t.week_start:%d %b}): strength {t.strength_done} of {t.strength_planned} days"
    first = decision.first_day
    notes = []
    if t.strength_missed:
        notes.append(f"{len(t.strength_missed)} missed: {', '.join(f'{d:%a %d}' for d in t.strength_missed)}")
    if first is not None and t.week_start < first < t.week_start + dt.timedelta(days=7):
        notes.append(f"planned from {first:%a %d %b}, when tracking started")
    if notes:
        week += f" ({'; '.join(notes)})"
    week += f", stretching {_plural(t.stretch_days, 'day')} (target {target})."
    return week


def weeks_lines(decision: Decision) -> list[str]:
    """`status --weeks N`: one row a local week, oldest first."""
    head = (f"{'week of':<10}  {'strength':>8}  {'missed':>6}  {'stretch days':>12}  {'post-run done':>13}  "
            f"{'post-run missed':>15}")
    lines = [head]
    for t in decision.weeks:
        target = f"{t.stretch_min}–{t.stretch_max}" if t.stretch_min != t.stretch_max else f"{t.stretch_min}"
        due = f" (+{t.post_run_due} due)" if t.post_run_due else ""
        lines.append(
            f"{t.week_start:%a %d %b}  {f'{t.strength_done}/{t.strength_planned}':>8}  {len(t.strength_missed):>6}  "
            f"{f'{t.stretch_days} of {target}':>12}  {t.post_run_done:>13}  {t.post_run_missed:>15}{due}"
        )
    if decision.first_day is not None and decision.weeks and decision.first_day > decision.weeks[0].week_start:
        lines.append(f"Tracking started {decision.first_day:%a %d %b %Y}: nothing before it is planned or missed.")
    return lines


def done_lines(marked: Sequence[RunStretch], programme: Programme, now: dt.datetime) -> list[str]:
    return [f"Marked done: {stretch_names(r.session)} (after {run_words(r, programme, now)})." for r in marked]


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}"


def local_start(session: ActivitySession) -> str:
    """Start as the watch showed it (``2026-11-20 07:14``), or UTC with ``Z``."""
    local = session.start_local
    if local is None:
        return f"{session.start_utc:%Y-%m-%d %H:%M}Z"
    return f"{local:%Y-%m-%d %H:%M}"


def activity_lines(activities: Sequence[StoredActivity], programme: Programme | None = None) -> list[str]:
    """One row a session, strength sets under their session, then the plan against what was done."""
    if not activities:
        return ["The store holds no activities yet; run `fitplug sync`."]
    lines = [f"{'start (local)':<17}  {'sport':<28}  {'elapsed':>8}  {'timer':>8}  {'distance':>9}  {'HR':>3}  file"]
    for a in activities:
        for i, s in enumerate(a.summary.sessions):
            sport = f"{s.sport}/{s.sub_sport}" if s.sub_sport else s.sport
            dist = f"{s.distance_m / 1000:.2f} km" if s.distance_m else "-"
            hr = str(s.avg_hr) if s.avg_hr is not None else "-"
            lines.append(
                f"{local_start(s):<17}  {sport:<28}  {_clock(s.elapsed_s):>8}  {_clock(s.timer_s):>8}  "
                f"{dist:>9}  {hr:>3}  {printable(a.key)}"
            )
            if i == 0:
                for n, st in enumerate(x for x in a.summary.sets if x.set_type == "active"):
                    what = st.category or "?"
                    if st.exercise_name is not None:
                        what += f"/{_exercise(st.category, st.exercise_name)}"
                    reps = f"{st.repetitions} reps" if st.repetitions is not None else "- reps"
                    kg = f" @ {st.weight_kg:g} kg" if st.weight_kg else ""
                    lines.append(f"    set {n + 1}: {what}, {reps}{kg}")
                if programme is not None:
                    lines += plan_lines(plan_against_done(a.summary, programme))
    return lines


def plan_lines(plan: PlanAgainstDone | None) -> list[str]:
    """``  planned: Glute Strength & Mobility`` and a line an exercise: sets done of planned, each set's reps."""
    if plan is None:
        return []
    lines = [f"  against the plan: {plan.session.name} ({plan.by})"]
    for e in plan.exercises:
        target = f"{e.exercise.dose}" + (" reps" if isinstance(e.exercise.dose, Reps) else "")
        if isinstance(e.exercise.dose, Reps):
            values = [str(s.repetitions) if s.repetitions is not None else "?" for s in e.sets]
        else:
            values = [f"{round(s.duration_s)} s" if s.duration_s is not None else "?" for s in e.sets]
        marks = {"below": "↓", "above": "↑", "in range": "", "unknown": ""}
        done = " ".join(v + marks[w] for v, w in zip(values, e.verdicts(), strict=True)) or "not done"
        lines.append(f"    {e.exercise.title}: {e.sets_done} of {e.sets_planned} sets ({target}): {done}")
    if plan.other_sets:
        lines.append(f"    and {_plural(plan.other_sets, 'set')} of exercises not in the plan")
    return lines


def plan_json(plan: PlanAgainstDone | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    exercises = []
    for e in plan.exercises:
        dose = e.exercise.dose
        exercises.append({
            "exercise": e.exercise.id,
            "title": e.exercise.title,
            "sets_planned": e.sets_planned,
            "sets_done": e.sets_done,
            "target": {"reps_low": dose.low, "reps_high": dose.high} if isinstance(dose, Reps)
            else {"hold_s_low": dose.low_s, "hold_s_high": dose.high_s},
            "sets": [{"repetitions": s.repetitions, "duration_s": s.duration_s, "verdict": v}
                     for s, v in zip(e.sets, e.verdicts(), strict=True)],
        })
    return {"session_id": plan.session.id, "session": plan.session.name, "found_by": plan.by,
            "exercises": exercises, "other_sets": plan.other_sets}


def _exercise(category: str | None, name_id: int) -> str:
    from fitplug.activities.read.reader import type_name

    if category is None:
        return str(name_id)
    return type_name(f"{category}_exercise_name", name_id) or str(name_id)


# --- JSON ----------------------------------------------------------------------------


def stretch_json(r: RunStretch) -> dict[str, Any]:
    return {
        "key": r.key,
        "state": r.state.value,
        "run_start_utc": iso(r.run_start_utc),
        "run_end_utc": iso(r.run_end_utc),
        "distance_m": r.distance_m,
        "elapsed_s": r.elapsed_s,
        "run_number": r.run_number,
        "session_id": r.session.id if r.session else None,
        "stretches": [e.title for e in r.session.exercises] if r.session else [],
        "due_until_utc": iso(r.lapse_utc),
        "done_utc": iso(r.done_utc),
        "done_by": r.done_by,
    }


def item_json(i: DueItem) -> dict[str, Any]:
    return {
        "kind": i.kind.value,
        "key": i.key,
        "start_utc": iso(i.start_utc),
        "end_utc": iso(i.end_utc),
        "title": i.title,
        "detail": i.detail,
        "updated_utc": iso(i.updated_utc),
        "sequence": i.sequence,
    }


def week_json(t: WeekTally) -> dict[str, Any]:
    return {
        "start": t.week_start.isoformat(),
        "strength_done": t.strength_done,
        "strength_planned": t.strength_planned,
        "strength_missed": [d.isoformat() for d in t.strength_missed],
        "stretch_days": t.stretch_days,
        "stretch_days_min": t.stretch_min,
        "stretch_days_max": t.stretch_max,
        "post_run_done": t.post_run_done,
        "post_run_missed": t.post_run_missed,
        "post_run_due": t.post_run_due,
    }


def decision_json(decision: Decision, items: Sequence[DueItem]) -> dict[str, Any]:
    return {
        "tracking_start": decision.first_day.isoformat() if decision.first_day else None,
        "due": [stretch_json(r) for r in decision.due],
        "runs": [stretch_json(r) for r in decision.runs if r.state is not State.DUE][-20:],
        "week": week_json(decision.tally),
        "band_up": [
            {"key": b.key, "exercise": b.exercise.id, "title": b.exercise.title, "band": b.exercise.band,
             "next_band": b.next_band, "threshold": b.threshold, "sessions": b.sessions,
             "since_utc": iso(b.since_utc)}
            for b in decision.band
        ],
        "items": [item_json(i) for i in items],
    }


def sync_json(result: SyncResult, now: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": "fitplug.sync/2",
        "now": iso(now),
        "sources": result.sources,
        "new": [{"file": a.key, "kind": a.kind, "start_utc": iso(a.start_utc)} for a in result.new],
        "new_by_kind": dict(sorted(result.new_by_kind.items())),
        "unchanged": result.unchanged,
        "duplicates": result.duplicates,
        "other": dict(sorted(result.other.items())),
        "skipped": [{"file": s.key, "reason": s.reason, "offset": s.offset} for s in result.skipped],
        "known_bad": result.known_bad,
        "installed": [{"name": i.name, "status": i.status, "path": str(i.path)} for i in result.installed],
        "notes": list(result.notes),
    }
    if result.decision is not None:
        out.update(decision_json(result.decision, result.items))
        out["post_run_done"] = [stretch_json(r) for r in completed_by_sync(result)]
    else:
        out.update({"tracking_start": None, "due": None, "runs": None, "week": None, "band_up": None,
                    "items": None, "post_run_done": None})
    return out


def status_json(decision: Decision, items: Sequence[DueItem], now: dt.datetime) -> dict[str, Any]:
    out = {"schema": "fitplug.status/2", "now": iso(now), **decision_json(decision, items)}
    if len(decision.weeks) > 1:
        out["weeks"] = [week_json(t) for t in decision.weeks]
    return out


def activities_json(activities: Sequence[StoredActivity], programme: Programme | None = None) -> dict[str, Any]:
    rows = []
    for a in activities:
        for i, s in enumerate(a.summary.sessions):
            rows.append(
                {
                    "file": a.key,
                    "sha256": a.summary.sha256,
                    "session": i,
                    "sport": s.sport,
                    "sub_sport": s.sub_sport,
                    "start_utc": iso(s.start_utc),
                    "start_local": s.start_local.isoformat() if s.start_local else None,
                    "utc_offset_s": s.utc_offset_s,
                    "elapsed_s": s.elapsed_s,
                    "timer_s": s.timer_s,
                    "distance_m": s.distance_m,
                    "avg_hr": s.avg_hr,
                    "workout_name": a.summary.workout_name,
                    "sets": [
                        {"start_utc": iso(x.start_utc), "set_type": x.set_type, "repetitions": x.repetitions,
                         "weight_kg": x.weight_kg, "category": x.category, "exercise_name": x.exercise_name,
                         "duration_s": x.duration_s, "wkt_step_index": x.wkt_step_index}
                        for x in a.summary.sets
                    ] if i == 0 else [],
                    "plan": plan_json(plan_against_done(a.summary, programme))
                    if i == 0 and programme is not None else None,
                }
            )
    return {"schema": "fitplug.activities/1", "sessions": rows}


def done_json(marked: Sequence[RunStretch], at: dt.datetime) -> dict[str, Any]:
    return {"schema": "fitplug.done/1", "at_utc": iso(at), "marked": [stretch_json(r) for r in marked]}

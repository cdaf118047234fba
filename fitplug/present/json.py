"""The JSON documents of `fitplug sync`, `status`, `activities` and `done` (schemas: docs/json.md).

Plain dicts of what the application layer returned; :func:`dumps` writes
them as every command prints them. A key that changes meaning bumps the
schema's version; a new key does not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fitplug.model import (
    ActivityRow,
    DueItem,
    Hold,
    Logged,
    LoggedSets,
    Marked,
    PainNote,
    PlanAgainstDone,
    Reps,
    RunStretch,
    State,
    Status,
    SyncResult,
    WeekTally,
)
from fitplug.present.activities import run_stretch_name
from fitplug.times import utc_text as iso

#: how many of the last closed post-run sets a document lists
RUNS_LISTED = 20


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2)


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
        "name": run_stretch_name(r),
        "stretches": [e.title for e in r.session.exercises] if r.session else [],
        "due_until_utc": iso(r.lapse_utc),
        "done_utc": iso(r.done_utc),
        "done_by": r.done_by,
        "done_as": r.done_session.id if r.done_session else None,
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
        "strength_moved": [{"planned": m.planned.isoformat(), "done": m.done.isoformat()} for m in t.strength_moved],
    }


def _decision_json(status: Status) -> dict[str, Any]:
    decision = status.decision
    return {
        "tracking_start": decision.first_day.isoformat() if decision.first_day else None,
        "due": [stretch_json(r) for r in decision.due],
        "runs": [stretch_json(r) for r in decision.runs if r.state is not State.DUE][-RUNS_LISTED:],
        "week": week_json(decision.tally),
        "band_up": [
            {
                "key": b.key,
                "exercise": b.exercise.id,
                "title": b.exercise.title,
                "band": b.exercise.band,
                "next_band": b.next_band,
                "threshold": b.threshold,
                "sessions": b.sessions,
                "since_utc": iso(b.since_utc),
            }
            for b in decision.band
        ],
        "band_down": [
            {
                "key": b.key,
                "exercise": b.exercise.id,
                "title": b.exercise.title,
                "band": b.exercise.band,
                "lighter_band": b.lighter_band,
                "threshold": b.threshold,
                "sessions": b.sessions,
                "since_utc": iso(b.since_utc),
            }
            for b in decision.band_down
        ],
        "pain": [pain_json(n) for n in decision.pain],
        "items": [item_json(i) for i in status.items],
        "changed": [i.key for i in status.changed],
    }


def sync_json(result: SyncResult, now: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": "fitplug.sync/3",
        "now": iso(now),
        "sources": result.sources,
        "new": [{"file": a.key, "kind": str(a.kind), "start_utc": iso(a.start_utc)} for a in result.new],
        "new_by_kind": dict(sorted(result.new_by_kind.items())),
        "unchanged": result.unchanged,
        "duplicates": result.duplicates,
        "other": dict(sorted(result.other.items())),
        "skipped": [{"file": s.key, "reason": s.reason, "offset": s.offset} for s in result.skipped],
        "known_bad": result.known_bad,
        "deferred": [{"file": s.key, "reason": s.reason} for s in result.deferred],
        "installed": [{"name": i.name, "status": str(i.status), "path": str(i.path)} for i in result.installed],
        "notes": list(result.notes),
    }
    if result.status is not None:
        out.update(_decision_json(result.status))
        out["post_run_done"] = [stretch_json(r) for r in result.completed]
    else:
        out.update(
            {
                "tracking_start": None,
                "due": None,
                "runs": None,
                "week": None,
                "band_up": None,
                "band_down": None,
                "pain": None,
                "items": None,
                "changed": None,
                "post_run_done": None,
            }
        )
    return out


def status_json(status: Status) -> dict[str, Any]:
    out = {"schema": "fitplug.status/3", "now": iso(status.now), **_decision_json(status)}
    if len(status.decision.weeks) > 1:
        out["weeks"] = [week_json(t) for t in status.decision.weeks]
    return out


def plan_json(plan: PlanAgainstDone | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    exercises = []
    for e in plan.exercises:
        dose = e.exercise.dose
        target: dict[str, int]
        if isinstance(dose, Reps):
            target = {"reps_low": dose.low, "reps_high": dose.high}
        else:
            assert isinstance(dose, Hold)
            target = {"hold_s_low": dose.low_s, "hold_s_high": dose.high_s}
        exercises.append(
            {
                "exercise": e.exercise.id,
                "title": e.exercise.title,
                "sets_planned": e.sets_planned,
                "sets_done": e.sets_done,
                "target": target,
                "sets": [
                    {"repetitions": s.repetitions, "duration_s": s.duration_s, "verdict": str(v)}
                    for s, v in zip(e.sets, e.verdicts(), strict=True)
                ],
                "band_rule": str(e.band_standing) if e.band_standing is not None else None,
            }
        )
    return {
        "session_id": plan.session.id,
        "session": plan.session.name,
        "found_by": str(plan.by),
        "exercises": exercises,
        "other_sets": plan.other_sets,
    }


def activities_json(rows: Sequence[ActivityRow]) -> dict[str, Any]:
    out = []
    for row in rows:
        a = row.activity
        for s in row.summary.sessions:
            out.append(
                {
                    "file": a.key,
                    "sha256": a.summary.sha256,
                    "session": row.leg,
                    "kind": str(row.classification.kind),
                    "sport": s.sport,
                    "sub_sport": s.sub_sport,
                    "start_utc": iso(s.start_utc),
                    "start_local": s.start_local.isoformat() if s.start_local else None,
                    "utc_offset_s": s.utc_offset_s,
                    "elapsed_s": s.elapsed_s,
                    "timer_s": s.timer_s,
                    "distance_m": s.distance_m,
                    "avg_hr": s.avg_hr,
                    "workout_name": row.summary.workout_name,
                    "sets": [
                        {
                            "start_utc": iso(x.start_utc),
                            "set_type": x.set_type,
                            "repetitions": x.repetitions,
                            "weight_kg": x.weight_kg,
                            "category": x.category,
                            "exercise_name": x.exercise_name,
                            "duration_s": x.duration_s,
                            "wkt_step_index": x.wkt_step_index,
                        }
                        for x in row.summary.sets
                    ],
                    "plan": plan_json(row.plan),
                    "logged": [log_entry_json(e) for e in row.logged],
                }
            )
    return {"schema": "fitplug.activities/2", "sessions": out}


def log_entry_json(e: LoggedSets) -> dict[str, Any]:
    return {
        "day": e.day.isoformat(),
        "exercise": e.exercise,
        "reps": list(e.reps),
        "pain": e.pain,
        "logged_utc": iso(e.logged_utc),
    }


def logged_json(logged: Logged) -> dict[str, Any]:
    """`fitplug log EXERCISE ... --json`."""
    ex = logged.exercise.id
    return {
        "schema": "fitplug.log/1",
        "now": iso(logged.now),
        "exercise": ex,
        "day": logged.day.isoformat(),
        "logged": log_entry_json(logged.entry) if logged.entry is not None else None,
        "before": log_entry_json(logged.before) if logged.before is not None else None,
        "band_rule": str(logged.standing) if logged.standing is not None else None,
        "band_up": [b.key for b in logged.decision.band if b.exercise.id == ex],
        "band_down": [b.key for b in logged.decision.band_down if b.exercise.id == ex],
        "pain": [pain_json(n) for n in logged.decision.pain if n.exercise.id == ex],
    }


def logs_json(entries: Sequence[LoggedSets]) -> dict[str, Any]:
    """`fitplug log --json` alone."""
    return {"schema": "fitplug.logs/1", "logged": [log_entry_json(e) for e in entries]}


def pain_json(n: PainNote) -> dict[str, Any]:
    return {"exercise": n.exercise.id, "title": n.exercise.title, "day": n.day.isoformat()}


def done_json(marked: Marked) -> dict[str, Any]:
    return {"schema": "fitplug.done/1", "at_utc": iso(marked.at), "marked": [stretch_json(r) for r in marked.marked]}

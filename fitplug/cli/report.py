"""Words and JSON for `fitplug sync`, `status`, `activities` and `done` (schemas: docs/json.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fitplug.activities.due import Decision, RunStretch, State, run_words, stretch_names
from fitplug.activities.store import StoredActivity
from fitplug.errors import printable
from fitplug.model import ActivitySession, DueItem, Programme
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
        lines += decision_lines(result.decision, programme, now)
    return lines


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


def decision_lines(decision: Decision, programme: Programme, now: dt.datetime) -> list[str]:
    """What is due, the week's tally and any band advice."""
    lines: list[str] = []
    due = decision.due
    if due:
        for r in due:
            lines.append(f"post-run stretch due now: {stretch_names(r.session)} (after {run_words(r, programme, now)})")
    else:
        lines.append("No post-run stretch due.")
    t = decision.tally
    target = f"{t.stretch_min}–{t.stretch_max}" if t.stretch_min != t.stretch_max else f"{t.stretch_min}"
    week = f"This week (from Mon {t.week_start:%d %b}): strength {t.strength_done} of {t.strength_planned} days"
    if t.strength_missed:
        week += f" ({len(t.strength_missed)} missed)"
    week += f", stretching {_plural(t.stretch_days, 'day')} (target {target})."
    lines.append(week)
    for b in decision.band:
        lines.append(
            f"Time for a tougher band: {b.exercise.title} (every set reached {b.top_reps} reps "
            f"in the last two sessions with the {b.exercise.band} band)."
        )
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


def activity_lines(activities: Sequence[StoredActivity]) -> list[str]:
    """One row a session, strength sets under their session."""
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
    return lines


def _exercise(category: str | None, name_id: int) -> str:
    from fitplug.activities.read import type_name

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


def decision_json(decision: Decision, items: Sequence[DueItem]) -> dict[str, Any]:
    t = decision.tally
    return {
        "due": [stretch_json(r) for r in decision.due],
        "runs": [stretch_json(r) for r in decision.runs if r.state is not State.DUE][-20:],
        "week": {
            "start": t.week_start.isoformat(),
            "strength_done": t.strength_done,
            "strength_planned": t.strength_planned,
            "strength_missed": [d.isoformat() for d in t.strength_missed],
            "stretch_days": t.stretch_days,
            "stretch_days_min": t.stretch_min,
            "stretch_days_max": t.stretch_max,
        },
        "band_up": [
            {"key": b.key, "exercise": b.exercise.id, "title": b.exercise.title, "band": b.exercise.band,
             "top_reps": b.top_reps, "since_utc": iso(b.since_utc)}
            for b in decision.band
        ],
        "items": [item_json(i) for i in items],
    }


def sync_json(result: SyncResult, now: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": "fitplug.sync/1",
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
    else:
        out.update({"due": None, "runs": None, "week": None, "band_up": None, "items": None})
    return out


def status_json(decision: Decision, items: Sequence[DueItem], now: dt.datetime) -> dict[str, Any]:
    return {"schema": "fitplug.status/1", "now": iso(now), **decision_json(decision, items)}


def activities_json(activities: Sequence[StoredActivity]) -> dict[str, Any]:
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
                }
            )
    return {"schema": "fitplug.activities/1", "sessions": rows}


def done_json(marked: Sequence[RunStretch], at: dt.datetime) -> dict[str, Any]:
    return {"schema": "fitplug.done/1", "at_utc": iso(at), "marked": [stretch_json(r) for r in marked]}

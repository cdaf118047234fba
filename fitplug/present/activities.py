"""Words for `fitplug sync`, `status`, `activities` and `done` (their JSON: :mod:`.json`).

Each function takes what the application layer returned, already decided,
and only words it: nothing here filters, counts against a rule or asks the
store. The phrases shared with the feed and the page are in :mod:`.words`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from fitplug.errors import printable
from fitplug.model import (
    WRITES,
    ActivityKind,
    ActivityRow,
    BandStanding,
    DueItem,
    Install,
    InstallResult,
    Logged,
    LoggedSets,
    Marked,
    PlanAgainstDone,
    RunStretch,
    Status,
    SyncResult,
    Verdict,
)
from fitplug.present import words
from fitplug.present.watch import install_findings
from fitplug.programme.exercises import exercise_name
from fitplug.programme.schedule import zone

#: how many closed items "Since the last sync" lists before it says how many more
CHANGED_SHOWN = 8

_KIND_WORDS: dict[str, tuple[str, str]] = {
    ActivityKind.RUN: ("run", "runs"),
    ActivityKind.STRENGTH: ("strength", "strength"),
    ActivityKind.STRETCH: ("stretch", "stretch"),
}
_MARKS = {Verdict.BELOW: "↓", Verdict.ABOVE: "↑", Verdict.IN_RANGE: "", Verdict.UNKNOWN: "", Verdict.IMPLAUSIBLE: "?"}
#: why a banded exercise's sets did or did not count for the band advice
_BAND_WHY = {
    BandStanding.COUNTS: "counts for the band",
    BandStanding.PARTIAL: "not every planned set recorded: does not count for the band",
    BandStanding.IMPLAUSIBLE: "a count no one did (?): not used for the band",
    BandStanding.PAIN: "pain logged: the band stays, the count starts again",
}


# --- sync ----------------------------------------------------------------------------------


def sync_lines(result: SyncResult) -> list[str]:
    """The short summary `fitplug sync` prints."""
    lines = [_read_line(result), *_skipped_lines(result), *_deferred_lines(result), *result.notes]
    lines += _installed_lines(result.installed)
    lines += install_findings(result.watch)
    if result.status is None:
        lines.append("No programme: name one with --programme (or run `fitplug init`) to learn what is due.")
        return lines
    tz = zone(result.status.programme.timezone)
    for r in result.completed:
        assert r.done_utc is not None
        lines.append(f"post-run set done: {words.post_run_set(r.done_as)}, {r.done_utc.astimezone(tz):%a %H:%M}")
    said = {r.key for r in result.completed}  # not again under "since the last sync"
    return lines + status_lines(result.status, [i for i in result.status.changed if i.key not in said])


def _read_line(result: SyncResult) -> str:
    """``Read 3 new activities: 2 runs, 1 strength (12 unchanged, 1 duplicate).``"""
    if result.new:
        parts = []
        for kind, n in sorted(result.new_by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
            one, many = _KIND_WORDS.get(kind, (kind, kind))
            parts.append(f"{n} {one if n == 1 else many}")
        files = len({a.key for a in result.new})
        head = f"Read {words.plural(files, 'new activity', 'new activities')}"
        if len(result.new) > files:  # multisport files: each leg is a session of its own
            head += f" ({len(result.new)} sessions)"
        head += f": {', '.join(parts)}"
    else:
        head = "No new activities"
    other = sum(result.other.values())
    extra = [
        f"{result.unchanged} unchanged" if result.unchanged else "",
        words.plural(result.duplicates, "duplicate") if result.duplicates else "",
        words.plural(other, "non-activity file") if other else "",
        f"{result.known_bad} known bad" if result.known_bad else "",
    ]
    extra = [e for e in extra if e]
    return head + (f" ({', '.join(extra)})." if extra else ".")


def _skipped_lines(result: SyncResult) -> list[str]:
    if not result.skipped:
        return []
    n = len(result.skipped)
    lines = [f"Skipped {n:,} file{'s' if n != 1 else ''} that could not be read:"]
    counts = Counter(s.reason for s in result.skipped)
    listed: Counter[str] = Counter()
    for s in result.skipped:  # a reason many files share: its first few, then how many more
        if counts[s.reason] > _EACH_REASON and listed[s.reason] >= _FIRST_OF_MANY:
            continue
        listed[s.reason] += 1
        at = f" @ byte {s.offset}" if s.offset is not None else ""
        lines.append(f"  {printable(s.key)}{at}: {printable(s.reason)}")
    for reason, n in counts.items():
        if n > _EACH_REASON:
            lines.append(f"  and {n - _FIRST_OF_MANY:,} more files: {printable(reason)}")
    return lines


#: up to this many files skipped for one reason are each named ...
_EACH_REASON = 5
#: ... beyond it, the first few are, then how many more (``--json`` lists every one)
_FIRST_OF_MANY = 3


def _deferred_lines(result: SyncResult) -> list[str]:
    if not result.deferred:
        return []
    n = len(result.deferred)
    head = (
        f"Put off {n:,} file{'s' if n != 1 else ''} slow to decode: this sync's decoding time was used up; "
        "the next sync reads them again:"
    )
    shown_keys = [f"  {printable(s.key)}" for s in result.deferred[:_FIRST_OF_MANY]]
    more = [f"  and {n - _FIRST_OF_MANY:,} more"] if n > _FIRST_OF_MANY else []
    return [head, *shown_keys, *more]


def _installed_lines(installed: Sequence[InstallResult]) -> list[str]:
    lines = []
    for inst in installed:
        if inst.status in WRITES:
            lines.append(f"Put {inst.name} on the watch ({inst.path.parent}).")
        elif inst.status is Install.CONFLICT:
            lines.append(f"Did not put {inst.name} on the watch: a file fitplug did not write has that name.")
    return lines


# --- status ------------------------------------------------------------------------------


def status_lines(status: Status, changed: Sequence[DueItem] | None = None) -> list[str]:
    """What is due and until when, what closed since the last sync, the coming week, the week's tally, the band.

    ``changed``: the closed items to list (default: all of ``status.changed``).
    """
    programme = status.programme
    tz = zone(programme.timezone)
    today = status.now.astimezone(tz).date()
    lines: list[str] = []
    for r in status.decision.due:
        lines.append(
            f"Post-run set due now, until {words.until(r.lapse_utc, tz)}: {words.post_run_set(r.session)}, "
            f"after {words.run(r, tz, today)}"
        )
    if not status.decision.due and programme.post_run is not None:
        lines.append("No post-run set due.")
    lines += _changed_lines(status.changed if changed is None else changed, tz)
    if status.coming:
        lines.append("Coming up:")
        lines += [f"  {words.day_time(p.start.astimezone(tz))}  {p.session.name}" for p in status.coming]
    lines.append(words.week(status.decision.tally, status.decision.first_day))
    lines += [words.band_advice(b) for b in status.decision.band]
    lines += [words.band_down(b) for b in status.decision.band_down]
    lines += [words.pain(n) for n in status.decision.pain]
    return lines


def _changed_lines(changed: Sequence[DueItem], tz: dt.tzinfo) -> list[str]:
    """Every item that closed since the last sync, the latest :data:`CHANGED_SHOWN` by name, then how many more."""
    if not changed:
        return []
    shown = changed[-CHANGED_SHOWN:]
    lines = ["Since the last sync:"]
    hidden = len(changed) - len(shown)
    if hidden:
        lines.append(f"  ({words.plural(hidden, 'earlier item')}: `fitplug status --json` lists them all)")
    lines += [f"  {words.day(i.start_utc.astimezone(tz).date())}: {i.title}" for i in shown]
    return lines


def weeks_lines(status: Status) -> list[str]:
    """`status --weeks N`: one row a local week, oldest first (post-run columns only with a post-run set,
    the stretching target only with stretches)."""
    decision = status.decision
    post_run = status.programme.post_run is not None
    head = f"{'week of':<10}  {'strength':>8}  {'missed':>6}  {'stretch days':>12}"
    if post_run:
        head += f"  {'post-run done':>13}  {'post-run missed':>15}"
    lines = [head]
    for t in decision.weeks:
        stretch = str(t.stretch_days)
        if t.stretch_min is not None and t.stretch_max is not None:
            stretch += f" of {words.stretch_target(t.stretch_min, t.stretch_max)}"
        row = (
            f"{words.day(t.week_start)}  {f'{t.strength_done}/{t.strength_planned}':>8}  {len(t.strength_missed):>6}  "
            f"{stretch:>12}"
        )
        if post_run:
            due = f" (+{t.post_run_due} due)" if t.post_run_due else ""
            row += f"  {t.post_run_done:>13}  {t.post_run_missed:>15}{due}"
        lines.append(row)
    if decision.first_day is not None and decision.weeks and decision.first_day > decision.weeks[0].week_start:
        lines.append(f"Tracking started {decision.first_day:%a %d %b %Y}: nothing before it is planned or missed.")
    return lines


# --- done --------------------------------------------------------------------------------


def done_lines(marked: Marked) -> list[str]:
    tz = zone(marked.programme.timezone)
    today = marked.now.astimezone(tz).date()
    return [f"Marked done: {words.post_run_set(r.session)}, after {words.run(r, tz, today)}." for r in marked.marked]


def _logged_reps(entry: LoggedSets) -> str:
    return " ".join(str(n) for n in entry.reps) or "no reps"


def logged_lines(logged: Logged) -> list[str]:
    """What `fitplug log` did, what the band rule makes of it, and the band advice and pain notes now."""
    title, when = logged.exercise.title, words.day(logged.day)
    entry, before = logged.entry, logged.before
    if entry is None:
        assert before is not None
        lines = [
            f"Took back what was logged for {title} on {when} ({_logged_reps(before)}); the watch's sets count again."
        ]
    else:
        done = "Corrected" if before is not None else "Logged"
        lines = [f"{done} {title} on {when}: {_logged_reps(entry)}{' (pain)' if entry.pain else ''}."]
        if logged.standing is not None:
            lines.append(f"For the band: {_BAND_WHY[logged.standing]}.")
    decision = logged.decision
    lines += [words.band_advice(b) for b in decision.band if b.exercise.id == logged.exercise.id]
    lines += [words.band_down(b) for b in decision.band_down if b.exercise.id == logged.exercise.id]
    lines += [words.pain(n) for n in decision.pain if n.exercise.id == logged.exercise.id]
    return lines


def logs_lines(entries: Sequence[LoggedSets]) -> list[str]:
    """`fitplug log` alone: one line a day and exercise logged by hand."""
    if not entries:
        return ["Nothing logged by hand (fitplug log EXERCISE REPS... records a session)."]
    return [f"{words.day(e.day)}  {e.exercise}: {_logged_reps(e)}{' (pain)' if e.pain else ''}" for e in entries]


def run_stretch_name(r: RunStretch) -> str:
    """The set's name as JSON gives it: as it was done, else as it was due."""
    session = r.done_as
    return session.name if session is not None else "post-run stretches"


# --- activities ------------------------------------------------------------------------------


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}"


def activity_lines(rows: Sequence[ActivityRow]) -> list[str]:
    """One row a session with what the activity was, strength sets under it, then the plan against what was done."""
    if not rows:
        return ["The store holds no activities yet; run `fitplug sync`."]
    lines = [
        f"{'start (local)':<17}  {'kind':<8}  {'sport':<28}  {'elapsed':>8}  {'timer':>8}  {'distance':>9}  "
        f"{'HR':>3}  file"
    ]
    for row in rows:
        a, s = row.activity, row.summary.sessions[0] if row.summary.sessions else None
        if s is None:
            continue
        local = s.start_local
        start = f"{s.start_utc:%Y-%m-%d %H:%M}Z" if local is None else f"{local:%Y-%m-%d %H:%M}"
        sport = f"{s.sport}/{s.sub_sport}" if s.sub_sport else s.sport
        dist = f"{s.distance_m / 1000:.2f} km" if s.distance_m else "-"
        hr = str(s.avg_hr) if s.avg_hr is not None else "-"
        lines.append(
            f"{start:<17}  {str(row.classification.kind):<8}  {sport:<28}  {_clock(s.elapsed_s):>8}  "
            f"{_clock(s.timer_s):>8}  {dist:>9}  {hr:>3}  {printable(a.key)}"
        )
        for n, st in enumerate(x for x in row.summary.sets if x.set_type == "active"):
            what = st.category or "?"
            if st.exercise_name is not None:
                what += f"/{_exercise(st.category, st.exercise_name)}"
            reps = f"{st.repetitions} reps" if st.repetitions is not None else "- reps"
            kg = f" @ {st.weight_kg:g} kg" if st.weight_kg else ""
            lines.append(f"    set {n + 1}: {what}, {reps}{kg}")
        lines += plan_lines(row.plan, row.logged)
    return lines


def plan_lines(plan: PlanAgainstDone | None, logged: Sequence[LoggedSets] = ()) -> list[str]:
    """``  against the plan: Glute Strength & Mobility (workout name)`` and a line an exercise:
    sets done of planned, the target, each set as recorded (↑ above the range, ↓ below)."""
    if plan is None:
        return []
    lines = [f"  against the plan: {plan.session.name} ({plan.by})"]
    for e in plan.exercises:
        values = words.recorded(e)
        done = " ".join(v + _MARKS[w] for v, w in zip(values, e.verdicts(), strict=True)) or "not done"
        why = f"; {_BAND_WHY[e.band_standing]}" if e.band_standing is not None else ""
        lines.append(
            f"    {e.exercise.title}: {e.sets_done} of {e.sets_planned} sets ({words.target(e.exercise)}): {done}{why}"
        )
        for entry in (x for x in logged if x.exercise == e.exercise.id):
            lines.append(
                f"      logged by hand: {_logged_reps(entry)}{' (pain)' if entry.pain else ''}; "
                "it stands for the watch's sets"
            )
    if plan.other_sets:
        lines.append(f"    and {words.plural(plan.other_sets, 'set')} of exercises not in the plan")
    return lines


def _exercise(category: str | None, name_id: int) -> str:
    if category is None:
        return str(name_id)
    return exercise_name(category, name_id) or str(name_id)

"""fitplug's vocabulary: every phrase that more than one place shows, written once.

The command line, the feed, the progress page and the watch's step notes
take these, so one thing is called one thing everywhere: a post-run set by
the name the watch shows (``Post-run 1 Stretch``), a dose as ``3 × 12–15
reps each side``, a deadline as ``until Mon 23 Nov 23:59``.
"""

from __future__ import annotations

import datetime as dt

from fitplug.model import (
    BandAdvice,
    BandDown,
    BandRule,
    BandStanding,
    Exercise,
    ExerciseDone,
    Hold,
    Moved,
    PainNote,
    Programme,
    RunStretch,
    Session,
    SessionKind,
    WeekTally,
)

#: the weekdays, Monday first, in English whatever the locale (``calendar.day_name`` follows the locale)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY = tuple(w[:3] for w in WEEKDAYS)
_MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 day``, ``2 days``, ``3 activities`` (with ``many``)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def count(n: int) -> str:
    """``1,234``: counts as runners read them."""
    return f"{n:,}"


# --- times ----------------------------------------------------------------------------------


def day(d: dt.date) -> str:
    """``Mon 23 Nov`` (in English whatever the locale, as ``%a %d %b`` in the C locale)."""
    return f"{_DAY[d.weekday()]} {d.day:02d} {_MONTH[d.month - 1]}"


def day_time(t: dt.datetime) -> str:
    """``Mon 23 Nov 23:59`` (in the zone ``t`` is in)."""
    return f"{_DAY[t.weekday()]} {t.day:02d} {_MONTH[t.month - 1]} {t.hour:02d}:{t.minute:02d}"


def until(lapse_utc: dt.datetime | None, tz: dt.tzinfo) -> str:
    """When a post-run set stops being due, as the runner reads it: ``Mon 23 Nov 23:59`` (the last
    minute it is open, local) or ``your next run``."""
    if lapse_utc is None:
        return "your next run"
    return day_time(lapse_utc.astimezone(tz) - dt.timedelta(minutes=1))


def relative_day(d: dt.date, today: dt.date) -> str:
    """``""`` (today), `` yesterday``, `` on Fri 20 Nov``: to follow a noun."""
    if d == today:
        return ""
    if d == today - dt.timedelta(days=1):
        return " yesterday"
    return f" on {day(d)}"


# --- the programme ------------------------------------------------------------------------


def target(exercise: Exercise) -> str:
    """One set's target: ``12–15 reps`` or ``20–30 s``."""
    if isinstance(exercise.dose, Hold):
        return str(exercise.dose)
    return f"{exercise.dose} reps"


def dose(exercise: Exercise) -> str:
    """The whole prescription: ``3 × 12–15 reps each side``, ``hold 30 s each side``, ``2 × hold 30 s``."""
    side = " each side" if exercise.per_side else ""
    if isinstance(exercise.dose, Hold):
        hold = f"hold {exercise.dose}{side}"
        return hold if exercise.sets == 1 else f"{exercise.sets} × {hold}"
    return f"{exercise.sets} × {exercise.dose} reps{side}"


def stretch_target(low: int, high: int) -> str:
    """``2–3`` (days a week), or ``2`` when both ends are one."""
    return f"{low}–{high}" if low != high else f"{low}"


def stretches(session: Session | None) -> str:
    """What a post-run set holds: ``Pigeon Pose + Lying Figure-Four``."""
    if session is None:
        return "post-run stretches"
    return " + ".join(e.title for e in session.exercises)


def post_run_set(session: Session | None) -> str:
    """A post-run set by the name the watch shows and what it holds:
    ``Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four)``."""
    if session is None:
        return "the post-run stretches"
    return f"{session.name} ({stretches(session)})"


# --- what was done -----------------------------------------------------------------------


def run(r: RunStretch, tz: dt.tzinfo, today: dt.date) -> str:
    """The run that made a post-run set due: ``your 10.2 km run, 07:14–08:02`` (with its day when
    not ``today``; minutes when the file has no distance; a treadmill run says so)."""
    start = r.run_start_utc.astimezone(tz)
    end = r.run_end_utc.astimezone(tz)
    what = "treadmill run" if r.sub_sport == "treadmill" else "run"
    size = f"{r.distance_m / 1000:.1f} km " if r.distance_m else f"{round(r.elapsed_s / 60)} min "
    return f"your {size}{what}{relative_day(start.date(), today)}, {start:%H:%M}–{end:%H:%M}"


def band_rule(rule: BandRule) -> str:
    """``every set goes past 12 reps in 2 sessions in a row with the current band``."""
    sessions = "one session" if rule.sessions == 1 else f"{rule.sessions} sessions in a row"
    return f"every set goes past {rule.threshold} reps in {sessions} with the current band"


def band_lighter_rule(rule: BandRule, low: int) -> str:
    """``every set stays under 12 reps in 2 sessions in a row``: when to go lighter."""
    sessions = "one session" if rule.sessions == 1 else f"{rule.sessions} sessions in a row"
    return f"every set stays under {low} reps in {sessions}"


def band_counted(done: ExerciseDone) -> str:
    """Whether the band rule used a session's sets of a banded exercise: ``counts``, ``2 of 6 sets:
    not counted``, ``a count no one did: not counted``."""
    standing = done.band_standing
    if standing is BandStanding.PARTIAL:
        return f"{done.sets_done} of {done.sets_planned} sets: not counted"
    if standing is BandStanding.IMPLAUSIBLE:
        return "a count no one did: not counted"
    if standing is BandStanding.PAIN:
        return "pain logged: the count starts again"
    return "counts"


def band_move(b: BandAdvice) -> str:
    """``Banded Leg Raise (green → blue)``, the title of band advice in the feed."""
    return b.exercise.title + (f" ({b.exercise.band} → {b.next_band})" if b.next_band else "")


def band_advice(b: BandAdvice) -> str:
    """``Time for a tougher band: Banded Leg Raise, red → blue (every set went past 12 reps in 2
    sessions in a row with the red band).``"""
    move = (
        f"{b.exercise.band} → {b.next_band}"
        if b.next_band
        else f"{b.exercise.band} is the toughest band on your ladder: add a band to [band] ladder, or slow the tempo"
    )
    sessions = "the last session" if b.sessions == 1 else f"{b.sessions} sessions in a row"
    return (
        f"Time for a tougher band: {b.exercise.title}, {move} "
        f"(every set went past {b.threshold} reps in {sessions} with the {b.exercise.band} band)."
    )


def band_lighter(b: BandDown) -> str:
    """``Banded Leg Raise (green → yellow)``, the title of lighter-band advice in the feed."""
    return b.exercise.title + (f" ({b.exercise.band} → {b.lighter_band})" if b.lighter_band else "")


def band_down(b: BandDown) -> str:
    """``Time for a lighter band: Banded Leg Raise, green → yellow (every set stayed under 12 reps in 2
    sessions in a row with the green band).``"""
    move = (
        f"{b.exercise.band} → {b.lighter_band}"
        if b.lighter_band
        else f"{b.exercise.band} is the lightest band on your ladder: add a lighter one to [band] ladder, "
        "or do the exercise without a band for now"
    )
    sessions = "the last session" if b.sessions == 1 else f"{b.sessions} sessions in a row"
    return (
        f"Time for a lighter band: {b.exercise.title}, {move} "
        f"(every set stayed under {b.threshold} reps in {sessions} with the {b.exercise.band} band)."
    )


def week(t: WeekTally, first_day: dt.date | None) -> str:
    """``This week (from Mon 16 Nov): strength 1 of 2 days (1 missed: Tue 17), stretching 1 day (target 2–3).``"""
    line = f"This week (from Mon {t.week_start:%d %b}): strength {t.strength_done} of {t.strength_planned} days"
    notes = []
    if t.strength_missed:
        notes.append(f"{len(t.strength_missed)} missed: {', '.join(f'{d:%a %d}' for d in t.strength_missed)}")
    notes += [f"{m.done:%a %d} {moved(m)}" for m in t.strength_moved]
    if first_day is not None and t.week_start < first_day < t.week_start + dt.timedelta(days=7):
        notes.append(f"planned from {day(first_day)}, when tracking started")
    if notes:
        line += f" ({'; '.join(notes)})"
    if t.stretch_min is None or t.stretch_max is None:  # a programme with no stretches keeps no stretching target
        return line + "."
    return (
        line + f", stretching {plural(t.stretch_days, 'day')} (target {stretch_target(t.stretch_min, t.stretch_max)})."
    )


def moved(m: Moved) -> str:
    """``moved from Fri`` (``moved from Fri 13`` when a week or more lies between)."""
    apart = abs((m.done - m.planned).days)
    return f"moved from {m.planned:%a}" if apart < 7 else f"moved from {m.planned:%a %d}"


def pain(note: PainNote) -> str:
    """What to do about pain the runner logged (the source's advice, in fitplug's words)."""
    return (
        f"Pain logged in {note.exercise.title} on {day(note.day)}: the band stays as it is for now. "
        "If it is the lower back, the spine is likely arching: tip the pelvis back a little so the low back "
        "stays flat, and lift the leg only as high as that allows; the work moves into the buttock. If it "
        "still hurts, stop the exercise and have a qualified exercise professional look at it."
    )


def recorded(done: ExerciseDone) -> tuple[str, ...]:
    """Each recorded set of an exercise as the runner reads it: ``14`` (reps), ``30 s`` (a hold), ``?``."""
    if isinstance(done.exercise.dose, Hold):
        return tuple(f"{round(s.duration_s)} s" if s.duration_s is not None else "?" for s in done.sets)
    return tuple(str(s.repetitions) if s.repetitions is not None else "?" for s in done.sets)


def what_is_planned(programme: Programme) -> str:
    """``Strength days, stretch days and post-run stretches``: what a programme plans, by its content."""
    kinds = {s.kind for s in programme.sessions}
    parts = [
        *(["strength days"] if SessionKind.STRENGTH in kinds else []),
        *(["stretch days"] if SessionKind.STRETCH in kinds else []),
        *(["post-run stretches"] if programme.post_run is not None else []),
    ] or ["sessions"]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text[:1].upper() + text[1:]

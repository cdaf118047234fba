"""Words for the programme commands: what `fitplug check` says a programme plans."""

from __future__ import annotations

from fitplug.model import Programme, RunHabit
from fitplug.present import words
from fitplug.programme.schedule import post_run_variants
from fitplug.programme.steps import count_steps
from fitplug.programme.watch_limits import (
    MAX_SCHEDULE_ENTRIES,
    MAX_WORKOUTS,
    all_workouts,
    font_warnings,
    schedule_span_weeks,
)


def check_lines(programme: Programme, habit: RunHabit | None = None) -> list[str]:
    """A few lines saying what a programme plans: sessions, exercises and doses, the post-run sets by
    the names the watch shows, the targets, what the watch keeps of it, and (``habit``) the days its
    calendar offers the post-run set on."""
    lines = [f"{programme.source}: ok — {programme.name} ({programme.timezone})"]
    for session in programme.sessions:
        days = ", ".join(d.name.capitalize() for d in session.days)
        lines.append(
            f"  {session.name}: {days} at {session.time:%H:%M}, about {session.duration_min} min, "
            f"{words.plural(len(session.exercises), 'exercise')}, {count_steps(session)} watch steps"
        )
        lines += [f"    - {ex.title}: {words.dose(ex)}" for ex in session.exercises]
    for variant in post_run_variants(programme):
        lines.append(f"  {variant.name}: {words.stretches(variant)}")
    targets = programme.targets
    lines.append(
        f"  stretching on {words.stretch_target(targets.stretch_days_min, targets.stretch_days_max)} days a week; "
        f"post-run set due after runs of {programme.due.min_run_min} min or more, "
        f"missed at {programme.due.lapse.value.replace('_', ' ')}"
    )
    return lines + watch_lines(programme) + run_day_lines(programme, habit)


def run_day_lines(programme: Programme, habit: RunHabit | None) -> list[str]:
    """``on the watch's calendar: post-run sets on Mon 08:00 and Thu 18:30, your usual run days``."""
    post = programme.post_run
    if post is None or habit is None:
        return []
    if not post.on_watch_calendar:
        return ["  post-run sets stay off the watch's calendar ([post_run] on_watch_calendar = false)"]
    if not habit.days:
        return [
            "  post-run sets go on the watch's calendar once your runs show your usual days "
            "(runs on a weekday in 2 of the last 4 weeks, from `fitplug sync`)"
        ]
    named = [f"{words.WEEKDAYS[d][:3]} {t:%H:%M}" for d, t in habit.days]
    days = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return [f"  on the watch's calendar: post-run sets on {days}, your usual run days (at their usual end)"]


def watch_lines(programme: Programme) -> list[str]:
    """What the watch keeps of the programme, and warnings about text its fonts may lack."""
    count = len(all_workouts(programme))
    weeks = schedule_span_weeks(programme)
    line = f"  on the watch: {count} of the {MAX_WORKOUTS} workouts a watch keeps"
    if weeks is not None:
        line += (
            f"; its calendar holds the next {MAX_SCHEDULE_ENTRIES} sessions (about {weeks:.0f} weeks): "
            "run `fitplug install` again before they run out"
        )
    return [line] + [f"  warning: {w}" for w in font_warnings(programme)]

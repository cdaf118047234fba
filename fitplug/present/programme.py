"""Words for the programme commands: what `fitplug check` says a programme plans."""

from __future__ import annotations

from fitplug.model import Programme
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


def check_lines(programme: Programme) -> list[str]:
    """A few lines saying what a programme plans: sessions, exercises and doses, the post-run sets by
    the names the watch shows, the targets, and what the watch keeps of it."""
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
    return lines + watch_lines(programme)


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

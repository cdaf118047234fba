"""Programme commands: ``init``, ``templates``, ``check``, ``exercises``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from fitplug import settings
from fitplug.atomic import write_atomic
from fitplug.errors import OutputError
from fitplug.model import Hold, Programme
from fitplug.programme import load
from fitplug.programme.schedule import post_run_variants, zone
from fitplug.programme.steps import count_steps
from fitplug.programme.watch_limits import (
    MAX_SCHEDULE_ENTRIES,
    MAX_WORKOUTS,
    all_workouts,
    font_warnings,
    schedule_span_weeks,
)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A programme, the file it came from, and whether it became the remembered one."""

    programme: Programme
    path: Path
    remembered: bool = False


def load_programme(path: Path | None, *, remember: bool = False) -> Loaded:
    """Load ``path`` or the remembered programme; with ``remember``, remember it."""
    resolved = settings.programme_path(path)
    programme = load.load_programme(resolved)
    changed = settings.remember(programme=resolved) if remember else False
    return Loaded(programme, resolved, changed)


def init_programme(
    path: Path, template: str | None = None, *, force: bool = False, now: dt.datetime | None = None
) -> Loaded:
    """Write a template to ``path`` (refusing to overwrite unless ``force``) and remember it.

    With ``now``, the file names the day tracking starts (``start``, today in the
    programme's time zone): the runner sees it and can move it.
    """
    name = template or load.DEFAULT_TEMPLATE
    text = load.template_text(name)
    programme = load.parse_programme(text, f"template {name}")  # a template that fails is a bug: stop here
    if now is not None and programme.start is None:
        text = with_start(text, now.astimezone(zone(programme.timezone)).date())
        programme = load.parse_programme(text, f"template {name}")
    if path.exists() and not force:
        raise OutputError(f"{path} exists; use --force to overwrite it")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name such as {path / 'programme.toml'}")
    write_atomic(path, text.encode("utf-8"))
    return Loaded(programme, path, settings.remember(programme=path))


_START_LINE = re.compile(r"^# ?start = \S+(?P<rest>.*)$", re.MULTILINE)
_TIMEZONE_LINE = re.compile(r"^timezone = .*$", re.MULTILINE)


def with_start(text: str, day: dt.date) -> str:
    """``text`` with ``start = day`` under ``[programme]``: in place of a commented ``# start = …``
    line (keeping its comment), or after the time zone."""
    found = _START_LINE.search(text)
    if found:
        return text[: found.start()] + f"start = {day.isoformat()}{found['rest']}" + text[found.end():]
    tz = _TIMEZONE_LINE.search(text)
    if tz is None:
        return text
    line = f"start = {day.isoformat()}                # the day you start: nothing before it counts as missed"
    return text[: tz.end()] + "\n" + line + text[tz.end():]


def templates() -> list[tuple[str, str, bool]]:
    """Every bundled template: ``(name, one-line summary, is the default)``."""
    return [(n, load.template_summary(n), n == load.DEFAULT_TEMPLATE) for n in load.template_names()]


def exercises(category: str | None) -> list[str]:
    """Garmin exercise categories, or the exercise names of ``category``."""
    return load.list_exercises(category)


def check_programme(path: Path | None) -> list[str]:
    """`fitplug check`: load the programme (remembering nothing) and say what it plans."""
    return describe_programme(load_programme(path).programme)


def describe_programme(programme: Programme) -> list[str]:
    """A few lines saying what a programme plans, for `fitplug check`."""
    lines = [f"{programme.source}: ok — {programme.name} ({programme.timezone})"]
    for session in programme.sessions:
        days = ", ".join(d.name.capitalize() for d in session.days)
        lines.append(
            f"  {session.name}: {days} at {session.time:%H:%M}, about {session.duration_min} min, "
            f"{len(session.exercises)} exercises, {count_steps(session)} watch steps"
        )
        for ex in session.exercises:
            per = " per side" if ex.per_side else ""
            what = f"hold {ex.dose}" if isinstance(ex.dose, Hold) else f"{ex.dose} reps"
            lines.append(f"    - {ex.title}: {ex.sets} × {what}{per}")
    for variant in post_run_variants(programme):
        names = " + ".join(e.title for e in variant.exercises)
        lines.append(f"  {variant.name}: {names}")
    targets = programme.targets
    lines.append(
        f"  stretching on {targets.stretch_days_min}–{targets.stretch_days_max} days a week; post-run set due "
        f"after runs of {programme.due.min_run_min} min or more, missed at {programme.due.lapse.value.replace('_', ' ')}"
    )
    return lines + watch_lines(programme)


def watch_lines(programme: Programme) -> list[str]:
    """What the watch keeps of the programme, and warnings about text its fonts may lack."""
    count = len(all_workouts(programme))
    weeks = schedule_span_weeks(programme)
    line = f"  on the watch: {count} of the {MAX_WORKOUTS} workouts a watch keeps"
    if weeks is not None:
        line += (f"; its calendar holds the next {MAX_SCHEDULE_ENTRIES} sessions (about {weeks:.0f} weeks): "
                 "run `fitplug install` again before they run out")
    return [line] + [f"  warning: {w}" for w in font_warnings(programme)]

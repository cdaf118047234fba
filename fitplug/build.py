"""Connects the pieces: programme → workout files, schedule, calendar feed.

The only module that writes output files; every write is atomic
(:func:`fitplug.atomic.write_atomic`).
"""

from __future__ import annotations

from pathlib import Path

from .atomic import write_atomic
from .errors import OutputError
from .model import Hold, Programme
from .paths import load_settings, update_settings

# --- programme files -------------------------------------------------------------


def init_programme(path: Path, template: str | None = None, *, force: bool = False) -> Path:
    """Write a template to ``path`` (refusing to overwrite unless ``force``) and remember it."""
    from . import programme

    name = template or programme.DEFAULT_TEMPLATE
    text = programme.template_text(name)
    programme.parse_programme(text, f"template {name}")  # a template that fails is a bug: stop here
    if path.exists() and not force:
        raise OutputError(f"{path} exists; use --force to overwrite it")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name such as {path / 'programme.toml'}")
    write_atomic(path, text.encode("utf-8"))
    update_settings(programme=str(path.resolve()))
    return path


def resolve_programme(path: Path | None) -> Programme:
    """Load ``path``, or the programme last used; remember the one loaded."""
    from . import programme

    if path is None:
        remembered = load_settings().get("programme")
        if not isinstance(remembered, str):
            raise OutputError("no programme given and none remembered; name one, or run `fitplug init`")
        path = Path(remembered)
        if not path.is_file():
            raise OutputError(f"the remembered programme {path} is gone; name one, or run `fitplug init`")
    loaded = programme.load_programme(path)
    if load_settings().get("programme") != str(path.resolve()):
        update_settings(programme=str(path.resolve()))
    return loaded


def describe_programme(programme: Programme) -> list[str]:
    """A few lines saying what a programme plans, for `fitplug check`."""
    from .schedule import post_run_variants
    from .steps import count_steps

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
    return lines


# --- workouts and schedule ------------------------------------------------------



# --- calendar feed ---------------------------------------------------------------



# --- end -------------------------------------------------------------------------

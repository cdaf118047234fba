"""Programme commands: ``init``, ``templates``, ``check``, ``exercises``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from fitplug import settings
from fitplug.activities import tracking
from fitplug.activities.store.store import reading
from fitplug.atomic import write_atomic
from fitplug.errors import OutputError
from fitplug.model import Programme, RunHabit
from fitplug.programme import load
from fitplug.programme.schedule import zone


@dataclass(frozen=True, slots=True)
class Loaded:
    """A programme, the file it came from, and whether it became the remembered one."""

    programme: Programme
    path: Path
    remembered: bool = False


def programme_for(path: Path | None, *, remember: bool = False) -> Loaded:
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
        return text[: found.start()] + f"start = {day.isoformat()}{found['rest']}" + text[found.end() :]
    tz = _TIMEZONE_LINE.search(text)
    if tz is None:
        return text
    line = f"start = {day.isoformat()}                # the day you start: nothing before it counts as missed"
    return text[: tz.end()] + "\n" + line + text[tz.end() :]


def templates() -> list[tuple[str, str, bool]]:
    """Every bundled template: ``(name, one-line summary, is the default)``."""
    return [(n, load.template_summary(n), n == load.DEFAULT_TEMPLATE) for n in load.template_names()]


def exercises(category: str | None) -> list[str]:
    """Garmin exercise categories, or the exercise names of ``category``."""
    return load.list_exercises(category)


def check_programme(
    path: Path | None, *, db_path: Path | None = None, now: dt.datetime | None = None
) -> tuple[Programme, RunHabit | None]:
    """`fitplug check`: load the programme (remembering nothing; it is checked as it loads), and the run
    days the watch's calendar would offer the post-run set on, from the store (``None``: no ``now``)."""
    programme = programme_for(path).programme
    if now is None or db_path is None:
        return programme, None
    with reading(db_path) as store:
        return programme, tracking.run_habit(store, programme, now) if store is not None else RunHabit()

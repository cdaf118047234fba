"""Programme TOML → a checked :class:`~fitplug.model.Programme`.

Every problem in a file is collected and reported at once, each with the
file, the key path and, where the text shows it, the line. The format is
documented in ``docs/programme.md``; ``templates/`` holds complete examples.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fitplug.errors import Problem, ProgrammeError
from fitplug.model import BandRule, DueRule, Lapse, Programme, Targets
from fitplug.programme import fields as f
from fitplug.programme.check_exercises import (
    KNOWN_EXERCISES,
    MAX_CUE_BYTES,
    MAX_NAME_BYTES,
    KnownExercise,
    check_exercises,
    profile_exercises,
)
from fitplug.programme.check_sessions import MAX_DESCRIPTION_CHARS, check_post_run, check_sessions
from fitplug.programme.fields import KeyPath, Problems
from fitplug.programme.tomllines import index_lines
from fitplug.programme.watch_limits import limit_problems

__all__ = [
    "DEFAULT_TEMPLATE",
    "KNOWN_EXERCISES",
    "MAX_CUE_BYTES",
    "MAX_DESCRIPTION_CHARS",
    "MAX_FILE_BYTES",
    "MAX_NAME_BYTES",
    "KnownExercise",
    "index_lines",
    "list_exercises",
    "load_programme",
    "parse_programme",
    "template_names",
    "template_summary",
    "template_text",
]

#: a programme is a few kilobytes; anything this large is not one
MAX_FILE_BYTES = 256 * 1024

_TOP_KEYS = ("programme", "targets", "due", "band", "exercises", "sessions", "post_run")
_PROGRAMME_KEYS = ("id", "name", "timezone", "description", "start", "reminder_min")
_BAND_KEYS = ("ladder", "threshold", "sessions")
#: the longest calendar reminder: a week before
MAX_REMINDER_MIN = 7 * 24 * 60
_TARGET_KEYS = ("stretch_days_per_week", "move_days")
#: the furthest a strength session may be moved from its planned day and still count for it
MAX_MOVE_DAYS = 3
_DUE_KEYS = ("min_run_min", "lapse")


def load_programme(path: str | Path) -> Programme:
    """Read and check a programme file; :class:`ProgrammeError` lists every problem."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProgrammeError(
                source, [Problem("", f"file is {size} bytes; a programme is at most {MAX_FILE_BYTES}")]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ProgrammeError(source, [Problem("", f"cannot read: {exc.strerror or exc}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProgrammeError(source, [Problem("", "not UTF-8 text", line)]) from exc
    return parse_programme(text, source)


def parse_programme(text: str, source: str | None = None) -> Programme:
    """Check TOML ``text`` and build the programme; ``source`` names it in messages."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ProgrammeError(source, [Problem("", f"text is larger than {MAX_FILE_BYTES} bytes")])
    text = text.removeprefix("\ufeff")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeError(source, [_syntax_problem(exc)]) from exc
    except RecursionError as exc:
        raise ProgrammeError(source, [Problem("", "TOML nested too deeply")]) from exc
    except ValueError as exc:  # an integer too long for Python to convert (over 4,300 digits)
        raise ProgrammeError(source, [_huge_number(text)]) from exc
    problems = Problems(index_lines(text))
    programme = _check_programme(problems, doc, source)
    if programme is None:
        raise ProgrammeError(source, problems.in_document_order())
    return programme


def _huge_number(text: str) -> Problem:
    """Where a number too long to read is, and under which key (as the line names it)."""
    found = re.search(r"[0-9_]{4000,}", text)
    if found is None:
        return Problem("", "a number too long to read")
    line = text.count("\n", 0, found.start()) + 1
    key = text[text.rfind("\n", 0, found.start()) + 1 : found.start()].split("=")[0].strip()
    digits = len(found.group().replace("_", ""))
    tables = re.findall(r"(?m)^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?", text[: found.start()])
    path = (f"{tables[-1]}.{key}" if tables else key) if _BARE_KEY.fullmatch(key) else ""
    return Problem(path, f"a number of {digits} digits; give a small whole number", line)


_BARE_KEY = re.compile(r"[A-Za-z0-9_.-]+")


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)$", message)
    line = getattr(exc, "lineno", None)
    if match:
        line = line or int(match.group(1))
        message = message[: match.start()].rstrip()
    return Problem("", f"TOML syntax error: {message[:1].lower()}{message[1:]}", line)


@dataclass(frozen=True, slots=True)
class _Head:
    """The ``[programme]`` table."""

    id: str
    name: str
    timezone: str
    description: str
    start: dt.date | None = None
    reminder_min: int = 30


def _check_programme(problems: Problems, doc: dict[str, Any], source: str | None) -> Programme | None:
    """The whole document, part by part in file order of the format; ``None`` after any problem."""
    f.table(problems, doc, (), _TOP_KEYS)
    head = _check_head(problems, doc)
    targets = _check_targets(problems, doc.get("targets", {}))
    due = _check_due(problems, doc.get("due", {}))
    band = _check_band(problems, doc.get("band", {}))
    exercises = check_exercises(problems, doc.get("exercises", {}))
    _check_bands_on_ladder(problems, doc.get("exercises", {}), band)
    sessions = check_sessions(problems, doc.get("sessions", []), exercises)
    post_run = check_post_run(problems.part(), doc["post_run"], exercises) if "post_run" in doc else None
    if not sessions and post_run is None and not problems.found:
        problems.fail(("sessions",), "the programme has no sessions and no [post_run] set: nothing to build")
    if problems.found or head is None:
        return None
    programme = Programme(
        id=head.id,
        name=head.name,
        timezone=head.timezone,
        sessions=tuple(sessions),
        post_run=post_run,
        due=due,
        targets=targets,
        description=head.description,
        source=source,
        start=head.start,
        band=band,
        reminder_min=head.reminder_min,
    )
    for path, message in limit_problems(programme):  # what a watch could not keep as planned
        problems.fail(path, message)
    return None if problems.found else programme


def _check_head(problems: Problems, doc: dict[str, Any]) -> _Head | None:
    path: KeyPath = ("programme",)
    if "programme" not in doc:
        problems.fail(path, "is required: a [programme] table with id, name and timezone")
        return None
    head = f.table(problems, doc["programme"], path, _PROGRAMME_KEYS)
    pid = f.slug(problems, head, path, "id")
    name = f.text(problems, head, path, "name", max_chars=80, name=True)
    tz = _check_timezone(problems, head, path)
    description = f.text(
        problems, head, path, "description", default="", max_chars=MAX_DESCRIPTION_CHARS, single_line=False
    )
    start = _check_start(problems, head, path)
    reminder = f.integer(problems, head, path, "reminder_min", 0, MAX_REMINDER_MIN, default=30)
    if pid is None or name is None or tz is None or reminder is None:
        return None
    return _Head(pid, name, tz, description or "", start, reminder)


def _check_start(problems: Problems, head: Mapping[str, Any], path: KeyPath) -> dt.date | None:
    """``start = 2026-11-18`` (a TOML date, or the same as a string): the day tracking starts."""
    value = head.get("start")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            problems.fail((*path, "start"), f"must be a date like 2026-11-18, got {value!r}")
            return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        problems.fail((*path, "start"), f"must be a date like 2026-11-18 (no time), got {value!r}")
        return None
    return value


def _check_band(problems: Problems, raw: Any) -> BandRule:
    """``[band]``: the runner's ladder of colours, lightest first, and when to move up it."""
    path: KeyPath = ("band",)
    table = f.table(problems, raw, path, _BAND_KEYS)
    default = BandRule()
    ladder = default.ladder
    if "ladder" in table:
        value = table["ladder"]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            problems.fail(
                (*path, "ladder"), 'must be a list of band colours, lightest first, like ["yellow", "red", "green"]'
            )
        else:
            seen = [v.strip().casefold() for v in value]
            dupes = sorted({v for v in seen if seen.count(v) > 1})
            if dupes:
                problems.fail((*path, "ladder"), f"names {', '.join(repr(d) for d in dupes)} more than once")
            ladder = tuple(v.strip() for v in value)
    threshold = f.integer(problems, table, path, "threshold", 1, 100, default=default.threshold, unit=" reps")
    sessions = f.integer(problems, table, path, "sessions", 1, 10, default=default.sessions, unit=" sessions")
    return BandRule(ladder=ladder, threshold=threshold or default.threshold, sessions=sessions or default.sessions)


def _check_bands_on_ladder(problems: Problems, raw: Any, band: BandRule) -> None:
    """Each exercise's ``band`` names a colour of the ladder, or the next band cannot be named."""
    if not isinstance(raw, dict):
        return
    names = {b.casefold() for b in band.ladder}
    for ex_id, body in raw.items():
        colour = body.get("band") if isinstance(body, dict) else None
        if isinstance(colour, str) and colour.strip() and colour.strip().casefold() not in names:
            problems.fail(
                ("exercises", ex_id, "band"),
                f"{colour!r} is not on the band ladder ({', '.join(band.ladder)}); "
                "add it to [band] ladder, lightest first",
            )


def _check_timezone(problems: Problems, head: Mapping[str, Any], path: KeyPath) -> str | None:
    value = f.get(problems, head, path, "timezone", str)
    if not isinstance(value, str):
        return None
    import zoneinfo  # stdlib, but it reads the zone files: only when a programme is checked

    try:
        if not value or value.startswith(("/", ".")) or ".." in value:
            raise ValueError(value)
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        import difflib  # here: only a mistake is matched against what was meant

        close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=3, cutoff=0.5)
        hint = (
            f"; did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else " (use an IANA name such as 'Europe/London')"
        )
        problems.fail((*path, "timezone"), f"unknown time zone {value!r}{hint}")
        return None
    return value


def _check_targets(problems: Problems, raw: Any) -> Targets:
    path: KeyPath = ("targets",)
    table = f.table(problems, raw, path, _TARGET_KEYS)
    default = Targets()
    move = f.integer(problems, table, path, "move_days", 0, MAX_MOVE_DAYS, default=default.move_days, unit=" days")
    move_days = move if move is not None else default.move_days
    if "stretch_days_per_week" not in table:
        return Targets(move_days=move_days)
    pair = f.range_(problems, table["stretch_days_per_week"], (*path, "stretch_days_per_week"), 0, 7, " days")
    return Targets(*pair, move_days=move_days) if pair else Targets(move_days=move_days)


def _check_due(problems: Problems, raw: Any) -> DueRule:
    path: KeyPath = ("due",)
    table = f.table(problems, raw, path, _DUE_KEYS)
    default = DueRule()
    minutes = f.integer(problems, table, path, "min_run_min", 0, 600, default=default.min_run_min, unit=" minutes")
    lapse_name = f.get(problems, table, path, "lapse", str, default=default.lapse.value)
    lapse = default.lapse
    if isinstance(lapse_name, str):
        try:
            lapse = Lapse(lapse_name)
        except ValueError:
            problems.fail(
                (*path, "lapse"), f"must be one of {', '.join(repr(x.value) for x in Lapse)}, got {lapse_name!r}"
            )
    return DueRule(min_run_min=minutes if minutes is not None else default.min_run_min, lapse=lapse)


def list_exercises(query: str | None = None) -> list[str]:
    """Garmin exercise categories; ``category/name`` for every name in one category; or, for any other
    text, every category and ``category/name`` that matches all its words (see :func:`search_exercises`)."""
    profile = profile_exercises()
    if query is None:
        return [f"{c} ({_plural(len(names), 'exercise')})" for c, names in profile.items()]
    if query in profile:
        return [f"{query}/{n}" for n in profile[query]]
    found = search_exercises(query, profile)
    if not found:
        raise ProgrammeError(
            None,
            [
                Problem(
                    "",
                    f"no Garmin exercise or category matches {query!r}{f.suggest(query, profile)}; "
                    "`fitplug exercises` lists the categories",
                )
            ],
        )
    return found


#: how alike a misspelt word and a word of a name must be to match (difflib's ratio)
_TYPO_RATIO = 0.8


def search_exercises(query: str, profile: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Categories (``warm_up (95 exercises): …``) and ``category/name`` entries matching every word of
    ``query``, in any order; a word matches a word of the entry it begins, or one a typo away (a
    name must match at least one word itself: ``warm up`` finds the category, not its 95 names).
    Entries where every word matched as typed come first, then those that needed a typo forgiven."""

    import difflib  # here: only a search forgives typos

    def words(text: str) -> list[str]:
        return [w for w in re.split(r"[\s_/\-]+", text.casefold()) if w]

    def match(w: str, have: list[str]) -> int | None:
        """0: ``w`` begins a word of ``have`` (is one, when under 3 letters), 1: a typo away from one
        (words of 5 letters or more), ``None``: neither."""
        if any(h == w or (len(w) >= 3 and h.startswith(w)) for h in have):
            return 0
        if len(w) >= 5 and any(difflib.SequenceMatcher(None, w, h).ratio() >= _TYPO_RATIO for h in have):
            return 1
        return None

    def score(have: list[str]) -> int | None:
        found = [match(w, have) for w in wanted]
        return None if None in found else max(m for m in found if m is not None)

    wanted = words(query)
    if not wanted:
        return []
    hits: list[tuple[int, int, int, str]] = []
    for n, (category, names) in enumerate(profile.items()):
        if (s := score(words(category))) is not None:
            hits.append((s, 0, n, f"{category} ({_plural(len(names), 'exercise')}): fitplug exercises {category}"))
        for name in names:
            own = words(name)
            s = score(words(category) + own)
            if s is not None and any(match(w, own) is not None for w in wanted):
                hits.append((s, 1, n, f"{category}/{name}"))
    return [h[3] for h in sorted(hits, key=lambda h: h[:3])]  # stable: names in profile order


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


#: the template `fitplug init` writes when none is named
DEFAULT_TEMPLATE = "glute-runner"


def template_names() -> list[str]:
    """Names of the bundled templates (``glute-runner`` is the default)."""
    from importlib import resources  # costs more to import than the rest of `fitplug check`

    files = resources.files("fitplug.templates")
    return sorted(p.name.removesuffix(".toml") for p in files.iterdir() if p.name.endswith(".toml"))


def template_text(name: str) -> str:
    """The text of a bundled template."""
    from importlib import resources

    if name not in template_names():
        raise ProgrammeError(
            None,
            [
                Problem(
                    "",
                    f"no template {name!r}{f.suggest(name, template_names())}; "
                    f"templates: {', '.join(template_names())}",
                )
            ],
        )
    return (resources.files("fitplug.templates") / f"{name}.toml").read_text(encoding="utf-8")


def template_summary(name: str) -> str:
    """The first comment line of a template: what it is for."""
    for line in template_text(name).splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""

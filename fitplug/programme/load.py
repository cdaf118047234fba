"""Programme TOML → a checked :class:`~fitplug.model.Programme`.

Every problem in a file is collected and reported at once, each with the
file, the key path and, where the text shows it, the line. The format is
documented in ``docs/programme.md``; ``templates/`` holds complete examples.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fitplug.errors import Problem, ProgrammeError
from fitplug.model import (
    DEFAULT_POST_RUN_NAME,
    DueRule,
    Exercise,
    GarminExercise,
    Hold,
    Intensity,
    Lapse,
    PostRunSet,
    Programme,
    Reps,
    Session,
    SessionKind,
    Targets,
    Tempo,
    Weekday,
)
from fitplug.programme.tomllines import index_lines

#: a programme is a few kilobytes; anything this large is not one
MAX_FILE_BYTES = 256 * 1024
#: wkt_name and exercise titles: Garmin Connect's name field is 32 bytes with the NUL
MAX_NAME_BYTES = 31
#: a cue goes into the step's notes with the dose, tempo, side and band (200 bytes in all)
MAX_CUE_BYTES = 120
MAX_DESCRIPTION_CHARS = 1000

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–]\s*(\d+))?\s*$")
_TEMPO = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*-\s*(\d+)\s*$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

_DAYS = {
    **{d.name.lower(): d for d in Weekday},
    "monday": Weekday.MON,
    "tuesday": Weekday.TUE,
    "wednesday": Weekday.WED,
    "thursday": Weekday.THU,
    "friday": Weekday.FRI,
    "saturday": Weekday.SAT,
    "sunday": Weekday.SUN,
}


@dataclass(frozen=True, slots=True)
class KnownExercise:
    """A move fitplug knows: the title the watch shows and the closest Garmin exercise."""

    title: str
    garmin: str


#: Moves of the glute programme with their default Garmin exercises. Categories
#: 0–32 are preferred: every category in Garmin Connect's own strength file is
#: below 33, and reports say some watches reject the newer ones.
KNOWN_EXERCISES: Mapping[str, KnownExercise] = {
    "glute_bridge": KnownExercise("Glute Bridge", "hip_raise/hip_raise"),
    "banded_leg_raise": KnownExercise("Banded Leg Raise", "hip_stability/band_side_lying_leg_raise"),
    "stacked_leg_stretch": KnownExercise("Stacked-leg Glute Stretch", "warm_up/stretch_forward_glutes"),
    "standing_figure_four": KnownExercise("Standing Figure-Four", "warm_up/stretch_piriformis"),
    "seated_figure_four": KnownExercise("Seated Figure-Four", "warm_up/stretch_piriformis"),
    "lying_figure_four": KnownExercise("Lying Figure-Four", "warm_up/stretch_lying_piriformis"),
    "pigeon_pose": KnownExercise("Pigeon Pose", "warm_up/stretch_pigeon_pose"),
    "glutes_stretch": KnownExercise("Glutes Stretch", "warm_up/glutes_stretch"),
}

_TOP_KEYS = ("programme", "targets", "due", "exercises", "sessions", "post_run")
_PROGRAMME_KEYS = ("id", "name", "timezone", "description")
_TARGET_KEYS = ("stretch_days_per_week",)
_DUE_KEYS = ("min_run_min", "lapse")
_EXERCISE_KEYS = (
    "title", "garmin", "sets", "reps", "hold_s", "per_side", "tempo", "rest_s",
    "side_rest_s", "cue", "equipment", "band", "weight_kg", "intensity",
)
_SESSION_KEYS = ("id", "name", "kind", "days", "time", "duration_min", "exercises", "description")
_POST_RUN_KEYS = ("name", "always", "rotation", "per_run")

T = TypeVar("T")
_MISSING = object()


def load_programme(path: str | Path) -> Programme:
    """Read and check a programme file; :class:`ProgrammeError` lists every problem."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProgrammeError(source, [Problem("", f"file is {size} bytes; a programme is at most {MAX_FILE_BYTES}")])
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
    checker = _Checker(text, source)
    programme = checker.programme(doc)
    if checker.problems or programme is None:
        # document order: a problem without a line goes after those with one
        ordered = sorted(checker.problems, key=lambda p: p.line if p.line is not None else 1 << 30)
        raise ProgrammeError(source, ordered)
    return programme


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)$", message)
    line = getattr(exc, "lineno", None)
    if match:
        line = line or int(match.group(1))
        message = message[: match.start()].rstrip()
    return Problem("", f"TOML syntax error: {message[:1].lower()}{message[1:]}", line)


def _clean_text(value: str) -> str | None:
    """Why ``value`` cannot reach a watch or a calendar, or ``None`` when it can."""
    for ch in value:
        if ch.isprintable() or ch in "\n\t\u200d\ufe0f":  # joiners inside emoji are harmless
            continue
        if unicodedata.category(ch) in ("Zs", "Zl", "Zp"):
            # watch fonts lack the unusual spaces, and a line separator splits a line
            return f"contains the space or separator character U+{ord(ch):04X}; use a plain space"
        return f"contains the control or formatting character U+{ord(ch):04X}"
    return None


class _Checker:
    """Walks the parsed document, collecting problems instead of stopping at the first."""

    def __init__(self, text: str, source: str | None) -> None:
        self.lines = index_lines(text)
        self.source = source
        self.problems: list[Problem] = []
        self.exercise_keys: list[str] = []

    # -- reporting ---------------------------------------------------------

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, self._line(path)))

    def _line(self, path: str) -> int | None:
        probe = path
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return None

    # -- typed getters -----------------------------------------------------

    def table(self, value: Any, path: str, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"must be a table, got {_kind(value)}")
            return {}
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(allowed)}"
                self.fail(f"{path}.{key}" if path else key, f"unknown key{hint}")
        return value

    def get(self, table: Mapping[str, Any], key: str, path: str, kind: type[T], default: Any = _MISSING) -> T | None:
        full = f"{path}.{key}" if path else key
        if key not in table:
            if default is _MISSING:
                self.fail(full, "is required")
                return None
            return default  # type: ignore[no-any-return]  # defaults are of kind T
        value = table[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # type: ignore[return-value]  # float is T here
        if not ok:
            self.fail(full, f"must be {_kind_name(kind)}, got {_kind(value)}")
            return None
        return value  # type: ignore[no-any-return]  # checked by isinstance above

    def integer(self, table: Mapping[str, Any], key: str, path: str, low: int, high: int,
                default: Any = _MISSING, unit: str = "") -> int | None:
        value = self.get(table, key, path, int, default)
        if isinstance(value, int) and not low <= value <= high:
            self.fail(f"{path}.{key}", f"must be between {low} and {high}{unit}, got {value}")
            return None
        return value

    def text(self, table: Mapping[str, Any], key: str, path: str, default: Any = _MISSING,
             max_bytes: int | None = None, max_chars: int | None = None, single_line: bool = True,
             why: str = "the watch shows at most", name: bool = False) -> str | None:
        value = self.get(table, key, path, str, default)
        if not isinstance(value, str):
            return value
        full = f"{path}.{key}"
        problem = _clean_text(value)
        if problem is None and single_line and ("\n" in value or "\t" in value):
            problem = "must be a single line"
        if problem is None and name and not value.strip():
            problem = "must not be empty: the watch and the calendar show it"
        if problem:
            self.fail(full, problem)
            return None
        if max_bytes is not None and len(value.encode()) > max_bytes:
            self.fail(full, f"is {len(value.encode())} bytes of UTF-8; {why} {max_bytes}")
            return None
        if max_chars is not None and len(value) > max_chars:
            self.fail(full, f"is {len(value)} characters; at most {max_chars}")
            return None
        return value

    def range_(self, value: Any, path: str, low: int, high: int, unit: str) -> tuple[int, int] | None:
        """An int, ``"12-15"`` or ``[12, 15]`` → (low, high) inside the bounds."""
        pair: tuple[int, int] | None = None
        if isinstance(value, bool):
            pair = None
        elif isinstance(value, int):
            pair = (value, value)
        elif isinstance(value, str) and (m := _RANGE.match(value)):
            pair = (int(m.group(1)), int(m.group(2) or m.group(1)))
        elif (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            pair = (value[0], value[1])
        if pair is None:
            self.fail(path, f'must be a number or a range like "{low}-{high}" or [{low}, {high}], got {value!r}')
            return None
        if pair[0] > pair[1]:
            self.fail(path, f"range goes down ({pair[0]} > {pair[1]})")
            return None
        if pair[0] < low or pair[1] > high:
            self.fail(path, f"must be between {low} and {high}{unit}, got {value!r}")
            return None
        return pair

    def slug(self, table: Mapping[str, Any], key: str, path: str) -> str | None:
        value = self.get(table, key, path, str)
        if isinstance(value, str) and not _SLUG.match(value):
            self.fail(f"{path}.{key}", "must be 1–40 lowercase letters, digits or '-', starting with a letter or digit")
            return None
        return value

    # -- sections ----------------------------------------------------------

    def programme(self, doc: dict[str, Any]) -> Programme | None:
        self.table(doc, "", _TOP_KEYS)
        head = self.table(doc["programme"], "programme", _PROGRAMME_KEYS) if "programme" in doc else None
        pid = name = tz = description = None
        if head is None:
            self.fail("programme", "is required: a [programme] table with id, name and timezone")
        else:
            pid = self.slug(head, "id", "programme")
            name = self.text(head, "name", "programme", max_chars=80, name=True)
            tz = self.timezone(head, "programme")
            description = self.text(head, "description", "programme", default="",
                                    max_chars=MAX_DESCRIPTION_CHARS, single_line=False)

        targets = self.targets(doc.get("targets", {}))
        due = self.due(doc.get("due", {}))
        exercises = self.exercises(doc.get("exercises", {}))
        sessions = self.sessions(doc.get("sessions", []), exercises)
        post_run = self.post_run(doc["post_run"], exercises) if "post_run" in doc else None
        if not sessions and post_run is None and not self.problems:
            self.fail("sessions", "the programme has no sessions and no [post_run] set: nothing to build")
        if self.problems or pid is None or name is None or tz is None:
            return None
        return Programme(
            id=pid, name=name, timezone=tz, sessions=tuple(sessions), post_run=post_run,
            due=due, targets=targets, description=description or "", source=self.source,
        )

    def timezone(self, head: Mapping[str, Any], path: str) -> str | None:
        value = self.get(head, "timezone", path, str)
        if not isinstance(value, str):
            return None
        import zoneinfo

        try:
            if not value or value.startswith(("/", ".")) or ".." in value:
                raise ValueError(value)
            zoneinfo.ZoneInfo(value)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else \
                " (use an IANA name such as 'Europe/London')"
            self.fail(f"{path}.timezone", f"unknown time zone {value!r}{hint}")
            return None
        return value

    def targets(self, raw: Any) -> Targets:
        table = self.table(raw, "targets", _TARGET_KEYS)
        if "stretch_days_per_week" not in table:
            return Targets()
        pair = self.range_(table["stretch_days_per_week"], "targets.stretch_days_per_week", 0, 7, " days")
        return Targets(*pair) if pair else Targets()

    def due(self, raw: Any) -> DueRule:
        table = self.table(raw, "due", _DUE_KEYS)
        minutes = self.integer(table, "min_run_min", "due", 0, 600, default=DueRule().min_run_min, unit=" minutes")
        lapse_name = self.get(table, "lapse", "due", str, default=DueRule().lapse.value)
        lapse = DueRule().lapse
        if isinstance(lapse_name, str):
            try:
                lapse = Lapse(lapse_name)
            except ValueError:
                self.fail("due.lapse", f"must be one of {', '.join(repr(x.value) for x in Lapse)}, got {lapse_name!r}")
        return DueRule(min_run_min=minutes if minutes is not None else DueRule().min_run_min, lapse=lapse)

    def exercises(self, raw: Any) -> dict[str, Exercise]:
        if not isinstance(raw, dict):
            self.fail("exercises", f"must be a table of exercises, got {_kind(raw)}")
            return {}
        found: dict[str, Exercise] = {}
        self.exercise_keys = list(raw)
        for key, body in raw.items():
            path = f"exercises.{key}"
            if not _KEY.match(key):
                self.fail(path, "exercise keys are 1–40 lowercase letters, digits or '_'")
                continue
            exercise = self.exercise(key, body, path)
            if exercise is not None:
                found[key] = exercise
        return found

    def exercise(self, key: str, raw: Any, path: str) -> Exercise | None:
        before = len(self.problems)
        table = self.table(raw, path, _EXERCISE_KEYS)
        known = KNOWN_EXERCISES.get(key)
        default_title = known.title if known else key.replace("_", " ").capitalize()
        title = self.text(table, "title", path, default=default_title, max_bytes=MAX_NAME_BYTES, name=True)
        garmin = self.garmin(table, path, known)
        sets = self.integer(table, "sets", path, 1, 10, default=1)
        dose: Reps | Hold | None = None
        if ("reps" in table) == ("hold_s" in table):
            self.fail(path, "give exactly one of reps (e.g. \"12-15\") or hold_s (e.g. \"20-30\")")
        elif "reps" in table:
            pair = self.range_(table["reps"], f"{path}.reps", 1, 100, " reps")
            dose = Reps(*pair) if pair else None
        else:
            pair = self.range_(table["hold_s"], f"{path}.hold_s", 5, 600, " seconds")
            dose = Hold(*pair) if pair else None
        per_side = self.get(table, "per_side", path, bool, default=False)
        tempo = self.tempo(table.get("tempo"), f"{path}.tempo") if "tempo" in table else None
        if tempo is not None and isinstance(dose, Hold):
            self.fail(f"{path}.tempo", "a tempo goes with reps, not with a hold")
        rest_s = self.rest(table, path)
        side_rest_s = self.integer(table, "side_rest_s", path, 0, 120, default=0, unit=" seconds")
        if side_rest_s and not per_side:
            self.fail(f"{path}.side_rest_s", "only means something with per_side = true")
        cue = self.text(table, "cue", path, default="", max_bytes=MAX_CUE_BYTES,
                        why="a cue shares the watch's 200-byte step notes, so it is at most")
        equipment = self.text(table, "equipment", path, default=None, max_chars=40)
        band = self.text(table, "band", path, default=None, max_chars=20)
        if band and not equipment:
            equipment = "resistance band"
        weight = self.get(table, "weight_kg", path, float, default=None)
        if isinstance(weight, float) and not 0 < weight <= 500:
            self.fail(f"{path}.weight_kg", f"must be between 0 and 500 kg, got {weight}")
        intensity_name = self.get(table, "intensity", path, str, default="active")
        intensity = Intensity.ACTIVE
        if isinstance(intensity_name, str):
            try:
                intensity = Intensity(intensity_name)
            except ValueError:
                self.fail(f"{path}.intensity", f"must be 'warmup' or 'active', got {intensity_name!r}")
        if len(self.problems) > before or title is None or garmin is None or sets is None or dose is None:
            return None
        return Exercise(
            id=key, title=title, garmin=garmin, sets=sets, dose=dose, per_side=bool(per_side),
            tempo=tempo, rest_s=rest_s, side_rest_s=side_rest_s or 0, cue=cue or "",
            equipment=equipment, band=band, weight_kg=weight, intensity=intensity,
        )

    def garmin(self, table: Mapping[str, Any], path: str, known: KnownExercise | None) -> GarminExercise | None:
        value = self.get(table, "garmin", path, str, default=known.garmin if known else None)
        full = f"{path}.garmin"
        if value is None:
            if "garmin" not in table:
                self.fail(full, 'is required for a move fitplug does not know: set garmin = "category/name" '
                                "(see `fitplug exercises`)")
            return None
        category, _, name = value.partition("/")
        profile = _profile_exercises()
        if category not in profile:
            self.fail(full, f"unknown Garmin exercise category {category!r}{_suggest(category, profile)}")
            return None
        if name and name not in profile[category]:
            every = [f"{c}/{n}" for c, names in profile.items() for n in names]
            self.fail(full, f"{value!r} is not in the FIT profile{_suggest(value, every)}")
            return None
        return GarminExercise(category, name or None, profile[category].get(name) if name else None)

    def tempo(self, value: Any, path: str) -> Tempo | None:
        parts: list[int] | None = None
        if isinstance(value, str) and (m := _TEMPO.match(value)):
            parts = [int(g) for g in m.groups()]
        elif isinstance(value, list) and len(value) == 3 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            parts = list(value)
        if parts is None:
            self.fail(path, f'must be lift-pause-lower seconds like "1-2-3", got {value!r}')
            return None
        if not all(0 <= p <= 10 for p in parts) or sum(parts) == 0:
            self.fail(path, f"each phase must be 0–10 seconds and not all 0, got {value!r}")
            return None
        return Tempo(*parts)

    def rest(self, table: Mapping[str, Any], path: str) -> int | None:
        value = table.get("rest_s", 0)
        if value == "lap":
            return None  # rest until the lap button
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 600:
            return value
        self.fail(f"{path}.rest_s", f'must be 0–600 seconds or "lap" (until the lap button), got {value!r}')
        return 0

    def weekdays(self, value: Any, path: str) -> tuple[Weekday, ...]:
        if not isinstance(value, list):
            self.fail(path, f'must be a list of weekdays like ["tue", "fri"], got {_kind(value)}')
            return ()
        days: list[Weekday] = []
        for i, item in enumerate(value):
            day = _DAYS.get(item.strip().lower()) if isinstance(item, str) else None
            if day is None:
                self.fail(f"{path}[{i}]", f"unknown weekday {item!r}{_suggest(str(item).lower(), list(_DAYS))}")
            elif day in days:
                self.fail(f"{path}[{i}]", f"{item!r} is listed twice")
            else:
                days.append(day)
        return tuple(sorted(days))

    def sessions(self, raw: Any, exercises: Mapping[str, Exercise]) -> list[Session]:
        if not isinstance(raw, list):
            self.fail("sessions", f"must be an array of tables ([[sessions]]), got {_kind(raw)}")
            return []
        from fitplug.programme.schedule import session_minutes
        from fitplug.programme.steps import MAX_STEPS, count_steps

        sessions: list[Session] = []
        ids: set[str] = set()
        taken: dict[Weekday, str] = {}
        for i, body in enumerate(raw):
            path = f"sessions[{i}]"
            before = len(self.problems)
            table = self.table(body, path, _SESSION_KEYS)
            sid = self.slug(table, "id", path)
            if sid and sid.startswith("post-run-stretch"):
                self.fail(f"{path}.id", "the post-run-stretch names are kept for the [post_run] set")
            if sid in ids:
                self.fail(f"{path}.id", f"{sid!r} is used by an earlier session")
            name = self.text(table, "name", path, max_bytes=MAX_NAME_BYTES, name=True)
            kind_name = self.get(table, "kind", path, str, default="strength")
            kind = SessionKind.STRENGTH
            if kind_name not in ("strength", "stretch"):
                self.fail(f"{path}.kind", f"must be 'strength' or 'stretch', got {kind_name!r}")
            else:
                kind = SessionKind(kind_name)
            days = self.weekdays(table.get("days", []), f"{path}.days") if "days" in table else ()
            if "days" not in table:
                self.fail(f"{path}.days", 'is required: the weekdays of this session, e.g. ["tue", "fri"]')
            for day in days:
                if day in taken:
                    self.fail(f"{path}.days", f"{day.name.lower()} already has the session {taken[day]!r}; "
                                              "one session a day")
                elif sid:
                    taken[day] = sid
            time = self.clock(table, path)
            moves = self.exercise_refs(table, path, exercises)
            duration = self.integer(table, "duration_min", path, 5, 240, default=None, unit=" minutes")
            description = self.text(table, "description", path, default="",
                                    max_chars=MAX_DESCRIPTION_CHARS, single_line=False)
            if len(self.problems) > before or not sid or not name or not moves or time is None:
                continue
            session = Session(id=sid, name=name, kind=kind, exercises=tuple(moves), days=days,
                              time=time, duration_min=duration or 0, description=description or "")
            steps = count_steps(session)
            if steps > MAX_STEPS:
                self.fail(f"{path}.exercises", f"makes {steps} watch steps; a Garmin workout holds at most "
                                               f"{MAX_STEPS} (fewer exercises or sets)")
                continue
            if not duration:
                session = _replace_duration(session, session_minutes(session))
            ids.add(sid)
            sessions.append(session)
        return sessions

    def clock(self, table: Mapping[str, Any], path: str) -> dt.time | None:
        value = table.get("time", "07:00")
        if isinstance(value, dt.time):  # TOML local time: 07:00:00
            return value.replace(microsecond=0)
        if isinstance(value, str) and (m := _TIME.match(value)):
            hour, minute = int(m.group(1)), int(m.group(2))
            if hour < 24 and minute < 60:
                return dt.time(hour, minute)
        self.fail(f"{path}.time", f'must be a local time like "07:00", got {value!r}')
        return None

    def exercise_refs(self, table: Mapping[str, Any], path: str,
                      exercises: Mapping[str, Exercise], key: str = "exercises") -> list[Exercise]:
        value = table.get(key)
        full = f"{path}.{key}"
        if value is None:
            self.fail(full, "is required: a list of exercise keys from [exercises]")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(full, f"must be a list of exercise keys, got {value!r}")
            return []
        found: list[Exercise] = []
        for i, ref in enumerate(value):
            if ref in exercises:
                found.append(exercises[ref])
            elif ref not in self._failed_exercises():
                self.fail(f"{full}[{i}]", f"no exercise {ref!r} in [exercises]{_suggest(ref, self.exercise_keys)}")
        return found

    def _failed_exercises(self) -> set[str]:
        """Exercises that had their own problems (not reported again where they are used)."""
        return {p.key_path.split(".")[1] for p in self.problems
                if p.key_path.startswith("exercises.") and p.key_path.count(".") >= 1}

    def post_run(self, raw: Any, exercises: Mapping[str, Exercise]) -> PostRunSet | None:
        path = "post_run"
        before = len(self.problems)
        table = self.table(raw, path, _POST_RUN_KEYS)
        # variant names get " 1", " 2"... appended: keep room for that
        name = self.text(table, "name", path, default=DEFAULT_POST_RUN_NAME, max_bytes=MAX_NAME_BYTES - 3,
                         name=True)
        always = self.exercise_refs(table, path, exercises, "always") if "always" in table else []
        rotation = self.exercise_refs(table, path, exercises, "rotation") if "rotation" in table else []
        if not always and not rotation and "always" in table and "rotation" in table:
            self.fail(path, "needs at least one stretch in always or rotation")
        if "always" not in table and "rotation" not in table:
            self.fail(path, "needs always = [...] and/or rotation = [...] (exercise keys)")
        # by default: the fixed stretches plus one from the rotation
        per_run = self.integer(table, "per_run", path, 1, 6, default=max(1, len(always) + min(1, len(rotation))))
        if per_run is not None and per_run < len(always):
            self.fail(f"{path}.per_run", f"is {per_run} but {len(always)} stretches are always done")
        if per_run is not None and per_run > len(always) and not rotation:
            self.fail(f"{path}.rotation", f"per_run is {per_run}: give stretches to rotate through")
        overlap = {e.id for e in always} & {e.id for e in rotation}
        if overlap:
            self.fail(f"{path}.rotation", f"{', '.join(sorted(overlap))} is already in always")
        if len(self.problems) > before or name is None or per_run is None:
            return None
        return PostRunSet(always=tuple(always), rotation=tuple(rotation), per_run=per_run, name=name)


def _replace_duration(session: Session, minutes: int) -> Session:
    from dataclasses import replace

    return replace(session, duration_min=max(5, minutes))


def _suggest(value: str, choices: list[str] | Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _kind_name(kind: type) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(kind, kind.__name__)


def _profile_exercises() -> dict[str, dict[str, int]]:
    """Exercise categories of the installed FIT profile with their names (``unknown`` left out)."""
    from fitplug.programme.exercises import exercises

    return {c: names for c, names in exercises().items() if c != "unknown"}


def list_exercises(category: str | None = None) -> list[str]:
    """Garmin exercise categories, or ``category/name`` for every name in one category."""
    profile = _profile_exercises()
    if category is None:
        return [f"{c} ({len(names)} exercises)" for c, names in profile.items()]
    if category not in profile:
        raise ProgrammeError(None, [Problem("", f"unknown Garmin exercise category {category!r}"
                                                f"{_suggest(category, profile)}")])
    return [f"{category}/{n}" for n in profile[category]]


#: the template `fitplug init` writes when none is named
DEFAULT_TEMPLATE = "glute-runner"


def template_names() -> list[str]:
    """Names of the bundled templates (``glute-runner`` is the default)."""
    from importlib import resources

    files = resources.files("fitplug.templates")
    return sorted(p.name.removesuffix(".toml") for p in files.iterdir() if p.name.endswith(".toml"))


def template_text(name: str) -> str:
    """The text of a bundled template."""
    from importlib import resources

    if name not in template_names():
        raise ProgrammeError(None, [Problem("", f"no template {name!r}{_suggest(name, template_names())}; "
                                                f"templates: {', '.join(template_names())}")])
    return (resources.files("fitplug.templates") / f"{name}.toml").read_text(encoding="utf-8")


def template_summary(name: str) -> str:
    """The first comment line of a template: what it is for."""
    for line in template_text(name).splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""

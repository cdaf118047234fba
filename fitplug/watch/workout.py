"""One session → FIT workout bytes; planned sessions → a FIT schedules file.

Written with garmin-fit-sdk's ``Encoder`` in the shape Garmin Connect itself
writes for a strength workout (``../shared/fit-reference``): ``file_id``,
``file_creator``, ``workout``, the ``workout_step`` messages of
:func:`fitplug.steps.plan_session`, then one ``exercise_title`` per exercise.
Message numbers and enum values come from the SDK's ``Profile``.

Choices, and why:

- **Identity.** ``file_id`` says manufacturer ``garmin``, product ``connect``
  (65534), as Garmin Connect's own workout files do and as the schedules files
  reported to work on Fenix 3 and Fenix 7 watches do (jpickup/GarminTools).
  The serial number is the first four bytes of
  ``sha256("<programme id>/<session id>")``: the same for a session across
  builds and edits (a watch replaces the workout instead of adding a copy),
  different for every session (a watch keeps one workout per
  manufacturer+product+serial).
- **time_created** is taken from ``--created``/``SOURCE_DATE_EPOCH`` when
  given. Otherwise it moves forward whenever the bytes change and stays put
  when they do not, kept in a record beside the settings (``workouts.json``:
  per programme and session, a hash of the file encoded with a placeholder
  time, and the time it was given). A content the record knows keeps its
  time (byte-identical rebuilds, any output folder, ``install``); a new one
  gets the later of the time derived from its content (the first four bytes
  of that hash pick a second in the ``2**26`` s after 2020-01-01 UTC) and one
  second after the recorded time; with no record, the derived time. So a
  change never gives an older time, which a watch would take for an older file.
- **Sport.** Every session is sport ``training``, sub_sport
  ``strength_training``, stretch-only and post-run sessions included. It is
  the only shape known to work on watches for exercise steps with timed holds
  (Connect's own file has a timed side plank and a ``warm_up`` step), and the
  watch's strength app shows the exercise titles and records each hold as a
  set. ``flexibility_training`` exists in the profile but has not been seen in
  a workout a watch accepted; :data:`SUB_SPORT` is the one place to change.
- **Header.** The SDK writes protocol 2.0; fitplug rewrites the header to 1.0
  (as Connect and the SDK's own C# cookbook do), because nothing in these
  files needs 2.0 (no developer fields, no 64-bit types) and a 1.0 file is
  readable by every FIT decoder, old watches included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from fitplug import settings
from fitplug.atomic import write_atomic
from fitplug.errors import FitplugError, WorkoutFileError
from fitplug.model import Exercise, Hold, Intensity, Reps, Session, SessionKind
from fitplug.present import words
from fitplug.programme.steps import MAX_STEPS, PlannedStep, Side, StepType, plan_session
from fitplug.programme.watch_limits import MAX_SCHEDULE_ENTRIES, ascii_text
from fitplug.times import FIT_EPOCH

#: FIT ``date_time`` counts seconds from 1989-12-31 00:00 UTC
#: FIT ``date_time`` values below this mean "seconds since the device started"
MIN_FIT_DATE_TIME = 0x10000000
#: wkt_name: Garmin Connect's field is 32 bytes with the NUL
MAX_NAME_BYTES = 31
#: notes: Garmin Connect's field width
MAX_NOTES_BYTES = 200
#: uint16 "invalid": an exercise_name for "category only" (0 is a real exercise)
NO_EXERCISE_NAME = 0xFFFF

MANUFACTURER = "garmin"
#: ``garmin_product`` "connect": what Garmin Connect writes in its workout files
PRODUCT_NAME = "connect"

#: FIT sub_sport per session kind (sport is always ``training``); see the module docstring
SUB_SPORT: dict[SessionKind, str] = {
    SessionKind.STRENGTH: "strength_training",
    SessionKind.STRETCH: "strength_training",
    SessionKind.POST_RUN: "strength_training",
}

#: base of content-derived time_created values, and the width of the window after it
_DERIVED_BASE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_DERIVED_WINDOW_S = 1 << 26

_SIDE_WORD = {Side.LEFT: "Left", Side.RIGHT: "Right"}


# --- the FIT profile ------------------------------------------------------------


@cache
def _profile() -> dict[str, Any]:
    from garmin_fit_sdk import Profile  # imported here: keeps `fitplug --help` fast

    return Profile


def mesg_num(name: str) -> int:
    """The global message number of ``name`` (``workout_step`` → 27)."""
    return int(_profile()["mesg_num"][name.upper()])


def enum_value(type_name: str, value_name: str) -> int:
    """The number of ``value_name`` in the profile type ``type_name`` (``intensity``/``rest`` → 1)."""
    values = _profile()["types"].get(type_name, {})
    for number, name in values.items():
        if name == value_name:
            return int(number)
    raise WorkoutFileError(f"{value_name!r} is not a {type_name} in the FIT profile")


def exercise_ids(category: str, name: str | None) -> tuple[int, int]:
    """(exercise_category, exercise_name) numbers; the name is 65535 for "category only"."""
    category_id = enum_value("exercise_category", category)
    if name is None:
        return category_id, NO_EXERCISE_NAME
    return category_id, enum_value(f"{category}_exercise_name", name)


def fit_time(moment: dt.datetime) -> int:
    """An aware instant as a FIT ``date_time`` (seconds since 1989-12-31 UTC)."""
    if moment.tzinfo is None:
        raise ValueError("fit_time needs an aware datetime")
    seconds = int((moment - FIT_EPOCH).total_seconds())
    if not MIN_FIT_DATE_TIME <= seconds < 1 << 32:
        raise WorkoutFileError(f"{moment.isoformat()} cannot be a FIT time_created (1998-07-01 to 2126)")
    return seconds


def fit_local_time(wall_clock: dt.datetime) -> int:
    """A wall-clock time as a FIT ``local_date_time``: its seconds since 1989-12-31 00:00 local."""
    naive = wall_clock.replace(tzinfo=None)
    return int((naive - FIT_EPOCH.replace(tzinfo=None)).total_seconds())


# --- identity -------------------------------------------------------------------


def serial_number(programme_id: str, key: str) -> int:
    """A stable non-zero uint32 for ``key`` (a session id, or ``schedule``) of a programme."""
    digest = hashlib.sha256(f"{programme_id}/{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") or 1  # uint32z: 0 means "no serial"


def derived_time_created(placeholder_encoding: bytes) -> dt.datetime:
    """time_created from the bytes encoded with the placeholder time (see the module docstring)."""
    digest = hashlib.sha256(placeholder_encoding).digest()
    offset = int.from_bytes(digest[:4], "big") % _DERIVED_WINDOW_S
    return _DERIVED_BASE + dt.timedelta(seconds=offset)


#: the record of times given (see the module docstring), beside the settings
RECORD_FILE = "workouts.json"
_RECORD_FORMAT = "fitplug.workouts/1"


def recorded_time_created(
    programme_id: str, key: str, placeholder_encoding: bytes, *, record: bool = True
) -> dt.datetime:
    """time_created for a file (``key``: a session id, or ``schedule``) whose placeholder encoding is
    ``placeholder_encoding``: the recorded one when it is unchanged, else a later one, recorded (only
    with ``record``: a command that writes no file, a query or a dry run, computes it and writes nothing)."""
    digest = hashlib.sha256(placeholder_encoding).hexdigest()
    name = f"{programme_id}/{key}"
    derived = derived_time_created(placeholder_encoding)
    with _record_lock():
        raw = _read_record()
        times = raw.setdefault("times", {})
        held = times.get(name)
        before = None
        if isinstance(held, list) and len(held) == 2 and isinstance(held[0], str) and type(held[1]) is int:
            if MIN_FIT_DATE_TIME <= held[1] < (1 << 32) - 1:
                before = FIT_EPOCH + dt.timedelta(seconds=held[1])
                if held[0] == digest:
                    return before
        created = derived if before is None else max(derived, before + dt.timedelta(seconds=1))
        if not record:
            return created
        times[name] = [digest, fit_time(created)]
        raw["format"] = _RECORD_FORMAT
        with contextlib.suppress(OSError, FitplugError):  # unwritable: the derived times still hold
            write_atomic(
                settings.config_dir() / RECORD_FILE, (json.dumps(raw, sort_keys=True) + "\n").encode(), fsync=False
            )
    return created


def _read_record() -> dict[str, Any]:
    try:
        value = json.loads((settings.config_dir() / RECORD_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(value, dict) or value.get("format") != _RECORD_FORMAT or not isinstance(value.get("times"), dict):
        return {}
    return value


def _record_lock() -> contextlib.AbstractContextManager[None]:
    return settings.file_lock(settings.config_dir() / (RECORD_FILE + ".lock"))


# --- notes ----------------------------------------------------------------------


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, at a character boundary, with "..." when cut
    (ASCII: the watch's fonts may lack "…")."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    cut = data[: max_bytes - 3].decode("utf-8", errors="ignore")
    return cut.rstrip() + "..."


def step_notes(exercise: Exercise, side: Side | None) -> str:
    """What FIT has no field for, one item a line: side, dose range, tempo, band or kit, cue."""
    lines: list[str] = []
    if side is not None:
        lines.append(_SIDE_WORD[side])
    dose: list[str] = []
    if isinstance(exercise.dose, Reps) and exercise.dose.low != exercise.dose.high:
        dose.append(words.target(exercise))
    elif isinstance(exercise.dose, Hold) and exercise.dose.low_s != exercise.dose.high_s:
        dose.append(f"hold {words.target(exercise)}")
    if exercise.tempo is not None:
        dose.append(f"tempo {exercise.tempo}")
    if dose:
        text = ascii_text(", ".join(dose))  # generated: "Hold 20-30 s", not an en dash
        lines.append(text[:1].upper() + text[1:])
    if exercise.band:
        lines.append(f"{exercise.band[:1].upper()}{exercise.band[1:]} band")
    elif exercise.equipment:
        lines.append(f"{exercise.equipment[:1].upper()}{exercise.equipment[1:]}")
    if exercise.cue:
        lines.append(exercise.cue)
    return truncate_utf8("\n".join(lines), MAX_NOTES_BYTES)


# --- workouts -------------------------------------------------------------------


def _header_v1(data: bytes) -> bytes:
    """The Encoder's file with its header rewritten to protocol 1.0 and both CRCs redone."""
    from garmin_fit_sdk import CrcCalculator

    body = bytearray(data[:-2])
    header_size = body[0]
    body[1] = 0x10
    if header_size >= 14:
        struct.pack_into("<H", body, 12, CrcCalculator.calculate_crc(body, 0, 12))
    crc = CrcCalculator.calculate_crc(body, 0, len(body))
    return bytes(body) + struct.pack("<H", crc)


def _step_message(step: PlannedStep) -> dict[str, Any]:
    """One ``workout_step``, fields in a fixed order (the Encoder defines them in dict order)."""
    msg: dict[str, Any] = {"mesg_num": mesg_num("workout_step"), "message_index": step.index}
    if step.type is StepType.REPEAT:
        # Connect leaves target_type and intensity unset on repeat steps.
        assert step.repeat_from is not None and step.rounds is not None
        msg["duration_type"] = enum_value("wkt_step_duration", "repeat_until_steps_cmplt")
        msg["duration_value"] = step.repeat_from
        msg["target_value"] = step.rounds
        return msg
    # The Encoder drops subfield names (duration_reps, duration_time) without a
    # word, so write duration_value raw: a rep count, or milliseconds.
    if step.reps is not None:
        msg["duration_type"] = enum_value("wkt_step_duration", "reps")
        msg["duration_value"] = step.reps
    elif step.seconds is not None:
        msg["duration_type"] = enum_value("wkt_step_duration", "time")
        msg["duration_value"] = step.seconds * 1000
    else:
        msg["duration_type"] = enum_value("wkt_step_duration", "open")
    msg["target_type"] = enum_value("wkt_step_target", "open")
    msg["target_value"] = 0
    if step.type is StepType.REST:
        msg["intensity"] = enum_value("intensity", "rest")
        return msg  # no exercise_category on rests: the watch would name the rest after it
    exercise = step.exercise
    assert exercise is not None
    warmup = exercise.intensity is Intensity.WARMUP
    msg["intensity"] = enum_value("intensity", "warmup" if warmup else "active")
    notes = step_notes(exercise, step.side)
    if notes:
        msg["notes"] = notes
    category, name = exercise_ids(exercise.garmin.category, exercise.garmin.name)
    msg["exercise_category"] = category
    msg["exercise_name"] = name
    if exercise.weight_kg is not None:
        msg["exercise_weight"] = exercise.weight_kg  # the Encoder applies the profile's scale (×100)
        msg["weight_display_unit"] = enum_value("fit_base_unit", "kilogram")
    return msg


def exercise_titles(session: Session) -> list[tuple[int, int, str]]:
    """(category, name, title) once per Garmin exercise, in order of first use.

    A watch shows one title per (category, name); when two moves share a
    Garmin exercise, the first one's title is used (the steps' notes tell them apart).
    """
    seen: dict[tuple[int, int], str] = {}
    for exercise in session.exercises:
        key = exercise_ids(exercise.garmin.category, exercise.garmin.name)
        seen.setdefault(key, exercise.title)
    return [(c, n, t) for (c, n), t in seen.items()]


def encode_workout(session: Session, *, programme_id: str, time_created: dt.datetime) -> bytes:
    """The FIT workout file for ``session``: the steps of :func:`~fitplug.steps.plan_session`, under the
    session's name (a post-run set's is already the one the watch tells apart)."""
    from garmin_fit_sdk import Encoder

    steps = plan_session(session)
    if not steps:
        raise WorkoutFileError(f"session {session.id!r} has no steps")
    if len(steps) > MAX_STEPS:
        raise WorkoutFileError(f"session {session.id!r} makes {len(steps)} steps; a watch takes {MAX_STEPS}")
    name = truncate_utf8(session.name or session.id, MAX_NAME_BYTES)

    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": mesg_num("file_id"),
            "type": enum_value("file", "workout"),
            "manufacturer": enum_value("manufacturer", MANUFACTURER),
            "product": enum_value("garmin_product", PRODUCT_NAME),
            "serial_number": serial_number(programme_id, session.id),
            "time_created": fit_time(time_created),
        }
    )
    encoder.write_mesg({"mesg_num": mesg_num("file_creator"), "software_version": 0, "hardware_version": 0})
    encoder.write_mesg(
        {
            "mesg_num": mesg_num("workout"),
            "sport": enum_value("sport", "training"),
            "sub_sport": enum_value("sub_sport", SUB_SPORT[session.kind]),
            "capabilities": enum_value("workout_capabilities", "tcx"),  # as Connect writes
            "num_valid_steps": len(steps),  # repeat steps count too
            "wkt_name": name,
        }
    )
    for step in steps:
        encoder.write_mesg(_step_message(step))
    for index, (category, exercise_name, title) in enumerate(exercise_titles(session)):
        encoder.write_mesg(
            {
                "mesg_num": mesg_num("exercise_title"),
                "message_index": index,
                "exercise_category": category,
                "exercise_name": exercise_name,
                "wkt_step_name": truncate_utf8(title, MAX_NAME_BYTES),
            }
        )
    return _header_v1(encoder.close())


@dataclass(frozen=True, slots=True)
class WorkoutFile:
    """A session encoded: what a schedule entry needs to point at it, and the bytes."""

    session: Session
    file_name: str
    serial_number: int
    time_created: dt.datetime
    data: bytes


def build_workout(
    session: Session, *, programme_id: str, created: dt.datetime | None = None, record: bool = False
) -> WorkoutFile:
    """Encode ``session`` with ``created`` as time_created, or the recorded one for its content
    (``record``: the file is written out, so a new time is recorded)."""
    if created is None:
        placeholder = encode_workout(session, programme_id=programme_id, time_created=_DERIVED_BASE)
        created = recorded_time_created(programme_id, session.id, placeholder, record=record)
    data = encode_workout(session, programme_id=programme_id, time_created=created)
    return WorkoutFile(
        session=session,
        file_name=f"{session.id}.fit",
        serial_number=serial_number(programme_id, session.id),
        time_created=created.astimezone(dt.UTC).replace(microsecond=0),
        data=data,
    )


# --- schedules ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One workout on the watch's calendar."""

    workout: WorkoutFile
    #: the session's start, wall clock in the programme's time zone
    start: dt.datetime


def encode_schedule(entries: Sequence[ScheduleEntry], *, serial: int, time_created: dt.datetime) -> bytes:
    """A FIT schedules file (type 7): each entry points at its workout by
    manufacturer, product, serial number and time_created."""
    from garmin_fit_sdk import Encoder

    if not entries:
        raise WorkoutFileError("a schedule needs at least one session")
    if len(entries) > MAX_SCHEDULE_ENTRIES:
        raise WorkoutFileError(f"{len(entries)} scheduled sessions; watches keep {MAX_SCHEDULE_ENTRIES}")
    manufacturer = enum_value("manufacturer", MANUFACTURER)
    product = enum_value("garmin_product", PRODUCT_NAME)
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": mesg_num("file_id"),
            "type": enum_value("file", "schedules"),
            "manufacturer": manufacturer,
            "product": product,
            "serial_number": serial,
            "time_created": fit_time(time_created),
        }
    )
    encoder.write_mesg({"mesg_num": mesg_num("file_creator"), "software_version": 0, "hardware_version": 0})
    for entry in entries:
        encoder.write_mesg(
            {
                "mesg_num": mesg_num("schedule"),
                "manufacturer": manufacturer,
                "product": product,
                "serial_number": entry.workout.serial_number,
                "time_created": fit_time(entry.workout.time_created),
                "completed": 0,  # the SDK Encoder cannot map a Python bool to the FIT bool type
                "type": enum_value("schedule", "workout"),
                "scheduled_time": fit_local_time(entry.start),
            }
        )
    return _header_v1(encoder.close())


def build_schedule(
    entries: Sequence[ScheduleEntry], *, programme_id: str, created: dt.datetime | None = None, record: bool = False
) -> bytes:
    """Encode ``entries`` with ``created`` as time_created, or the recorded one for the content
    (``record``: the file is written out, so a new time is recorded)."""
    serial = serial_number(programme_id, "schedule")
    if created is None:
        placeholder = encode_schedule(entries, serial=serial, time_created=_DERIVED_BASE)
        created = recorded_time_created(programme_id, "schedule", placeholder, record=record)
    return encode_schedule(entries, serial=serial, time_created=created)


def check_unique_serials(workouts: Iterable[WorkoutFile]) -> None:
    """Refuse two sessions whose serial numbers collide (a watch would keep only one)."""
    seen: dict[int, str] = {}
    for w in workouts:
        other = seen.setdefault(w.serial_number, w.session.id)
        if other != w.session.id:
            raise WorkoutFileError(
                f"sessions {other!r} and {w.session.id!r} hash to the same FIT serial number; rename one of them"
            )

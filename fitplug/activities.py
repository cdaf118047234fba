"""FIT activity file → :class:`~fitplug.model.ActivitySummary` (fitdecode, CRC checked).

The field mapping here is the contract a faster reader must meet too:

- ``file_type``: the ``file_id.type`` profile name (``str(int)`` when the
  profile has no name for it, ``"unknown"`` when the file has no ``file_id``);
- ``manufacturer``: profile name, else ``str(int)``, else ``None``;
- ``product``: the ``garmin_product`` name for the Garmin family of
  manufacturers (garmin, dynastream, dynastream_oem, tacx), else ``str(product)``;
- one :class:`ActivitySession` per ``session`` message, in file order;
  ``utc_offset_s`` = ``activity.local_timestamp − activity.timestamp`` (``None``
  when either is absent or they differ by more than a day: an unset clock);
  a ``start_time`` below 0x10000000 (device-relative) is read from the FIT epoch, as
  Garmin's SDK does; a session without ``start_time`` starts at its ``timestamp``
  minus its elapsed time; a session with neither is dropped; a missing sport
  reads ``generic``;
- one :class:`SetRecord` per ``set`` message; ``category`` is the name of the
  first element of ``set.category``, ``exercise_name`` the first element of
  ``set.category_subtype``.

Names come from garmin-fit-sdk's profile (one vocabulary for every reader);
values are read raw from fitdecode so its own profile version cannot rename them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import struct
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Union

from .errors import ActivityError
from .model import ActivitySession, ActivitySummary, SetRecord

#: what :func:`read_activity` accepts
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]

#: manufacturers whose ``product`` is a ``garmin_product`` (FIT profile subfield map)
GARMIN_FAMILY = frozenset({1, 13, 15, 89})  # garmin, dynastream_oem, dynastream, tacx

#: FIT epoch (1989-12-31T00:00:00Z) in Unix seconds
_FIT_EPOCH_S = 631065600
_UTC = dt.UTC
#: a local offset beyond a day is a device clock that was never set, not a time zone
_MAX_OFFSET_S = 24 * 3600

#: a FIT activity larger than this is refused unread (real ones are a few MB)
MAX_FIT_BYTES = 128 * 1024 * 1024

#: an optional faster reader tried first; fitdecode decides whenever it fails
FastReader = Callable[[bytes], ActivitySummary]
_fast_reader: FastReader | None = None


def set_fast_reader(reader: FastReader | None) -> None:
    """Use ``reader`` before fitdecode; any exception it raises sends the file to fitdecode."""
    global _fast_reader
    _fast_reader = reader


def _types() -> dict[str, dict[int, str]]:
    from garmin_fit_sdk import Profile

    types: dict[str, dict[int, str]] = Profile["types"]
    return types


def type_name(type_: str, value: int | None) -> str | None:
    """Profile name of ``value`` in FIT type ``type_`` (``str(value)`` when unnamed)."""
    if value is None:
        return None
    return _types().get(type_, {}).get(value, str(value))


def exercise_name_id(category: str, name: str) -> int | None:
    """The FIT id of exercise ``name`` within ``category`` (``None`` if the profile has none)."""
    for key, value in _types().get(f"{category}_exercise_name", {}).items():
        if value == name:
            return key
    return None


def read_activity(source: Source, *, name: str | None = None) -> ActivitySummary:
    """Read one FIT file (a path, its bytes, or a binary file object) into a summary.

    ``name`` labels errors when ``source`` is not a path. Raises
    :class:`ActivityError` with the reason and byte offset for anything that
    is not a readable, CRC-correct FIT file.
    """
    data, label = _load(source, name)
    if _fast_reader is not None:
        try:
            return _fast_reader(data)
        except Exception:  # noqa: BLE001, S110  # fitdecode is the decider for anything the fast path refuses
            pass
    return decode_activity(data, name=label)


def _load(source: Source, name: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            with path.open("rb", buffering=0) as f:  # unbuffered: read() fills one buffer
                size = os.fstat(f.fileno()).st_size
                if size > MAX_FIT_BYTES:
                    raise ActivityError(name or path, f"{size} bytes is too large for a FIT activity", 0)
                head = f.read(12)
                # not a FIT header: read no further, however big the file (the reader says why)
                if len(head) < 12 or head[0] not in (12, 14) or head[8:12] != b".FIT":
                    return head, name or str(path)
                f.seek(0)
                return f.read(), name or str(path)  # one buffer, not head + rest
        except OSError as exc:
            raise ActivityError(name or path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        data = source.read()
    except OSError as exc:
        raise ActivityError(name, f"cannot read: {exc.strerror or exc}") from exc
    label = name or getattr(source, "name", None)
    return bytes(data), str(label) if isinstance(label, (str, os.PathLike)) else None


def decode_activity(data: bytes, *, name: str | None = None) -> ActivitySummary:
    """Decode FIT ``data`` with fitdecode (CRC checked) into a summary."""
    import fitdecode

    if not data:
        raise ActivityError(name, "empty file (0 bytes)", 0)
    _check_frames(data, name)
    file_id: dict[int, Any] | None = None
    sessions: list[dict[int, Any]] = []
    sets: list[dict[int, Any]] = []
    activity: dict[int, Any] | None = None
    workout_name: str | None = None
    wanted = {"file_id", "session", "set", "activity", "workout"}
    try:
        with warnings.catch_warnings():
            # fitdecode warns about odd field sizes it then reads anyway; a bad CRC raises
            warnings.simplefilter("ignore")
            reader = fitdecode.FitReader(
                io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE, keep_raw_chunks=False
            )
            with reader:
                for frame in reader:
                    if frame.frame_type != fitdecode.FIT_FRAME_DATA or frame.name not in wanted:
                        continue
                    raw = _raw_fields(frame)
                    if frame.name == "file_id":
                        if file_id is None:
                            file_id = raw
                    elif frame.name == "session":
                        sessions.append(raw)
                    elif frame.name == "set":
                        sets.append(raw)
                    elif frame.name == "activity":
                        if activity is None:
                            activity = raw
                    elif frame.name == "workout" and workout_name is None:
                        value = frame.get_value("wkt_name", fallback=None)
                        workout_name = value if isinstance(value, str) and value else None
    except fitdecode.FitError as exc:
        raise ActivityError(name, _reason(exc), getattr(exc, "offset", None)) from exc
    except AssertionError as exc:
        # fitdecode asserts that a message ends inside the data; hostile files break that
        raise ActivityError(name, "malformed FIT data: a message runs past the end of the data") from exc
    except (ValueError, KeyError, IndexError, TypeError, struct.error) as exc:
        raise ActivityError(name, f"malformed FIT data: {exc}") from exc

    if file_id is None and not sessions:
        raise ActivityError(name, "no FIT messages (not an activity file)")

    return _summary(data, file_id, sessions, sets, activity, workout_name)


def _check_frames(data: bytes, name: str | None) -> None:
    """Refuse a truncated file or a bad file CRC before fitdecode walks the messages.

    fitdecode checks the CRC only at the end, after decoding every message: a
    file of millions of messages with a bad CRC would keep it busy for many
    minutes. Anything else odd is left to fitdecode, which says what it is.
    """
    from .fitscan import _crc16

    pos, n = 0, len(data)
    while n - pos >= 12 and data[pos] in (12, 14) and data[pos + 8 : pos + 12] == b".FIT":
        data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + data[pos] + data_size
        if end + 2 > n:
            raise ActivityError(name, f"truncated (the header announces {data_size} data bytes; the file "
                                f"ends {end + 2 - n} bytes short)", n)  # fmt: skip
        stored = data[end] | data[end + 1] << 8
        if stored != _crc16(data, pos, end):
            raise ActivityError(name, f"bad CRC (file CRC 0x{stored:04X} does not match the data)", end)
        pos = end + 2


def _raw_fields(frame: Any) -> dict[int, Any]:
    """Raw values by field number: profile fields only, not developer or expanded ones.

    Numbers, not names: fitdecode names a field after the subfield it resolves
    (``garmin_product``), and developer fields reuse the same numbers.
    """
    raw: dict[int, Any] = {}
    for f in frame.fields:
        fdef = f.field_def
        if fdef is not None and fdef.is_dev:
            continue
        if fdef is None:
            continue  # expanded from a component, not a field the file holds
        num = f.def_num
        if num is not None and num not in raw:
            raw[num] = f.raw_value
    return raw


def _reason(exc: Exception) -> str:
    import fitdecode

    text = str(exc)
    if isinstance(exc, fitdecode.FitHeaderError):
        return f"not a FIT file ({text})" if "not a FIT file" not in text else text
    if isinstance(exc, fitdecode.FitCRCError):
        return f"bad CRC ({text})"
    if isinstance(exc, fitdecode.FitEOFError):
        return f"truncated ({text})"
    return text


def _field(raw: dict[int, Any], name: str, num: int) -> Any:
    """The raw value of field ``num`` (``name`` documents which one it is)."""
    return raw.get(num)


def _time(value: Any) -> dt.datetime | None:
    # Values below 0x10000000 are seconds since the device powered on (no clock
    # set); like Garmin's SDK, read them from the FIT epoch rather than drop them.
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(_FIT_EPOCH_S + value, _UTC)
    return None


def _first(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return value[0] if value else None
    return value


def _scaled(value: Any, scale: float) -> float | None:
    if isinstance(value, (int, float)):
        return value / scale
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _summary(
    data: bytes,
    file_id: dict[int, Any] | None,
    sessions: list[dict[int, Any]],
    sets: list[dict[int, Any]],
    activity: dict[int, Any] | None,
    workout_name: str | None,
) -> ActivitySummary:
    if file_id is None:
        file_type = "unknown"
        manufacturer = product = None
        serial = None
        created = None
    else:
        file_type = type_name("file", _int(_field(file_id, "type", 0))) or "unknown"
        man_raw = _int(_field(file_id, "manufacturer", 1))
        manufacturer = type_name("manufacturer", man_raw)
        prod_raw = _int(_field(file_id, "product", 2))
        if prod_raw is None:
            product = None
        elif man_raw in GARMIN_FAMILY:
            product = type_name("garmin_product", prod_raw)
        else:
            product = str(prod_raw)
        serial = _int(_field(file_id, "serial_number", 3))
        created = _time(_field(file_id, "time_created", 4))

    offset_s: int | None = None
    if activity is not None:
        stamp = _int(_field(activity, "timestamp", 253))
        local = _int(_field(activity, "local_timestamp", 5))
        if stamp is not None and local is not None and abs(local - stamp) <= _MAX_OFFSET_S:
            offset_s = local - stamp

    out_sessions: list[ActivitySession] = []
    for s in sessions:
        elapsed = _scaled(_field(s, "total_elapsed_time", 7), 1000)
        timer = _scaled(_field(s, "total_timer_time", 8), 1000)
        start = _time(_field(s, "start_time", 2))
        if start is None:
            end = _time(_field(s, "timestamp", 253))
            if end is None:
                continue  # a session with no time at all cannot be placed
            start = end - dt.timedelta(seconds=elapsed or timer or 0)
        sport = type_name("sport", _int(_field(s, "sport", 5))) or "generic"
        out_sessions.append(
            ActivitySession(
                sport=sport,
                sub_sport=type_name("sub_sport", _int(_field(s, "sub_sport", 6))),
                start_utc=start,
                utc_offset_s=offset_s,
                elapsed_s=elapsed,
                timer_s=timer,
                distance_m=_scaled(_field(s, "total_distance", 9), 100),
                avg_hr=_int(_field(s, "avg_heart_rate", 16)),
            )
        )

    out_sets: list[SetRecord] = []
    for r in sets:
        cat = _int(_first(_field(r, "category", 7)))
        out_sets.append(
            SetRecord(
                start_utc=_time(_field(r, "start_time", 6)),
                set_type=type_name("set_type", _int(_field(r, "set_type", 5))) or "active",
                repetitions=_int(_field(r, "repetitions", 3)),
                weight_kg=_scaled(_field(r, "weight", 4), 16),
                category=type_name("exercise_category", cat),
                exercise_name=_int(_first(_field(r, "category_subtype", 8))),
                duration_s=_scaled(_field(r, "duration", 0), 1000),
                wkt_step_index=_int(_field(r, "wkt_step_index", 11)),
            )
        )

    return ActivitySummary(
        sha256=hashlib.sha256(data).hexdigest(),
        file_type=file_type,
        manufacturer=manufacturer,
        product=product,
        serial_number=serial,
        time_created=created,
        sessions=tuple(out_sessions),
        workout_name=workout_name,
        sets=tuple(out_sets),
    )

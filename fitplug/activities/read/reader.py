"""FIT activity file → :class:`~fitplug.model.ActivitySummary`: the one reader.

:func:`read_activity` reads a path, bytes or a binary file object, opened once
(:mod:`fitplug.activities.files.fitfile`). Two strategies give the summary: the fast
scanner (:mod:`fitplug.activities.read.scan`) first, and fitdecode
(:func:`decode_activity`), the decider, whenever the scanner refuses a file.
Both hand field values to the same mapping (:mod:`fitplug.activities.read.mapping`),
which is the contract:

- ``file_type``: the ``file_id.type`` profile name (``str(int)`` when the
  profile has no name for it, ``"unknown"`` when the file has no ``file_id``);
- ``manufacturer``: profile name, else ``str(int)``, else ``None``;
- ``product``: the ``garmin_product`` name when the manufacturer is one the
  profile's ``garmin_product`` subfield names (garmin, dynastream,
  dynastream_oem, tacx…), else ``str(product)``;
- one :class:`ActivitySession` per ``session`` message, in file order;
  ``utc_offset_s`` = ``activity.local_timestamp − activity.timestamp`` (``None``
  when either is absent or they differ by more than a day: an unset clock);
  a time below 0x10000000 (device-relative) is read from the FIT epoch, as
  Garmin's SDK does; a session without ``start_time`` starts at its ``timestamp``
  minus its elapsed (else timer) time; a session with neither is dropped; a
  missing or invalid sport reads ``generic`` (FIT's own sport 0);
- one :class:`SetRecord` per ``set`` message; a missing or invalid
  ``set_type`` reads ``active`` (rest sets say so); ``category`` is the name
  of the first element of ``set.category``, ``exercise_name`` the first
  element of ``set.category_subtype``;
- ``workout_name``: the first ``workout`` message that names one;
- chained FIT files: the first ``file_id`` and ``activity``, every session and set;
- a field read as raw bytes (its size does not fit its base type, or its base
  type is ``byte`` or unknown) is absent (``None``), as is an invalid value;
  an array gives its first element;
- a field whose base type is not one the profile could give it (a float, a
  64-bit integer or a string where the profile has an integer: every number
  fitplug reads is an integer of at most 32 bits) is absent too;
- values are checked against sense (:mod:`fitplug.activities.read.sane`): a time
  outside the FIT epoch to 2100, a duration outside 0 to 60 days, a distance
  outside 0 to 10,000 km, an average heart rate outside 20–250, repetitions,
  weights and set durations no one does are unknown (``None``), and the
  summary's ``notes`` say which and why; a session whose start is unknown
  starts at its ``timestamp`` less its duration, or is dropped;
- every CRC is checked (natively); a file whose CRC does not match is not
  read ("bad CRC"): a flipped bit may sit in a time or a distance, and the
  watch or the export still holds the intact file to copy again.

Names come from garmin-fit-sdk's profile (one vocabulary for every reader);
values are read raw from fitdecode so its own, older profile cannot rename them.
"""

from __future__ import annotations

import hashlib
import io
import struct
import time
import warnings
from typing import Any, Final

from fitplug.activities.files.fitfile import (
    MAX_FIT_BYTES,
    FitData,
    Source,
    crc16,
    looks_like_fit,
    open_fit,
)
from fitplug.activities.read.mapping import RawMessages
from fitplug.activities.read.outcome import Crc
from fitplug.activities.read.scan import ScanError, scan
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary

__all__ = [
    "MAX_FIT_BYTES",
    "Crc",
    "DecodeDeferred",
    "ReadError",
    "Source",
    "decode_activity",
    "read_activity",
    "set_sync_budget",
]


#: the most time fitdecode may spend on one file (it reads ~0.1–1 MB/s; the fast
#: scanner hands it only what it cannot read itself): beyond it, the file is
#: reported as too slow to decode, not read for minutes
DECODE_BUDGET_S: Final = 30.0
#: the most time fitdecode may spend in one process over a whole sync (files past it are put off to the
#: next sync, not remembered as unreadable): an archive of slow files costs minutes, not hours
SYNC_DECODE_BUDGET_S = 120.0

#: what is left of this process's sync budget (:func:`set_sync_budget` starts it again)
_left = [SYNC_DECODE_BUDGET_S]


def set_sync_budget(seconds: float | None = None) -> None:
    """Start this process's sync-wide decode budget again (each sync, and each of its worker processes)."""
    _left[0] = SYNC_DECODE_BUDGET_S if seconds is None else seconds


class DecodeDeferred(ActivityError):
    """fitdecode would have needed more than what is left of the sync's budget: read it next time."""


class ReadError(ActivityError):
    """An :class:`ActivityError` for data that was read: ``sha256`` is the digest of those bytes."""

    def __init__(self, path: str | None, reason: str, offset: int | None, sha256: str | None) -> None:
        super().__init__(path, reason, offset)
        self.sha256 = sha256


def read_activity(source: Source, *, name: str | None = None, crc: Crc = Crc.CHECK) -> ActivitySummary:
    """Read one FIT file (a path, its bytes, or a binary file object) into a summary.

    ``name`` labels errors when ``source`` is not a path. ``crc``: whether the
    fast scanner checks the CRCs (fitdecode, which decides every file the
    scanner refuses, always does). Raises :class:`ActivityError` with the
    reason and byte offset for anything that is not a readable FIT file (a
    :class:`ReadError`, with the digest of what was read, once bytes were read).
    """
    with open_fit(source, name) as fit:
        try:
            return _scan(fit, crc)
        except ScanError:
            pass  # fitdecode is the decider for anything the scanner refuses
        data = fit.whole()
    try:
        return decode_activity(data, name=fit.label, shared=True)
    except DecodeDeferred:
        raise
    except ActivityError as exc:
        raise ReadError(exc.path, exc.reason, exc.offset, hashlib.sha256(data).hexdigest()) from exc


def _scan(fit: FitData, crc: Crc) -> ActivitySummary:
    sha256 = fit.sha256() if fit.mm is not None else None  # a map is hashed from the file, in bounded reads
    return scan(fit.buf, fit.size, verify=crc is Crc.CHECK, mm=fit.mm, sha256=sha256)


def decode_activity(
    data: bytes, *, name: str | None = None, budget_s: float = DECODE_BUDGET_S, shared: bool = False
) -> ActivitySummary:
    """Decode FIT ``data`` with fitdecode (CRC checked) into a summary, in at most ``budget_s`` seconds.

    ``shared``: the time also comes out of this process's sync budget; when that runs out first,
    :class:`DecodeDeferred` says the file is put off to the next sync.
    """
    started = time.monotonic()
    try:
        return _decode(data, name, budget_s, shared)
    finally:
        if shared:
            _left[0] = max(0.0, _left[0] - (time.monotonic() - started))


def _decode(data: bytes, name: str | None, budget_s: float, shared: bool) -> ActivitySummary:
    import fitdecode

    cut_by_sync = shared and _left[0] < budget_s
    if shared:
        budget_s = min(budget_s, _left[0])
    deadline = time.monotonic() + budget_s
    frames = 0

    if not data:
        raise ActivityError(name, "empty file (0 bytes)", 0)
    _check_frames(data, name)
    messages = RawMessages()
    seen_any = False
    byte_type = fitdecode.types.BASE_TYPE_BYTE.identifier
    try:
        with warnings.catch_warnings():
            # fitdecode warns about odd field sizes it then reads anyway; a bad CRC raises
            warnings.simplefilter("ignore")
            reader = fitdecode.FitReader(
                io.BytesIO(data),
                check_crc=fitdecode.CrcCheck.RAISE,
                keep_raw_chunks=False,
                # no processor: fitplug reads raw values, and fitdecode's own turns a
                # date_time typed float64 = 1e300 into an OverflowError
                processor=None,
            )
            with reader:
                for frame in reader:
                    frames += 1
                    if not frames & 0x3FF and time.monotonic() > deadline:
                        if cut_by_sync:
                            raise DecodeDeferred(
                                name, "slow to decode, and this sync's decoding time is used up; read next sync"
                            )
                        raise ActivityError(
                            name,
                            f"too slow to decode: {frames} messages and not at the end after {budget_s:g} s; refused",
                        )
                    if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                        continue
                    num = frame.global_mesg_num
                    if num in (0, 18):  # file_id, session
                        seen_any = True
                    if messages.wants(num):
                        messages.add(num, _raw_fields(frame, byte_type))
    except fitdecode.FitError as exc:
        raise ActivityError(name, _reason(exc), getattr(exc, "offset", None)) from exc
    except AssertionError as exc:
        # fitdecode asserts that a message ends inside the data; hostile files break that
        raise ActivityError(name, "malformed FIT data: a message runs past the end of the data") from exc
    except (ValueError, KeyError, IndexError, TypeError, struct.error) as exc:
        raise ActivityError(name, f"malformed FIT data: {exc}") from exc

    if not seen_any:
        raise ActivityError(name, "no FIT messages (not an activity file)")
    return messages.summary(hashlib.sha256(data).hexdigest())


def _check_frames(data: bytes, name: str | None) -> None:
    """Refuse a truncated file or a bad file CRC before fitdecode walks the messages.

    fitdecode checks the CRC only at the end, after decoding every message: a
    file of millions of messages with a bad CRC would keep it busy for many
    minutes. Anything else odd is left to fitdecode, which says what it is.
    """
    pos, n = 0, len(data)
    while looks_like_fit(data, pos):
        data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + data[pos] + data_size
        if end + 2 > n:
            raise ActivityError(name, f"truncated (the header announces {data_size} data bytes; the file "
                                f"ends {end + 2 - n} bytes short)", n)  # fmt: skip
        stored = data[end] | data[end + 1] << 8
        if stored != crc16(data, pos, end):
            raise ActivityError(name, f"bad CRC (file CRC 0x{stored:04X} does not match the data)", end)
        pos = end + 2


def _raw_fields(frame: Any, byte_type: int) -> dict[int, tuple[int, Any]]:
    """``(base type, raw value)`` by field number: profile fields only, not developer or expanded ones.

    Numbers, not names: fitdecode names a field after the subfield it resolves
    (``garmin_product``), and developer fields reuse the same numbers. The
    first element of an array; ``None`` for raw bytes (fitdecode's reading of
    a field whose size does not fit its base type), as the fast reader does.
    The mapping drops a value whose base type is not the profile's.
    """
    raw: dict[int, tuple[int, Any]] = {}
    for f in frame.fields:
        fdef = f.field_def
        if fdef is None or fdef.is_dev:
            continue  # expanded from a component, or a developer field
        num = f.def_num
        if num is None or num in raw:
            continue
        value = f.raw_value
        base = fdef.base_type.identifier
        if base == byte_type or isinstance(value, (bytes, bytearray)):
            value = None
        elif isinstance(value, (tuple, list)):
            value = value[0] if value else None
        raw[num] = (base, value)
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

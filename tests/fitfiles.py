"""Build FIT files at test time.

Two ways, both driven by garmin-fit-sdk's ``Profile``:

- :func:`make_activity` writes a whole activity with the SDK ``Encoder`` (what
  a well-behaved device would write): sessions, second-by-second records,
  strength sets, a workout name, developer fields, redefined local types.
- :class:`FitBuilder` writes records byte by byte, for layouts the Encoder
  never produces: big-endian definitions, compressed-timestamp headers, a
  12-byte header or a header CRC of 0, local types redefined on purpose.

:func:`crc16`, :func:`with_header`, :func:`fix_crc` and :func:`chain` patch or
combine finished files. Values for ``make_activity`` are physical values (the
Encoder applies scales); values for ``FitBuilder.data`` are raw integers.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from garmin_fit_sdk import Encoder, Profile
from garmin_fit_sdk import fit as sdk_fit

from fitplug.times import FIT_EPOCH

T0 = dt.datetime(2026, 3, 1, 7, 0, tzinfo=dt.UTC)

MESG_NUM: dict[str, int] = {m["name"]: int(n) for n, m in Profile["messages"].items()}

_CRC_TABLE = [
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
]  # fmt: skip


def crc16(data: bytes | bytearray, crc: int = 0) -> int:
    """FIT CRC, nibble by nibble as the FIT SDK documents it (slow, independent of fitscan)."""
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def fit_timestamp(when: dt.datetime) -> int:
    """Seconds since the FIT epoch (1989-12-31 UTC)."""
    return int((when - FIT_EPOCH).total_seconds())


def fit_file(body: bytes, *, header_size: int = 14, header_crc: bool = True) -> bytes:
    """Wrap record bytes in a FIT header and a file CRC."""
    header = bytearray(struct.pack("<BBHI4s", header_size, 0x20, 21218 // 10, len(body), b".FIT"))
    if header_size == 14:
        header += struct.pack("<H", crc16(header) if header_crc else 0)
    data = bytes(header) + body
    return data + struct.pack("<H", crc16(data))


def with_header(data: bytes, *, header_size: int = 14, header_crc: bool = True) -> bytes:
    """The same single FIT file with a 12- or 14-byte header (CRC'd or 0x0000)."""
    old = data[0]
    return fit_file(data[old:-2], header_size=header_size, header_crc=header_crc)


def fix_crc(data: bytes | bytearray) -> bytes:
    """Recompute the file CRC of a single FIT file after its bytes were patched."""
    body = bytes(data[:-2])
    return body + struct.pack("<H", crc16(body))


def chain(*files: bytes) -> bytes:
    """Several FIT files back to back, as chained FIT files are stored."""
    return b"".join(files)


# --- whole activities through the SDK Encoder -------------------------------------


def session(
    sport: str = "running",
    sub_sport: str | None = "generic",
    start: dt.datetime = T0,
    elapsed_s: float = 1800.0,
    timer_s: float | None = None,
    distance_m: float | None = 5000.0,
    avg_hr: int | None = 150,
    **fields: Any,
) -> dict[str, Any]:
    """A ``session`` message (physical values, as the Encoder takes them)."""
    values: dict[str, Any] = {
        "timestamp": start + dt.timedelta(seconds=elapsed_s),
        "start_time": start,
        "sport": sport,
        "sub_sport": sub_sport,
        "total_elapsed_time": elapsed_s,
        "total_timer_time": elapsed_s if timer_s is None else timer_s,
        "total_distance": distance_m,
        "avg_heart_rate": avg_hr,
        "event": "lap",
        "event_type": "stop",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def strength_set(
    start: dt.datetime = T0,
    set_type: str = "active",
    repetitions: int | None = 12,
    weight_kg: float | None = 20.0,
    category: str | None = "hip_raise",
    exercise_name: int | None = 0,
    duration_s: float | None = 45.0,
    wkt_step_index: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A ``set`` message of a strength activity."""
    values: dict[str, Any] = {
        "timestamp": start + dt.timedelta(seconds=duration_s or 0),
        "start_time": start,
        "set_type": set_type,
        "repetitions": repetitions,
        "weight": weight_kg,
        "category": [category] if category is not None else None,
        "category_subtype": [exercise_name] if exercise_name is not None else None,
        "duration": duration_s,
        "wkt_step_index": wkt_step_index,
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


#: record fields beside timestamp/heart_rate/distance, combined to make layouts
_RECORD_EXTRAS = ("cadence", "enhanced_speed", "enhanced_altitude", "power", "temperature")


def _record(i: int, start: dt.datetime, layout: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "timestamp": start + dt.timedelta(seconds=i),
        "heart_rate": 120 + i % 50,
        "distance": i * 2.8,
    }
    extra: dict[str, Any] = {
        "cadence": 85 + i % 7,
        "enhanced_speed": 2.8 + (i % 10) / 100,
        "enhanced_altitude": 100.0 + (i % 30),
        "power": 250 + i % 40,
        "temperature": 18,
    }
    if layout == 0:
        chosen = _RECORD_EXTRAS[:4]
    else:  # layout k: the extras picked by the bits of k (31 distinct layouts)
        chosen = tuple(f for j, f in enumerate(_RECORD_EXTRAS) if layout >> j & 1)
    values.update({k: extra[k] for k in chosen})
    return values


def make_activity(
    *,
    sessions: Sequence[Mapping[str, Any]] | None = None,
    records: int = 0,
    sets: Sequence[Mapping[str, Any]] = (),
    workout_name: str | None = None,
    file_type: str = "activity",
    manufacturer: str | int = "garmin",
    product: int = 3111,
    serial_number: int | None = 3_900_000_001,
    time_created: dt.datetime | None = T0,
    utc_offset_s: int | None = 3600,
    developer_fields: bool = False,
    record_layouts: int = 1,
    extra_messages: Iterable[tuple[str, Mapping[str, Any]]] = (),
) -> bytes:
    """A FIT activity file written by the SDK Encoder.

    ``sessions`` defaults to one 30-minute run; ``records`` second-by-second
    ``record`` messages start at the first session's start. With
    ``record_layouts`` > 1 the records come in blocks of different field sets;
    more than about 12 layouts makes the Encoder reuse (redefine) local types
    mid-file. ``developer_fields`` adds a developer field to every record.
    """
    if sessions is None:
        sessions = [session()]
    start = sessions[0]["start_time"] if sessions else T0
    descriptions = {}
    if developer_fields:
        descriptions[0] = {
            "developer_data_id_mesg": {"developer_data_index": 0, "application_version": 1},
            "field_description_mesg": {
                "developer_data_index": 0,
                "field_definition_number": 0,
                "fit_base_type_id": 0x84,  # uint16
                "field_name": "Doughnuts Earned",
                "units": "doughnuts",
            },
        }
    enc = Encoder(descriptions or None)
    file_id: dict[str, Any] = {
        "type": file_type,
        "manufacturer": manufacturer,
        "product": product,
        "serial_number": serial_number,
        "time_created": time_created,
    }
    enc.on_mesg(MESG_NUM["file_id"], {k: v for k, v in file_id.items() if v is not None})
    if developer_fields:
        enc.on_mesg(MESG_NUM["developer_data_id"], descriptions[0]["developer_data_id_mesg"])
        enc.on_mesg(MESG_NUM["field_description"], descriptions[0]["field_description_mesg"])
    if workout_name is not None:
        enc.on_mesg(MESG_NUM["workout"], {"wkt_name": workout_name, "sport": "training"})
    enc.on_mesg(MESG_NUM["event"], {"timestamp": start, "event": "timer", "event_type": "start"})
    block = max(1, -(-records // max(1, record_layouts)))
    for i in range(records):
        rec = _record(i, start, 0 if record_layouts <= 1 else i // block + 1)
        if developer_fields:
            rec["developer_fields"] = {0: i % 7}
        enc.on_mesg(MESG_NUM["record"], rec)
    for s in sets:
        enc.on_mesg(MESG_NUM["set"], dict(s))
    for name, values in extra_messages:
        enc.on_mesg(MESG_NUM[name], dict(values))
    end = start
    for s in sessions:
        enc.on_mesg(MESG_NUM["session"], dict(s))
        end = max(end, s.get("timestamp", start))
    activity: dict[str, Any] = {
        "timestamp": end,
        "num_sessions": len(sessions),
        "type": "manual",
        "event": "activity",
        "event_type": "stop",
    }
    if utc_offset_s is not None:
        activity["local_timestamp"] = fit_timestamp(end) + utc_offset_s
    enc.on_mesg(MESG_NUM["activity"], activity)
    return bytes(enc.close())


# --- byte by byte ----------------------------------------------------------------


class FitBuilder:
    """Write FIT records by hand, with raw values, for layouts the Encoder never writes.

    >>> b = FitBuilder()
    >>> b.define(0, "file_id", ["type", "manufacturer"])
    >>> b.data(0, {"type": 4, "manufacturer": 1})
    >>> data = b.build()
    """

    def __init__(self) -> None:
        self.body = bytearray()
        self._layouts: dict[int, tuple[str, list[tuple[str, int, int, int]], bool, int]] = {}

    def define(
        self,
        local: int,
        mesg: str,
        fields: Sequence[str | tuple[str, int]],
        *,
        big_endian: bool = False,
        dev_fields: Sequence[tuple[int, int, int]] = (),
        base_types: Mapping[str, int] | None = None,
    ) -> None:
        """Define ``local`` as ``mesg`` with ``fields`` (name, or (name, array length)).

        ``dev_fields`` are (field number, size, developer data index) triples;
        ``base_types`` gives some fields a base type other than the profile's.
        """
        profile = Profile["messages"][MESG_NUM[mesg]]["fields"]
        by_name = {f["name"]: f for f in profile.values()}
        layout = []
        for item in fields:
            name, count = (item, 1) if isinstance(item, str) else item
            f = by_name[name]
            bt = (base_types or {}).get(name, sdk_fit.FIELD_TYPE_TO_BASE_TYPE[f["base_type"]]) & 0x1F
            bdef = sdk_fit.BASE_TYPE_DEFINITIONS[bt]
            size = count if bdef["type_code"] == "s" else bdef["size"] * count
            layout.append((name, f["num"], size, bt | bdef["endian_flag"]))
        head = 0x40 | local | (0x20 if dev_fields else 0)
        self.body += struct.pack(
            ">BBBHB" if big_endian else "<BBBHB",
            head, 0, 1 if big_endian else 0, MESG_NUM[mesg], len(layout),
        )  # fmt: skip
        for _, num, size, bt in layout:
            self.body += bytes((num, size, bt))
        dev_size = 0
        if dev_fields:
            self.body.append(len(dev_fields))
            for num, size, index in dev_fields:
                self.body += bytes((num, size, index))
                dev_size += size
        self._layouts[local] = (mesg, layout, big_endian, dev_size)

    def data(
        self,
        local: int,
        values: Mapping[str, Any] | None = None,
        *,
        time_offset: int | None = None,
        dev: bytes | None = None,
    ) -> None:
        """A data message of ``local``; absent fields get their invalid value.

        ``time_offset`` (0-31) writes a compressed-timestamp header instead
        (local types 0-3 only). ``dev`` gives the developer field bytes.
        """
        values = values or {}
        _, layout, big, dev_size = self._layouts[local]
        if time_offset is None:
            self.body.append(local)
        else:
            assert local < 4 and 0 <= time_offset < 32
            self.body.append(0x80 | local << 5 | time_offset)
        end = ">" if big else "<"
        for name, _, size, bt in layout:
            bdef = sdk_fit.BASE_TYPE_DEFINITIONS[bt & 0x1F]
            value = values.get(name)
            if bdef["type_code"] == "s":
                raw = value.encode() if isinstance(value, str) else (value or b"")
                self.body += raw[: size - 1].ljust(size, b"\0")
                continue
            items = list(value) if isinstance(value, (list, tuple)) else [value]
            count = size // bdef["size"]
            items = (items + [None] * count)[:count]
            for item in items:
                if item is None:  # invalid: all ones, or 0 for the z types
                    self.body += bdef["invalid"].to_bytes(bdef["size"], "little")
                else:
                    self.body += struct.pack(end + bdef["type_code"], item)
        self.body += (dev if dev is not None else b"\xff" * dev_size)[:dev_size].ljust(dev_size, b"\0")

    def raw(self, data: bytes) -> None:
        """Append bytes as they are."""
        self.body += data

    def build(self, *, header_size: int = 14, header_crc: bool = True) -> bytes:
        return fit_file(bytes(self.body), header_size=header_size, header_crc=header_crc)

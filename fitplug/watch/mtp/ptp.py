"""PTP/MTP on the wire: containers and the datasets fitplug needs (PIMA 15740 / MTP 1.1, USB still-image class).

Every transaction is a command container from the initiator (fitplug), an
optional data phase in either direction, and a response container from the
responder (the watch). A container is little-endian::

    length u32 (header included) | type u16 | code u16 | transaction id u32 | payload

Command and response payloads are up to five ``u32`` parameters. Strings are
a ``u8`` count of UTF-16LE code units (terminating NUL included, 0 for empty)
then the units; arrays are a ``u32`` count then the elements.

Pure bytes in, bytes out: nothing here does I/O (the USB part is :mod:`.usb`,
the transactions :mod:`.session`).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

HEADER = struct.Struct("<IHHI")
HEADER_SIZE = HEADER.size  # 12


class Kind(enum.IntEnum):
    COMMAND = 1
    DATA = 2
    RESPONSE = 3
    EVENT = 4


class Op(enum.IntEnum):
    GET_DEVICE_INFO = 0x1001
    OPEN_SESSION = 0x1002
    CLOSE_SESSION = 0x1003
    GET_STORAGE_IDS = 0x1004
    GET_STORAGE_INFO = 0x1005
    GET_OBJECT_HANDLES = 0x1007
    GET_OBJECT_INFO = 0x1008
    GET_OBJECT = 0x1009
    DELETE_OBJECT = 0x100B
    SEND_OBJECT_INFO = 0x100C
    SEND_OBJECT = 0x100D


class Rc(enum.IntEnum):
    OK = 0x2001
    GENERAL_ERROR = 0x2002
    SESSION_NOT_OPEN = 0x2003
    INVALID_TRANSACTION_ID = 0x2004
    OPERATION_NOT_SUPPORTED = 0x2005
    PARAMETER_NOT_SUPPORTED = 0x2006
    INCOMPLETE_TRANSFER = 0x2007
    INVALID_STORAGE_ID = 0x2008
    INVALID_OBJECT_HANDLE = 0x2009
    STORE_FULL = 0x200C
    STORE_READ_ONLY = 0x200E
    ACCESS_DENIED = 0x200F
    DEVICE_BUSY = 0x2019
    INVALID_PARENT_OBJECT = 0x201A
    INVALID_PARAMETER = 0x201D
    SESSION_ALREADY_OPEN = 0x201E
    TRANSACTION_CANCELLED = 0x201F


#: ObjectFormatCode: a folder ("association") and an undefined file
FORMAT_FOLDER = 0x3001
FORMAT_UNDEFINED = 0x3000
#: AssociationType "generic folder"
ASSOCIATION_FOLDER = 0x0001
#: GetObjectHandles: every storage / the storage's root / any format
ALL = 0xFFFFFFFF
ROOT = 0xFFFFFFFF


class ProtocolError(Exception):
    """Bytes that are not what the protocol says (a short or malformed container or dataset)."""


@dataclass(frozen=True, slots=True)
class Container:
    kind: Kind
    code: int
    transaction: int
    payload: bytes = b""

    def encode(self) -> bytes:
        return HEADER.pack(HEADER_SIZE + len(self.payload), self.kind, self.code, self.transaction) + self.payload

    @property
    def params(self) -> tuple[int, ...]:
        n = len(self.payload) // 4
        return struct.unpack_from(f"<{n}I", self.payload) if n else ()


def command(op: int, transaction: int, *params: int) -> Container:
    if len(params) > 5:
        raise ValueError("a PTP command has at most five parameters")
    return Container(Kind.COMMAND, op, transaction, struct.pack(f"<{len(params)}I", *params))


def response(rc: int, transaction: int, *params: int) -> Container:
    return Container(Kind.RESPONSE, rc, transaction, struct.pack(f"<{len(params)}I", *params))


def data(op: int, transaction: int, payload: bytes) -> Container:
    return Container(Kind.DATA, op, transaction, payload)


def parse_header(raw: bytes) -> tuple[int, Kind, int, int]:
    """(total length, kind, code, transaction) of a container's first 12 bytes."""
    if len(raw) < HEADER_SIZE:
        raise ProtocolError(f"a container header is {HEADER_SIZE} bytes, got {len(raw)}")
    length, kind, code, transaction = HEADER.unpack_from(raw)
    if length < HEADER_SIZE:
        raise ProtocolError(f"container length {length} is shorter than its header")
    try:
        return length, Kind(kind), code, transaction
    except ValueError:
        raise ProtocolError(f"unknown container type {kind}") from None


def parse(raw: bytes) -> Container:
    """A whole container; :class:`ProtocolError` when its length field disagrees with the bytes."""
    length, kind, code, transaction = parse_header(raw)
    if length != len(raw):
        raise ProtocolError(f"container says {length} bytes, {len(raw)} arrived")
    return Container(kind, code, transaction, bytes(raw[HEADER_SIZE:]))


# --- datasets -----------------------------------------------------------------------------


class Reader:
    """Reads PTP datatypes off a dataset, refusing to run past its end."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0

    def _take(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.raw):
            raise ProtocolError("dataset ends early")
        (value,) = struct.unpack_from(fmt, self.raw, self.pos)
        self.pos += size
        return int(value)

    def u8(self) -> int:
        return self._take("<B")

    def u16(self) -> int:
        return self._take("<H")

    def u32(self) -> int:
        return self._take("<I")

    def u64(self) -> int:
        return self._take("<Q")

    def string(self) -> str:
        units = self.u8()
        if units == 0:
            return ""
        end = self.pos + 2 * units
        if end > len(self.raw):
            raise ProtocolError("string runs past the dataset")
        text = self.raw[self.pos : end].decode("utf-16-le", errors="replace")
        self.pos = end
        return text.rstrip("\x00")

    def u16_array(self) -> list[int]:
        count = self.u32()
        if self.pos + 2 * count > len(self.raw):
            raise ProtocolError("array runs past the dataset")
        values = list(struct.unpack_from(f"<{count}H", self.raw, self.pos))
        self.pos += 2 * count
        return values

    def u32_array(self) -> list[int]:
        count = self.u32()
        if self.pos + 4 * count > len(self.raw):
            raise ProtocolError("array runs past the dataset")
        values = list(struct.unpack_from(f"<{count}I", self.raw, self.pos))
        self.pos += 4 * count
        return values


def pack_string(text: str) -> bytes:
    if not text:
        return b"\x00"
    units = (text + "\x00").encode("utf-16-le")
    if len(units) // 2 > 255:
        raise ValueError("a PTP string holds at most 254 characters")
    return bytes([len(units) // 2]) + units


def pack_u32_array(values: list[int]) -> bytes:
    return struct.pack(f"<I{len(values)}I", len(values), *values)


@dataclass(frozen=True, slots=True)
class StorageInfo:
    storage_type: int
    filesystem_type: int
    access: int
    max_capacity: int
    free_bytes: int
    free_objects: int
    description: str
    volume: str

    @classmethod
    def decode(cls, raw: bytes) -> StorageInfo:
        r = Reader(raw)
        return cls(r.u16(), r.u16(), r.u16(), r.u64(), r.u64(), r.u32(), r.string(), r.string())

    def encode(self) -> bytes:
        return (
            struct.pack(
                "<HHHQQI",
                self.storage_type,
                self.filesystem_type,
                self.access,
                self.max_capacity,
                self.free_bytes,
                self.free_objects,
            )
            + pack_string(self.description)
            + pack_string(self.volume)
        )


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    storage: int
    format: int
    size: int
    parent: int
    name: str
    association_type: int = 0
    modified: str = ""

    @property
    def is_folder(self) -> bool:
        return self.format == FORMAT_FOLDER

    @classmethod
    def decode(cls, raw: bytes) -> ObjectInfo:
        r = Reader(raw)
        storage, fmt, _protection, size = r.u32(), r.u16(), r.u16(), r.u32()
        r.u16(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()  # thumbnail and image fields
        parent, association, _desc, _seq = r.u32(), r.u16(), r.u32(), r.u32()
        name = r.string()
        _captured, modified = r.string(), r.string()
        return cls(storage, fmt, size, parent, name, association, modified)

    def encode(self) -> bytes:
        return (
            struct.pack("<IHHI", self.storage, self.format, 0, min(self.size, 0xFFFFFFFF))
            + struct.pack("<HIIIIII", 0, 0, 0, 0, 0, 0, 0)
            + struct.pack("<IHII", self.parent, self.association_type, 0, 0)
            + pack_string(self.name)
            + pack_string("")
            + pack_string(self.modified)
            + pack_string("")
        )


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    manufacturer: str
    model: str
    serial: str
    operations: tuple[int, ...]

    @classmethod
    def decode(cls, raw: bytes) -> DeviceInfo:
        r = Reader(raw)
        r.u16(), r.u32(), r.u16()  # standard version, vendor extension id and version
        r.string()  # vendor extension description
        r.u16()  # functional mode
        operations = tuple(r.u16_array())
        for _ in range(4):  # events, device properties, capture formats, playback formats
            r.u16_array()
        manufacturer, model, _version, serial = r.string(), r.string(), r.string(), r.string()
        return cls(manufacturer, model, serial, operations)

    def encode(self) -> bytes:
        def arr16(values: tuple[int, ...] | list[int]) -> bytes:
            return struct.pack(f"<I{len(values)}H", len(values), *values)

        return (
            struct.pack("<HIH", 100, 6, 100)
            + pack_string("microsoft.com: 1.0;")
            + struct.pack("<H", 0)
            + arr16(self.operations)
            + arr16([])
            + arr16([])
            + arr16([])
            + arr16([FORMAT_UNDEFINED])
            + pack_string(self.manufacturer)
            + pack_string(self.model)
            + pack_string("1.0")
            + pack_string(self.serial)
        )

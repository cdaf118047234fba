"""A nested zip's members, found while it is still being inflated: from their local headers.

A zip's central directory, the listing that says what the zip holds, is at
its end; each member's bytes follow a local header that says its name, sizes
and CRC-32. :class:`LocalHeaders` is fed the inflated zip as it is spooled
and tells each member as soon as its bytes are all out, so a sync's workers
can read it while the rest is inflated. What it tells is a guess until the
central directory is read: a member is only taken for one the directory
lists with the very same :data:`Entry` (where it starts, its sizes, CRC-32,
method and flags), read from the very same bytes; anything else is read
again, or not at all. The walk stops, for the rest of the zip, at anything
it cannot be sure of: a member whose sizes come after its bytes (flag bit 3),
zip64 sizes, a name that does not decode, or an unknown record.
"""

from __future__ import annotations

import zipfile
from typing import Final

__all__ = ["Entry", "LocalHeaders", "Seen", "confirmed", "entry", "info"]

#: where a member's local header starts, its compressed and stated sizes, CRC-32, method and flag bits
Entry = tuple[int, int, int, int, int, int]
#: a member as its local header says it: its name (as written), :data:`Entry`, and the header's length
Seen = tuple[str, Entry, int]

_HEADER: Final = 30
#: flag bits after which the walk stops: encrypted, sizes after the data, compressed patch, strong encryption
_STOP_FLAGS: Final = 0x1 | 0x8 | 0x20 | 0x40


def entry(info: zipfile.ZipInfo) -> Entry:
    """The :data:`Entry` of a member as a zip's central directory lists it."""
    return (info.header_offset, info.compress_size, info.file_size, info.CRC, info.compress_type, info.flag_bits)


def info(raw: str, entry: Entry) -> zipfile.ZipInfo:
    """A :class:`zipfile.ZipInfo` of a member as its local header says it (name ``raw``, ``entry``)."""
    zi = zipfile.ZipInfo(raw)
    zi.header_offset, zi.compress_size, zi.file_size, zi.CRC, zi.compress_type, zi.flag_bits = entry
    return zi


def confirmed(listed: zipfile.ZipInfo, seen: Seen | None) -> Entry | None:
    """The member's :data:`Entry` when the central directory lists it (``listed``, the entry a reader by name
    gets) as its local header said it (``seen``): the same name as written, start, sizes, CRC-32, method
    and flags, its bytes ending before the next entry starts (zipfile's test, where it makes it). A
    reading made ahead from the header then read the bytes a reading by name reads, the same way."""
    if seen is None:
        return None
    raw, said, header = seen
    end = getattr(listed, "_end_offset", None)
    if raw != listed.orig_filename or said != entry(listed):
        return None
    if end is not None and listed.header_offset + header + listed.compress_size > end:
        return None
    return said


class LocalHeaders:
    """Fed a zip's bytes in order (:meth:`feed`), says which members are out whole (name, :data:`Entry`)."""

    def __init__(self) -> None:
        self._pos = 0  # where in the zip the bytes being fed start
        self._pending = bytearray()  # a record's bytes so far, from ``_start``
        self._start = 0
        self._skip = 0  # bytes of ``_member`` still to come
        self._member: Seen | None = None
        self._seen: dict[str, Seen] = {}
        self._twice: set[str] = set()
        #: the walk has stopped: it says nothing more of this zip
        self.stopped = False

    @property
    def seen(self) -> dict[str, Seen]:
        """Every member told so far, by name as zipfile keeps it (a name told twice: neither)."""
        return self._seen

    def _tell(self, member: Seen, out: list[Seen]) -> None:
        name = zipfile.ZipInfo(member[0]).filename
        if name in self._twice:
            return
        if name in self._seen:  # which one a reader by name gets is the listing's to say
            self._twice.add(name)
            del self._seen[name]
            return
        self._seen[name] = member
        out.append(member)

    def feed(self, data: bytes) -> list[Seen]:
        """Members whose last byte is in ``data`` (or before), in the zip's order."""
        out: list[Seen] = []
        view = memoryview(data)
        while not self.stopped:
            if self._skip:
                if not view:
                    break
                n = min(self._skip, len(view))
                self._skip -= n
                self._pos += n
                view = view[n:]
                if not self._skip and self._member is not None:
                    self._tell(self._member, out)
                continue
            if not self._pending:
                self._start = self._pos
            need = self._need()
            if self.stopped:
                break
            if need:  # only a header's bytes are copied, never a member's
                if not view:
                    break
                take = view[:need]
                self._pending += take
                self._pos += len(take)
                view = view[len(take) :]
                continue
            member = self._header()
            if member is None:
                break
            self._pending = bytearray()
            self._skip, self._member = member[1][1], member
            if not self._skip:
                self._tell(member, out)
        return out

    def _need(self) -> int:
        """How many more bytes the local header being read needs (0: it is whole, or the walk stopped)."""
        p = self._pending
        k = min(4, len(p))
        if p[:k] != b"PK\x03\x04"[:k]:
            self.stopped = True  # the central directory, or a record this walk does not know
            return 0
        if len(p) < _HEADER:
            return _HEADER - len(p)
        return _HEADER + int.from_bytes(p[26:28], "little") + int.from_bytes(p[28:30], "little") - len(p)

    def _header(self) -> Seen | None:
        """The member whose local header ``_pending`` holds whole; ``None`` when the walk stops at it."""
        p = self._pending
        flags = int.from_bytes(p[6:8], "little")
        method = int.from_bytes(p[8:10], "little")
        crc = int.from_bytes(p[14:18], "little")
        csize = int.from_bytes(p[18:22], "little")
        usize = int.from_bytes(p[22:26], "little")
        n = int.from_bytes(p[26:28], "little")
        extra = int.from_bytes(p[28:30], "little")
        if flags & _STOP_FLAGS or 0xFFFFFFFF in (csize, usize):
            self.stopped = True
            return None
        try:
            name = bytes(p[_HEADER : _HEADER + n]).decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            self.stopped = True
            return None
        return name, (self._start, csize, usize, crc, method, flags), _HEADER + n + extra

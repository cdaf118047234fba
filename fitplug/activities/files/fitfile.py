"""Opening a FIT file once: the size cap, the header sniff, the buffer and the FIT CRC-16.

:func:`open_fit` is the only place a reader opens an activity: a path, its
bytes or a binary file object become one :class:`FitData` — the bytes, or for
a big file a read-only memory map walked in windows — so every reading
strategy gets the same buffer and never opens the file itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, TypeAlias, Union

from fitplug.errors import ActivityError

#: what the reader accepts
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
#: a FIT file as bytes, or memory-mapped
Buffer: TypeAlias = "bytes | mmap.mmap"

#: a FIT activity larger than this is refused unread (real ones are a few MB)
MAX_FIT_BYTES: Final = 128 * 1024 * 1024
#: files up to this size are read whole; bigger ones are memory-mapped and
#: walked in windows whose pages are handed back as the reader passes them
READ_WHOLE_MAX: Final = 4 << 20
#: CRC and page-release window of a mapped file
WINDOW: Final = 4 << 20


def looks_like_fit(head: bytes | mmap.mmap, pos: int = 0) -> bool:
    """A FIT file header starts at ``pos``: a header size of 12 or 14, then ``.FIT``."""
    return len(head) - pos >= 12 and head[pos] in (12, 14) and head[pos + 8 : pos + 12] == b".FIT"


@dataclass(slots=True)
class FitData:
    """One opened FIT file: ``buf[:size]`` (bytes, or ``mm`` when mapped) and its label."""

    buf: Buffer
    size: int
    label: str | None
    mm: mmap.mmap | None = None
    file: BinaryIO | None = None

    def sha256(self) -> str:
        if self.mm is None or self.file is None:
            return hashlib.sha256(self.buf).hexdigest()
        self.file.seek(0)
        return hashlib.file_digest(self.file, "sha256").hexdigest()  # type: ignore[arg-type]  # a real file: bounded buffer, not the map

    def whole(self) -> bytes:
        """All of it as bytes (a mapped file is read into memory)."""
        if self.mm is None or self.file is None:
            return self.buf if isinstance(self.buf, bytes) else bytes(self.buf)
        self.file.seek(0)
        return self.file.read()  # one buffer (unbuffered FileIO)


@contextlib.contextmanager
def open_fit(source: Source, name: str | None = None) -> Iterator[FitData]:
    """Open ``source`` for reading; :class:`ActivityError` when it cannot be or is too big.

    A path whose first bytes are not a FIT header gives those bytes only: the
    reader says why from them, and the rest stays unread however big it is.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        yield FitData(data, len(data), name)
        return
    if not isinstance(source, (str, os.PathLike)):
        try:
            data = bytes(source.read())
        except OSError as exc:
            raise ActivityError(name, f"cannot read: {exc.strerror or exc}") from exc
        label = name or getattr(source, "name", None)
        yield FitData(data, len(data), str(label) if isinstance(label, (str, os.PathLike)) else None)
        return
    path = Path(source)
    label = name or str(path)
    try:
        f = path.open("rb", buffering=0)  # unbuffered: read() fills one buffer
    except OSError as exc:
        raise ActivityError(label, f"cannot read: {exc.strerror or exc}") from exc
    with f, _mapped(f, label) as fit:
        yield fit


@contextlib.contextmanager
def _mapped(f: BinaryIO, label: str) -> Iterator[FitData]:
    try:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_FIT_BYTES:
            raise ActivityError(label, f"{size} bytes is too large for a FIT activity")
        head = f.read(12)
        if not looks_like_fit(head) or size <= READ_WHOLE_MAX:
            data = head if not looks_like_fit(head) else head + f.read()
            fit = FitData(data, len(data), label)
        else:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            if hasattr(mmap, "MADV_SEQUENTIAL"):
                mm.madvise(mmap.MADV_SEQUENTIAL)
            fit = FitData(mm, len(mm), label, mm, f)
    except OSError as exc:
        raise ActivityError(label, f"cannot read: {exc.strerror or exc}") from exc
    try:
        yield fit
    finally:
        if fit.mm is not None:
            fit.mm.close()


# --- CRC ----------------------------------------------------------------------------
#
# FIT's CRC is CRC-16/ARC. anycrc computes it natively (several GB/s), so every
# file's CRC is checked on every read; the table-driven Python below is only
# the fallback where anycrc cannot be installed (~40 MB/s).

_crc_table16: list[int] | None = None
_native: Any = None


def _native_crc() -> Any:
    """anycrc's CRC-16/ARC ``calc(data, crc)``, or ``False`` when anycrc is not there."""
    global _native
    if _native is None:
        try:
            import anycrc

            _native = anycrc.Model("CRC16-ARC").calc
        except ImportError:  # pragma: no cover - anycrc is a dependency
            _native = False
    return _native


def _crc_table() -> list[int]:
    """CRC-16 (FIT: poly 0xA001 reflected) of two bytes at a time, indexed by a native word."""
    global _crc_table16
    if _crc_table16 is None:
        t8 = []
        for b in range(256):
            c = b
            for _ in range(8):
                c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
            t8.append(c)
        # feeding two bytes (b0, b1) into state c gives F(c ^ (b0 | b1 << 8)),
        # with F(v) = state v after two zero bytes; F is linear, so F(v) =
        # lo[v & 0xFF] ^ hi[v >> 8]
        lo = [(t8[v] >> 8) ^ t8[t8[v] & 0xFF] for v in range(256)]
        hi = [t8[v] for v in range(256)]
        if sys.byteorder == "little":
            _crc_table16 = [lo[w & 0xFF] ^ hi[w >> 8] for w in range(65536)]
        else:
            _crc_table16 = [lo[w >> 8] ^ hi[w & 0xFF] for w in range(65536)]
    return _crc_table16


def crc16(buf: Buffer, start: int = 0, stop: int | None = None, mm: mmap.mmap | None = None) -> int:
    """FIT CRC of ``buf[start:stop]``; pages of ``mm`` are released as it goes."""
    stop = len(buf) if stop is None else stop
    native = _native_crc()
    if native:
        crc = 0
        with memoryview(buf) as view:
            pos = start
            while pos < stop:
                end = min(stop, pos + WINDOW)
                with view[pos:end] as part:
                    crc = native(part, crc)
                pos = end
                if mm is not None:
                    release(mm, pos)
        return int(crc)
    return _crc16_python(buf, start, stop, mm)


def _crc16_python(buf: Buffer, start: int, stop: int, mm: mmap.mmap | None) -> int:
    """:func:`crc16` in Python, two bytes per step."""
    table = _crc_table()
    crc = 0
    with memoryview(buf) as view:
        pos = start
        while stop - pos >= 2:
            end = min(stop, pos + WINDOW)
            end -= (end - pos) & 1
            with view[pos:end] as part, part.cast("H") as words:
                for w in words:
                    crc = table[crc ^ w]
            pos = end
            if mm is not None:
                release(mm, pos)
        if pos < stop:  # odd last byte: state after one byte
            c = crc ^ view[pos]
            for _ in range(8):
                c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
            crc = c
    return crc


_PAGE: Final = mmap.PAGESIZE
_DONTNEED: Final[int | None] = getattr(mmap, "MADV_DONTNEED", None)


def release(mm: mmap.mmap, upto: int) -> None:
    """Hand back the mapped pages before ``upto``: the file stays cached, our RSS stays small."""
    end = upto - upto % _PAGE
    if _DONTNEED is not None and end > 0:
        mm.madvise(_DONTNEED, 0, end)

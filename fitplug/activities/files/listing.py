"""A zip's listing, read as zipfile cannot: its entry count before the listing, names flagged UTF-8 that
are not.

:func:`zip_entries` reads how many entries a zip announces from its end
record, so a zip listing too many is refused before zipfile reads them all;
:func:`lenient_zip` opens a zip whose member names are flagged UTF-8 but are
not, reading those names as zip's default code page (cp437), as for any
unflagged name.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import IO

__all__ = ["lenient_zip", "zip_entries"]


def lenient_zip(source: Path | IO[bytes]) -> zipfile.ZipFile:
    """The zip read through :class:`_Utf8Flags`; closing it closes what it opened."""
    f = source.open("rb") if isinstance(source, Path) else source
    try:
        archive = zipfile.ZipFile(_Utf8Flags(f, owned=isinstance(source, Path)))
    except BaseException:
        if isinstance(source, Path):
            f.close()
        raise
    archive._filePassed = 0  # type: ignore[attr-defined]  # its close() closes the wrapper, which closes f
    return archive


class _Utf8Flags(io.RawIOBase):
    """A zip file as zipfile reads it, with the UTF-8 flag cleared on names that are not UTF-8.

    zipfile raises ``UnicodeDecodeError`` for such a name (in the central
    directory, and again in the member's local header when it is opened);
    without the flag the name is read as cp437, like every unflagged name: a
    stable text key, shown and read again like any other.
    """

    def __init__(self, f: IO[bytes], *, owned: bool) -> None:
        super().__init__()
        self._f = f
        self._owned = owned
        self._bad_local: set[int] = set()
        self._cd = _central_directory(f)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def read(self, n: int | None = -1) -> bytes:
        at = self._f.tell()
        data = self._f.read(-1 if n is None else n)
        if at in self._bad_local and data[:4] == b"PK\x03\x04" and len(data) >= 8:
            data = data[:7] + bytes((data[7] & ~0x08,)) + data[8:]
        if self._cd is not None and at <= self._cd < at + len(data):
            data = self._patch_directory(bytearray(data), self._cd - at)
        return data

    def _patch_directory(self, data: bytearray, off: int) -> bytes:
        while data[off : off + 4] == b"PK\x01\x02" and off + 46 <= len(data):
            n, e, c = (int.from_bytes(data[off + k : off + k + 2], "little") for k in (28, 30, 32))
            name = bytes(data[off + 46 : off + 46 + n])
            if data[off + 9] & 0x08:
                try:
                    name.decode("utf-8")
                except UnicodeDecodeError:
                    data[off + 9] &= ~0x08
                    self._bad_local.add(int.from_bytes(data[off + 42 : off + 46], "little"))
            off += 46 + n + e + c
        return bytes(data)

    def close(self) -> None:
        if self._owned and not self.closed:
            self._f.close()
        super().close()


def _central_directory(f: IO[bytes]) -> int | None:
    """Where a zip's central directory starts, from its end record (not zip64: then ``None``)."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - (22 + 0xFFFF)))
    tail = f.read()
    end = tail.rfind(b"PK\x05\x06")
    f.seek(0)
    if end < 0 or end + 22 > len(tail):
        return None
    at = int.from_bytes(tail[end + 16 : end + 20], "little")
    return None if at == 0xFFFFFFFF else at


def zip_entries(f: IO[bytes]) -> int:
    """How many entries a zip's end record announces (0 when there is none: zipfile then says why)."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    tail_at = max(0, size - (22 + 0xFFFF))
    f.seek(tail_at)
    tail = f.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        return 0
    total = int.from_bytes(tail[end + 10 : end + 12], "little")
    if total == 0xFFFF and end >= 20 and tail[end - 20 : end - 16] == b"PK\x06\x07":  # zip64
        at = int.from_bytes(tail[end - 12 : end - 4], "little")
        if at + 40 <= size:
            f.seek(at)
            record = f.read(40)
            if record[:4] == b"PK\x06\x06":
                total = int.from_bytes(record[32:40], "little")
    f.seek(0)
    return total

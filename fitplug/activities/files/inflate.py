"""Zip members inflated in as few steps as can be, with zlib-ng's inflater where it is installed.

:mod:`zipfile` reads a member through layers of small reads and copies;
here a member's compressed bytes are read straight from the zip's file
(found from its local header, checked against the central directory as
:mod:`zipfile` checks it) and inflated in one call, bounded, its CRC-32
checked: for a FIT file, one read and one inflate. A nested zip is inflated
as a stream, a chunk at a time. zlib-ng inflates FIT files and zips of them
about 1.6-1.9 times as fast as the standard zlib (benchmarks/export_zip.py);
without it, the standard zlib does the same job. Only deflated and stored
members are read here: :func:`handles` says which, and :mod:`zipfile` reads
the rest.
"""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterator
from typing import IO, Protocol, cast

__all__ = ["backend", "handles", "read", "stream"]

#: compression methods read here: stored, deflated
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
#: flag bits left to zipfile (which refuses them): encrypted, compressed patch data, strong encryption
_FLAGS = 0x1 | 0x20 | 0x40
_LOCAL_HEADER = 30


class _Inflater(Protocol):
    @property
    def unconsumed_tail(self) -> bytes: ...
    @property
    def eof(self) -> bool: ...
    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes: ...


class _Zlib(Protocol):
    error: type[Exception]

    def decompressobj(self, wbits: int = ..., /) -> _Inflater: ...
    def crc32(self, data: bytes, value: int = 0, /) -> int: ...


@functools.cache
def backend() -> _Zlib:
    """zlib-ng's zlib where it is installed, else the standard zlib (the same interface, slower)."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        import zlib

        return cast(_Zlib, zlib)
    return cast(_Zlib, zlib_ng)


def handles(info: zipfile.ZipInfo) -> bool:
    """``info`` is a member this module reads (stored or deflated, not encrypted, its compressed size one
    its stated size can have: :func:`read` reads it whole); else zipfile does, a chunk at a time."""
    plausible = info.compress_size <= 2 * info.file_size + 65536
    return info.compress_type in _METHODS and not info.flag_bits & _FLAGS and plausible


def _data_start(fp: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where ``info``'s compressed bytes start, after its local header, checked as zipfile checks it."""
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER)
    if len(header) != _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("Bad magic number for file header")
    n = int.from_bytes(header[26:28], "little")
    extra = int.from_bytes(header[28:30], "little")
    raw = fp.read(n)
    try:
        name = raw.decode("utf-8" if info.flag_bits & 0x800 else "cp437")
    except UnicodeDecodeError:
        name = None
    if name != info.orig_filename:
        raise zipfile.BadZipFile(f"File name in directory {info.orig_filename!r} and header {raw!r} differ.")
    start = info.header_offset + _LOCAL_HEADER + n + extra
    end = getattr(info, "_end_offset", None)  # where the next entry starts, as zipfile reckons it
    if end is not None and start + info.compress_size > end:
        raise zipfile.BadZipFile("Overlapped entries")
    return start


def _read_exactly(fp: IO[bytes], at: int, n: int) -> bytes:
    fp.seek(at)
    data = fp.read(n)
    if len(data) != n:
        raise EOFError(f"the zip ends inside a member ({len(data)} of its {n} bytes)")
    return data


def _check_crc(info: zipfile.ZipInfo, crc: int) -> None:
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def read(fp: IO[bytes], info: zipfile.ZipInfo) -> bytes:
    """The bytes of a member :func:`handles` of the zip in ``fp``, inflated whole, at most its stated size,
    CRC-32 checked.

    Raises what zipfile does for a bad member (:class:`zipfile.BadZipFile`, :class:`EOFError`), and
    :class:`zipfile.BadZipFile` for a member that inflates to more than it says or will not inflate.
    """
    z = backend()
    raw = _read_exactly(fp, _data_start(fp, info), info.compress_size)
    if info.compress_type == zipfile.ZIP_STORED:
        data = raw
    else:
        try:
            data = z.decompressobj(-15).decompress(raw, info.file_size + 1)
        except z.error as exc:
            raise zipfile.BadZipFile(f"cannot inflate {info.filename!r}: {exc}") from exc
    if len(data) > info.file_size:
        raise zipfile.BadZipFile(f"{info.filename!r} is larger than it says ({info.file_size} bytes)")
    _check_crc(info, z.crc32(data))
    return data


def stream(fp: IO[bytes], info: zipfile.ZipInfo, chunk: int) -> Iterator[bytes]:
    """The bytes of a member :func:`handles` of the zip in ``fp``, inflated ``chunk`` compressed bytes at a
    time (each piece at most four times that), its CRC-32 checked at the end; raises as :func:`read` does.
    The zip's file is sought before every read: between two pieces, others may read it too."""
    z = backend()
    at = _data_start(fp, info)
    left = info.compress_size
    inflater = z.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    crc = 0
    try:
        while True:
            if inflater is not None and inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
            elif left:
                data = _read_exactly(fp, at, min(chunk, left))
                at, left = at + len(data), left - len(data)
            elif inflater is None:
                break
            else:
                data = b""  # what the inflater holds back yet
            out = data if inflater is None else inflater.decompress(data, 4 * chunk)
            if out:
                crc = z.crc32(out, crc)
                yield out
            if inflater is not None and (inflater.eof or not (out or left or inflater.unconsumed_tail)):
                break
    except z.error as exc:
        raise zipfile.BadZipFile(f"cannot inflate {info.filename!r}: {exc}") from exc
    _check_crc(info, crc)

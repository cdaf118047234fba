"""Zip members read by :mod:`fitplug.activities.files.inflate`, each inflater: what zipfile reads, and for a
bad member the reason, never a crash; what it does not read (another method) zipfile still does."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import make_activities as m
import pytest

from fitplug.activities.files import inflate, zips
from fitplug.errors import ActivityError

pytestmark = pytest.mark.usefixtures("inflater")
#: the inflater as fitplug picks it (the fixture replaces it in each test)
PICK = inflate.backend

UTC = dt.UTC
RUN = m.run(dt.datetime(2026, 11, 20, 7, tzinfo=UTC), 40, 8.0)
#: many chunks, deflated or stored: runs, and bytes that barely deflate
BIG = RUN * 200 + random.Random(0).randbytes(100_000)


def archive(entries: dict[str, tuple[bytes, int]]) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, (data, method) in entries.items():
            z.writestr(name, data, compress_type=method)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def damaged(entries: dict[str, bytes], at: int, value: bytes) -> zipfile.ZipFile:
    """A deflated zip of ``entries`` with ``value`` written over its first member's bytes from ``at``
    (from the start of its compressed data)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    raw = bytearray(buf.getvalue())
    first = zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist()[0]
    start = first.header_offset + 30 + int.from_bytes(raw[first.header_offset + 26 : first.header_offset + 28],
                                                      "little") + int.from_bytes(
        raw[first.header_offset + 28 : first.header_offset + 30], "little")  # fmt: skip
    raw[start + at : start + at + len(value)] = value
    return zipfile.ZipFile(io.BytesIO(bytes(raw)))


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_member_reads_as_zipfile_reads_it(method: int) -> None:
    z = archive({"a.fit": (RUN, method), "big.fit": (BIG, method), "empty.fit": (b"", method)})
    for info in z.infolist():
        assert inflate.handles(info)
        assert zips.read_member(z, info, info.filename) == z.read(info)
        # a nested zip's way: a small chunk at a time, the pieces in order
        pieces = list(inflate.stream(z.fp, info, 1000))
        assert b"".join(pieces) == z.read(info)
        assert all(len(p) <= 4000 for p in pieces)
    assert len(list(inflate.stream(z.fp, z.getinfo("big.fit"), 1000))) > 10


def test_a_method_it_does_not_read_is_left_to_zipfile() -> None:
    z = archive({"a.fit": (RUN, zipfile.ZIP_BZIP2)})
    info = z.getinfo("a.fit")
    assert not inflate.handles(info)
    assert zips.read_member(z, info, "a.fit") == RUN


def test_a_bad_crc_is_a_reason() -> None:
    z = damaged({"a.fit": RUN}, 0, b"")
    info = z.getinfo("a.fit")
    info.CRC ^= 1
    with pytest.raises(ActivityError, match=r"cannot read zip member: Bad CRC-32 for file 'a.fit'"):
        zips.read_member(z, info, "a.fit")
    with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        b"".join(inflate.stream(z.fp, info, 1000))


def test_bytes_that_do_not_inflate_are_a_reason() -> None:
    z = damaged({"a.fit": RUN, "b.fit": RUN}, 0, b"\xff\xff\xff\xff")
    with pytest.raises(ActivityError, match=r"cannot read zip member: cannot inflate 'a.fit'"):
        zips.read_member(z, z.getinfo("a.fit"), "a.fit")
    with pytest.raises(zipfile.BadZipFile, match="cannot inflate 'a.fit'"):
        b"".join(inflate.stream(z.fp, z.getinfo("a.fit"), 1000))
    assert zips.read_member(z, z.getinfo("b.fit"), "b.fit") == RUN  # the next member reads


def test_a_member_larger_than_it_says_is_refused() -> None:
    z = damaged({"a.fit": RUN}, 0, b"")
    info = z.getinfo("a.fit")
    info.file_size -= 10
    with pytest.raises(ActivityError, match="is larger than it says"):
        zips.read_member(z, info, "a.fit")


def test_a_truncated_zip_is_a_reason() -> None:
    z = damaged({"a.fit": RUN}, 0, b"")
    info = z.getinfo("a.fit")
    assert z.fp is not None
    z.fp.seek(0)
    z.fp = io.BytesIO(z.fp.read()[: info.header_offset + 40 + info.compress_size // 2])  # cut inside a.fit
    with pytest.raises(ActivityError, match="the zip ends inside a member"):
        zips.read_member(z, info, "a.fit")


def test_a_compressed_size_no_deflate_of_its_size_has_is_left_to_zipfile() -> None:
    """A member is read whole only when its compressed size is one its size can have: else in chunks, by
    zipfile, so a directory that claims gigabytes never makes a buffer of that size."""
    z = damaged({"a.fit": RUN}, 0, b"")
    info = z.getinfo("a.fit")
    assert inflate.handles(info)
    info.compress_size = 4 * 1024**3
    assert not inflate.handles(info)
    assert zips.read_member(z, info, "a.fit") == RUN  # zipfile stops where the deflated stream ends


def test_a_local_header_that_names_another_file_is_refused() -> None:
    z = archive({"a.fit": (RUN, zipfile.ZIP_DEFLATED), "b.fit": (RUN, zipfile.ZIP_DEFLATED)})
    a, b = z.getinfo("a.fit"), z.getinfo("b.fit")
    a.header_offset = b.header_offset  # the directory points a.fit at b.fit's bytes
    with pytest.raises(ActivityError, match="File name in directory 'a.fit' and header b'b.fit' differ"):
        zips.read_member(z, a, "a.fit")


def test_without_zlib_ng_the_standard_zlib_inflates(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import zlib

    monkeypatch.setitem(sys.modules, "zlib_ng", None)  # as if it were not installed: importing it fails
    monkeypatch.setattr(inflate, "backend", PICK.__wrapped__)  # uncached: it looks again
    assert inflate.backend() is zlib
    z = archive({"a.fit": (RUN, zipfile.ZIP_DEFLATED)})
    assert zips.read_member(z, z.getinfo("a.fit"), "a.fit") == RUN

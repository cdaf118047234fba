"""Hostile archives: depth, size and ratio bounds, unsafe names; nothing extracted outside a temporary folder.

Complements test_sync.py (``..``, absolute and symlink entries, a zip bomb
in an export) with the bounds themselves and where bytes go while reading.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import make_activities as m
import pytest

from fitplug.activities.files import zips
from fitplug.activities.files.events import Candidate, Refused
from fitplug.activities.files.sources import scan
from fitplug.activities.files.zips import unsafe_member
from fitplug.errors import ActivityError

UTC = dt.UTC
RUN = m.run(dt.datetime(2026, 11, 20, 7, tzinfo=UTC), 40, 8.0)


def zip_bytes(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def outcomes(path: Path) -> list[tuple[str, str]]:
    """(member path inside the archive, 'read' or the refusal reason) for every file found."""
    out = []
    for event in scan([path]):
        if isinstance(event, Candidate):
            event.read()
            out.append((event.key.split("!", 1)[1], "read"))
        elif isinstance(event, Refused):
            out.append((event.key.split("!", 1)[1] if "!" in event.key else "", event.reason))
    return out


def test_nested_zips_deeper_than_the_bound_are_refused(tmp_path: Path) -> None:
    assert zips.MAX_ZIP_DEPTH == 3
    level4 = zip_bytes({"deep.fit": RUN})
    level3 = zip_bytes({"c.fit": RUN, "level4.zip": level4})
    level2 = zip_bytes({"b.fit": RUN, "level3.zip": level3})
    path = tmp_path / "export.zip"
    path.write_bytes(zip_bytes({"a.fit": RUN, "level2.zip": level2}))
    assert outcomes(path) == [
        ("a.fit", "read"),
        ("level2.zip!b.fit", "read"),
        ("level2.zip!level3.zip!c.fit", "read"),
        ("level2.zip!level3.zip!level4.zip", "zip nested more than 3 deep; refused"),
    ]


def test_size_bounds_as_well_as_ratio_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored (ratio 1:1) members larger than the bounds are refused on their declared size."""
    monkeypatch.setattr(zips, "MAX_FIT_BYTES", 4096)
    monkeypatch.setattr(zips, "MAX_NESTED_ZIP_BYTES", 8192)
    big = os.urandom(5000)
    path = tmp_path / "export.zip"
    path.write_bytes(zip_bytes({
        "big.fit": big,
        "big.zip": zip_bytes({"x.fit": os.urandom(9000)}, zipfile.ZIP_STORED),
        "ok.fit": RUN,
    }, zipfile.ZIP_STORED))  # fmt: skip
    assert outcomes(path) == [
        ("big.fit", "5000 bytes uncompressed is too large; refused"),
        ("big.zip", f"{zipfile.ZipFile(path).getinfo('big.zip').file_size} bytes uncompressed is too large; refused"),
        ("ok.fit", "read"),
    ]


def test_a_nested_zip_bomb_is_refused_on_its_ratio(tmp_path: Path) -> None:
    inner = zip_bytes({"x.fit": b"\0" * (4 << 20)}, zipfile.ZIP_STORED)  # 4 MiB that deflates to ~4 KiB
    path = tmp_path / "export.zip"
    path.write_bytes(zip_bytes({"inner.zip": inner}))
    [(name, reason)] = outcomes(path)
    assert name == "inner.zip" and reason.startswith("compression ratio ") and reason.endswith("zip bomb; refused")


@pytest.mark.parametrize("inside_zip", [False, True], ids=["on-disk", "in-zip"])
def test_gzip_bomb_is_refused_on_its_ratio(tmp_path: Path, inside_zip: bool) -> None:
    bomb = gzip.compress(b"\0" * (16 << 20))  # 16 MiB of zeros in ~16 KiB
    if inside_zip:
        path = tmp_path / "export.zip"
        path.write_bytes(zip_bytes({"run.fit.gz": bomb}, zipfile.ZIP_STORED))
    else:
        path = tmp_path / "run.fit.gz"
        path.write_bytes(bomb)
    errors = []
    for event in scan([path]):
        if isinstance(event, Candidate):  # read while its archive is open
            with pytest.raises(ActivityError) as info:
                event.read()
            errors.append(info.value.reason)
    assert len(errors) == 1
    assert re.fullmatch(r"gzip expands more than 100:1 \(\d+ bytes to over \d+\); looks like a gzip bomb; refused",
                        errors[0]), errors  # fmt: skip
    # an honest gzip of a FIT file reads
    honest = tmp_path / "honest.fit.gz"
    honest.write_bytes(gzip.compress(RUN))
    assert [e.read() for e in scan([honest]) if isinstance(e, Candidate)] == [RUN]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/x.fit", "absolute path in zip; refused"),
        ("\\\\server\\share\\x.fit", "absolute path in zip; refused"),
        ("C:/Users/x.fit", "absolute path in zip; refused"),
        ("c:x.fit", "absolute path in zip; refused"),
        ("a/../../x.fit", "'..' in zip path; refused"),
        ("a\\..\\..\\x.fit", "'..' in zip path; refused"),
        ("..", "'..' in zip path; refused"),
        ("ok/x.fit", None),
        ("ok/..x.fit", None),
    ],
)
def test_unsafe_member_names(name: str, reason: str | None) -> None:
    assert unsafe_member(zipfile.ZipInfo(name)) == reason


def test_nothing_is_extracted_outside_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members are read as streams; a nested zip stays in memory, or spills to an anonymous
    temporary file in the temporary folder when large, removed when done."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    spills: list[dict[str, Any]] = []
    real = tempfile.TemporaryFile

    def counting(*args: Any, **kwargs: Any) -> Any:
        spills.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    src = tmp_path / "src"
    src.mkdir()
    inner = zip_bytes({f"{i}.fit": RUN for i in range(8)}, zipfile.ZIP_STORED)
    (src / "export.zip").write_bytes(zip_bytes({"../../evil.fit": RUN, "part1.zip": inner}))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    assert len([o for o in outcomes(src / "export.zip") if o[1] == "read"]) == 8
    assert spills == []  # small: never touched the disk

    monkeypatch.setattr(zips, "_SPOOL_BYTES", 1024)  # now the nested zip must spill
    assert len([o for o in outcomes(src / "export.zip") if o[1] == "read"]) == 8
    assert len(spills) == 1 and spills[0].get("dir") in (None, str(temp))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing left anywhere
    assert not (tmp_path / "evil.fit").exists() and list(temp.iterdir()) == []


def test_a_big_file_without_a_fit_header_is_not_read_whole(tmp_path: Path) -> None:
    """100 MiB of zeros named .fit (under the size bound): 12 bytes are read, then refused."""
    path = tmp_path / "zeros.fit"
    with path.open("wb"):
        pass
    os.truncate(path, 100 << 20)  # sparse
    [candidate] = [e for e in scan([path]) if isinstance(e, Candidate)]
    assert candidate.read() == b"\0" * 12
    from fitplug.activities.read.reader import read_activity

    with pytest.raises(ActivityError, match="not a FIT file"):
        read_activity(candidate.read(), name=candidate.key)
    too_big = tmp_path / "huge.fit"
    with too_big.open("wb"):
        pass
    os.truncate(too_big, zips.MAX_FIT_BYTES + 1)
    [candidate] = [e for e in scan([too_big]) if isinstance(e, Candidate)]
    with pytest.raises(ActivityError, match="bytes is too large for a FIT activity"):
        candidate.read()

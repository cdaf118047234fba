"""A Garmin export's inner zip is inflated once per sync, read from that one spool by every process, and
the spool is removed when the sync ends: after a good sync, a failing file, an interrupted sync, and (by
the next sync) after a sync killed outright."""

from __future__ import annotations

import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import make_activities as m
import pytest

from fitplug.activities.files import zips
from fitplug.activities.ingest import sync
from fitplug.activities.read import pool
from fitplug.activities.read.pool import POOL_AFTER
from fitplug.activities.store.store import Store

#: each inflater: zlib-ng's and the standard zlib's fallback
pytestmark = pytest.mark.usefixtures("inflater")

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
DAY0 = dt.datetime(2026, 1, 1, 7, tzinfo=UTC)
#: more than the files read in-process: the pool reads the rest
RUNS = POOL_AFTER + 60


def activities(runs: int = RUNS) -> dict[str, bytes]:
    files = {f"{i:04d}.fit": m.run(DAY0 + dt.timedelta(hours=13 * i), 30 + i % 20, 5.0 + i % 4) for i in range(runs)}
    files["strength.fit"] = m.strength(DAY0 - dt.timedelta(days=2), [10, 8])
    return files


def export_zip(path: Path, files: dict[str, bytes]) -> Path:
    """A Garmin Connect export: the FIT files in a zip inside the zip (deflated in both)."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"UploadedFiles_0-_Part1/{name}", data)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner.getvalue())
        z.writestr("DI_CONNECT/DI-Connect-Fitness/notes.json", "{}")
    return path


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder the spools go to (this process's and, forked, its workers')."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A line per nested zip inflated and per zip member read (by name, or ahead of the listing), with the
    pid that did it (workers too)."""
    path = tmp_path / "log.txt"
    spool, read, ahead = zips.spool_member, zips.Archives.read, zips.Archives.read_ahead

    def note(line: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, f"{line} {os.getpid()}\n".encode())
        finally:
            os.close(fd)

    def counted_spool(*args, **kwargs):  # type: ignore[no-untyped-def]
        note("spool")
        return spool(*args, **kwargs)

    def counted_read(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        note("read")
        return read(self, *args, **kwargs)

    def counted_ahead(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        note("ahead")
        return ahead(self, *args, **kwargs)

    monkeypatch.setattr(zips, "spool_member", counted_spool)
    monkeypatch.setattr(zips.Archives, "read", counted_read)
    monkeypatch.setattr(zips.Archives, "read_ahead", counted_ahead)
    return path


def lines(log: Path, what: str) -> list[int]:
    if not log.exists():
        return []
    return [int(line.split()[1]) for line in log.read_text().splitlines() if line.split()[0] == what]


def stored(db: Path) -> tuple[list[tuple[object, ...]], ...]:
    with sqlite3.connect(db) as c:
        return (
            sorted(c.execute("SELECT sha256, file_type, manufacturer, serial_number, time_created, start_utc "
                             "FROM activities")),
            sorted(c.execute("SELECT a.sha256, s.idx, s.sport, s.sub_sport, s.start_utc, s.utc_offset_s, "
                             "s.elapsed_s, s.timer_s, s.distance_m, s.avg_hr "
                             "FROM sessions s JOIN activities a ON a.id = s.activity_id")),
            sorted(c.execute("SELECT a.sha256, t.idx, t.set_type, t.repetitions, t.category "
                             "FROM sets t JOIN activities a ON a.id = t.activity_id")),
        )  # fmt: skip


def test_an_export_is_spooled_once_and_stores_what_the_folder_does(tmp_path: Path, spool_dir: Path, log: Path) -> None:
    files = activities()
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    export = export_zip(tmp_path / "export.zip", files)
    with Store(tmp_path / "folder.sqlite3") as store:
        from_folder = sync(store, [folder], programme=None, now=NOW, processes=2)
    with Store(tmp_path / "export.sqlite3") as store:
        from_export = sync(store, [export], programme=None, now=NOW, processes=2)
    assert len(from_export.new) == len(from_folder.new) == len(files) and from_export.skipped == []
    assert stored(tmp_path / "export.sqlite3") == stored(tmp_path / "folder.sqlite3")
    assert stored(tmp_path / "export.sqlite3")[1]  # sessions were compared, not two empty lists
    # one nested zip, inflated once: by this process, never again by a worker
    assert lines(log, "spool") == [os.getpid()]
    readers = lines(log, "read") + lines(log, "ahead")
    assert len(readers) == len(files)  # every member read once, from the spool
    assert {p for p in readers if p != os.getpid()}, "no worker read a member: the pool did not run"
    assert list(spool_dir.iterdir()) == []  # the spool is gone


def test_the_spool_is_private_and_gone_after_a_failing_file(tmp_path: Path, spool_dir: Path, log: Path) -> None:
    files = activities() | {"broken.fit": m.truncated(m.run(DAY0, 30, 5.0)), "notfit.fit": b"not a FIT file"}
    export = export_zip(tmp_path / "export.zip", files)
    seen: list[tuple[str, int]] = []

    def progress(key: str, weight: float) -> None:
        if not seen:
            seen.extend((p.name, p.stat().st_mode & 0o777) for p in spool_dir.iterdir())

    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [export], programme=None, now=NOW, processes=2, progress=progress)
    assert sorted(s.key.rsplit("/", 1)[1] for s in r.skipped) == ["broken.fit", "notfit.fit"]
    assert len(r.new) == len(files) - 2
    assert len(seen) == 1 and seen[0][0].startswith(f"fitplug-spool-{os.getpid()}-") and seen[0][1] == 0o600
    assert lines(log, "spool") == [os.getpid()]
    assert list(spool_dir.iterdir()) == []


def test_an_interrupted_sync_removes_its_spool(tmp_path: Path, spool_dir: Path, log: Path) -> None:
    """Ctrl-C while the workers read the export's members: the sync stops, and its spool is gone."""
    export = export_zip(tmp_path / "export.zip", activities())
    stored_files: list[str] = []

    def progress(key: str, weight: float) -> None:
        if "!" in key and key.endswith(".fit"):
            stored_files.append(key)
            assert len(list(spool_dir.iterdir())) == 1  # while the sync runs, its spool is there
            if len(stored_files) == POOL_AFTER + 20:  # some read by the workers
                raise KeyboardInterrupt

    with Store(tmp_path / "db.sqlite3") as store, pytest.raises(KeyboardInterrupt):
        sync(store, [export], programme=None, now=NOW, processes=2, progress=progress)
    assert len(stored_files) == POOL_AFTER + 20
    assert list(spool_dir.iterdir()) == []
    # and the next sync reads the rest, spooling the zip again (once)
    with Store(tmp_path / "db.sqlite3") as store:
        again = sync(store, [export], programme=None, now=NOW, processes=2)
    assert again.new and len(stored(tmp_path / "db.sqlite3")[0]) == len(activities())
    assert lines(log, "spool") == [os.getpid(), os.getpid()]
    assert list(spool_dir.iterdir()) == []


def test_spools_of_a_killed_sync_are_removed_by_the_next(tmp_path: Path, spool_dir: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    left = spool_dir / f"fitplug-spool-{dead}-abc.zip"
    left.write_bytes(b"PK")
    running = spool_dir / f"fitplug-spool-{os.getppid()}-def.zip"  # a process still there: not ours to remove
    running.write_bytes(b"PK")
    other = spool_dir / "unrelated.zip"
    other.write_bytes(b"PK")
    export = export_zip(tmp_path / "export.zip", activities(3))
    with Store(tmp_path / "db.sqlite3") as store:
        assert len(sync(store, [export], programme=None, now=NOW).new) == 4
    assert sorted(p.name for p in spool_dir.iterdir()) == sorted([running.name, other.name])


def test_a_zip_inside_a_spooled_zip_is_spooled_once_too(tmp_path: Path, spool_dir: Path, log: Path) -> None:
    innermost = io.BytesIO()
    with zipfile.ZipFile(innermost, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deep.fit", m.run(DAY0 - dt.timedelta(days=9), 30, 5.0))
    middle = io.BytesIO()
    with zipfile.ZipFile(middle, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deeper.zip", innermost.getvalue())
        for name, data in activities().items():
            z.writestr(name, data)
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("part.zip", middle.getvalue())
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [export], programme=None, now=NOW, processes=2)
    assert len(r.new) == len(activities()) + 1 and r.skipped == []
    assert "export.zip!part.zip!deeper.zip!deep.fit" in {a.key.rsplit("/", 1)[1] for a in r.new}
    assert lines(log, "spool") == [os.getpid(), os.getpid()]  # two nested zips, each inflated once
    assert list(spool_dir.iterdir()) == []


def overstated(path: Path, name: str, extra: int) -> Path:
    """``path`` with its member ``name`` saying it inflates to ``extra`` bytes more than it does."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    size = (info.file_size + extra).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = size  # the local header
    at = data.rfind(b"PK\x01\x02" + data[info.header_offset + 4 : info.header_offset + 6])
    while data[at + 46 : at + 46 + len(name)] != name.encode():  # its central directory entry
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = size
    path.write_bytes(bytes(data))
    return path


def test_a_nested_zip_that_says_it_is_larger_than_it_is_is_read_whole(tmp_path: Path, spool_dir: Path) -> None:
    """The spool is reserved at the size the member says, and ends where the member's bytes do (past the
    end record's reach, left-over room would hide the zip's end)."""
    files = activities(3)
    inner = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    export = overstated(export_zip(tmp_path / "export.zip", files), inner, 200_000)
    with zipfile.ZipFile(export) as z:
        assert z.getinfo(inner).file_size > len(z.read(inner)) + 100_000  # it does say more than it holds
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [export], programme=None, now=NOW)
    assert len(r.new) == len(files) and r.skipped == []
    assert list(spool_dir.iterdir()) == []


def inner_zip(files: dict[str, bytes]) -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"UploadedFiles_0-_Part1/{name}", data)
    return inner.getvalue()


def nest(path: Path, inner: bytes) -> Path:
    """An export whose inner zip is ``inner``, as it is."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner)
    return path


def central_directory(data: bytes) -> tuple[int, list[tuple[str, int, int]]]:
    """Where a (small) zip's central directory starts, and its entries: name, where each starts, its length."""
    end = data.rfind(b"PK\x05\x06")
    at = int.from_bytes(data[end + 16 : end + 20], "little")
    entries, p = [], at
    while data[p : p + 4] == b"PK\x01\x02":
        n, e, c = (int.from_bytes(data[p + k : p + k + 2], "little") for k in (28, 30, 32))
        entries.append((data[p + 46 : p + 46 + n].decode(), p, 46 + n + e + c))
        p += 46 + n + e + c
    return at, entries


def unlisted(data: bytes, name: str) -> bytes:
    """A zip whose central directory leaves out ``name`` (its bytes and local header stay where they were)."""
    at, entries = central_directory(data)
    kept = [data[p : p + n] for member, p, n in entries if not member.endswith(name)]
    directory = b"".join(kept)
    end = bytearray(data[data.rfind(b"PK\x05\x06") :])
    end[8:10] = end[10:12] = len(kept).to_bytes(2, "little")
    end[12:16] = len(directory).to_bytes(4, "little")
    return data[:at] + directory + bytes(end)


def listed_with_crc(data: bytes, name: str, crc: int) -> bytes:
    """A zip whose central directory gives ``name`` the CRC-32 ``crc`` (its local header keeps the true one)."""
    _, entries = central_directory(data)
    ((_, p, _),) = [e for e in entries if e[0].endswith(name)]
    return data[: p + 16] + crc.to_bytes(4, "little") + data[p + 20 :]


@pytest.fixture
def every_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every member is read ahead: what waits for a worker when the listing comes is read ahead all the same
    (a small zip is spooled before a worker can start; a sync cancels those reads)."""
    monkeypatch.setattr(pool.Reader, "_settle_ahead", lambda self: self._submit_ahead())


def test_a_member_the_listing_leaves_out_is_not_stored_though_read_ahead(
    tmp_path: Path, spool_dir: Path, log: Path, every_ahead: None
) -> None:
    """Read ahead from its local header while the zip was spooled, a member the central directory does not
    list is not stored: the export stores what a folder of the listed files stores."""
    files = activities()
    export = nest(tmp_path / "export.zip", unlisted(inner_zip(files), "0042.fit"))
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, data in files.items():
        if name != "0042.fit":
            (folder / name).write_bytes(data)
    with Store(tmp_path / "export.sqlite3") as store:
        r = sync(store, [export], programme=None, now=NOW, processes=2)
    with Store(tmp_path / "folder.sqlite3") as store:
        sync(store, [folder], programme=None, now=NOW, processes=2)
    assert len(r.new) == len(files) - 1 and r.skipped == []
    assert not [a for a in r.new if a.key.endswith("0042.fit")]
    assert stored(tmp_path / "export.sqlite3") == stored(tmp_path / "folder.sqlite3")
    assert len(lines(log, "ahead")) == len(files)  # it was read ahead, with the rest, and dropped
    assert list(spool_dir.iterdir()) == []


def test_a_member_the_listing_says_otherwise_is_read_as_the_listing_says(
    tmp_path: Path, spool_dir: Path, log: Path, every_ahead: None
) -> None:
    """A member whose local header and listing disagree (here its CRC-32) is read again, by the listing:
    its reading ahead, which found it sound, is not taken."""
    files = activities()
    inner = inner_zip(files)
    with zipfile.ZipFile(io.BytesIO(inner)) as z:
        crc = z.getinfo("UploadedFiles_0-_Part1/0042.fit").CRC
    export = nest(tmp_path / "export.zip", listed_with_crc(inner, "0042.fit", crc ^ 1))
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [export], programme=None, now=NOW, processes=2)
    assert len(r.new) == len(files) - 1
    assert [(s.key.rsplit("/", 1)[1], s.reason) for s in r.skipped] == [
        ("0042.fit", "cannot read zip member: Bad CRC-32 for file 'UploadedFiles_0-_Part1/0042.fit'")
    ]
    assert len(lines(log, "ahead")) == len(files) and len(lines(log, "read")) == 1
    assert list(spool_dir.iterdir()) == []


class _Unseekable(io.RawIOBase):
    """A stream zipfile can only write forwards: it puts each member's sizes after its bytes (flag bit 3)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def test_members_whose_sizes_follow_their_bytes_are_read_by_the_listing(
    tmp_path: Path, spool_dir: Path, log: Path
) -> None:
    files = activities()
    out = _Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"UploadedFiles_0-_Part1/{name}", data)
    with zipfile.ZipFile(io.BytesIO(bytes(out.data))) as z:
        assert all(i.flag_bits & 0x08 for i in z.infolist())
    export = nest(tmp_path / "export.zip", bytes(out.data))
    with Store(tmp_path / "db.sqlite3") as store:
        r = sync(store, [export], programme=None, now=NOW, processes=2)
    assert len(r.new) == len(files) and r.skipped == []
    assert lines(log, "ahead") == [] and len(lines(log, "read")) == len(files)

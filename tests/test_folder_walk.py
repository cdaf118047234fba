"""The folder walk (fitplug.activities.files.folders), with its listing in C and in Python: the same walk.

Every test runs with each listing (the ``listing`` fixture: the C one skips where it is not built) and
checks what it asserts of that one; where the tree allows, the C walk's whole result is also held against
the Python walk's over the same tree (:func:`walked`): the same paths in the same order, the same stat or
the same error, the same ``seen`` afterwards, the same counts of the files left out as known.
"""

from __future__ import annotations

import errno
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitplug.activities.files import folders
from fitplug.activities.files.events import Candidate, ContainerDone, ContainerStart, Refused
from fitplug.activities.files.folders import FileStat, Known
from fitplug.activities.files.sources import count_bytes, scan

C = getattr(folders._folders, "list_folder", None)
UTF8 = (sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()) == ("utf-8", "surrogateescape")


@pytest.fixture(params=["native", "python"])
def listing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The folder listing, each way: the C one (_folders) and the Python one; the C one skips, saying why."""
    if request.param == "native":
        if C is None:
            pytest.skip("the C folder listing is not built (pip install . builds it where a compiler is; not Windows)")
        if not UTF8:
            pytest.skip("the C folder listing decodes names as UTF-8 only, and the file system encoding is not")
        monkeypatch.setattr(folders, "native", C)
    else:
        monkeypatch.setattr(folders, "native", None)
    return str(request.param)


@contextmanager
def hooks(between: Callable[[str], object] | None = None, *, d_type: bool = True) -> Iterator[None]:
    """Both listings call ``between(folder)`` once a folder is listed (the C one may also ignore d_type)."""
    saved = folders._between
    folders._between = between
    if C is not None:
        folders._folders._test_hooks(d_type, between)
    try:
        yield
    finally:
        folders._between = saved
        if C is not None:
            folders._folders._test_hooks(True, None)


def shown(st: FileStat | OSError) -> tuple[Any, ...]:
    """A stat as plain values, or an error as its type, errno, message and file name (errors never compare equal)."""
    if isinstance(st, OSError):
        return (type(st), st.errno, st.strerror, st.filename, st.filename2)
    assert type(st) is FileStat
    return tuple(st)


Walked = tuple[list[tuple[str, tuple[Any, ...]]], set[str], list[tuple[str, int, int, int]]]


def walk_once(root: Path, seen: set[str] | None, files: dict[str, tuple[int, int, bool]] | None) -> Walked:
    told: list[tuple[str, int, int, int]] = []
    mine = None if seen is None else set(seen)
    known = None if files is None else Known(files, lambda *a: told.append(a))
    found = [(key, shown(st)) for key, st in folders.walk(root, mine, known)]
    return found, mine if mine is not None else set(), told


def walked(root: Path, seen: set[str] | None = None, files: dict[str, tuple[int, int, bool]] | None = None) -> Walked:
    """The walk with the listing under test; with the C one, the Python one's over the same tree is the same."""
    result = walk_once(root, seen, files)
    if folders.native is not None:
        saved, folders.native = folders.native, None
        try:
            assert walk_once(root, seen, files) == result
        finally:
            folders.native = saved
    return result


def keys(result: Walked) -> list[str]:
    return [k for k, _ in result[0]]


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def stated(path: Path, follow: bool = True) -> tuple[int, int, int]:
    s = os.stat(path, follow_symlinks=follow)
    return (s.st_mode, s.st_size, s.st_mtime_ns)


def test_the_c_listing_is_used_where_it_is_built() -> None:
    expected = C if C is not None and UTF8 and os.environ.get("FITPLUG_PURE_PYTHON") != "1" else None
    assert folders._native() is expected
    out = subprocess.run(
        [sys.executable, "-c", "from fitplug.activities.files import folders; print(folders.native)"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "FITPLUG_PURE_PYTHON": "1", "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "None"


def test_names_are_told_as_python_lowers_them(tmp_path: Path, listing: str) -> None:
    """A name is wanted when ``name.lower()`` ends with .fit, .fit.gz or .zip, whatever its other letters."""
    wanted = ["A.FIT", "x.Fit.GZ", "b.zip", "C.ZiP", ".fit", "İ.fit", "\u212a.FIT", "café.fit", "ΣΣ.FIT", "日本.fit.gz"]
    unwanted = ["notes.txt", "x.fit.gz.txt", "x.fitgz", "fit", "x.FIT ", "x.ﬁt", "x.fİt", "x.f\u0131t", "x.zİp", "x.gz"]
    for name in wanted + unwanted:
        touch(tmp_path / name)
    root = str(tmp_path.resolve())
    assert keys(walked(tmp_path)) == sorted(os.path.join(root, n) for n in wanted)
    assert [n for n in wanted + unwanted if n.lower().endswith((".fit", ".fit.gz", ".zip"))] == wanted


def test_no_other_character_lowers_to_a_suffix_letter() -> None:
    """What the C listing's name test rests on: only ASCII characters lower to ".fitgzp" (two lower to ASCII)."""
    letters = set(".fitgzp")
    to_ascii = {
        c: chr(c).lower() for c in range(0x80, sys.maxunicode + 1) if any(ord(x) < 0x80 for x in chr(c).lower())
    }
    assert to_ascii == {0x130: "i\u0307", 0x212A: "k"}
    assert all(lowered[-1] not in letters for lowered in to_ascii.values())
    assert unicodedata.normalize("NFKC", "ﬁ") == "fi" and "ﬁ".lower() == "ﬁ"  # a ligature stays one


@pytest.mark.skipif(not UTF8, reason="undecodable names are escaped as UTF-8 with surrogateescape only")
def test_undecodable_names_come_escaped(tmp_path: Path, listing: str) -> None:
    """Bytes that are not UTF-8 come as os.scandir gives them (surrogateescape), in a folder name too."""
    base = os.fsencode(tmp_path)
    os.mkdir(base + b"/d\xfe")
    for name in (b"\xff.fit", b"x\xc3.FIT", b"\xef\xbf\xbd.fit", b"ok.fi\xff", b"d\xfe/\xe9t\xe9.zip"):
        with open(base + b"/" + name, "wb") as f:
            f.write(b"x")
    root = str(tmp_path.resolve())
    # sorted as str: U+DCFF (the escaped 0xff) before U+FFFD, whose UTF-8 bytes sort first
    assert keys(walked(tmp_path)) == [
        f"{root}/x\udcc3.FIT",
        f"{root}/\udcff.fit",
        f"{root}/\ufffd.fit",
        f"{root}/d\udcfe/\udce9t\udce9.zip",
    ]


def test_files_first_then_subfolders_sorted(tmp_path: Path, listing: str) -> None:
    for rel in ("b.fit", "B.fit", "a.fit", "é.fit", "z/1.fit", "Z/2.fit", "a/deep/3.fit", "a/4.fit", "løb/5.fit"):
        touch(tmp_path / rel)
    (tmp_path / "empty").mkdir()
    root = str(tmp_path.resolve())
    expected = ["B.fit", "a.fit", "b.fit", "é.fit", "Z/2.fit", "a/4.fit", "a/deep/3.fit", "løb/5.fit", "z/1.fit"]
    result = walked(tmp_path)
    assert keys(result) == [os.path.join(root, r) for r in expected]
    assert [s for _, s in result[0]] == [stated(tmp_path / r) for r in expected]
    assert keys(walked(tmp_path / "a" / ".." / "a")) == [f"{root}/a/4.fit", f"{root}/a/deep/3.fit"]


def test_links_fifos_and_dangling_names(tmp_path: Path, listing: str) -> None:
    """A link to a file is stat'ed through; a link to a folder is neither a file nor walked; a dangling
    link or a loop comes with the error its stat raised; a FIFO with its stat (scan refuses it)."""
    target = touch(tmp_path / "elsewhere" / "run.bin", b"12345")
    src = tmp_path / "src"
    touch(src / "sub" / "in.fit")
    (src / "to-file.fit").symlink_to(target)
    (src / "to-folder.fit").symlink_to(src / "sub")
    (src / "linked").symlink_to(src / "sub")
    (src / "dead.fit").symlink_to(tmp_path / "nowhere")
    (src / "loop.fit").symlink_to(src / "loop.fit")
    os.mkfifo(src / "pipe.fit")
    root = str(src.resolve())
    result = walked(src)
    assert result[0] == [
        (f"{root}/dead.fit", (FileNotFoundError, errno.ENOENT, os.strerror(errno.ENOENT), f"{root}/dead.fit", None)),
        (f"{root}/loop.fit", (OSError, errno.ELOOP, os.strerror(errno.ELOOP), f"{root}/loop.fit", None)),
        (f"{root}/pipe.fit", stated(src / "pipe.fit")),
        (f"{root}/to-file.fit", stated(target)),
        (f"{root}/sub/in.fit", stated(src / "sub" / "in.fit")),
    ]
    events = list(scan([src]))
    assert [(e.key, e.reason) for e in events if isinstance(e, Refused)] == [
        (f"{root}/dead.fit", f"cannot read: {os.strerror(errno.ENOENT)}"),
        (f"{root}/loop.fit", f"cannot read: {os.strerror(errno.ELOOP)}"),
        (f"{root}/pipe.fit", "not a regular file"),
    ]
    assert [e.key for e in events if isinstance(e, Candidate)] == [f"{root}/to-file.fit", f"{root}/sub/in.fit"]


def test_without_d_type_the_c_listing_finds_the_same(tmp_path: Path) -> None:
    """Where readdir gives no type (DT_UNKNOWN), the C listing lstats each name: the same walk."""
    if C is None or not UTF8:
        pytest.skip("the C folder listing is not built here, or the file system encoding is not UTF-8")
    target = touch(tmp_path / "elsewhere" / "run.bin", b"12345")
    src = tmp_path / "src"
    for rel in ("a.fit", "b.FIT.gz", "c.zip", "notes.txt", "sub/d.fit", "sub/deeper/e.fit"):
        touch(src / rel)
    (src / "to-file.fit").symlink_to(target)
    (src / "to-folder.fit").symlink_to(src / "sub")
    (src / "linked").symlink_to(src / "sub")
    (src / "dead.fit").symlink_to(tmp_path / "nowhere")
    os.mkfifo(src / "pipe.fit")
    files = {str(src.resolve() / "a.fit"): (1, os.stat(src / "a.fit").st_mtime_ns, False)}
    saved = folders.native
    try:
        folders.native = None
        python = walk_once(src, {str(src.resolve() / "b.FIT.gz")}, files)
        folders.native = C
        with hooks(d_type=False):
            assert walk_once(src, {str(src.resolve() / "b.FIT.gz")}, files) == python
    finally:
        folders.native = saved
    assert len(python[0]) == 6 and python[2] == [(str(src.resolve()), 1, 0, 1)]


def test_seen_paths_are_left_out_and_each_path_given_is_added(tmp_path: Path, listing: str) -> None:
    for rel in ("a.fit", "b.fit", "c.zip", "sub/d.fit"):
        touch(tmp_path / rel)
    (tmp_path / "dead.fit").symlink_to(tmp_path / "nowhere")
    root = str(tmp_path.resolve())
    found, seen, _ = walked(tmp_path, seen={f"{root}/b.fit", f"{root}/sub/d.fit", "/elsewhere/x.fit"})
    assert [k for k, _ in found] == [f"{root}/a.fit", f"{root}/c.zip", f"{root}/dead.fit"]
    assert seen == {"/elsewhere/x.fit", *(f"{root}/{r}" for r in ("a.fit", "b.fit", "c.zip", "dead.fit", "sub/d.fit"))}
    # two sources, one inside the other: each file once, from the first that has it
    events = list(scan([tmp_path / "sub", tmp_path]))
    assert [e.key for e in events if isinstance(e, Candidate)] == [
        f"{root}/sub/d.fit",
        f"{root}/a.fit",
        f"{root}/b.fit",
    ]


def test_known_files_are_left_out_and_counted(tmp_path: Path, listing: str) -> None:
    """Left out: a regular FIT file (not a zip) at the size and mtime known has; counted per folder."""
    names = ("same.fit", "bad.fit", "bigger.fit", "touched.fit", "new.fit", "same.zip", "sub/s.FIT.GZ", "linked.fit")
    for rel in names[:-1]:
        touch(tmp_path / rel, b"abc")
    (tmp_path / "linked.fit").symlink_to(tmp_path / "same.fit")
    root = str(tmp_path.resolve())
    mtime = {n: stated(tmp_path / n)[2] for n in names}
    files = {
        f"{root}/same.fit": (3, mtime["same.fit"], False),
        f"{root}/bad.fit": (3, mtime["bad.fit"], True),
        f"{root}/bigger.fit": (4, mtime["bigger.fit"], False),
        f"{root}/touched.fit": (3, mtime["touched.fit"] + 1, False),
        f"{root}/same.zip": (3, mtime["same.zip"], False),
        f"{root}/sub/s.FIT.GZ": (3, mtime["sub/s.FIT.GZ"], False),
        f"{root}/linked.fit": (3, mtime["same.fit"], False),  # a link: its file's stat
    }
    found, seen, told = walked(tmp_path, seen=set(), files=files)
    assert [k for k, _ in found] == [f"{root}/{n}" for n in ("bigger.fit", "new.fit", "same.zip", "touched.fit")]
    assert told == [(root, 3, 1, 9), (f"{root}/sub", 1, 0, 3)]
    assert seen == {f"{root}/{n}" for n in names}


def test_known_values_compare_as_python_compares_them(tmp_path: Path, listing: str) -> None:
    """Whatever the values: ``had[0] != size or had[1] != mtime_ns`` decides, ``bool(had[2])`` counts."""
    names = ["a.fit", "b.fit", "c.fit", "d.fit", "e.fit", "f.fit", "g.fit"]
    for name in names:
        touch(tmp_path / name, b"abcd")
    root = str(tmp_path.resolve())
    m = {n: stated(tmp_path / n)[2] for n in names}
    files: dict[str, Any] = {
        f"{root}/a.fit": [4, m["a.fit"], 1],  # a list, a true int
        f"{root}/b.fit": (4.0, m["b.fit"], ""),  # a float size equal to it, a false str
        f"{root}/c.fit": (True, m["c.fit"], False),  # not 4
        f"{root}/d.fit": (4, float(m["d.fit"]) + 2**20, False),  # no float that far off equals it
        f"{root}/e.fit": (None, None, None),
        f"{root}/f.fit": (4, m["f.fit"] + 2**64, False),  # beyond a C long long
        f"{root}/g.fit": (4, m["g.fit"], 0, "more"),
    }
    found, _, told = walked(tmp_path, files=files)
    assert [k for k, _ in found] == [f"{root}/{n}" for n in ("c.fit", "d.fit", "e.fit", "f.fit")]
    assert told == [(root, 3, 1, 12)]
    files = {f"{root}/a.fit": (4, m["a.fit"])}
    for way in (C, None) if listing == "native" else (None,):
        folders.native = way
        with pytest.raises(IndexError):  # as ingest's check would: had[2]
            list(folders.walk(tmp_path, None, Known(files, lambda *a: None)))


@pytest.mark.parametrize("mtime_ns", [-1_500_000_000_123_456_789, 0, 12_000_000_000_000_000_007])
def test_mtimes_far_off(tmp_path: Path, listing: str, mtime_ns: int) -> None:
    """Before 1970, and past what nanoseconds in 64 bits hold (2262): os.stat's value, known or not."""
    path = touch(tmp_path / "t.fit", b"ab")
    try:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    except (OSError, OverflowError) as exc:
        pytest.skip(f"this file system keeps no such mtime: {exc}")
    mode, size, ns = stated(path)
    assert walked(tmp_path)[0] == [(str(path.resolve()), (mode, size, ns))]
    found, _, told = walked(tmp_path, files={str(path.resolve()): (size, ns, False)})
    assert found == [] and told == [(str(tmp_path.resolve()), 1, 0, 2)]


def test_a_folder_that_cannot_be_listed_is_passed_over(tmp_path: Path, listing: str) -> None:
    """Gone, or a file now, by the time it is listed: passed over, as os.walk does; so is an unreadable one."""
    for rel in ("a.fit", "gone/1.fit", "now-a-file/2.fit", "stays/3.fit"):
        touch(tmp_path / rel)
    root = str(tmp_path.resolve())
    walk = folders.walk(tmp_path)
    assert next(walk)[0] == f"{root}/a.fit"
    for rel in ("gone/1.fit", "now-a-file/2.fit"):
        (tmp_path / rel).unlink()
    (tmp_path / "gone").rmdir()
    (tmp_path / "now-a-file").rmdir()
    touch(tmp_path / "now-a-file")
    assert [k for k, _ in walk] == [f"{root}/stays/3.fit"]
    with pytest.raises(StopIteration):
        next(folders.walk(tmp_path / "nowhere"))
    if os.geteuid() != 0:  # root lists any folder
        (tmp_path / "stays").chmod(0)
        try:
            assert keys(walked(tmp_path)) == [f"{root}/a.fit"]
        finally:
            (tmp_path / "stays").chmod(0o755)


def test_files_changed_between_listing_and_stat(tmp_path: Path, listing: str) -> None:
    """Removed once listed: its stat's error; a folder or a link now: its lstat (a DirEntry's type is readdir's)."""
    root = str(tmp_path.resolve())
    names = ("a.fit", "gone.fit", "folder.fit", "link.fit", "z.fit")

    def make() -> None:
        for name in names:
            path = tmp_path / name
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            elif path.exists() or path.is_symlink():
                path.unlink()
            touch(path)

    def change(folder: str) -> None:
        (tmp_path / "gone.fit").unlink()
        (tmp_path / "folder.fit").unlink()
        (tmp_path / "folder.fit").mkdir()
        (tmp_path / "link.fit").unlink()
        (tmp_path / "link.fit").symlink_to(tmp_path / "a.fit")

    make()
    with hooks(change):
        found = [(k, shown(s)) for k, s in folders.walk(tmp_path)]
    gone = f"{root}/gone.fit"
    assert found == [
        (f"{root}/a.fit", stated(tmp_path / "a.fit")),
        (f"{root}/folder.fit", stated(tmp_path / "folder.fit")),
        (gone, (FileNotFoundError, errno.ENOENT, os.strerror(errno.ENOENT), gone, None)),
        (f"{root}/link.fit", stated(tmp_path / "link.fit", follow=False)),
        (f"{root}/z.fit", stated(tmp_path / "z.fit")),
    ]
    make()
    with hooks(change):
        refused = [(e.key, e.reason) for e in scan([tmp_path]) if isinstance(e, Refused)]
    assert refused == [
        (f"{root}/folder.fit", "not a regular file"),
        (gone, f"cannot read: {os.strerror(errno.ENOENT)}"),
        (f"{root}/link.fit", "not a regular file"),
    ]


def test_a_warm_scan_makes_no_event(tmp_path: Path, listing: str) -> None:
    """Every file known at its size and mtime: no event at all, each folder's count told once."""
    src = tmp_path / "src"
    for i in range(600):
        touch(src / f"{i // 200}" / f"{i:04d}.fit", b"x" * (i % 7))
    files = {str(p.resolve()): (p.stat().st_size, p.stat().st_mtime_ns, False) for p in src.rglob("*.fit")}
    told: list[tuple[str, int, int, int]] = []
    assert list(scan([src], known=Known(files, lambda *a: told.append(a)))) == []
    root = str(src.resolve())
    assert told == [(f"{root}/{d}", 200, 0, sum(i % 7 for i in range(200 * d, 200 * d + 200))) for d in range(3)]
    assert count_bytes([src]) == sum(t[3] for t in told)
    events = list(scan([src]))
    assert len(events) == 600 and all(isinstance(e, Candidate) for e in events)


def test_a_zip_is_never_left_out_by_the_walk(tmp_path: Path, listing: str) -> None:
    zipped = touch(tmp_path / "export.zip", b"PK\x05\x06" + bytes(18))
    files = {str(zipped.resolve()): (22, zipped.stat().st_mtime_ns, False)}
    events = list(scan([tmp_path], known=Known(files, lambda *a: None)))
    assert type(events[0]) is ContainerStart and type(events[-1]) is ContainerDone


NAMES = ["a.fit", "B.FIT", "c.fit.gz", "D.Zip", "e.txt", "İ.fit", "x.ﬁt", "é.fit", "\udcff.fit", "Z", "ü"]


def build(root: Path, rng: random.Random, depth: int = 0) -> list[Path]:
    """A random tree under ``root``: files, folders, links of every kind, FIFOs; the regular files made."""
    made: list[Path] = []
    for name in rng.sample(NAMES, rng.randint(0, len(NAMES))):
        path = root / name
        kind = rng.choice(["file", "file", "file", "folder", "link-file", "link-folder", "dead", "fifo"])
        if kind == "folder" and depth < 3:
            path.mkdir()
            made += build(path, rng, depth + 1)
        elif kind == "link-file" and made:
            path.symlink_to(rng.choice(made))
        elif kind == "link-folder":
            path.symlink_to(root)
        elif kind == "dead":
            path.symlink_to(root / "nowhere")
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            made.append(touch(path, b"x" * rng.randint(0, 9)))
    return made


@pytest.mark.skipif(C is None or not UTF8, reason="the C folder listing is not built here (or names are not UTF-8)")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), d_type=st.booleans())
def test_random_trees_walk_the_same_both_ways(tmp_path: Path, seed: int, d_type: bool) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        root = Path(folder)
        made = build(root, rng)
        files: dict[str, tuple[int, int, bool]] = {}
        for path in rng.sample(made, len(made) // 2):
            s = path.stat()
            files[str(path.resolve())] = (s.st_size + rng.choice([0, 0, 1]), s.st_mtime_ns, rng.random() < 0.3)
        seen = {str(p.resolve()) for p in rng.sample(made, len(made) // 4)}
        saved = folders.native
        try:
            folders.native = None
            python = walk_once(root, seen, files)
            folders.native = C
            with hooks(d_type=d_type):
                assert walk_once(root, seen, files) == python
        finally:
            folders.native = saved


def test_without_d_type_the_lstat_of_the_listing_is_kept(tmp_path: Path) -> None:
    """As a DirEntry keeps the lstat its is_dir() made where readdir gave no type: a file removed once
    listed still comes with it (where readdir gives the type, its stat's error: the test above)."""
    if C is None or not UTF8:
        pytest.skip("the C folder listing is not built here, or the file system encoding is not UTF-8")
    path = touch(tmp_path / "gone.fit", b"abc")
    before = stated(path)
    saved, folders.native = folders.native, C
    try:
        with hooks(lambda folder: path.unlink(), d_type=False):
            assert [(k, shown(s)) for k, s in folders.walk(tmp_path)] == [(str(path.resolve()), before)]
    finally:
        folders.native = saved

"""Every file fitplug writes (FIT, ICS, the files put on a watch) is renamed into place whole,
gets normal permissions (secrets excepted), and a full disk leaves the previous files as they were."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Invoke

from fitplug import atomic

NOW = ["--now", "2026-11-22T09:30:00+00:00"]
LATER = ["--now", "2026-12-06T09:30:00+00:00"]  # another schedule and feed: different bytes
GLUTE = str(ROOT / "templates" / "glute-runner.toml")


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class Renames:
    """Records every ``os.replace`` in fitplug.atomic and what the temporary file held then."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.done: dict[Path, bytes] = {}
        real = os.replace

        def replace(src: Any, dst: Any) -> None:
            # beside the target; on a watch, in the device's .fitplug-partial (never in NewFiles, #11)
            same_folder = Path(src).name.startswith(".") and Path(src).parent == Path(dst).parent
            on_watch = Path(src).parent.name == ".fitplug-partial" and Path(dst).parent.name == "NewFiles"
            assert same_folder or on_watch
            self.done[Path(dst)] = Path(src).read_bytes()
            real(src, dst)

        monkeypatch.setattr(atomic.os, "replace", replace)


def test_build_renames_every_output_into_place(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               umask_022: None) -> None:  # fmt: skip
    renames = Renames(monkeypatch)
    out = tmp_path / "out"
    result = invoke(*NOW, "build", GLUTE, "-o", str(out))
    assert result.exit_code == 0, result.output
    written = _files(out)
    assert {p.name: data for p, data in renames.done.items() if p.parent == out} == written
    assert any(n.endswith(".ics") for n in written) and "schedule.fit" in written
    # shared outputs get 0666 less the umask, not mkstemp's 0600
    assert {name: _mode(out / name) for name in written} == {name: 0o644 for name in written}


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_output_permissions_follow_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        atomic.write_atomic(tmp_path / "a.ics", b"new")
        atomic.write_all_atomic({tmp_path / "b.fit": b"x", tmp_path / "c.fit": b"y"})
        (tmp_path / "old.fit").write_bytes(b"old")
        os.chmod(tmp_path / "old.fit", 0o600)
        atomic.write_atomic(tmp_path / "old.fit", b"replaced")  # a replaced file gets the same as a new one
        atomic.write_atomic(tmp_path / "token", b"secret", private=True)
    finally:
        os.umask(old)
    want = 0o666 & ~umask
    assert {n: _mode(tmp_path / n) for n in ("a.ics", "b.fit", "c.fit", "old.fit")} == dict.fromkeys(
        ("a.ics", "b.fit", "c.fit", "old.fit"), want
    )
    assert _mode(tmp_path / "token") == 0o600


def test_calendar_and_watch_files_are_renamed_into_place(invoke: Invoke, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    renames = Renames(monkeypatch)
    ics = tmp_path / "feed.ics"
    assert invoke(*NOW, "calendar", GLUTE, "-o", str(ics)).exit_code == 0
    assert renames.done[ics] == ics.read_bytes()
    watch = tmp_path / "watch"
    (watch / "GARMIN" / "NewFiles").mkdir(parents=True)
    result = invoke(*NOW, "install", GLUTE, "--device", str(watch))
    assert result.exit_code == 0, result.output
    newfiles = watch / "GARMIN" / "NewFiles"
    on_watch = _files(newfiles)
    assert on_watch and {p.name: d for p, d in renames.done.items() if p.parent == newfiles} == on_watch


class FullDiskAfter:
    """``os.fdopen`` whose files take ``budget`` bytes in all, then fail with ENOSPC half-way."""

    def __init__(self, budget: int) -> None:
        self.left = budget
        self.real = os.fdopen

    def __call__(self, fd: int, *args: Any, **kwargs: Any) -> Any:
        outer = self
        f = self.real(fd, *args, **kwargs)

        class File:
            def __enter__(self) -> Any:  # a stand-in for a file object
                return self

            def __exit__(self, *exc: object) -> None:
                f.close()

            def write(self, data: bytes) -> int:
                if len(data) > outer.left:
                    f.write(data[: outer.left])
                    outer.left = 0
                    raise OSError(errno.ENOSPC, "No space left on device")
                outer.left -= len(data)
                return int(f.write(data))

            def flush(self) -> None:
                f.flush()

            def fileno(self) -> int:
                return int(f.fileno())

        return File()


@pytest.mark.parametrize("budget", [0, 600, 3000])
def test_full_disk_during_build_keeps_the_previous_files(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    out = tmp_path / "out"
    first = invoke(*NOW, "build", GLUTE, "-o", str(out))
    assert first.exit_code == 0, first.output
    before = _files(out)
    # Only the full disk is undone afterwards: monkeypatch.undo() would also drop the
    # per-test data and config folders (conftest's fitplug_home), and the build below
    # would then write the user's own remembered programme and feed state.
    with monkeypatch.context() as m:
        m.setattr(atomic.os, "fdopen", FullDiskAfter(budget))
        result = invoke(*LATER, "build", GLUTE, "-o", str(out))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.endswith(": could not write: the disk is full\n")
    assert _files(out) == before  # every previous file intact, no temporary file left behind
    again = invoke(*LATER, "build", GLUTE, "-o", str(out))
    assert again.exit_code == 0 and _files(out) != before and set(_files(out)) == set(before)


def test_full_disk_during_calendar_keeps_the_previous_feed(invoke: Invoke, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    ics = tmp_path / "feed.ics"
    assert invoke(*NOW, "calendar", GLUTE, "-o", str(ics)).exit_code == 0
    before = ics.read_bytes()
    monkeypatch.setattr(atomic.os, "fdopen", FullDiskAfter(100))
    result = invoke(*LATER, "calendar", GLUTE, "-o", str(ics))
    assert (result.exit_code, result.output) == (1, f"Error: {ics}: could not write: the disk is full\n")
    assert _files(tmp_path) == {"feed.ics": before}

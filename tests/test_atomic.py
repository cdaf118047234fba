"""Atomic writes: the old file survives a failed write, and no temporary file is left."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from fitplug import atomic
from fitplug.errors import OutputError


def test_write_then_replace(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.fit"
    atomic.write_atomic(target, b"one")
    atomic.write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["a.fit"]


def test_full_disk_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "feed.ics"
    target.write_bytes(b"previous feed")
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd: int, *args: Any, **kwargs: Any) -> None:
            self.f = real_fdopen(fd, *args, **kwargs)

        def __enter__(self) -> FullDisk:  # noqa: PYI034  # a stand-in for a file object, never subclassed
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, data: bytes) -> int:
            self.f.write(data[: len(data) // 2])  # half the bytes reach the disk, then it is full
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", FullDisk)
    with pytest.raises(OutputError, match=r"feed.ics: could not write: the disk is full"):
        atomic.write_atomic(target, b"new feed that does not fit")
    assert target.read_bytes() == b"previous feed"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.ics"]


def test_unwritable_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="could not write"):
        atomic.write_atomic(blocker / "x.fit", b"x")

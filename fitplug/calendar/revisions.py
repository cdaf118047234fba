"""The feed's session revisions, kept in fitplug's data folder.

``feeds/<programme id>.json`` holds each session's
:class:`~fitplug.calendar.feed.Revision` (fingerprint, SEQUENCE, time of the
last change), so a changed session is published with a higher SEQUENCE and an
unchanged one with the same bytes. The file is written atomically; reading it
writes nothing. Read-modify-write holds a lock: a thread lock, plus
``flock`` on POSIX so that ``fitplug calendar`` and a running ``fitplug serve`` do not lose each other's update.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from fitplug.atomic import private_folder, write_atomic
from fitplug.calendar.feed import Revision, revise
from fitplug.model import Programme
from fitplug.settings import data_dir
from fitplug.times import utc_text

_FORMAT = 1
_lock = threading.Lock()


def revisions_path(programme_id: str) -> Path:
    return data_dir() / "feeds" / f"{programme_id}.json"


def load_revisions(programme_id: str) -> dict[str, Revision]:
    """The recorded revisions; a missing or unreadable file counts as none."""
    try:
        doc = json.loads(revisions_path(programme_id).read_text(encoding="utf-8"))
        sessions = doc["sessions"]
        return {
            key: Revision(
                fingerprint=str(value["fingerprint"]),
                sequence=int(value["sequence"]),
                changed_utc=dt.datetime.fromisoformat(value["changed_utc"]).astimezone(dt.UTC),
            )
            for key, value in sessions.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def update_revisions(programme: Programme, now: dt.datetime) -> dict[str, Revision]:
    """Revise the recorded revisions with ``programme`` at ``now``; save them if they changed.

    :class:`OutputError` says when the data folder cannot be written.
    """
    with _locked(programme.id):
        previous = load_revisions(programme.id)
        current = revise(programme, previous, now)
        if current != previous:
            _save(programme.id, current)
        return current


def _save(programme_id: str, revisions: Mapping[str, Revision]) -> None:
    doc = {
        "format": _FORMAT,
        "sessions": {
            key: {
                "fingerprint": rev.fingerprint,
                "sequence": rev.sequence,
                "changed_utc": utc_text(rev.changed_utc),
            }
            for key, rev in sorted(revisions.items())
        },
    }
    path = revisions_path(programme_id)
    private_folder(path.parent.parent)
    write_atomic(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


@contextlib.contextmanager
def _locked(programme_id: str) -> Iterator[None]:
    with _lock:
        try:
            import fcntl
        except ImportError:  # Windows: the thread lock is all there is
            yield
            return
        path = revisions_path(programme_id).with_suffix(".lock")
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # a read-only data folder: nothing will be written anyway
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

"""What the calendar feed keeps between runs, in fitplug's data folder.

- ``feed-token``: the secret in the subscription URL (mode 0600).
- ``feeds/<programme id>.json``: each session's :class:`~fitplug.ical.Revision`
  (fingerprint, SEQUENCE, time of the last change), so a changed session is
  published with a higher SEQUENCE and an unchanged one with the same bytes.

Both are small files written atomically. Read-modify-write of the revisions
holds a lock: a thread lock, plus ``flock`` on POSIX so that ``fitplug
calendar`` and a running ``fitplug serve`` do not lose each other's update.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from fitplug.atomic import write_atomic
from fitplug.errors import FeedError, OutputError
from fitplug.calendar.feed import Revision, revise
from fitplug.model import Programme
from fitplug.settings import data_dir

TOKEN_FILE = "feed-token"
#: secrets.token_urlsafe(32): 43 characters, 256 bits
TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_FORMAT = 1
_lock = threading.Lock()


def token_path() -> Path:
    return data_dir() / TOKEN_FILE


def feed_token(*, rotate: bool = False) -> str:
    """The feed's secret token: made on first use, replaced when ``rotate`` is set."""
    path = token_path()
    if not rotate:
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            text = None
        except (OSError, UnicodeDecodeError) as exc:
            raise FeedError(f"{path}: cannot read the feed token ({exc}); "
                            "make a new one with `fitplug serve --rotate-token`") from exc
        if text is not None:
            if not _TOKEN.match(text):
                raise FeedError(f"{path}: not a fitplug feed token; "
                                "make a new one with `fitplug serve --rotate-token`")
            _private(path)
            return text
    token = secrets.token_urlsafe(TOKEN_BYTES)
    _private_dir(path.parent)
    write_atomic(path, (token + "\n").encode("ascii"), private=True)
    _private(path)
    return token


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
                "changed_utc": rev.changed_utc.isoformat().replace("+00:00", "Z"),
            }
            for key, rev in sorted(revisions.items())
        },
    }
    path = revisions_path(programme_id)
    _private_dir(path.parent.parent)
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


def _private(path: Path) -> None:
    """Make ``path`` readable by its owner only (the token is a password)."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)


def _private_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the data folder: {exc.strerror or exc}") from exc

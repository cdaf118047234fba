"""The feeds' ledger: what each feed last gave out, so versions only go forward.

``feeds.json`` beside the settings (:func:`fitplug.settings.config_dir`) holds,
per programme id and event UID, the content key, SEQUENCE and change time of
the last version a writing command gave out (``calendar -o FILE``, ``build``,
``publish``, ``serve``), and the event's start and end then. It is what keeps
SEQUENCE from going down and unchanged events from churning when the feed goes
to a new path, a server restarts, or the remote copy was deleted or rewritten;
and what keeps a past event at the time it had when it happened.

Reading it never writes (``calendar -o -`` reads it to print what would be
published). Writes are a read-merge-write under a lock, atomic: two commands
at once keep both their versions; of two versions of one event, the higher
SEQUENCE is kept. An unreadable ledger counts as empty (a feed then falls back
on the previous copy), and every value in it is checked like a previous feed's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fitplug import settings
from fitplug.atomic import write_atomic
from fitplug.calendar.versions import MAX_SEQUENCE, Given, Previous, Stamp
from fitplug.errors import FitplugError

FILE_NAME = "feeds.json"
FORMAT = "fitplug.feeds/1"
#: a ledger larger than this is not read (one event is about 150 bytes)
MAX_BYTES = 16 * 1024 * 1024
_EPOCH_RANGE = range(631152000, 7258118400)  # 1990 to 2200


def path() -> Path:
    return settings.config_dir() / FILE_NAME


def read(programme_id: str) -> dict[str, Given]:
    """UID → :class:`Given` of the programme's feed; ``{}`` when none or unreadable. Writes nothing."""
    return _parse(_read_raw().get("feeds", {}).get(programme_id))


def record(programme_id: str, given: Mapping[str, Given]) -> None:
    """Add what a feed just gave out (an event's higher SEQUENCE wins; equal ones: the newer)."""
    if not given:
        return
    with _locked():
        raw = _read_raw()
        feeds = raw.setdefault("feeds", {})
        old = _parse(feeds.get(programme_id))
        merged = dict(old)
        for uid, g in given.items():
            o = old.get(uid)
            if o is None or g.previous.stamp.sequence >= o.previous.stamp.sequence:
                merged[uid] = g
        if merged == old:
            return
        feeds[programme_id] = {uid: _dump(g) for uid, g in sorted(merged.items())}
        raw["format"] = FORMAT
        try:
            write_atomic(path(), (json.dumps(raw, sort_keys=True, separators=(",", ":")) + "\n").encode())
        except FitplugError:
            raise
        except OSError as exc:
            raise FitplugError(f"{path()}: cannot write the feeds' ledger: {exc.strerror or exc}") from exc


def _dump(g: Given) -> list[Any]:
    s = g.previous.stamp
    return [g.previous.key, s.sequence, _epoch(s.changed_utc), _epoch(g.start_utc), _epoch(g.end_utc)]


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _parse(value: object) -> dict[str, Given]:
    out: dict[str, Given] = {}
    if not isinstance(value, dict):
        return out
    for uid, row in value.items():
        if not (isinstance(uid, str) and isinstance(row, list) and len(row) == 5):
            continue
        key, sequence, *times = row
        if not (
            isinstance(key, str) and len(key) == 64 and isinstance(sequence, int) and not isinstance(sequence, bool)
        ):
            continue
        if not 0 <= sequence <= MAX_SEQUENCE:
            continue
        if not all(isinstance(t, int) and not isinstance(t, bool) and t in _EPOCH_RANGE for t in times):
            continue
        changed, start, end = (dt.datetime.fromtimestamp(t, dt.UTC) for t in times)
        out[uid] = Given(Previous(key, Stamp(sequence, changed)), start, end)
    return out


def _read_raw() -> dict[str, Any]:
    try:
        with path().open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError:
        return {}
    if len(data) > MAX_BYTES:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(value, dict) or value.get("format") != FORMAT or not isinstance(value.get("feeds"), dict):
        return {}
    return value


def _locked() -> contextlib.AbstractContextManager[None]:
    """An exclusive lock beside the ledger."""
    return settings.file_lock(path().with_suffix(".lock"))

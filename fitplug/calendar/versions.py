"""Event versions derived from content, never stored.

A planned session's ``SEQUENCE`` and change time (``DTSTAMP``,
``LAST-MODIFIED``) come from the feed published before, when the caller has
it (the file ``fitplug calendar`` is about to replace, the copy ``fitplug
publish`` finds at the WebDAV URL, the feed ``fitplug serve`` served last):

- an event whose content (everything but those three properties) is the same
  as before keeps its version;
- an event whose content changed gets ``SEQUENCE + 1`` and the build time;
- an event that was not there starts at ``SEQUENCE:0``, stamped at the start
  of the build's day.

Nothing is kept in fitplug's folders, so the same programme gives the same
feed on any machine, and printing the feed writes nothing.

The previous feed is read as text (unfolded content lines), not through a
parser: fitplug wrote it, and a copy it cannot read simply counts as none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from icalendar import Event

#: properties that carry the version, left out of the content key
_VERSION_PROPERTIES = ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE")
#: previous feeds larger than this are not read (a feed of 520 weeks is under 5 MB)
MAX_PREVIOUS_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Stamp:
    """An event's version: its SEQUENCE and the time of its last change (UTC)."""

    sequence: int
    changed_utc: dt.datetime


@dataclass(frozen=True, slots=True)
class Previous:
    """An event as it was published: its content key and version."""

    key: str
    stamp: Stamp


def content_key(event: Event) -> str:
    """A hash of the event's content lines, without its version properties."""
    return _key(_unfold(bytes(event.to_ical()).decode("utf-8")))


def previous_versions(feed: bytes | None) -> Mapping[str, Previous]:
    """UID → :class:`Previous` for each top-level VEVENT of ``feed``; ``{}`` when unreadable."""
    if not feed or len(feed) > MAX_PREVIOUS_BYTES:
        return {}
    try:
        text = feed.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    out: dict[str, Previous] = {}
    block: list[str] | None = None
    depth = 0
    for line in _unfold(text):
        if line == "BEGIN:VEVENT" and block is None:
            block, depth = [line], 0
            continue
        if block is None:
            continue
        block.append(line)
        if line.startswith("BEGIN:"):
            depth += 1
        elif line.startswith("END:") and depth:
            depth -= 1
        elif line == "END:VEVENT":
            found = _previous(block)
            if found is not None:
                out[found[0]] = found[1]
            block = None
    return out


def _previous(lines: list[str]) -> tuple[str, Previous] | None:
    uid = sequence = changed = None
    depth = 0
    for line in lines[1:-1]:
        if line.startswith("BEGIN:"):
            depth += 1
        elif line.startswith("END:"):
            depth -= 1
        elif depth == 0:
            name, _, value = line.partition(":")
            name = name.split(";", 1)[0].upper()
            if name == "UID":
                uid = value
            elif name == "SEQUENCE" and value.isdigit():
                sequence = int(value)
            elif name == "DTSTAMP":
                try:
                    changed = dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
                except ValueError:
                    return None
    if uid is None or sequence is None or changed is None:
        return None
    return uid, Previous(_key(lines), Stamp(sequence, changed))


def _key(lines: list[str]) -> str:
    kept = []
    depth = 0
    for line in lines:
        if line.startswith("BEGIN:"):
            depth += 1
        elif line.startswith("END:"):
            depth -= 1
        name = line.partition(":")[0].split(";", 1)[0].upper()
        if depth == 1 and name in _VERSION_PROPERTIES:
            continue
        kept.append(line)
    return hashlib.sha256("\n".join(kept).encode("utf-8")).hexdigest()


def _unfold(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")
    return [line for line in text.split("\n") if line]

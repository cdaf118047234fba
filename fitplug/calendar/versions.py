"""Event versions, and what a file found where the feed goes is.

A planned session's ``SEQUENCE`` and change time (``DTSTAMP``,
``LAST-MODIFIED``) are decided from what is known of the versions given out
before: the feed published before, when the caller has it (the file
``fitplug calendar`` is about to replace, the copy ``fitplug publish`` finds
at the WebDAV URL, the feed ``fitplug serve`` served last), and the feed's
ledger (:mod:`fitplug.calendar.ledger`: what the writing commands gave out,
whatever the path or URL). Of all those versions of an event, the highest
SEQUENCE wins:

- when one of them has the content of now (everything but those three
  properties), the event keeps that version: it does not churn;
- else it gets that ``SEQUENCE + 1`` and the build time;
- an event nothing knows starts at ``SEQUENCE:0``, stamped at the start of
  the build's day.

So a SEQUENCE never goes down as long as the ledger or the previous copy
remembers it, whichever path, URL or server restart came in between.

The previous feed is read as text (unfolded content lines), not through a
parser, and every value is checked: a SEQUENCE that is not a small
non-negative integer, or a DTSTAMP that is not a plain UTC time, makes the
event unknown (a file with none readable is as good as none). A file that is
not fitplug's feed of the same programme (:func:`identify`) is never used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icalendar import Event

#: properties that carry the version, left out of the content key
_VERSION_PROPERTIES = ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE")
#: previous feeds larger than this are not read (a feed of 520 weeks is under 5 MB)
MAX_PREVIOUS_BYTES = 32 * 1024 * 1024
#: SEQUENCE values above this are not believed (fitplug raises one by one; a feed never gets near)
MAX_SEQUENCE = 1_000_000
_SEQUENCE = re.compile(r"[0-9]{1,7}")
_DTSTAMP = re.compile(r"[0-9]{8}T[0-9]{6}Z")
#: the years a believable DTSTAMP falls in
_YEARS = range(1990, 2200)
PRODID_PREFIX = "-//fitplug//"
UID_DOMAIN = "fitplug.invalid"


@dataclass(frozen=True, slots=True)
class Stamp:
    """An event's version: its SEQUENCE and the time of its last change (UTC)."""

    sequence: int
    changed_utc: dt.datetime


@dataclass(frozen=True, slots=True)
class Previous:
    """An event as it was given out: its content key and version."""

    key: str
    stamp: Stamp


@dataclass(frozen=True, slots=True)
class Given:
    """One event as a feed gave it out."""

    previous: Previous
    #: the event's start and end then (UTC)
    start_utc: dt.datetime
    end_utc: dt.datetime


def feed_id(programme_id: str) -> str:
    """The feed's identity (its ``X-WR-RELCALID``): never a UID, which readers take for an event's."""
    return f"feed.{programme_id}@{UID_DOMAIN}"


def content_key(event: Event) -> str:
    """A hash of the event's content lines, without its version properties."""
    return _key(_unfold(bytes(event.to_ical()).decode("utf-8")))


def choose(key: str, known: Iterable[Previous], fresh: Stamp, now: dt.datetime) -> Stamp:
    """The version of an event of content ``key``, from the versions ``known`` of it (see the module)."""
    versions = list(known)
    if not versions:
        return fresh
    top = max(v.stamp.sequence for v in versions)
    same = [v.stamp for v in versions if v.stamp.sequence == top and v.key == key]
    if same:
        return min(same, key=lambda s: s.changed_utc)
    latest = max(v.stamp.changed_utc for v in versions)
    return Stamp(top + 1, max(now, latest))


def previous_versions(feed: bytes | None) -> Mapping[str, Previous]:
    """UID → :class:`Previous` for each top-level VEVENT of ``feed``; ``{}`` when unreadable."""
    lines = _lines(feed)
    out: dict[str, Previous] = {}
    if lines is None:
        return out
    for block in _events(lines):
        found = _previous(block)
        if found is not None:
            out[found[0]] = found[1]
    return out


@dataclass(frozen=True, slots=True)
class Found:
    """What a file where the feed goes holds."""

    #: fitplug's feed of the programme asked about: it may be replaced
    own: bool
    #: what it is, in words for an error ("an iCalendar file made by …")
    what: str


def identify(data: bytes | None, programme_id: str) -> Found:
    """Whether ``data`` is fitplug's own feed of ``programme_id``, by its content (never its name).

    Its own: ``PRODID`` of fitplug and the feed's identity (``X-WR-RELCALID``, or the
    calendar-level ``UID`` older fitplugs wrote); or, for a copy a server rewrote
    (Radicale gives its own PRODID), at least one event and every event's UID one of
    this programme's.
    """
    if data is None:
        return Found(True, "nothing")
    lines = _lines(data)
    if lines is None or not lines or lines[0].upper() != "BEGIN:VCALENDAR":
        return Found(False, f"a file that is not an iCalendar feed ({_peek(data)})")
    if not any(line.upper() == "END:VCALENDAR" for line in lines):
        return Found(False, "an iCalendar file cut short (no END:VCALENDAR)")
    top = _top_properties(lines)
    prodid, ident = top.get("PRODID", ""), top.get("X-WR-RELCALID") or top.get("UID")
    ours = feed_id(programme_id)
    if prodid.startswith(PRODID_PREFIX) and ident == ours:
        return Found(True, "fitplug's feed of this programme")
    uids = [_top_properties(block).get("UID", "") for block in _events(lines)]
    mine = (f"plan.{programme_id}.", f"due.{programme_id}.")
    if uids and all(u.startswith(mine) and u.endswith("@" + UID_DOMAIN) for u in uids):
        return Found(True, "fitplug's feed of this programme, rewritten by the server")
    if prodid.startswith(PRODID_PREFIX) or (ident or "").endswith("@" + UID_DOMAIN):
        other = (ident or "").removeprefix("feed.").removesuffix("@" + UID_DOMAIN)
        return Found(False, f"fitplug's feed of another programme ({other or 'unnamed'!r})")
    return Found(False, f"an iCalendar file made by {prodid or 'an unnamed program'!r}, not fitplug")


# --- reading -----------------------------------------------------------------------


def _lines(feed: bytes | None) -> list[str] | None:
    if not feed or len(feed) > MAX_PREVIOUS_BYTES:
        return None
    try:
        text = feed.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return _unfold(text.removeprefix("\ufeff"))


def _peek(data: bytes) -> str:
    head = data[:40].decode("utf-8", "replace")
    shown = "".join(c if c.isprintable() else " " for c in head).strip()
    return f"it starts {shown!r}" if shown else "empty" if not data else "binary data"


def _events(lines: list[str]) -> Iterable[list[str]]:
    """Each top-level VEVENT block, BEGIN and END lines included."""
    block: list[str] | None = None
    depth = 0
    for line in lines:
        upper = line.upper()
        if upper == "BEGIN:VEVENT" and block is None:
            block, depth = [line], 0
            continue
        if block is None:
            continue
        block.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:") and depth:
            depth -= 1
        elif upper == "END:VEVENT":
            yield block
            block = None


def _top_properties(lines: list[str]) -> dict[str, str]:
    """The first value of each property directly in the outermost component of ``lines``."""
    out: dict[str, str] = {}
    depth = 0
    for line in lines[1:-1]:
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 0:
            name, _, value = line.partition(":")
            out.setdefault(name.split(";", 1)[0].upper(), value)
    return out


def _previous(lines: list[str]) -> tuple[str, Previous] | None:
    props = _top_properties(lines)
    uid, sequence, stamp = props.get("UID"), props.get("SEQUENCE"), props.get("DTSTAMP")
    if not uid or sequence is None or stamp is None:
        return None
    if not _SEQUENCE.fullmatch(sequence) or int(sequence) > MAX_SEQUENCE or not _DTSTAMP.fullmatch(stamp):
        return None
    try:
        changed = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    if changed.year not in _YEARS:
        return None
    return uid, Previous(_key(lines), Stamp(int(sequence), changed))


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

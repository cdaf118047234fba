"""The words of the feed: event descriptions, and text made safe for iCalendar values."""

from __future__ import annotations

import datetime as dt
import unicodedata

from fitplug.model import Exercise, Programme, Session
from fitplug.present import words


def describe_session(programme: Programme, session: Session) -> str:
    """The event description: what to do at the gym, exercise by exercise."""
    lines: list[str] = []
    if session.description:
        lines += [text(session.description, multiline=True), ""]
    lines.append(f"Watch workout: {text(session.name)} ({session.id}.fit), about {session.duration_min} min.")
    lines.append("")
    for n, exercise in enumerate(session.exercises, 1):
        lines += _describe_exercise(n, exercise)
    lines.append(f"Programme: {text(programme.name)} (fitplug)")
    return "\n".join(lines)


def _describe_exercise(n: int, e: Exercise) -> list[str]:
    head = words.dose(e)
    warmup = " (warm-up)" if e.intensity.value == "warmup" else ""
    details: list[str] = []
    if e.tempo is not None:
        details.append(f"tempo {e.tempo}: {e.tempo.up_s} s up, {e.tempo.hold_s} s hold, {e.tempo.down_s} s down")
    if e.band:
        details.append(f"{text(e.band)} band")
    elif e.equipment:
        details.append(text(e.equipment))
    if e.weight_kg:
        details.append(f"{e.weight_kg:g} kg")
    if e.rest_s is None:
        details.append("rest until you press lap")
    elif e.rest_s and e.sets > 1:
        details.append(f"rest {e.rest_s} s between sets")
    if e.per_side and e.side_rest_s:
        details.append(f"{e.side_rest_s} s to switch sides")
    lines = [f"{n}. {text(e.title)}{warmup}: {head}"]
    if details:
        lines.append("   " + " · ".join(details))
    if e.cue:
        lines.append("   Cue: " + text(e.cue))
    lines.append("")
    return lines


def duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (
        "PT"
        + (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{secs}S" if secs or not (hours or minutes) else "")
    )


#: calendar-level text: characters that would need an escape, and what shows instead
_PLAIN = str.maketrans({",": "\u201a", ";": "\uff1b", "\\": "\u2216", "\n": " "})


def plain(value: str | None) -> str:
    """Calendar-level text that needs no escape (see the module docstring)."""
    return " ".join(text(value, multiline=True).translate(_PLAIN).split())


def text(value: str | None, *, multiline: bool = False) -> str:
    """Text safe for an iCalendar TEXT value: control characters (other than new
    lines where allowed) dropped; icalendar escapes the rest."""
    if not value:
        return ""
    keep = "\n" if multiline else ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "".join(ch for ch in value if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs"))
    return cleaned.strip()

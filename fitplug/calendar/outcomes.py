"""The plan as it went: planned strength days merged with what the due rule found of them.

The due rule says of every planned strength day from its first day to
yesterday exactly one thing: done on the day, moved (done a day or so off:
``DueKind.STRENGTH_MOVED``), or missed (``DueKind.STRENGTH_MISSED``). The feed
shows each such day as ONE event, the planned session's own (its UID kept):

- done: ``✓ <session>``;
- moved: ``✓ <session> done, moved from …``, on the day it was done, at the
  planned time of day;
- missed: ``✗ <session> missed``.

The rule's moved and missed items are not shown beside it. An item whose
planned day is not a planned strength day of the programme any more (it was
edited since) stays an event of its own.

Done days need the first day the rule keeps books of (``first_day``): without
it (no sync yet) no day is marked done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fitplug.model import DueItem, DueKind, PlannedSession, SessionKind

DONE_MARK = "✓"
MISSED_MARK = "✗"
_PREFIX = {DueKind.STRENGTH_MISSED: "strength-missed-", DueKind.STRENGTH_MOVED: "strength-moved-"}


class Tracked(list[DueItem]):
    """Due items, with the first day the due rule keeps books of (``None``: nothing tracked yet)."""

    def __init__(self, items: Iterable[DueItem] = (), first_day: dt.date | None = None) -> None:
        super().__init__(items)
        self.first_day = first_day


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one planned strength day."""

    kind: DueKind | None  #: STRENGTH_MISSED, STRENGTH_MOVED, or ``None`` for done on the day
    item: DueItem | None = None

    @property
    def mark(self) -> str:
        return MISSED_MARK if self.kind is DueKind.STRENGTH_MISSED else DONE_MARK

    @property
    def category(self) -> str:
        return {DueKind.STRENGTH_MISSED: "Missed", DueKind.STRENGTH_MOVED: "Moved"}.get(self.kind, "Done")  # type: ignore[arg-type]


def planned_day(item: DueItem) -> dt.date | None:
    """The planned day a moved or missed strength item is about (from its key), else ``None``."""
    prefix = _PREFIX.get(item.kind)
    if prefix is None or not item.key.startswith(prefix):
        return None
    try:
        return dt.date.fromisoformat(item.key.removeprefix(prefix))
    except ValueError:
        return None


def merge(
    planned: Sequence[PlannedSession], items: Sequence[DueItem], first_day: dt.date | None, today: dt.date
) -> tuple[dict[tuple[str, dt.date], Outcome], list[DueItem]]:
    """(session id, day) → :class:`Outcome` of the planned strength sessions, and the items left to show."""
    first_strength: dict[dt.date, PlannedSession] = {}
    for p in planned:
        if p.session.kind is SessionKind.STRENGTH:
            first_strength.setdefault(p.date, p)
    out: dict[tuple[str, dt.date], Outcome] = {}
    rest: list[DueItem] = []
    for item in items:
        day = planned_day(item)
        hit = first_strength.get(day) if day is not None else None
        if hit is None or (hit.session.id, hit.date) in out:
            rest.append(item)
            continue
        out[(hit.session.id, hit.date)] = Outcome(item.kind, item)
    if first_day is not None:
        for day, p in first_strength.items():
            if first_day <= day < today:
                out.setdefault((p.session.id, p.date), Outcome(None))
    return out, rest

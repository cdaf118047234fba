"""The store's history through the due rule: what is due, done and missed.

The due rule itself (:mod:`fitplug.activities.due`) is pure; this module
feeds it from the store and records what it decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from fitplug.activities.due import (
    Decision,
    RunStretch,
    State,
    band_categories,
    band_settled,
    decide,
    lookback,
)
from fitplug.activities.store import Store, iso
from fitplug.errors import FitplugError
from fitplug.model import ActivitySummary, DueItem, Programme

_UTC = dt.UTC
#: meta key: when fitplug started keeping the due bookkeeping (see ``tracking_since``)
SINCE_KEY = "tracking_since_utc"


def tracking_since(store: Store | None, now: dt.datetime) -> dt.datetime:
    """When the due bookkeeping starts: Monday 00:00 UTC of the week before the first sync.

    Remembered in the store by the first sync that decides, so it never moves
    (a read-only store, or none, gives what that sync would remember). Older
    runs are history only: they make no due or missed items.
    """
    text = store.get_meta(SINCE_KEY) if store is not None else None
    if text is not None:
        return dt.datetime.fromisoformat(text)
    day = now.astimezone(_UTC).date()
    monday = day - dt.timedelta(days=day.weekday() + 7)
    since = dt.datetime.combine(monday, dt.time(0), tzinfo=_UTC)
    if store is not None and not store.read_only:
        store.set_meta(SINCE_KEY, iso(since) or "")
    return since


def due_items(store: Store, programme: Programme, now: dt.datetime) -> list[DueItem]:
    """The feed's items from the store: decided at ``now``, with updated time and sequence."""
    return decide_and_save(store, programme, now)[1]


def decide_and_save(store: Store, programme: Programme, now: dt.datetime) -> tuple[Decision, list[DueItem]]:
    """Decide at ``now`` and record the due items (with their time and sequence)."""
    decision = evaluate(store, programme, now)
    return decision, list(store.save_due(decision.items, now))


def evaluate(store: Store | None, programme: Programme, now: dt.datetime) -> Decision:
    """The due rule over what the store holds (no file is read); ``None``: an empty store.

    Only the activities the rule can look at are loaded (see :func:`recent_history`).
    """
    since = tracking_since(store, now)
    if store is None:
        return decide([], [], programme, now, since=since)
    bound = lookback(since, now)
    return decide(recent_history(store, programme, now, since), store.done_marks(bound), programme, now,
                  since=since)


def recent_history(
    store: Store, programme: Programme, now: dt.datetime, since: dt.datetime
) -> list[ActivitySummary]:
    """What :func:`decide` needs from the store to answer as it would over the whole history.

    Everything from :func:`~fitplug.activities.due.lookback` on; and, for band
    advice, older activities with a banded exercise's sets, in windows that
    double, until each banded exercise's streak is broken or nothing older is held.
    """
    bound = lookback(since, now)
    recent = store.history(bound)
    categories = band_categories(programme)
    first = store.first_start() if categories else None
    older: list[ActivitySummary] = []
    span = dt.timedelta(days=28)
    while first is not None and not band_settled([*recent, *older], programme, now, bound) and bound > first:
        bound -= span
        span *= 2
        held = {a.sha256 for a in recent}
        older = [a for a in store.history(bound, categories=categories) if a.sha256 not in held]
    return [*older, *recent]


def status(store: Store | None, programme: Programme, now: dt.datetime) -> tuple[Decision, list[DueItem]]:
    """What is due at ``now``, and the due items as the feed would show them; writes nothing."""
    decision = evaluate(store, programme, now)
    return decision, (store.preview_due(decision.items, now) if store is not None else
                      [replace(i, updated_utc=now.astimezone(_UTC).replace(microsecond=0), sequence=0)
                       for i in decision.items])



def mark_done(store: Store, programme: Programme, now: dt.datetime, at: dt.datetime) -> list[RunStretch]:
    """Record that the post-run set was done at ``at``; returns the sets it completed.

    Raises :class:`~fitplug.errors.FitplugError` when no post-run set was open then.
    """
    decision = evaluate(store, programme, now)
    open_then = [
        r for r in decision.runs
        if r.state is not State.DONE and r.run_start_utc < at and (r.lapse_utc is None or at < r.lapse_utc)
    ]
    if not open_then:
        raise FitplugError("no post-run stretch set is due, so there is nothing to mark done")
    store.add_done(at, now)
    after = {r.key: r for r in evaluate(store, programme, now).runs}
    return [after[r.key] for r in open_then if r.key in after]

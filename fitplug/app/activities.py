"""Activity queries and marks: ``status``, ``activities``, ``done`` (reading files: :mod:`fitplug.app.sync`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fitplug.activities import tracking
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import load_programme
from fitplug.errors import FitplugError
from fitplug.model import Decision, DueItem, Programme, RunStretch, StoredActivity


@dataclass(frozen=True, slots=True)
class Status:
    """What is due at a moment, and the programme it was decided for."""

    decision: Decision
    items: list[DueItem]
    programme: Programme


def status(programme_file: Path | None, *, db_path: Path, now: dt.datetime, weeks: int = 1) -> Status:
    """`fitplug status`: what is due (and the last ``weeks`` weeks' tallies), from the store alone; writes nothing."""
    programme = load_programme(programme_file).programme
    with reading(db_path) as store:
        decision, items = tracking.status(store, programme, now, weeks=weeks)
    return Status(decision, items, programme)


def stored_activities(db_path: Path) -> list[StoredActivity]:
    """`fitplug activities`: every stored activity; writes nothing."""
    with reading(db_path) as store:
        return store.activities() if store is not None else []


def planned_programme(programme_file: Path | None) -> Programme | None:
    """The programme to hold strength sessions against: the one named (its errors stand), else the
    remembered one when it loads (a listing works without it)."""
    if programme_file is not None:
        return load_programme(programme_file).programme
    try:
        return load_programme(None).programme
    except FitplugError:
        return None


def mark_done(
    programme_file: Path | None, *, db_path: Path, now: dt.datetime, at: dt.datetime
) -> tuple[list[RunStretch], Programme]:
    """`fitplug done`: record that the post-run set was done at ``at``; the sets it completed."""
    if at > now:
        raise FitplugError("--at is in the future")
    programme = load_programme(programme_file).programme
    with Store(db_path) as store:
        return tracking.mark_done(store, programme, now, at), programme

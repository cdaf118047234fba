"""Activity queries and marks: ``status``, ``activities``, ``done`` (reading files: :mod:`fitplug.app.sync`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fitplug.activities import tracking
from fitplug.activities.rule.classify import classify
from fitplug.activities.rule.legs import legs
from fitplug.activities.rule.plan import plan_against_done
from fitplug.activities.store.store import Store, reading
from fitplug.app.programme import programme_for
from fitplug.errors import FitplugError
from fitplug.model import ActivityRow, Marked, Programme, Status


def status(programme_file: Path | None, *, db_path: Path, now: dt.datetime, weeks: int = 1) -> Status:
    """`fitplug status`: what is due (and the last ``weeks`` weeks' tallies), from the store alone; writes nothing."""
    programme = programme_for(programme_file).programme
    with reading(db_path) as store:
        return tracking.status(store, programme, now, weeks=weeks)


def stored_activities(programme_file: Path | None, *, db_path: Path, now: dt.datetime) -> list[ActivityRow]:
    """`fitplug activities`: every stored activity, what it was, and each strength session against its plan
    when there is a programme (named, or the remembered one when it loads); writes nothing."""
    programme = _optional_programme(programme_file)
    with reading(db_path) as store:
        held = store.activities() if store is not None else []
        since = tracking.tracking_since(store, now, programme) if programme is not None else None
    rows = []
    for a in held:
        for n, leg in enumerate(legs(a.summary)):
            c = classify(leg, programme)
            plan = plan_against_done(leg, c, programme, since) if programme is not None else None
            rows.append(ActivityRow(a, n, leg, c, plan))
    return rows


def _optional_programme(programme_file: Path | None) -> Programme | None:
    """The programme named (its errors stand), else the remembered one when it loads (a listing works without)."""
    if programme_file is not None:
        return programme_for(programme_file).programme
    try:
        return programme_for(None).programme
    except FitplugError:
        return None


def mark_done(programme_file: Path | None, *, db_path: Path, now: dt.datetime, at: dt.datetime) -> Marked:
    """`fitplug done`: record that the post-run set was done at ``at``; the sets it completed."""
    if at > now:
        raise FitplugError("--at is in the future")
    programme = programme_for(programme_file).programme
    with Store(db_path) as store:
        return tracking.mark_done(store, programme, now, at)

"""The store through the due rule: what is due, done and missed, and what the store remembers of it.

The due rule itself (:mod:`fitplug.activities.rule`) is pure; this module
feeds it from the store (only what it can look at), words its answers as the
feed's items (:mod:`fitplug.present.items`) and records them (their versions),
and remembers when tracking started and when each band changed. Its answer
is a :class:`~fitplug.model.Status`: the same for ``sync`` and ``status``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace

from fitplug.activities.rule import habit, past
from fitplug.activities.rule.band import band_categories, band_records, band_settled, banded_exercises
from fitplug.activities.rule.due import decide, lookback, window
from fitplug.activities.store import kept
from fitplug.activities.store.logs import MAX_LOGGED_REPS, MAX_LOGGED_SETS
from fitplug.activities.store.rows import iso
from fitplug.activities.store.store import Store
from fitplug.errors import FitplugError
from fitplug.model import (
    ActivitySummary,
    Decision,
    DueItem,
    DueKind,
    Exercise,
    Logged,
    LoggedSets,
    Marked,
    Programme,
    Reps,
    RunHabit,
    State,
    Status,
)
from fitplug.model.lazy import Joined
from fitplug.present import words
from fitplug.present.items import due_items, item_keys
from fitplug.programme.schedule import upcoming, zone
from fitplug.times import UTC, local_midnight, whole_second_utc

#: items that close: what "since the last sync" lists
_CLOSED = frozenset({DueKind.STRETCH_DONE, DueKind.STRETCH_MISSED, DueKind.STRENGTH_MISSED, DueKind.STRENGTH_MOVED})
#: how far ahead "coming up" looks
COMING_DAYS = 7
#: meta key of fitplug before 0.x: the Monday before the first sync (still honoured, see ``tracking_since``)
SINCE_KEY = "tracking_since_utc"
#: meta key prefix: when the bookkeeping of one programme (by id) starts
START_KEY = "tracking_start_utc:"
#: meta key prefix: a banded exercise's current band and when it was first prescribed
BAND_KEY = "band:"


def tracking_since(store: Store | None, now: dt.datetime, programme: Programme | None = None) -> dt.datetime:
    """When the bookkeeping starts: nothing before it is due or missed.

    The programme's ``start`` date (local midnight) when it names one; else the
    local day fitplug first saw this programme in a command that writes (sync,
    done, a written feed), remembered in the store under the programme's id so
    it never moves; a query before any such command gives today, what that
    command would remember. A store from an older fitplug keeps its first
    sync's start (the Monday of the week before it).
    """
    if programme is not None and programme.start is not None:
        return local_midnight(programme.start, zone(programme.timezone))
    key = START_KEY + (programme.id if programme is not None else "")
    text = None
    if store is not None:
        text = store.get_meta(key) or store.get_meta(SINCE_KEY)
    if text:
        return dt.datetime.fromisoformat(text)
    tz: dt.tzinfo = zone(programme.timezone) if programme is not None else UTC
    return local_midnight(now.astimezone(tz).date(), tz)


def band_since(store: Store | None, programme: Programme, now: dt.datetime) -> dict[str, dt.datetime]:
    """For each banded exercise whose band was changed: when the current band was first prescribed.

    The store remembers each banded exercise's band; when the programme names
    another, the change counts from ``now`` (a query) or from the writing
    command that first sees it (remembered). An exercise seen with one band
    only has no entry: every session counts.
    """
    out: dict[str, dt.datetime] = {}
    for ex in banded_exercises(programme):
        held = _held_band(store.get_meta(BAND_KEY + f"{programme.id}:{ex.id}")) if store is not None else None
        if held is None:
            continue
        if (ex.band or "").casefold() != held[0].casefold():
            out[ex.id] = now.astimezone(UTC)
        elif held[1]:
            out[ex.id] = dt.datetime.fromisoformat(held[1])
    return out


def remember_programme(store: Store, programme: Programme, now: dt.datetime) -> None:
    """A writing command saw ``programme``: remember its first day and its bands (as :func:`band_since` reads)."""
    key = START_KEY + programme.id
    if programme.start is None and store.get_meta(key) is None:
        store.set_meta(key, iso(tracking_since(store, now, programme)) or "")
    for ex in banded_exercises(programme):
        name = BAND_KEY + f"{programme.id}:{ex.id}"
        held = _held_band(store.get_meta(name))
        if held is None:
            store.set_meta(name, json.dumps({"band": ex.band, "since": None}))
        elif held[0].casefold() != (ex.band or "").casefold():
            store.set_meta(name, json.dumps({"band": ex.band, "since": iso(now)}))


def _held_band(text: str | None) -> tuple[str, str | None] | None:
    """The remembered ``(band, since)`` of one exercise, or ``None``."""
    if text is None:
        return None
    try:
        held = json.loads(text)
        return str(held["band"]), held.get("since")
    except (ValueError, KeyError, TypeError):
        return None


def record(store: Store, programme: Programme, now: dt.datetime) -> Status:
    """Decide at ``now`` and record the items (their time and version): what a writing command sees."""
    remember_programme(store, programme, now)
    decision, _, used = _evaluated(store, programme, now)
    items, before = _versions(store, programme, now, decision, used, save=True)
    keep_settled(store, programme, now, decision, used, items)
    return _status(programme, now, decision, items, before)


def evaluate(store: Store | None, programme: Programme, now: dt.datetime, *, weeks: int = 1) -> Decision:
    """The due rule over what the store holds (no file is read, nothing is written); ``None``: an empty store.

    Only the activities the rule can look at are loaded (see :func:`recent_history`).
    """
    return evaluated(store, programme, now, weeks=weeks)[0]


def evaluated(
    store: Store | None, programme: Programme, now: dt.datetime, *, weeks: int = 1
) -> tuple[Decision, list[ActivitySummary]]:
    """:func:`evaluate`, with the history it read (:func:`recent_history`), for a caller that shows it too."""
    decision, held, _ = _evaluated(store, programme, now, weeks)
    return decision, held


def _evaluated(
    store: Store | None, programme: Programme, now: dt.datetime, weeks: int = 1
) -> tuple[Decision, list[ActivitySummary], kept.Kept | None]:
    """:func:`evaluated`, and the kept answer it used (``None``: it decided everything)."""
    since = tracking_since(store, now, programme)
    bands = band_since(store, programme, now)
    if store is None:
        return decide([], [], programme, now, since=since, band_since=bands, weeks=weeks), [], None
    logged = store.logs()
    used = kept_settled(store, programme, now, since, logged)
    settled = used.past if used is not None else None
    bound = window(settled, programme, now, weeks) if settled is not None else lookback(since, now, weeks)
    held = recent_history(store, programme, now, since, bands, weeks, logged, bound)
    return (
        decide(
            held,
            store.done_marks(bound),
            programme,
            now,
            since=since,
            band_since=bands,
            weeks=weeks,
            logged=logged,
            past=settled,
        ),
        held,
        used,
    )


def _versions(
    store: Store, programme: Programme, now: dt.datetime, decision: Decision, used: kept.Kept | None, *, save: bool
) -> tuple[Sequence[DueItem], int]:
    """The items of ``decision`` with their versions, saved (``save``) or as saving them would give; and
    how many of the first of them cannot have closed since ``now`` (see :func:`_status`).

    With a kept answer (``used``), its items stand as they were saved (and are made only when looked at):
    only the items after its cut are worded and held to their saved versions."""
    if used is not None:
        settled, settled_items = used.past, used.items
        runs, missed, moved = len(settled.runs), len(settled.missed), len(settled.moved)
        # the rule's answer begins with the kept part's own (``decide(..., past=)``)
        if (
            decision.settled == runs
            and _begins(decision.strength_missed, settled.missed)
            and _begins(decision.strength_moved, settled.moved)
        ):
            after = replace(
                decision,
                runs=decision.runs[runs:],
                strength_missed=decision.strength_missed[missed:],
                strength_moved=decision.strength_moved[moved:],
            )
            live = due_items(after, programme)
            fresh = store.save_due(live, now) if save else store.preview_due(live, now)
            # kept items were saved when the answer was kept, by then: none closed since a later ``now``
            before = len(settled_items) if settled.now < whole_second_utc(now) else 0
            if used.last is None or not fresh or (fresh[0].start_utc, fresh[0].key) > used.last:
                return Joined(settled_items, fresh), before
            return sorted([*settled_items, *fresh], key=lambda i: (i.start_utc, i.key)), 0
    items = due_items(decision, programme)
    return (store.save_due(items, now) if save else store.preview_due(items, now)), 0


def _settled_key(
    programme: Programme,
    since: dt.datetime,
    marks: str,
    logged: Sequence[LoggedSets],
    until: dt.datetime,
    now: dt.datetime,
) -> str:
    """What a kept answer was decided over: the programme, the tracking start, the ``done`` marks before
    ``until`` (their digest, :meth:`Store.fingerprint`) and the hand logs for days up to then, as logged by
    ``now``."""
    last = until.date() + dt.timedelta(days=2)  # any time zone's local day of ``until``
    logs = [
        (e.day.isoformat(), e.exercise, list(e.reps), e.pain) for e in logged if e.day <= last and e.logged_utc <= now
    ]
    text = json.dumps([kept.FORM, kept.code(), repr(programme), iso(since), marks, logs])
    return hashlib.sha256(text.encode()).hexdigest()


def _begins(whole: Sequence[object], part: Sequence[object]) -> bool:
    """``whole`` begins with ``part``'s own objects (as :func:`decide` puts a kept answer's first)."""
    return len(whole) >= len(part) and (not part or whole[len(part) - 1] is part[-1])


def kept_settled(
    store: Store, programme: Programme, now: dt.datetime, since: dt.datetime, logged: Sequence[LoggedSets]
) -> kept.Kept | None:
    """The settled answer the store keeps for ``programme`` (:mod:`fitplug.activities.rule.past`) and its
    items, when it was decided by ``now``, by this code (:func:`~fitplug.activities.store.kept.code`, in the
    key), over exactly what the store now holds before its ``until``; else ``None``."""
    head = store.kept_past(programme.id)
    if head is None or head[1] > now:
        return None
    until, _, key, held, text = head
    found = store.fingerprint(until, now, held)
    if found is None or key != _settled_key(programme, since, found[1], logged, until, now):
        return None
    return kept.decode(text, programme)


def keep_settled(
    store: Store,
    programme: Programme,
    now: dt.datetime,
    decision: Decision,
    used: kept.Kept | None,
    items: Sequence[DueItem],
) -> None:
    """Keep the settled part of ``decision`` (the whole answer at ``now``) and its ``items`` as saved, for
    the next commands.

    ``used``: the kept answer ``decision`` was decided from; one that ends at its ``until`` too was
    decided over these same records, and stands (its cut may be a week or so older)."""
    cut = past.cut_for(programme, now)
    if used is not None and used.past.cut == cut:
        return  # the same cut: the same settled part, which stands (and its runs need not be made)
    settled = past.settled(decision, programme, cut)
    if settled is None or (used is not None and settled.until == used.past.until) or kept.code() is None:
        return
    found = store.fingerprint(settled.until, now)
    keys = item_keys(settled.runs, settled.missed, settled.moved)
    text = kept.encode(settled, programme, [i for i in items if i.key in keys]) if found is not None else None
    if found is None or text is None:
        return
    key = _settled_key(programme, tracking_since(store, now, programme), found[1], store.logs(), settled.until, now)
    store.keep_past(programme.id, settled.until, now, key, found[0], text)


def recent_history(
    store: Store,
    programme: Programme,
    now: dt.datetime,
    since: dt.datetime,
    bands: dict[str, dt.datetime] | None = None,
    weeks: int = 1,
    logged: Sequence[LoggedSets] = (),
    bound: dt.datetime | None = None,
) -> list[ActivitySummary]:
    """What :func:`decide` needs from the store to answer as it would over the whole history.

    Everything from ``bound`` on (default :func:`~fitplug.activities.rule.due.lookback`); and, for band
    advice, older activities with a banded exercise's sets, in windows that
    double, until each banded exercise's streak is broken (or its band was
    changed) inside the window, or nothing older is held.
    """
    bound = lookback(since, now, weeks) if bound is None else bound
    recent = store.history(bound)
    categories = band_categories(programme)
    first = store.first_start() if categories else None
    older: list[ActivitySummary] = []
    span = dt.timedelta(days=28)
    # ``bound > first`` first: when nothing older is held, the (costly) settled test cannot matter
    while (
        first is not None
        and bound > first
        and not band_settled([*recent, *older], programme, now, bound, bands, logged)
    ):
        bound -= span
        span *= 2
        held = {a.sha256 for a in recent}
        older = [a for a in store.history(bound, categories=categories) if a.sha256 not in held]
    return [*older, *recent]


def status(store: Store | None, programme: Programme, now: dt.datetime, *, weeks: int = 1) -> Status:
    """What is due at ``now``, with the items as the feed would show them; writes nothing."""
    decision, _, used = _evaluated(store, programme, now, weeks)
    if store is not None:
        return _status(programme, now, decision, *_versions(store, programme, now, decision, used, save=False))
    items = due_items(decision, programme)
    return _status(programme, now, decision, [replace(i, updated_utc=whole_second_utc(now), sequence=0) for i in items])


def _status(
    programme: Programme, now: dt.datetime, decision: Decision, items: Sequence[DueItem], before: int = 0
) -> Status:
    """The rule's answer with its items, what closed since they were last recorded, and the coming week.

    ``before``: how many of the first items were saved before ``now`` (kept ones): none of them is looked at
    for what closed."""
    stamp = whole_second_utc(now)
    changed = tuple(
        i for i in items[before:] if i.kind in _CLOSED and i.updated_utc is not None and i.updated_utc >= stamp
    )
    ahead = now + dt.timedelta(days=COMING_DAYS)
    coming = tuple(p for p in upcoming(programme, now, limit=2 * COMING_DAYS) if p.start <= ahead)
    return Status(now, programme, decision, items if isinstance(items, Joined) else tuple(items), changed, coming)


def mark_done(store: Store, programme: Programme, now: dt.datetime, at: dt.datetime) -> Marked:
    """Record that the post-run set was done at ``at``; returns the sets it completed.

    Raises :class:`~fitplug.errors.FitplugError` when no post-run set was open
    then, saying why (``at`` before the run, the set already done or lapsed, no run).
    """
    remember_programme(store, programme, now)
    decision = evaluate(store, programme, now)
    open_then = [
        r
        for r in decision.runs
        if r.state is not State.DONE and r.run_start_utc < at and (r.lapse_utc is None or at < r.lapse_utc)
    ]
    if not open_then:
        raise FitplugError(why_nothing_open(decision, programme, now, at))
    store.add_done(at, now)
    after = {r.key: r for r in evaluate(store, programme, now).runs}
    return Marked(programme, now, at, tuple(after[r.key] for r in open_then if r.key in after))


def run_habit(store: Store, programme: Programme, now: dt.datetime) -> RunHabit:
    """When the runner runs (:func:`~fitplug.activities.rule.habit.run_habit` over the store's runs)."""
    return habit.run_habit(evaluate(store, programme, now).runs, programme, now)


def log_entry(
    programme: Programme,
    now: dt.datetime,
    exercise: str,
    day: dt.date | None = None,
    reps: Sequence[int] = (),
    *,
    pain: bool = False,
    undo: bool = False,
) -> tuple[Exercise, dt.date, LoggedSets | None]:
    """What `fitplug log` asks for, checked before anything is opened: the exercise, the local day
    (default: today, in the programme's time zone) and the entry (``None`` with ``undo``: take it back).

    Raises :class:`~fitplug.errors.FitplugError` for an exercise not in the programme, a day ahead of
    today, nothing to log, or counts no session holds.
    """
    ex = _exercise(programme, exercise)
    today = now.astimezone(zone(programme.timezone)).date()
    day = today if day is None else day
    if day > today:
        raise FitplugError(f"{words.day(day)} is ahead of today ({words.day(today)}): log what was done")
    if undo:
        if reps or pain:
            raise FitplugError("--undo takes back what was logged: give the exercise and --day alone")
        return ex, day, None
    if not reps and not pain:
        raise FitplugError(f"nothing to log: give the reps of each set (and side) of {ex.title}, or --pain")
    if len(reps) > MAX_LOGGED_SETS or any(not 0 <= n <= MAX_LOGGED_REPS for n in reps):
        raise FitplugError(f"at most {MAX_LOGGED_SETS} sets of 0 to {MAX_LOGGED_REPS} reps each can be logged")
    return ex, day, LoggedSets(day, ex.id, tuple(reps), pain, now.astimezone(UTC).replace(microsecond=0))


def log_sets(
    store: Store, programme: Programme, now: dt.datetime, ex: Exercise, day: dt.date, entry: LoggedSets | None
) -> Logged:
    """`fitplug log`: record ``entry`` (from :func:`log_entry`; ``None``: take back what was logged) for
    ``ex`` on ``day``; it stands for what the watch recorded that day. Raises
    :class:`~fitplug.errors.FitplugError` when there is nothing to take back."""
    if entry is None and not any(e.day == day and e.exercise == ex.id for e in store.logs()):
        raise FitplugError(f"nothing was logged for {ex.title} on {words.day(day)}")
    remember_programme(store, programme, now)
    before = store.set_log(entry, day, ex.id)
    decision = evaluate(store, programme, now)
    standing = None
    if entry is not None and ex.band and isinstance(ex.dose, Reps):
        standing = band_records([], programme, {}, [entry])[0].standing
    return Logged(programme, now, ex, day, entry, before, standing, decision)


def _exercise(programme: Programme, key: str) -> Exercise:
    """The programme's exercise by its key (as in ``[exercises.<key>]``), or an error naming the keys."""
    exercises = {e.id: e for s in programme.sessions for e in s.exercises}
    if key in exercises:
        return exercises[key]
    import difflib  # here: only a mistake is matched against what was meant

    close = difflib.get_close_matches(key, list(exercises), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise FitplugError(
        f"{key!r} is not an exercise of {programme.name}{hint} (its exercises: {', '.join(sorted(exercises))})"
    )


def why_nothing_open(decision: Decision, programme: Programme, now: dt.datetime, at: dt.datetime) -> str:
    """Why no post-run set was open at ``at``, in words that say what to do."""
    tz = zone(programme.timezone)
    local = at.astimezone(tz)
    when = words.day_time(local)
    later = [r for r in decision.runs if r.run_start_utc >= at and r.state is not State.DONE]
    if later:
        r = later[0]
        end = r.run_end_utc.astimezone(tz)
        return (
            f"{when} is before {words.run(r, tz, now.astimezone(tz).date())}: its post-run set counts from the end of "
            f"the run; give a time after {end:%H:%M} (or leave --at out for now)"
        )
    before = [r for r in decision.runs if r.run_start_utc < at]
    if before:
        r = before[-1]
        if r.state is State.DONE and r.done_utc is not None:
            return (
                f"the post-run set after {words.run(r, tz, now.astimezone(tz).date())} was already done at "
                f"{r.done_utc.astimezone(tz):%a %H:%M} ({r.done_by}); nothing else was due at {when}"
            )
        if r.lapse_utc is not None:
            return (
                f"the post-run set after {words.run(r, tz, now.astimezone(tz).date())} lapsed at "
                f"{r.lapse_utc.astimezone(tz):%a %d %b %H:%M}, before {when}; it stays missed"
            )
    first = f" since {words.day(decision.first_day)}" if decision.first_day else ""
    return (
        f"no run{first} before {when} made a post-run set due (runs of {programme.due.min_run_min} minutes "
        "or more do), so there is nothing to mark done"
    )

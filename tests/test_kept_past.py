"""The rule's settled answer kept in the store gives, at every later moment, the answer over everything (#23).

A writing command keeps the part of the answer before a cut 4 weeks back (post-run sets done or
missed, planned strength days missed or credited) with ``until``, the instant before which every record
it depends on starts. Later commands decide only from the cut on. Here every change a runner can make
lands before the cut, between the cut and ``until``, after it, or spans it: a file synced late (a run,
a stretch, a strength session, a multisport recording, one still going), a done mark, a hand log and
its undo; after each, the answer at several later moments is held to :func:`decide` over every record
the store holds, with the settled part in use where it may be and refused where it may not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import shutil
import sqlite3
import zoneinfo
from pathlib import Path

import pytest
from test_tracking_history import _summary, history, programme_file, strength, whole

from fitplug.activities import tracking
from fitplug.activities.rule import past
from fitplug.activities.store import kept
from fitplug.activities.store.store import Store
from fitplug.app import progress
from fitplug.model import (
    ActivitySession,
    ActivitySummary,
    Decision,
    DueItem,
    DueRule,
    Lapse,
    Programme,
    SessionKind,
    State,
    Weekday,
)
from fitplug.model.lazy import Joined, Later
from fitplug.present.items import due_items

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, 18, tzinfo=UTC)


def _kept(store: Store, programme: Programme, now: dt.datetime) -> past.Past | None:
    since = tracking.tracking_since(store, now, programme)
    found = tracking.kept_settled(store, programme, now, since, store.logs())
    return found[0] if found is not None else None


def _same(store: Store, programme: Programme, now: dt.datetime) -> None:
    """The answer, and its items with their versions, are those over every record the store holds."""
    for weeks in (1, 4, 5, 40):  # 4 and 5: the first week tallied begins about the cut
        assert tracking.evaluate(store, programme, now, weeks=weeks) == whole(store, programme, now, weeks), (
            now,
            weeks,
        )
    items = store.preview_due(due_items(whole(store, programme, now, 1), programme), now)
    status = tracking.status(store, programme, now)
    assert list(status.items) == items, now
    stamp = now.replace(microsecond=0)
    closed = [i for i in items if i.kind in tracking._CLOSED and i.updated_utc and i.updated_utc >= stamp]
    assert list(status.changed) == closed, now


def _store(store: Store, held: list[ActivitySummary], at: dt.datetime) -> None:
    """Each of ``held`` stored as a file of its own, as a sync at ``at`` stores it."""
    store.record_batch([(f"/a/{n}.fit", 1, 1, a) for n, a in enumerate(held)], at)


def _kept_history(tmp_path: Path) -> tuple[Programme, Path]:
    """A store holding a long history under a programme started in January, and the answer kept at NOW."""
    programme = programme_file(tmp_path, start="2026-01-05")
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        _store(store, history(programme), NOW)
        tracking.record(store, programme, NOW)
        assert _kept(store, programme, NOW) is not None
    return programme, db


def _by_hand(db: Path, *statements: str) -> None:
    """What a hand with sqlite3 does to the store (foreign keys enforced)."""
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA foreign_keys = ON")
        for statement in statements:
            raw.execute(statement)
    raw.close()  # `with` commits but leaves the connection open


def _variant(tmp_path: Path, lapse: Lapse, move_days: int) -> Programme:
    p = programme_file(tmp_path, start="2026-01-05")
    return dataclasses.replace(
        p,
        due=DueRule(min_run_min=20, lapse=lapse),
        targets=dataclasses.replace(p.targets, move_days=move_days),
    )


def _late(rng: random.Random, n: int, programme: Programme, at: dt.datetime) -> ActivitySummary:
    """A file synced late: a run, a stretch, a strength session or a run + strength recording."""
    roll = rng.random()
    if roll < 0.35:
        return _summary(n, at, "running", "road", rng.choice([25, 50]))
    if roll < 0.6:
        return _summary(n, at, "training", "yoga", 15)
    if roll < 0.85:
        return strength(n, programme, at, rng.choice([10, 14]))
    legs = (
        ActivitySession("running", "road", at, 0, 1800.0, 1800.0, 5000.0, 140),
        ActivitySession("training", "strength_training", at + dt.timedelta(minutes=35), 0, 900.0, 900.0, None, 110),
    )
    return ActivitySummary(f"{n:064x}", "activity", "garmin", "fr965", n, at, legs, None, ())


@pytest.mark.parametrize(("lapse", "move_days"), [(Lapse.END_OF_NEXT_DAY, 2), (Lapse.NEXT_RUN, 1)])
def test_every_late_change_gives_the_answer_over_everything(tmp_path: Path, lapse: Lapse, move_days: int) -> None:
    programme = _variant(tmp_path, lapse, move_days)
    # three Tuesdays in May and June whose session was done on the Wednesday instead (credited, not missed)
    tuesdays = {dt.date(2026, 5, 12), dt.date(2026, 5, 19), dt.date(2026, 6, 2)}
    held = [a for a in history(programme) if not (a.start_utc.date() in tuesdays and a.sets)]
    held += [
        strength(20_000 + k, programme, dt.datetime.combine(d + dt.timedelta(days=1), dt.time(7), UTC), 12)
        for k, d in enumerate(sorted(tuesdays))
    ]
    rng = random.Random(f"{lapse}{move_days}")
    db = tmp_path / "s.sqlite3"
    used = refused = 0
    moved_seen = False
    going_until = kept_at_start = NOW - dt.timedelta(days=40)
    with Store(db) as store:
        _store(store, held, kept_at_start)
        kept_at = kept_at_start
        tracking.record(store, programme, kept_at)
        settled = _kept(store, programme, kept_at)
        assert settled is not None and settled.runs and settled.missed  # something is kept, and used
        assert all(r.state is not State.DUE for r in settled.runs)
        n = 10_000  # past every id the history used
        for step in range(20):
            settled = _kept(store, programme, kept_at) or settled
            moved_seen |= bool(settled.moved)
            cut, until = settled.cut, settled.until
            where = step % 4  # before the cut, between it and ``until``, after ``until``, spanning the cut
            if where == 0:
                at = cut - dt.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
            elif where == 1:
                at = cut + (until - cut) * rng.random()
            else:
                at = until + dt.timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
            change = rng.choice(["file", "file", "mark", "log"])
            if where == 3:  # an activity from before the cut still going when the answer was kept (a clock gone wrong)
                start = cut - dt.timedelta(days=3)
                going_until = kept_at + dt.timedelta(days=1)
                seconds = (going_until - start).total_seconds()
                going = ActivitySession("running", "road", start, 0, seconds, None, None, 120)
                late = ActivitySummary(f"{n:064x}", "activity", "garmin", "fr965", n, start, (going,), None, ())
                store.record_batch([(f"/a/{n}.fit", 1, 1, late)], kept_at)
            elif change == "file":
                store.record_batch([(f"/a/{n}.fit", 1, 1, _late(rng, n, programme, at))], kept_at)
            elif change == "mark":
                store.add_done(at, kept_at, rng.choice([None, f"stretch-{at:%Y%m%d}T070000Z"]))
            else:  # a hand log for that day, or its undo
                ex = next(e for s in programme.sessions for e in s.exercises if e.band)
                day = at.date()
                entry = tracking.log_entry(programme, kept_at, ex.id, day, (13, 13, 13, 13, 13, 13))[2]
                logged = any(e.day == day and e.exercise == ex.id for e in store.logs())
                tracking.log_sets(store, programme, kept_at, ex, day, None if logged and rng.random() < 0.5 else entry)
            n += 1
            in_use = _kept(store, programme, kept_at)  # each change is made at the moment the answer was kept
            if where in (0, 1, 3):
                assert in_use is None, (where, change)  # what it was decided over changed: refused
                refused += 1
            else:
                used += in_use is not None
            for now in (kept_at, NOW + dt.timedelta(days=9)):
                _same(store, programme, now)
            if in_use is None or step % 3 == 2:  # a writing command keeps the answer afresh, later now and then
                kept_at = min(NOW, kept_at + dt.timedelta(days=rng.randint(0, 6)))
                tracking.record(store, programme, kept_at)
                # kept, unless an activity before its ``until`` was still going (then nothing is kept)
                assert _kept(store, programme, kept_at) is not None or kept_at < going_until + dt.timedelta(hours=1)
    assert used >= 3 and refused >= 10 and moved_seen


def test_an_answer_asked_before_it_was_kept_is_decided_afresh(tmp_path: Path) -> None:
    programme, db = _kept_history(tmp_path)
    with Store(db) as store:
        earlier = NOW - dt.timedelta(days=2)
        assert _kept(store, programme, earlier) is None
        _same(store, programme, earlier)


def test_another_programme_or_a_damaged_text_is_not_used(tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start="2026-01-05")
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        _store(store, history(programme), NOW)
        tracking.record(store, programme, NOW)
        later = programme_file(tmp_path, start="2026-02-02")  # the same id, another start
        tougher = dataclasses.replace(programme, targets=dataclasses.replace(programme.targets, move_days=0))
        for other in (later, tougher):
            assert _kept(store, other, NOW) is None
            _same(store, other, NOW)
    _by_hand(db, "UPDATE kept_past SET body = substr(body, 1, length(body) / 2)")
    with Store(db, read_only=True) as store:
        assert _kept(store, programme, NOW) is None
        _same(store, programme, NOW)


def test_the_kept_text_reads_back_as_it_was(tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start="2026-01-05")
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, history(programme), NOW)
        decision = tracking.evaluate(store, programme, NOW)
        every = tracking.status(store, programme, NOW).items
    settled = past.settled(decision, programme, past.cut_for(programme, NOW))
    assert settled is not None and settled.cut.astimezone(dt.UTC) < NOW - dt.timedelta(weeks=past.KEEP_WEEKS)
    assert len({r.done_by for r in settled.runs if r.done_by}) >= 2 and settled.missed
    items = [i for i in every if i.start_utc < settled.cut][::5]
    assert items and any(i.kind is not items[0].kind for i in items)
    text = kept.encode(settled, programme, items)
    found = kept.decode(text, programme) if text is not None else None
    assert found is not None and found.past == settled and found.items == tuple(items)
    assert found.last == (items[-1].start_utc, items[-1].key)
    assert kept.decode(text.replace(kept.FORM, "fitplug.past/0"), programme) is None


def test_a_query_keeps_nothing(tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start="2026-01-05")
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        _store(store, history(programme), NOW)
    with Store(db, read_only=True) as store:
        tracking.status(store, programme, NOW)
        assert store.kept_past(programme.id) is None


def test_a_set_open_across_the_cut_until_the_next_run_depends_on_what_came_before_that_run(tmp_path: Path) -> None:
    """Lapse at the next run, and no run for three weeks after the last one before the cut: a stretch
    synced late, a fortnight after the cut, still completes that run's set."""
    programme = dataclasses.replace(programme_file(tmp_path), due=DueRule(min_run_min=20, lapse=Lapse.NEXT_RUN))
    kept_at = NOW - dt.timedelta(days=10)
    cut = past.cut_for(programme, kept_at)
    runs = [cut - dt.timedelta(days=d, hours=17) for d in range(1, 60)]
    runs += [
        cut + dt.timedelta(days=21 + d, hours=7) for d in range(0, 120, 2) if cut + dt.timedelta(days=21 + d) < kept_at
    ]
    held = [_summary(n, t, "running", "road", 30) for n, t in enumerate(sorted(runs))]
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, held, kept_at)
        tracking.record(store, programme, kept_at)
        settled = _kept(store, programme, kept_at)
        assert settled is not None and settled.until >= cut + dt.timedelta(days=21)
        late = _summary(900, cut + dt.timedelta(days=14), "training", "yoga", 20)
        store.record_batch([("/a/late.fit", 1, 1, late)], kept_at)
        assert _kept(store, programme, kept_at) is None
        _same(store, programme, kept_at)
        assert tracking.evaluate(store, programme, kept_at).runs[len(settled.runs) - 1].state is State.DONE


def test_a_day_credited_before_the_cut_is_not_credited_again_after_it(tmp_path: Path) -> None:
    """Strength on Sunday and Tuesday, one day's reach: Sunday before the cut missed, a session on the
    Monday of the cut credited to it; Tuesday then has nothing of its own and no day to borrow."""
    base = programme_file(tmp_path)
    sessions = tuple(
        dataclasses.replace(s, days=(Weekday.SUN, Weekday.TUE)) if s.kind is SessionKind.STRENGTH else s
        for s in base.sessions
    )
    programme = dataclasses.replace(
        base, sessions=sessions, targets=dataclasses.replace(base.targets, move_days=1), start=dt.date(2026, 5, 3)
    )
    kept_at = NOW - dt.timedelta(days=3)
    cut = past.cut_for(programme, kept_at)
    monday = cut.astimezone(dt.UTC) + dt.timedelta(hours=12)
    held = [strength(1, programme, monday, 12)]
    with Store(tmp_path / "s.sqlite3") as store:
        store.record_batch([("/a/1.fit", 1, 1, held[0])], kept_at)
        tracking.record(store, programme, kept_at)
        settled = _kept(store, programme, kept_at)
        assert settled is not None and [m.done for m in settled.moved] == [monday.date()]
        decision = tracking.evaluate(store, programme, kept_at)
        assert monday.date() + dt.timedelta(days=1) in [d for d, _ in decision.strength_missed]
        _same(store, programme, kept_at)


def test_an_activity_going_when_the_answer_was_kept_is_counted_once_it_is_over(tmp_path: Path) -> None:
    """A run that started before the cut and, by its recorded length, was still going when the answer was
    kept (a watch's clock gone wrong): nothing is kept then, and the answer once it is over counts it."""
    programme = programme_file(tmp_path, start="2026-01-05")
    kept_at = NOW - dt.timedelta(days=5)
    cut = past.cut_for(programme, kept_at)
    held = list(history(programme))
    start = cut - dt.timedelta(days=2)
    going = ActivitySession(
        "running", "road", start, 0, (kept_at + dt.timedelta(days=1) - start).total_seconds(), None, None, 1
    )
    held.append(ActivitySummary(f"{30_000:064x}", "activity", "garmin", "fr965", 1, start, (going,), None, ()))
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, held, kept_at)
        tracking.record(store, programme, kept_at)
        assert _kept(store, programme, kept_at) is None
        for later in (kept_at + dt.timedelta(days=2), NOW):
            _same(store, programme, later)


def test_a_set_still_open_moves_the_cut_back_before_its_run(tmp_path: Path) -> None:
    """Lapse at the next run, and no run for half a year: the last run's set is still due, so what is kept
    ends before that run's week and the answer is the one over everything."""
    programme = dataclasses.replace(programme_file(tmp_path), due=DueRule(min_run_min=20, lapse=Lapse.NEXT_RUN))
    last = NOW - dt.timedelta(weeks=26)
    held = [_summary(n, last - dt.timedelta(days=2 * n), "running", "road", 30) for n in range(40)]
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, held, NOW)
        tracking.record(store, programme, NOW)
        settled = _kept(store, programme, NOW)
        assert settled is not None and last - dt.timedelta(days=7) < settled.cut <= last
        assert settled.runs and all(r.state is State.MISSED for r in settled.runs)
        assert tracking.evaluate(store, programme, NOW).due[0].run_start_utc == last
        _same(store, programme, NOW)


def test_the_page_shows_the_last_four_strength_sessions_however_long_ago(tmp_path: Path) -> None:
    """No strength session in the last 20 weeks, and the earlier ones free lifts (no banded set, so the
    band's look-back does not load them): the rule reads only from its cut on, and the page still shows
    the last four sessions since the tracking start."""
    programme = programme_file(tmp_path, start="2026-01-05")
    held = [a for a in history(programme) if not a.sets]
    lifts = [NOW - dt.timedelta(weeks=20 + k, hours=5) for k in range(6)]
    held += [_summary(40_000 + k, t, "training", "strength_training", 30) for k, t in enumerate(lifts)]
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, held, NOW)
        tracking.record(store, programme, NOW)
        assert _kept(store, programme, NOW) is not None
        page = progress.page_data(store, programme, NOW)
    assert [s.day for s in page.sessions] == sorted(t.date() for t in lifts)[-4:]


def test_an_activity_taken_out_by_hand_is_noticed(tmp_path: Path) -> None:
    """The store never removes an activity, but a hand with sqlite3 can: the kept answer is refused."""
    programme, db = _kept_history(tmp_path)
    _by_hand(
        db,
        "DELETE FROM files WHERE activity_id = (SELECT min(id) FROM activities)",
        "DELETE FROM activities WHERE id = (SELECT min(id) FROM activities)",
    )
    with Store(db, read_only=True) as store:
        assert _kept(store, programme, NOW) is None
        _same(store, programme, NOW)


def test_each_week_counts_the_post_run_sets_of_its_runs(tmp_path: Path) -> None:
    """The tallies look only at the sets that can fall in their weeks: every week's counts are those of the
    runs whose end falls in it (local days, up to today), over every run of the answer."""
    programme = programme_file(tmp_path, start="2026-01-05")
    tz = zoneinfo.ZoneInfo(programme.timezone)
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, history(programme), NOW)
        tracking.record(store, programme, NOW)
        for weeks in (1, 12, 40):
            decision = tracking.evaluate(store, programme, NOW, weeks=weeks)
            today = NOW.astimezone(tz).date()
            assert len(decision.weeks) == weeks
            for w in decision.weeks:
                ends = [
                    (d, r.state)
                    for r in decision.runs
                    if w.week_start <= (d := r.run_end_utc.astimezone(tz).date()) < w.week_start + dt.timedelta(days=7)
                    and d <= today
                ]
                counts = (w.post_run_done, w.post_run_missed, w.post_run_due)
                assert counts == tuple(sum(s is st for _, s in ends) for st in (State.DONE, State.MISSED, State.DUE))
            assert sum(w.post_run_done + w.post_run_missed for w in decision.weeks) > 0


def test_the_kept_items_are_not_worded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a kept answer, only the post-run sets after its cut are worded; the items are those over
    everything, with their saved versions (the random walk above holds them to it after every change)."""
    programme = programme_file(tmp_path, start="2026-01-05")
    worded: list[int] = []
    real = tracking.due_items

    def counting(decision: Decision, programme: Programme) -> tuple[DueItem, ...]:
        worded.append(len(decision.runs))
        return real(decision, programme)

    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, history(programme), NOW)
        tracking.record(store, programme, NOW)
        settled = _kept(store, programme, NOW)
        assert settled is not None and len(settled.runs) > 20
        monkeypatch.setattr(tracking, "due_items", counting)
        later = NOW + dt.timedelta(hours=3)
        status = tracking.record(store, programme, later)
        assert worded == [len(status.decision.runs) - len(settled.runs)]
        _same(store, programme, later)


def test_an_answer_kept_by_other_code_is_decided_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept answer names the code it came from: another fitplug (a fix of the rule or of its words)
    decides everything again, and keeps its own."""
    programme = programme_file(tmp_path, start="2026-01-05")
    with Store(tmp_path / "s.sqlite3") as store:
        _store(store, history(programme), NOW)
        tracking.record(store, programme, NOW)
        assert _kept(store, programme, NOW) is not None
        monkeypatch.setattr(kept, "code", lambda: "another fitplug")
        assert _kept(store, programme, NOW) is None
        _same(store, programme, NOW)
        tracking.record(store, programme, NOW + dt.timedelta(days=8))
        assert _kept(store, programme, NOW + dt.timedelta(days=8)) is not None
        monkeypatch.setattr(kept, "code", lambda: None)  # no source to name it by: nothing is used
        assert _kept(store, programme, NOW + dt.timedelta(days=8)) is None


def test_the_code_digest_follows_every_byte_of_the_source(tmp_path: Path) -> None:
    source = Path(kept.__file__).resolve().parents[2]
    copy = tmp_path / "fitplug"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.json"))
    assert kept.source_digest(copy) == kept.code() is not None
    words = copy / "present" / "words.py"
    words.write_bytes(words.read_bytes().replace(b"missed", b"skipped", 1))
    changed = kept.source_digest(copy)
    assert changed is not None and changed != kept.code()
    (copy / "activities" / "rule" / "extra.py").write_text("")
    assert kept.source_digest(copy) not in (changed, None)
    shutil.rmtree(copy / "model")
    assert kept.source_digest(copy) is None


def test_a_command_with_a_kept_answer_makes_none_of_its_sets(tmp_path: Path) -> None:
    """The kept sets are held as text and made only when looked at: a status or a sync in the same cut
    (the week's tally, what is due, the items) never looks at them; a tally of forty weeks does."""
    programme = programme_file(tmp_path, start="2026-01-05")
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        _store(store, history(programme), NOW)
        tracking.record(store, programme, NOW)
        later = NOW + dt.timedelta(hours=5)
        for answer in (tracking.status(store, programme, later), tracking.record(store, programme, later)):
            runs = answer.decision.runs
            assert isinstance(runs, Joined) and isinstance(runs.first, Later) and len(runs.first) > 20
            assert answer.decision.due == whole(store, programme, later, 1).due  # looked at, the same
            assert not runs.first.made
            assert isinstance(answer.items, Joined) and not answer.items.first.made  # type: ignore[attr-defined]
        weeks = tracking.evaluate(store, programme, later, weeks=40)
        assert isinstance(weeks.runs, Joined) and isinstance(weeks.runs.first, Later) and weeks.runs.first.made
        _same(store, programme, later)


def test_a_kept_text_changed_by_hand_is_not_used(tmp_path: Path) -> None:
    """A hand's edit that leaves the text well formed (a set made missed) is found by the text's check:
    the sets are made long after it was read, and must be as they were kept."""
    programme, db = _kept_history(tmp_path)
    _by_hand(db, """UPDATE kept_past SET body = replace(body, '"done"', '"missed"')""")
    with Store(db, read_only=True) as store:
        assert '"missed"' in store.kept_past(programme.id)[4]  # type: ignore[index]
        assert _kept(store, programme, NOW) is None
        _same(store, programme, NOW)

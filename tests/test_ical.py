"""The calendar feed: read back with icalendar and recurring-ical-events, across clock changes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import vobject
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from fitplug.app import calendar as build
from fitplug.atomic import write_atomic
from fitplug.calendar import feed as ical
from fitplug.calendar import zones
from fitplug.model import DueItem, DueKind, Programme, Weekday
from fitplug.programme.load import parse_programme, template_names, template_text

UTC = dt.UTC
GOLDEN = Path(__file__).parent / "data" / "golden"

#: (zone, first day of a window, the clock change inside it)
DST_WINDOWS = [
    ("Europe/London", dt.date(2026, 10, 5), "autumn: BST→GMT 25 Oct 2026"),
    ("Europe/London", dt.date(2027, 3, 8), "spring: GMT→BST 28 Mar 2027"),
    ("America/New_York", dt.date(2026, 10, 12), "autumn: EDT→EST 1 Nov 2026"),
    ("America/New_York", dt.date(2027, 2, 22), "spring: EST→EDT 14 Mar 2027"),
    ("Australia/Sydney", dt.date(2026, 9, 14), "spring: AEST→AEDT 4 Oct 2026"),
    ("Australia/Sydney", dt.date(2027, 3, 15), "autumn: AEDT→AEST 4 Apr 2027"),
]


def programme_text(name: str = "glute-runner", tz: str | None = None, **replace: str) -> str:
    text = template_text(name)
    if tz is not None:
        text = re.sub(r'^timezone = "[^"]*"', f'timezone = "{tz}"', text, count=1, flags=re.MULTILINE)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def load(name: str = "glute-runner", tz: str | None = None, **replace: str) -> Programme:
    return parse_programme(programme_text(name, tz, **replace), f"{name}.toml")


def due_items(now: dt.datetime) -> list[DueItem]:
    return [
        DueItem(
            DueKind.STRETCH_DUE,
            "stretch-1f3a9c",
            now - dt.timedelta(hours=2),
            now + dt.timedelta(hours=22),
            "Post-run stretch due",
            "42 min run at 07:10.\nPigeon Pose, then Lying Figure-Four.",
            updated_utc=now - dt.timedelta(hours=2),
            sequence=0,
        ),
        DueItem(
            DueKind.STRENGTH_MISSED,
            "strength-missed-2026-11-17",
            dt.datetime(2026, 11, 17, 7, tzinfo=UTC),
            dt.datetime(2026, 11, 17, 7, 35, tzinfo=UTC),
            "Strength session missed",
            updated_utc=dt.datetime(2026, 11, 18, 0, 0, 1, tzinfo=UTC),
            sequence=2,
        ),
    ]


# --- wall-clock times across clock changes ------------------------------------------


@pytest.mark.parametrize(
    ("tz", "first", "change"), DST_WINDOWS, ids=[f"{z}-{c.split(':')[0]}" for z, _, c in DST_WINDOWS]
)
@pytest.mark.parametrize("template", ["glute-runner", "stretches"])
def test_occurrences_keep_the_session_time_across_clock_changes(
    tz: str, first: dt.date, change: str, template: str
) -> None:
    programme = load(template, tz)
    now = dt.datetime.combine(first, dt.time(12), UTC)
    feed = ical.render_feed(programme, [], now=now, start=first, weeks=6)
    cal = Calendar.from_ical(feed.body)
    zone = ZoneInfo(tz)
    # The feed's own VTIMEZONE, read as a tzinfo: what a client that trusts the
    # feed (rather than its own zone database) computes.
    (vtimezone,) = cal.timezones
    feed_zone = vtimezone.to_tz()
    begin = dt.datetime.combine(first, dt.time(0), zone)
    occurrences = recurring_ical_events.of(cal).between(begin, begin + dt.timedelta(weeks=6))
    sessions = {s.id: s for s in programme.sessions}
    expected = sum(len(s.days) for s in programme.sessions) * 6
    assert len(occurrences) == expected
    offsets = set()
    for event in occurrences:
        start = event["DTSTART"].dt
        session = sessions[str(event["UID"]).split(".")[2]]
        assert event["DTSTART"].params["TZID"] == tz
        local = start.astimezone(zone)
        assert local.time() == session.time, (change, event["UID"])
        assert Weekday(local.weekday()) in session.days
        assert event["DTEND"].dt - start == dt.timedelta(minutes=session.duration_min)
        # the VTIMEZONE gives the same instant as the zone database
        wall = start.replace(tzinfo=None)
        assert wall.replace(tzinfo=feed_zone).astimezone(UTC) == start.astimezone(UTC), event["UID"]
        offsets.add(local.utcoffset())
    assert len(offsets) == 2, f"the window should span {change}"


def test_a_time_the_spring_change_skips_is_written_as_the_real_wall_clock() -> None:
    # 01:30 on 28 Mar 2027 does not exist in London: the clock jumps 01:00 → 02:00.
    text = programme_text(
        "stretches",
        "Europe/London",
        **{'time = "18:30"': 'time = "01:30"', 'days = ["mon", "wed", "sat"]': 'days = ["sun"]'},
    )
    programme = parse_programme(text)
    feed = ical.render_feed(
        programme, [], now=dt.datetime(2027, 3, 20, tzinfo=UTC), start=dt.date(2027, 3, 22), weeks=2
    )
    body = feed.body.decode()
    # a non-existent local time would be resolved differently by different clients
    assert "DTSTART;TZID=Europe/London:20270328T023000" in body
    assert "DTSTART;TZID=Europe/London:20270404T013000" in body


REPEATED_AND_SKIPPED = [
    # zone, change day, session time, what the hour is that day
    ("Europe/London", dt.date(2027, 10, 31), "01:30", "repeated"),
    ("America/New_York", dt.date(2027, 11, 7), "01:30", "repeated"),
    ("Australia/Sydney", dt.date(2027, 4, 4), "02:30", "repeated"),
    ("Europe/London", dt.date(2027, 3, 28), "01:30", "skipped"),
    ("America/New_York", dt.date(2027, 3, 14), "02:30", "skipped"),
    ("Australia/Sydney", dt.date(2026, 10, 4), "02:30", "skipped"),
]


@pytest.mark.parametrize(
    ("tz", "day", "time", "what"), REPEATED_AND_SKIPPED, ids=[f"{z}-{d}-{t}" for z, d, t, _ in REPEATED_AND_SKIPPED]
)
def test_a_session_in_a_repeated_hour_is_written_as_one_utc_instant(
    tz: str, day: dt.date, time: str, what: str
) -> None:
    text = programme_text(
        "stretches", tz, **{'time = "18:30"': f'time = "{time}"', 'days = ["mon", "wed", "sat"]': 'days = ["sun"]'}
    )
    programme = parse_programme(text)
    first = day - dt.timedelta(days=7)
    body = ical.render_feed(programme, [], now=dt.datetime.combine(first, dt.time(9), UTC), start=first, weeks=2).body
    zone = ZoneInfo(tz)
    wall = dt.datetime.combine(day, dt.time.fromisoformat(time))
    events = events_by_uid(body)
    event = events[f"plan.glute-stretches.glute-stretch.{day}@fitplug.invalid"]
    start = event["DTSTART"].dt  # type: ignore[index]
    if what == "repeated":
        # the first of the two 01:30s, in UTC, so no reader can pick the other one
        assert "TZID" not in event["DTSTART"].params and start.utcoffset() == dt.timedelta(0)  # type: ignore[index]
        assert event["DTSTART"].to_ical().endswith(b"Z")  # type: ignore[index]
        assert start == wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    else:
        # moved on by the gap to a wall-clock time that exists once: local time is safe
        assert event["DTSTART"].params["TZID"] == tz  # type: ignore[index]
        assert start.replace(tzinfo=None) == wall + dt.timedelta(hours=1)
    assert event["DTEND"].dt - start == dt.timedelta(minutes=programme.sessions[0].duration_min)  # type: ignore[index]
    # the week after, the same session is an ordinary local time again
    other = events[f"plan.glute-stretches.glute-stretch.{day - dt.timedelta(days=7)}@fitplug.invalid"]
    assert other["DTSTART"].params["TZID"] == tz  # type: ignore[index]


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Australia/Sydney"])
def test_vtimezone_is_rrule_style_for_zones_with_a_yearly_rule(tz: str) -> None:
    feed = ical.render_feed(
        load(tz=tz), [], now=dt.datetime(2026, 1, 1, tzinfo=UTC), start=dt.date(2026, 1, 5), weeks=520
    )
    (vtimezone,) = Calendar.from_ical(feed.body).timezones
    assert [sub.name for sub in vtimezone.subcomponents] in (["DAYLIGHT", "STANDARD"], ["STANDARD", "DAYLIGHT"])
    for sub in vtimezone.subcomponents:
        assert sub["DTSTART"].dt.year == 1970 and "RDATE" not in sub
        assert sub["RRULE"]["FREQ"] == ["YEARLY"]
    assert b"RDATE" not in feed.body


@pytest.mark.parametrize(
    "tz", ["Europe/London", "America/New_York", "Australia/Sydney", "America/Santiago", "Africa/Casablanca"]
)
def test_vtimezone_onsets_are_the_real_changes_read_with_tzoffsetfrom(tz: str) -> None:
    """RFC 5545 §3.6.5: DTSTART of an observance is local time in TZOFFSETFROM; every
    change from 2026 to 2028 is one of the block's onsets, and every onset is a change."""
    vtimezone = zones.vtimezone(tz, dt.date(2026, 1, 5), dt.date(2028, 1, 3))
    zone = ZoneInfo(tz)
    onsets = []
    span = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC))
    for sub in vtimezone.subcomponents:
        offset_from, offset_to = sub["TZOFFSETFROM"].td, sub["TZOFFSETTO"].td
        rdates = sub.get("RDATE", [])
        rdates = rdates if isinstance(rdates, list) else [rdates]
        assert all(len(r.dts) == 1 for r in rdates)  # one value per line, for ical.js
        locals_ = [sub["DTSTART"].dt, *(r.dts[0].dt for r in rdates)]
        if "RRULE" in sub:
            rule = rrulestr(sub["RRULE"].to_ical().decode(), dtstart=sub["DTSTART"].dt)
            locals_ = rule.between(dt.datetime(2025, 12, 30), dt.datetime(2028, 1, 2))
        for local in locals_:
            instant = (local - offset_from).replace(tzinfo=UTC)
            if not span[0] <= instant < span[1] or offset_from == offset_to:
                continue
            before = (instant - dt.timedelta(seconds=1)).astimezone(zone).utcoffset()
            after = instant.astimezone(zone).utcoffset()
            assert before == offset_from and after == offset_to, (tz, local)
            onsets.append(instant)
    changes = [c for c in zones._changes(zone, *span) if c.before.offset != c.after.offset]
    assert len(onsets) == len(changes) >= 4  # two changes a year at least
    if tz in ("Africa/Casablanca", "America/Santiago"):
        # Casablanca's changes follow Ramadan; Santiago's fall on the first Sunday on or after
        # the 2nd, not always the n-th Sunday: no nth-weekday rule, so one RDATE a line
        assert all("RRULE" not in sub for sub in vtimezone.subcomponents)


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo"])
def test_zones_without_clock_changes(tz: str) -> None:
    feed = ical.render_feed(load(tz=tz), [], now=dt.datetime(2026, 11, 22, tzinfo=UTC))
    cal = Calendar.from_ical(feed.body)
    for event in cal.walk("VEVENT"):
        assert event["DTSTART"].dt.astimezone(ZoneInfo(tz)).time() == dt.time(7, 0)


# --- identity, versions, determinism ----------------------------------------------------


def test_same_input_gives_the_same_bytes(fixed_now: dt.datetime) -> None:
    programme = load()
    first = ical.render_feed(programme, due_items(fixed_now), now=fixed_now)
    second = ical.render_feed(load(), list(reversed(due_items(fixed_now))), now=fixed_now)
    assert first.body == second.body
    assert first.etag == second.etag


def test_calendar_file_twice_on_one_day_is_byte_identical(tmp_path: Path, fixed_now: dt.datetime) -> None:
    path = tmp_path / "feed.ics"
    write_atomic(path, build.calendar_feed(load(), now=fixed_now, due_items=due_items(fixed_now)).body)
    before = path.read_bytes()
    later = fixed_now + dt.timedelta(hours=5)  # same day in London: the window has not moved
    write_atomic(path, build.calendar_feed(load(), now=later, due_items=due_items(fixed_now), previous=before).body)
    assert path.read_bytes() == before
    assert "DTSTAMP:20261122T000000Z" in before.decode()  # the start of the day in London
    assert "T" + f"{later:%H%M%S}Z" not in before.decode()


def test_the_same_programme_gives_the_same_feed_anywhere(
    tmp_path: Path, fixed_now: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing local goes into the feed: two data folders, the same bytes, none written."""
    bodies = []
    for machine in ("a", "b"):
        monkeypatch.setenv("FITPLUG_DATA_DIR", str(tmp_path / machine))
        bodies.append(build.feed_bytes(load(), now=fixed_now).body)
        assert not (tmp_path / machine).exists()
    assert bodies[0] == bodies[1]
    assert {e["SEQUENCE"] for e in events_by_uid(bodies[0]).values() if "plan." in str(e["UID"])} == {0}  # type: ignore[index]


def events_by_uid(body: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def test_a_changed_session_keeps_its_uid_and_gets_a_higher_sequence(fixed_now: dt.datetime) -> None:
    day1, day2, day3 = fixed_now, fixed_now + dt.timedelta(minutes=10), fixed_now + dt.timedelta(minutes=20)
    start = dt.date(2026, 11, 23)
    old = build.calendar_feed(load(), now=day1, start=start, weeks=4).body
    changed_programme = load(**{'reps = "12-15"\nper_side = true': 'reps = "15-20"\nper_side = true'})
    new = build.calendar_feed(changed_programme, now=day2, start=start, weeks=4, previous=old).body
    before, after = events_by_uid(old), events_by_uid(new)
    assert set(before) == set(after) and len(before) == 8
    for uid, event in after.items():
        assert event["SEQUENCE"] == before[uid]["SEQUENCE"] + 1  # type: ignore[index]
        assert event["DTSTAMP"].dt == day2.replace(microsecond=0)  # type: ignore[index]
        assert event["LAST-MODIFIED"].dt == day2.replace(microsecond=0)  # type: ignore[index]
        assert "15–20 reps each side" in str(event["DESCRIPTION"])  # type: ignore[index]
    # going back is a change too: the sequence never goes down
    again = build.calendar_feed(load(), now=day3, start=start, weeks=4, previous=new).body
    assert {e["SEQUENCE"] for e in events_by_uid(again).values()} == {2}  # type: ignore[index]
    # unchanged since: the versions stay
    same = build.calendar_feed(load(), now=day3 + dt.timedelta(days=3), start=start, weeks=4, previous=again).body
    assert same == again


def test_an_edit_raises_the_sequence_of_only_the_events_it_changes(fixed_now: dt.datetime) -> None:
    text = programme_text("glute-runner") + STRETCH_SESSION.format(time="18:00", name="Evening Stretch")
    start = dt.date(2026, 11, 23)
    old = build.calendar_feed(parse_programme(text), now=fixed_now, start=start, weeks=2).body
    edited = text.replace('name = "Evening Stretch"', 'name = "Evening stretch, slow; easy"')
    later = fixed_now + dt.timedelta(hours=2)
    new = events_by_uid(
        build.calendar_feed(parse_programme(edited), now=later, start=start, weeks=2, previous=old).body
    )
    before = events_by_uid(old)
    for uid, event in new.items():
        changed = ".sunday-stretch." in uid
        assert event["SEQUENCE"] == before[uid]["SEQUENCE"] + changed, uid  # type: ignore[index]
        stamp = later if changed else before[uid]["DTSTAMP"].dt  # type: ignore[index]
        assert event["DTSTAMP"].dt == stamp.replace(microsecond=0), uid  # type: ignore[index]
    assert sum(".sunday-stretch." in uid for uid in new) == 2


STRETCH_SESSION = """
[[sessions]]
id = "sunday-stretch"
name = "{name}"
kind = "stretch"
days = ["sun"]
time = "{time}"
duration_min = 20
exercises = ["pigeon_pose", "lying_figure_four"]
"""


def test_a_changed_time_raises_the_sequence_but_the_date_keeps_the_uid(fixed_now: dt.datetime) -> None:
    start = dt.date(2026, 11, 23)
    old_body = build.calendar_feed(load(), now=fixed_now, start=start, weeks=2).body
    old = events_by_uid(old_body)
    later = load(**{'time = "07:00"': 'time = "18:15"'})
    new = events_by_uid(
        build.calendar_feed(later, now=fixed_now + dt.timedelta(hours=1), start=start, weeks=2, previous=old_body).body
    )
    assert set(old) == set(new)
    uid = "plan.glute-runner.glute-strength.2026-11-24@fitplug.invalid"
    assert new[uid]["DTSTART"].dt.time() == dt.time(18, 15)  # type: ignore[index]
    assert new[uid]["SEQUENCE"] == 1  # type: ignore[index]


def test_uids_are_derived_from_programme_session_and_date(fixed_now: dt.datetime) -> None:
    body = ical.render_feed(load(), [], now=fixed_now, start=dt.date(2026, 11, 23), weeks=1).body
    assert set(events_by_uid(body)) == {
        "plan.glute-runner.glute-strength.2026-11-24@fitplug.invalid",
        "plan.glute-runner.glute-strength.2026-11-27@fitplug.invalid",
    }
    # no calendar-level UID (vdirsyncer takes it for every event's); the feed names itself apart
    cal = Calendar.from_ical(body)
    assert "UID" not in cal and cal["X-WR-RELCALID"] == "feed.glute-runner@fitplug.invalid"
    assert body.count(b"\r\nUID:") == 2


# --- content -----------------------------------------------------------------------------


def test_feed_properties(fixed_now: dt.datetime) -> None:
    body = ical.render_feed(load(), [], now=fixed_now).body
    text = body.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fitplug//glute programme feed//EN\r\n")
    for line in (
        "NAME:Glute strength for runners",
        "X-WR-CALNAME:Glute strength for runners",
        "DESCRIPTION:Glute activation\u201a banded strength and stretches for runners.",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "X-WR-RELCALID:feed.glute-runner@fitplug.invalid",
    ):
        assert f"\r\n{line}\r\n" in text, line
    assert "X-WR-TIMEZONE" not in text  # recurring-ical-events would move UTC times into it
    assert "\r\nUID:feed." not in text
    assert "METHOD" not in text  # METHOD:PUBLISH would make libical expect an ORGANIZER
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert b"\n" not in body.replace(b"\r\n", b"")


def test_description_is_something_to_follow_at_the_gym(fixed_now: dt.datetime) -> None:
    cal = Calendar.from_ical(ical.render_feed(load(), [], now=fixed_now).body)
    event = cal.walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Glute Strength & Mobility"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["Strength", "Mobility", "Glutes"]
    text = str(event["DESCRIPTION"])
    lines = text.split("\n")
    assert lines[0] == "Watch workout: Glute Strength & Mobility (glute-strength.fit), about 35 min."
    assert "1. Glute Bridge (warm-up): 3 × 12–15 reps" in lines
    assert "2. Banded Leg Raise: 3 × 12–15 reps each side" in lines
    assert (
        "   tempo 1-2-3: 1 s up, 2 s hold, 3 s down · green band · rest 60 s between sets · 10 s to switch sides"
    ) in lines
    assert "6. Pigeon Pose: hold 20–30 s each side" in lines
    assert "   Cue: Front shin across, back leg long, hips level; walk the hands out as you breathe out." in lines
    # every exercise has a cue line
    assert sum(1 for line in lines if line.startswith("   Cue: ")) == 6


def test_stretch_days_are_stretch_events(fixed_now: dt.datetime) -> None:
    cal = Calendar.from_ical(ical.render_feed(load("stretches"), [], now=fixed_now).body)
    events = cal.walk("VEVENT")
    assert {str(e["SUMMARY"]) for e in events} == {"Glute Stretch"}
    assert str(events[0]["CATEGORIES"].cats[0]) == "Stretch"
    assert "glute-stretch.fit" in str(events[0]["DESCRIPTION"])


def test_due_items_are_events_with_their_own_uid_stamp_and_sequence(fixed_now: dt.datetime) -> None:
    feed = ical.render_feed(load(), due_items(fixed_now), now=fixed_now)
    assert feed.due == 1  # the missed strength day is its planned event, marked (below)
    events = events_by_uid(feed.body)
    due = events["due.glute-runner.stretch-1f3a9c@fitplug.invalid"]
    assert due["DTSTART"].dt == fixed_now - dt.timedelta(hours=2)  # type: ignore[index]
    assert due["DTSTART"].to_ical() == b"20261122T073000Z"  # type: ignore[index]
    assert due["DTSTAMP"].dt == fixed_now - dt.timedelta(hours=2)  # type: ignore[index]
    assert due["SEQUENCE"] == 0 and due["TRANSP"] == "TRANSPARENT"  # type: ignore[index]
    assert str(due["DESCRIPTION"]) == "42 min run at 07:10.\nPigeon Pose, then Lying Figure-Four."  # type: ignore[index]
    assert "due.glute-runner.strength-missed-2026-11-17@fitplug.invalid" not in events
    missed = events["plan.glute-runner.glute-strength.2026-11-17@fitplug.invalid"]
    assert str(missed["SUMMARY"]) == "✗ Strength session missed"  # type: ignore[index]
    assert "Missed" in [str(c) for c in missed["CATEGORIES"].cats] and not missed.walk("VALARM")  # type: ignore[index,attr-defined]
    assert feed.last_modified == fixed_now.replace(hour=7, minute=30)  # the newest due item


def test_due_items_outside_the_window_or_repeated_are_left_out(fixed_now: dt.datetime) -> None:
    old = DueItem(
        DueKind.STRETCH_MISSED,
        "stretch-old",
        dt.datetime(2025, 1, 1, tzinfo=UTC),
        dt.datetime(2025, 1, 2, tzinfo=UTC),
        "Post-run stretch missed",
    )
    dup = due_items(fixed_now)[0]
    feed = ical.render_feed(load(), [old, dup, dup], now=fixed_now)
    uids = [u for u in events_by_uid(feed.body) if u.startswith("due.")]
    assert uids == ["due.glute-runner.stretch-1f3a9c@fitplug.invalid"]
    assert feed.body.count(b"UID:due.") == 1


def test_hostile_text_in_due_items_is_made_safe(fixed_now: dt.datetime) -> None:
    item = DueItem(
        DueKind.BAND_UP,
        "band up/../é\r\nX",
        fixed_now,
        fixed_now,
        "Band\x00 up\r\nBEGIN:VEVENT",
        "line1\r\nline2\x1b[31m",
        updated_utc=fixed_now,
    )
    body = ical.render_feed(load(), [item], now=fixed_now).body
    assert body.split(b"\r\n").count(b"BEGIN:VEVENT") == len(Calendar.from_ical(body).walk("VEVENT")) == 29
    event = events_by_uid(body)["due.glute-runner.band%20up%2F..%2F%C3%A9%0D%0AX@fitplug.invalid"]
    assert str(event["SUMMARY"]) == "Band upBEGIN:VEVENT"  # type: ignore[index]
    assert str(event["DESCRIPTION"]) == "line1\nline2[31m"  # type: ignore[index]
    assert event["DTEND"].dt - event["DTSTART"].dt == dt.timedelta(minutes=1)  # type: ignore[index]


# --- window and Last-Modified ---------------------------------------------------------------


def test_default_window_is_two_weeks_back_and_twelve_ahead(fixed_now: dt.datetime) -> None:
    window = ical.feed_window(load(), fixed_now)
    assert (window.start, window.end, window.rolling) == (dt.date(2026, 11, 8), dt.date(2027, 2, 14), True)
    # the day is the programme's: 23:30 UTC is already tomorrow in Sydney
    late = dt.datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert ical.feed_window(load(tz="Australia/Sydney"), late).start == dt.date(2026, 11, 9)
    fixed = ical.feed_window(load(), fixed_now, dt.date(2027, 1, 4), 3)
    assert (fixed.start, fixed.end, fixed.rolling) == (dt.date(2027, 1, 4), dt.date(2027, 1, 25), False)


def test_last_modified_moves_when_the_rolling_window_does(fixed_now: dt.datetime) -> None:
    programme = load()
    feed = ical.render_feed(programme, [], now=fixed_now)
    assert feed.last_modified == dt.datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # London midnight
    next_day = ical.render_feed(programme, [], now=fixed_now + dt.timedelta(days=1))
    assert next_day.last_modified > feed.last_modified and next_day.etag != feed.etag


def test_an_empty_programme_window_is_still_a_valid_calendar(fixed_now: dt.datetime) -> None:
    feed = ical.render_feed(load("post-run"), [], now=fixed_now)
    cal = Calendar.from_ical(feed.body)
    assert feed.sessions == 0 and not cal.walk("VEVENT")
    assert len(cal.timezones) == 1  # RFC 5545: at least one component


@pytest.mark.parametrize("name", template_names())
def test_every_template_builds_a_feed(name: str, fixed_now: dt.datetime) -> None:
    feed = ical.render_feed(load(name), due_items(fixed_now), now=fixed_now)
    cal = Calendar.from_ical(feed.body)
    assert all(not c.errors for c in cal.walk())


# --- golden ---------------------------------------------------------------------------


def test_golden_feed_of_the_default_template(fixed_now: dt.datetime, update_golden: bool) -> None:
    programme = load()
    body = ical.render_feed(programme, due_items(fixed_now), now=fixed_now).body
    golden = GOLDEN / "glute-runner.ics"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(body)
    assert body == golden.read_bytes(), "feed differs from golden (review, then pytest --update-golden)"
    cal = Calendar.from_ical(golden.read_bytes())
    assert len(cal.walk("VEVENT")) == 28 + 1  # the missed strength day is its planned event
    assert {e["SEQUENCE"] for e in cal.walk("VEVENT") if str(e["UID"]).startswith("plan.")} == {0}


# --- properties ----------------------------------------------------------------------------

_instants = st.datetimes(min_value=dt.datetime(2026, 11, 1), max_value=dt.datetime(2027, 3, 1), timezones=st.just(UTC))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(
        st.builds(
            DueItem,
            kind=st.sampled_from(DueKind),
            key=st.text(min_size=1, max_size=40),
            start_utc=_instants,
            end_utc=_instants,
            title=st.text(max_size=120),
            detail=st.text(max_size=400),
            updated_utc=st.one_of(st.none(), _instants),
            sequence=st.integers(-3, 10**6),
        ),
        max_size=6,
    )
)
def test_any_due_items_give_a_feed_every_parser_line_reads(items: list[DueItem]) -> None:
    now = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
    feed = ical.render_feed(PROPERTY_PROGRAMME, items, now=now)
    body = feed.body
    assert ical.render_feed(PROPERTY_PROGRAMME, list(reversed(items)), now=now).body == body
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert b"\n" not in body.replace(b"\r\n", b"")
    cal = Calendar.from_ical(body)
    assert all(not c.errors for c in cal.walk())
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(set(uids)) == feed.sessions + feed.due
    for event in cal.walk("VEVENT"):
        assert event["DTEND"].dt > event["DTSTART"].dt
        assert event["SEQUENCE"] >= 0


PROPERTY_PROGRAMME = load()


# --- text and reminders ---------------------------------------------------------------------


def test_every_text_property_is_escaped_and_keeps_its_line_breaks(fixed_now: dt.datetime) -> None:
    name = "Glutes, hips; back \\\\ more"  # TOML for: Glutes, hips; back \ more
    text = programme_text("glute-runner", **{'name = "Glute strength for runners"': f'name = "{name}"'})
    text = re.sub(
        r"^description = .*$",
        lambda m: 'description = """First line, with; all \\\\ three.\nSecond line."""',
        text,
        count=1,
        flags=re.MULTILINE,
    )
    text += STRETCH_SESSION.format(time="18:00", name="Stretch, hips; back \\\\ calm")
    body = ical.render_feed(parse_programme(text), [], now=fixed_now).body
    # calendar-level text needs no escape, so every reader shows it alike: look-alikes for , ; \
    plain_name = "Glutes\u201a hips\uff1b back \u2216 more"
    description = "First line\u201a with\uff1b all \u2216 three. Second line."
    cal = Calendar.from_ical(body)
    assert str(cal["DESCRIPTION"]) == description
    assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"]) == plain_name
    assert str(cal["X-WR-CALDESC"]) == description
    assert f"\r\nX-WR-CALNAME:{plain_name}\r\n" in body.decode()
    summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert "Stretch, hips; back \\ calm" in summaries
    # vobject, an independent parser, reads the same values (it cut at the first comma before)
    parsed = vobject.readOne(body.decode())
    assert parsed.contents["x-wr-calname"][0].value == plain_name
    assert parsed.contents["x-wr-caldesc"][0].value == description
    assert parsed.contents["name"][0].value == plain_name


def test_sessions_have_a_display_reminder_set_in_the_programme(fixed_now: dt.datetime) -> None:
    cal = Calendar.from_ical(ical.render_feed(load(), [], now=fixed_now).body)
    for event in cal.walk("VEVENT"):
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY" and str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])
        assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=30)  # the default
    text = programme_text("glute-runner").replace(
        'timezone = "Europe/London"', 'timezone = "Europe/London"\nreminder_min = 10', 1
    )
    cal = Calendar.from_ical(ical.render_feed(parse_programme(text), [], now=fixed_now).body)
    assert {e.walk("VALARM")[0]["TRIGGER"].dt for e in cal.walk("VEVENT")} == {-dt.timedelta(minutes=10)}
    off = parse_programme(text.replace("reminder_min = 10", "reminder_min = 0"))
    assert b"VALARM" not in ical.render_feed(off, due_items(fixed_now), now=fixed_now).body


def test_a_reminder_minutes_value_out_of_range_is_a_programme_problem() -> None:
    text = programme_text("glute-runner").replace(
        'timezone = "Europe/London"', 'timezone = "Europe/London"\nreminder_min = -5', 1
    )
    with pytest.raises(Exception, match="reminder_min"):
        parse_programme(text)


def test_due_items_get_a_reminder_only_when_it_lies_ahead(fixed_now: dt.datetime) -> None:
    ahead = DueItem(
        DueKind.STRETCH_DUE,
        "stretch-ahead",
        fixed_now + dt.timedelta(hours=1),
        fixed_now + dt.timedelta(hours=20),
        "Post-run stretch due",
        updated_utc=fixed_now,
    )
    passed = due_items(fixed_now)[0]  # started two hours ago
    missed = due_items(fixed_now)[1]  # nothing to do any more
    events = events_by_uid(ical.render_feed(load(), [ahead, passed, missed], now=fixed_now).body)
    assert len(events["due.glute-runner.stretch-ahead@fitplug.invalid"].walk("VALARM")) == 1  # type: ignore[attr-defined]
    assert not events["due.glute-runner.stretch-1f3a9c@fitplug.invalid"].walk("VALARM")  # type: ignore[attr-defined]
    assert not events["plan.glute-runner.glute-strength.2026-11-17@fitplug.invalid"].walk("VALARM")  # type: ignore[attr-defined]
    alarms = recurring_ical_events.of(Calendar.from_ical(ical.render_feed(load(), [ahead], now=fixed_now).body))
    assert alarms is not None

"""Versions only go forward (#19, #22): hostile SEQUENCE values in a previous feed, a new output path,
`calendar -o` refusing a file that is not its feed, the plan as it went (done, moved, missed, a past
time kept), FIT time_created moving forward only, `serve` after a restart and when inputs turn bad."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import Invoke
from icalendar import Calendar

from fitplug.calendar import feed as ical
from fitplug.calendar import server as serve
from fitplug.calendar.outcomes import Tracked
from fitplug.calendar.versions import identify, previous_versions
from fitplug.model import DueItem, DueKind
from fitplug.programme.load import load_programme, parse_programme, template_text
from fitplug.watch.workout import build_workout

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
AT = ["--now", NOW.isoformat()]


def programme(text: str | None = None):  # type: ignore[no-untyped-def]
    return parse_programme(text or template_text("glute-runner"), "glute-runner")


def events(body: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


@pytest.mark.parametrize("value", ["²", "9" * 5000, "2147483647", "-1", "1.5", " 3"])
def test_a_hostile_sequence_in_the_previous_feed_is_ignored(value: str) -> None:
    first = ical.render_feed(programme(), [], now=NOW).body
    hostile = re.sub(rb"SEQUENCE:0", f"SEQUENCE:{value}".encode(), first)
    assert previous_versions(hostile) == {}
    changed = programme(template_text("glute-runner").replace('time = "07:00"', 'time = "07:30"', 1))
    body = ical.render_feed(changed, [], now=NOW, previous=hostile).body  # never a traceback
    assert {e["SEQUENCE"] for e in events(body).values()} == {0}  # type: ignore[index]


def test_what_is_there_is_told_by_its_content() -> None:
    own = ical.render_feed(programme(), [], now=NOW).body
    assert identify(own, "glute-runner").own and not identify(own, "other").own
    old = own.replace(b"X-WR-RELCALID:", b"UID:")  # what fitplug wrote before
    assert identify(old, "glute-runner").own
    assert not identify(own[: len(own) // 2], "glute-runner").own  # cut short
    assert "not an iCalendar feed" in identify(b"\x00\x01binary", "glute-runner").what


def test_calendar_o_refuses_a_file_that_is_not_its_feed(invoke: Invoke, tmp_path: Path) -> None:
    prog = tmp_path / "p.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", prog)
    target = tmp_path / "notes.ics"
    target.write_bytes(b"dear diary\n")
    result = invoke(*AT, "calendar", str(prog), "-o", str(target))
    assert result.exit_code == 1 and "not an iCalendar feed" in result.output and "--force" in result.output
    assert target.read_bytes() == b"dear diary\n"
    result = invoke(*AT, "calendar", str(prog), "-o", str(target), "--force")
    assert result.exit_code == 0 and "Warning: --force: replaced" in result.output
    assert identify(target.read_bytes(), "glute-runner").own


def test_a_new_output_path_keeps_the_versions(invoke: Invoke, tmp_path: Path) -> None:
    prog = tmp_path / "p.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", prog)
    assert invoke(*AT, "calendar", str(prog), "-o", str(tmp_path / "a.ics")).exit_code == 0
    prog.write_text(prog.read_text().replace("duration_min = 35", "duration_min = 40"))
    later = ["--now", (NOW + dt.timedelta(hours=1)).isoformat()]
    assert invoke(*later, "calendar", str(prog), "-o", str(tmp_path / "a.ics")).exit_code == 0
    assert invoke(*later, "calendar", str(prog), "-o", str(tmp_path / "b.ics")).exit_code == 0
    assert (tmp_path / "a.ics").read_bytes() == (tmp_path / "b.ics").read_bytes()
    assert {e["SEQUENCE"] for e in events((tmp_path / "b.ics").read_bytes()).values()} == {1}  # type: ignore[index]


def test_the_plan_as_it_went_one_event_a_day() -> None:
    prog = programme()
    moved = DueItem(
        DueKind.STRENGTH_MOVED,
        "strength-moved-2026-11-17",
        dt.datetime(2026, 11, 18, 7, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 18, 7, 35, tzinfo=dt.UTC),
        "Glute Strength & Mobility done, moved from Tue",
        "Planned for Tue 17 Nov, done on Wed 18 Nov: it counts for the planned day.",
        NOW,
    )
    missed = DueItem(
        DueKind.STRENGTH_MISSED,
        "strength-missed-2026-11-20",
        dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 20, 7, 35, tzinfo=dt.UTC),
        "Glute Strength & Mobility missed",
        "No strength activity was recorded on Fri 20 Nov.",
        NOW,
    )
    feed = ical.render_feed(prog, Tracked([moved, missed], dt.date(2026, 11, 11)), now=NOW)
    shown = events(feed.body)
    assert not [u for u in shown if u.startswith("due.")] and feed.due == 0
    uid = "plan.glute-runner.glute-strength.{}@fitplug.invalid"
    assert str(shown[uid.format("2026-11-13")]["SUMMARY"]) == "✓ Glute Strength & Mobility done"  # type: ignore[index]
    on_the_day = shown[uid.format("2026-11-17")]
    assert str(on_the_day["SUMMARY"]) == "✓ Glute Strength & Mobility done, moved from Tue"  # type: ignore[index]
    assert on_the_day["DTSTART"].dt.date() == dt.date(2026, 11, 18)  # type: ignore[index]
    assert str(shown[uid.format("2026-11-20")]["SUMMARY"]) == "✗ Glute Strength & Mobility missed"  # type: ignore[index]
    assert str(shown[uid.format("2026-11-24")]["SUMMARY"]) == "Glute Strength & Mobility"  # type: ignore[index]
    assert str(shown[uid.format("2026-11-10")]["SUMMARY"]) == "Glute Strength & Mobility"  # type: ignore[index]  # before day one


def test_past_events_keep_their_time_when_the_programme_time_is_edited() -> None:
    from fitplug.calendar.versions import Given

    before = ical.render_feed(programme(), [], now=NOW - dt.timedelta(days=14))
    ledger: dict[str, Given] = dict(before.given)
    edited = programme(template_text("glute-runner").replace('time = "07:00"', 'time = "18:00"', 1))
    after = events(ical.render_feed(edited, [], now=NOW, ledger=ledger).body)
    uid = "plan.glute-runner.glute-strength.{}@fitplug.invalid"
    assert after[uid.format("2026-11-20")]["DTSTART"].dt.hour == 7  # type: ignore[index]  # over: as it happened
    assert after[uid.format("2026-11-24")]["DTSTART"].dt.hour == 18  # type: ignore[index]  # ahead: the new time
    assert after[uid.format("2026-11-20")]["SEQUENCE"] == 0  # type: ignore[index]


def test_fit_time_created_moves_forward_only_and_stays_put_when_unchanged() -> None:
    text = template_text("glute-runner")
    times = []
    for name in (
        "Glute Strength & Mobility",
        "Glutes B",
        "Glute Strength & Mobility",
        "Glutes B",
        "Glute Strength & Mobility",
    ):  # back and forth
        prog = programme(text.replace('name = "Glute Strength & Mobility"', f'name = "{name}"', 1))
        session = prog.sessions[0]
        preview = build_workout(session, programme_id=prog.id)  # as a query or a dry run: records nothing
        first = build_workout(session, programme_id=prog.id, record=True)  # as build writes it out
        again = build_workout(session, programme_id=prog.id, record=True)
        assert first.data == again.data == preview.data  # a byte-identical rebuild; the preview says the same
        times.append(first.time_created)
    assert times == sorted(times) and len(set(times)) == len(times), times


def test_serve_restarted_keeps_the_versions_and_serves_the_last_good_feed(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", path)
    clock = [NOW]
    logged: list[str] = []

    def start() -> serve.FeedSource:
        return serve.FeedSource(path, clock=lambda: clock[0], check_every_s=0.0, ledger=True, log=logged.append)

    source = start()
    path.write_text(path.read_text().replace("duration_min = 35", "duration_min = 40"))
    clock[0] = NOW + dt.timedelta(minutes=5)
    feed = source.current()
    assert feed is not None and {e["SEQUENCE"] for e in events(feed.body).values()} == {1}  # type: ignore[index]
    restarted = start().current()  # no previous feed in memory: the ledger
    assert restarted is not None and restarted.body == feed.body

    def broken(programme: object, now: dt.datetime) -> list[DueItem]:
        raise RuntimeError("database disk image is malformed")

    source.due_source = broken
    source.inputs = (path,)
    path.write_text(path.read_text() + "\n")
    again = source.current()
    assert again is not None and again.body == feed.body
    assert any("due items unavailable" in line and "malformed" in line for line in logged)
    assert not any("Traceback" in line for line in logged)


def test_serve_answers_503_when_nothing_good_was_ever_made(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", path)
    logged: list[str] = []

    def bad_page() -> serve.Page | None:
        raise ValueError("the store turned bad")

    server, info = serve.open_server(
        path, port=0, clock=lambda: NOW, page_source=bad_page, log=logged.append, check_every_s=0.0
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        page = info.url.rsplit("/", 1)[0] + "/"
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(page, timeout=10)
        assert raised.value.code == 503 and raised.value.headers["Retry-After"]
        with urllib.request.urlopen(info.url, timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert any("the page cannot be made" in line for line in logged)
    assert not any("Traceback" in line for line in logged)
    assert load_programme(path).id == "glute-runner"

"""The shared checker (``../shared/tools/ics-check``) on fitplug's feeds: every template and
example, windows across the spring and autumn clock changes in three zones, with due events;
and its HTTP stage against ``fitplug serve``.

Slow (a few seconds a feed) and needs the checker's setup, so marked ``icscheck``:
deselect with ``-m "not icscheck"``. Skipped when the checker or its setup is missing.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fitplug.calendar import feed as ical
from fitplug.calendar import server as serve
from fitplug.model import DueItem, DueKind
from fitplug.programme.load import load_programme, parse_programme, template_names, template_text

pytestmark = pytest.mark.icscheck

UTC = dt.UTC
ROOT = Path(__file__).resolve().parent.parent
ZONES = ("Europe/London", "America/New_York", "Australia/Sydney")
#: the first day of a six-week window around each change in 2026-27
WINDOWS = {
    "Europe/London": {"autumn": dt.date(2026, 10, 12), "spring": dt.date(2027, 3, 15)},
    "America/New_York": {"autumn": dt.date(2026, 10, 19), "spring": dt.date(2027, 3, 1)},
    "Australia/Sydney": {"spring": dt.date(2026, 9, 21), "autumn": dt.date(2027, 3, 22)},
}
WEEKS = 6


def find_checker() -> Path | None:
    env = os.environ.get("ICS_CHECK_TOOL")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "tools" / "ics-check" for p in ROOT.parents]
    return next((c for c in candidates if (c / "check.sh").is_file()), None)


CHECKER = find_checker()
CHECK_HOME = Path(os.environ.get("ICS_CHECK_HOME", Path.home() / ".cache" / "ics-check"))


@pytest.fixture(scope="module")
def checker() -> Path:
    if CHECKER is None:
        pytest.skip("../shared/tools/ics-check is not beside the checkout (set ICS_CHECK_TOOL)")
    if not (CHECK_HOME / ".ready").is_file():
        pytest.skip(f"ics-check is not set up ({CHECK_HOME}/.ready missing; run its setup.sh)")
    return CHECKER


def programme_sources() -> list[tuple[str, str]]:
    sources = [(f"template-{n}", template_text(n)) for n in template_names()]
    sources += [
        (f"example-{p.stem}", p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.toml"))
    ]
    return sources


def due_items(first: dt.date) -> list[DueItem]:
    """A due stretch, a missed one, a missed strength day, a moved one and lighter-band advice inside the
    window, in UTC."""
    at = dt.datetime.combine(first + dt.timedelta(days=16), dt.time(8, 10), UTC)
    return [
        DueItem(
            DueKind.STRETCH_DUE,
            f"stretch-{at:%Y%m%d}",
            at,
            at + dt.timedelta(hours=20),
            "Post-run stretch due",
            "45 min run.\nPigeon Pose, then Lying Figure-Four.",
            at,
            0,
        ),
        DueItem(
            DueKind.STRETCH_MISSED,
            "stretch-earlier",
            at - dt.timedelta(days=9),
            at - dt.timedelta(days=8),
            "Post-run stretch missed",
            "",
            at - dt.timedelta(days=8),
            1,
        ),
        DueItem(
            DueKind.STRENGTH_MISSED,
            "strength-missed-1",
            at - dt.timedelta(days=3),
            at - dt.timedelta(days=3, minutes=-35),
            "Strength session missed",
            "",
            at,
            0,
        ),
        DueItem(
            DueKind.STRENGTH_MOVED,
            "strength-moved-1",
            at - dt.timedelta(days=5),
            at - dt.timedelta(days=5, minutes=-35),
            "Glute Strength & Mobility done, moved from Fri",
            "Planned for Fri 20 Nov, done on Sat 21 Nov: it counts for the planned day.",
            at,
            0,
        ),
        DueItem(
            DueKind.BAND_DOWN,
            "band-down-banded_leg_raise-green",
            at - dt.timedelta(days=2),
            at - dt.timedelta(days=2, minutes=-15),
            "Time for a lighter band: Banded Leg Raise (green → red)",
            "Every set stayed under 12 reps in 2 sessions in a row with the green band.",
            at,
            0,
        ),
    ]


def run_check(checker: Path, feed: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ICS_CHECK_HOME": str(CHECK_HOME)}
    return subprocess.run(
        [str(checker / "check.sh"), str(feed), *args], capture_output=True, check=False, text=True, timeout=600, env=env
    )


#: the checker's answer per (feed bytes, window): a feed already checked is not checked again
#: (examples/glute-runner.toml is the glute-runner template, so its feeds are byte-identical)
_CHECKED: dict[tuple[str, str, int], subprocess.CompletedProcess[str]] = {}


def check_once(checker: Path, feed: Path, first: dt.date) -> subprocess.CompletedProcess[str]:
    key = (hashlib.sha256(feed.read_bytes()).hexdigest(), first.isoformat(), WEEKS)
    if key not in _CHECKED:
        _CHECKED[key] = run_check(
            checker, feed, "--from", first.isoformat(), "--weeks", str(WEEKS), "--no-http", "--more-readers"
        )
    return _CHECKED[key]


def clock_change_feeds(name: str, text: str, zone: str) -> list[tuple[str, dt.date, ical.Feed]]:
    """(season, first day, feed) of the windows across both of ``zone``'s clock changes."""
    text = re.sub(r'^timezone = "[^"]*"', f'timezone = "{zone}"', text, count=1, flags=re.MULTILINE)
    programme = parse_programme(text, name)
    feeds = []
    for season, first in WINDOWS[zone].items():
        now = dt.datetime.combine(first, dt.time(9), UTC)
        feeds.append((season, first, ical.render_feed(programme, due_items(first), now=now, start=first, weeks=WEEKS)))
    return feeds


def change_day_feed(zone: str, day: dt.date, time: str) -> tuple[dt.date, ical.Feed]:
    """The first day of the window and the feed with a session at ``time`` on the change ``day``."""
    text = template_text("glute-runner")
    text = re.sub(r'^timezone = "[^"]*"', f'timezone = "{zone}"', text, count=1, flags=re.MULTILINE)
    text = text.replace('name = "Glute strength for runners"', 'name = "Glutes, hips; back \\\\ more"', 1)
    programme = parse_programme(text + CHANGE_DAY_SESSION.format(time=time), "change-day")
    first = day - dt.timedelta(days=day.weekday() + 14)
    now = dt.datetime.combine(first, dt.time(9), UTC)
    return first, ical.render_feed(programme, due_items(first), now=now, start=first, weeks=WEEKS)


@pytest.fixture(scope="module", autouse=True)
def checked_ahead(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Check the feeds of this module's selected tests up front, one checker run per core at once.

    Each run of check.sh is a dozen readers, one after the other on one core;
    the tests below then find their feed's answer in :data:`_CHECKED` (a feed
    that came out different is checked there and then).
    """
    if CHECKER is None or not (CHECK_HOME / ".ready").is_file():
        return  # the tests skip (the checker fixture)
    folder = tmp_path_factory.mktemp("ics-check-ahead")
    feeds: list[tuple[ical.Feed, dt.date]] = []
    for item in request.session.items:
        params = getattr(item, "callspec", None)
        if getattr(item, "module", None) is not request.module or params is None:
            continue
        if item.originalname == "test_check_sh_passes_across_both_clock_changes":
            p = params.params
            feeds += [(feed, first) for _, first, feed in clock_change_feeds(p["name"], p["text"], p["zone"])]
        elif item.originalname == "test_sessions_on_clock_change_days_read_the_same_everywhere":
            first, feed = change_day_feed(params.params["zone"], params.params["day"], params.params["time"])
            feeds.append((feed, first))
    paths = []
    for i, (feed, first) in enumerate(feeds):
        path = folder / f"{i:03d}.ics"
        path.write_bytes(feed.body)
        paths.append((path, first))
    with concurrent.futures.ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
        list(pool.map(lambda job: check_once(CHECKER, *job), paths))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name,text", programme_sources(), ids=[n for n, _ in programme_sources()])
def test_check_sh_passes_across_both_clock_changes(
    checker: Path, tmp_path: Path, name: str, text: str, zone: str
) -> None:
    for season, first, feed in clock_change_feeds(name, text, zone):
        assert feed.due == 5
        path = tmp_path / f"{name}-{season}.ics"
        path.write_bytes(feed.body)
        result = check_once(checker, path, first)
        assert result.returncode == 0, f"{zone} {season}:\n{result.stdout}{result.stderr}"
        assert "ics-check: PASS" in result.stdout
        expected = feed.sessions + feed.due
        assert f"agree on {expected} occurrence(s)" in result.stdout, result.stdout


#: (zone, clock-change day): both changes in each zone
CHANGE_DAYS = [
    ("Europe/London", dt.date(2027, 3, 28)),
    ("Europe/London", dt.date(2027, 10, 31)),
    ("America/New_York", dt.date(2027, 3, 14)),
    ("America/New_York", dt.date(2027, 11, 7)),
    ("Australia/Sydney", dt.date(2026, 10, 4)),
    ("Australia/Sydney", dt.date(2027, 4, 4)),
]
CHANGE_DAY_SESSION = """
[[sessions]]
id = "sunday-stretch"
name = "Stretch, hips; back \\\\ calm"
kind = "stretch"
days = ["sun"]
time = "{time}"
duration_min = 20
exercises = ["pigeon_pose", "lying_figure_four"]
"""


@pytest.mark.parametrize("time", ["01:30", "02:30"])
@pytest.mark.parametrize(("zone", "day"), CHANGE_DAYS, ids=[f"{z}-{d}" for z, d in CHANGE_DAYS])
def test_sessions_on_clock_change_days_read_the_same_everywhere(
    checker: Path, tmp_path: Path, zone: str, day: dt.date, time: str
) -> None:
    """A session at 01:30 and 02:30 on each change day (repeated, skipped or ordinary hours), with
    `, ; \\` in the names: every parser (Ruby icalendar and ical-library too) and every
    recurrence engine agree on every occurrence."""
    first, feed = change_day_feed(zone, day, time)
    path = tmp_path / f"change-{time.replace(':', '')}.ics"
    path.write_bytes(feed.body)
    result = check_once(checker, path, first)
    assert result.returncode == 0, f"{zone} {day} {time}:\n{result.stdout}{result.stderr}"
    assert "ruby icalendar: " in result.stdout and "ical-library: " in result.stdout, result.stdout
    assert f"agree on {feed.sessions + feed.due} occurrence(s)" in result.stdout, result.stdout


@pytest.fixture
def running_server(tmp_path: Path) -> Iterator[serve.ServeInfo]:
    source = ROOT / "examples" / "glute-runner.toml"
    now = dt.datetime(2026, 10, 20, 9, 30, tzinfo=UTC)
    server, info = serve.open_server(
        source,
        host="127.0.0.1",
        port=0,
        clock=lambda: now,
        due_source=lambda programme, now: due_items(dt.date(2026, 10, 6)),
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield info
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_http_check_passes_against_fitplug_serve(checker: Path, running_server: serve.ServeInfo) -> None:
    python = os.environ.get("ICS_CHECK_PYTHON", str(CHECK_HOME / "venv" / "bin" / "python"))
    result = subprocess.run(
        [python, str(checker / "http_check.py"), "--url", running_server.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "http warning" not in result.stdout and "http error" not in result.stdout, result.stdout
    assert "conditional GET (If-None-Match) -> 304" in result.stdout
    assert "HEAD -> 200" in result.stdout
    assert load_programme(ROOT / "examples" / "glute-runner.toml").id in running_server.url


def test_the_plan_as_it_went_reads_the_same_everywhere(checker: Path, tmp_path: Path) -> None:
    """#19: done, moved and missed strength days, a name with , ; \\ and a session at London's
    repeated 01:30 on 31 Oct 2027: every reader (Ruby's too) parses it and the expansions agree."""
    from fitplug.calendar.outcomes import Tracked

    text = template_text("glute-runner").replace(
        'name = "Glute strength for runners"', 'name = "Glutes, hips; back \\\\ more"', 1
    )
    text = text.replace('time = "07:00"', 'time = "01:30"', 1).replace(
        'days = ["tue", "fri"]', 'days = ["tue", "fri", "sun"]', 1
    )
    programme = parse_programme(text, "as-it-went")
    now = dt.datetime(2027, 11, 3, 9, tzinfo=UTC)
    items = [
        DueItem(
            DueKind.STRENGTH_MOVED,
            "strength-moved-2027-10-26",
            dt.datetime(2027, 10, 27, 1, 30, tzinfo=UTC),
            dt.datetime(2027, 10, 27, 2, 5, tzinfo=UTC),
            "Glute Strength & Mobility done, moved from Tue",
            "Planned for Tue 26 Oct, done on Wed 27 Oct.",
            now,
        ),
        DueItem(
            DueKind.STRENGTH_MISSED,
            "strength-missed-2027-10-29",
            dt.datetime(2027, 10, 29, 1, 30, tzinfo=UTC),
            dt.datetime(2027, 10, 29, 2, 5, tzinfo=UTC),
            "Glute Strength & Mobility missed",
            "No strength activity was recorded on Fri 29 Oct.",
            now,
        ),
    ]
    feed = ical.render_feed(
        programme, Tracked(items, dt.date(2027, 10, 18)), now=now, start=dt.date(2027, 10, 18), weeks=4
    )
    assert b"SUMMARY:\xe2\x9c\x97 " in feed.body and b"DTSTART:20271031T003000Z" in feed.body
    path = tmp_path / "as-it-went.ics"
    path.write_bytes(feed.body)
    result = run_check(checker, path, "--from", "2027-10-18", "--weeks", "4", "--no-http", "--more-readers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agree on" in result.stdout

"""A strength session moved a day or so (#18): it counts for the planned day that had none, never twice.

A table on the pure rule, then the issue's Friday-on-Saturday week through the CLI (text,
JSON, the feed and the page) with fixtures the SDK Encoder writes as a watch records them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import make_activities as m
import pytest
from conftest import ROOT, Invoke, at, programme_file

from fitplug.activities.read.reader import read_activity
from fitplug.activities.rule.due import decide
from fitplug.errors import ProgrammeError
from fitplug.model import Programme, Targets
from fitplug.programme.load import load_programme, parse_programme

START = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)  # Mon; the default week plans strength on Tue and Fri


@pytest.fixture(scope="module")
def programme() -> Programme:
    return load_programme(ROOT / "templates" / "glute-runner.toml")


def week(programme: Programme, days: list[int], now_day: int = 23, move_days: int = 1):  # type: ignore[no-untyped-def]
    p = dataclasses.replace(programme, targets=dataclasses.replace(programme.targets, move_days=move_days))
    history = [read_activity(m.strength(at(d, 7), [13] * 6)) for d in days]
    d = decide(history, [], p, at(now_day, 7), since=START, weeks=2)
    nov = lambda day: dt.date(2026, 11, day)  # noqa: E731
    return (
        [(x.planned.day, x.done.day) for x in d.strength_moved],
        [day.day for day, _ in d.strength_missed],
        d.weeks[0].strength_done if nov(now_day) >= nov(23) else None,
    )


@pytest.mark.parametrize(
    ("days", "move_days", "moved", "missed"),
    [
        pytest.param([17, 20], 1, [], [], id="as-planned"),
        pytest.param([17, 21], 1, [(20, 21)], [], id="friday-on-saturday"),
        pytest.param([17, 19], 1, [(20, 19)], [], id="friday-on-thursday"),
        pytest.param([17, 21], 0, [], [20], id="moves-off"),
        pytest.param([17, 22], 1, [], [20], id="two-days-late-is-too-late"),
        pytest.param([17, 22], 2, [(20, 22)], [], id="two-days-late-with-move-days-2"),
        pytest.param([18, 21], 1, [(17, 18), (20, 21)], [], id="both-moved"),
        pytest.param([21, 22], 3, [(20, 21)], [17], id="one-session-counts-once"),
        pytest.param([17, 18], 1, [], [20], id="an-extra-session-after-a-done-day-is-not-friday"),
        pytest.param([19], 3, [(17, 19)], [20], id="nearest-earlier-planned-day-first"),
    ],
)
def test_moved_table(
    programme: Programme, days: list[int], move_days: int, moved: list[tuple[int, int]], missed: list[int]
) -> None:
    got_moved, got_missed, done = week(programme, days, move_days=move_days)
    assert (got_moved, got_missed) == (moved, missed)
    assert done == len(days)  # the week's done count is what was done, never more


def test_move_days_is_checked() -> None:
    text = (ROOT / "templates" / "glute-runner.toml").read_text(encoding="utf-8")
    assert parse_programme(text).targets.move_days == Targets().move_days == 1
    assert "\nmove_days = 1 " in text  # the template shows the key, under [targets]
    without = text.replace("\nmove_days = 1 ", "\n# move_days = 1 ", 1)
    assert parse_programme(without).targets.move_days == 1
    assert parse_programme(text.replace("\nmove_days = 1 ", "\nmove_days = 2 ", 1)).targets.move_days == 2
    with pytest.raises(ProgrammeError) as e:
        parse_programme(text.replace("\nmove_days = 1 ", "\nmove_days = 9 ", 1), source="p.toml")
    assert "targets.move_days" in str(e.value) and "between 0 and 3 days" in str(e.value)


def test_friday_done_on_saturday_through_the_cli(invoke: Invoke, tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start=START.date())
    src = tmp_path / "watch"
    src.mkdir()
    (src / "tue.fit").write_bytes(m.strength(at(17, 7), [13] * 6))
    (src / "sat.fit").write_bytes(m.strength(at(21, 9), [13] * 6))
    db = tmp_path / "db.sqlite3"
    now = "2026-11-22T12:00:00Z"
    invoke("--db", db, "--now", now, "sync", str(src), str(programme), code=0)
    text = invoke("--db", db, "--now", now, "status", code=0).output
    line = next(x for x in text.splitlines() if x.startswith("This week"))
    assert line.startswith("This week (from Mon 16 Nov): strength 2 of 2 days (Sat 21 moved from Fri)")
    assert "missed" not in line
    doc = json.loads(invoke("--db", db, "--now", now, "status", "--json", code=0).output)
    assert doc["week"]["strength_moved"] == [{"planned": "2026-11-20", "done": "2026-11-21"}]
    assert (doc["week"]["strength_done"], doc["week"]["strength_missed"]) == (2, [])
    (item,) = [i for i in doc["items"] if i["kind"] == "strength_moved"]
    assert item["key"] == "strength-moved-2026-11-20" and "moved from Fri" in item["title"]
    assert item["start_utc"].startswith("2026-11-21")
    feed = invoke("--db", db, "--now", now, "calendar", str(programme), "-o", "-", code=0).stdout_bytes
    unfolded = feed.replace(b"\r\n ", b"")
    assert b"done\\, moved from Fri" in unfolded and b"strength-missed-2026-11-20" not in unfolded
    page = tmp_path / "page.html"
    invoke("--db", db, "--now", now, "report", str(programme), "-o", str(page), code=0)
    assert "Sat 21 moved from Fri" in page.read_text(encoding="utf-8")

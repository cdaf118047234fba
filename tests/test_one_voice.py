"""One recorded week through every command: the same item gets the same words, the same activity the same kind.

The week (Europe/London, tracking from Mon 16 Nov 2026), as a watch records it
(fixtures written by the SDK Encoder):

- Mon 07:00, a 9 km run: the first post-run set is due ("Post-run 1 Stretch");
- Mon 18:00, the third post-run workout done instead: the set is done, and is
  called what was done ("Post-run 3 Stretch");
- Tue 07:00, one file with a 5-minute treadmill leg, then the strength session:
  two sessions in every command, a run too short to count and a strength day;
- Wed 07:00, a run; its set ("Post-run 2 Stretch") is never done: missed;
- Fri, no strength: missed.

Then ``sync``, ``status`` (text and JSON), ``activities`` (text and JSON),
``calendar -o -``, ``report``, ``check`` and ``show`` are asked, and their
words for each item compared.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import make_activities as m
import pytest
from click.testing import Result
from conftest import at, invoke_cli, programme_file, programme_text
from icalendar import Calendar

from fitplug.programme.load import parse_programme
from fitplug.programme.schedule import post_run_variants

UTC = dt.UTC
NOW = "2026-11-21T10:00:00Z"
TEXT = programme_text("glute-runner", start=dt.date(2026, 11, 16))
PROGRAMME = parse_programme(TEXT, "glute-runner")
VARIANTS = post_run_variants(PROGRAMME)
STRENGTH = PROGRAMME.sessions[0]


def warm_up_then_strength(start: dt.datetime) -> bytes:
    """A 5-minute treadmill leg, then the strength session, in one file (two session messages)."""
    lifted = m.fitplug_session(start + dt.timedelta(minutes=5), STRENGTH, {"banded_leg_raise": [13, 13, 12]})
    from fitplug.activities.read.reader import read_activity

    sets = read_activity(lifted).sets
    legs = [
        m.Leg("running", "treadmill", start, 5 * 60, 800, 120),
        m.Leg("training", "strength_training", start + dt.timedelta(minutes=5), 35 * 60, None, 110),
    ]
    return m.encode(
        m.Activity(
            legs,
            workout_name=STRENGTH.name,
            serial=77,
            sets=[
                m.Set(
                    s.start_utc or start,
                    s.set_type,
                    s.repetitions,
                    s.category,
                    s.exercise_name,
                    None,
                    s.duration_s or 20,
                    s.wkt_step_index,
                )
                for s in sets
            ],
        )
    )


@pytest.fixture
def week(tmp_path: Path) -> tuple[Path, Path, Path]:
    src = tmp_path / "watch"
    src.mkdir()
    (src / "mon-run.fit").write_bytes(m.run(at(16, 7), 45, 9.0))
    (src / "mon-stretch.fit").write_bytes(m.fitplug_session(at(16, 18), VARIANTS[2]))
    (src / "tue-strength.fit").write_bytes(warm_up_then_strength(at(17, 7)))
    (src / "wed-run.fit").write_bytes(m.run(at(18, 7), 40, 8.0))
    return src, programme_file(tmp_path, start=dt.date(2026, 11, 16), name="glutes.toml"), tmp_path / "db.sqlite3"


def fitplug(db: Path, *args: str) -> Result:
    return invoke_cli("--db", db, "--now", NOW, *args, code=0)


def test_every_command_says_the_same(week: tuple[Path, Path, Path], tmp_path: Path) -> None:
    src, programme, db = week
    done_set, missed_set = VARIANTS[2], VARIANTS[1]
    assert (done_set.name, missed_set.name) == ("Post-run 3 Stretch", "Post-run 2 Stretch")
    done_words = "Post-run 3 Stretch (Pigeon Pose + Stacked-leg Glute Stretch)"

    synced = fitplug(db, "sync", str(src), str(programme)).output  # the .toml among the sources: the programme
    # one classification, a leg at a time: the treadmill warm-up is a short run, the rest of the file strength
    assert synced.startswith("Read 4 new activities (5 sessions): 3 runs, 1 strength, 1 stretch.")
    assert f"post-run set done: {done_words}, Mon 18:00" in synced
    assert f"  Thu 19 Nov: {missed_set.name} missed: Pigeon Pose + Standing Figure-Four" not in synced
    changed = synced.split("Since the last sync:\n", 1)[1].split("Coming up:", 1)[0]
    assert changed.splitlines() == [
        "  Wed 18 Nov: Post-run 2 Stretch missed: Pigeon Pose + Standing Figure-Four",
        "  Fri 20 Nov: Glute Strength & Mobility missed",
    ]
    week_line = "This week (from Mon 16 Nov): strength 1 of 2 days (1 missed: Fri 20), stretching 2 days (target 2–3)."
    assert week_line in synced.splitlines()

    status = fitplug(db, "status").output
    assert week_line in status.splitlines() and "No post-run set due." in status

    doc = json.loads(fitplug(db, "status", "--json").output)
    runs = {r["key"]: r for r in doc["runs"]}
    mon, wed = runs["stretch-20261116T070000Z"], runs["stretch-20261118T070000Z"]
    assert (mon["state"], mon["name"], mon["session_id"], mon["done_as"]) == (
        "done",
        done_set.name,
        VARIANTS[0].id,
        done_set.id,
    )
    assert (wed["state"], wed["name"]) == ("missed", missed_set.name)
    titles = {i["key"]: i["title"] for i in doc["items"]}
    assert titles["stretch-20261116T070000Z"] == "Post-run 3 Stretch done: Pigeon Pose + Stacked-leg Glute Stretch"
    assert titles["stretch-20261118T070000Z"] == "Post-run 2 Stretch missed: Pigeon Pose + Standing Figure-Four"
    assert doc["week"]["strength_done"] == 1 and doc["week"]["strength_missed"] == ["2026-11-20"]

    listed = fitplug(db, "activities").output
    tue = [line for line in listed.splitlines() if "tue-strength.fit" in line]
    assert re.match(r"2026-11-17 07:00\s+run\s+running/treadmill", tue[0])
    assert re.match(r"2026-11-17 07:05\s+strength\s+training/strength_training", tue[1])
    assert "  against the plan: Glute Strength & Mobility (workout name)" in listed
    rows = json.loads(fitplug(db, "activities", "--json").output)["sessions"]
    kinds = {(Path(r["file"]).name, r["session"]): r["kind"] for r in rows}
    assert kinds == {
        ("mon-run.fit", 0): "run",
        ("mon-stretch.fit", 0): "stretch",
        ("tue-strength.fit", 0): "run",
        ("tue-strength.fit", 1): "strength",
        ("wed-run.fit", 0): "run",
    }
    tue_rows = [r for r in rows if r["file"].endswith("tue-strength.fit")]
    assert tue_rows[0]["plan"] is None and tue_rows[0]["sets"] == []
    assert tue_rows[1]["plan"] is not None and len(tue_rows[1]["sets"]) > 0

    feed = Calendar.from_ical(fitplug(db, "calendar", str(programme), "-o", "-").stdout_bytes)
    summaries = {str(e["UID"]).split("@")[0]: str(e["SUMMARY"]) for e in feed.walk("VEVENT")}
    for key in ("stretch-20261116T070000Z", "stretch-20261118T070000Z"):
        (uid,) = [u for u in summaries if u.endswith(key)]
        assert summaries[uid] == titles[key]

    page = tmp_path / "page.html"
    fitplug(db, "report", "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert week_line in html
    # the next run (the third qualifying run) gets the third set: the page says it by its watch name
    assert "After your next run: <strong>Post-run 3 Stretch (Pigeon Pose + Stacked-leg Glute Stretch)" in html

    checked = fitplug(db, "check", str(programme)).output
    assert [line.strip().split(":")[0] for line in checked.splitlines() if "Post-run" in line] == [
        v.name for v in VARIANTS
    ]
    out = tmp_path / "out"
    fitplug(db, "build", "-p", str(programme), "-o", str(out))
    shown = json.loads(fitplug(db, "show", "--json", str(out / f"{done_set.id}.fit")).output)
    assert shown["workout"]["name"] == done_set.name


def test_many_files_skipped_for_one_reason_are_summed_up() -> None:
    """#22: a zip of 100,000 entries that are not FIT files says so in a few lines, not 100,000."""
    from fitplug.model import SkippedFile, SyncResult
    from fitplug.present.activities import sync_lines

    result = SyncResult()
    result.skipped = [SkippedFile(f"export.zip!junk/{n:06d}.fit", "not a FIT file", 0) for n in range(100_000)]
    result.skipped += [SkippedFile("a.fit", "empty file (0 bytes)", 0), SkippedFile("b.fit", "bad CRC", 12)]
    lines = sync_lines(result)
    skipped = lines[lines.index("Skipped 100,002 files that could not be read:") :]
    assert skipped[1:7] == [
        "  export.zip!junk/000000.fit @ byte 0: not a FIT file",
        "  export.zip!junk/000001.fit @ byte 0: not a FIT file",
        "  export.zip!junk/000002.fit @ byte 0: not a FIT file",
        "  a.fit @ byte 0: empty file (0 bytes)",
        "  b.fit @ byte 12: bad CRC",
        "  and 99,997 more files: not a FIT file",
    ]
    assert len(lines) < 20

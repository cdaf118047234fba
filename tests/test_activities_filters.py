"""`fitplug activities --last N --since DATE --kind KIND` (#21): a long history, read a screen at a time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import make_activities as m
from conftest import Invoke, at, programme_file

NOW = "2026-11-30T12:00:00Z"


def rows(invoke: Invoke, db: Path, *args: str) -> list[tuple[str, str]]:
    doc = json.loads(invoke("--db", db, "--now", NOW, "activities", "--json", *args, code=0).output)
    return [(r["start_utc"][:10], r["kind"]) for r in doc["sessions"]]


def test_filters(invoke: Invoke, tmp_path: Path) -> None:
    programme = programme_file(tmp_path, start=dt.date(2026, 11, 2))
    src = tmp_path / "watch"
    src.mkdir()
    for day in range(2, 28):
        data = m.strength(at(day, 7), [13] * 6) if day % 3 == 0 else m.run(at(day, 7), 30, 6.0)
        (src / f"{day:02d}.fit").write_bytes(data)
    (src / "ride.fit").write_bytes(m.ride(at(28, 7), 60, 25.0))
    db = tmp_path / "db.sqlite3"
    invoke("--db", db, "--now", NOW, "sync", str(src), str(programme), code=0)
    everything = rows(invoke, db)
    assert len(everything) == 27
    assert rows(invoke, db, "--last", "3") == everything[-3:]
    assert rows(invoke, db, "--since", "2026-11-25") == [d for d in everything if d[0] >= "2026-11-25"]
    strength = rows(invoke, db, "--kind", "strength")
    assert strength == [d for d in everything if d[1] == "strength"] and len(strength) == 9
    assert rows(invoke, db, "--kind", "cycling") == [("2026-11-28", "cycling")]
    assert rows(invoke, db, "--kind", "Strength", "--since", "2026-11-20", "--last", "2") == [
        ("2026-11-24", "strength"),
        ("2026-11-27", "strength"),
    ]
    text = invoke("--db", db, "--now", NOW, "activities", "--last", "1", code=0).output
    assert "cycling" in text and "running" not in text
    bad = invoke("--db", db, "--now", NOW, "activities", "--last", "0")
    assert bad.exit_code == 2 and "--last" in bad.output

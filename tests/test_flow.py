"""The whole data flow: recorded runs → store → due items → the feed (file and server)."""

from __future__ import annotations

import datetime as dt
import urllib.request
from pathlib import Path

import icalendar
import make_activities as m
from conftest import ROOT, Invoke, invoke_cli

from fitplug.app import share as app_serve
from fitplug.programme.load import load_programme

PROGRAMME = ROOT / "templates" / "glute-runner.toml"
NOW = "2026-11-22T09:30:00Z"


def due_events(ics: bytes) -> list[icalendar.Event]:
    """The post-run stretch items of a feed (missed strength days are due items too)."""
    cal = icalendar.Calendar.from_ical(ics)
    return [
        e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("due.") and "stretch" in str(e["SUMMARY"]).lower()
    ]


def sync_run(db: Path, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    run_start = dt.datetime(2026, 11, 22, 7, 14, tzinfo=dt.UTC)
    (folder / "run.fit").write_bytes(m.run(run_start, 48, 10.2))
    result = invoke_cli("--db", str(db), "--now", NOW, "sync", str(folder), "--programme", str(PROGRAMME))
    assert result.exit_code == 0, result.output
    assert "post-run set due now" in result.output.lower()


def test_build_and_calendar_carry_the_due_stretch(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    before = invoke("--db", str(db), "--now", NOW, "build", str(PROGRAMME), "-o", str(tmp_path / "before"))
    assert before.exit_code == 0
    assert due_events((tmp_path / "before" / "glute-runner.ics").read_bytes()) == []

    sync_run(db, tmp_path / "runs")
    invoke("--db", str(db), "--now", NOW, "build", "-o", str(tmp_path / "after"))
    events = due_events((tmp_path / "after" / "glute-runner.ics").read_bytes())
    assert len(events) == 1
    event = events[0]
    assert "stretch" in str(event["SUMMARY"]).lower()
    assert event.decoded("DTSTART") == dt.datetime(2026, 11, 22, 8, 2, tzinfo=dt.UTC)  # the run's end

    cal = invoke("--db", str(db), "--now", NOW, "calendar", "-o", str(tmp_path / "f.ics"))
    assert cal.exit_code == 0
    assert [str(e["UID"]) for e in due_events((tmp_path / "f.ics").read_bytes())] == [str(event["UID"])]


def test_serve_due_source_follows_new_syncs(tmp_path: Path) -> None:
    from fitplug.calendar.server import open_server

    db = tmp_path / "db.sqlite3"
    now = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
    source = app_serve.due_source(db_path=db)
    assert source(load_programme(PROGRAMME), now) == []  # no store yet: nothing due, and no store is created
    assert not db.exists()
    server, info = open_server(
        PROGRAMME,
        host="127.0.0.1",
        port=0,
        rotate_token=False,
        clock=lambda: now,
        due_source=source,
        log=lambda line: None,
        inputs=app_serve.store_files(db),
        check_every_s=0.0,
    )
    import threading

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(info.url, timeout=10) as response:
            assert due_events(response.read()) == []
        sync_run(db, tmp_path / "runs")
        with urllib.request.urlopen(info.url, timeout=10) as response:
            assert len(due_events(response.read())) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert load_programme(PROGRAMME).id == "glute-runner"

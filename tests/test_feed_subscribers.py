"""Real subscribers keep every event (#19): vdirsyncer's http storage, synced into a folder, from
`fitplug serve` and from a copy published to wsgidav; after an edit it replaces exactly the changed
events, with no duplicates. A calendar-level UID once made it keep a single event."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from test_publish import PASSWORD, USER, Dav, dav  # noqa: F401  # the wsgidav fixture

from fitplug.app import share as app_serve
from fitplug.calendar import publish as webdav
from fitplug.calendar.server import open_server

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
VDIRSYNCER = shutil.which("vdirsyncer", path=str(Path(sys.executable).parent)) or shutil.which("vdirsyncer")


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    path = tmp_path / "mine.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", path)
    return path


def sync(tmp_path: Path, url: str, *, auth: bool = False) -> dict[str, bytes]:
    """``vdirsyncer discover`` and ``sync`` of ``url`` into a folder; file name → bytes of the items."""
    if VDIRSYNCER is None:
        pytest.skip("vdirsyncer is not installed (pip install -e '.[test]')")
    local, status = tmp_path / "vdir" / "local", tmp_path / "vdir" / "status"
    local.mkdir(parents=True, exist_ok=True)
    credentials = f'username = "{USER}"\npassword = "{PASSWORD.replace(chr(92), chr(92) * 2)}"\n' if auth else ""
    config = tmp_path / "vdir" / "config"
    config.write_text(
        f'[general]\nstatus_path = "{status}/"\n\n'
        '[pair feed]\na = "remote"\nb = "local"\ncollections = null\nconflict_resolution = "a wins"\n\n'
        f'[storage remote]\ntype = "http"\nurl = "{url}"\n{credentials}\n'
        f'[storage local]\ntype = "filesystem"\npath = "{local}/"\nfileext = ".ics"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "HOME": str(tmp_path / "vdir")}
    for command in ("discover", "sync"):
        done = subprocess.run(
            [VDIRSYNCER, "-c", str(config), command],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            input="",
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return {p.name: p.read_bytes() for p in sorted(local.glob("*.ics"))}


def by_day(items: dict[str, bytes]) -> dict[dt.date, bytes]:
    """The day of each item's event → the item; every item holds exactly one event, every day once.

    (vdirsyncer's http storage replaces each UID by a hash of the item, so items are told apart by day.)
    """
    out: dict[dt.date, bytes] = {}
    for data in items.values():
        (event,) = Calendar.from_ical(data).walk("VEVENT")
        day = event["DTSTART"].dt.date()
        assert day not in out, f"{day} twice"
        out[day] = data
    return out


def changed(before: dict[dt.date, bytes], after: dict[dt.date, bytes]) -> set[dt.date]:
    assert set(before) == set(after)
    return {day for day in before if before[day] != after[day]}


@pytest.fixture
def served(programme: Path) -> Iterator[str]:
    clock = [NOW]
    server, info = open_server(programme, port=0, clock=lambda: clock[0], check_every_s=0.0, ledger=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield info.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def edit(programme: Path) -> None:
    text = programme.read_text(encoding="utf-8")
    assert 'time = "07:00"' in text
    programme.write_text(text.replace('time = "07:00"', 'time = "07:30"', 1), encoding="utf-8")


def test_vdirsyncer_keeps_every_served_event_and_replaces_only_the_changed(
    served: str, programme: Path, tmp_path: Path
) -> None:
    first = by_day(sync(tmp_path, served))
    assert len(first) == 28  # every planned session of the 14 weeks, not one
    edit(programme)  # the server follows the file
    after = by_day(sync(tmp_path, served))
    ahead = {day for day in first if day > NOW.date()}
    assert ahead and changed(first, after) == ahead  # the sessions still ahead moved; the past kept
    for day in ahead:
        (event,) = Calendar.from_ical(after[day]).walk("VEVENT")
        assert event["SEQUENCE"] == 1 and event["DTSTART"].dt.strftime("%H:%M") == "07:30"


def test_vdirsyncer_keeps_every_event_of_a_copy_published_to_webdav(
    dav: Dav,  # noqa: F811
    programme: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(webdav.USER_ENV, USER)
    monkeypatch.setenv(webdav.PASSWORD_ENV, PASSWORD)
    app_serve.publish(programme, dav.url(), now=NOW)
    first = by_day(sync(tmp_path, dav.url(), auth=True))
    assert len(first) == 28
    edit(programme)
    assert app_serve.publish(programme, dav.url(), now=NOW + dt.timedelta(minutes=5)).changed
    after = by_day(sync(tmp_path, dav.url(), auth=True))
    ahead = {day for day in first if day > NOW.date()}
    assert ahead and changed(first, after) == ahead

"""`fitplug publish` against a real WebDAV server (wsgidav) started on loopback: the round
trip, only-when-changed, If-Match between two machines, credentials from netrc or the
environment only, the remembered target and `sync --publish`."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import invoke_cli, programme_file
from icalendar import Calendar

from fitplug.app import calendar as app_calendar
from fitplug.app import share as app_serve
from fitplug.calendar import publish as webdav
from fitplug.errors import FeedError, FitplugError
from fitplug.programme.load import load_programme
from fitplug.settings import remembered

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
USER, PASSWORD = "runner", "s3cret, with; odd \\ chars"


@dataclass
class Dav:
    root: Path
    port: int

    def url(self, name: str = "glutes.ics") -> str:
        return f"http://127.0.0.1:{self.port}/cal/{name}"


@pytest.fixture
def dav(tmp_path: Path) -> Iterator[Dav]:
    pytest.importorskip("wsgidav")
    from waitress.server import create_server
    from wsgidav.wsgidav_app import WsgiDAVApp

    root = tmp_path / "dav"
    (root / "cal").mkdir(parents=True)
    app = WsgiDAVApp(
        {
            "host": "127.0.0.1",
            "port": 0,
            "provider_mapping": {"/": str(root)},
            "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD}}}},
            "http_authenticator": {"accept_basic": True, "accept_digest": False, "default_to_digest": False},
            "verbose": 0,
            "logging": {"enable": False},
            "lock_storage": True,
            "property_manager": True,
        }
    )
    from waitress import wasyncore

    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield Dav(root, int(server.effective_port))
    finally:
        stop.set()
        thread.join(5)
        server.close()


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    path = tmp_path / "mine.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", path)
    return path


@pytest.fixture
def env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(webdav.USER_ENV, USER)
    monkeypatch.setenv(webdav.PASSWORD_ENV, PASSWORD)


def run_cli(*args: str) -> tuple[int, str]:
    result = invoke_cli(*args, "--now", NOW.isoformat())
    return result.exit_code, result.output


def test_publish_puts_the_feed_and_writes_again_only_when_it_changed(
    dav: Dav, programme: Path, env_credentials: None, tmp_path: Path
) -> None:
    code, out = run_cli("publish", str(programme), dav.url())
    assert code == 0, out
    assert out.startswith(f"Published {dav.url()}: 28 sessions")
    stored = (dav.root / "cal" / "glutes.ics").read_bytes()
    assert len(plan_events(stored)) == 28
    mtime = (dav.root / "cal" / "glutes.ics").stat().st_mtime_ns

    code, out = run_cli("publish")  # the remembered URL and programme
    assert (code, out) == (0, f"{dav.url()} is up to date; nothing written\n")
    assert (dav.root / "cal" / "glutes.ics").stat().st_mtime_ns == mtime
    assert remembered().publish_url == dav.url()

    # an edit: only the changed events get a higher SEQUENCE, carried on from the published copy
    programme.write_text(programme.read_text().replace('time = "07:00"', 'time = "07:30"'))
    code, out = run_cli("publish")
    assert code == 0 and out.startswith("Published"), out
    after = plan_events((dav.root / "cal" / "glutes.ics").read_bytes())
    # the sessions still ahead moved to 07:30 (SEQUENCE 1); those already over keep 07:00 as they happened
    ahead = [e for e in after if e["DTEND"].dt > NOW]
    over = [e for e in after if e["DTEND"].dt <= NOW]
    assert ahead and over
    assert {e["SEQUENCE"] for e in ahead} == {1} and {e["DTSTART"].dt.strftime("%H:%M") for e in ahead} == {"07:30"}
    assert {e["SEQUENCE"] for e in over} == {0} and {e["DTSTART"].dt.strftime("%H:%M") for e in over} == {"07:00"}
    assert {e["SEQUENCE"] for e in plan_events(stored)} == {0}


def plan_events(body: bytes) -> list:  # type: ignore[type-arg]
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["UID"]).startswith("plan.")]


def test_two_machines_never_overwrite_each_other_silently(dav: Dav, programme: Path, env_credentials: None) -> None:
    """Machine B reads, machine A writes meanwhile, B's write is refused (412) and nothing is lost."""
    prog = load_programme(programme)
    app_serve.publish(programme, dav.url(), now=NOW)
    seen: list[bytes | None] = []

    def build_b(previous: bytes | None) -> app_calendar.Feed:
        seen.append(previous)
        # A publishes a changed feed between B's read and B's write
        (dav.root / "cal" / "glutes.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        return app_calendar.render_feed(prog, [], now=NOW + dt.timedelta(days=3), previous=previous)

    with pytest.raises(FeedError, match="changed by someone else.*412"):
        webdav.publish(dav.url(), build_b, programme_id=prog.id)
    assert seen and seen[0] is not None
    assert (dav.root / "cal" / "glutes.ics").read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def test_a_new_file_is_created_only_if_still_absent(dav: Dav, programme: Path, env_credentials: None) -> None:
    prog = load_programme(programme)

    def build(previous: bytes | None) -> app_calendar.Feed:
        assert previous is None
        (dav.root / "cal" / "new.ics").write_bytes(b"someone else's")
        return app_calendar.render_feed(prog, [], now=NOW)

    with pytest.raises(FeedError, match="412"):
        webdav.publish(dav.url("new.ics"), build, programme_id=prog.id)
    assert (dav.root / "cal" / "new.ics").read_bytes() == b"someone else's"


def test_credentials_come_from_netrc(
    dav: Dav, programme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(webdav.USER_ENV, raising=False)
    monkeypatch.delenv(webdav.PASSWORD_ENV, raising=False)
    code, out = run_cli("publish", str(programme), dav.url())
    assert code == 1 and "401" in out and ".netrc" in out, out
    netrc = tmp_path / "netrc"
    quoted = PASSWORD.replace("\\", "\\\\")  # netrc: a backslash escapes inside quotes
    netrc.write_text(f'machine 127.0.0.1 login {USER} password "{quoted}"\n')
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    code, out = run_cli("publish", str(programme), dav.url())
    assert code == 0 and out.startswith("Published"), out


def test_wrong_credentials_are_refused_and_nothing_is_written(
    dav: Dav, programme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(webdav.USER_ENV, USER)
    monkeypatch.setenv(webdav.PASSWORD_ENV, "wrong")
    code, out = run_cli("publish", str(programme), dav.url())
    assert code == 1 and "refused the credentials" in out
    assert not (dav.root / "cal" / "glutes.ics").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://me:pw@cloud.example.com/dav/glutes.ics", "no user name or password in the URL"),
        ("ftp://cloud.example.com/glutes.ics", "not an http"),
        ("https://cloud.example.com/dav/", "name the file"),
    ],
)
def test_bad_urls_are_refused_before_any_request(url: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        webdav.check_url(url)


def test_credentials_never_go_over_plain_http_to_another_host(env_credentials: None) -> None:
    def build(previous: bytes | None) -> app_calendar.Feed:
        raise AssertionError("nothing may be read or built")

    with pytest.raises(FeedError, match="only over https"):
        webdav.publish("http://cloud.example.com/dav/glutes.ics", build, programme_id="glute-runner")


def test_publish_without_a_url_or_a_remembered_one_says_so(programme: Path) -> None:
    with pytest.raises(FitplugError, match="no URL given and none remembered"):
        app_serve.publish(programme, None, now=NOW)


def test_sync_publish_republishes_to_the_remembered_url(
    dav: Dav, programme: Path, env_credentials: None, tmp_path: Path
) -> None:
    code, out = run_cli("publish", str(programme), dav.url())
    assert code == 0, out
    # the runner started the Monday before: the sync's bookkeeping finds Tuesday and Friday missed
    programme_file(programme.parent, start=dt.date(2026, 11, 16), name=programme.name)
    empty = tmp_path / "no-activities"
    empty.mkdir()
    code, out = run_cli("sync", str(empty), "--programme", str(programme), "--publish")
    assert code == 0, out
    # the missed strength days are new in the feed
    assert out.rstrip().endswith(f"Published {dav.url()}")
    published = Calendar.from_ical((dav.root / "cal" / "glutes.ics").read_bytes())
    # each missed day is its planned event, marked: one event, not a planned one and a "missed" one
    assert any(str(e["SUMMARY"]).startswith("✗ ") for e in published.walk("VEVENT"))
    assert not any("missed" in str(e["UID"]) for e in published.walk("VEVENT"))
    code, out = run_cli("sync", "--publish")
    assert code == 0 and out.rstrip().endswith(f"{dav.url()} is up to date"), out


def test_publishing_shows_its_steps(dav: Dav, programme: Path, env_credentials: None) -> None:
    """#21: on a terminal, publish shows reading the copy there, then writing the new one."""
    import io

    from fitplug.cli.meter import Meter

    meter = Meter("Publishing", stream=io.StringIO(), clock=lambda: 0.0)
    app_serve.publish(programme, dav.url(), now=NOW, meter=meter)
    assert [line.split("[")[0].strip() for line in meter.drawn] == [
        "Publishing   0%",
        "Publishing  50%",
        "Publishing 100%",
        "Publishing 100%",
    ]
    again = Meter("Publishing", stream=io.StringIO(), clock=lambda: 0.0)
    app_serve.publish(programme, dav.url(), now=NOW, meter=again)  # up to date: read, nothing to write
    assert again.drawn[-1].startswith("Publishing 100%")

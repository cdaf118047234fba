"""`fitplug publish` writes only over its own feed of the same programme, known by its content (#19),
against wsgidav and Radicale (which rewrites what is put); versions only go forward across a
rewritten or deleted remote copy; and, against tiny loopback servers, every request has one deadline,
a copy without an ETag is guarded by If-Unmodified-Since or refused, a copy cut short is never
used (#22)."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import shutil
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import invoke_cli
from icalendar import Calendar
from test_publish import PASSWORD, USER, Dav, dav  # noqa: F401  # the wsgidav fixture

from fitplug.app import calendar as app_calendar
from fitplug.calendar import ledger
from fitplug.calendar import publish as webdav
from fitplug.errors import FeedError
from fitplug.programme.load import load_programme

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
STRANGER = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:abc123@google.com\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261125T100000Z\r\n"
    b"DTEND:20261125T110000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    path = tmp_path / "mine.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", path)
    return path


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(webdav.USER_ENV, USER)
    monkeypatch.setenv(webdav.PASSWORD_ENV, PASSWORD)


def serve_wsgi(app: object) -> tuple[int, Callable[[], None]]:
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def close() -> None:
        stop.set()
        thread.join(5)
        server.close()

    return int(server.effective_port), close


@pytest.fixture
def radicale_url(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("radicale")
    import radicale
    import radicale.config

    conf = radicale.config.load([])
    conf.update(
        {
            "storage": {"filesystem_folder": str(tmp_path / "radicale")},
            "auth": {"type": "none"},
            "rights": {"type": "owner_only"},
            "logging": {"level": "warning"},
        },
        "test",
        privileged=True,
    )
    port, close = serve_wsgi(radicale.Application(conf))
    try:
        yield f"http://127.0.0.1:{port}/{USER}/glutes.ics"
    finally:
        close()


def request(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers={**AUTH, "Content-Type": "text/calendar"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def publish_cli(programme: Path, url: str, *args: str, now: dt.datetime = NOW) -> tuple[int, str]:
    result = invoke_cli("--now", now.isoformat(), "publish", str(programme), url, *args)
    return result.exit_code, result.output


def plan_events(body: bytes) -> list:  # type: ignore[type-arg]
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["UID"]).startswith("plan.")]


def edit(programme: Path) -> None:
    programme.write_text(programme.read_text().replace('time = "07:00"', 'time = "07:30"', 1))


# --- what is there --------------------------------------------------------------------


@pytest.mark.parametrize("server", ["wsgidav", "radicale"])
def test_a_strangers_calendar_is_refused_untouched_and_force_replaces_it_loudly(
    server: str,
    request: pytest.FixtureRequest,
    programme: Path,
) -> None:
    url = request.getfixturevalue("dav").url() if server == "wsgidav" else request.getfixturevalue("radicale_url")
    assert globals()["request"](url, "PUT", STRANGER)[0] in (200, 201, 204)
    before = globals()["request"](url)
    code, out = publish_cli(programme, url)
    assert code == 1
    assert "not fitplug" in out and "nothing was written" in out and "--force" in out, out
    assert "Google Calendar" in out or "PYVOBJECT" in out, out  # it names what is there
    assert globals()["request"](url) == before
    code, out = publish_cli(programme, url, "--force")
    assert code == 0 and "Warning: --force: replaced" in out, out
    assert len(plan_events(globals()["request"](url)[1])) == 28


def test_a_plain_text_file_is_refused_untouched(dav: Dav, programme: Path) -> None:  # noqa: F811
    path = dav.root / "cal" / "glutes.ics"
    path.write_bytes(b"my shopping list\n")
    code, out = publish_cli(programme, dav.url())
    assert code == 1 and "not an iCalendar feed" in out and "my shopping list" in out, out
    assert path.read_bytes() == b"my shopping list\n"


def test_fitplugs_feed_of_another_programme_is_refused(dav: Dav, programme: Path, tmp_path: Path) -> None:  # noqa: F811
    other = tmp_path / "other.toml"
    other.write_text(programme.read_text().replace('id = "glute-runner"', 'id = "someone-else"', 1))
    assert 'id = "someone-else"' in other.read_text()
    assert publish_cli(other, dav.url())[0] == 0
    before = (dav.root / "cal" / "glutes.ics").read_bytes()
    code, out = publish_cli(programme, dav.url())
    assert code == 1 and "another programme ('someone-else')" in out, out
    assert (dav.root / "cal" / "glutes.ics").read_bytes() == before


@pytest.mark.parametrize("server", ["wsgidav", "radicale"])
def test_its_own_feed_is_replaced_and_versions_only_go_forward(
    server: str, request: pytest.FixtureRequest, programme: Path
) -> None:
    url = request.getfixturevalue("dav").url() if server == "wsgidav" else request.getfixturevalue("radicale_url")
    assert publish_cli(programme, url)[0] == 0
    edit(programme)
    code, out = publish_cli(programme, url, now=NOW + dt.timedelta(minutes=5))
    assert code == 0 and out.startswith("Published"), out
    again = NOW + dt.timedelta(minutes=10)
    assert publish_cli(programme, url, now=again)[0] == 0  # Radicale's rewrite is no change
    events = plan_events(globals()["request"](url)[1])
    ahead = {e["SEQUENCE"] for e in events if e["DTEND"].dt > NOW}
    over = {e["SEQUENCE"] for e in events if e["DTEND"].dt <= NOW}
    assert (ahead, over) == ({1}, {0})


def test_a_deleted_remote_copy_does_not_send_versions_back(dav: Dav, programme: Path) -> None:  # noqa: F811
    assert publish_cli(programme, dav.url())[0] == 0
    edit(programme)
    assert publish_cli(programme, dav.url(), now=NOW + dt.timedelta(minutes=5))[0] == 0
    (dav.root / "cal" / "glutes.ics").unlink()
    assert publish_cli(programme, dav.url("elsewhere.ics"), now=NOW + dt.timedelta(minutes=9))[0] == 0
    assert publish_cli(programme, dav.url(), now=NOW + dt.timedelta(minutes=10))[0] == 0
    for name in ("glutes.ics", "elsewhere.ics"):
        events = plan_events((dav.root / "cal" / name).read_bytes())
        assert {e["SEQUENCE"] for e in events if e["DTEND"].dt > NOW} == {1}, name
    assert ledger.read("glute-runner")  # what kept them


# --- servers that misbehave -------------------------------------------------------------


@dataclass
class Tiny:
    """A loopback HTTP server answering GET as told and recording each request's headers."""

    get_status: int = 200
    get_body: bytes = b""
    get_headers: dict[str, str] = field(default_factory=dict)
    #: send fewer body bytes than Content-Length says, then close
    cut_to: int | None = None
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def tiny() -> Iterator[tuple[Tiny, str]]:
    state = Tiny()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.seen.append(("GET", dict(self.headers)))
            self.send_response(state.get_status)
            for k, v in state.get_headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(state.get_body)))
            self.end_headers()
            body = state.get_body if state.cut_to is None else state.get_body[: state.cut_to]
            self.wfile.write(body)
            if state.cut_to is not None:
                self.close_connection = True

        def do_PUT(self) -> None:
            state.seen.append(("PUT", dict(self.headers)))
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/cal/glutes.ics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def own_feed(programme: Path) -> bytes:
    return app_calendar.render_feed(load_programme(programme), [], now=NOW - dt.timedelta(days=1)).body


def test_a_copy_without_an_etag_is_guarded_by_its_date(tiny: tuple[Tiny, str], programme: Path) -> None:
    state, url = tiny
    state.get_body = own_feed(programme)
    state.get_headers = {"Last-Modified": "Sat, 21 Nov 2026 09:30:00 GMT"}
    edit(programme)  # something to write
    code, out = publish_cli(programme, url)
    assert code == 0, out
    (put,) = [h for m, h in state.seen if m == "PUT"]
    assert put["If-Unmodified-Since"] == "Sat, 21 Nov 2026 09:30:00 GMT" and "If-Match" not in put


def test_a_copy_without_any_validator_is_not_written_over(tiny: tuple[Tiny, str], programme: Path) -> None:
    state, url = tiny
    state.get_body = own_feed(programme)
    edit(programme)
    code, out = publish_cli(programme, url)
    assert code == 1 and "neither an ETag nor a Last-Modified" in out, out
    assert [m for m, _ in state.seen] == ["GET"]


def test_a_copy_cut_short_is_never_used(tiny: tuple[Tiny, str], programme: Path) -> None:
    state, url = tiny
    state.get_body = own_feed(programme)
    state.get_headers = {"ETag": '"x"'}
    state.cut_to = 500
    code, out = publish_cli(programme, url)
    assert code == 1 and "cut short (500 of" in out, out
    assert [m for m, _ in state.seen] == ["GET"]


def test_one_deadline_bounds_a_server_that_drips(programme: Path) -> None:
    """A server that sends its answer a byte at a time never stalls a read for long; the deadline
    for the whole request still ends it, and the server sees the connection go."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    outcome: list[str] = []

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            stop = threading.Event()
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    outcome.append("closed by the client")
                    return
                if stop.wait(0.1):
                    return
            outcome.append("dripped it all")

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/cal/glutes.ics"
    prog = load_programme(programme)
    with pytest.raises(FeedError, match=r"GET did not finish within 1 s"):
        webdav.publish(
            url,
            lambda previous: app_calendar.render_feed(prog, [], now=NOW, previous=previous),
            programme_id=prog.id,
            deadline_s=1.0,
        )
    thread.join(30)
    listener.close()
    assert outcome == ["closed by the client"]


def test_the_deadline_is_an_option(invoke: object) -> None:
    result = invoke_cli("publish", "--help")
    assert "--timeout SECONDS" in result.output and "60" in result.output

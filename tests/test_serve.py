"""The feed server on an ephemeral loopback port: the one URL, conditional GETs, HEAD,
hostile paths and heads, slow and idle clients, many clients at once."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import email.utils
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import pytest
from conftest import Invoke
from icalendar import Calendar

from fitplug import FeedError
from fitplug.calendar import feed as ical
from fitplug.calendar import server as serve
from fitplug.calendar.token import feed_token, token_path
from fitplug.model import DueItem, DueKind

UTC = dt.UTC
ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@dataclass
class Running:
    server: serve.FeedServer
    info: serve.ServeInfo
    programme: Path
    token: str
    logs: list[str]
    due: list[DueItem] = field(default_factory=list)
    clock: list[dt.datetime] = field(default_factory=lambda: [NOW])

    @property
    def port(self) -> int:
        return self.info.port

    @property
    def path(self) -> str:
        return f"/{self.token}/glute-runner.ics"


def start(tmp_path: Path, **kwargs: object) -> tuple[Running, threading.Thread]:
    programme = tmp_path / "glute-runner.toml"
    if not programme.exists():
        shutil.copy(ROOT / "templates" / "glute-runner.toml", programme)
    logs: list[str] = []
    clock = [NOW]
    due: list[DueItem] = []
    store = tmp_path / "store.db"  # stands for the store's files: a change means new sync results
    store.write_bytes(b"0")
    server, info = serve.open_server(
        programme,
        host="127.0.0.1",
        port=0,
        clock=lambda: clock[0],
        inputs=[store],
        due_source=lambda programme, now: list(due),
        log=logs.append,
        **{"check_every_s": 0.0, **kwargs},  # type: ignore[arg-type]
    )
    running = Running(server, info, programme, feed_token(), logs, due, clock)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return running, thread


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Running]:
    running, thread = start(tmp_path, head_timeout_s=1.0)
    yield running
    running.server.shutdown()
    running.server.server_close()
    thread.join(5)


def get(
    r: Running, path: str | None = None, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, Message, bytes]:
    """Status, headers (names case-insensitive, as HTTP has them) and body."""
    req = urllib.request.Request(f"http://127.0.0.1:{r.port}{path or r.path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` as is and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


# --- the feed -----------------------------------------------------------------------


def test_the_feed_url_serves_the_feed_with_its_headers(srv: Running) -> None:
    status, headers, body = get(srv)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Cache-Control"] == "private, max-age=300"
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert (
        headers["ETag"]
        == ical.render_feed(
            __import__("fitplug.programme.load", fromlist=["x"]).load_programme(srv.programme),
            [],
            now=NOW,
        ).etag
    )
    last_modified = email.utils.parsedate_to_datetime(headers["Last-Modified"])
    assert last_modified <= email.utils.parsedate_to_datetime(headers["Date"])
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 28
    assert srv.info.url == f"http://127.0.0.1:{srv.port}{srv.path}"
    assert srv.info.webcal_url == f"webcal://127.0.0.1:{srv.port}{srv.path}"
    assert srv.info.warning is None


def test_query_strings_are_ignored(srv: Running) -> None:
    assert get(srv, srv.path + "?nocache=123")[0] == 200


def test_head_has_the_headers_and_no_body(srv: Running) -> None:
    _, full_headers, body = get(srv)
    status, headers, head_body = get(srv, method="HEAD")
    assert (status, head_body) == (200, b"")
    assert headers["Content-Length"] == str(len(body))
    assert headers["ETag"] == full_headers["ETag"]
    response = raw(srv.port, f"HEAD {srv.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert response.endswith(b"\r\n\r\n")  # nothing after the head


def test_conditional_gets(srv: Running) -> None:
    _, headers, _ = get(srv)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    status, h304, body = get(srv, headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert h304["ETag"] == etag and h304["Last-Modified"] == last_modified
    assert "Content-Length" not in h304 and "Content-Type" not in h304
    assert get(srv, headers={"If-None-Match": f'"other", W/{etag}'})[0] == 304  # weak comparison
    assert get(srv, headers={"If-None-Match": "*"})[0] == 304
    assert get(srv, headers={"If-Modified-Since": last_modified})[0] == 304
    earlier = email.utils.format_datetime(
        email.utils.parsedate_to_datetime(last_modified) - dt.timedelta(seconds=1), usegmt=True
    )
    assert get(srv, headers={"If-Modified-Since": earlier})[0] == 200
    # If-None-Match decides when both are sent (RFC 9110 §13.2.2)
    assert get(srv, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified})[0] == 200
    assert get(srv, headers={"If-Modified-Since": "not a date"})[0] == 200
    assert get(srv, method="HEAD", headers={"If-None-Match": etag})[0] == 304


def store_changed(r: Running, text: str) -> None:
    """What a sync does to the store's files: new content, a new modification time."""
    path = r.programme.parent / "store.db"
    path.write_text(text)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + len(text) * 1_000_000_000))


def test_new_due_items_and_programme_edits_show_without_a_restart(srv: Running) -> None:
    _, first, _ = get(srv)
    srv.clock[0] = NOW + dt.timedelta(minutes=5)
    srv.due.append(
        DueItem(
            DueKind.STRETCH_DUE,
            "stretch-run-1",
            NOW,
            NOW + dt.timedelta(hours=20),
            "Post-run stretch due",
            updated_utc=NOW + dt.timedelta(minutes=4),
        )
    )
    store_changed(srv, "1")
    status, second, body = get(srv, headers={"If-None-Match": first["ETag"]})
    assert status == 200 and second["ETag"] != first["ETag"]
    assert b"UID:due.glute-runner.stretch-run-1@fitplug.invalid" in body
    assert second["Last-Modified"] == "Sun, 22 Nov 2026 09:34:00 GMT"  # the item's own time

    # the item goes away (no time of its own): Last-Modified still moves on
    srv.clock[0] = NOW + dt.timedelta(minutes=7)
    srv.due.clear()
    store_changed(srv, "22")
    _, third, _ = get(srv)
    assert third["ETag"] == first["ETag"]
    assert third["Last-Modified"] == "Sun, 22 Nov 2026 09:37:00 GMT"

    srv.clock[0] = NOW + dt.timedelta(minutes=10)
    text = srv.programme.read_text(encoding="utf-8").replace('time = "07:00"', 'time = "07:30"')
    srv.programme.write_text(text, encoding="utf-8")
    os.utime(srv.programme, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    _, fourth, body = get(srv)
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1 and event["DTSTART"].dt.time() == dt.time(7, 30)
    assert fourth["Last-Modified"] == "Sun, 22 Nov 2026 09:40:00 GMT"


def test_the_feed_is_rebuilt_only_when_an_input_changes(srv: Running) -> None:
    """Requests alone never rebuild nor read the store: only the programme file, the store's
    files or a new day do."""
    calls: list[dt.datetime] = []  # a rebuild asks the due source first: one call, one build
    srv.server.source.due_source = lambda programme, now: calls.append(now) or list(srv.due)
    for _ in range(20):
        assert get(srv)[0] == 200
    srv.clock[0] = NOW + dt.timedelta(hours=3)  # the same day in London
    assert get(srv)[0] == 200
    assert calls == []
    store_changed(srv, "333")
    _, _, body = get(srv)
    assert len(calls) == 1
    srv.clock[0] = NOW + dt.timedelta(days=1)  # a new day: the window moves on
    _, _, next_day = get(srv)
    assert len(calls) == 2
    assert Calendar.from_ical(next_day) and body


def test_an_absurd_conditional_date_is_ignored(srv: Running) -> None:
    for value in (
        "Sun, 31 Dec 99999 23:59:59 GMT",
        "Mon, 01 Jan 0000 00:00:00 GMT",
        "x" * 500,
        "Tue, 99 Foo 2026 99:99:99 GMT",
        "-1",
        "\u00e9t\u00e9",
    ):
        status, _, body = get(srv, headers={"If-Modified-Since": value.encode("utf-8").decode("latin-1")})
        assert status == 200 and body.startswith(b"BEGIN:VCALENDAR"), value


def test_the_page_is_served_under_the_token_only(tmp_path: Path) -> None:
    page = serve.Page(b"<!doctype html><title>progress</title>", "text/html; charset=utf-8", '"p1"')
    running, thread = start(tmp_path, page_source=lambda: page)
    try:
        status, headers, body = get(running, f"/{running.token}/")
        assert (status, body, headers["Content-Type"]) == (200, page.body, "text/html; charset=utf-8")
        assert get(running, f"/{running.token}/", headers={"If-None-Match": '"p1"'})[0] == 304
        assert get(running, "/")[0] == 404
        assert get(running, f"/{running.token[:-1]}/")[0] == 404
    finally:
        running.server.shutdown()
        running.server.server_close()
        thread.join(5)


def test_without_a_page_source_the_token_folder_is_404(srv: Running) -> None:
    assert get(srv, f"/{srv.token}/")[0] == 404


def test_a_broken_programme_edit_keeps_the_last_good_feed(srv: Running) -> None:
    _, before, _ = get(srv)
    srv.programme.write_text("[programme\n", encoding="utf-8")
    os.utime(srv.programme, ns=(time.time_ns(), time.time_ns() + 2_000_000_000))
    status, after, _ = get(srv)
    assert status == 200 and after["ETag"] == before["ETag"]
    assert any("has errors; serving the last good version" in line for line in srv.logs)


# --- nothing else is answered -----------------------------------------------------------


def test_a_wrong_token_is_404_with_a_bland_body(srv: Running) -> None:
    wrong = srv.token[:-1] + ("A" if srv.token[-1] != "A" else "B")
    status, headers, body = get(srv, f"/{wrong}/glute-runner.ics")
    assert (status, body) == (404, b"Not Found.\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "ETag" not in headers and "Last-Modified" not in headers


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/favicon.ico",
        "/glute-runner.ics",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "//etc/passwd",
        "/{t}/",
        "/{t}",
        "/{t}/glute-runner.ics/..",
        "/{t}/../{t}/glute-runner.ics",
        "/{t}/./glute-runner.ics",
        "/{t}//glute-runner.ics",
        "/{t}/glute-runner.ics%00",
        "/{t}/glute-runner.ICS",
        "/{T}/glute-runner.ics",
        "/{t}/other.ics",
        "/{t}/glute-runner.toml",
        "/{t}/glute-runner.ics/",
        "/{t}\\glute-runner.ics",
        "/{t}/..%2fglute-runner.toml",
        "/{t}/glute-runner.ics;x",
    ],
)
def test_anything_but_the_feed_path_is_404(srv: Running, path: str) -> None:
    path = path.format(t=srv.token, T=srv.token.swapcase())
    response = raw(srv.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1"))
    assert status_of(response) == 404
    assert response.endswith(b"\r\n\r\nNot Found.\n")
    assert srv.token.encode() not in response


def test_absolute_form_targets_are_checked_the_same_way(srv: Running) -> None:
    ok = raw(srv.port, f"GET http://127.0.0.1:{srv.port}{srv.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    bad = raw(srv.port, f"GET http://127.0.0.1:{srv.port}/x{srv.path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert (status_of(ok), status_of(bad)) == (200, 404)


def test_a_percent_encoded_letter_is_the_same_path(srv: Running) -> None:
    """RFC 3986 §6.2.2.2: %67 is "g"; the token and file name still have to match exactly."""
    assert get(srv, srv.path.replace("/glute", "/%67lute"))[0] == 200


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST {p} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", {405}),
        (b"DELETE {p} HTTP/1.1\r\nHost: x\r\n\r\n", {405}),
        (b"GET {p} HTTP/1.1\r\n\r\n", {400}),  # HTTP/1.1 without Host
        (b"GET {p} HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", {400}),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", {400}),  # a TLS hello
        (b"GET {p} HTTP/1.0\r\n\r\n", {200}),  # HTTP/1.0 needs no Host
        # waitress answers these leniently (as HTTP/1.0) or refuses them; never a 5xx, never a hang
        (b"GET {p} HTTP/2.0\r\nHost: x\r\n\r\n", {200, 400, 505}),
        (b"GET {p}\r\n\r\n", {200, 400}),  # HTTP/0.9
        (b"GET {p} HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n", {200, 400}),
        (b"GET {p} HTTP/1.1\nHost: x\n\n", {0, 400}),  # bare LF line ends: refused or dropped
    ],
)
def test_malformed_requests(srv: Running, request_bytes: bytes, status: set[int]) -> None:
    response = raw(srv.port, request_bytes.replace(b"{p}", srv.path.encode()))
    assert (status_of(response) if response else 0) in status
    if status == {405}:
        assert b"\r\nAllow: GET, HEAD\r\n" in response


def refused_with(port: int, data: bytes) -> int:
    """The status of the answer to ``data``; a reset while it was still sending is a refusal too."""
    try:
        return status_of(raw(port, data))
    except ConnectionResetError:
        return 431


def test_request_heads_are_bounded(srv: Running) -> None:
    long_line = b"GET /" + b"a" * (serve.MAX_HEAD_BYTES + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert refused_with(srv.port, long_line) == 431
    big = f"GET {srv.path} HTTP/1.1\r\nHost: x\r\nX-Big: {'b' * serve.MAX_HEAD_BYTES}\r\n\r\n".encode()
    assert refused_with(srv.port, big) == 431
    many = (
        f"GET {srv.path} HTTP/1.1\r\nHost: x\r\n".encode()
        + b"".join(f"X-{i}: y\r\n".encode() for i in range(2000))
        + b"\r\n"
    )
    assert refused_with(srv.port, many) == 431
    # the server still answers afterwards
    assert get(srv)[0] == 200


# --- slow, idle and many clients ------------------------------------------------------------


def _still_open(sock: socket.socket) -> bool:
    """True while the server has neither closed ``sock`` nor sent anything on it."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # b"" (closed) or a byte (answered): not idle any more
        return False
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def _dropped_quietly(sock: socket.socket) -> bool:
    """The server closed ``sock`` without a byte of response (30 s only bounds a hang)."""
    sock.settimeout(30)
    return sock.recv(1024) == b""


def test_an_idle_client_does_not_block_others(tmp_path: Path) -> None:
    """With a head timeout far longer than the client's, a request served while five idle
    connections are still open was not queued behind them; no clock is read."""
    running, thread = start(tmp_path, head_timeout_s=600.0)
    idle = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(5)]
    try:
        assert get(running)[0] == 200
        assert all(_still_open(s) for s in idle)  # they were still waiting when it was answered
    finally:
        for s in idle:
            s.close()
    running.server.shutdown()
    running.server.server_close()
    thread.join(5)


def test_an_idle_client_is_dropped_quietly(srv: Running) -> None:
    idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(5)]
    try:
        assert all(_dropped_quietly(s) for s in idle)  # closed after the 1 s head timeout, no 408
    finally:
        for s in idle:
            s.close()
    assert get(srv)[0] == 200


def test_a_trickling_client_does_not_block_others(tmp_path: Path) -> None:
    """A client that sends a byte now and then holds no worker thread: others are served
    meanwhile (waitress reads request heads in its event loop). No clock is read."""
    running, thread = start(tmp_path, head_timeout_s=600.0)
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as slow:
            slow.sendall(f"GET {running.path} HTTP/1.1\r\n".encode())
            for _ in range(5):
                assert get(running)[0] == 200
                slow.sendall(b"X")
            assert _still_open(slow)
    finally:
        running.server.shutdown()
        running.server.server_close()
        thread.join(5)


def test_a_trickling_client_is_dropped_in_the_end(srv: Running) -> None:
    """A byte every 0.2 s keeps the connection from being idle, but not alive: it ends three
    head timeouts (3 s here) after it opened. The bound is on bytes sent (150, i.e. ten times
    that), not on measured time, so a loaded machine only makes the server drop it sooner."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as slow:
        slow.sendall(f"GET {srv.path} HTTP/1.1\r\n".encode())
        closed = False
        for _ in range(150):
            time.sleep(0.2)
            try:
                slow.sendall(b"X")
            except OSError:
                closed = True
                break
            if not _still_open(slow):
                closed = True
                break
        assert closed, "a byte now and then kept the connection alive"
    assert get(srv)[0] == 200


def test_two_hundred_idle_connections_do_not_delay_a_request(tmp_path: Path) -> None:
    """200 connections that never send a byte, open for up to ten minutes: a real request is
    answered while every one of them is still open, so it waited for none. No clock is read."""
    running, thread = start(tmp_path, head_timeout_s=600.0)
    idle = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(200)]
    try:
        for _ in range(3):
            assert get(running)[0] == 200
        assert all(_still_open(s) for s in idle)
    finally:
        for s in idle:
            s.close()
    running.server.shutdown()
    running.server.server_close()
    thread.join(5)


def test_fifty_concurrent_clients_are_all_served(srv: Running) -> None:
    _, _, expected = get(srv)
    barrier = threading.Barrier(50)

    def fetch(_: int) -> tuple[int, bytes]:
        barrier.wait(timeout=10)
        status, _, body = get(srv)
        return status, body

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(fetch, range(50)))
    assert [status for status, _ in results] == [200] * 50
    assert all(body == expected for _, body in results)


# --- token, logs, binding ----------------------------------------------------------------


def test_the_token_is_kept_private_and_rotates(srv: Running, tmp_path: Path) -> None:
    path = token_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(srv.token) >= 43 and feed_token() == srv.token  # made once, then reused
    path.chmod(0o644)
    assert feed_token() == srv.token and stat.S_IMODE(path.stat().st_mode) == 0o600
    new = feed_token(rotate=True)
    assert new != srv.token and feed_token() == new
    # the running server keeps its URL until restarted; a new one answers only the new token
    other, thread = start(tmp_path)
    try:
        assert get(other, f"/{new}/glute-runner.ics")[0] == 200
        assert get(other, f"/{srv.token}/glute-runner.ics")[0] == 404
    finally:
        other.server.shutdown()
        other.server.server_close()
        thread.join(5)


def test_a_damaged_token_file_is_a_clear_error() -> None:
    token_path().parent.mkdir(parents=True, exist_ok=True)
    token_path().write_text("not a token\n")
    with pytest.raises(FeedError, match="rotate-token"):
        feed_token()


def test_log_lines_never_show_the_token(srv: Running) -> None:
    get(srv)
    raw(srv.port, b"GET /evil\x1b[31m/path HTTP/1.1\r\nHost: x\r\n\r\n")
    raw(srv.port, b'GET /a\x00b HTTP/1.1\r\nHost: x\r\nUser-Agent: "><script>\r\n\r\n')
    text = "\n".join(srv.logs)
    assert srv.token not in text
    assert '127.0.0.1 "GET /<token>/glute-runner.ics" 200 ' in text
    assert "\x1b" not in text and "\x00" not in text
    assert '"GET /a\\x00b" 404' in text


def test_binding_beyond_loopback_is_warned_about() -> None:
    assert serve.bind_warning("127.0.0.1") is None
    assert serve.bind_warning("::1") is None
    assert serve.bind_warning("localhost") is None
    assert "all interfaces" in (serve.bind_warning("0.0.0.0") or "")
    assert "192.168.1.5" in (serve.bind_warning("192.168.1.5") or "")
    assert "HTTPS" in (serve.bind_warning("::") or "")


def test_a_port_in_use_is_a_clear_error(srv: Running, tmp_path: Path) -> None:
    with pytest.raises(FeedError, match=f"cannot listen on 127.0.0.1:{srv.port}"):
        serve.open_server(srv.programme, port=srv.port, clock=lambda: NOW)


# --- the command ---------------------------------------------------------------------------


def run_serve(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FITPLUG_NOW": "2026-11-22T09:30:00+00:00", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "fitplug", "serve", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def test_serve_command_prints_both_urls_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    programme = tmp_path / "mine.toml"
    shutil.copy(ROOT / "templates" / "glute-runner.toml", programme)
    proc = run_serve(tmp_path, str(programme))
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0] == "Serving 'Glute strength for runners'. Subscribe with:\n"
        webcal, http = lines[1].strip(), lines[2].strip()
        assert webcal.startswith("webcal://127.0.0.1:") and webcal.endswith("/glute-runner.ics")
        assert http == "http://" + webcal.removeprefix("webcal://")
        with urllib.request.urlopen(http, timeout=10) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Press Ctrl-C to stop." in err and err.rstrip().endswith("Stopped.")
    assert '"GET /<token>/glute-runner.ics" 200' in err
    assert "Traceback" not in err


def test_serve_command_uses_the_remembered_programme(tmp_path: Path) -> None:
    from fitplug.settings import remember

    programme = tmp_path / "mine.toml"
    shutil.copy(ROOT / "templates" / "stretches.toml", programme)
    remember(programme=programme)
    proc = run_serve(tmp_path)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "Serving 'Glute stretches for runners'. Subscribe with:\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_serve_command_without_a_programme_says_so(invoke: Invoke) -> None:
    result = invoke("serve")
    assert result.exit_code == 1  # the one error every command gives (fitplug.settings.programme_path)
    assert result.output == "Error: no programme given and none remembered; name one, or run `fitplug init`\n"


def test_the_load_test_script_runs_small_with_no_errors() -> None:
    """benchmarks/serve_load.py: requests from one process to `fitplug serve` in another."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "serve_load.py"),
            "--requests",
            "200",
            "--activities",
            "40",
            "--duration",
            "1",
            "--rounds",
            "1",
            "--clients",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for at, what in ((0, "feed"), (5, "page")):
        assert lines[at].startswith(f"requests: 200  concurrency: 20  {what}: ")
        assert lines[at + 1] == "errors: 0"
        assert lines[at + 2] == "statuses: 200=160  304=20  404=20"
    assert lines[10] == "activities stored: 40, all inside the tracked period (start 2012-01-01)"
    assert (
        lines[11].split() == "clients fitplug req/s http.server ratio fitplug p50/p99 ms http.server p50/p99 ms".split()
    )
    assert [line.split()[:2] for line in lines[12:14]] == [["feed", "4"], ["page", "4"]]
    assert lines[15].startswith("feed at 4 clients: p99 ")
    assert lines[16].startswith("  while the page is made again: p99 ")
    assert lines[17].startswith("  while the store is written: p99 ")

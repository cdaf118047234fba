"""Serve the calendar feed over HTTP for calendar apps to subscribe to.

One URL answers: ``/<token>/<programme id>.ics``. Everything else is a bland
404. The feed is rebuilt when the programme file, the due items or the day
changes, so sync results show without a restart.

Hostile clients are bounded: the request head (line and headers) must arrive
within ``head_timeout_s`` and fit in :data:`MAX_HEAD_BYTES`; at most
``max_connections`` are handled at once (the rest get 503 at once), so idle
or slow connections cannot stall the others. Only GET and HEAD are served.
The server speaks HTTP/1.1 with ``Connection: close``: a calendar polls a few
times a day, keep-alive would only hold threads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import hmac
import ipaddress
import os
import re
import signal
import socket
import socketserver
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from fitplug.calendar.feed import Feed, Revision, feed_window, render_feed, revise
from fitplug.calendar.revisions import load_revisions, update_revisions
from fitplug.calendar.token import feed_token
from fitplug.errors import FeedError, FitplugError, OutputError
from fitplug.model import DueItem, Programme
from fitplug.programme.load import load_programme
from fitplug.times import whole_second_utc

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: a feed URL is under 100 bytes; a longer request line is refused with 414
MAX_REQUEST_LINE = 2048
#: request line and headers together; more is refused with 431
MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 64
#: seconds a client has to send its whole request head
HEAD_TIMEOUT_S = 10.0
#: seconds a client has to take the response
SEND_TIMEOUT_S = 20.0
MAX_CONNECTIONS = 128
#: seconds a stop waits for requests in flight
STOP_GRACE_S = 2.0
#: seconds a client may cache the feed
MAX_AGE_S = 300

_TOKEN_CHARS = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_REASONS = {
    200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 414: "URI Too Long",
    431: "Request Header Fields Too Large", 500: "Internal Server Error",
    503: "Service Unavailable", 505: "HTTP Version Not Supported",
}

Clock = Callable[[], dt.datetime]
DueSource = Callable[[], Iterable[DueItem]]
Log = Callable[[str], None]


def no_due_items() -> Sequence[DueItem]:
    """The default due source until the store is wired in: nothing due."""
    return ()


@dataclasses.dataclass(frozen=True, slots=True)
class ServeInfo:
    """Where the feed is served, for the person who subscribes."""

    url: str
    webcal_url: str
    host: str
    port: int
    programme_name: str
    #: set when the server listens beyond this machine
    warning: str | None = None


class FeedSource:
    """The current feed of a programme file; rebuilt only when something changed."""

    def __init__(self, programme_path: Path, *, clock: Clock, due_source: DueSource = no_due_items,
                 log: Log = lambda line: None) -> None:
        self.path = Path(programme_path)
        self.clock = clock
        self.due_source = due_source
        self.log = log
        self._lock = threading.Lock()
        self._stat: tuple[int, int, int] | None = None
        self._programme: Programme | None = None
        self._revisions: dict[str, Revision] = {}
        self._due: tuple[DueItem, ...] = ()
        self._key: tuple[Any, ...] | None = None
        self._feed: Feed | None = None
        self._load()  # fail early: a server with no feed is no use
        if self._programme is None:
            raise FeedError(f"{self.path}: cannot serve this programme")

    @property
    def programme(self) -> Programme:
        assert self._programme is not None
        return self._programme

    def current(self) -> Feed:
        """The feed as it stands now (thread-safe)."""
        with self._lock:
            self._load()
            try:
                self._due = tuple(self.due_source())
            except FitplugError as exc:
                self.log(f"warning: due items unavailable, serving the last known ones: {exc}")
            now = self.clock()
            window = feed_window(self.programme, now)
            key = (self._stat, self._due, window)
            if self._feed is None or key != self._key:
                feed = render_feed(self.programme, self._due, now=now, revisions=self._revisions)
                previous = self._feed
                if previous is not None:
                    if feed.etag == previous.etag:
                        feed = dataclasses.replace(feed, last_modified=previous.last_modified)
                    elif feed.last_modified <= previous.last_modified:
                        # New bytes from a change without a time of its own (a due item
                        # gone): Last-Modified must still move on, or If-Modified-Since
                        # clients would never see it.
                        later = max(whole_second_utc(now), previous.last_modified + dt.timedelta(seconds=1))
                        feed = dataclasses.replace(feed, last_modified=later)
                if feed.last_modified > whole_second_utc(now):
                    # RFC 9110 §8.8.2.1: not later than the response's Date.
                    feed = dataclasses.replace(feed, last_modified=whole_second_utc(now))
                self._key, self._feed = key, feed
            return self._feed

    def _load(self) -> None:
        """(Re)read the programme when its file changed; keep the last good one on errors."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError as exc:
            if self._programme is None:
                raise FeedError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
            if self._stat is not None:
                self.log(f"warning: {self.path}: cannot read ({exc.strerror or exc}); "
                         "serving the last good version")
                self._stat = None
            return
        if stamp == self._stat:
            return
        self._stat = stamp
        try:
            programme = load_programme(self.path)
        except FitplugError as exc:
            if self._programme is None:
                raise
            self.log(f"warning: {self.path} has errors; serving the last good version:\n{exc}")
            return
        if self._programme is not None and programme.id != self._programme.id:
            self.log(f"warning: {self.path}: the programme id changed to {programme.id!r}; "
                     "restart `fitplug serve` to publish it under its new URL")
            return
        self._programme = programme
        self._revisions = self._revise(programme)

    def _revise(self, programme: Programme) -> dict[str, Revision]:
        now = self.clock()
        try:
            return update_revisions(programme, now)
        except OutputError as exc:
            self.log(f"warning: cannot record feed revisions ({exc}); SEQUENCE may repeat after a restart")
            return revise(programme, load_revisions(programme.id), now)


class FeedServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A threaded HTTP/1.1 server with a single URL: the feed."""

    daemon_threads = True
    # SO_REUSEADDR lets a restart bind at once on POSIX; on Windows it would let
    # another program take over the port, so it stays off there.
    allow_reuse_address = os.name != "nt"
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], source: FeedSource, token: str, *,
                 log: Log = lambda line: None, max_connections: int = MAX_CONNECTIONS,
                 head_timeout_s: float = HEAD_TIMEOUT_S, clock: Clock | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.source = source
        self.log = log
        self.head_timeout_s = head_timeout_s
        self.clock = clock or source.clock
        self.feed_path = f"/{token}/{source.programme.id}.ics"
        self.log_path = f"/<token>/{source.programme.id}.ics"
        self._slots = threading.BoundedSemaphore(max_connections)
        self._active = 0
        self._active_changed = threading.Condition()
        try:
            super().__init__(address, _Handler)
        except OSError as exc:
            raise FeedError(f"cannot listen on {_host_port(address[0], address[1])}: "
                            f"{exc.strerror or exc}") from exc

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            # Full: answer from the accepting thread without reading, so a flood of
            # idle connections costs no threads.
            try:
                request.settimeout(1.0)
                request.sendall(_response(503, self._date(), [("Retry-After", "5")], b"Busy.\n"))
            except OSError:
                pass
            self.shutdown_request(request)
            self.log(f"{_client(client_address)} - 503 (too many connections)")
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._active_changed:
            self._active += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()
            with self._active_changed:
                self._active -= 1
                self._active_changed.notify_all()

    def wait_for_requests(self, timeout_s: float) -> bool:
        """Wait until no request is being handled (at most ``timeout_s``); ``True`` if none is."""
        with self._active_changed:
            return self._active_changed.wait_for(lambda: self._active == 0, timeout=timeout_s)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.log(f"{_client(client_address)} - internal error:\n{traceback.format_exc().rstrip()}")

    def _date(self) -> str:
        return email.utils.format_datetime(whole_second_utc(self.clock()), usegmt=True)


class _HeadError(Exception):
    def __init__(self, status: int, partial: bool = True) -> None:
        self.status = status
        self.partial = partial


class _Handler(socketserver.BaseRequestHandler):
    server: FeedServer

    def handle(self) -> None:
        started = time.monotonic()
        sock: socket.socket = self.request
        srv = self.server
        client = _client(self.client_address)
        try:
            head, extra = _read_head(sock, started + srv.head_timeout_s)
        except _HeadError as exc:
            if exc.partial:
                srv.log(f"{client} - {exc.status} ({_REASONS[exc.status].lower()})")
                try:
                    self._send(sock, exc.status, [], _body(exc.status))
                except OSError:
                    return
            _linger(sock)
            return
        except OSError:
            return
        if head is None:
            return  # closed before sending anything

        status, method, shown, length, ua = 400, "-", "-", 0, ""
        try:
            request = _parse_head(head)
            method, target, version, headers = request
            ua = headers.get("user-agent", "")
            path = _path_of(target)
            is_feed = hmac.compare_digest(path.encode("latin-1"), srv.feed_path.encode("latin-1"))
            shown = srv.log_path if is_feed else _printable(path)
            if version == "HTTP/1.1" and "host" not in headers:
                status = 400
                length = self._send(sock, 400, [], _body(400))
            elif method not in ("GET", "HEAD"):
                status = 405
                length = self._send(sock, 405, [("Allow", "GET, HEAD")], _body(405))
            elif not is_feed:
                status = 404
                length = self._send(sock, 404, [], _body(404), head_only=method == "HEAD")
            else:
                status, length = self._send_feed(sock, method, headers)
        except _HeadError as exc:
            status = exc.status
            try:
                length = self._send(sock, status, [], _body(status))
            except OSError:
                pass
        except OSError as exc:  # the client went away mid-answer
            srv.log(f'{client} "{method} {shown}" aborted: {exc.strerror or exc}')
            return
        except Exception:  # noqa: BLE001  # a bug must not leak details to the client
            status = 500
            srv.log(f"{client} - internal error:\n{traceback.format_exc().rstrip()}")
            try:
                length = self._send(sock, 500, [], _body(500))
            except OSError:
                pass
        ms = (time.monotonic() - started) * 1000
        srv.log(f'{client} "{method} {shown}" {status} {length} {ms:.1f}ms "{_printable(ua)[:80]}"')
        _linger(sock, has_unread=bool(extra))

    def _send_feed(self, sock: socket.socket, method: str, headers: dict[str, str]) -> tuple[int, int]:
        feed = self.server.source.current()
        last_modified = email.utils.format_datetime(feed.last_modified, usegmt=True)
        validators = [
            ("ETag", feed.etag),
            ("Last-Modified", last_modified),
            ("Cache-Control", f"private, max-age={MAX_AGE_S}"),
        ]
        if _not_modified(headers, feed):
            # RFC 9110 §15.4.5: a 304 carries the validators and caching fields only.
            return 304, self._send(sock, 304, validators, b"", head_only=True, length=False)
        fields = [
            ("Content-Type", "text/calendar; charset=utf-8"),
            *validators,
            ("Content-Disposition", f'inline; filename="{self.server.source.programme.id}.ics"'),
            ("X-Content-Type-Options", "nosniff"),
        ]
        return 200, self._send(sock, 200, fields, feed.body, head_only=method == "HEAD")

    def _send(self, sock: socket.socket, status: int, fields: list[tuple[str, str]], body: bytes,
              *, head_only: bool = False, length: bool = True) -> int:
        if length:
            fields = [*fields, ("Content-Length", str(len(body)))]
        if status >= 400 and not any(k == "Content-Type" for k, _ in fields):
            fields = [("Content-Type", "text/plain; charset=utf-8"), *fields]
        data = _response(status, self.server._date(), fields, b"" if head_only else body)
        sock.settimeout(SEND_TIMEOUT_S)
        sock.sendall(data)
        return 0 if head_only else len(body)


# --- HTTP details -----------------------------------------------------------------


def _read_head(sock: socket.socket, deadline: float) -> tuple[bytes | None, bytes]:
    """The request head up to the blank line, and any bytes after it.

    ``None`` when the client closed without sending anything. Raises
    :class:`_HeadError` for a head too long (414/431) or too slow (408).
    """
    buf = b""
    while True:
        first_line_end = buf.lstrip(b"\r\n").find(b"\n")
        if (first_line_end < 0 and len(buf) > MAX_REQUEST_LINE) or first_line_end > MAX_REQUEST_LINE:
            raise _HeadError(414)
        crlf, lf = buf.find(b"\r\n\r\n"), buf.find(b"\n\n")
        end, gap = (crlf, 4) if crlf >= 0 and (lf < 0 or crlf < lf) else (lf, 2)
        if end > MAX_HEAD_BYTES or (end < 0 and len(buf) > MAX_HEAD_BYTES):
            raise _HeadError(431)
        if end >= 0:
            return buf[:end], buf[end + gap:]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _HeadError(408, partial=bool(buf))
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            raise _HeadError(408, partial=bool(buf)) from None
        if not chunk:
            if not buf:
                return None, b""
            raise _HeadError(400, partial=False)  # half a request, then gone: nobody to answer
        buf += chunk


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = [line.rstrip(b"\r") for line in head.split(b"\n")]
    while lines and not lines[0]:  # RFC 9112 §2.2: ignore empty lines before the request line
        lines.pop(0)
    if not lines:
        raise _HeadError(400)
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN_CHARS.match(parts[0]):
        raise _HeadError(400)
    method, target, version = (p.decode("latin-1") for p in parts)
    if not re.fullmatch(r"HTTP/\d\.\d", version):
        raise _HeadError(400)
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise _HeadError(505)
    if len(lines) - 1 > MAX_HEADERS:
        raise _HeadError(431)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN_CHARS.match(name):  # also refuses obsolete line folding
            raise _HeadError(400)
        key = name.decode("latin-1").lower()
        text = value.strip(b" \t").decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return method, target, version, headers


def _path_of(target: str) -> str:
    """The path of a request target (origin or absolute form), without the query."""
    if not target.startswith("/"):
        if target.lower().startswith(("http://", "https://")):
            return urlsplit(target).path or "/"
        raise _HeadError(400)
    return target.split("?", 1)[0].split("#", 1)[0]


def _not_modified(headers: dict[str, str], feed: Feed) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or any(t.removeprefix("W/") == feed.etag for t in tags)
    ims = headers.get("if-modified-since")
    if ims is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(ims)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return feed.last_modified <= since


def _response(status: int, date: str, fields: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}", f"Date: {date}", "Server: fitplug",
             *(f"{k}: {v}" for k, v in fields), "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _body(status: int) -> bytes:
    return f"{_REASONS[status]}.\n".encode("ascii")


def _linger(sock: socket.socket, has_unread: bool = False) -> None:
    """Close gently: stop sending, then read what the client still sends (briefly), so
    unread input does not turn the close into a reset that loses the response."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + (0.5 if has_unread else 0.2)
        drained = 0
        while drained < 65536:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            chunk = sock.recv(4096)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        pass


def _printable(text: str) -> str:
    """``text`` for a log line: non-printable characters escaped, at most 200 characters."""
    out = "".join(c if 32 <= ord(c) < 127 and c != '"' else f"\\x{ord(c):02x}" for c in text[:200])
    return out + ("…" if len(text) > 200 else "")


def _client(address: Any) -> str:
    try:
        return str(address[0])
    except (TypeError, IndexError):
        return "-"


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback(host: str) -> bool:
    """``host`` reaches only this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_warning(host: str) -> str | None:
    """What to tell the user when ``host`` is reachable from other machines."""
    if is_loopback(host):
        return None
    where = "all interfaces" if host in ("0.0.0.0", "::", "") else host
    return (
        f"listening on {where}, not just this machine: anyone who can reach it and learns "
        "the URL can read the feed. Plain HTTP sends the token unencrypted; put an "
        "HTTPS proxy in front before exposing it beyond a trusted network."
    )


# --- running it ---------------------------------------------------------------------


def open_server(
    programme_path: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    rotate_token: bool = False,
    clock: Clock,
    due_source: DueSource = no_due_items,
    log: Log = lambda line: None,
    max_connections: int = MAX_CONNECTIONS,
    head_timeout_s: float = HEAD_TIMEOUT_S,
) -> tuple[FeedServer, ServeInfo]:
    """Load the programme, get the token and bind the socket (not yet serving)."""
    source = FeedSource(programme_path, clock=clock, due_source=due_source, log=log)
    token = feed_token(rotate=rotate_token)
    server = FeedServer((host, port), source, token, log=log, max_connections=max_connections,
                        head_timeout_s=head_timeout_s)
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = socket.gethostname()
    netloc = _host_port(shown, server.port) if ":" in shown else f"{shown}:{server.port}"
    info = ServeInfo(
        url=f"http://{netloc}{server.feed_path}",
        webcal_url=f"webcal://{netloc}{server.feed_path}",
        host=host,
        port=server.port,
        programme_name=source.programme.name,
        warning=bind_warning(host),
    )
    return server, info


def serve_feed(
    programme_path: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    rotate_token: bool = False,
    clock: Clock,
    due_source: DueSource = no_due_items,
    log: Log = lambda line: None,
    on_ready: Callable[[ServeInfo], None] = lambda info: None,
) -> None:
    """Serve the feed in the foreground until Ctrl-C (or SIGTERM), then close the socket."""
    server, info = open_server(programme_path, host=host, port=port, rotate_token=rotate_token,
                               clock=clock, due_source=due_source, log=log)
    previous = None
    if threading.current_thread() is threading.main_thread():
        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
    try:
        on_ready(info)
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()  # no new connections; let the ones in flight finish (briefly)
        server.wait_for_requests(STOP_GRACE_S)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

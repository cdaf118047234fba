"""Serve the calendar feed over HTTP for calendar apps to subscribe to.

Two URLs answer, both under the secret token: ``/<token>/<programme id>.ics``
(the feed) and ``/<token>/`` (a page, when a page source is plugged in; 404
until then). Everything else is a bland 404.

HTTP itself is waitress's (a well-kept pure-Python WSGI server): it reads
each request head in its event loop and hands only complete requests to its
worker threads, so idle or slow clients hold no thread and cannot shut anyone
out; it bounds head sizes and drops idle connections.

A request never writes and never waits on the store: the feed and the page
are made once, kept in memory (:class:`fitplug.kept.Kept`, one mechanism for
both) and made again only when an input changed: the programme file, the
store's files (database and WAL), the day; the page also every quarter hour,
since it says when it was made and drops sessions once over. Inputs are looked
at at most every ``check_every_s``; in between the same bytes and ETag are
served (a conditional GET with it is a 304).

The feed is rebuilt by the request that saw the change while the others keep
serving the previous bytes. The page is made in the background (by the page
source; `fitplug serve`'s renders in a child process, so its seconds of CPU
never hold this process's GIL and the feed's pace does not move), and page
requests wait for it, up to ``PAGE_WAIT_S``: a runner who reloads after a sync
gets the page with the new data as soon as it is ready, and never a half page.
At most ``PAGE_WAITERS`` page requests wait at once (the others get the last
good page at once), so waiting page requests never take all the threads the
feed needs.

When the programme or the store turns bad while it runs (a file half saved,
a store that cannot be read), the last good feed and page are served and a
one-line warning is logged (never a traceback); with no good copy yet, a 503.
With ``ledger``, every new feed's versions go to the feeds' ledger, and are
read from it, so a restart never sends a SEQUENCE back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import hmac
import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from fitplug.calendar import ledger as feeds_ledger
from fitplug.calendar.feed import Feed, feed_window, render_feed
from fitplug.calendar.http import STATUS, bind_warning, host_port, log_text, not_modified, plain, said, unavailable
from fitplug.calendar.outcomes import Tracked
from fitplug.calendar.token import feed_token
from fitplug.errors import FeedError, FitplugError
from fitplug.kept import Kept, Stamp, stamps
from fitplug.model import DueItem, Programme
from fitplug.programme.load import load_programme
from fitplug.programme.schedule import zone
from fitplug.times import whole_second_utc

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: request line and headers together (waitress answers 431 beyond)
MAX_HEAD_BYTES = 16 * 1024
#: seconds an idle connection is kept (waitress checks every CLEANUP_S)
HEAD_TIMEOUT_S = 10.0
CLEANUP_S = 2
#: a connection lives at most this many times the idle timeout (bounds trickling clients)
LIFETIME_FACTOR = 3
#: connections held at once; beyond, new ones wait in the listen backlog
MAX_CONNECTIONS = 1000
#: worker threads that answer complete requests
THREADS = 4
#: seconds a stop waits for requests in flight
STOP_GRACE_S = 2.0
#: seconds a client may cache the feed
MAX_AGE_S = 300
#: seconds between two looks at the feed's inputs
CHECK_EVERY_S = 1.0
#: the page is made again at least every this many minutes (its times of day move on)
PAGE_EVERY_MIN = 15
#: page requests that wait at once for a page being made (the others get the last good one)
PAGE_WAITERS = THREADS // 2
#: seconds a page request waits for a page being made
PAGE_WAIT_S = 15.0

Clock = Callable[[], dt.datetime]
DueSource = Callable[[Programme, dt.datetime], Iterable[DueItem]]
Log = Callable[[str], None]


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """What a page source gives: the bytes, their content type and a strong ETag (quoted)."""

    body: bytes
    content_type: str
    etag: str


#: served at ``/<token>/``: a page, or ``None`` for 404
PageSource = Callable[[], Page | None]


def no_due_items(programme: Programme, now: dt.datetime) -> Sequence[DueItem]:
    """The default due source: nothing due."""
    return ()


def no_page() -> Page | None:
    """The default page source: none (``/<token>/`` is 404)."""
    return None


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
    """The current feed of a programme file; rebuilt only when an input changed.

    ``inputs``: more files whose change means new content (the store's database
    and WAL); ``due_source`` is called only when one of them, the programme or
    the day changed.
    """

    def __init__(
        self,
        programme_path: Path,
        *,
        clock: Clock,
        due_source: DueSource = no_due_items,
        inputs: Sequence[Path] = (),
        log: Log = lambda line: None,
        check_every_s: float = CHECK_EVERY_S,
        ledger: bool = False,
    ) -> None:
        self.path = Path(programme_path)
        self.ledger = ledger
        self.clock = clock
        self.due_source = due_source
        self.inputs = tuple(Path(p) for p in inputs)
        self.log = log
        self.check_every_s = check_every_s
        self._stat: Stamp = None
        self._programme: Programme | None = None
        self._due: Sequence[DueItem] = ()
        self._load()  # fail early: a server with no feed is no use
        if self._programme is None:
            raise FeedError(f"{self.path}: cannot serve this programme")
        self._kept: Kept[Feed] = Kept(
            self._key,
            self._make,
            clock=clock,
            trouble=lambda exc: f"the feed cannot be rebuilt ({said(exc)}); serving the last good one",
            log=log,
            check_every_s=check_every_s,
        )
        self._kept.fill()

    @property
    def programme(self) -> Programme:
        assert self._programme is not None
        return self._programme

    def current(self) -> Feed | None:
        """The feed as it stands now, else the last good one (``None``: none yet); thread-safe,
        waits only while there is no feed at all."""
        return self._kept.current()

    def _key(self, now: dt.datetime) -> tuple[Any, ...]:
        self._load()  # the programme as read (a file saved again unchanged makes no new feed)
        return (self.programme, stamps(self.inputs), feed_window(self.programme, now))

    def _make(self, now: dt.datetime) -> Feed:
        try:
            got = self.due_source(self.programme, now)
            self._due = got if isinstance(got, Tracked) else tuple(got)
        except Exception as exc:  # noqa: BLE001  # a store that turned bad: the last known items
            self._kept.warn(f"due items unavailable, serving the last known ones: {said(exc)}")
        due: Sequence[DueItem] = self._due
        previous = self._kept.value
        known = feeds_ledger.read(self.programme.id) if self.ledger else None
        feed = render_feed(
            self.programme, due, now=now, previous=previous.body if previous is not None else None, ledger=known
        )
        if self.ledger:
            feeds_ledger.record(self.programme.id, feed.given)
        if previous is not None:
            if feed.etag == previous.etag:
                feed = dataclasses.replace(feed, last_modified=previous.last_modified)
            elif feed.last_modified <= previous.last_modified:
                # New bytes from a change without a time of its own (a due item gone):
                # Last-Modified must still move on, or If-Modified-Since clients would miss it.
                later = max(whole_second_utc(now), previous.last_modified + dt.timedelta(seconds=1))
                feed = dataclasses.replace(feed, last_modified=later)
        return feed

    def _load(self) -> None:
        """(Re)read the programme when its file changed; keep the last good one on errors."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError as exc:
            if self._programme is None:
                raise FeedError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
            if self._stat is not None:
                self.log(f"warning: {self.path}: cannot read ({exc.strerror or exc}); serving the last good version")
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
            self.log(
                f"warning: {self.path}: the programme id changed to {programme.id!r}; "
                "restart `fitplug serve` to publish it under its new URL"
            )
            return
        self._programme = programme


class FeedApp:
    """The WSGI application: the feed, the page, 404 for the rest."""

    def __init__(
        self, source: FeedSource, token: str, *, page_source: PageSource = no_page, log: Log = lambda line: None
    ) -> None:
        self.source = source
        self.page_source = page_source
        self.log = log
        self.feed_path = f"/{token}/{source.programme.id}.ics"
        self.page_path = f"/{token}/"
        self.log_path = f"/<token>/{source.programme.id}.ics"
        self._page: Kept[Page | None] | None = None
        if page_source is not no_page:
            self._page = Kept(
                self._page_key,
                lambda now: page_source(),
                clock=source.clock,
                trouble=lambda exc: f"the page cannot be made ({said(exc)}); serving the last good one",
                log=log,
                check_every_s=source.check_every_s,
                background=True,
                wait_s=PAGE_WAIT_S,
                waiters=PAGE_WAITERS,
            )
            self._page.start()  # made while the server starts, not at the first request

    def _page_key(self, now: dt.datetime) -> tuple[Any, ...]:
        """What the page is made from: the programme file, the store's files, and the programme's
        local day and quarter hour (the page says when it was made, and drops sessions once over)."""
        local = now.astimezone(zone(self.source.programme.timezone))
        return (
            stamps((self.source.path, *self.source.inputs)),
            local.date(),
            (local.hour * 60 + local.minute) // PAGE_EVERY_MIN,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        started = time.monotonic()
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", ""))
        is_feed = hmac.compare_digest(path.encode("latin-1", "replace"), self.feed_path.encode("latin-1"))
        is_page = hmac.compare_digest(path.encode("latin-1", "replace"), self.page_path.encode("latin-1"))
        shown = self.log_path if is_feed else "/<token>/" if is_page else log_text(path)
        try:
            status, fields, body = self._answer(method, is_feed, is_page, environ)
        except Exception:  # noqa: BLE001  # a bug must not leak details to the client
            self.log(f"internal error:\n{traceback.format_exc().rstrip()}")
            status, fields, body = plain(500)
        sent = b"" if method == "HEAD" else body
        if "Content-Length" not in dict(fields):
            fields = [*fields, ("Content-Length", str(len(body)))]
        start_response(STATUS[status], fields)
        ms = (time.monotonic() - started) * 1000
        client = log_text(str(environ.get("REMOTE_ADDR", "-")))
        ua = log_text(str(environ.get("HTTP_USER_AGENT", "")))[:80]
        self.log(f'{client} "{method} {shown}" {status} {len(sent)} {ms:.1f}ms "{ua}"')
        return iter([sent])

    def _answer(
        self, method: str, is_feed: bool, is_page: bool, environ: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if environ.get("SERVER_PROTOCOL") == "HTTP/1.1" and not environ.get("HTTP_HOST"):
            return plain(400)  # RFC 9112 §3.2: an HTTP/1.1 request must name its host
        if method not in ("GET", "HEAD"):
            status, fields, body = plain(405)
            return status, [*fields, ("Allow", "GET, HEAD")], body
        if is_feed:
            feed = self.source.current()
            if feed is None:
                return unavailable("the feed")
            validators = [
                ("ETag", feed.etag),
                ("Last-Modified", email.utils.format_datetime(feed.last_modified, usegmt=True)),
                ("Cache-Control", f"private, max-age={MAX_AGE_S}"),
            ]
            if not_modified(environ, feed.etag, feed.last_modified):
                return 304, validators, b""
            return (
                200,
                [
                    ("Content-Type", "text/calendar; charset=utf-8"),
                    *validators,
                    ("Content-Disposition", f'inline; filename="{self.source.programme.id}.ics"'),
                    ("X-Content-Type-Options", "nosniff"),
                ],
                feed.body,
            )
        if is_page:
            kept = self._page
            page = kept.current() if kept is not None else None
            if page is None and kept is not None and not kept.made and (kept.trouble or kept.busy):
                return unavailable("the page")
            if page is not None:
                validators = [("ETag", page.etag), ("Cache-Control", "private, no-cache")]
                if not_modified(environ, page.etag, None):
                    return 304, validators, b""
                return (
                    200,
                    [("Content-Type", page.content_type), *validators, ("X-Content-Type-Options", "nosniff")],
                    page.body,
                )
        return plain(404)


class FeedServer:
    """waitress serving :class:`FeedApp` on one address, with a stop that works from any thread."""

    def __init__(
        self,
        address: tuple[str, int],
        app: FeedApp,
        *,
        max_connections: int = MAX_CONNECTIONS,
        head_timeout_s: float = HEAD_TIMEOUT_S,
        threads: int = THREADS,
    ) -> None:
        from waitress.server import create_server  # kept out of the other commands' start-up

        self.app = app
        self.source = app.source
        self.feed_path = app.feed_path
        self._stop = threading.Event()
        self._stopped = threading.Event()
        try:
            self._server = create_server(
                app,
                host=address[0],
                port=address[1],
                threads=threads,
                ident="fitplug",
                connection_limit=max_connections,
                channel_timeout=max(1, round(head_timeout_s)),
                cleanup_interval=min(CLEANUP_S, max(1, round(head_timeout_s))),
                max_request_header_size=MAX_HEAD_BYTES,
                max_request_body_size=0,
                asyncore_use_poll=True,
                expose_tracebacks=False,
                clear_untrusted_proxy_headers=True,
            )
        except OSError as exc:
            raise FeedError(f"cannot listen on {host_port(address[0], address[1])}: {exc.strerror or exc}") from exc
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        # waitress closes connections idle for channel_timeout; a client trickling a byte now
        # and then is never idle, so a connection also ends LIFETIME_FACTOR × head_timeout_s
        # after it opened unless a request of it is being answered.
        lifetime = LIFETIME_FACTOR * head_timeout_s
        idle_check = self._server.maintenance

        def maintenance(now: float) -> None:
            idle_check(now)
            for channel in list(self._server.active_channels.values()):
                if not channel.requests and now - channel.creation_time > lifetime:
                    channel.will_close = True

        self._server.maintenance = maintenance

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`shutdown` (or Ctrl-C in the main thread)."""
        from waitress import wasyncore

        server = self._server
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=poll_interval, map=server._map, use_poll=True, count=1)
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and wait for it to return."""
        self._stop.set()
        self._server.pull_trigger()
        self._stopped.wait(5)

    def server_close(self) -> None:
        """Close the listening socket and every connection; let requests in flight finish briefly."""
        from waitress import wasyncore

        if self.app._page is not None:
            self.app._page.close()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=STOP_GRACE_S)
        wasyncore.close_all(self._server._map)


# --- running it ---------------------------------------------------------------------


def open_server(
    programme_path: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    rotate_token: bool = False,
    clock: Clock,
    due_source: DueSource = no_due_items,
    inputs: Sequence[Path] = (),
    page_source: PageSource | None = None,
    log: Log = lambda line: None,
    max_connections: int = MAX_CONNECTIONS,
    head_timeout_s: float = HEAD_TIMEOUT_S,
    check_every_s: float = CHECK_EVERY_S,
    ledger: bool = False,
) -> tuple[FeedServer, ServeInfo]:
    """Load the programme, build the feed, get the token and bind the socket (not yet serving)."""
    source = FeedSource(
        programme_path,
        clock=clock,
        due_source=due_source,
        inputs=inputs,
        log=log,
        check_every_s=check_every_s,
        ledger=ledger,
    )
    token = feed_token(rotate=rotate_token)
    app = FeedApp(source, token, page_source=page_source or no_page, log=log)
    server = FeedServer((host, port), app, max_connections=max_connections, head_timeout_s=head_timeout_s)
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = socket.gethostname()
    netloc = host_port(shown, server.port)
    info = ServeInfo(
        url=f"http://{netloc}{server.feed_path}",
        webcal_url=f"webcal://{netloc}{server.feed_path}",
        host=host,
        port=server.port,
        programme_name=source.programme.name,
        warning=bind_warning(host),
    )
    return server, info


def serve_until_stopped(
    server: FeedServer, info: ServeInfo, on_ready: Callable[[ServeInfo], None] = lambda info: None
) -> None:
    """Serve an :func:`open_server` server in the foreground until Ctrl-C (or SIGTERM), then close it."""
    previous = None
    if threading.current_thread() is threading.main_thread() and os.name != "nt":

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
    try:
        on_ready(info)
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

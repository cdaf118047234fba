"""Put the feed at a WebDAV location (Nextcloud, ownCloud, Fastmail files, a NAS, Apache or
nginx with DAV), so that Google, iCloud and Outlook.com can subscribe to a public https URL.

One round: GET the published copy (its bytes carry the events' versions on,
its ETag guards the write), build the feed from it, and PUT only when the
bytes differ, with ``If-Match: <the ETag read>`` (or ``If-None-Match: *``
when there was none, or ``If-Unmodified-Since: <its Last-Modified>`` from a
server that gives no ETag), so two machines publishing to one URL never
overwrite each other silently: the second gets 412 and is told to run again.
A server that gives neither validator is not written to.

Only fitplug's own feed of the same programme is replaced, recognised by its
content (:func:`fitplug.calendar.versions.identify`), never by its name;
anything else there is refused, untouched, unless ``force``. A copy that came
cut short (fewer bytes than its Content-Length, no END:VCALENDAR) is never
used as the previous feed.

Each request (the GET, the PUT) has one deadline for all of it, connecting,
sending and reading (``deadline_s``, default 60 s): a server that drips its
answer a byte at a time cannot hold the command longer.

Credentials come from the environment (``FITPLUG_PUBLISH_USER`` and
``FITPLUG_PUBLISH_PASSWORD``) or ``~/.netrc`` (``NETRC`` names another file),
never from the command line or the settings: a URL with a user name or
password in it is refused. They are sent only over https, or to a loopback
address.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import socket
import threading
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from fitplug.calendar.feed import Feed
from fitplug.calendar.http import is_loopback
from fitplug.calendar.versions import identify
from fitplug.errors import FeedError

if TYPE_CHECKING:
    import http.client

USER_ENV = "FITPLUG_PUBLISH_USER"
PASSWORD_ENV = "FITPLUG_PUBLISH_PASSWORD"
#: seconds one request (connecting, sending, reading the answer) may take in all
DEADLINE_S = 60.0
#: the published copy is read up to this size (a feed of 520 weeks is under 5 MB)
MAX_REMOTE_BYTES = 32 * 1024 * 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Published:
    """What a publish did."""

    url: str
    feed: Feed
    #: the bytes were put (``False``: the published copy was already the same)
    changed: bool
    #: the ETag the server gave the new copy, when it said
    etag: str | None
    #: what was there before, when it was not fitplug's feed of this programme (replaced by ``force``)
    replaced_foreign: str | None = None


def check_url(url: str) -> str:
    """``url`` if it can be published to: http(s), a host, no credentials in it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError(f"{url}: not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise FeedError(f"put no user name or password in the URL; use ~/.netrc or {USER_ENV} / {PASSWORD_ENV}")
    if not parts.path or parts.path.endswith("/"):
        raise FeedError(f"{url}: name the file to write (…/glutes.ics), not a folder")
    return url


def credentials(url: str) -> tuple[str, str] | None:
    """(user, password) from the environment, else from netrc for the URL's host; else ``None``."""
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user and password is not None:
        return user, password
    import netrc  # here: only a publish without credentials in the environment reads it

    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(os.environ.get("NETRC") or None).authenticators(host)
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return None
    if entry is None or not entry[0] or entry[2] is None:
        return None
    return entry[0], entry[2]


class Meter(Protocol):
    """What shows the publishing as it goes (``fitplug.cli.meter.Meter``): its steps, then each one done."""

    def start(self, total: int) -> None: ...

    def advance(self, key: str, weight: float) -> None: ...

    def close(self) -> None: ...


def publish(
    url: str,
    build: Callable[[bytes | None], Feed],
    *,
    programme_id: str,
    force: bool = False,
    deadline_s: float = DEADLINE_S,
    meter: Meter | None = None,
) -> Published:
    """Build the feed from the published copy at ``url`` and put it there if it changed; ``meter`` shows
    the two steps (reading the copy there, writing the new one) as they are done.

    Refuses (:class:`FeedError`, nothing written) when what is at ``url`` is not fitplug's feed of
    ``programme_id``, unless ``force``.
    """
    if meter is None:
        return _publish(url, build, programme_id, force, deadline_s, lambda step: None)
    meter.start(2)
    try:
        return _publish(url, build, programme_id, force, deadline_s, lambda step: meter.advance(step, 1))
    finally:
        meter.close()


def _publish(
    url: str,
    build: Callable[[bytes | None], Feed],
    programme_id: str,
    force: bool,
    deadline_s: float,
    step: Callable[[str], None],
) -> Published:
    check_url(url)
    if not deadline_s > 0:
        raise FeedError("the deadline must be more than 0 seconds")
    parts = urllib.parse.urlsplit(url)
    auth = credentials(url)
    if auth is not None and parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise FeedError(f"{url}: credentials go only over https (or to this machine)")
    headers = {"User-Agent": "fitplug-publish/1"}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"

    answer = _call(url, "GET", headers, None, deadline_s)
    step("read")
    if answer.status == 404:
        remote = None
    elif answer.status == 200:
        remote = answer.body
    else:
        raise FeedError(_explain(url, "GET", answer.status, auth is not None))
    found = identify(remote, programme_id)
    if remote is not None and not found.own:
        if not force:
            raise FeedError(
                f"{url}: {found.what} is there; fitplug replaces only its own feed of this programme, "
                "so nothing was written (--force replaces it)"
            )
    guard = _guard(url, answer, remote is None, force)
    previous = remote if found.own else None
    feed = build(previous)
    foreign = found.what if remote is not None and not found.own else None
    if remote == feed.body:
        step("unchanged")
        return Published(url, feed, False, answer.etag)
    put_headers = {**headers, **guard, "Content-Type": "text/calendar; charset=utf-8"}
    put = _call(url, "PUT", put_headers, feed.body, deadline_s)
    step("written")
    if put.status == 412:
        raise FeedError(
            f"{url}: changed by someone else since it was read (412); "
            "nothing was overwritten; run `fitplug publish` again"
        )
    if put.status not in (200, 201, 204):
        raise FeedError(_explain(url, "PUT", put.status, auth is not None))
    return Published(url, feed, True, put.etag, foreign)


def _guard(url: str, answer: _Answer, absent: bool, force: bool) -> dict[str, str]:
    """The precondition that keeps the PUT from overwriting a change made since the GET."""
    if absent:
        return {"If-None-Match": "*"}
    if answer.etag:
        return {"If-Match": answer.etag}
    if answer.last_modified:
        return {"If-Unmodified-Since": answer.last_modified}
    if force:
        return {}
    raise FeedError(
        f"{url}: the server gives the copy there neither an ETag nor a Last-Modified date, so a write "
        "could overwrite a change made meanwhile; nothing was written (--force writes anyway)"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    etag: str | None
    last_modified: str | None
    body: bytes


def _call(url: str, method: str, headers: dict[str, str], body: bytes | None, deadline_s: float) -> _Answer:
    """One request, all of it within ``deadline_s``: a timer shuts the socket when it runs out."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    import http.client  # here: 10 ms of import (ssl, email) that only publish needs

    factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        conn = factory(parts.hostname or "", parts.port, timeout=deadline_s)
    except ValueError as exc:
        raise FeedError(f"{url}: {exc}") from exc
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(deadline_s, expire)
    timer.daemon = True
    timer.start()
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        data = _read(url, response) if method == "GET" and response.status == 200 else b""
        if not data:
            response.read(64 * 1024)  # a short error page, then the connection closes
        if expired.is_set():
            raise TimeoutError
        return _Answer(response.status, response.getheader("ETag"), response.getheader("Last-Modified"), data)
    except FeedError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise FeedError(
                f"{url}: {method} did not finish within {deadline_s:g} s; gave up, nothing was written"
            ) from exc
        raise FeedError(f"{url}: cannot reach it ({_reason(exc)})") from exc
    finally:
        timer.cancel()
        conn.close()


def _read(url: str, response: http.client.HTTPResponse) -> bytes:
    """The whole body of a GET, or :class:`FeedError`: too large, or cut short."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(64 * 1024) if hasattr(response, "read1") else response.read(64 * 1024)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REMOTE_BYTES:
            raise FeedError(f"{url}: the published copy is larger than {MAX_REMOTE_BYTES} bytes")
    data = b"".join(chunks)
    declared = response.getheader("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) != len(data):
        raise FeedError(
            f"{url}: the published copy came cut short ({len(data)} of {int(declared)} bytes); "
            "nothing was written, run `fitplug publish` again"
        )
    return data


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"unknown host: {exc.strerror or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _explain(url: str, method: str, status: int, had_credentials: bool) -> str:
    if status in (401, 403):
        hint = (
            "the server refused the credentials"
            if had_credentials
            else f"no credentials found: add the host to ~/.netrc or set {USER_ENV} and {PASSWORD_ENV}"
        )
        return f"{url}: {method} answered {status} ({hint})"
    if 300 <= status < 400:
        return f"{url}: {method} answered {status} (a redirect); publish to the URL it points to"
    if status == 409:
        return f"{url}: {method} answered 409: does the folder exist on the server?"
    return f"{url}: {method} answered {status}"

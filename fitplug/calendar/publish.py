"""Put the feed at a WebDAV location (Nextcloud, ownCloud, Fastmail files, a NAS, Apache or
nginx with DAV), so that Google, iCloud and Outlook.com can subscribe to a public https URL.

One round: GET the published copy (its bytes carry the events' versions on,
its ETag guards the write), build the feed from it, and PUT only when the
bytes differ, with ``If-Match: <the ETag read>`` (or ``If-None-Match: *``
when there was none), so two machines publishing to one URL never overwrite
each other silently: the second gets 412 and is told to run again.

Credentials come from the environment (``FITPLUG_PUBLISH_USER`` and
``FITPLUG_PUBLISH_PASSWORD``) or ``~/.netrc`` (``NETRC`` names another file),
never from the command line or the settings: a URL with a user name or
password in it is refused. They are sent only over https, or to a loopback
address.
"""

from __future__ import annotations

import base64
import dataclasses
import netrc
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from typing import Protocol

from fitplug.calendar.feed import Feed
from fitplug.calendar.http import is_loopback
from fitplug.errors import FeedError

USER_ENV = "FITPLUG_PUBLISH_USER"
PASSWORD_ENV = "FITPLUG_PUBLISH_PASSWORD"
TIMEOUT_S = 30.0
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
    url: str, build: Callable[[bytes | None], Feed], *, timeout_s: float = TIMEOUT_S, meter: Meter | None = None
) -> Published:
    """Build the feed from the published copy at ``url`` and put it there if it changed; ``meter`` shows
    the two steps (reading the copy there, writing the new one) as they are done."""
    if meter is None:
        return _publish(url, build, timeout_s, lambda step: None)
    meter.start(2)
    try:
        return _publish(url, build, timeout_s, lambda step: meter.advance(step, 1))
    finally:
        meter.close()


def _publish(
    url: str, build: Callable[[bytes | None], Feed], timeout_s: float, step: Callable[[str], None]
) -> Published:
    check_url(url)
    parts = urllib.parse.urlsplit(url)
    auth = credentials(url)
    if auth is not None and parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise FeedError(f"{url}: credentials go only over https (or to this machine)")
    headers = {"User-Agent": "fitplug-publish/1"}
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"

    status, remote_headers, remote = _call(url, "GET", headers, None, timeout_s)
    step("read")
    if status == 404:
        remote, etag = None, None
    elif status == 200:
        etag = remote_headers.get("ETag")
    else:
        raise FeedError(_explain(url, "GET", status, auth is not None))
    feed = build(remote)
    if remote == feed.body:
        step("unchanged")
        return Published(url, feed, False, etag)
    guard = {"If-Match": etag} if etag else {"If-None-Match": "*"} if remote is None else {}
    put_headers = {**headers, **guard, "Content-Type": "text/calendar; charset=utf-8"}
    status, answer, _ = _call(url, "PUT", put_headers, feed.body, timeout_s)
    step("written")
    if status == 412:
        raise FeedError(
            f"{url}: changed by someone else since it was read (412); "
            "nothing was overwritten; run `fitplug publish` again"
        )
    if status not in (200, 201, 204):
        raise FeedError(_explain(url, "PUT", status, auth is not None))
    return Published(url, feed, True, answer.get("ETag"))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is reported, not followed: it would carry the credentials elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _call(
    url: str, method: str, headers: dict[str, str], body: bytes | None, timeout_s: float
) -> tuple[int, Message, bytes | None]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            data = response.read(MAX_REMOTE_BYTES + 1) if method == "GET" else b""
            if len(data) > MAX_REMOTE_BYTES:
                raise FeedError(f"{url}: the published copy is larger than {MAX_REMOTE_BYTES} bytes")
            return response.status, response.headers, data
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FeedError(f"{url}: cannot reach it ({reason})") from exc


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

"""HTTP for `fitplug serve`: status lines, conditional requests (RFC 9110), and words about the address."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

STATUS = {
    200: "200 OK",
    304: "304 Not Modified",
    400: "400 Bad Request",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    500: "500 Internal Server Error",
    503: "503 Service Unavailable",
}


def plain(status: int) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "text/plain; charset=utf-8")], (STATUS[status][4:] + ".\n").encode()


#: seconds a client is asked to wait after a 503
RETRY_AFTER_S = 60


def unavailable(what: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """503, with a Retry-After: ``what`` cannot be made just now."""
    body = f"Service unavailable: {what} cannot be made just now; try again later.\n".encode()
    return 503, [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", str(RETRY_AFTER_S))], body


def said(exc: BaseException) -> str:
    """An error in one line, for the log (never a traceback)."""
    text = " ".join(str(exc).split())[:300]
    return text if getattr(exc, "__module__", "").startswith("fitplug") else f"{type(exc).__name__}: {text}"


def not_modified(environ: dict[str, Any], etag: str, last_modified: dt.datetime | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since.
    A date that cannot be read is ignored (§13.1.3), whatever it holds."""
    inm = environ.get("HTTP_IF_NONE_MATCH")
    if inm is not None:
        tags = [t.strip() for t in str(inm).split(",")]
        return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
    ims = environ.get("HTTP_IF_MODIFIED_SINCE")
    if ims is None or last_modified is None:
        return False
    import email.utils  # here: 7 ms of import (socket, random, quopri) that only a served request needs

    try:
        since = email.utils.parsedate_to_datetime(str(ims))
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return last_modified <= since
    except (TypeError, ValueError, IndexError, OverflowError):
        return False


def log_text(text: str) -> str:
    """``text`` for a log line: non-printable characters escaped, at most 200 characters."""
    out = "".join(c if 32 <= ord(c) < 127 and c != '"' else f"\\x{ord(c):02x}" for c in text[:200])
    return out + ("…" if len(text) > 200 else "")


def host_port(host: str, port: int) -> str:
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

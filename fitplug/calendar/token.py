"""The feed's secret: the token in the subscription URL, kept in the data folder (mode 0600)."""

from __future__ import annotations

import contextlib
import re
import secrets
import stat
from pathlib import Path

from fitplug.atomic import private_folder, write_atomic
from fitplug.errors import FeedError
from fitplug.settings import data_dir

TOKEN_FILE = "feed-token"
#: secrets.token_urlsafe(32): 43 characters, 256 bits
TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


def token_path() -> Path:
    return data_dir() / TOKEN_FILE


def feed_token(*, rotate: bool = False) -> str:
    """The feed's secret token: made on first use, replaced when ``rotate`` is set."""
    path = token_path()
    if not rotate:
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            text = None
        except (OSError, UnicodeDecodeError) as exc:
            raise FeedError(
                f"{path}: cannot read the feed token ({exc}); make a new one with `fitplug serve --rotate-token`"
            ) from exc
        if text is not None:
            if not _TOKEN.match(text):
                raise FeedError(f"{path}: not a fitplug feed token; make a new one with `fitplug serve --rotate-token`")
            _private(path)
            return text
    token = secrets.token_urlsafe(TOKEN_BYTES)
    private_folder(path.parent)
    write_atomic(path, (token + "\n").encode("ascii"), private=True)
    _private(path)
    return token


def _private(path: Path) -> None:
    """Make ``path`` readable by its owner only (the token is a password)."""
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)

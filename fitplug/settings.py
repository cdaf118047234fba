"""What fitplug remembers between commands, and where it keeps its files.

- The **data folder** holds the SQLite store and the feed token; the
  **config folder** holds ``settings.json``: the remembered programme,
  sources, watch and publish URL (never a credential). Both come from platformdirs (the right place
  on Linux, macOS and Windows); ``FITPLUG_DATA_DIR`` and ``FITPLUG_CONFIG_DIR``
  override them (tests and portable installs use them).
- Reading the settings never writes. :func:`remember` and :func:`add_sources`
  are the writers: a read-modify-write under a lock, so two commands at once
  do not lose each other's change. The commands that remember: ``init`` and
  ``build`` (the programme), ``install`` (a watch named with ``--device``,
  unless ``--dry-run``), ``publish`` (the URL and the programme) and ``sync``
  (the programme, the watch and, through :func:`add_sources`, the sources);
  the queries never do.
- :func:`programme_path` is the one place that turns "the programme named, or
  the one remembered" into a file, with one error when there is neither.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fitplug.atomic import private_folder, write_atomic
from fitplug.errors import FitplugError

APP = "fitplug"


def data_dir() -> Path:
    """Folder for the SQLite store and the feed token."""
    env = os.environ.get("FITPLUG_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs  # imported here: keeps `fitplug --help` fast

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """Folder for ``settings.json`` (remembered programme, sources, watch)."""
    env = os.environ.get("FITPLUG_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "fitplug.sqlite3"


def settings_path() -> Path:
    return config_dir() / "settings.json"


#: what ``--device`` says for a watch reached over USB MTP (no folder)
MTP = "mtp"


def is_mtp(device: Path | str | None) -> bool:
    """Whether ``--device`` names the watch over USB MTP rather than a folder."""
    return device is not None and str(device).lower() == MTP


@dataclass(frozen=True, slots=True)
class Remembered:
    """What the settings file holds; anything unreadable counts as not remembered."""

    programme: Path | None = None
    sources: tuple[Path, ...] = ()
    device: Path | None = None
    #: where `fitplug publish` last put the feed (a URL without credentials)
    publish_url: str | None = None


def _read_raw() -> dict[str, Any]:
    try:
        value = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def remembered() -> Remembered:
    """The remembered settings; an unreadable file counts as empty, never as an error."""
    raw = _read_raw()
    programme, device = raw.get("programme"), raw.get("device")
    sources = raw.get("sources")
    return Remembered(
        programme=Path(programme) if isinstance(programme, str) and programme else None,
        sources=tuple(Path(p) for p in sources if isinstance(p, str)) if isinstance(sources, list) else (),
        device=Path(device) if isinstance(device, str) and device else None,
        publish_url=raw["publish_url"] if isinstance(raw.get("publish_url"), str) and raw["publish_url"] else None,
    )


def remember(*, programme: Path | None = None, device: Path | None = None, publish_url: str | None = None) -> bool:
    """Remember the programme, watch and/or publish URL given (paths made absolute); whether the file changed.

    Read-modify-write under a lock, written atomically: concurrent commands
    each keep their change.
    """
    changes: dict[str, Any] = {}
    if programme is not None:
        changes["programme"] = str(programme.resolve())
    if device is not None:  # "mtp": the watch fitplug talks MTP to over USB
        changes["device"] = MTP if is_mtp(device) else str(device.resolve())
    if publish_url is not None:
        changes["publish_url"] = publish_url  # never with credentials: publish refuses those

    def apply(raw: dict[str, Any]) -> bool:
        if all(raw.get(k) == v for k, v in changes.items()):
            return False
        raw.update(changes)
        return True

    return _update(apply)


def add_sources(sources: Iterable[Path]) -> list[Path]:
    """Add ``sources`` (made absolute) to the remembered ones; returns those that were new.

    The merge happens under the lock, so concurrent syncs naming different
    sources all keep theirs.
    """
    wanted = [Path(p).resolve() for p in sources]
    added: list[Path] = []

    def apply(raw: dict[str, Any]) -> bool:
        known = raw.get("sources")
        current = [p for p in known if isinstance(p, str)] if isinstance(known, list) else []
        added.extend(p for p in dict.fromkeys(wanted) if str(p) not in current)
        if not added:
            return False
        raw["sources"] = current + [str(p) for p in added]
        return True

    _update(apply)
    return added


def installed_serials(programme_id: str) -> dict[int, str]:
    """Serial number → file name of every file `install` has put on a watch for this programme (so its
    workouts the programme has dropped can be known on the watch, whatever the watch renamed them)."""
    raw = _read_raw().get("installed")
    mine = raw.get(programme_id) if isinstance(raw, dict) else None
    if not isinstance(mine, dict):
        return {}
    return {int(k): v for k, v in mine.items() if isinstance(k, str) and k.isdigit() and isinstance(v, str)}


def remember_installed(programme_id: str, serials: Mapping[int, str]) -> bool:
    """Add ``serials`` (serial → file name) to those `install` has put on a watch for this programme."""

    def apply(raw: dict[str, Any]) -> bool:
        found = raw.get("installed")
        every: dict[str, Any] = found if isinstance(found, dict) else {}
        held = every.get(programme_id)
        mine: dict[str, Any] = held if isinstance(held, dict) else {}
        merged = {**mine, **{str(k): v for k, v in serials.items()}}
        if merged == mine:
            return False
        raw["installed"] = {**every, programme_id: merged}
        return True

    return _update(apply)


def _update(apply: Callable[[dict[str, Any]], bool]) -> bool:
    """Read the settings, let ``apply`` change them, write them back if it did; all under the lock."""
    with _locked():
        raw = _read_raw()
        if not apply(raw):
            return False
        text = json.dumps(raw, indent=2, sort_keys=True) + "\n"
        write_atomic(settings_path(), text.encode("utf-8"))
    return True


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on the file ``path`` (made 0600 in a 0700 folder; ``flock`` on POSIX, ``msvcrt``
    on Windows), for a read-modify-write of a small file beside it; none when it cannot be made (an
    unwritable folder: the write that follows says so)."""
    try:
        private_folder(path.parent)  # 0700: where a runner's folders and watch are named
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except (OSError, FitplugError):
        yield
        return
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _locked() -> contextlib.AbstractContextManager[None]:
    """The lock beside the settings file."""
    return file_lock(settings_path().with_suffix(".lock"))


def programme_path(path: Path | None) -> Path:
    """``path``, or the remembered programme; :class:`FitplugError` when there is neither."""
    if path is not None:
        return path
    known = remembered().programme
    if known is None:
        raise FitplugError("no programme given and none remembered; name one, or run `fitplug init`")
    if not known.is_file():
        raise FitplugError(f"the remembered programme {known} is gone; name one, or run `fitplug init`")
    return known

"""Zips, read safely: a Garmin Connect export is a zip holding zips of FIT files.

Members are read as streams and nothing is ever extracted to the disk. A
nested zip is inflated once: to an anonymous temporary file, or, for a sync,
to a private file of :class:`~.spools.Spools` that the pool's workers read its members
from by path, removed when the sync ends. A member with an absolute path,
``..``, a symlink or encryption, an absurd size or compression ratio, a zip
nested too deep or listing too many entries is refused with a reason instead
of being read. :class:`Archives` reads a member again by its archive's path
and the member names down to it (what a pool worker does).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import stat
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from fitplug.activities.files import ahead, inflate
from fitplug.activities.files.events import (
    Candidate,
    ContainerDone,
    ContainerStart,
    Event,
    Refused,
    Tick,
    is_fit_name,
    is_zip_name,
)
from fitplug.activities.files.fitfile import MAX_FIT_BYTES
from fitplug.activities.files.listing import lenient_zip, zip_entries
from fitplug.activities.files.spools import Spools
from fitplug.errors import ActivityError

#: a zip inside a zip larger than this is refused
MAX_NESTED_ZIP_BYTES = 4 * 1024 * 1024 * 1024
#: uncompressed/compressed beyond this (for members over 1 MiB) is a zip bomb
MAX_RATIO = 100
#: zips inside zips inside zips... stop here
MAX_ZIP_DEPTH = 3
#: a zip listing more entries than this is refused before its listing is read
#: (a Garmin Connect export of twenty years holds a few tens of thousands)
MAX_ZIP_ENTRIES = 200_000
#: nested zips stay in memory up to this size, then spill to a temporary file
_SPOOL_BYTES = 32 * 1024 * 1024
_CHUNK = 1024 * 1024
#: a nested zip is inflated this much at a time: pieces this small cost the kernel a fraction of what 1 MiB
#: ones do to write to the spool (a 414 MB spool: about 0.1 s of system time against 0.3-0.8 s)
_SPOOL_CHUNK = 256 * 1024


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_capped(f: _Readable, cap: int, label: str, *, compressed: int | None = None) -> bytes:
    """Read ``f`` whole, refusing more than ``cap`` bytes, or (gzip) more than
    :data:`MAX_RATIO` times its ``compressed`` size once past 1 MiB."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise ActivityError(label, f"expands beyond {cap} bytes; refused")
        if compressed is not None and total > _CHUNK and total > MAX_RATIO * max(1, compressed):
            raise ActivityError(
                label,
                f"gzip expands more than {MAX_RATIO}:1 ({compressed} bytes to over {total}); "
                "looks like a gzip bomb; refused",
            )
        chunks.append(chunk)


def open_zip(source: Path | IO[bytes], label: str | None = None) -> zipfile.ZipFile:
    """A zip, its entry count checked first; :class:`ActivityError` with the reason it cannot be read."""
    label = label or str(source)
    try:
        if isinstance(source, Path):
            with source.open("rb") as f:
                entries = zip_entries(f)
        else:
            entries = zip_entries(source)
        if entries > MAX_ZIP_ENTRIES:
            raise ActivityError(label, f"the zip lists {entries} entries, more than {MAX_ZIP_ENTRIES}; refused")
        try:
            return zipfile.ZipFile(source)
        except UnicodeDecodeError:
            # a member name flagged UTF-8 that is not: read its bytes as zip's
            # default code page (cp437), as for any unflagged name
            return lenient_zip(source)
    except UnicodeDecodeError as exc:
        raise ActivityError(label, f"not a readable zip: a member's name is marked UTF-8 but is not ({exc})") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise ActivityError(label, f"not a readable zip: {exc}") from exc


def unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be read, or ``None`` when it is fine."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path in zip; refused"
    if ".." in parts:
        return "'..' in zip path; refused"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link in zip; refused"
    if info.flag_bits & 0x1:
        return "encrypted zip member; refused"
    return None


def _bomb(info: zipfile.ZipInfo, cap: int) -> str | None:
    if info.file_size > cap:
        return f"{info.file_size} bytes uncompressed is too large; refused"
    if info.file_size > _CHUNK and info.file_size > MAX_RATIO * max(1, info.compress_size):
        ratio = info.file_size // max(1, info.compress_size)
        return f"compression ratio {ratio}:1 looks like a zip bomb; refused"
    return None


#: where a zip's members are: the outermost zip on disk and the member names down to this zip
_Where = tuple[Path, tuple[str, ...]]


def _counted(info: zipfile.ZipInfo) -> bool:
    """A member that makes an event (a FIT file, a zip, or one refused): what a progress bar counts."""
    base = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
    return not info.is_dir() and (is_zip_name(base) or is_fit_name(base) or unsafe_member(info) is not None)


def zip_events(
    archive: zipfile.ZipFile,
    prefix: str,
    mtime_ns: int,
    where: _Where,
    skip_container: Callable[[ContainerStart], bool] | None,
    weight: float = 0.0,
    *,
    spools: Spools | None = None,
    depth: int = 1,
    seen: dict[str, ahead.Seen] | None = None,
) -> Iterator[Event]:
    """The events of ``archive``'s members; its ``weight`` shared out among them by their compressed sizes.

    ``depth``: how deep ``archive`` sits (1: a zip on disk). With ``spools``, a
    nested zip is inflated once into a file of theirs, and its members say
    that file as where they are (read by path, not inflated again). ``seen``:
    the members told ahead from their local headers (:mod:`.ahead`), by name.
    """
    members = [i for i in sorted(archive.infolist(), key=lambda i: i.filename) if _counted(i)]
    whole = sum(max(1, i.compress_size) for i in members) or 1
    for info in members:
        share = weight * max(1, info.compress_size) / whole
        name = info.filename
        key = f"{prefix}!{name}"
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        unsafe = unsafe_member(info)
        if unsafe:
            yield Refused(key, info.file_size, mtime_ns, unsafe, share)
            continue
        if is_zip_name(base):
            start = ContainerStart(key, info.file_size, mtime_ns, share)
            if depth >= MAX_ZIP_DEPTH:
                reason = f"zip nested more than {MAX_ZIP_DEPTH} deep; refused"
                yield Refused(key, info.file_size, mtime_ns, reason, share)
                continue
            bomb = _bomb(info, MAX_NESTED_ZIP_BYTES)
            if bomb:
                yield Refused(key, info.file_size, mtime_ns, bomb, share)
                continue
            yield start
            if skip_container is None or not skip_container(start):
                nested = _Nested(archive, info, key, mtime_ns, where, depth, spools)
                yield from nested.events(skip_container, share)
            yield ContainerDone(key, info.file_size, mtime_ns)
            continue
        bomb = _bomb(info, MAX_FIT_BYTES)
        if bomb:
            yield Refused(key, info.file_size, mtime_ns, bomb, share)
            continue
        gz = base.lower().endswith(".gz")
        entry = ahead.confirmed(archive.getinfo(name), seen.get(name)) if seen else None
        yield Candidate(key, info.file_size, mtime_ns, functools.partial(read_member, archive, info, key), None, gz,
                        where[0], (*where[1], name), share, entry)  # fmt: skip


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> bytes:
    """The FIT bytes of a zip member (gunzipped), bounded; :class:`ActivityError` with a reason.

    The checks the listing makes are made again here, for a reader that was
    only given the member's name: unsafe names, zip bombs, the size cap and,
    for a gzipped member, its expansion ratio.
    """
    refused = unsafe_member(info) or _bomb(info, MAX_FIT_BYTES)
    if refused:
        raise ActivityError(key, refused)
    gz = info.filename.lower().endswith(".gz")
    try:
        if not gz and inflate.handles(info):  # one read, one inflate (its size is capped above)
            return inflate.read(_fp(archive), info)
        with archive.open(info) as f:
            if gz:
                with gzip.GzipFile(fileobj=f) as g:
                    return read_capped(g, MAX_FIT_BYTES, key, compressed=info.compress_size)
            return read_capped(f, min(MAX_FIT_BYTES, info.file_size), key)
    except ActivityError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, gzip.BadGzipFile, RuntimeError) as exc:
        raise ActivityError(key, f"cannot read zip member: {exc}") from exc


def read_ahead(path: Path, raw: str, entry: ahead.Entry, key: str, f: IO[bytes] | None = None) -> bytes:
    """The FIT bytes of a member read ahead from the spool at ``path`` (or its open file ``f``) by its local
    header's ``entry`` (name ``raw``): :func:`read_member`'s way for a member its listing lists alike."""
    info = ahead.info(raw, entry)
    refused = unsafe_member(info) or _bomb(info, MAX_FIT_BYTES)
    if refused:
        raise ActivityError(key, refused)
    try:
        if f is not None:
            return inflate.read(f, info)
        with path.open("rb") as fp:
            return inflate.read(fp, info)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise ActivityError(key, f"cannot read zip member: {exc}") from exc


#: the share of a nested zip's weight its spooling stands for (its members carry the rest)
_SPOOL_SHARE = 0.5


def spool_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    key: str,
    spool: IO[bytes],
    weight: float,
    fed: Callable[[bytes], None] | None = None,
) -> Iterator[Tick]:
    """Inflate a zip member that is a zip into ``spool``, a :class:`Tick` per chunk (``weight`` in all, when it
    says its size truly), each chunk ``fed`` on once written; :class:`ActivityError` with the reason it
    cannot be.

    The one place a nested zip is inflated: a sync does it once per nested zip
    (tests count the calls, in the pool's workers too).
    """
    try:
        total = 0
        with contextlib.ExitStack() as stack:
            chunks = (
                inflate.stream(_fp(archive), info, _SPOOL_CHUNK)
                if inflate.handles(info)
                else _chunks(stack, archive, info)
            )
            for chunk in chunks:
                total += len(chunk)
                if total > info.file_size:
                    raise ActivityError(key, "zip member is larger than it says; refused")
                spool.write(chunk)
                if fed is not None:
                    fed(chunk)
                yield Tick(weight * len(chunk) / max(1, info.file_size))
        spool.truncate()  # a spool reserved at the size the member says ends where its bytes do
        spool.flush()
        spool.seek(0)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise ActivityError(key, f"not a readable zip: {exc}") from exc


def _fp(archive: zipfile.ZipFile) -> IO[bytes]:
    if archive.fp is None:
        raise ValueError("Attempt to use ZIP archive that was already closed")
    return archive.fp


def _chunks(stack: contextlib.ExitStack, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member zipfile reads (not one :mod:`.inflate` does), a chunk at a time."""
    f = stack.enter_context(archive.open(info))
    while chunk := f.read(_CHUNK):
        yield chunk


def _open_nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, spool: IO[bytes]) -> zipfile.ZipFile:
    """Spool a zip member that is a zip and open it; :class:`ActivityError` with the reason it cannot be."""
    for _ in spool_member(archive, info, key, spool, 0.0):
        pass
    return open_zip(spool, key)


@dataclass(frozen=True, slots=True)
class _Nested:
    """A zip member that is a zip, about to be spooled and listed."""

    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    key: str
    mtime_ns: int
    where: _Where
    depth: int
    spools: Spools | None

    def events(self, skip_container: Callable[[ContainerStart], bool] | None, weight: float) -> Iterator[Event]:
        """Its members' events after a :class:`Tick` per chunk spooled (half its ``weight``), or why not."""
        with contextlib.ExitStack() as stack:
            path: Path | None = None
            if self.spools is None:
                import tempfile  # here: only a nested zip is spooled

                spool: IO[bytes] = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES))
            else:
                path, spool = self.spools.new(self.key, self.info.file_size)
                stack.callback(spool.close)
            done = 0.0
            walk = ahead.LocalHeaders() if path is not None else None
            found: list[ahead.Seen] = []
            try:
                fed = None if walk is None else (lambda chunk: found.extend(walk.feed(chunk)))
                for tick in spool_member(self.archive, self.info, self.key, spool, weight * _SPOOL_SHARE, fed):
                    done += tick.weight
                    yield tick
                    if found and path is not None:
                        spool.flush()  # its bytes are in the file for whoever reads them by path
                        yield from self._ahead(path, found)
                inner = stack.enter_context(open_zip(spool, self.key))
            except ActivityError as exc:
                yield Refused(self.key, self.info.file_size, self.mtime_ns, exc.reason, weight - done)
                return
            # where its members are: the spool (read by path), else the outer zip and the names down to them
            where = (path, ()) if path is not None else (self.where[0], (*self.where[1], self.info.filename))
            seen = None if walk is None else walk.seen
            yield from zip_events(inner, self.key, self.mtime_ns, where, skip_container, weight - done,
                                  spools=self.spools, depth=self.depth + 1, seen=seen)  # fmt: skip

    def _ahead(self, path: Path, found: list[ahead.Seen]) -> Iterator[Candidate]:
        """The FIT members ``found`` while spooling, to read ahead (:attr:`Candidate.ahead`)."""
        for raw, entry, _ in found:
            name = zipfile.ZipInfo(raw).filename
            info = ahead.info(raw, entry)
            if is_fit_name(name) and not name.lower().endswith(".gz") and inflate.handles(info):
                key = f"{self.key}!{name}"
                read = functools.partial(read_ahead, path, raw, entry, key)
                yield Candidate(key, -1, self.mtime_ns, read, None, False, path, (raw,), 0.0, entry, ahead=True)
        found.clear()


class Archives:
    """Read zip members by archive path and member names, keeping the last zips open.

    What a process that did not list the zip (a pool worker) uses to read a
    :class:`Candidate`'s member: consecutive members of one (nested) zip open
    and spool it once. ``close()`` when done; not to be shared across a fork.
    """

    def __init__(self) -> None:
        self._where: tuple[Path, tuple[str, ...]] | None = None
        self._stack = contextlib.ExitStack()
        self._zip: zipfile.ZipFile | None = None
        self._ahead: tuple[Path, IO[bytes]] | None = None

    def read_ahead(self, path: Path, raw: str, entry: ahead.Entry, key: str) -> bytes:
        """:func:`read_ahead`, the spool kept open for the next member."""
        if self._ahead is None or self._ahead[0] != path:
            self._close_ahead()
            try:
                self._ahead = (path, path.open("rb"))
            except OSError as exc:
                raise ActivityError(key, f"cannot read zip member: {exc}") from exc
        return read_ahead(path, raw, entry, key, self._ahead[1])

    def _close_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead[1].close()
            self._ahead = None

    def read(self, archive: Path, members: Sequence[str], key: str) -> bytes:
        """The FIT bytes of ``members[-1]`` inside ``archive`` (through the zips ``members[:-1]``)."""
        *zips, name = members
        where = (Path(archive), tuple(zips))
        if where != self._where or self._zip is None:
            self.close()
            self._zip = self._open(where, key)
            self._where = where
        try:
            info = self._zip.getinfo(name)
        except KeyError as exc:
            raise ActivityError(key, "cannot read zip member: it is no longer in the zip") from exc
        return read_member(self._zip, info, key)

    def _open(self, where: tuple[Path, tuple[str, ...]], key: str) -> zipfile.ZipFile:
        path, zips = where
        current = self._stack.enter_context(open_zip(path, key))
        for i, name in enumerate(zips):
            label = "!".join([str(path), *zips[: i + 1]])
            try:
                info = current.getinfo(name)
            except KeyError as exc:
                raise ActivityError(label, "not a readable zip: it is no longer in the zip") from exc
            refused = unsafe_member(info) or _bomb(info, MAX_NESTED_ZIP_BYTES)
            if refused:
                raise ActivityError(label, refused)
            import tempfile  # here: only a nested zip is spooled

            spool: IO[bytes] = self._stack.enter_context(tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES))  # noqa: SIM115
            current = self._stack.enter_context(_open_nested(current, info, label, spool))
        return current

    def close(self) -> None:
        self._close_ahead()
        self._stack.close()
        self._stack = contextlib.ExitStack()
        self._zip, self._where = None, None

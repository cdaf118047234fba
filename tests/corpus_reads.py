"""Each corpus file decoded once per reader per test session, shared by the reader tests.

The corpus is slow to decode (Garmin's SDK above all): the reader test modules
ask here, and every reading of a file is cached for the session.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from garmin_fit_sdk import Decoder, Stream

from fitplug.activities.files.fitfile import open_fit
from fitplug.activities.read import scan as fitscan
from fitplug.activities.read.reader import decode_activity, read_activity
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary


@dataclass(frozen=True)
class Read:
    """What one reader made of a file: a summary, or why it refused it."""

    summary: ActivitySummary | None
    refused: str = ""


@functools.cache
def rows(corpus: Path) -> tuple[dict[str, str], ...]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as f:
        return tuple(csv.DictReader(f, delimiter="\t"))


@functools.cache
def data(corpus: Path, relpath: str) -> bytes:
    return (corpus / relpath).read_bytes()


def scan_file(source: Any, *, verify: bool = False) -> ActivitySummary:
    """The scanning strategy alone, on a file opened as the reader opens it."""
    with open_fit(source) as fit:
        sha256 = fit.sha256() if fit.mm is not None else None
        return fitscan.scan(fit.buf, fit.size, verify=verify, mm=fit.mm, sha256=sha256)


@functools.cache
def scanned(corpus: Path, relpath: str, verify: bool) -> Read:
    """The fast scanner (from the path without ``verify``, as sync reads it; from bytes with)."""
    try:
        return Read(scan_file(corpus / relpath if not verify else data(corpus, relpath), verify=verify))
    except fitscan.ScanError as exc:
        return Read(None, exc.reason)


@functools.cache
def decoded(corpus: Path, relpath: str) -> Read:
    """The fitdecode strategy (CRC checked)."""
    try:
        return Read(decode_activity(data(corpus, relpath)))
    except ActivityError as exc:
        return Read(None, exc.reason)


@functools.cache
def read(corpus: Path, relpath: str) -> Read:
    """The one reader, :func:`read_activity`, as a library user calls it."""
    try:
        return Read(read_activity(data(corpus, relpath), name=relpath))
    except ActivityError as exc:
        return Read(None, exc.reason)


@functools.cache
def sdk(corpus: Path, relpath: str) -> dict[str, Any] | None:
    """What Garmin's SDK Decoder reads (dates as datetimes), or None when it reports any error."""
    raw = data(corpus, relpath)
    if not Decoder(Stream.from_byte_array(bytearray(raw))).is_fit():
        return None
    # a fresh Decoder: is_fit() consumes the stream
    messages, errors = Decoder(Stream.from_byte_array(bytearray(raw))).read(
        convert_datetimes_to_dates=True, merge_heart_rates=False, expand_components=False
    )
    return None if errors else messages

"""Every corpus file read by every reader once per test session, in the background.

The reader tests compare the readers over ``../shared/fit-corpus``; fitdecode
and Garmin's SDK take about two CPU-minutes for it. So the readings are made
by worker processes (this file run as a script, one per core, at the lowest
CPU priority), which conftest starts as the run begins when a selected test
asks for the ``corpus_readings`` fixture; those tests run last, and by then
the workers, using the cores the rest of the suite leaves idle, are done.

Each worker reads its share of the files (the largest first, shares balanced
by bytes) with every reader, keeps only what the tests compare (of the SDK's
messages, the sessions and sets; no records) and pickles a
``{relpath: FileReadings}`` dict to its output file.

    python tests/corpus_reads.py CORPUS SHARD SHARDS OUT
"""

from __future__ import annotations

import csv
import functools
import math
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fitplug.activities.files.fitfile import open_fit
from fitplug.activities.read import scan as fitscan
from fitplug.activities.read.reader import decode_activity, read_activity
from fitplug.errors import ActivityError
from fitplug.model import ActivitySummary

#: the SDK's messages the tests compare: the rest (records above all) is never looked at
SDK_MESSAGES = ("session_mesgs", "set_mesgs")


@dataclass(frozen=True)
class Read:
    """What one reader made of a file: a summary, or why it refused it."""

    summary: ActivitySummary | None
    refused: str = ""


@dataclass(frozen=True)
class FileReadings:
    """One corpus file as each reader reads it."""

    #: the fast scanner from the path, without ``verify``, as sync reads a file
    scanned: Read
    #: the fast scanner from the bytes, with ``verify``
    verified: Read
    #: the same, with the pure-Python record walk (the fallback where the C walker is not built)
    verified_pure: Read
    #: the fitdecode strategy (CRC checked, no time budget: the reference's verdict, whatever the load)
    decoded: Read
    #: the one reader, :func:`read_activity`, as a library user calls it
    read: Read
    #: Garmin's SDK Decoder (dates as datetimes): :data:`SDK_MESSAGES` only; None when it reports any error
    sdk: dict[str, list[dict[str, Any]]] | None


@functools.cache
def rows(corpus: Path) -> tuple[dict[str, str], ...]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as f:
        return tuple(csv.DictReader(f, delimiter="\t"))


def scan_file(source: Any, *, verify: bool = False) -> ActivitySummary:
    """The scanning strategy alone, on a file opened as the reader opens it."""
    with open_fit(source) as fit:
        sha256 = fit.sha256() if fit.mm is not None else None
        return fitscan.scan(fit.buf, fit.size, verify=verify, mm=fit.mm, sha256=sha256)


def read_file(corpus: Path, relpath: str) -> FileReadings:
    """Every reading of one corpus file."""
    data = (corpus / relpath).read_bytes()
    return FileReadings(
        scanned=_scanned(corpus / relpath, verify=False),
        verified=_scanned(data, verify=True),
        verified_pure=_pure(data),
        decoded=_read(lambda: decode_activity(data, budget_s=math.inf)),
        read=_read(lambda: read_activity(data, name=relpath)),
        sdk=sdk(data),
    )


def _scanned(source: Path | bytes, *, verify: bool) -> Read:
    try:
        return Read(scan_file(source, verify=verify))
    except fitscan.ScanError as exc:
        return Read(None, exc.reason)


def _pure(data: bytes) -> Read:
    native, fitscan.native = fitscan.native, None
    try:
        return _scanned(data, verify=True)
    finally:
        fitscan.native = native


def _read(decode: Any) -> Read:
    try:
        return Read(decode())
    except ActivityError as exc:
        return Read(None, exc.reason)


def sdk(raw: bytes) -> dict[str, list[dict[str, Any]]] | None:
    """What Garmin's SDK Decoder reads (:data:`SDK_MESSAGES`), or None when it reports any error."""
    from garmin_fit_sdk import Decoder, Stream

    if not Decoder(Stream.from_byte_array(bytearray(raw))).is_fit():
        return None
    # a fresh Decoder: is_fit() consumes the stream
    messages, errors = Decoder(Stream.from_byte_array(bytearray(raw))).read(
        convert_datetimes_to_dates=True, merge_heart_rates=False, expand_components=False
    )
    return None if errors else {k: messages[k] for k in SDK_MESSAGES if k in messages}


def share(corpus: Path, shard: int, shards: int) -> list[str]:
    """The files of worker ``shard`` of ``shards``: largest first, each to the least loaded share."""
    loads = [0] * shards
    mine: list[str] = []
    for row in sorted(rows(corpus), key=lambda r: (-int(r["size_bytes"] or 0), r["relpath"])):
        least = loads.index(min(loads))
        loads[least] += int(row["size_bytes"] or 0) + 1
        if least == shard:
            mine.append(row["relpath"])
    return mine


class Background:
    """The worker processes reading the corpus for this session, and their output files."""

    def __init__(self, corpus: Path, folder: Path, shards: int) -> None:
        self.corpus = corpus
        self.outputs = [folder / f"readings-{i}.pickle" for i in range(shards)]
        here = Path(__file__).resolve().parent  # this tree's tests and fitplug first, as the suite runs them
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(here), str(here.parent), os.environ.get("PYTHONPATH", "")]),
        }
        self.workers = [
            subprocess.Popen(
                [sys.executable, __file__, str(corpus), str(i), str(shards), str(out)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i, out in enumerate(self.outputs)
        ]
        self._readings: dict[str, FileReadings] | None = None

    def readings(self, hang_guard_s: float = 1800.0) -> dict[str, FileReadings]:
        """Every file's readings, once the workers are done (the deadline only bounds a hang)."""
        if self._readings is None:
            deadline = time.monotonic() + hang_guard_s
            merged: dict[str, FileReadings] = {}
            for worker, out in zip(self.workers, self.outputs, strict=True):
                _, stderr = worker.communicate(timeout=max(1.0, deadline - time.monotonic()))
                if worker.returncode != 0:
                    raise RuntimeError(f"corpus reader {worker.args} exited {worker.returncode}:\n{stderr}")
                merged.update(pickle.loads(out.read_bytes()))
            self._readings = merged
        return self._readings

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.communicate()


def main(argv: Sequence[str]) -> None:
    corpus, shard, shards, out = Path(argv[0]), int(argv[1]), int(argv[2]), Path(argv[3])
    os.nice(19)  # the cores the rest of the test run leaves idle
    readings = {relpath: read_file(corpus, relpath) for relpath in share(corpus, shard, shards)}
    out.write_bytes(pickle.dumps(readings, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    import corpus_reads  # by its name, so that what it pickles unpickles in the test run

    corpus_reads.main(sys.argv[1:])

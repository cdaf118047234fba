"""Progress bars that count the work really there (#21): the meter, on a fake clock, and `fitplug sync`
driven under a pseudo-terminal on a Garmin-export-shaped nested zip and on a folder."""

from __future__ import annotations

import datetime as dt
import io
import os
import pty
import re
import select
import subprocess
import sys
import zipfile
from pathlib import Path

import make_activities as m

from fitplug.cli.meter import Meter, duration

DAY0 = dt.datetime(2025, 1, 1, 7, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_meter_shows_the_time_left_only_once_it_means_something() -> None:
    clock, out = Clock(), io.StringIO()
    meter = Meter(stream=out, clock=clock)
    meter.start(1000)
    assert meter.drawn[-1] == "Reading   0% [..............................]"
    clock.t += 0.5
    meter.advance("a", 30)  # 3 % after half a second: no time left shown yet
    assert "left" not in meter.drawn[-1] and meter.drawn[-1].startswith("Reading   3%")
    clock.t += 1.5
    meter.advance("b", 70)  # 10 % after 2 s: about 18 s left, from the pace so far
    assert meter.drawn[-1] == "Reading  10% [###...........................] about 18 s left"
    clock.t += 18
    meter.advance("c", 5000)  # more than there is: the bar stops at its end
    meter.close()
    assert meter.drawn[-1] == "Reading 100% [##############################]"
    assert out.getvalue().endswith("\n") and out.getvalue().count("\r\x1b[K") == len(meter.drawn)


def test_meter_redraws_sparingly() -> None:
    clock, out = Clock(), io.StringIO()
    meter = Meter(stream=out, clock=clock)
    meter.start(100_000)
    for _ in range(500):  # 500 small steps inside one percent and one instant: one redraw at most
        meter.advance("x", 1)
    assert len(meter.drawn) <= 2


def test_duration_words() -> None:
    assert [duration(s) for s in (0.4, 4, 80, 3599, 7500)] == ["0 s", "4 s", "1 min 20 s", "59 min 59 s", "2 h 05 min"]


def export_zip(path: Path, runs: int) -> None:
    """A Garmin Connect export: the FIT files in a zip inside the zip, as Connect nests them."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(runs):
            z.writestr(f"UploadedFiles_0-_Part1/{i:04d}.fit", m.run(DAY0 + dt.timedelta(days=i), 30 + i % 20, 5.0))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner.getvalue())
        z.writestr("DI_CONNECT/DI-Connect-Fitness/notes.json", "{}")


def under_a_terminal(tmp_path: Path, *args: str) -> str:
    """What `fitplug ARGS` draws on a terminal (stdout and stderr both a pty), as the runner sees it."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fitplug", "--db", str(tmp_path / "db.sqlite3"), *args],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env=env,
        cwd=tmp_path,
    )
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 120 s")
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def percents(drawn: str) -> list[int]:
    return [int(p) for p in re.findall(r"Reading\s+(\d+)%", drawn)]


def test_sync_of_a_nested_export_moves_steadily(tmp_path: Path) -> None:
    export_zip(tmp_path / "export.zip", 600)
    drawn = under_a_terminal(tmp_path, "sync", "export.zip")
    seen = percents(drawn)
    assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(seen), seen
    assert len(set(seen)) >= 10, seen  # it moves as the members are read: no jump from 0 to 100
    assert not [p for p in re.findall(r"about (\d+) h", drawn)], drawn  # no time left in hours for seconds of work
    assert "Read 600 new activities" in drawn


def test_sync_of_a_folder_and_a_second_sync(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    for i in range(300):
        (folder / f"{i:04d}.fit").write_bytes(m.run(DAY0 + dt.timedelta(days=i), 30, 5.0))
    first = percents(under_a_terminal(tmp_path, "sync", "runs"))
    assert first[-1] == 100 and first == sorted(first) and len(set(first)) >= 10, first
    again = percents(under_a_terminal(tmp_path, "sync", "runs"))  # nothing new: the bar still ends full
    assert again[-1] == 100, again


def test_no_terminal_no_bar(tmp_path: Path) -> None:
    export_zip(tmp_path / "export.zip", 20)
    done = subprocess.run(
        [sys.executable, "-m", "fitplug", "--db", str(tmp_path / "db.sqlite3"), "sync", "export.zip"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    assert "Reading" not in done.stderr + done.stdout and "\r" not in done.stderr + done.stdout

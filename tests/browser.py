"""A real headless Chromium (Debian's ``chromium``), started once per page, bounded in time.

:func:`load` opens a page, takes a screenshot and returns the console
messages Chromium logged (``INFO:CONSOLE`` lines on stderr, with
``--enable-logging=stderr``): script errors, messages and refused loads.
Each call uses a new, empty profile folder; nothing is fetched from the
network (no sync, no component updates, no QUIC).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]
_CONSOLE = re.compile(r":INFO:CONSOLE[^\]]*\] (.*)$")


def chromium() -> str:
    """The browser's path; skips the test with the reason when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    return path


def load(url: str, shot: Path, *, width: int, height: int, dark: bool = False) -> list[str]:
    """Open ``url`` at ``width`` x ``height``, screenshot it to ``shot``; the console messages logged."""
    profile = shot.with_suffix(".profile")
    profile.mkdir(parents=True)
    args = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={shot}"]
    if dark:
        args.append("--force-dark-mode")
    done = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL, check=False
    )
    assert done.returncode == 0 and shot.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    return [m.group(1) for line in done.stderr.splitlines() if (m := _CONSOLE.search(line))]

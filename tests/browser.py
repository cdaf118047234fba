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


_PROBE = re.compile(r'^"PROBE (.*)"$', re.S)
#: runs ``measure()`` (which the caller defines) once the page is laid out at ``width``: Chromium lays a
#: headless page out at least 500 px wide, then resizes it to the window's width for the screenshot
_PROBE_RUN = """
<script>
(() => {
  let done = false;
  const run = () => {
    if (done || innerWidth !== %(width)d) return;
    done = true;
    let out;
    try { out = measure(); } catch (e) { out = {error: String(e && e.stack || e)}; }
    console.log('PROBE ' + JSON.stringify(out));
  };
  run();
  addEventListener('resize', run);
})();
</script>
"""


def probe(page: Path, shot: Path, script: str, *, width: int, height: int) -> dict[str, object]:
    """Lay ``page`` out at ``width`` x ``height`` in Chromium, screenshot it, and return what the JavaScript
    ``script`` (which defines ``function measure()``, returning a JSON value) measured there.

    A copy of the page is loaded, with its Content-Security-Policy taken out and the script put in
    before ``</body>``: the page itself never runs a script. ``measure()`` runs when the page's
    viewport is ``width`` wide, so media queries see the width a phone has.
    """
    import json

    text = page.read_text(encoding="utf-8")
    csp = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
    assert len(csp.findall(text)) == 1, "the page has no CSP meta to take out"
    probe_copy = shot.with_name(shot.stem + "-probe.html")
    inject = f"<script>{script}</script>" + _PROBE_RUN % {"width": width}
    probe_copy.write_text(csp.sub("", text).replace("</body>", inject + "</body>"), encoding="utf-8")
    messages = load(probe_copy.as_uri(), shot, width=width, height=height)
    found = [m for line in messages if (m := _PROBE.match(line.rsplit('", source: ', 1)[0] + '"'))]
    assert len(found) == 1, f"the probe did not report once at {width} px: {messages}"
    result = json.loads(found[0].group(1))
    assert isinstance(result, dict) and "error" not in result, result
    return result

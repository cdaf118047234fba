"""The progress page in a real headless Chromium: from a file, on a phone's width, in dark mode.

Skipped with the reason when Debian's ``chromium`` is absent; .ci/run installs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium, load
from pngread import read_png
from progress_history import NOW, PROGRAMME_FILE, synced_store

from fitplug.app.progress import render_page


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chromium()
    base = tmp_path_factory.mktemp("browser")
    path = base / "progress.html"
    path.write_bytes(render_page(PROGRAMME_FILE, db_path=synced_store(base), now=NOW))
    return path


def _luma(rgb: bytes, x: int) -> float:
    r, g, b = rgb[3 * x : 3 * x + 3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def picture(shot: Path) -> tuple[float, float, int]:
    """(background luma, share of pixels unlike the background, distinct colours) of a screenshot."""
    width, height, rows = read_png(shot)
    corner = rows[2][6:9]
    differ, colours = 0, set()
    for y in range(0, height, 3):
        row = rows[y]
        for x in range(0, width, 3):
            px = row[3 * x : 3 * x + 3]
            colours.add(px)
            differ += px != corner
    samples = len(range(0, height, 3)) * len(range(0, width, 3))
    return _luma(rows[2], 2), differ / samples, len(colours)


def test_the_page_loads_from_a_file_with_no_console_message(page_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "wide.png"
    assert load(page_file.as_uri(), shot, width=1000, height=1400) == []
    background, ink, colours = picture(shot)
    assert background > 240  # light by default
    assert ink > 0.05 and colours > 20, (ink, colours)  # text, bars and swatches, not a blank page


def test_dark_mode_is_dark_and_still_drawn(page_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "dark.png"
    assert load(page_file.as_uri(), shot, width=800, height=1000, dark=True) == []
    background, ink, colours = picture(shot)
    assert background < 40 and ink > 0.05 and colours > 20, (background, ink, colours)


def test_at_360_px_nothing_spills_sideways(page_file: Path, tmp_path: Path) -> None:
    # Headless Chromium lays pages out at least 500 px wide, so a copy of the page is held
    # to 360 px and runs one script (the page itself runs none) that reports the right edge
    # of the widest element outside the boxes that scroll on purpose (the tables).
    probe = tmp_path / "probe.html"
    text = page_file.read_text(encoding="utf-8")
    head, _, rest = text.partition('<meta http-equiv="Content-Security-Policy"')
    rest = rest.partition(">")[2]
    script = (
        "<script>const els = [...document.querySelectorAll('body *')]"
        ".filter(e => !e.parentElement.closest('.scroll'));"
        "console.log('right ' + Math.ceil(Math.max(...els.map(e => e.getBoundingClientRect().right))) + ' ' + "
        "document.querySelectorAll('svg.chart').length)</script>"
    )
    probe.write_text(
        head + "<style>html{width:360px}</style>" + rest.replace("</body>", script + "</body>"), encoding="utf-8"
    )
    shot = tmp_path / "phone.png"
    messages = load(probe.as_uri(), shot, width=360, height=800)
    assert len(messages) == 1 and messages[0].startswith('"right '), messages
    right, charts = (int(v) for v in messages[0].split('"')[1].split()[1:])
    assert 300 < right <= 360 and charts == 4, messages
    assert picture(shot)[1] > 0.05


def test_the_console_check_sees_errors_and_refused_fetches(tmp_path: Path) -> None:
    """The check above can fail: a script error and a fetch the page's policy refuses are both seen."""
    chromium()
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'script-src \'unsafe-inline\'"></head><body><p>x</p><img src="http://127.0.0.1:9/x.png">'
        "<script>undefinedFunction()</script></body></html>",
        encoding="utf-8",
    )
    messages = load(bad.as_uri(), tmp_path / "bad.png", width=400, height=300)
    assert any("undefinedFunction" in m for m in messages), messages
    assert any("Content Security Policy" in m for m in messages), messages


def test_fitplug_serve_serves_the_page_at_its_secret_folder(page_file: Path, tmp_path: Path) -> None:
    """The real `fitplug serve`, on loopback: the page at ``/TOKEN/`` loads in the browser with no
    console message; without the token there is nothing."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    db = page_file.parent / "store.sqlite3"
    env = {**os.environ, "FITPLUG_NOW": NOW.isoformat(), "FITPLUG_DB": str(db), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fitplug", "serve", str(PROGRAMME_FILE), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        feed = lines[2].strip()
        folder = feed.rsplit("/", 1)[0] + "/"
        with urllib.request.urlopen(folder, timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            body = response.read()
        assert b"Glute strength for runners" in body and b"Week by week" in body
        root = folder.rsplit("/", 2)[0] + "/"
        token = folder.rsplit("/", 2)[1]
        for other in (root, root + "progress.html", root + token[:-1] + ("x" if token[-1] != "x" else "y") + "/"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(other, timeout=30)
            assert missing.value.code == 404
        assert load(folder, tmp_path / "served.png", width=900, height=1200) == []
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert picture(tmp_path / "served.png")[1] > 0.05

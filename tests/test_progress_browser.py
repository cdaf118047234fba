"""The progress page in a real headless Chromium: from a file, on a phone's width, in dark mode.

The layout is measured in the browser (a copy of the page runs one script that reports what it
finds; the page itself runs none) at 360, 390 and 1280 px. Set FITPLUG_SHOTS to a folder to keep
the screenshots and look at them. Skipped with the reason when Debian's ``chromium`` is absent;
.ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser import chromium, load, probe
from pngread import read_png
from progress_history import NOW, PROGRAMME_FILE, changed_store, synced_store

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


#: what the layout tests measure in the page, laid out at a phone's width (see :func:`browser.probe`)
MEASURE = r"""
function measure() {
  const W = innerWidth;
  const name = e => e.tagName.toLowerCase() + (e.getAttribute('class') || '').split(' ').map(c => c && '.' + c)
    .join('');
  const box = r => ({l: r.left, r: r.right, t: r.top, b: r.bottom});
  const meet = (a, b, pad) => Math.min(a.r + pad, b.r + pad) - Math.max(a.l - pad, b.l - pad) > 0.5 &&
    Math.min(a.b + pad, b.b + pad) - Math.max(a.t - pad, b.t - pad) > 0.5;
  const out = {width: W, page_width: document.documentElement.scrollWidth,
               page_height: document.documentElement.scrollHeight, wide: [], small: [], texts: 0,
               svg_min: 1e9, html_min: 1e9, overlaps: [], loose_values: [], charts: 0, chart_scroll: [],
               boxes: 0, scrolling: 0, unstuck: []};
  // 1. nothing sticks out sideways, but inside a box that scrolls on purpose (its box is held to it)
  for (const e of document.body.querySelectorAll('*')) {
    if (e.parentElement.closest('.scroll, .chart-box')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.right > W + 0.5) out.wide.push(`${name(e)} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  // 2. every text drawn at 12 px or more: HTML by its computed size, SVG by its size times the chart's scale
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const e = n.parentElement;
    if (!n.data.trim() || e.closest('title, desc, style, script')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    out.texts++;
    let px;
    if (e instanceof SVGElement) {
      const svg = e.ownerSVGElement;
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      px = parseFloat(getComputedStyle(e).fontSize) * scale;
      out.svg_min = Math.min(out.svg_min, px, r.height);
    } else {
      px = parseFloat(getComputedStyle(e).fontSize);
      out.html_min = Math.min(out.html_min, px);
    }
    if (px < 12 || (e instanceof SVGElement && r.height < 12)) {
      out.small.push(`${name(e)} ${px.toFixed(1)} ${n.data.trim().slice(0, 30)}`);
    }
  }
  // 3. in a chart, no label lies over a mark or another label; a value sits inside its bar
  for (const svg of document.querySelectorAll('svg.chart')) {
    out.charts++;
    const holder = svg.parentElement;
    if (holder.scrollWidth > holder.clientWidth + 1) out.chart_scroll.push(svg.querySelector('title').textContent);
    const marks = [...svg.querySelectorAll('rect.bar, circle.dot, rect.target, line.threshold, line.marker')]
      .map(m => [m, box(m.getBoundingClientRect())]);
    const texts = [...svg.querySelectorAll('text')].map(t => [t, box(t.getBoundingClientRect())]);
    const label = t => name(t) + ' "' + t.textContent + '"';
    texts.forEach(([t, tb], i) => {
      if (t.classList.contains('value')) {
        const inside = ([m, mb]) => m.matches('rect.bar') && tb.l >= mb.l && tb.r <= mb.r && tb.t >= mb.t - 2
          && tb.b <= mb.b + 2;
        if (!marks.some(inside)) out.loose_values.push(label(t));
        return;
      }
      for (const [m, mb] of marks) {
        const pad = m.tagName === 'line' ? 1 : 0;  // a line's box has no height: its stroke has
        if (meet(tb, mb, pad)) out.overlaps.push(label(t) + ' over ' + name(m));
      }
      for (const [u, ub] of texts.slice(i + 1)) if (meet(tb, ub, 0)) out.overlaps.push(label(t) + ' over ' + label(u));
    });
  }
  // 4. a table wider than its box scrolls in it, and its first column stays in view when scrolled
  for (const sc of document.querySelectorAll('.scroll')) {
    out.boxes++;
    if (sc.scrollWidth <= sc.clientWidth + 1) continue;
    out.scrolling++;
    sc.scrollLeft = sc.scrollWidth;
    const edge = sc.getBoundingClientRect();
    for (const row of sc.querySelectorAll('tr')) {
      const first = row.cells[0].getBoundingClientRect();
      if (Math.abs(first.left - edge.left) > 1) out.unstuck.push(row.cells[0].textContent.trim().slice(0, 30));
    }
    sc.scrollLeft = 0;
  }
  return out;
}
"""


def _keep(shot: Path) -> None:
    """With FITPLUG_SHOTS naming a folder, keep a copy of the screenshot there to look at."""
    folder = os.environ.get("FITPLUG_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(folder) / shot.name)


@pytest.fixture(scope="module")
def changed_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page tracked from Wed 14 Oct, the band changed to "medium" on 20 Oct (a marker in the chart)."""
    chromium()
    base = tmp_path_factory.mktemp("changed")
    db, programme = changed_store(base)
    path = base / "changed.html"
    path.write_bytes(render_page(programme, db_path=db, now=NOW))
    return path


@pytest.mark.parametrize("width", [360, 390, 1280])
@pytest.mark.parametrize("which", ["history", "changed"])
def test_the_layout_holds_at_each_width(
    which: str, width: int, page_file: Path, changed_page: Path, tmp_path: Path
) -> None:
    """At a phone's width and a desktop's: nothing sticks out sideways, every text is 12 px or more
    (SVG text at its drawn size), no chart label lies over a bar, a dot, a line or another label,
    no chart needs scrolling, and tables that scroll keep their first column in view."""
    page = page_file if which == "history" else changed_page
    shot = tmp_path / f"{which}-{width}.png"
    tall = 7000 if width < 500 else 4500
    m = probe(page, shot, MEASURE, width=width, height=tall)
    _keep(shot)
    assert m["width"] == width and m["page_width"] == width and m["page_height"] <= tall, m  # the shot holds it all
    assert m["wide"] == [] and m["small"] == [], m
    assert m["overlaps"] == [] and m["loose_values"] == [], m
    assert m["charts"] == 4 and m["chart_scroll"] == [], m
    assert m["texts"] > 300 and 12 <= m["svg_min"] and 12 <= m["html_min"], m
    assert m["boxes"] >= 6 and m["unstuck"] == [], m
    if width < 500:
        assert m["scrolling"] >= 2, m  # the week and band tables are wider than a phone: they scroll
    shape, ink, colours = read_png(shot)[:2], picture(shot)[1], picture(shot)[2]
    assert shape[0] == width and ink > 0.03 and colours > 20, (shape, ink, colours)


def test_the_layout_check_can_fail(tmp_path: Path) -> None:
    """Each part of the check above sees what it is for: text too small (in HTML and in a shrunken
    chart), an element wider than the screen, a label over a dot, a table whose first column scrolls away."""
    chromium()
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"></head><body>'
        '<p style="font-size:10px">tiny</p><div style="width:500px">wide</div>'
        '<div class="chart-box"><svg class="chart" viewBox="0 0 800 100" style="width:100%">'
        '<circle class="dot" cx="20" cy="50" r="5"/><text x="10" y="55" style="font-size:12px">over</text></svg></div>'
        '<div class="scroll" style="overflow-x:auto"><table><tr><td>first</td>'
        '<td style="white-space:nowrap">' + "x" * 200 + "</td></tr></table></div></body></html>",
        encoding="utf-8",
    )
    m = probe(bad, tmp_path / "bad.png", MEASURE, width=390, height=600)
    assert [w.split()[0] for w in m["wide"]] == ["div"], m
    assert sorted(s.split()[-1] for s in m["small"]) == ["over", "tiny"], m
    assert m["overlaps"] == ['text "over" over circle.dot'], m
    assert m["scrolling"] == 1 and m["unstuck"] == ["first"], m


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

"""The charts' geometry (#21): labels lie outside the plot area, inside the chart, and apart.

What the browser measures (tests/test_progress_browser.py) is checked here on the SVG itself,
with each text's width taken as :func:`~fitplug.progress.svg.text_width` guesses it.
"""

from __future__ import annotations

import re

import pytest

from fitplug.progress.svg import FONT, LEFT, TOP, WIDTH, Marker, Series, bar_chart, reps_chart, text_width

TEXT = re.compile(r'<text class="([\w-]+)" x="([\d.]+)" y="([\d.]+)"(?: text-anchor="(\w+)")?>([^<]*)</text>')


def texts(svg: str) -> list[tuple[str, float, float, float, str]]:
    """Each text as (class, left, right, baseline, words)."""
    out = []
    for css, x, y, anchor, words in TEXT.findall(svg):
        w = text_width(words.replace("&amp;", "&"))
        left = float(x) - (w / 2 if anchor == "middle" else w if anchor == "end" else 0)
        out.append((css, left, left + w, float(y), words))
    return out


def view_height(svg: str) -> float:
    m = re.search(r'viewBox="0 0 (\d+) ([\d.]+)"', svg)
    assert m is not None and int(m.group(1)) == WIDTH
    return float(m.group(2))


def circles_y(svg: str) -> list[float]:
    return [float(y) for y in re.findall(r'<circle class="dot [a-z]+" cx="[\d.]+" cy="([\d.]+)" r="3.6">', svg)]


def _reps(n: int = 16, **kw: object) -> str:
    return reps_chart(
        "T",
        "D",
        [f"{d:02d} Nov" for d in range(1, n + 1)],
        [[13, 13, 14, 12, 12, 12]] * n,
        threshold=12,
        threshold_label="threshold 12",
        past=True,
        **kw,  # type: ignore[arg-type]
    )


def test_the_threshold_value_is_in_the_right_margin_and_its_name_in_the_legend() -> None:
    svg = _reps(markers=[Marker(3, "→ blue")])
    line = re.search(r'<line class="threshold" x1="(\d+)" x2="([\d.]+)" y1="([\d.]+)"', svg)
    assert line is not None
    plot_right = float(line.group(2))
    (value,) = [t for t in texts(svg) if t[0] == "threshold-label"]
    assert value[4] == "12" and value[1] > plot_right and value[2] <= WIDTH
    legend = [t for t in texts(svg) if t[0] == "legend"]
    assert [t[4] for t in legend] == ["over 12 reps", "12 or fewer reps", "threshold 12"]
    dots = circles_y(svg)
    assert min(t[3] for t in legend) - FONT > max(dots)  # the legend is below every dot


def test_a_band_change_is_named_above_the_plot() -> None:
    svg = _reps(markers=[Marker(15, "→ a very long band name")])
    (label,) = [t for t in texts(svg) if t[0] == "marker-label"]
    assert label[3] < TOP and label[3] - FONT >= 0
    assert 0 <= label[1] and label[2] <= WIDTH  # near the right edge it is written leftwards


@pytest.mark.parametrize("n", [1, 3, 7, 12, 16])
def test_axis_labels_stay_inside_and_apart(n: int) -> None:
    for svg in (
        _reps(n),
        bar_chart("T", "D", [f"{d:02d} Sep" for d in range(n)], [Series("done", list(range(n)), "done")]),
    ):
        ticks = sorted((t for t in texts(svg) if t[0] == "tick" and not t[4].isdigit()), key=lambda t: t[1])
        assert ticks and ticks[-1][4].endswith(f"{n - 1:02d} Sep" if "Sep" in ticks[-1][4] else f"{n:02d} Nov")
        assert all(0 <= t[1] and t[2] <= WIDTH for t in ticks), ticks
        assert all(a[2] + 4 <= b[1] for a, b in zip(ticks, ticks[1:], strict=False)), ticks


def test_the_legend_wraps_inside_the_chart() -> None:
    names = ["done", "missed with a long name", "to come later on", "and one more series"]
    svg = bar_chart("T", "D", ["a", "b"], [Series(n, [1, 1], "done") for n in names])
    legend = [t for t in texts(svg) if t[0] == "legend"]
    assert [t[4] for t in legend] == names
    assert all(t[2] <= WIDTH for t in legend)
    rows = sorted({t[3] for t in legend})
    assert len(rows) >= 2 and rows[-1] <= view_height(svg) - 4
    assert view_height(svg) > view_height(bar_chart("T", "D", ["a", "b"], [Series("done", [1, 1], "done")]))


def test_a_lone_bar_is_not_a_slab() -> None:
    svg = bar_chart("T", "D", ["w"], [Series("s", [2], "done")])
    (width,) = re.findall(r'<rect class="bar done" x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="[\d.]+"><title>', svg)
    assert float(width) <= 3 * FONT
    assert 'width="340"' in svg and f'x="{LEFT - 4}"' in svg


def test_a_value_too_big_for_its_bar_is_left_to_the_tooltip_and_table() -> None:
    svg = bar_chart("T", "D", [str(i) for i in range(40)], [Series("s", [1000] * 40, "done")])
    assert 'class="value"' not in svg and svg.count(": s 1000</title>") == 40
    assert 'class="value"' in bar_chart("T", "D", ["a"], [Series("s", [1000], "done")])

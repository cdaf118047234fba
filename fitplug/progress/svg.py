"""Small SVG charts for the progress page: bars by week, reps by session.

Why our own module: the page must fetch nothing, follow the reader's dark or
light scheme and name every colour in words. The SVG libraries that fit
without a heavy import (pygal, leather) write fixed colours into each element
(so a dark page shows dark-on-dark), and pygal links a script from the web by
default. Here every mark carries a class that the page's stylesheet colours
(``fill: var(--done)``), every chart has a ``<title>`` and a ``<desc>`` that
say what it shows in words, and every value is also written as text.

Only strings are built: nothing is imported but the standard library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: chart geometry (SVG user units; the chart scales to the width of its box)
WIDTH = 480
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 16, 36


@dataclass(frozen=True, slots=True)
class Series:
    """One stack of a bar chart: a value per category, a legend name, a CSS class."""

    name: str
    values: Sequence[int]
    css: str
    #: a hatched fill as well as the colour (for a series that must not be read by colour alone)
    hatched: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    """A vertical line before the session at ``index``, with a label (a band change)."""

    index: int
    label: str


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(title: str, desc: str, height: int) -> tuple[str, list[str]]:
    # ids from the content: the same chart gives the same bytes, two charts differ
    n = hashlib.sha256(f"{title}\n{desc}".encode()).hexdigest()[:10]
    tid, did = f"chart{n}-title", f"chart{n}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{tid} {did}" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return f"chart{n}", [head]


def _scale_max(top: int) -> int:
    """A round axis maximum at or above ``top`` (at least 1)."""
    top = max(1, top)
    for step in (1, 2, 5, 10, 20, 50, 100):
        if top <= step * 5:
            return -(-top // step) * step
    return top


def _y_axis(lines: list[str], ymax: int, plot_h: int, ticks: Sequence[int]) -> None:
    for t in ticks:
        y = TOP + plot_h - plot_h * t / ymax
        lines.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(y)}" y2="{_num(y)}"/>')
        lines.append(f'<text class="tick" x="{LEFT - 4}" y="{_num(y + 4)}" text-anchor="end">{t}</text>')


def shown_labels(n: int, most: int = 8) -> set[int]:
    """Which of ``n`` axis labels to write so that at most ``most`` show: every k-th, counted back from the last."""
    step = max(1, -(-n // most))
    return set(range(n - 1, -1, -step))


def _ticks(ymax: int) -> list[int]:
    step = max(1, ymax // 4)
    return list(range(0, ymax + 1, step))


def bar_chart(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    target: tuple[int, int] | None = None,
    target_label: str = "",
    height: int = 190,
) -> str:
    """Stacked bars, one per category, each segment labelled with its value.

    ``target``: a shaded band from low to high (the weekly stretching target).
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(categories)} categories")
    prefix, lines = _open(title, desc, height)
    plot_h = height - TOP - BOTTOM
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ymax = _scale_max(max([*totals, target[1] if target else 0, 1]))
    if any(s.hatched for s in series):
        lines.append(
            f'<defs><pattern id="{prefix}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
            'patternTransform="rotate(45)"><rect class="hatch-bg" width="6" height="6"/>'
            '<line class="hatch" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>'
        )

    def y_of(v: float) -> float:
        return TOP + plot_h - plot_h * v / ymax

    if target is not None:
        lo, hi = target
        lines.append(
            f'<rect class="target" x="{LEFT}" width="{WIDTH - LEFT - RIGHT}" y="{_num(y_of(hi))}" '
            f'height="{_num(max(2.0, y_of(lo) - y_of(hi)))}"><title>{escape(target_label)}</title></rect>'
        )
    _y_axis(lines, ymax, plot_h, _ticks(ymax))
    n = max(1, len(categories))
    slot = (WIDTH - LEFT - RIGHT) / n
    bar_w = slot * 0.62
    shown = shown_labels(len(categories), 6)
    for i, cat in enumerate(categories):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = 0
        for s in series:
            v = s.values[i]
            if v <= 0:
                continue
            y0, y1 = y_of(base + v), y_of(base)
            tip = f"{cat}: {s.name} {v}"
            lines.append(
                f'<rect class="bar {s.css}" x="{_num(x)}" y="{_num(y0)}" width="{_num(bar_w)}" '
                f'height="{_num(y1 - y0)}"><title>{escape(tip)}</title></rect>'
            )
            if s.hatched:
                lines.append(
                    f'<rect class="bar-hatch" fill="url(#{prefix}-hatch)" x="{_num(x)}" y="{_num(y0)}" '
                    f'width="{_num(bar_w)}" height="{_num(y1 - y0)}"/>'
                )
            if y1 - y0 >= 13:
                lines.append(
                    f'<text class="value" x="{_num(x + bar_w / 2)}" y="{_num((y0 + y1) / 2 + 4)}" '
                    f'text-anchor="middle">{v}</text>'
                )
            base += v
        if i in shown:
            lines.append(
                f'<text class="tick" x="{_num(x + bar_w / 2)}" y="{height - BOTTOM + 14}" '
                f'text-anchor="middle">{escape(cat)}</text>'
            )
    lines.append(_legend(series, height))
    lines.append("</svg>")
    return "".join(lines)


def _legend(series: Sequence[Series], height: int) -> str:
    out, x = [], LEFT
    for s in series:
        out.append(f'<rect class="bar {s.css}" x="{x}" y="{height - 13}" width="10" height="10"/>')
        out.append(f'<text class="legend" x="{x + 14}" y="{height - 4}">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    return "".join(out)


def reps_chart(
    title: str,
    desc: str,
    sessions: Sequence[str],
    reps: Sequence[Sequence[int | None]],
    *,
    threshold: int,
    threshold_label: str,
    markers: Sequence[Marker] = (),
    past: bool = False,
    height: int = 210,
) -> str:
    """Every set's reps per session as dots, a dashed threshold line, band changes as lines.

    A set that reached ``threshold`` (went past it, with ``past``) is drawn filled,
    any other hollow, so the two differ by shape as well as colour. A set with no
    rep count is left out.
    """
    if len(sessions) != len(reps):
        raise ValueError(f"{len(reps)} rep lists for {len(sessions)} sessions")
    _, lines = _open(title, desc, height)
    plot_h = height - TOP - BOTTOM
    top = max([threshold, *(r for rs in reps for r in rs if r is not None)])
    ymax = _scale_max(top + 2)

    def y_of(v: float) -> float:
        return TOP + plot_h - plot_h * v / ymax

    _y_axis(lines, ymax, plot_h, _ticks(ymax))
    n = max(1, len(sessions))
    slot = (WIDTH - LEFT - RIGHT) / n
    yt = y_of(threshold)
    shown = shown_labels(len(sessions), 6)
    lines.append(
        f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(yt)}" y2="{_num(yt)}"/>'
        f'<text class="threshold-label" x="{LEFT + 3}" y="{_num(yt - 5)}">'
        f"{escape(threshold_label)}</text>"
    )
    for m in markers:
        x = LEFT + slot * m.index
        lines.append(
            f'<line class="marker" x1="{_num(x)}" x2="{_num(x)}" y1="{TOP}" y2="{TOP + plot_h}"/>'
            f'<text class="marker-label" x="{_num(x + 3)}" y="{TOP + 10}">{escape(m.label)}</text>'
        )
    for i, (label, rs) in enumerate(zip(sessions, reps, strict=True)):
        cx0 = LEFT + slot * i + slot / 2
        known = [r for r in rs if r is not None]
        spread = min(slot * 0.7, 6.0 * max(1, len(known)))
        for k, r in enumerate(known):
            cx = cx0 - spread / 2 + spread * (k + 0.5) / max(1, len(known))
            css = "dot reached" if (r > threshold if past else r >= threshold) else "dot below"
            lines.append(
                f'<circle class="{css}" cx="{_num(cx)}" cy="{_num(y_of(r))}" r="3.6">'
                f"<title>{escape(label)}: set {k + 1}, {r} reps</title></circle>"
            )
        if i in shown:
            lines.append(
                f'<text class="tick" x="{_num(cx0)}" y="{height - BOTTOM + 14}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    yes, no = (f"over {threshold}", f"{threshold} or fewer") if past else (f"{threshold} or more", f"under {threshold}")
    lines.append(
        f'<circle class="dot reached" cx="{LEFT + 5}" cy="{height - 8}" r="3.6"/>'
        f'<text class="legend" x="{LEFT + 14}" y="{height - 4}">{yes} reps</text>'
        f'<circle class="dot below" cx="{LEFT + 125}" cy="{height - 8}" r="3.6"/>'
        f'<text class="legend" x="{LEFT + 134}" y="{height - 4}">{no} reps</text>'
    )
    lines.append("</svg>")
    return "".join(lines)

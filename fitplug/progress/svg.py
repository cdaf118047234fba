"""Small SVG charts for the progress page: bars by week, reps by session.

Why our own module: the page must fetch nothing, follow the reader's dark or
light scheme and name every colour in words. The SVG libraries that fit
without a heavy import (pygal, leather) write fixed colours into each element
(so a dark page shows dark-on-dark), and pygal links a script from the web by
default. Here every mark carries a class that the page's stylesheet colours
(``fill: var(--done)``), every chart has a ``<title>`` and a ``<desc>`` that
say what it shows in words, and every value is also written as text.

The charts are drawn for a phone: :data:`WIDTH` user units fit the page's box
at 360 px, so text set at 12 units is never drawn smaller than 12 px (the page
keeps a chart from shrinking below its width). Labels sit outside the plot
area (axes, the threshold's value in the right margin, band changes above the
plot, a legend below that wraps), so none lies over a bar or a dot; only each
bar's own value is written inside it.

Only strings are built: nothing is imported but the standard library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

#: chart geometry (SVG user units; the chart scales to the width of its box, never below WIDTH px)
WIDTH = 340
LEFT, RIGHT, TOP = 26, 6, 20
#: the reps chart's right margin, which holds the threshold's value
RIGHT_REPS = 24
#: the largest font size the page sets in a chart (user units), and what a character of it takes at most
FONT = 12
CHAR = 0.62 * FONT
#: below the plot: the axis labels, then the legend's rows
AXIS, ROW = 22, 18


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


def text_width(text: str) -> float:
    """How wide ``text`` may be drawn at :data:`FONT` units (a generous guess: wide fonts fit)."""
    return CHAR * len(text)


def _open(title: str, desc: str, height: float) -> tuple[str, list[str]]:
    # ids from the content: the same chart gives the same bytes, two charts differ
    n = hashlib.sha256(f"{title}\n{desc}".encode()).hexdigest()[:10]
    tid, did = f"chart{n}-title", f"chart{n}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {_num(height)}" '
        f'width="{WIDTH}" height="{_num(height)}" '
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


def _y_axis(lines: list[str], ymax: int, plot_h: float, ticks: Sequence[int], right: int) -> None:
    for t in ticks:
        y = TOP + plot_h - plot_h * t / ymax
        lines.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - right}" y1="{_num(y)}" y2="{_num(y)}"/>')
        lines.append(f'<text class="tick" x="{LEFT - 4}" y="{_num(y + 4)}" text-anchor="end">{t}</text>')


def shown_labels(n: int, most: int = 8) -> set[int]:
    """Which of ``n`` axis labels to write so that at most ``most`` show: every k-th, counted back from the last."""
    step = max(1, -(-n // max(1, most)))
    return set(range(n - 1, -1, -step))


def _fitting(labels: Sequence[str], width: float, most: int) -> set[int]:
    """The axis labels to write: at most ``most``, and never closer than their own width (plus a gap)."""
    if not labels:
        return set()
    room = max(text_width(s) for s in labels) + 8
    return shown_labels(len(labels), min(most, max(1, int(width // room))))


def _ticks(ymax: int) -> list[int]:
    step = max(1, ymax // 4)
    return list(range(0, ymax + 1, step))


#: a legend entry: its key (an SVG fragment drawn at x, y: the row's baseline), its words
Key = tuple[str, str]
#: how far a legend entry's words start after its key's left edge (a dashed line needs two dashes)
KEY = 18


def _legend_rows(keys: Sequence[Key], right: int) -> list[list[tuple[float, Key]]]:
    """The legend laid out in rows that fit the chart's width: each entry with its x."""
    rows: list[list[tuple[float, Key]]] = [[]]
    x = float(LEFT)
    for key in keys:
        w = KEY + text_width(key[1])
        if rows[-1] and x + w > WIDTH - right:
            rows.append([])
            x = float(LEFT)
        rows[-1].append((x, key))
        x += w + 12
    return rows


def _legend(rows: list[list[tuple[float, Key]]], top: float) -> str:
    out = []
    for r, row in enumerate(rows):
        y = top + ROW * r
        for x, (shape, name) in row:
            out.append(shape.format(x=_num(x), y=_num(y), cx=_num(x + 5), cy=_num(y - 4), x2=_num(x + KEY - 4)))
            out.append(f'<text class="legend" x="{_num(x + KEY)}" y="{_num(y)}">{escape(name)}</text>')
    return "".join(out)


def _tick_x(x: float, label: str) -> float:
    """Where an axis label centred at ``x`` goes so that it stays inside the chart."""
    half = text_width(label) / 2
    return min(max(x, half + 1), WIDTH - half - 1)


def _height(plot_h: float, rows: int) -> float:
    """The whole chart's height: the legend's last baseline 6 units above the bottom (room for descenders)."""
    return TOP + plot_h + AXIS + ROW * rows + 2


def bar_chart(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    target: tuple[int, int] | None = None,
    target_label: str = "",
    height: int = 130,
) -> str:
    """Stacked bars, one per category, each segment labelled with its value; ``height``: of the plot area.

    ``target``: a shaded band from low to high (the weekly stretching target), named in the legend.
    """
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(categories)} categories")
    keys: list[Key] = [
        (
            '<rect class="bar ' + s.css + '" x="{x}" y="{cy}" width="10" height="10" transform="translate(0 -5)"/>',
            s.name,
        )
        for s in series
    ]
    if target is not None and target_label:
        keys.append(
            ('<rect class="target" x="{x}" y="{cy}" width="10" height="10" transform="translate(0 -5)"/>', target_label)
        )
    rows = _legend_rows(keys, RIGHT)
    plot_h = float(height)
    prefix, lines = _open(title, desc, _height(plot_h, len(rows)))
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
    _y_axis(lines, ymax, plot_h, _ticks(ymax), RIGHT)
    n = max(1, len(categories))
    slot = (WIDTH - LEFT - RIGHT) / n
    bar_w = min(slot * 0.62, 3 * FONT)
    shown = _fitting(categories, slot * len(categories), 6)
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
            if y1 - y0 >= FONT + 2 and bar_w >= text_width(str(v)) + 2:
                lines.append(
                    f'<text class="value" x="{_num(x + bar_w / 2)}" y="{_num((y0 + y1) / 2 + 4)}" '
                    f'text-anchor="middle">{v}</text>'
                )
            base += v
        if i in shown:
            lines.append(
                f'<text class="tick" x="{_num(_tick_x(x + bar_w / 2, cat))}" y="{_num(TOP + plot_h + 15)}" '
                f'text-anchor="middle">{escape(cat)}</text>'
            )
    lines.append(_legend(rows, TOP + plot_h + AXIS + ROW - 4))
    lines.append("</svg>")
    return "".join(lines)


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
    height: int = 150,
) -> str:
    """Every set's reps per session as dots, a dashed threshold line, band changes as lines.

    A set that reached ``threshold`` (went past it, with ``past``) is drawn filled,
    any other hollow, so the two differ by shape as well as colour. A set with no
    rep count is left out. The threshold's value is written in the right margin,
    ``threshold_label`` in the legend, each marker's label above the plot.
    """
    if len(sessions) != len(reps):
        raise ValueError(f"{len(reps)} rep lists for {len(sessions)} sessions")
    yes, no = (f"over {threshold}", f"{threshold} or fewer") if past else (f"{threshold} or more", f"under {threshold}")
    keys: list[Key] = [
        ('<circle class="dot reached" cx="{cx}" cy="{cy}" r="3.6"/>', f"{yes} reps"),
        ('<circle class="dot below" cx="{cx}" cy="{cy}" r="3.6"/>', f"{no} reps"),
        ('<line class="threshold" x1="{x}" x2="{x2}" y1="{cy}" y2="{cy}"/>', threshold_label),
    ]
    right = max(RIGHT_REPS, round(text_width(str(threshold))) + 8)
    rows = _legend_rows(keys, right)
    plot_h = float(height)
    _, lines = _open(title, desc, _height(plot_h, len(rows)))
    top = max([threshold, *(r for rs in reps for r in rs if r is not None)])
    ymax = _scale_max(top + 2)

    def y_of(v: float) -> float:
        return TOP + plot_h - plot_h * v / ymax

    _y_axis(lines, ymax, plot_h, _ticks(ymax), right)
    n = max(1, len(sessions))
    slot = (WIDTH - LEFT - right) / n
    yt = y_of(threshold)
    shown = _fitting(sessions, slot * len(sessions), 6)
    lines.append(
        f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - right}" y1="{_num(yt)}" y2="{_num(yt)}"/>'
        f'<text class="threshold-label" x="{WIDTH - right + 3}" y="{_num(yt + 4)}">{threshold}</text>'
    )
    for m in markers:
        x = LEFT + slot * m.index
        # above the plot, on the side with room for it
        anchor, dx = ("end", -3) if x + 3 + text_width(m.label) > WIDTH else ("start", 3)
        lines.append(
            f'<line class="marker" x1="{_num(x)}" x2="{_num(x)}" y1="{TOP}" y2="{_num(TOP + plot_h)}"/>'
            f'<text class="marker-label" x="{_num(x + dx)}" y="{TOP - 6}" text-anchor="{anchor}">'
            f"{escape(m.label)}</text>"
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
                f'<text class="tick" x="{_num(_tick_x(cx0, label))}" y="{_num(TOP + plot_h + 15)}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    lines.append(_legend(rows, TOP + plot_h + AXIS + ROW - 4))
    lines.append("</svg>")
    return "".join(lines)

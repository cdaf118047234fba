"""The progress page as one self-contained HTML file (styles and charts inline).

:func:`render` takes a :class:`~fitplug.progress.model.ProgressPage` and
returns UTF-8 bytes. The page loads nothing: no script, no font, no image
from elsewhere (its Content-Security-Policy forbids it), so it works from
``file://``, in a phone's browser and behind the feed's token alike. Colours
come from the Okabe–Ito palette (told apart with the common colour
blindnesses) in a light and a dark set; meaning never rests on colour alone:
bars are labelled, missed ones hatched, sets under the threshold hollow, and
each band's colour is written beside its swatch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape

from fitplug.progress.model import BandSeries, ProgressPage, SessionDone, WeekRow
from fitplug.progress.svg import Marker, Series, bar_chart, reps_chart

#: swatches for the colours bands come in; a band named otherwise ("medium", "x-heavy") gets no swatch,
#: only its name (which is always written)
BAND_SWATCHES = {
    "yellow": "#f5d000",
    "red": "#d0312d",
    "green": "#2e8b3a",
    "blue": "#1f5fbf",
    "black": "#111111",
    "silver": "#b8bcc2",
    "gold": "#c9a227",
    "orange": "#f08a24",
    "purple": "#7b3fa0",
    "grey": "#8a8a8a",
    "gray": "#8a8a8a",
    "pink": "#e87fb0",
    "white": "#f4f4f4",
    "brown": "#7a4b24",
    "tan": "#d2b48c",
    "beige": "#e8dcc4",
    "teal": "#168c8c",
    "navy": "#1f2f6b",
    "lime": "#8cc63f",
    "plum": "#8e4585",
}

CSS = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1b;--muted:#5a5a5a;--line:#d9d9d9;--card:#f6f6f4;
--done:#0072b2;--missed:#d55e00;--due:#e69f00;--left:#c9c9c9;--stretch:#009e73;--target:rgba(0,158,115,.16);
--threshold:#cc79a7;--marker:#555}
@media (prefers-color-scheme:dark){:root{--bg:#141414;--fg:#ececec;--muted:#b0b0b0;--line:#3a3a3a;
--card:#1f1f1f;--done:#56b4e9;--missed:#f0a35e;--due:#f0e442;--left:#5c5c5c;--stretch:#3fc49a;
--target:rgba(63,196,154,.2);--threshold:#e59cc8;--marker:#bbb}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:60rem;padding:.75rem;background:var(--bg);color:var(--fg);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:break-word}
h1{font-size:1.35rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1em}
.muted,.note{color:var(--muted);font-size:.9rem}
.card{background:var(--card);border-radius:.5rem;padding:.6rem .8rem;margin:.5rem 0}
.due{border-left:.35rem solid var(--due)}.ok{border-left:.35rem solid var(--stretch)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:separate;border-spacing:0;font-size:.9rem;min-width:100%}
th,td{padding:.25rem .45rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th:first-child,td:first-child{position:sticky;left:0;z-index:1;background:var(--bg);
box-shadow:inset -1px 0 0 var(--line)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.nw{white-space:nowrap}td.words{min-width:15rem}.sub{display:block;color:var(--muted)}
.chart-box{overflow-x:auto;max-width:27rem;margin:.3rem 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,23rem),1fr));column-gap:1.5rem}
svg.chart{width:100%;min-width:340px;height:auto;display:block}
.chart text{fill:var(--fg);font-size:12px;font-family:system-ui,sans-serif}
.chart .tick,.chart .legend{fill:var(--muted)}
.chart .grid{stroke:var(--line);stroke-width:1}
.bar.done{fill:var(--done)}.bar.missed{fill:var(--missed)}.bar.left{fill:var(--left)}
.bar.stretch{fill:var(--stretch)}.bar.due{fill:var(--due)}
.hatch-bg{fill:none}.hatch{stroke:var(--bg);stroke-width:2;opacity:.7}.bar-hatch{pointer-events:none}
.chart .value{fill:var(--bg);font-weight:600}
.target{fill:var(--target)}
.threshold{stroke:var(--threshold);stroke-width:2;stroke-dasharray:6 4}.chart .threshold-label{fill:var(--threshold)}
.marker{stroke:var(--marker);stroke-width:1.5;stroke-dasharray:2 3}.chart .marker-label{fill:var(--marker)}
.dot.reached{fill:var(--done);stroke:var(--done);stroke-width:1.5}
.dot.below{fill:var(--bg);stroke:var(--missed);stroke-width:1.8}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid var(--muted);border-radius:.2em;
vertical-align:-.1em;margin-right:.25em}
.tag{font-size:.8rem;border:1px solid var(--line);border-radius:.25rem;padding:0 .3rem;white-space:nowrap}
ul{padding-left:1.2rem}
@media (max-width:30rem){body{font-size:15px;padding:.5rem}td,th{padding:.2rem .3rem}}
"""

#: what the page may load: nothing but its own inline styles (and data: images, should one appear)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render(page: ProgressPage) -> bytes:
    """The whole page, as UTF-8 bytes."""
    title = f"{page.programme}: progress"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        '<meta name="generator" content="fitplug">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        "<header>",
        f"<h1>{escape(page.programme)}</h1>",
        f'<p class="muted">As of {_when(page.now)} ({escape(page.timezone)}).</p>',
        *(f'<p class="note">{escape(n)}</p>' for n in page.notes),
        "</header><main>",
        *_due(page),
        *_plan(page),
        *_weeks(page.weeks, post_run=page.post_run, started=page.started, before=page.weeks_before),
        *_bands(page.bands),
        *_sessions(page.sessions),
        "</main>",
        (
            '<footer class="note"><p>Made by fitplug from the activities it has read; '
            "it shows what <code>fitplug status</code> decides.</p></footer>"
        ),
        "</body></html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def _when(t: dt.datetime) -> str:
    return f"{t:%a %d %b %Y %H:%M}"


def _day(d: dt.date) -> str:
    return f"{d:%a %d %b}"


def band_swatch(band: str | None) -> str | None:
    """The swatch colour of a band named by a colour (``Green``, `` gold ``), else ``None`` (``medium``)."""
    return BAND_SWATCHES.get(" ".join((band or "").split()).casefold())


def band_label(band: str | None) -> str:
    """The band's name, with a swatch beside it when it is named by a colour (``None``: no band known)."""
    if band is None:
        return '<span class="muted">band not known</span>'
    colour = band_swatch(band)
    swatch = f'<span class="swatch" style="background:{colour}"></span>' if colour else ""
    return f"{swatch}{escape(band)} band"


def _due(page: ProgressPage) -> Iterable[str]:
    yield '<section aria-labelledby="now"><h2 id="now">Now</h2>'
    if page.due:
        for d in page.due:
            yield (
                f'<div class="card due"><strong>Post-run set due:</strong> {escape(d.name)}<br>'
                f'<span class="muted">after {escape(d.after)}; due until {escape(d.until)}.</span></div>'
            )
    elif page.post_run:
        yield '<div class="card ok">No post-run stretch is due.</div>'
    for b in page.bands:
        if b.advice:
            yield f'<div class="card due"><strong>Band:</strong> {escape(b.advice)}</div>'
    if page.week_line:
        yield f"<p>{escape(page.week_line)}</p>"
    yield "</section>"


def _plan(page: ProgressPage) -> Iterable[str]:
    yield '<section aria-labelledby="plan"><h2 id="plan">The next two weeks</h2>'
    if page.next_post_run:
        yield f"<p>After your next run: <strong>{escape(page.next_post_run)}</strong>.</p>"
    if not page.plan:
        yield '<p class="muted">No session is planned in the next two weeks.</p></section>'
        return
    yield '<div class="scroll"><table><thead><tr><th>Day</th><th>Time</th><th>Session</th></tr></thead><tbody>'
    for p in page.plan:
        yield (
            f'<tr><td class="nw">{_day(p.day)}</td><td class="nw">{p.start}–{p.end}</td>'
            f"<td><strong>{escape(p.name)}</strong> "
            f'<span class="tag">{escape(p.kind)}</span><br> <span class="muted">{escape(p.exercises)}</span></td></tr>'
        )
    yield "</tbody></table></div></section>"


def _week_label(w: WeekRow) -> str:
    return f"{w.week_start:%d %b}"


def _chart(svg: str) -> str:
    """A chart in its box: the box scrolls sideways rather than let the chart (and its text) shrink."""
    return f'<div class="chart-box">{svg}</div>'


def _before(started: dt.date | None, before: int) -> str:
    """The one line that stands for the weeks before the tracking start (none: nothing)."""
    if not before:
        return ""
    weeks = "1 week" if before == 1 else f"{before} weeks"
    since = f" on {_day(started)}" if started is not None else ""
    return f'<p class="muted">Before you started{since}: {weeks} not shown (nothing then counts).</p>'


def _weeks(
    weeks: tuple[WeekRow, ...], *, post_run: bool = True, started: dt.date | None = None, before: int = 0
) -> Iterable[str]:
    yield '<section aria-labelledby="weeks"><h2 id="weeks">Week by week</h2>'
    if not weeks:
        yield '<p class="muted">No weeks to show yet.</p>' + _before(started, before) + "</section>"
        return
    cats = [_week_label(w) for w in weeks]
    first, last = _day(weeks[0].week_start), _day(weeks[-1].week_start)
    span = f"the {len(weeks)} weeks starting {first} to {last}" if len(weeks) > 1 else f"the week starting {first}"
    done = [w.strength_done for w in weeks]
    missed = [w.strength_missed for w in weeks]
    left = [max(0, w.strength_planned - w.strength_done - w.strength_missed) for w in weeks]
    yield _before(started, before)
    yield '<div class="charts"><div><h3>Strength days</h3>'
    yield _chart(
        bar_chart(
            "Strength days per week",
            f"Strength days done, missed and still to come in {span}; "
            f"{sum(done)} done and {sum(missed)} missed in all. The table below gives every figure.",
            cats,
            [
                Series("done", done, "done"),
                Series("missed", missed, "missed", hatched=True),
                Series("to come", left, "left"),
            ],
        )
    )
    yield "</div>"
    lo, hi = weeks[-1].stretch_min, weeks[-1].stretch_max
    stretch = [w.stretch_days for w in weeks]
    yield "<div><h3>Stretching days</h3>"
    if lo is not None and hi is not None:
        on = sum(1 for w in weeks if w.stretch_days >= lo)
        yield _chart(
            bar_chart(
                "Stretching days per week against the target",
                f"Days with stretching in {span}, against the target of {lo} to {hi} a week (the shaded band); "
                f"the target was met in {on} of {len(weeks)} weeks.",
                cats,
                [Series("stretching days", stretch, "stretch")],
                target=(lo, hi),
                target_label=f"target: {lo}–{hi} days",
            )
        )
    else:  # the programme holds no stretches: days are counted, no target is kept
        yield _chart(
            bar_chart(
                "Stretching days per week",
                f"Days with stretching in {span}.",
                cats,
                [Series("stretching days", stretch, "stretch")],
            )
        )
    yield "</div>"
    if post_run:
        pdone = [w.post_run_done for w in weeks]
        pmiss = [w.post_run_missed for w in weeks]
        pdue = [w.post_run_due for w in weeks]
        yield "<div><h3>Post-run sets</h3>"
        yield _chart(
            bar_chart(
                "Post-run stretch sets per week",
                f"Post-run sets done, missed and due, by the week of their run, in {span}; "
                f"{sum(pdone)} done and {sum(pmiss)} missed in all.",
                cats,
                [
                    Series("done", pdone, "done"),
                    Series("missed", pmiss, "missed", hatched=True),
                    Series("due", pdue, "due"),
                ],
            )
        )
        yield "</div>"
    yield "</div>"
    target_head = f" (target {lo}–{hi})" if lo is not None else ""
    note = "Weeks start on Monday" + ("; post-run sets count in the week of their run" if post_run else "") + "."
    yield (
        # the note goes below the box, not in a caption: a caption is as wide as its table, and scrolls with it
        '<div class="scroll"><table aria-describedby="weeks-note"><thead><tr><th>Week of</th>'
        '<th class="n">Strength done / planned</th><th class="n">Missed</th>'
        f'<th class="n">Stretching days{target_head}</th>'
        + ('<th class="n">Post-run done</th><th class="n">Post-run missed</th>' if post_run else "")
        + "</tr></thead><tbody>"
    )
    for w in weeks:
        mark = ""
        if w.stretch_min is not None and w.stretch_max is not None:
            word = (
                "met"
                if w.stretch_min <= w.stretch_days <= w.stretch_max
                else ("over" if w.stretch_days > w.stretch_max else ("so far" if w.current else "under"))
            )
            if word == "under" and w.from_day is not None:
                word = "part week"
            mark = f" ({word})"
        now = ' <span class="sub">(this week)</span>' if w.current else ""
        part = f' <span class="sub">(from {w.from_day:%a %d})</span>' if w.from_day is not None else ""
        yield (
            f'<tr><td class="nw">{_day(w.week_start)}{part}{now}</td>'
            f'<td class="n">{w.strength_done} / {w.strength_planned}</td>'
            f'<td class="n">{w.strength_missed}</td><td class="n">{w.stretch_days}{mark}</td>'
            + (
                f'<td class="n">{w.post_run_done}{f" (+{w.post_run_due} due)" if w.post_run_due else ""}</td>'
                f'<td class="n">{w.post_run_missed}</td>'
                if post_run
                else ""
            )
            + "</tr>"
        )
    yield f'</tbody></table></div><p class="note" id="weeks-note">{note}</p></section>'


def _bands(bands: tuple[BandSeries, ...]) -> Iterable[str]:
    if not bands:
        return
    yield '<section aria-labelledby="band"><h2 id="band">The band</h2>'
    for b in bands:
        yield f"<h3>{escape(b.title)}: now the {band_label(b.band)}</h3>"
        lighter = f"; a lighter one when {escape(b.lighter_words)}" if b.lighter_words else ""
        yield f'<p class="muted">Time for a tougher band when {escape(b.rule_words)}{lighter}.</p>'
        yield f"<p><strong>{escape(b.advice)}</strong></p>" if b.advice else "<p>Keep the band for now.</p>"
        if not b.sessions:
            yield '<p class="muted">No session with this exercise has been recorded yet.</p>'
            continue
        labels = [f"{s.day:%d %b}" for s in b.sessions]
        reached = sum(1 for s in b.sessions if _all_reached(b, s.reps))
        changes = "; ".join(
            f"band changed{f' from {c.before}' if c.before else ''} to {c.after or 'one not known'} on {_day(c.day)}"
            for c in b.changes
        )
        yield _chart(
            reps_chart(
                f"{b.title}: reps of every set per session",
                f"Reps of each set in {len(b.sessions)} sessions from {_day(b.sessions[0].day)} to "
                f"{_day(b.sessions[-1].day)}, against the threshold of {b.threshold} reps (dashed line); "
                f"every set was {'over' if b.past else 'at or over'} it in {reached} of them."
                + (f" {changes[0].upper()}{changes[1:]}." if changes else " The band did not change.")
                + " The table below lists every set.",
                labels,
                [s.reps for s in b.sessions],
                threshold=b.threshold,
                past=b.past,
                threshold_label=f"threshold {b.threshold}",
                markers=[Marker(c.index, f"→ {c.after or '?'}") for c in b.changes],
            )
        )
        yield (
            '<div class="scroll"><table><thead><tr><th>Day</th><th>Band</th><th>Reps of each set</th>'
            "<th>All sets past the threshold?</th><th>Counted?</th></tr></thead><tbody>"
        )
        for s in b.sessions:
            reps = ", ".join("?" if r is None else str(r) for r in s.reps)
            yield (
                f'<tr><td class="nw">{_day(s.day)}</td><td class="nw">{band_label(s.band)}</td>'
                f'<td class="nw">{reps}</td>'
                f"<td>{'yes' if _all_reached(b, s.reps) else 'no'}</td>"
                f'<td class="words">{escape(s.counted)}</td></tr>'
            )
        yield "</tbody></table></div>"
    yield "</section>"


def _all_reached(b: BandSeries, reps: tuple[int | None, ...]) -> bool:
    return bool(reps) and all(r is not None and (r > b.threshold if b.past else r >= b.threshold) for r in reps)


def _sessions(sessions: tuple[SessionDone, ...]) -> Iterable[str]:
    yield '<section aria-labelledby="done"><h2 id="done">Plan against done</h2>'
    if not sessions:
        yield '<p class="muted">No strength session has been recorded yet.</p></section>'
        return
    for s in sessions:
        yield _session(s)
    yield "</section>"


def _session(s: SessionDone) -> str:
    head = f"<h3>{_day(s.day)} {s.start}: {escape(s.name)}</h3>"
    if not s.planned:
        head += '<p class="muted">Not a planned strength day; held against the programme\'s strength session.</p>'
    rows = []
    for e in s.exercises:
        state = (
            "on target"
            if e.on_target and e.sets_done >= e.sets_planned
            else (
                "not recorded"
                if e.sets_done == 0
                else ("fewer sets" if e.sets_done < e.sets_planned else "under target")
            )
        )
        rows.append(
            f'<tr><td>{escape(e.title)}</td><td class="n">{e.sets_done} / {e.sets_planned}</td>'
            f"<td>{escape(e.target)}</td><td>{escape(', '.join(e.recorded)) or '–'}</td><td>{state}</td></tr>"
        )
    other = f'<p class="muted">{s.other_sets} more sets matched no exercise of the session.</p>' if s.other_sets else ""
    return (
        head + '<div class="scroll"><table><thead><tr><th>Exercise</th><th class="n">Sets done / planned</th>'
        "<th>Target</th><th>Recorded</th><th></th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
        + other
    )

"""The progress page's data (#21): it starts at the tracking start, every session the band rule used
shows its band, and only bands named by a colour get a swatch.

The history is tests/progress_history.py's 12 weeks, tracked from Wed 14 Oct (a first sync that
day), with the band changed to "medium" on Tue 20 Oct at 09:00 (two hours after that day's
session, whose sets the runner then logged by hand) and a session logged on Sun 1 Nov with no
activity recorded: `fitplug sync` and `fitplug log`, run for real.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from progress_history import BAND_CHANGED, LOGGED_ALONE, NOW, changed_store
from test_progress import Page, _page, table_after

from fitplug.activities import tracking
from fitplug.activities.rule.due import decide
from fitplug.activities.store.store import reading
from fitplug.app.progress import page_data, render_page
from fitplug.model import Programme
from fitplug.programme.load import load_programme
from fitplug.progress.html import band_label, band_swatch, render
from fitplug.progress.model import BandSeries, BandSession, ProgressPage, WeekRow

TRACKING_START = dt.date(2026, 10, 14)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return changed_store(tmp_path_factory.mktemp("changed"))


@pytest.fixture(scope="module")
def programme(changed: tuple[Path, Path]) -> Programme:
    return load_programme(changed[1])


@pytest.fixture(scope="module")
def data(changed: tuple[Path, Path], programme: Programme) -> ProgressPage:
    with reading(changed[0]) as store:
        return page_data(store, programme, NOW)


@pytest.fixture(scope="module")
def page(changed: tuple[Path, Path]) -> Page:
    return Page(render_page(changed[1], db_path=changed[0], now=NOW))


# --- 1. the page starts at the tracking start ---------------------------------------------


def test_weeks_before_the_tracking_start_are_left_out(data: ProgressPage) -> None:
    assert data.started == TRACKING_START
    assert [w.week_start for w in data.weeks] == [dt.date(2026, 10, 12) + dt.timedelta(weeks=k) for k in range(7)]
    assert data.weeks_before == 5  # of the 12 weeks asked for
    assert data.weeks[0].from_day == TRACKING_START and all(w.from_day is None for w in data.weeks[1:])
    assert [w.current for w in data.weeks] == [False] * 6 + [True]


def test_the_weeks_shown_are_the_rules_tally(changed: tuple[Path, Path], programme: Programme) -> None:
    """The rule over the whole history at now, its 12 weeks: the page shows the last 7 as they are."""
    with reading(changed[0]) as store:
        assert store is not None
        data = page_data(store, programme, NOW)
        since = tracking.tracking_since(store, NOW, programme)
        bands = tracking.band_since(store, programme, NOW)
        held, marks, logged = store.history(), store.done_marks(), store.logs()
    weeks = decide(held, marks, programme, NOW, since=since, band_since=bands, weeks=12, logged=logged).weeks
    assert len(weeks) == 12
    for w, tally in zip(data.weeks, weeks[5:], strict=True):
        assert w.week_start == tally.week_start
        assert (w.strength_done, w.strength_planned, w.strength_missed, w.stretch_days, w.post_run_done) == (
            tally.strength_done,
            tally.strength_planned,
            len(tally.strength_missed),
            tally.stretch_days,
            tally.post_run_done,
        ), w.week_start
    # before the start nothing was planned, so nothing could be missed: what the page leaves out
    assert all(t.strength_planned == 0 and not t.strength_missed for t in weeks[:5])


def test_the_page_shows_no_week_before_the_start(page: Page) -> None:
    rows = table_after(page, "Week of")[1:]
    assert [r[0] for r in rows] == [
        "Mon 12 Oct (from Wed 14)",
        "Mon 19 Oct",
        "Mon 26 Oct",
        "Mon 02 Nov",
        "Mon 09 Nov",
        "Mon 16 Nov",
        "Mon 23 Nov (this week)",
    ]
    assert "Before you started on Wed 14 Oct: 5 weeks not shown (nothing then counts)." in page.all_text
    assert "Sep" not in " ".join(r[0] for r in rows)
    weekly = page.svgs[:3]
    assert all("in the 7 weeks starting Mon 12 Oct to Mon 23 Nov" in s["desc"] for s in weekly)
    # the bars (each says its week in its tooltip): the 7 weeks shown, none before
    weeks = ["12 Oct", "19 Oct", "26 Oct", "02 Nov", "09 Nov", "16 Nov", "23 Nov"]
    for chart in weekly:
        assert sorted(set(re.findall(r"(\d\d \w{3}): ", chart["text"])), key=weeks.index) == weeks, chart["title"]


def test_a_part_week_is_not_called_under() -> None:
    html = render(
        _page(
            weeks=(
                WeekRow(dt.date(2026, 10, 12), 0, 1, 0, 1, 2, 3, 0, 0, 0, from_day=dt.date(2026, 10, 16)),
                WeekRow(dt.date(2026, 10, 19), 2, 2, 0, 1, 2, 3, 3, 0, 0),
            )
        )
    )
    rows = table_after(Page(html), "Week of")[1:]
    assert [r[3] for r in rows] == ["1 (part week)", "1 (under)"]


def test_a_page_with_no_week_yet_says_why() -> None:
    html = render(_page(weeks=(), started=dt.date(2026, 12, 7), weeks_before=12))
    text = Page(html).all_text
    assert "No weeks to show yet. Before you started on Mon 07 Dec: 12 weeks not shown" in text


# --- 2. every session the band rule used shows its band -----------------------------------


def test_every_session_since_the_change_shows_the_band(data: ProgressPage) -> None:
    (band,) = data.bands
    assert band.band == "medium"
    changed = BAND_CHANGED.date()
    for s in band.sessions:
        if s.day >= changed:
            assert s.band == "medium" and s.counted.startswith("counts"), s
        else:  # done with the earlier band: shown, never counted
            assert s.band is None and s.counted == "an earlier band: not counted", s
    assert [c.day for c in band.changes] == [changed]
    assert band.sessions[band.changes[0].index].day == changed


def test_the_band_sessions_are_the_rules_records(data: ProgressPage, changed: tuple[Path, Path]) -> None:
    """The day of the change: the watch's session (07:00) came before the change (09:00), and the rule
    counts what was logged for that day in its stead; the Sunday logged alone is a session too."""
    (band,) = data.bands
    by_day = {s.day: s for s in band.sessions}
    assert by_day[BAND_CHANGED.date()] == BandSession(
        BAND_CHANGED.date(), "medium", (13,) * 6, "counts (logged by hand)"
    )
    assert by_day[LOGGED_ALONE] == BandSession(LOGGED_ALONE, "medium", (12,) * 6, "counts (logged by hand)")
    assert by_day[dt.date(2026, 10, 23)] == BandSession(dt.date(2026, 10, 23), "medium", (12,) * 6, "counts")
    assert len([s for s in band.sessions if s.day == BAND_CHANGED.date()]) == 1
    # the advice the page states is the one the rule gave over these sessions
    assert band.advice is not None and "medium → heavy" in band.advice
    with reading(changed[0]) as store:
        status = tracking.status(store, load_programme(changed[1]), NOW)
    assert [b.next_band for b in status.decision.band] == ["heavy"]


def test_the_band_table_says_it(page: Page) -> None:
    rows = {r[0]: r for r in next(t for t in page.tables if t[0][:2] == ["Day", "Band"])[1:]}
    assert rows["Tue 20 Oct"] == [
        "Tue 20 Oct",
        "medium band",
        "13, 13, 13, 13, 13, 13",
        "yes",
        "counts (logged by hand)",
    ]
    assert rows["Sun 01 Nov"][1:] == ["medium band", "12, 12, 12, 12, 12, 12", "no", "counts (logged by hand)"]
    assert rows["Fri 16 Oct"][1:] == ["band not known", "11, 11, 11, 11, 11, 11", "no", "an earlier band: not counted"]
    chart = page.svgs[3]
    assert "→ medium" in chart["text"] and "Band changed to medium on Tue 20 Oct." in chart["desc"]


# --- 5. swatches only for colours ----------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "colour"),
    [("green", "#2e8b3a"), (" Green ", "#2e8b3a"), ("GOLD", "#c9a227"), ("tan", "#d2b48c"), ("medium", None)],
)
def test_a_swatch_only_for_a_colour(band: str, colour: str | None) -> None:
    assert band_swatch(band) == colour
    assert ('class="swatch"' in band_label(band)) is (colour is not None)
    assert band_label(band).endswith(f"{band} band")


@pytest.mark.parametrize("band", ["medium", "x-heavy", "light green", "", "transparent"])
def test_no_swatch_for_a_band_not_named_by_a_colour(band: str) -> None:
    assert band_swatch(band) is None and "swatch" not in band_label(band)


def test_the_medium_page_has_no_swatch(page: Page) -> None:
    assert not [a for t, a in page.tags if "swatch" in (a.get("class") or "")]
    assert "now the medium band" in page.all_text


def test_a_colour_band_page_has_a_swatch_per_band_named() -> None:
    day = dt.date(2026, 11, 3)
    series = BandSeries(
        "Banded Leg Raise",
        "red",
        12,
        True,
        "rule",
        (BandSession(day, None, (10,)), BandSession(day, "medium", (11,)), BandSession(day, "red", (12,))),
    )
    tags = Page(render(_page(bands=(series,)))).tags
    swatches = [a.get("style") for t, a in tags if a.get("class") == "swatch"]
    assert swatches == ["background:#d0312d", "background:#d0312d"]  # the heading and the red session

"""The progress page (`fitplug report`) over a simulated 12-week history synced into a store.

The history (tests/progress_history.py) is FIT files written with the SDK
Encoder and read by the real `fitplug sync`; the page is read back with an
HTML parser and its figures checked against what the history holds.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT, Invoke
from make_activities import run
from progress_history import (
    MISSED_STRENGTH,
    NOW,
    PROGRAMME_FILE,
    SKIPPED_STRETCH,
    synced_store,
)

from fitplug.activities.store.store import reading
from fitplug.app.progress import page_data, page_source, render_page, write_report
from fitplug.programme.load import load_programme
from fitplug.progress.html import render
from fitplug.progress.model import BandChange, BandSeries, BandSession, ProgressPage
from fitplug.progress.svg import Marker, Series, bar_chart, reps_chart, shown_labels


class Page(HTMLParser):
    """The parts of the page the tests read: text, tables (rows of cell texts), charts, tags."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[list[list[str]]] = []
        self.svgs: list[dict[str, str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._svg: dict[str, str] | None = None
        self._in: str | None = None
        self.feed(data.decode("utf-8"))
        self.all_text = " ".join(" ".join(self.text).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self._svg = {
                "role": a.get("role") or "",
                "labelledby": a.get("aria-labelledby") or "",
                "title": "",
                "desc": "",
                "circles": "",
                "text": "",
            }
            self.svgs.append(self._svg)
        elif self._svg is not None and tag in ("title", "desc") and "title" not in (self._in or ""):
            if not self._svg[tag]:
                self._in = tag
        elif self._svg is not None and tag == "circle":
            self._svg["circles"] += (a.get("class") or "") + ";"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "svg":
            self._svg = None
        elif tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._svg is not None:
            if self._in is not None:
                self._svg[self._in] += data
            self._svg["text"] += data + "|"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synced_store(tmp_path_factory.mktemp("progress"))


@pytest.fixture(scope="module")
def page_bytes(store: Path) -> bytes:
    return render_page(PROGRAMME_FILE, db_path=store, now=NOW)


@pytest.fixture(scope="module")
def page(page_bytes: bytes) -> Page:
    return Page(page_bytes)


def table_after(page: Page, header: str) -> list[list[str]]:
    return next(t for t in page.tables if t and t[0] and t[0][0] == header)


def test_what_is_due_now_and_next(page: Page) -> None:
    # Wednesday's run (25 Nov, 18:00-18:45 UTC) had no stretch: due until the end of Thursday
    assert "Post-run set due: Post-run 2 Stretch (Pigeon Pose + Standing Figure-Four)" in page.all_text
    assert "after your 9.1 km run yesterday, 18:00–18:45; due until Thu 26 Nov 23:59" in page.all_text
    # 35 runs since tracking began: the next run's set is the third of the rotation
    assert "After your next run: Post-run 3 Stretch (Pigeon Pose + Stacked-leg Glute Stretch)" in page.all_text
    assert "This week (from Mon 23 Nov): strength 1 of 2 days" in page.all_text
    assert (
        "Time for a tougher band: Banded Leg Raise, green → blue (every set went past 12 reps in 2 sessions "
        "in a row with the green band)"
    ) in page.all_text


def test_the_next_two_weeks(page: Page) -> None:
    rows = table_after(page, "Day")
    assert [r[:2] for r in rows[1:]] == [
        ["Fri 27 Nov", "07:00–07:35"],
        ["Tue 01 Dec", "07:00–07:35"],
        ["Fri 04 Dec", "07:00–07:35"],
        ["Tue 08 Dec", "07:00–07:35"],
    ]
    assert all(r[2].startswith("Glute Strength & Mobility strength Glute Bridge, Banded Leg Raise") for r in rows[1:])


def test_week_by_week(page: Page) -> None:
    rows = table_after(page, "Week of")[1:]
    assert len(rows) == 12
    assert rows[0][0] == "Mon 07 Sep" and rows[-1][0] == "Mon 23 Nov (this week)"
    for week, row in enumerate(rows[:-1]):
        missed = sum(1 for w, _ in MISSED_STRENGTH if w == week)
        skipped = sum(1 for w, _ in SKIPPED_STRETCH if w == week)
        assert row[1] == f"{2 - missed} / 2", (week, row)
        assert row[2] == str(missed), (week, row)
        assert row[4] == str(3 - skipped) and row[5] == str(skipped), (week, row)
    # this week so far: Tuesday done, Friday to come; Monday's set done, Wednesday's due
    assert rows[-1][1:3] == ["1 / 2", "0"] and rows[-1][4:] == ["1 (+1 due)", "0"]
    # stretching days: strength days, stretch workouts and Sunday yoga (week 0: Mon-Wed, Fri-Sun)
    assert rows[0][3] == "6 (over)" and rows[3][3] == "4 (over)"


def test_every_chart_has_a_text_alternative(page: Page) -> None:
    assert len(page.svgs) == 4  # strength, stretching, post-run, the band
    ids = {a.get("id") for _, a in page.tags}
    for svg in page.svgs:
        assert svg["role"] == "img"
        assert svg["title"].strip() and len(svg["desc"]) > 40, svg
        assert all(i in ids for i in svg["labelledby"].split())
    strength = page.svgs[0]
    assert "20 done and 3 missed in all" in strength["desc"]


def test_the_band_over_time(page: Page) -> None:
    band = next(t for t in page.tables if t[0][:2] == ["Day", "Band"])[1:]
    assert len(band) == 16  # the last 16 of the 20 sessions
    assert band[-1] == ["Tue 24 Nov", "green band", "13, 13, 13, 13, 13, 13", "yes", "counts"]
    assert band[0][3] == "no"
    chart = page.svgs[3]
    assert chart["circles"].count("dot reached") == 3 * 6 + 1  # three sessions past 12, and the legend
    assert "threshold 12" in chart["text"]
    assert "now the green band" in page.all_text


def test_plan_against_done(page: Page) -> None:
    sessions = [t for t in page.tables if t[0][:2] == ["Exercise", "Sets done / planned"]]
    assert len(sessions) == 4
    last = {r[0]: r[1:] for r in sessions[-1][1:]}
    assert last["Banded Leg Raise"] == ["6 / 6", "12–15 reps", "13, 13, 13, 13, 13, 13", "on target"]
    assert last["Glute Bridge"] == ["3 / 3", "12–15 reps", "15, 15, 15", "on target"]
    assert last["Pigeon Pose"] == ["2 / 2", "20–30 s", "30 s, 30 s", "on target"]
    assert "Tue 24 Nov 07:00: Glute Strength & Mobility" in page.all_text


def test_the_page_is_self_contained(page_bytes: bytes, page: Page) -> None:
    text = page_bytes.decode("utf-8")
    assert not {t for t, _ in page.tags} & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [a for _, a in page.tags if "src" in a or "href" in a]
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    assert re.findall(r"url\((?!#)", text) == []
    csp = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in (csp["content"] or "")
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in page.tags)
    assert "prefers-color-scheme:dark" in text


def test_the_page_is_the_rules_answer_at_each_week(store: Path) -> None:
    from fitplug.activities import tracking
    from fitplug.activities.rule.due import decide

    programme = load_programme(PROGRAMME_FILE)
    with reading(store) as s:
        data = page_data(s, programme, NOW)
        assert s is not None
        held = s.history()
        since = tracking.tracking_since(s, NOW)
        marks = s.done_marks()
    for w in data.weeks:
        end = dt.datetime.combine(
            w.week_start + dt.timedelta(days=7), dt.time(0), tzinfo=ZoneInfo(programme.timezone)
        ) - dt.timedelta(seconds=1)
        tally = decide(held, marks, programme, min(end, NOW), since=since).tally
        assert (w.stretch_days, w.strength_done) == (tally.stretch_days, tally.strength_done)


def test_one_more_run_moves_the_rotation_on(tmp_path: Path, invoke: Invoke) -> None:
    later = NOW + dt.timedelta(hours=16)  # Friday 10:00
    db = synced_store(tmp_path, until=NOW)
    (tmp_path / "activities" / "run-extra.fit").write_bytes(run(later - dt.timedelta(hours=2), 30, 6))
    result = invoke(
        "--db", str(db), "--now", later.isoformat(), "sync", str(tmp_path / "activities"), "-p", str(PROGRAMME_FILE)
    )
    assert result.exit_code == 0, result.output
    text = Page(render_page(PROGRAMME_FILE, db_path=db, now=later)).all_text
    assert "After your next run: Post-run 1 Stretch (Pigeon Pose + Lying Figure-Four)" in text
    assert "Post-run set due: Post-run 3 Stretch (Pigeon Pose + Stacked-leg Glute Stretch)" in text


def test_report_writes_to_the_data_folder_and_says_where(
    store: Path, invoke: Invoke, fitplug_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    before = store.read_bytes()
    result = invoke("--db", str(store), "--now", NOW.isoformat(), "report", "-p", str(PROGRAMME_FILE), "--open")
    assert result.exit_code == 0, result.output
    path = fitplug_home / "data" / "progress.html"
    assert result.output == f"Wrote the progress page to {path}\n"
    assert path.read_bytes() == render_page(PROGRAMME_FILE, db_path=store, now=NOW)
    assert opened == [path.resolve().as_uri()]
    assert store.read_bytes() == before
    assert sorted(p.name for p in (fitplug_home / "data").iterdir()) == ["progress.html"]


def test_report_o_writes_that_file(store: Path, invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "page.html"
    result = invoke("report", "-o", str(out), "-p", str(PROGRAMME_FILE), "--db", str(store), "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    assert f"{out}" in result.output and Page(out.read_bytes()).all_text.startswith("Glute strength for runners")


def test_an_empty_store_gives_a_page_that_says_so(tmp_path: Path) -> None:
    path = write_report(PROGRAMME_FILE, db_path=tmp_path / "none.sqlite3", now=NOW, output=tmp_path / "p.html")
    page = Page(path.read_bytes())
    assert "No activities have been read yet" in page.all_text
    assert "No post-run stretch is due." in page.all_text
    assert "No session with this exercise has been recorded yet." in page.all_text
    # tracking starts today (what a first sync would remember): this week alone, the 11 before it folded
    assert [r[0] for r in table_after(page, "Week of")[1:]] == ["Mon 23 Nov (from Thu 26) (this week)"]
    assert "Before you started on Thu 26 Nov: 11 weeks not shown" in page.all_text
    assert len(page.svgs) == 3 and all("in the week starting Mon 23 Nov" in s["desc"] for s in page.svgs)
    assert not (tmp_path / "none.sqlite3").exists()


def test_page_source_is_current_at_each_call(store: Path) -> None:
    clock = iter([NOW, NOW + dt.timedelta(days=2)])
    source = page_source(PROGRAMME_FILE, store, clock=lambda: next(clock))
    first, second = Page(source()).all_text, Page(source()).all_text
    assert "As of Thu 26 Nov 2026 18:00" in first and "As of Sat 28 Nov 2026 18:00" in second
    assert "Post-run set due" in first and "Post-run set due" not in second  # it lapsed


def test_help_and_status_do_not_load_the_page() -> None:
    code = (
        "import sys\nfrom fitplug.cli import cli\n"
        "for args in (['--help'], ['status', '-p', sys.argv[1]]):\n"
        "    try:\n        cli.main(args, standalone_mode=False)\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('fitplug.progress') or m == 'webbrowser'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(PROGRAMME_FILE)], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


# --- the page writer and the charts alone ----------------------------------------------


def _page(**kw: object) -> ProgressPage:
    base: dict[str, object] = {
        "programme": "P",
        "timezone": "UTC",
        "now": NOW,
        "due": (),
        "next_post_run": None,
        "plan": (),
        "weeks": (),
        "week_line": "",
        "bands": (),
        "sessions": (),
    }
    base.update(kw)
    return ProgressPage(**base)  # type: ignore[arg-type]


def test_band_changes_are_marked_with_their_colours() -> None:
    day = dt.date(2026, 11, 3)
    series = BandSeries(
        "Banded Leg Raise",
        "red",
        12,
        True,
        "every set goes past 12 reps in 2 sessions",
        (BandSession(day, "green", (13, 14)), BandSession(day + dt.timedelta(days=3), "red", (10, 9))),
        (BandChange(1, day + dt.timedelta(days=3), "green", "red"),),
        None,
        None,
    )
    page = Page(render(_page(bands=(series,))))
    chart = page.svgs[0]
    assert "→ red" in chart["text"] and "Band changed from green to red on Fri 06 Nov" in chart["desc"]
    assert chart["circles"].split(";")[:4] == ["dot reached", "dot reached", "dot below", "dot below"]
    band = next(t for t in page.tables if t[0][:2] == ["Day", "Band"])
    assert [r[1] for r in band[1:]] == ["green band", "red band"]
    assert "over 12 reps" in chart["text"] and "12 or fewer reps" in chart["text"]


def test_text_is_escaped() -> None:
    text = render(_page(programme="<b>Mine</b> & co", notes=("a <i>note</i>",))).decode()
    assert "<b>" not in text and "&lt;b&gt;Mine&lt;/b&gt; &amp; co" in text and "<i>" not in text


def test_bar_chart_writes_each_value_and_its_legend() -> None:
    svg = bar_chart(
        "T", "D", ["a", "b"], [Series("done", [2, 0], "done"), Series("missed", [1, 3], "missed", hatched=True)]
    )
    p = Page(svg.encode())
    assert p.svgs[0]["text"].split("|")[:2] == ["T", "D"]
    assert re.findall(r'<text class="value"[^>]*>(\d+)</text>', svg) == ["2", "1", "3"]
    assert svg.count('class="bar-hatch"') == 2 and "pattern" in svg
    assert ">done</text>" in svg and ">missed</text>" in svg
    with pytest.raises(ValueError, match="has 1 values for 2 categories"):
        bar_chart("T", "D", ["a", "b"], [Series("x", [1], "done")])


def test_bar_chart_target_band_and_scale() -> None:
    svg = bar_chart("T", "D", ["w"], [Series("s", [6], "stretch")], target=(2, 3), target_label="target 2–3")
    assert 'class="target"' in svg and "target 2–3" in svg
    ticks = [
        int(t) for t in re.findall(r'<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end">(\d+)</text>', svg)
    ]
    assert ticks[0] == 0 and ticks[-1] >= 6


def test_reps_chart_threshold_reached_or_past() -> None:
    reached = reps_chart("T", "D", ["s1"], [[15, 14, None]], threshold=15, threshold_label="t")
    assert reached.count('class="dot reached"') == 2 and reached.count('class="dot below"') == 2  # legends too
    past = reps_chart(
        "T", "D", ["s1"], [[15, 13, 12]], threshold=12, threshold_label="t", past=True, markers=[Marker(0, "→ blue")]
    )
    assert past.count('class="dot reached"') == 3 and "→ blue" in past
    with pytest.raises(ValueError):
        reps_chart("T", "D", ["a", "b"], [[1]], threshold=1, threshold_label="t")


@pytest.mark.parametrize(
    ("n", "most", "expected"),
    [
        (0, 8, []),
        (3, 8, [0, 1, 2]),
        (12, 12, list(range(12))),
        (12, 8, [1, 3, 5, 7, 9, 11]),
        (17, 8, [1, 4, 7, 10, 13, 16]),
    ],
)
def test_axis_labels_thin_out_from_the_last(n: int, most: int, expected: list[int]) -> None:
    assert sorted(shown_labels(n, most)) == expected


@pytest.mark.parametrize("template", sorted(p.name for p in (ROOT / "templates").glob("*.toml")))
def test_every_template_gives_a_whole_page(store: Path, template: str) -> None:
    page = Page(render_page(ROOT / "templates" / template, db_path=store, now=NOW))
    programme = load_programme(ROOT / "templates" / template)
    assert page.all_text.startswith(programme.name)
    if programme.id == "glute-runner":  # the store's own programme: tracked from the first week on
        assert len(table_after(page, "Week of")) == 13 and "Before you started" not in page.all_text
    else:  # a programme the store never saw: tracking starts today, so this week alone is shown
        assert len(table_after(page, "Week of")) == 2 and "Before you started on Thu 26 Nov" in page.all_text
    banded = any(e.band for s in programme.sessions for e in s.exercises)
    assert ("The band" in page.all_text) == banded
    assert all(svg["title"] and svg["desc"] for svg in page.svgs)

"""The programme's `start` and `[band]` keys: read, defaulted, and refused with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT

from fitplug.errors import ProgrammeError
from fitplug.model import DEFAULT_BAND_LADDER, BandRule
from fitplug.programme.load import parse_programme

TEMPLATE = (ROOT / "templates" / "glute-runner.toml").read_text(encoding="utf-8")


def with_lines(head: str = "", band: str | None = None, colour: str = "green") -> str:
    text = TEMPLATE.replace('timezone = "Europe/London"', f'timezone = "Europe/London"\n{head}', 1)
    text = text.replace('band = "green"', f'band = "{colour}"', 1)
    if band is not None:
        start = text.index("[band]")
        end = text.index("# --- the moves")
        text = text[:start] + "[band]\n" + band + "\n\n" + text[end:]
    return text


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ProgrammeError) as caught:
        parse_programme(text)
    return [(p.key_path, p.message) for p in caught.value.problems]


def test_defaults() -> None:
    p = parse_programme(with_lines(band=""))
    assert p.start is None and p.band == BandRule() and p.band.ladder == DEFAULT_BAND_LADDER
    assert (p.band.threshold, p.band.sessions) == (12, 2)


@pytest.mark.parametrize("value", ["2026-11-18", '"2026-11-18"'])
def test_start_is_a_date(value: str) -> None:
    assert parse_programme(with_lines(f"start = {value}")).start == dt.date(2026, 11, 18)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"next week"', "must be a date like 2026-11-18, got 'next week'"),
        ("2026-11-18T07:00:00", "must be a date like 2026-11-18 (no time)"),
        ("18", "must be a date like 2026-11-18 (no time), got 18"),
    ],
)
def test_start_refused(value: str, message: str) -> None:
    ((path, text),) = problems(with_lines(f"start = {value}"))
    assert path == "programme.start" and text.startswith(message)


def test_own_ladder_and_rule() -> None:
    p = parse_programme(
        with_lines(band='ladder = ["tan", "lime", "plum"]\nthreshold = 10\nsessions = 3', colour="lime")
    )
    assert p.band == BandRule(("tan", "lime", "plum"), 10, 3)
    assert (p.band.next_band("lime"), p.band.next_band("Plum"), p.band.next_band("green")) == ("plum", None, None)


@pytest.mark.parametrize(
    ("band", "colour", "path", "message"),
    [
        (
            'ladder = ["tan", "lime"]',
            "green",
            "exercises.banded_leg_raise.band",
            "'green' is not on the band ladder (tan, lime); add it to [band] ladder, lightest first",
        ),
        ('ladder = ["red", "Red"]', "red", "band.ladder", "names 'red' more than once"),
        ("ladder = []", "green", "band.ladder", "must be a list of band colours"),
        ("ladder = [1, 2]", "green", "band.ladder", "must be a list of band colours"),
        ("threshold = 0", "green", "band.threshold", "must be between 1 and 100 reps, got 0"),
        ("sessions = 11", "green", "band.sessions", "must be between 1 and 10 sessions, got 11"),
        ("steps = 2", "green", "band.steps", "unknown key"),
    ],
)
def test_band_refused(band: str, colour: str, path: str, message: str) -> None:
    found = problems(with_lines(band=band, colour=colour))
    assert any(p == path and m.startswith(message) for p, m in found), found

"""`fitplug calendar` end to end with CliRunner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Invoke
from icalendar import Calendar

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "glute-runner.toml"
NOW = ["--now", "2026-11-22T09:30:00+00:00"]


def test_calendar_writes_the_file_and_says_what_is_in_it(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "feed.ics"
    result = invoke(*NOW, "calendar", str(TEMPLATE), "-o", str(out))
    assert result.exit_code == 0
    assert result.output == f"Wrote {out}: 28 sessions, 2026-11-08 to 2027-02-13\n"
    assert len(Calendar.from_ical(out.read_bytes()).walk("VEVENT")) == 28


def test_calendar_is_the_same_bytes_when_run_again(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "feed.ics"
    invoke(*NOW, "calendar", str(TEMPLATE), "-o", str(out))
    first = out.read_bytes()
    later = ["--now", "2026-11-22T18:00:00+00:00"]
    invoke(*later, "calendar", str(TEMPLATE), "-o", str(out))
    assert out.read_bytes() == first


def test_calendar_window_options_and_stdout(invoke: Invoke) -> None:
    result = invoke(*NOW, "calendar", str(TEMPLATE), "-o", "-", "--from", "2027-03-22", "--weeks", "2")
    assert result.exit_code == 0
    body = result.stdout_bytes
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    starts = [str(e["DTSTART"].dt) for e in Calendar.from_ical(body).walk("VEVENT")]
    assert starts == [
        "2027-03-23 07:00:00+00:00",
        "2027-03-26 07:00:00+00:00",
        "2027-03-30 07:00:00+01:00",
        "2027-04-02 07:00:00+01:00",
    ]


def test_calendar_default_output_is_in_out(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*NOW, "calendar", str(TEMPLATE))
    assert result.exit_code == 0
    assert (tmp_path / "out" / "glute-runner.ics").is_file()
    assert result.output.startswith("Wrote out/glute-runner.ics: ")


def test_calendar_bad_usage(invoke: Invoke) -> None:
    result = invoke("calendar", str(TEMPLATE), "--weeks", "0")
    assert result.exit_code == 2 and "Invalid value for '--weeks'" in result.output
    result = invoke("calendar", str(TEMPLATE), "--from", "22/11/2026")
    assert result.exit_code == 2 and "'22/11/2026' is not an ISO date (YYYY-MM-DD)" in result.output


def test_calendar_reports_a_bad_programme(invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[programme\n", encoding="utf-8")
    result = invoke("calendar", str(bad), "-o", str(tmp_path / "x.ics"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}:1: TOML syntax error")
    assert not (tmp_path / "x.ics").exists()


def test_help_texts_have_examples(invoke: Invoke) -> None:
    for command in ("calendar", "serve", "publish"):
        result = invoke(command, "-h")
        assert result.exit_code == 0
        assert "Examples:" in result.output and f"fitplug {command}" in result.output


def test_an_edit_raises_the_sequence_in_the_file_it_replaces(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file being replaced and the feeds' ledger hold the previous version (the data folder stays
    empty), and `-o -` prints what was last given out (SEQUENCE:1) and writes nothing."""
    monkeypatch.setenv("FITPLUG_DATA_DIR", str(tmp_path / "data"))
    programme, out = tmp_path / "mine.toml", tmp_path / "feed.ics"
    programme.write_text(TEMPLATE.read_text())
    invoke(*NOW, "calendar", str(programme), "-o", str(out))
    programme.write_text(programme.read_text().replace("duration_min = 35", "duration_min = 40"))
    later = ["--now", "2026-11-22T10:00:00+00:00"]
    invoke(*later, "calendar", str(programme), "-o", str(out))
    events = Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert {e["SEQUENCE"] for e in events} == {1}
    assert {e["DTSTAMP"].to_ical() for e in events} == {b"20261122T100000Z"}
    ledger = Path(os.environ["FITPLUG_CONFIG_DIR"]) / "feeds.json"
    kept = ledger.read_bytes(), ledger.stat().st_mtime_ns
    printed = invoke(*later, "calendar", str(programme), "-o", "-")
    assert {e["SEQUENCE"] for e in Calendar.from_ical(printed.stdout_bytes).walk("VEVENT")} == {1}
    assert (ledger.read_bytes(), ledger.stat().st_mtime_ns) == kept
    assert not (tmp_path / "data").exists()

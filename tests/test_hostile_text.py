"""Text from strangers: programme names that reach the watch and the feed, file names
from zips and keys from programme files that reach the terminal."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import fitdecode
import icalendar
import pytest
from conftest import ROOT, Invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitplug.app.watch import workout_set
from fitplug.calendar.feed import render_feed
from fitplug.errors import ProgrammeError, printable
from fitplug.programme import load as P
from fitplug.watch.workout import MAX_NAME_BYTES

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
TEMPLATE = (ROOT / "templates" / "glute-runner.toml").read_text(encoding="utf-8")
#: (the template's line, the value in it) for each string that reaches the watch or the feed
FIELDS = {
    "programme.name": 'name = "Glute strength for runners"',
    "programme.description": 'description = "Glute activation, banded strength and stretches for runners."',
    "exercise.title": 'title = "Glute Bridge"',
    "exercise.cue": 'cue = "Feet flat, peel the spine up until hips are high, pause, roll down slowly."',
    "session.name": 'name = "Glute Strength & Mobility"',
}
#: anything a TOML string can hold, control and right-to-left characters included
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
HOSTILE = st.sampled_from(["\x1b[2J", "\u202e", "\u2066", "\u200f", "\r\n", "\n", "\t", "\x00", "\x7f", "\ufeff",
                           "BEGIN:VEVENT", "\nEND:VCALENDAR\n", ";", ",", "\\", '"', "é", "שלום", "مرحبا",
                           "\U0001f3c3\u200d\u2640\ufe0f", "x" * 40])  # fmt: skip


def _unprintable(text: str) -> set[str]:
    return {ch for ch in text if not ch.isprintable() and ch != "\n"}


def _with(field: str, value: str) -> str:
    line = FIELDS[field]
    assert TEMPLATE.count(line) == 1
    key = line.split(" = ", 1)[0]
    # JSON string escapes are TOML basic-string escapes, non-ASCII kept as it is
    return TEMPLATE.replace(line, f"{key} = {json.dumps(value, ensure_ascii=False)}")


def _decoded_strings(data: bytes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for frame in fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE):
            if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name in ("workout", "workout_step"):
                for f in frame.fields:
                    if isinstance(f.value, str):
                        out.setdefault(f.name, []).append(f.value)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FIELDS)), st.one_of(ANY_TEXT, st.lists(HOSTILE, min_size=1, max_size=4).map("".join)))
def test_strings_that_reach_the_watch_and_the_feed(field: str, value: str) -> None:
    """Refused with a clear, printable message, or carried to the watch and the feed intact and escaped."""
    try:
        loaded = P.parse_programme(_with(field, value), "hostile.toml")
    except ProgrammeError as exc:
        assert exc.problems and not _unprintable(str(exc)), str(exc)
        return
    assert not {ch for ch in value if ch not in "\n\t" and not ch.isprintable()} - {"\u200d", "\ufe0f"}
    built = workout_set(loaded, now=NOW)
    for workout in built.workouts:
        strings = _decoded_strings(workout.data)
        [name] = strings["wkt_name"]
        assert len(name.encode()) <= MAX_NAME_BYTES and "\ufffd" not in name
        if workout.session.id == "glute-strength":
            assert name == workout.session.name
        for text in strings.get("wkt_step_name", []) + strings.get("notes", []):
            assert "\ufffd" not in text
    body = render_feed(loaded, [], now=NOW).body
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded, so no line smuggles a property
    cal = icalendar.Calendar.from_ical(body)
    events = [e for e in cal.walk("VEVENT")]
    assert body.count(b"\r\nBEGIN:VEVENT\r\n") == len(events) > 0
    strength = [e for e in events if "glute-strength" in str(e["UID"])]
    assert strength and all(str(e["SUMMARY"]) == loaded.sessions[0].name.strip() for e in strength)
    if field == "exercise.cue" and value.strip():
        assert all(value.strip() in str(e["DESCRIPTION"]) for e in strength)


def test_error_messages_escape_control_and_bidi_characters(invoke: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "evil.toml"
    bad.write_text('"evil\\u001b[2Jkey\\u202eabc" = 1\n' + TEMPLATE, encoding="utf-8")
    result = invoke("check", str(bad))
    assert result.exit_code == 1
    assert "evil\\x1b[2Jkey\\u202eabc: unknown key" in result.output
    assert not _unprintable(result.output)


def test_zip_member_names_are_escaped_in_sync_output(invoke: Invoke, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("\x1b]0;owned\x07\u202etxt.fit", b"not a FIT file at all")
        z.writestr("../\x1b[2J.fit", b"x")
    export = tmp_path / "export.zip"
    export.write_bytes(buf.getvalue())
    result = invoke("--db", str(tmp_path / "db.sqlite3"), "sync", str(export))
    assert result.exit_code == 0, result.output
    assert "\\x1b]0;owned\\x07\\u202etxt.fit" in result.output and "../\\x1b[2J.fit" in result.output
    assert not _unprintable(result.output)
    as_json = invoke("--db", str(tmp_path / "db2.sqlite3"), "sync", "--json", str(export))
    assert not _unprintable(as_json.output)  # json.dumps escapes them: \u001b, \u202e
    assert {s["file"].split("!", 1)[1] for s in json.loads(as_json.output)["skipped"]} == {
        "\x1b]0;owned\x07\u202etxt.fit",
        "../\x1b[2J.fit",
    }


@pytest.mark.parametrize(
    ("text", "shown"),
    [("plain é שלום", "plain é שלום"), ("a\x1bb", "a\\x1bb"), ("r\u202el", "r\\u202el"), ("t\tn\n", "t\\tn\\n")],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert re.fullmatch(r"[^\x00-\x1f\x7f]*", printable(text))

"""A damaged store is always recovered by one `fitplug sync`, with nothing lost (#22).

Thirteen kinds of damage to a real store (its header, byte flips, random and zeroed pages,
truncation, early pages): every query says so in the same words and no command prints a traceback;
one sync moves the damaged file aside and rebuilds from the remembered sources; every session comes
back, and the runner's own records (a `done` mark, a hand log, when tracking started, the band
history) come back from the file where it still gives them up, else from the journal beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import make_activities as m
import pytest
from conftest import ROOT, invoke_cli, sql

from fitplug.activities.store.journal import journal_path
from fitplug.activities.store.sqlfile import sealed

RUNS = 60
DAY0 = dt.datetime(2026, 9, 20, 7, tzinfo=dt.UTC)
NOW = "2026-11-20T12:00:00Z"


def _flips(seed: int) -> Callable[[Path], None]:
    def damage(p: Path) -> None:
        rng = random.Random(seed)
        b = bytearray(p.read_bytes())
        for k in rng.sample(range(len(b)), 50):
            b[k] ^= 0xFF
        p.write_bytes(bytes(b))

    return damage


def _page(seed: int, zero: bool) -> Callable[[Path], None]:
    def damage(p: Path) -> None:
        rng = random.Random(seed)
        k = rng.randrange(1, p.stat().st_size // 4096)
        with p.open("r+b") as f:
            f.seek(k * 4096)
            f.write(bytes(4096) if zero else rng.randbytes(4096))

    return damage


def _truncate(share: float) -> Callable[[Path], None]:
    return lambda p: os.truncate(p, int(p.stat().st_size * share))


def _at(offset: int, size: int = 1000) -> Callable[[Path], None]:
    def damage(p: Path) -> None:
        with p.open("r+b") as f:
            f.seek(offset)
            f.write(b"\xa5" * size)

    return damage


DAMAGE = {
    "header": _at(0, 16),
    "whole-header-and-more": _at(0, 5000),
    "flips-1": _flips(1),
    "flips-6": _flips(6),  # a byte that decodes as no UTF-8: was a UnicodeDecodeError traceback everywhere
    "flips-8": _flips(8),
    "random-page": _page(3, zero=False),
    "zeroed-page": _page(104, zero=True),
    "zeroed-page-2": _page(109, zero=True),
    "truncated-30": _truncate(0.3),
    "truncated-70": _truncate(0.7),
    "early-page-1": _at(4096),
    "early-page-2": _at(2 * 4096),
    "after-header": _at(100),
}


def cli(db: Path, *args: str) -> tuple[int, str]:
    result = invoke_cli("--db", str(db), "--now", NOW, *args)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after a sync of 60 runs, a `done` mark and a hand log (copied for each case)."""
    root = tmp_path_factory.mktemp("healthy")
    src = root / "src"
    src.mkdir()
    for i in range(RUNS):
        (src / f"{i:03d}.fit").write_bytes(m.run(DAY0 + dt.timedelta(days=i), 30 + i % 20, 5.0))
    programme = root / "p.toml"
    text = (ROOT / "examples" / "glute-runner.toml").read_text(encoding="utf-8")
    programme.write_text(text.replace("# start = 2026-11-18 ", "start = 2026-11-01   ", 1), encoding="utf-8")
    db = root / "db.sqlite3"
    assert cli(db, "sync", str(src), str(programme))[0] == 0
    assert cli(db, "done", "--at", "2026-11-18T12:00:00Z")[0] == 0
    assert cli(db, "log", "banded_leg_raise", "14", "14", "--day", "2026-11-17")[0] == 0
    return root


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_one_sync_recovers_everything(
    healthy: Path, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db.sqlite3"
    db.write_bytes((healthy / "db.sqlite3").read_bytes())
    journal_path(db).write_bytes(journal_path(healthy / "db.sqlite3").read_bytes())
    programme, src = str(healthy / "p.toml"), str(healthy / "src")
    before_runs = json.loads(cli(db, "status", "--json", programme)[1])["runs"]
    assert before_runs[-1]["done_by"] == "fitplug done"
    meta = sorted(sql(db, "SELECT name, value FROM meta"))
    assert any(name.startswith("band:") for name, _ in meta)  # the band history lives there
    DAMAGE[kind](db)
    for query in (["status", programme], ["activities", "--json"], ["log"]):
        code, out = cli(db, *query)
        assert code == 0 or (code == 1 and "is damaged" in out and "Run `fitplug sync` to rebuild it" in out), out
    code, out = cli(db, "sync", src, programme)
    assert code == 0, out
    if kind != "after-header":  # damage in a page no row lives in may leave nothing to rebuild
        assert "The store was damaged: moved to" in out, out
    assert "some could not be read" not in out  # the journal had what the file did not give up
    rows = json.loads(cli(db, "activities", "--json")[1])["sessions"]
    assert len(rows) == RUNS  # every session is back
    after = json.loads(cli(db, "status", "--json", programme)[1])
    assert after["runs"] == before_runs and after["tracking_start"] is not None
    assert json.loads(cli(db, "log", "--json")[1])["logged"][0]["reps"] == [14, 14]
    assert sorted(sql(db, "SELECT name, value FROM meta")) == meta
    assert cli(db, "sync", src, programme)[1].startswith("No new activities")  # the next sync is an ordinary one


@pytest.mark.parametrize("kind", ["flips-1", "early-page-1", "truncated-70"])
def test_damage_after_a_sync_that_skips_nothing_is_found_by_the_next(healthy: Path, tmp_path: Path, kind: str) -> None:
    """The quick check is skipped only while the store is byte for byte as the last sync left it:
    a write by another command, or damage in place (same size too), makes the next sync check it."""
    db = tmp_path / "db.sqlite3"
    db.write_bytes((healthy / "db.sqlite3").read_bytes())
    journal_path(db).write_bytes(journal_path(healthy / "db.sqlite3").read_bytes())
    programme, src = str(healthy / "p.toml"), str(healthy / "src")
    assert not sealed(db)  # a copy no sync has checked
    assert cli(db, "sync", src, programme)[0] == 0
    assert sealed(db)  # the next sync may skip the check
    assert cli(db, "log", "banded_leg_raise", "12", "12", "--day", "2026-11-19")[0] == 0
    assert not sealed(db)  # another command wrote to it
    assert cli(db, "sync", src, programme)[0] == 0 and sealed(db)
    DAMAGE[kind](db)
    assert not sealed(db)
    code, out = cli(db, "sync", src, programme)
    assert code == 0 and "The store was damaged: moved to" in out, out
    assert len(json.loads(cli(db, "activities", "--json")[1])["sessions"]) == RUNS

"""`fitplug serve`'s page is made once and kept: made again only when the programme, the store or
the day (or the quarter hour) changed; the same bytes and ETag in between; the last good page kept."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import make_activities as m
import pytest
from conftest import invoke_cli
from test_flow import NOW as FLOW_NOW
from test_flow import PROGRAMME, sync_run
from test_serve import NOW, Running, get, start, store_changed

from fitplug.app import calendar as app_calendar
from fitplug.app.progress import served_page
from fitplug.calendar import server as serve


class Counted:
    """A page source that counts its calls; ``fail`` makes the next calls raise."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    def __call__(self) -> serve.Page:
        self.calls += 1
        if self.fail:
            raise ValueError("the store turned bad")
        body = f"<!doctype html><title>page {self.calls}</title>".encode()
        return serve.Page(body, "text/html; charset=utf-8", f'"p{self.calls}"')


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[tuple[Running, Counted]]:
    source = Counted()
    running, thread = start(tmp_path, page_source=source)
    yield running, source
    running.server.shutdown()
    running.server.server_close()
    thread.join(5)


def page(r: Running, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    status, h, body = get(r, f"/{r.token}/", headers=headers)
    return status, h["ETag"] or "", body


def bump(path: Path) -> None:
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2_000_000_000))


def test_the_page_is_made_once_for_many_requests_and_answers_304_to_its_etag(paged: tuple[Running, Counted]) -> None:
    srv, source = paged
    answers = {page(srv) for _ in range(30)}
    assert len(answers) == 1 and source.calls == 1
    status, etag, body = answers.pop()
    assert (status, etag, body) == (200, '"p1"', b"<!doctype html><title>page 1</title>")
    assert page(srv, {"If-None-Match": etag})[:2] == (304, etag)
    assert source.calls == 1


def test_each_input_makes_the_page_again(paged: tuple[Running, Counted]) -> None:
    srv, source = paged
    assert page(srv)[1] == '"p1"'
    store_changed(srv, "1")  # the store written
    assert page(srv)[1] == '"p2"' and page(srv)[1] == '"p2"'
    bump(srv.programme)  # the programme saved
    assert page(srv)[1] == '"p3"' and page(srv)[1] == '"p3"'
    srv.clock[0] = NOW + dt.timedelta(minutes=10)  # the same quarter hour in London (09:30-09:45)
    assert page(srv)[1] == '"p3"'
    srv.clock[0] = NOW + dt.timedelta(minutes=20)  # the next one: its times of day move on
    assert page(srv)[1] == '"p4"'
    srv.clock[0] = NOW + dt.timedelta(days=1, minutes=20)  # the day rolled over
    assert page(srv)[1] == '"p5"' and page(srv)[1] == '"p5"'
    assert source.calls == 5


def test_the_last_good_page_is_kept_when_a_rebuild_fails(paged: tuple[Running, Counted]) -> None:
    srv, source = paged
    good = page(srv)
    source.fail = True
    store_changed(srv, "1")
    assert page(srv) == good and page(srv) == good
    assert source.calls == 2  # tried once for the change, not at every request
    assert sum("the page cannot be made" in line for line in srv.logs) == 1
    source.fail = False
    store_changed(srv, "22")
    assert page(srv)[1] == '"p3"'


def test_a_page_being_made_is_waited_for_by_page_requests_only(tmp_path: Path) -> None:
    """A reload after a change gets the new page once it is ready; the feed does not wait for it."""
    release = threading.Event()
    source = Counted()

    def slow() -> serve.Page:
        if source.calls >= 1:
            release.wait(10)
        return source()

    running, thread = start(tmp_path, page_source=slow)
    try:
        assert page(running)[1] == '"p1"'
        store_changed(running, "1")
        got: list[tuple[int, str, bytes]] = []
        waiter = threading.Thread(target=lambda: got.append(page(running)))
        waiter.start()
        while source.calls < 1 or not running.server.app._page.busy:  # type: ignore[union-attr]
            time.sleep(0.01)
        assert get(running)[0] == 200  # the feed, while the page is being made
        assert got == []
        release.set()
        waiter.join(10)
        assert got[0][1] == '"p2"'
    finally:
        release.set()
        running.server.shutdown()
        running.server.server_close()
        thread.join(5)


def test_served_page_follows_a_real_sync_and_keeps_the_last_good_page(tmp_path: Path) -> None:
    """The real page source (rendered in a child process) over a real store and `sync`."""
    db = tmp_path / "store" / "db.sqlite3"
    db.parent.mkdir()
    sync_run(db, tmp_path / "runs")
    programme = tmp_path / "p.toml"
    programme.write_bytes(PROGRAMME.read_bytes())
    now = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
    source = served_page(programme, db, clock=lambda: now)
    made: list[serve.Page] = []

    def counted() -> serve.Page:
        made.append(source())
        return made[-1]

    logs: list[str] = []
    server, info = serve.open_server(
        programme,
        port=0,
        clock=lambda: now,
        inputs=app_calendar.store_files(db),
        page_source=counted,
        log=logs.append,
        check_every_s=0.0,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    running = Running(server, info, programme, info.url.split("/")[3], logs)
    try:
        first = page(running)
        assert first[0] == 200 and b"<!doctype html>" in first[2].lower() and page(running) == first
        assert len(made) == 1
        more = tmp_path / "more-runs"  # a real `fitplug sync` of a new run: the store written
        more.mkdir()
        (more / "run2.fit").write_bytes(m.run(dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC), 40, 8.0))
        synced = invoke_cli("--db", str(db), "--now", FLOW_NOW, "sync", str(more), "--programme", str(programme))
        assert synced.exit_code == 0, synced.output
        second = page(running)
        assert len(made) == 2 and second[0] == 200 and second[1] != first[1]
        programme.write_text("[programme\n", encoding="utf-8")
        bump(programme)
        assert page(running) == second  # the last good page
        assert len(made) == 2 and any("the page cannot be made" in line for line in logs)
        assert not any("Traceback" in line for line in logs)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

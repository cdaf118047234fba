"""`fitplug serve` over a real store: a GET writes nothing and never waits on a sync's write lock."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from test_flow import PROGRAMME, due_events, sync_run

from fitplug.activities.store.store import reading
from fitplug.app import share as app_serve
from fitplug.calendar.server import Page, ServeInfo, open_server
from fitplug.model import DueItem, Programme

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@contextlib.contextmanager
def serving(db: Path, page_source: Callable[[], Page] | None = None) -> Iterator[tuple[ServeInfo, list[dt.datetime]]]:
    """`fitplug serve` over the store ``db`` on a loopback port, with each time it reads the store for the
    feed; stopped when the block ends."""
    due_from_store = app_serve.due_source(db_path=db)
    reads: list[dt.datetime] = []

    def due_source(programme: Programme, now: dt.datetime) -> Iterable[DueItem]:
        reads.append(now)
        return due_from_store(programme, now)

    server, info = open_server(
        PROGRAMME,
        host="127.0.0.1",
        port=0,
        clock=lambda: NOW,
        due_source=due_source,
        inputs=app_serve.store_files(db),
        page_source=page_source,
        check_every_s=0.0,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield info, reads
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_gets_write_nothing_and_do_not_wait_for_a_sync_holding_the_write_lock(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    db = store_dir / "db.sqlite3"
    sync_run(db, tmp_path / "runs")
    with serving(db) as (info, reads):
        writer = sqlite3.connect(db, timeout=1, isolation_level=None)
        try:
            before = snapshot(store_dir)
            for _ in range(5):
                with urllib.request.urlopen(info.url, timeout=10) as response:
                    assert len(due_events(response.read())) == 1
            assert snapshot(store_dir) == before  # the GETs wrote nothing

            # a sync commits new data, then holds the write lock as it goes on writing
            writer.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('test', 'x')")
            writer.execute("BEGIN IMMEDIATE")
            # the store changed, so this GET rebuilds from it: read-only, so the lock does not stop it
            # (the store's own busy timeout is 10 s; urllib's 5 s would fail first if it waited)
            before = len(reads)
            with urllib.request.urlopen(info.url, timeout=5) as response:
                assert response.status == 200 and len(due_events(response.read())) == 1
            assert len(reads) == before + 1
        finally:
            writer.execute("ROLLBACK") if writer.in_transaction else None
            writer.close()


def test_another_reader_of_the_store_makes_neither_the_feed_nor_the_page_again(tmp_path: Path) -> None:
    """Every reader of the store (the page's own render in its child, `fitplug status`) makes
    SQLite create an empty WAL and remove it when done: that is no sync, so neither the feed
    nor the page is made again for it; a commit still is."""
    db = tmp_path / "db.sqlite3"
    sync_run(db, tmp_path / "runs")
    wal = db.with_name(db.name + "-wal")
    pages: list[bytes] = []

    def page_source() -> Page:
        pages.append(b"page %d" % len(pages))
        return Page(pages[-1], "text/plain", f'"{len(pages)}"')

    with serving(db, page_source) as (info, feeds):
        page_url = info.url.rsplit("/", 1)[0] + "/"
        with urllib.request.urlopen(info.url, timeout=10) as response:
            first_feed = response.read()
        with urllib.request.urlopen(page_url, timeout=10) as response:
            first_page = response.read()
        made = (len(feeds), len(pages))
        assert not wal.exists()
        with reading(db) as store:
            assert store is not None
            assert wal.is_file() and wal.stat().st_size == 0  # what the reader left while it reads
            with urllib.request.urlopen(info.url, timeout=10) as response:
                assert response.read() == first_feed
            with urllib.request.urlopen(page_url, timeout=10) as response:
                assert response.read() == first_page
        assert not wal.exists()  # and removed when it was done
        with urllib.request.urlopen(info.url, timeout=10) as response:
            assert response.read() == first_feed
        with urllib.request.urlopen(page_url, timeout=10) as response:
            assert response.read() == first_page
        assert (len(feeds), len(pages)) == made

        with sqlite3.connect(db, isolation_level=None) as writer:  # a sync commits: both are made again
            writer.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('test', 'x')")
            with urllib.request.urlopen(info.url, timeout=10) as response:
                response.read()
            with urllib.request.urlopen(page_url, timeout=10) as response:
                assert response.read() != first_page
        writer.close()
        assert len(feeds) > made[0] and len(pages) > made[1]

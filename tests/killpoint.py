"""Run ``fitplug`` and SIGKILL it at a chosen SQL statement (for tests/test_crash.py).

    python tests/killpoint.py before|after|stop PATTERN N -- [fitplug arguments]

Every SQLite connection fitplug opens is made with a ``Connection`` subclass
that counts the statements containing PATTERN and, at the N-th, sends SIGKILL
to its own process right before or right after running it. Nothing in fitplug
knows about this; the process dies as a killed process does, with whatever it
had not committed. ``stop``: SIGSTOP instead, right before it, so that a test
can look at the process as it is at that point (its workers, say) and then
kill it itself.
"""

from __future__ import annotations

import os
import runpy
import signal
import sqlite3
import sys
from typing import Any

when, pattern, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
assert when in ("before", "after", "stop") and sys.argv[4] == "--"
seen = 0


def _hit(sql: str, stage: str) -> None:
    global seen
    if pattern not in sql:
        return
    if stage == "before":
        seen += 1
    if seen == nth and stage == when:
        os.kill(os.getpid(), signal.SIGKILL)
    if seen == nth and stage == "before" and when == "stop":
        os.kill(os.getpid(), signal.SIGSTOP)


class KillingConnection(sqlite3.Connection):
    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        _hit(sql, "before")
        cur = super().execute(sql, *args)
        _hit(sql, "after")
        return cur

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        _hit(sql, "before")
        cur = super().executemany(sql, *args)
        _hit(sql, "after")
        return cur


_connect = sqlite3.connect


def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    kwargs.setdefault("factory", KillingConnection)
    return _connect(*args, **kwargs)


sqlite3.connect = connect  # type: ignore[assignment]
sys.argv = ["fitplug", *sys.argv[5:]]
runpy.run_module("fitplug", run_name="__main__", alter_sys=True)

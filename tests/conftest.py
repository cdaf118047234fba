"""Shared fixtures: an isolated fitplug home, a fixed clock, the shared corpus.

Two layers keep a test run out of the user's own folders:

- for the whole session (``pytest_configure``), ``HOME``, every XDG folder
  variable and ``APPDATA``/``LOCALAPPDATA`` point at a temporary folder, which
  subprocesses inherit; at the end (``pytest_sessionfinish``) the run fails if
  anything appeared or changed in the real fitplug folders or at the top level
  of the real home and XDG folders (``tests/homeguard.py``);
- for each test, the autouse ``fitplug_home`` fixture sets ``FITPLUG_DATA_DIR``
  and ``FITPLUG_CONFIG_DIR`` to folders of its own.

The tests that ask for ``corpus_readings`` (every reader's reading of each file
of ``../shared/fit-corpus``) run last: worker processes make those readings in
the background from the start of the run (``tests/corpus_reads.py``).

And the helpers every test module shares: :func:`invoke_cli` (the ``invoke``
fixture) runs the command line in this process, :func:`programme_file` and
:func:`programme_text` give a bundled template with a ``start`` day, :func:`at`
makes an aware UTC datetime in the fixtures' month, :func:`sql` reads a store's
tables with SQLite itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import homeguard
import pytest
from click.testing import CliRunner, Result

if TYPE_CHECKING:
    import corpus_reads

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# ../shared beside the checkout; from a worktree under ../wt/<name>, two levels up
SHARED = next(
    (p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/data/golden/* from the current output (review the diff!)",
    )


_GUARD_KEY = pytest.StashKey[homeguard.Guard]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # The shared iCalendar checker keeps its prepared setup (virtualenv, node modules,
    # libical helper) under the real home by default: name it before HOME moves.
    ics_check_home = os.environ.get("ICS_CHECK_HOME")
    os.environ.setdefault("ICS_CHECK_HOME", str(Path.home() / ".cache" / "ics-check"))
    guard = homeguard.install()
    guard.real_env["ICS_CHECK_HOME"] = ics_check_home  # put back as it was at the end
    config.stash[_GUARD_KEY] = guard


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    background = session.config.stash.get(_CORPUS_KEY, None)
    if background is not None:
        background.stop()
        shutil.rmtree(background.outputs[0].parent, ignore_errors=True)
    guard = session.config.stash.get(_GUARD_KEY, None)
    if guard is None:
        return
    changed = guard.differences()
    if not changed:
        return
    lines = [
        "the test run touched the user's own folders (HOME and XDG were pointed elsewhere):",
        *(f"  {line}" for line in changed),
    ]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write("\n")
        reporter.write_sep("=", "fitplug home guard", red=True, bold=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print("\n".join(lines))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    guard = config.stash.get(_GUARD_KEY, None)
    if guard is not None:
        guard.uninstall()


_CORPUS_KEY = pytest.StashKey["corpus_reads.Background"]()


def _reads_the_corpus(item: pytest.Item) -> bool:
    return "corpus_readings" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The corpus comparisons last (in their order): their readings are made meanwhile."""
    items[:] = [i for i in items if not _reads_the_corpus(i)] + [i for i in items if _reads_the_corpus(i)]


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Start the corpus readers as the tests start, when a selected test compares them."""
    if session.config.option.collectonly or not any(_reads_the_corpus(i) for i in session.items):
        return
    _start_corpus_readers(session.config)


def _start_corpus_readers(config: pytest.Config) -> corpus_reads.Background | None:
    corpus = find_corpus()
    if corpus is None:
        return None
    import corpus_reads

    folder = Path(tempfile.mkdtemp(prefix="fitplug-corpus-reads-"))
    background = corpus_reads.Background(corpus, folder, shards=len(os.sched_getaffinity(0)))
    config.stash[_CORPUS_KEY] = background
    return background


@pytest.fixture(scope="session")
def home_guard(pytestconfig: pytest.Config) -> homeguard.Guard:
    """The session's guard: the real folders it watches and the temporary base it uses."""
    return pytestconfig.stash[_GUARD_KEY]


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def fitplug_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data and config folders; the user's are never touched."""
    home = tmp_path_factory.mktemp("fitplug-home")
    monkeypatch.setenv("FITPLUG_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("FITPLUG_CONFIG_DIR", str(home / "config"))
    monkeypatch.delenv("FITPLUG_DB", raising=False)
    monkeypatch.delenv("FITPLUG_NOW", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return home


def invoke_cli(
    *args: str | os.PathLike[str],
    code: int | None = None,
    env: Mapping[str, str | None] | None = None,
    input: str | bytes | IO[bytes] | None = None,
    catch_exceptions: bool = False,
) -> Result:
    """Run ``fitplug ARGS...`` (``fitplug.cli.cli``) in this process and return click's result.

    ``code``: assert the exit code, with the output in the message. An exception
    other than ``SystemExit`` propagates (a crash fails the test with its
    traceback) unless ``catch_exceptions``. For a module-scoped fixture or a
    helper module; tests ask for the ``invoke`` fixture.
    """
    from fitplug.cli import cli  # here, not at the top: conftest loads before the home guard is on

    result = CliRunner().invoke(
        cli, [os.fspath(a) for a in args], env=env, input=input, catch_exceptions=catch_exceptions
    )
    if code is not None:
        assert result.exit_code == code, (
            f"fitplug {' '.join(map(os.fspath, args))}: exit {result.exit_code}, not {code}:\n{result.output}"
        )
    return result


class Invoke(Protocol):
    """The type of the ``invoke`` fixture: :func:`invoke_cli`."""

    def __call__(
        self,
        *args: str | os.PathLike[str],
        code: int | None = None,
        env: Mapping[str, str | None] | None = None,
        input: str | bytes | IO[bytes] | None = None,
        catch_exceptions: bool = False,
    ) -> Result: ...


@pytest.fixture
def invoke() -> Invoke:
    """``invoke("check", path, code=0)``: run the command line in this process (:func:`invoke_cli`)."""
    return invoke_cli


def programme_text(template: str = "glute-runner", *, start: dt.date | None = None) -> str:
    """A bundled template's text; with ``start``, its ``start = …`` line set to that day."""
    from fitplug.app.programme import with_start

    text = (ROOT / "templates" / f"{template}.toml").read_text(encoding="utf-8")
    if start is None:
        return text
    started = with_start(text, start)
    assert f"\nstart = {start.isoformat()}" in started, f"no place for a start day in {template}"
    return started


def programme_file(
    folder: Path, template: str = "glute-runner", *, start: dt.date | None = None, name: str | None = None
) -> Path:
    """:func:`programme_text` written to ``folder/name`` (default ``TEMPLATE.toml``); its path."""
    path = folder / (name or f"{template}.toml")
    path.write_text(programme_text(template, start=start), encoding="utf-8")
    return path


def sql(db: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``query`` on the SQLite file ``db``, read by SQLite itself in a connection of the test's own
    (fitplug's store has no query API: a test looks at its tables this way)."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute(query, params).fetchall()


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    """An aware UTC datetime in 2026 (November, the fixtures' month, unless ``month``)."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def fixed_now() -> dt.datetime:
    return dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


def find_corpus() -> Path | None:
    """``../shared/fit-corpus`` (real device files), or None when it is absent."""
    # A git worktree sits deeper than the main checkout: look up the tree for shared/.
    candidates = [SHARED / "fit-corpus", *(p / "shared" / "fit-corpus" for p in ROOT.parents)]
    return next((c for c in candidates if (c / "MANIFEST.tsv").is_file()), None)


@pytest.fixture
def corpus() -> Path:
    """``../shared/fit-corpus`` (real device files); skips when it is absent."""
    path = find_corpus()
    if path is None:
        pytest.skip("../shared/fit-corpus is not beside the checkout")
    return path


@pytest.fixture(scope="session")
def corpus_readings(pytestconfig: pytest.Config) -> dict[str, corpus_reads.FileReadings]:
    """Every corpus file as each reader reads it, by relpath (``tests/corpus_reads.py``); skips without the corpus."""
    background = pytestconfig.stash.get(_CORPUS_KEY, None) or _start_corpus_readers(pytestconfig)
    if background is None:
        pytest.skip("../shared/fit-corpus is not beside the checkout")
    return background.readings()


@pytest.fixture(params=["native", "python"])
def walker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fast reader's record walk, each way: the C walker (_fitwalk) and the pure-Python fallback.

    The reading tests use it for every test (``pytestmark``), so both walks pass all of them.
    Without a built C walker the "native" runs skip, saying so.
    """
    from fitplug.activities.read import scan

    if request.param == "native":
        if scan._fitwalk is None:
            pytest.skip("the C record walker is not built (pip install . builds it where a compiler is)")
        monkeypatch.setattr(scan, "native", scan._fitwalk)
    else:
        monkeypatch.setattr(scan, "native", None)
    return str(request.param)


@pytest.fixture(params=["zlib-ng", "zlib"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The zip reader's inflater, each way: zlib-ng's (a dependency) and the standard zlib's fallback.

    Forked pool workers inherit the choice. Without zlib-ng installed the "zlib-ng" runs skip, saying so.
    """
    import zlib

    from fitplug.activities.files import inflate

    if request.param == "zlib-ng":
        try:
            from zlib_ng import zlib_ng
        except ImportError:
            pytest.skip("zlib-ng is not installed (pip install . installs it)")
        monkeypatch.setattr(inflate, "backend", lambda: zlib_ng)
    else:
        monkeypatch.setattr(inflate, "backend", lambda: zlib)
    return str(request.param)

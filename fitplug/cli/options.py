"""What the commands share: the App (store and clock), error translation, options defined once."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: the years a date or time given on the command line may fall in: FIT times
#: start in 1990 and end in 2126, and a schedule reaches past the day given
FIRST_YEAR, LAST_YEAR = 1990, 2099


def _check_years(
    kind: click.ParamType,  # type: ignore[type-arg]  # generic only from click 8.2
    value: Any,
    years: tuple[int, ...],
    param: click.Parameter | None,
    ctx: click.Context | None,
) -> None:
    """Refuse a moment outside the years fitplug handles (in its own zone and in UTC)."""
    if not all(FIRST_YEAR <= y <= LAST_YEAR for y in years):
        kind.fail(f"{value!r} is outside the years fitplug handles ({FIRST_YEAR}–{LAST_YEAR})", param, ctx)


class Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """An ISO 8601 date or date-time; a date means its local midnight, a naive time is local."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            parsed = dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date or date-time (2026-11-22 or 2026-11-22T07:00+00:00)", param, ctx)
        try:
            utc_year = parsed.astimezone(dt.UTC).year if parsed.tzinfo is not None else parsed.year
        except OverflowError:
            utc_year = parsed.year
        _check_years(self, value, (parsed.year, utc_year), param, ctx)
        return parsed


class Day(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """An ISO 8601 calendar date."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date (YYYY-MM-DD)", param, ctx)
        _check_years(self, value, (day.year,), param, ctx)
        return day


#: the programme file, as every command takes it
_PROGRAMME_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_PROGRAMME_HELP = "Programme TOML file (default: the one last used or created by `fitplug init`)."


def programme_input(func: F) -> F:
    """``[PROGRAMME]`` or ``--programme/-p FILE``: the programme file, the same way in every command
    (default: the one remembered). Both at once must name the same file."""

    @functools.wraps(func)
    def wrapper(
        *args: Any, programme_argument: Path | None = None, programme_option: Path | None = None, **kwargs: Any
    ) -> Any:
        return func(*args, programme=one_programme(programme_argument, programme_option), **kwargs)

    wrapper = click.option(
        "--programme", "-p", "programme_option", type=_PROGRAMME_FILE, metavar="FILE", help=_PROGRAMME_HELP
    )(wrapper)
    wrapper = click.argument("programme_argument", metavar="[PROGRAMME]", required=False, type=_PROGRAMME_FILE)(wrapper)
    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature click reads


def programme_option(func: F) -> F:
    """``--programme/-p FILE`` alone, for a command whose arguments are something else (``sync``'s
    sources, where a ``.toml`` among them is the programme: :func:`split_programme`)."""
    return click.option("--programme", "-p", "programme", type=_PROGRAMME_FILE, metavar="FILE", help=_PROGRAMME_HELP)(
        func
    )


def one_programme(argument: Path | None, option: Path | None) -> Path | None:
    if argument is not None and option is not None and argument.resolve() != option.resolve():
        raise click.UsageError(f"two programmes given ({argument} and --programme {option}); name one")
    return option or argument


def split_programme(paths: tuple[Path, ...], option: Path | None) -> tuple[tuple[Path, ...], Path | None]:
    """The sources of ``paths`` and the programme: a ``.toml`` file among them, else ``--programme``."""
    tomls = [p for p in paths if p.suffix.lower() == ".toml" and p.is_file()]
    if len(tomls) > 1:
        raise click.UsageError(f"several programmes given ({', '.join(map(str, tomls))}); name one")
    rest = tuple(p for p in paths if p not in tomls)
    return rest, one_programme(tomls[0] if tomls else None, option)


def output_dir_option(func: F) -> F:
    return click.option(
        "--output",
        "-o",
        "output_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("out"),
        show_default=True,
        help="Folder to write into (created if missing).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (schema: docs/json.md).")(func)


def device_option(func: F) -> F:
    return click.option(
        "--device",
        type=click.Path(file_okay=False, path_type=Path),
        help="Mount point of the watch, or 'mtp' to talk MTP over USB (needs fitplug[mtp]) "
        "(default: the remembered watch, else the one mounted Garmin device).",
    )(func)


def dry_run_option(func: F) -> F:
    return click.option("--dry-run", is_flag=True, help="Say what would be done; write nothing.")(func)


class App:
    """What every command shares: where the store is, and what time it is.

    A plain class, not a dataclass: ``fitplug --help`` then loads no ``dataclasses``."""

    def __init__(self, db_path: Path | None = None, fixed_now: dt.datetime | None = None) -> None:
        self.db_path = db_path
        self.fixed_now = fixed_now

    def __repr__(self) -> str:
        return f"App(db_path={self.db_path!r}, fixed_now={self.fixed_now!r})"

    def now(self) -> dt.datetime:
        """The current instant, aware; ``--now`` fixes it for scripts and tests."""
        if self.fixed_now is None:
            now = dt.datetime.now(dt.UTC)
            if not FIRST_YEAR <= now.year <= LAST_YEAR:
                from fitplug.errors import FitplugError

                raise FitplugError(
                    f"the system clock says {now:%Y-%m-%d}, outside the years fitplug handles "
                    f"({FIRST_YEAR}–{LAST_YEAR}); set the clock, or give --now"
                )
            return now
        if self.fixed_now.tzinfo is None:
            return self.fixed_now.astimezone()  # naive: the machine's local time
        return self.fixed_now

    def store_path(self) -> Path:
        from fitplug.settings import default_db_path

        return self.db_path or default_db_path()


pass_app = click.make_pass_decorator(App, ensure=True)


def translate_errors(func: F) -> F:
    """Turn a :class:`FitplugError` into click's ``Error: …`` and exit 1; keep other tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from fitplug.errors import FitplugError  # here: `fitplug --help` loads nothing of the library

        try:
            return func(*args, **kwargs)
        except FitplugError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature


#: ``--db`` and ``--now``: taken before the command name (the group) and after it (each command)
DB_OPTION: dict[str, Any] = {
    "type": click.Path(dir_okay=False, path_type=Path),
    "envvar": "FITPLUG_DB",
    "help": "SQLite store to use (default: fitplug.sqlite3 in the user data folder).",
}
NOW_OPTION: dict[str, Any] = {
    "type": Timestamp(),
    "envvar": "FITPLUG_NOW",
    "help": "Pretend it is this instant (ISO 8601), for scripts and tests.",
}


def _set_db(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(App).db_path = value


def _set_now(ctx: click.Context, param: click.Parameter, value: dt.datetime | None) -> None:
    if value is not None:
        ctx.ensure_object(App).fixed_now = value


def app_options(func: F) -> F:
    """``--db`` and ``--now`` after the command name too (``fitplug sync --db x``), as people type them."""
    after = {"expose_value": False, "is_eager": True, "envvar": None}
    func = click.option("--now", **{**NOW_OPTION, **after, "callback": _set_now})(func)
    func = click.option("--db", **{**DB_OPTION, **after, "callback": _set_db})(func)
    return pass_app(func)  # type: ignore[return-value]  # click's decorator keeps the signature


class CreatedTime(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """time_created for the FIT files: ISO 8601, or seconds since 1970 (SOURCE_DATE_EPOCH).

    A date or a time without an offset is UTC, so the same value gives the same
    bytes on every machine.
    """

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            moment = value
        else:
            text = str(value).strip()
            try:
                moment = (
                    dt.datetime.fromtimestamp(int(text), dt.UTC) if text.isdigit() else dt.datetime.fromisoformat(text)
                )
            except (ValueError, OverflowError, OSError):
                self.fail(f"{value!r} is not an ISO date-time (2026-01-01T00:00Z) or seconds since 1970", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        if not dt.datetime(1998, 7, 1, tzinfo=dt.UTC) <= moment < dt.datetime(2126, 1, 1, tzinfo=dt.UTC):
            self.fail(f"{value!r} is outside the FIT time range (1998-07-01 to 2125)", param, ctx)
        return moment.replace(microsecond=0)


def created_option(func: F) -> F:
    return click.option(
        "--created",
        type=CreatedTime(),
        envvar="SOURCE_DATE_EPOCH",
        show_envvar=True,
        help="time_created for every file (ISO 8601 or Unix seconds); default: derived from "
        "each file's content, so unchanged sessions keep their bytes.",
    )(func)

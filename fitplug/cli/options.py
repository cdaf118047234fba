"""What the commands share: the App (store and clock), error translation, options defined once."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from fitplug.errors import FitplugError

F = TypeVar("F", bound=Callable[..., Any])

#: the years a date or time given on the command line may fall in: FIT times
#: start in 1990 and end in 2126, and a schedule reaches past the day given
FIRST_YEAR, LAST_YEAR = 1990, 2099


def _check_years(
    kind: click.ParamType,  # type: ignore[type-arg]  # generic only from click 8.2
    value: Any, years: tuple[int, ...], param: click.Parameter | None,
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


def programme_option(func: F) -> F:
    """``--programme FILE``: the programme to use (default: the one last used)."""
    return click.option(
        "--programme",
        "-p",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Programme TOML file (default: the one last used or created by `fitplug init`).",
    )(func)


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
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON for scripts (schema: docs/json.md)."
    )(func)


def device_option(func: F) -> F:
    return click.option(
        "--device",
        type=click.Path(file_okay=False, path_type=Path),
        help="Mount point of the watch, or 'mtp' to talk MTP over USB (needs fitplug[mtp]) "
             "(default: the remembered watch, else the one mounted Garmin device).",
    )(func)


def dry_run_option(func: F) -> F:
    return click.option("--dry-run", is_flag=True, help="Say what would be done; write nothing.")(func)


@dataclass
class App:
    """What every command shares: where the store is, and what time it is."""

    db_path: Path | None = None
    fixed_now: dt.datetime | None = None

    def now(self) -> dt.datetime:
        """The current instant, aware; ``--now`` fixes it for scripts and tests."""
        if self.fixed_now is None:
            now = dt.datetime.now(dt.UTC)
            if not FIRST_YEAR <= now.year <= LAST_YEAR:
                raise FitplugError(f"the system clock says {now:%Y-%m-%d}, outside the years fitplug handles "
                                   f"({FIRST_YEAR}–{LAST_YEAR}); set the clock, or give --now")
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
        try:
            return func(*args, **kwargs)
        except FitplugError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature


def _set_db(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(App).db_path = value


def _set_now(ctx: click.Context, param: click.Parameter, value: dt.datetime | None) -> None:
    if value is not None:
        ctx.ensure_object(App).fixed_now = value


def app_options(func: F) -> F:
    """``--db`` and ``--now`` after the command name too (``fitplug sync --db x``), as people type them."""
    func = click.option("--now", type=Timestamp(), expose_value=False, callback=_set_now, is_eager=True,
                        help="Pretend it is this instant (ISO 8601), for scripts and tests.")(func)
    func = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), expose_value=False,
                        callback=_set_db, is_eager=True,
                        help="SQLite store to use (default: fitplug.sqlite3 in the user data folder).")(func)
    return pass_app(func)  # type: ignore[return-value]  # click's decorator keeps the signature


def programme_argument(func: F) -> F:
    """``[PROGRAMME]``: the programme file (default: the one remembered)."""
    return click.argument(
        "programme_file", metavar="[PROGRAMME]", required=False,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    )(func)


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
                moment = (dt.datetime.fromtimestamp(int(text), dt.UTC) if text.isdigit()
                          else dt.datetime.fromisoformat(text))
            except (ValueError, OverflowError, OSError):
                self.fail(f"{value!r} is not an ISO date-time (2026-01-01T00:00Z) "
                          "or seconds since 1970", param, ctx)
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

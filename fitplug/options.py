"""Options shared by several commands, defined once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


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
        return parsed


class Day(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """An ISO 8601 calendar date."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date (YYYY-MM-DD)", param, ctx)


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
        help="Mount point of the watch (default: the one mounted Garmin device).",
    )(func)


def dry_run_option(func: F) -> F:
    return click.option("--dry-run", is_flag=True, help="Say what would be done; write nothing.")(func)

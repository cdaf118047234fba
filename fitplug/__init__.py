"""fitplug: a runner's glute strength-and-stretch programme on a Garmin watch and in any calendar.

The library follows the data flow, one subpackage per stage (docs/architecture.md)::

    programme.load.load_programme(path)           TOML → checked Programme
    programme.schedule.expand(programme, a, b)    → dated sessions
    watch.workout.encode_workout(session, …)      → FIT workout bytes
    calendar.feed.build_calendar(programme, …)    → iCalendar bytes
    activities.read.reader.read_activity(path)    recorded FIT → ActivitySummary
    activities.store.store.Store(path)            SQLite history
    activities.rule.due.decide(history, marks, programme, now)  → what is due
    app.*                                         one function per command

The names below are re-exported lazily, so ``import fitplug`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fitplug.errors import (
        ActivityError,
        DeviceError,
        FeedError,
        FitplugError,
        OutputError,
        ProgrammeError,
        StoreError,
        WorkoutFileError,
    )

#: public name → the module that defines it (imported on first use); the other public names are the
#: errors, from ``fitplug.errors``: lazy too, so that ``fitplug --help`` loads nothing of the library
_LAZY = {
    "load_programme": "programme.load",
    "parse_programme": "programme.load",
    "expand": "programme.schedule",
    "upcoming": "programme.schedule",
    "post_run_variants": "programme.schedule",
    "plan_session": "programme.steps",
    "encode_workout": "watch.workout",
    "encode_schedule": "watch.workout",
    "read_workout": "watch.view",
    "build_calendar": "calendar.feed",
    "read_activity": "activities.read.reader",
    "Store": "activities.store.store",
    "decide": "activities.rule.due",
    "find_devices": "watch.devices",
    "install_files": "watch.install",
}

__all__ = [
    "ActivityError",
    "DeviceError",
    "FeedError",
    "FitplugError",
    "OutputError",
    "ProgrammeError",
    "Store",
    "StoreError",
    "WorkoutFileError",
    "build_calendar",
    "decide",
    "encode_schedule",
    "encode_workout",
    "expand",
    "find_devices",
    "install_files",
    "load_programme",
    "parse_programme",
    "plan_session",
    "post_run_variants",
    "read_activity",
    "read_workout",
    "upcoming",
]


assert set(__all__) >= set(_LAZY)  # every lazy name is public


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name) or ("errors" if name in __all__ else None)
    if module is None:
        raise AttributeError(f"module 'fitplug' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

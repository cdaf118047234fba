"""fitplug: a runner's glute strength-and-stretch programme on a Garmin watch and in any calendar."""

from __future__ import annotations

from .errors import (
    ActivityError,
    DeviceError,
    FeedError,
    FitplugError,
    OutputError,
    ProgrammeError,
    StoreError,
    WorkoutFileError,
)

__all__ = [
    "ActivityError",
    "DeviceError",
    "FeedError",
    "FitplugError",
    "OutputError",
    "ProgrammeError",
    "StoreError",
    "WorkoutFileError",
]

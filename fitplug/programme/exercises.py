"""The FIT profile's exercise tables, read from package data instead of the SDK.

``fitplug check`` and ``fitplug status`` check the programme's exercises and
match recorded sets to them: they need the profile's exercise categories and
names, not the whole garmin-fit-sdk. The build (``setup.py``'s ``build_py``)
writes the tables from the SDK into ``exercises.json`` next to this module,
with the SDK's version; at run time that file is read and the SDK is not
imported. Where the file is absent (a source checkout, an editable install)
the tables are built from the SDK in memory. Nothing is written at run time.

Nothing here is typed in: it is the SDK's Profile. This module imports only
the standard library (``setup.py`` loads it by path, before fitplug is installed).
"""

from __future__ import annotations

import json
import os
from typing import Any

#: the package data file, next to this module
DATA_FILE = "exercises.json"

#: ``{category: {name: id}}``
Tables = dict[str, dict[str, int]]

_cache: Tables | None = None


def tables_from_sdk() -> Tables:
    """Every exercise category of the installed SDK's profile, in profile order."""
    from garmin_fit_sdk import Profile  # heavy: only without the package data

    types = Profile["types"]
    out: Tables = {}
    for category in types["exercise_category"].values():
        names: dict[str, int] = {}
        for num, name in types.get(f"{category}_exercise_name", {}).items():
            names.setdefault(name, int(num))
        out[category] = names
    return out


def sdk_version() -> str:
    """The installed garmin-fit-sdk's profile version, e.g. ``21.218.0``."""
    from garmin_fit_sdk import Profile

    version = Profile["version"]
    return f"{version['major']}.{version['minor']}.{version['patch']}"


def package_data() -> dict[str, Any]:
    """The document the build writes: the SDK version and the tables."""
    return {"sdk_version": sdk_version(), "exercises": tables_from_sdk()}


def read_package_data() -> dict[str, Any] | None:
    """The packaged document, or ``None`` when the build did not write one.

    Read through the module's loader (as :func:`pkgutil.get_data` does), so it
    works from a zip too; :mod:`importlib.resources` costs more to import than
    the SDK itself.
    """
    loader = __spec__.loader if __spec__ is not None else None
    get_data = getattr(loader, "get_data", None)
    if get_data is None:
        return None
    try:
        doc = json.loads(get_data(os.path.join(os.path.dirname(__file__), DATA_FILE)))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("exercises"), dict):
        return None
    return doc


def exercises() -> Tables:
    """Every exercise category of the profile, in profile order: ``{category: {name: id}}``."""
    global _cache
    if _cache is None:
        doc = read_package_data()
        _cache = doc["exercises"] if doc is not None else tables_from_sdk()
    return _cache


def exercise_name(category: str, name_id: int) -> str | None:
    """The profile's name of exercise ``name_id`` in ``category`` (``None``: the profile has none)."""
    for name, number in exercises().get(category, {}).items():
        if number == name_id:
            return name
    return None

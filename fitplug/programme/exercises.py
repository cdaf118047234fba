"""The FIT profile's exercise tables without importing garmin-fit-sdk on every start.

``fitplug status`` checks the programme's exercises and matches recorded sets
to them: it needs the profile's exercise categories and names, not the whole
SDK (whose import costs more than the rest of the command). The tables are
taken from the installed SDK the first time and kept as JSON in the data
folder, keyed by the SDK's profile file (path, size, mtime), so a new SDK
version rebuilds them. Nothing here is typed in: it is the SDK's Profile.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

_cache: dict[str, dict[str, int]] | None = None


def _profile_key() -> list[Any] | None:
    spec = importlib.util.find_spec("garmin_fit_sdk")  # finds the package without importing it
    if spec is None or not spec.origin:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "profile.py")
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [path, st.st_size, st.st_mtime_ns]


def _from_sdk() -> dict[str, dict[str, int]]:
    from garmin_fit_sdk import Profile

    types = Profile["types"]
    out: dict[str, dict[str, int]] = {}
    for category in types["exercise_category"].values():
        names: dict[str, int] = {}
        for num, name in types.get(f"{category}_exercise_name", {}).items():
            names.setdefault(name, int(num))
        out[category] = names
    return out


def exercises() -> dict[str, dict[str, int]]:
    """Every exercise category of the profile, in profile order: ``{category: {name: id}}``."""
    global _cache
    if _cache is not None:
        return _cache
    from fitplug.settings import data_dir

    key = _profile_key()
    path = data_dir() / "fit-profile-exercises.json"
    if key is not None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("profile") == key and isinstance(doc.get("exercises"), dict):
                _cache = doc["exercises"]
                return _cache
        except (OSError, ValueError, AttributeError):
            pass
    _cache = _from_sdk()
    if key is not None:
        from fitplug.atomic import write_atomic
        from fitplug.errors import OutputError

        text = json.dumps({"profile": key, "exercises": _cache}, separators=(",", ":"))
        try:
            write_atomic(path, text.encode("utf-8"))
        except OutputError:
            pass  # a read-only or full data folder: the SDK is imported next time too
    return _cache

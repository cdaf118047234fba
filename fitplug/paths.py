"""Where fitplug keeps its data and settings, portably (platformdirs).

``FITPLUG_DATA_DIR`` and ``FITPLUG_CONFIG_DIR`` override the platform's
folders (tests and portable installs use them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import write_atomic

APP = "fitplug"


def data_dir() -> Path:
    """Folder for the SQLite store and the feed token."""
    env = os.environ.get("FITPLUG_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs  # imported here: keeps `fitplug --help` fast

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """Folder for ``settings.json`` (remembered programme, sources, device)."""
    env = os.environ.get("FITPLUG_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "fitplug.sqlite3"


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> dict[str, Any]:
    """The remembered settings; an unreadable file counts as empty, never as an error."""
    try:
        value = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def update_settings(**changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the settings file (atomically) and return the result."""
    settings = load_settings()
    settings.update(changes)
    text = json.dumps(settings, indent=2, sort_keys=True) + "\n"
    write_atomic(settings_path(), text.encode("utf-8"))
    return settings

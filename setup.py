"""Build hook: the FIT profile's exercise tables as package data.

Everything else is in ``pyproject.toml``. ``ext_modules``: the optional C
record walker (``fitplug/activities/read/_fitwalk.c``) and folder listing
(``fitplug/activities/files/_folders.c``, POSIX). ``build_py`` writes
``fitplug/programme/exercises.json`` from the garmin-fit-sdk of the build
environment (a build requirement), so that parsing a programme neither imports
the SDK nor writes a cache. An editable install (``pip install -e``) writes it
into the source tree instead (ignored by git), where the editable package finds
it; without the file, fitplug builds the tables from the SDK in memory.
"""

from __future__ import annotations

import importlib.util
import json
import os

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join("fitplug", "programme", "exercises.json")


def _exercise_tables_module():  # type: ignore[no-untyped-def]
    """fitplug/programme/exercises.py, loaded by path: fitplug is not installed yet."""
    path = os.path.join(HERE, "fitplug", "programme", "exercises.py")
    spec = importlib.util.spec_from_file_location("_fitplug_build_exercises", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithExerciseTables(build_py):
    """``build_py`` that also writes the exercise tables."""

    def run(self) -> None:
        super().run()
        # an editable install uses the source tree itself: the file goes there
        base = HERE if getattr(self, "editable_mode", False) else self.build_lib
        target = os.path.join(base, TARGET)
        self.mkpath(os.path.dirname(target))
        doc = _exercise_tables_module().package_data()
        with open(target, "w", encoding="utf-8") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        self.announce(f"writing {target} (garmin-fit-sdk {doc['sdk_version']})", level=2)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            outputs.append(os.path.join(self.build_lib, TARGET))
        return outputs


#: the FIT record walk in C (fitplug/activities/read/scan.py walks in Python
#: where it is not built): optional, so an install without a compiler still works
FITWALK = Extension(
    "fitplug.activities.read._fitwalk",
    sources=["fitplug/activities/read/_fitwalk.c"],
    optional=True,
)

#: one folder of the folder walk in C (fitplug/activities/files/folders.py lists it in Python where it is
#: not built; on Windows it is built without its function, and the Python listing is used)
FOLDERS = Extension(
    "fitplug.activities.files._folders",
    sources=["fitplug/activities/files/_folders.c"],
    optional=True,
)

setup(cmdclass={"build_py": BuildPyWithExerciseTables}, ext_modules=[FITWALK, FOLDERS])

"""The package's import rules (docs/architecture.md), checked on the source itself.

Every ``import`` and ``from … import`` of every module under ``fitplug/`` is
read with :mod:`ast` (those under ``if TYPE_CHECKING:`` are left out: they
never run). The rules:

- no import cycle between fitplug's modules;
- the library never imports the CLI;
- the due rule (``activities/rule/``) imports no I/O;
- writers (FIT workouts, the feed) take data, never the store;
- readers of activity and workout files never import a writer;
- each stage imports only the stages before it (programme → present → watch, calendar →
  activities → progress → app → cli; progress, the page writer, takes data and never reaches
  activities);
- the CLI reaches the stages only through the application layer: it imports ``fitplug.app``,
  the presenter ``fitplug.present`` and the shared modules, nothing else;
- fitplug's own modules are imported at the top of a module, except in the CLI,
  whose commands load the application layer when they run (``fitplug --help``
  loads none of it), and for the few deferrals :data:`DEFERRED` names with
  their reason;
- no package holds more than 10 modules directly, no module more than 500 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "fitplug"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.AST, module: str) -> Iterator[tuple[str, bool]]:
    """``(imported module, at module level)`` for every import that runs."""

    def walk(node: ast.AST, top: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, top
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module.split(".")
                    is_package = (PACKAGE / Path(*package[1:]) / "__init__.py").is_file()
                    anchor = package if is_package else package[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from fitplug.x import y` imports the module x.y when there is one (its
                # package's __init__ runs too, as for every submodule: not an edge of interest)
                submodules = [f"{base}.{a.name}" for a in child.names if f"{base}.{a.name}" in MODULES]
                yield from ((m, top) for m in submodules) if submodules else [(base, top)]
            else:
                inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                yield from walk(child, inner)

    yield from walk(tree, True)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH: dict[str, set[str]] = {}
LOCAL: dict[str, set[str]] = {}
THIRD_PARTY: dict[str, set[str]] = {}
for _name, _path in MODULES.items():
    _tree = ast.parse(_path.read_text(encoding="utf-8"))
    GRAPH[_name], LOCAL[_name], THIRD_PARTY[_name] = set(), set(), set()
    for _imported, _top in imports(_tree, _name):
        if _imported.startswith("fitplug"):
            target = _imported if _imported in MODULES else _imported.rpartition(".")[0]
            if target in MODULES and target != _name:
                GRAPH[_name].add(target)
                if not _top:
                    LOCAL[_name].add(target)
        else:
            THIRD_PARTY[_name].add(_imported.split(".")[0])


def reaches(start: str) -> set[str]:
    """Every fitplug module ``start`` imports, directly or not."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def under(*packages: str) -> list[str]:
    return [m for m in MODULES if any(m == p or m.startswith(p + ".") for p in packages)]


def test_the_modules_are_read() -> None:
    assert "fitplug.activities.rule.due" in MODULES and "fitplug.cli" in MODULES
    assert "fitplug.model" in GRAPH["fitplug.activities.rule.due"]


def test_no_import_cycle() -> None:
    cycles = sorted(m for m in MODULES if m in reaches(m) and m != "fitplug")
    # the package's __init__ re-exports lazily (by name, at first use): not an import
    assert cycles == []


def test_the_library_never_imports_the_cli() -> None:
    library = [m for m in MODULES if not m.startswith("fitplug.cli") and m != "fitplug.__main__"]
    assert [m for m in library if any(t.startswith("fitplug.cli") for t in GRAPH[m])] == []


#: what the due rule may use: plain data and dates
PURE_STDLIB = {
    "__future__",
    "datetime",
    "enum",
    "dataclasses",
    "collections",
    "typing",
    "math",
    "functools",
    "itertools",
    "zoneinfo",
    "bisect",
}


RULE = under("fitplug.activities.rule")


@pytest.mark.parametrize("rule", RULE)
def test_the_due_rule_does_no_io(rule: str) -> None:
    assert THIRD_PARTY[rule] <= PURE_STDLIB, THIRD_PARTY[rule] - PURE_STDLIB
    allowed = {"fitplug.programme.schedule", "fitplug.programme.steps", "fitplug.times", *under("fitplug.model"), *RULE}
    assert reaches(rule) <= allowed | {"fitplug"}, reaches(rule) - allowed
    for module in reaches(rule):
        assert THIRD_PARTY[module] <= PURE_STDLIB, (module, THIRD_PARTY[module] - PURE_STDLIB)


@pytest.mark.parametrize(
    "writer",
    [
        "fitplug.watch.workout",
        "fitplug.watch.install",
        "fitplug.watch.folder",
        "fitplug.calendar.feed",
        "fitplug.calendar.versions",
        "fitplug.calendar.zones",
        "fitplug.calendar.server",
        "fitplug.calendar.publish",
        "fitplug.progress.html",
        "fitplug.progress.svg",
        "fitplug.progress.model",
    ],
)
def test_writers_take_data_not_the_store(writer: str) -> None:
    assert not {m for m in reaches(writer) if m.startswith("fitplug.activities")}


WRITERS = {
    "fitplug.watch.workout",
    "fitplug.watch.install",
    "fitplug.watch.folder",
    "fitplug.calendar.feed",
    "fitplug.calendar.publish",
    "fitplug.atomic",
    *under("fitplug.activities.store"),
}


@pytest.mark.parametrize(
    "reader",
    [*under("fitplug.activities.files", "fitplug.activities.read"), "fitplug.watch.view", "fitplug.watch.devices"],
)
def test_readers_never_import_writers(reader: str) -> None:
    assert reaches(reader) & WRITERS == set()


#: each stage and the stages it may import (the shared modules at the top are open to all)
STAGES = {
    "fitplug.programme": set(),
    # the presenter: fitplug's words and JSON, over the model; the feed, the page and the watch's notes use it
    "fitplug.present": {"fitplug.programme"},
    "fitplug.watch": {"fitplug.programme", "fitplug.present"},
    "fitplug.calendar": {"fitplug.programme", "fitplug.present"},
    "fitplug.activities": {"fitplug.programme", "fitplug.present", "fitplug.watch"},
    # the progress page: a writer of HTML, like the feed (it takes the rule's answers as data)
    "fitplug.progress": {"fitplug.programme", "fitplug.present"},
    "fitplug.app": {
        "fitplug.programme",
        "fitplug.present",
        "fitplug.watch",
        "fitplug.calendar",
        "fitplug.activities",
        "fitplug.progress",
    },
    # the command line reaches the stages only through the application layer
    "fitplug.cli": {"fitplug.app", "fitplug.present"},
}
SHARED = {
    "fitplug",
    "fitplug.errors",
    "fitplug.atomic",
    "fitplug.settings",
    "fitplug.times",
    "fitplug.kept",
    "fitplug.processes",
    *under("fitplug.model"),
}


def stage_of(module: str) -> str | None:
    if module == "fitplug.__main__":
        return "fitplug.cli"
    return next((s for s in STAGES if module == s or module.startswith(s + ".")), None)


def test_each_stage_imports_only_the_stages_before_it() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        stage = stage_of(module)
        for target in targets:
            other = stage_of(target)
            if stage is None:  # a shared module: imports only shared ones
                if target not in SHARED:
                    wrong.append((module, target))
            elif other is not None and other != stage and other not in STAGES[stage]:
                wrong.append((module, target))
    assert wrong == []


#: the library's own imports made when a function runs, each with its reason; no other is allowed
DEFERRED = {
    "fitplug.app.sync": {
        "fitplug.app.watch": "a sync with no watch named or remembered starts without the watch half "
        "(MTP, install, the workout and feed writers): most of what a warm sync would import"
    },
    "fitplug.activities.ingest": {
        "fitplug.activities.read.pool": "a sync with nothing new to read loads no reader (FIT readers, pool)"
    },
    "fitplug.model": {"fitplug.model.workout": "a workout file read back: only `show` and `watch` load its classes"},
    "fitplug.activities.files.sources": {
        "fitplug.activities.files.zips": "a sync of folders of FIT files loads no zip reader (zipfile, inflater)"
    },
}


def test_own_modules_are_imported_at_the_top_outside_the_cli() -> None:
    late = {m: sorted(t) for m, t in LOCAL.items() if t and not m.startswith("fitplug.cli")}
    assert late == {m: sorted(t) for m, t in DEFERRED.items()}


def test_no_module_is_too_big_to_read() -> None:
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in sizes.items() if n > 500} == {}


def test_no_package_is_a_bag() -> None:
    """A package holds at most 10 modules directly (its __init__ aside); more is a sign of several stages."""
    counts = {
        str(d.relative_to(ROOT)): sum(1 for p in d.glob("*.py") if p.name != "__init__.py")
        for d in [PACKAGE, *PACKAGE.rglob("*")]
        if d.is_dir() and (d / "__init__.py").is_file()
    }
    assert {d: n for d, n in counts.items() if n > 10} == {}


def test_the_cli_reaches_stages_only_through_the_app() -> None:
    """Every import the CLI makes, at the top or inside a command: the app, the presenter, shared modules."""
    open_to_it = {*under("fitplug.app", "fitplug.present", "fitplug.cli"), *SHARED}
    wrong = {m: sorted(t - open_to_it) for m in under("fitplug.cli") for t in [GRAPH[m]] if t - open_to_it}
    assert wrong == {}

"""The checker's tools: key paths, the list of problems, and typed readers of TOML values.

A key path is a tuple (``("sessions", 1, "days", 0)``), rendered for people as
``sessions[1].days[0]``. Readers take the :class:`Problems` they report to and
return ``None`` (or a safe default) for a value they refused; each part of the
file (``checkexercises``, ``checksessions``, ``load``) is built from them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from fitplug.errors import Problem

#: a key path: table keys and array indexes
KeyPath = tuple[str | int, ...]

T = TypeVar("T")
MISSING: Any = object()

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–]\s*(\d+))?\s*$")


def render(path: KeyPath) -> str:
    """``("sessions", 1, "days")`` → ``sessions[1].days``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Problems:
    """Problems found so far, each with its line; :meth:`part` tracks one part of the file.

    Every part shares the one list, so problems keep the order they were found in;
    a part's :attr:`found` says whether it (or a part inside it) reported one.
    """

    def __init__(
        self, lines: Mapping[str, int], *, _into: list[Problem] | None = None, _parent: Problems | None = None
    ) -> None:
        self.lines = lines
        self.items: list[Problem] = [] if _into is None else _into
        self.found = False
        self._parent = _parent

    def fail(self, path: KeyPath, message: str) -> None:
        self.items.append(Problem(render(path), message, self.line(path)))
        part: Problems | None = self
        while part is not None:
            part.found = True
            part = part._parent

    def part(self) -> Problems:
        """A view of the same list whose :attr:`found` is about what is reported through it."""
        return Problems(self.lines, _into=self.items, _parent=self)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of the nearest enclosing key the text shows."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(render(path[:end]))
            if line is not None:
                return line
        return None

    def in_document_order(self) -> list[Problem]:
        """A problem without a line goes after those with one."""
        return sorted(self.items, key=lambda p: p.line if p.line is not None else 1 << 30)


# -- readers ---------------------------------------------------------------


def table(problems: Problems, value: Any, path: KeyPath, allowed: Iterable[str]) -> dict[str, Any]:
    """``value`` as a table (``{}`` if it is not one), each unknown key reported."""
    if not isinstance(value, dict):
        problems.fail(path, f"must be a table, got {kind_of(value)}")
        return {}
    allowed = tuple(allowed)
    for key in value:
        if key not in allowed:
            import difflib  # here: only a mistake is matched against what was meant

            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(allowed)}"
            problems.fail((*path, key), f"unknown key{hint}")
    return value


def get(
    problems: Problems, table: Mapping[str, Any], path: KeyPath, key: str, kind: type[T], default: Any = MISSING
) -> T | None:
    """``table[key]`` when it is of ``kind`` (an int is a float too); ``default`` when absent."""
    if key not in table:
        if default is MISSING:
            problems.fail((*path, key), "is required")
            return None
        return default  # type: ignore[no-any-return]  # defaults are of kind T
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]  # float is T here
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        problems.fail((*path, key), f"must be {kind_name(kind)}, got {kind_of(value)}")
        return None
    return value


def integer(
    problems: Problems,
    table: Mapping[str, Any],
    path: KeyPath,
    key: str,
    low: int,
    high: int,
    default: Any = MISSING,
    unit: str = "",
) -> int | None:
    value = get(problems, table, path, key, int, default)
    if isinstance(value, int) and not low <= value <= high:
        problems.fail((*path, key), f"must be between {low} and {high}{unit}, got {value}")
        return None
    return value


def text(
    problems: Problems,
    table: Mapping[str, Any],
    path: KeyPath,
    key: str,
    default: Any = MISSING,
    max_bytes: int | None = None,
    max_chars: int | None = None,
    single_line: bool = True,
    why: str = "the watch shows at most",
    name: bool = False,
) -> str | None:
    """A string that a watch and a calendar can show, within the size limits."""
    value = get(problems, table, path, key, str, default)
    if not isinstance(value, str):
        return value
    problem = _text_problem(value, single_line, name) or _size_problem(value, max_bytes, max_chars, why)
    if problem:
        problems.fail((*path, key), problem)
        return None
    return value


def _text_problem(value: str, single_line: bool, name: bool) -> str | None:
    problem = clean_text(value)
    if problem is None and single_line and ("\n" in value or "\t" in value):
        problem = "must be a single line"
    if problem is None and name and not value.strip():
        problem = "must not be empty: the watch and the calendar show it"
    return problem


def _size_problem(value: str, max_bytes: int | None, max_chars: int | None, why: str) -> str | None:
    if max_bytes is not None and len(value.encode()) > max_bytes:
        return f"is {len(value.encode())} bytes of UTF-8; {why} {max_bytes}"
    if max_chars is not None and len(value) > max_chars:
        return f"is {len(value)} characters; at most {max_chars}"
    return None


def clean_text(value: str) -> str | None:
    """Why ``value`` cannot reach a watch or a calendar, or ``None`` when it can."""
    for ch in value:
        if ch.isprintable() or ch in "\n\t\u200d\ufe0f":  # joiners inside emoji are harmless
            continue
        if unicodedata.category(ch) in ("Zs", "Zl", "Zp"):
            # watch fonts lack the unusual spaces, and a line separator splits a line
            return f"contains the space or separator character U+{ord(ch):04X}; use a plain space"
        return f"contains the control or formatting character U+{ord(ch):04X}"
    return None


def range_(problems: Problems, value: Any, path: KeyPath, low: int, high: int, unit: str) -> tuple[int, int] | None:
    """An int, ``"12-15"`` or ``[12, 15]`` → (low, high) inside the bounds."""
    pair = _pair(value)
    if pair is None:
        problems.fail(path, f'must be a number or a range like "{low}-{high}" or [{low}, {high}], got {value!r}')
    elif pair[0] > pair[1]:
        problems.fail(path, f"range goes down ({pair[0]} > {pair[1]})")
    elif pair[0] < low or pair[1] > high:
        problems.fail(path, f"must be between {low} and {high}{unit}, got {value!r}")
    else:
        return pair
    return None


def _pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, str) and (m := _RANGE.match(value)):
        return (int(m.group(1)), int(m.group(2) or m.group(1)))
    if isinstance(value, list) and len(value) == 2 and all(is_int(v) for v in value):
        return (value[0], value[1])
    return None


def slug(problems: Problems, table: Mapping[str, Any], path: KeyPath, key: str) -> str | None:
    value = get(problems, table, path, key, str)
    if isinstance(value, str) and not _SLUG.match(value):
        problems.fail((*path, key), "must be 1–40 lowercase letters, digits or '-', starting with a letter or digit")
        return None
    return value


def is_int(value: Any) -> bool:
    """An integer and not a boolean (``True`` is an ``int`` to Python, not to TOML)."""
    return isinstance(value, int) and not isinstance(value, bool)


def suggest(value: str, choices: Iterable[str]) -> str:
    import difflib  # here: only a mistake is matched against what was meant

    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def kind_of(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def kind_name(kind: type) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(kind, kind.__name__)

"""Where keys stand in TOML text: ``tomllib`` loads values but keeps no positions.

The programme checker uses this to put a line number on every problem it can.
"""

from __future__ import annotations

from collections.abc import Mapping


def index_lines(text: str) -> dict[str, int]:
    """Map key paths (``sessions[1].days``) to the 1-based line that sets them.

    ``tomllib`` keeps no positions, so this reads the text line by line: table
    headers, array-of-table headers and ``key = value`` lines. Values spread
    over several lines, and keys inside inline tables, are found by their first line only.
    """
    lines: dict[str, int] = {}
    table = ""
    arrays: dict[str, int] = {}
    depth = 0  # open brackets of a multi-line array
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_string:
            if in_string in stripped:
                in_string = None
            continue
        if depth > 0:
            depth += stripped.count("[") - stripped.count("]")
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            name = _key_path(stripped[2:].split("]]", 1)[0])
            arrays[name] = arrays.get(name, -1) + 1
            table = f"{name}[{arrays[name]}]"
            lines.setdefault(table, number)
            continue
        if stripped.startswith("["):
            table = _resolve(_key_path(stripped[1:].split("]", 1)[0]), arrays)
            lines.setdefault(table, number)
            continue
        if "=" in stripped:
            key, value = stripped.split("=", 1)
            path = f"{table}.{_key_path(key)}" if table else _key_path(key)
            lines.setdefault(path, number)
            value = value.strip()
            for quote in ('"""', "'''"):
                if value.startswith(quote) and value.count(quote) == 1:
                    in_string = quote
            if not in_string:
                depth = value.count("[") - value.count("]")
                depth = max(depth, 0)
    return lines


def _key_path(raw: str) -> str:
    parts = [p.strip().strip("\"'") for p in raw.split(".")]
    return ".".join(parts)


def _resolve(name: str, arrays: Mapping[str, int]) -> str:
    """``sessions.extra`` under the latest ``[[sessions]]`` is ``sessions[N].extra``."""
    for prefix, index in arrays.items():
        if name.startswith(prefix + "."):
            return f"{prefix}[{index}]{name[len(prefix) :]}"
    return name

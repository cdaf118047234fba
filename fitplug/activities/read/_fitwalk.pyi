"""The FIT record walk of fitplug's fast reader, in C (see _fitwalk.c)."""

from collections.abc import Container

from fitplug.activities.files.fitfile import Buffer

def walk(
    buf: Buffer, start: int, end: int, wanted: Container[int], /
) -> tuple[list[int | tuple[int, int]], tuple[str, int] | None]: ...

"""One folder of fitplug's folder walk, in C (see _folders.c); POSIX only: not on Windows."""

from collections.abc import Callable

from fitplug.activities.files.folders import FileStat, Listing

def list_folder(
    folder: str,
    seen: set[str] | None,
    known: dict[str, tuple[int, int, bool]] | None,
    make_stat: Callable[[int, int, int], FileStat],
    /,
) -> Listing: ...
def _test_hooks(use_d_type: bool, between: Callable[[str], object] | None, /) -> None: ...

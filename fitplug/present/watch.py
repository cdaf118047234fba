"""Words for the watch commands: what `fitplug build` wrote and what `fitplug install` did."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fitplug.model import WRITES, Install, InstallResult
from fitplug.present import words

#: statuses that leave a file off the watch because of someone else's file
_BLOCKED = frozenset({Install.CONFLICT, Install.HELD_BACK})


def build_lines(paths: Sequence[Path], removed: Sequence[Path], output_dir: Path, remembered: Path | None) -> list[str]:
    """``Wrote 6 files to out:`` and each name; fitplug's own stale workouts removed; the programme remembered."""
    lines = [f"Wrote {words.plural(len(paths), 'file')} to {output_dir}:", *(f"  {p.name}" for p in paths)]
    lines += [f"Removed {p.name}: fitplug's own workout, no longer in the programme." for p in removed]
    if remembered is not None:
        lines.append(f"Remembered {remembered} as the programme for later commands.")
    return lines


def build_conflict(conflicts: Sequence[Path], output_dir: Path) -> str:
    """The error when a file fitplug did not write holds a name the build needs."""
    return (
        f"{', '.join(p.name for p in conflicts)}: a file fitplug did not write is already in {output_dir}; "
        "left as it was (the other files were written). Move it away and build again"
    )


def install_lines(where: str, results: Sequence[InstallResult], *, dry_run: bool) -> list[str]:
    """The watch and its inbox, a row a file (what happened, and why when it did not go), then the sum."""
    lines = [where]
    width = max((len(r.status) for r in results), default=0)
    for r in results:
        why = f"  ({r.reason})" if r.reason else ""
        lines.append(f"  {r.status:<{width}}  {r.name}{why}")
    moved = sum(r.status in WRITES for r in results)
    if dry_run:
        lines.append(f"Dry run: {words.plural(moved, 'file')} would be copied; nothing was written.")
    elif moved:
        lines.append(f"Copied {words.plural(moved, 'file')}. Eject the watch; it imports them when it is unplugged.")
    else:
        lines.append("Nothing to copy.")
    return lines


def install_conflict(results: Sequence[InstallResult], newfiles: str) -> str | None:
    """The error when a file fitplug did not write kept files off the watch (``None``: none did)."""
    blocked = [r.name for r in results if r.status in _BLOCKED]
    if not blocked:
        return None
    return (
        f"{', '.join(blocked)}: not copied; a file fitplug did not write has that name in {newfiles} "
        "(left as it was; the other files went). Move it away and run install again"
    )

"""Words for the watch commands: what `fitplug build` wrote and what `fitplug install` did."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fitplug.model import WRITES, Install, InstallResult, WatchReport
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


# --- fitplug watch ---------------------------------------------------------------------------


def watch_lines(r: WatchReport) -> list[str]:
    """What `fitplug watch` prints: the watch, its folders, and what it did with fitplug's files."""
    about = ", ".join(x for x in (f"software {r.software}" if r.software else "", r.part_number or "") if x)
    lines = [f"{r.name}" + (f" ({about})" if about else "")]
    lines += [f"  {what}: {where}" for what, where in r.folders.items()]
    if r.free_bytes is not None:
        lines.append(f"  free: {r.free_bytes / 1e6:.1f} MB")
    taken = ", ".join(r.on_watch) if r.on_watch else "none of this programme's files yet"
    lines.append(f"On the watch: {taken}.")
    if r.waiting:
        lines.append(
            "Waiting in NewFiles (the watch takes them in when it next restarts or starts an activity): "
            f"{', '.join(r.waiting)}."
        )
    if r.not_taken:
        lines.append(
            f"Not taken: {', '.join(r.not_taken)} stayed in NewFiles although the watch recorded an activity since: "
            "it looked and refused them (see the README on what to send in a bug report)."
        )
    if r.stale:
        lines.append(
            f"Dropped from the programme but still on the watch: {', '.join(r.stale)} (`fitplug install` removes them)."
        )
    lines.append(
        f"Workouts on the watch: {r.kept} ({words.plural(r.strangers, 'other')}); room for {r.room} more "
        "before it drops some without a word."
    )
    if r.habit is not None and r.habit.days:
        days = ", ".join(f"{words.WEEKDAYS[d][:3]} {t:%H:%M}" for d, t in r.habit.days)
        lines.append(f"Post-run sets on the watch's calendar: {days} (your usual run days).")
    lines += [f"Note: {n}." for n in r.notes]
    return lines


def watch_json(r: WatchReport) -> dict[str, object]:
    """The ``fitplug.watch/1`` document (docs/json.md)."""
    return {
        "schema": "fitplug.watch/1",
        "name": r.name,
        "model": r.model,
        "software": r.software,
        "part_number": r.part_number,
        "folders": dict(r.folders),
        "free_bytes": r.free_bytes,
        "on_watch": list(r.on_watch),
        "newfiles_waiting": list(r.waiting),
        "not_taken": list(r.not_taken),
        "stale": list(r.stale),
        "strangers": r.strangers,
        "workouts_kept": r.kept,
        "room": r.room,
        "notes": list(r.notes),
        "run_days": [
            {"weekday": words.WEEKDAYS[d].lower(), "time": f"{t:%H:%M}"} for d, t in (r.habit.days if r.habit else ())
        ],
    }


def install_findings(before: WatchReport | None) -> list[str]:
    """A line or two on what the watch had done with fitplug's files before this install."""
    if before is None or not (before.on_watch or before.not_taken):
        return []
    workouts = [n for n in before.on_watch if n != "schedule.fit"]
    took = words.plural(len(workouts), "workout") + (" and the schedule" if "schedule.fit" in before.on_watch else "")
    line = f"The watch had taken {took} of this programme"
    if before.not_taken:
        line += f"; it left {', '.join(before.not_taken)} in NewFiles after an activity since (it refused them)"
    return [line + " — see `fitplug watch`."]

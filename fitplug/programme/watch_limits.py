"""What a Garmin watch keeps and shows, checked on the programme before anything is built.

- A watch keeps about 25 imported workouts (older ones are silently deleted)
  and about 30 schedule entries (complacentsee/training-coach; jpickup/GarminTools #24, #26).
- It de-duplicates imported workouts on the first 15 characters of their
  name (training-coach ``fit.go``): two names alike in those are one workout.
- Its fonts cover Latin-1 at best: Garmin Connect's own files stay within it.
  fitplug's generated text is ASCII (:func:`ascii_text`); the runner's own
  text is only warned about (:func:`font_warnings`).
- The post-run sets are named so they differ in those 15 characters
  (:func:`fitplug.programme.schedule.variant_name`).
- File names: a session id becomes ``<id>.fit`` beside ``schedule.fit``, so
  ``schedule`` is taken.

Pure functions on the model: :mod:`fitplug.programme.load` reports the
errors and ``fitplug check`` prints the warnings.
"""

from __future__ import annotations

from fitplug.model import Programme, Session
from fitplug.programme.schedule import NAME_KEY_CHARS, name_key, post_run_variants

#: workouts a watch keeps
MAX_WORKOUTS = 25
#: schedule entries a watch keeps
MAX_SCHEDULE_ENTRIES = 30
#: ids that would collide with the files fitplug writes beside the workouts
RESERVED_IDS = frozenset({"schedule"})

#: what fitplug's generated text used outside ASCII, and what the watch gets instead
_ASCII = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u00d7": "x",
        "\u2026": "...",
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
    }
)


def ascii_text(text: str) -> str:
    """Generated text as the watch gets it: dashes, "×" and "…" spelled in ASCII."""
    return text.translate(_ASCII)


def all_workouts(programme: Programme) -> list[Session]:
    """Every workout the programme puts on the watch: its sessions, then the post-run variants."""
    return [*programme.sessions, *post_run_variants(programme)]


def limit_problems(programme: Programme) -> list[tuple[tuple[str | int, ...], str]]:
    """(key path, message) for what a watch could not keep as planned."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for i, session in enumerate(programme.sessions):
        if session.id in RESERVED_IDS:
            found.append(
                (
                    ("sessions", i, "id"),
                    (f"{session.id!r} is the name of fitplug's schedule file ({session.id}.fit); choose another id"),
                )
            )
    workouts = all_workouts(programme)
    if len(workouts) > MAX_WORKOUTS:
        found.append(
            (
                ("sessions",),
                (
                    f"makes {len(workouts)} workouts ({len(programme.sessions)} sessions and "
                    f"{len(workouts) - len(programme.sessions)} post-run sets); a Garmin watch "
                    f"keeps about {MAX_WORKOUTS} and silently drops the rest"
                ),
            )
        )
    seen: dict[str, int] = {}
    for i, session in enumerate(programme.sessions):
        key = name_key(session.name)
        if key in seen:
            other = programme.sessions[seen[key]].name
            found.append(
                (
                    ("sessions", i, "name"),
                    (
                        f"{session.name!r} and {other!r} share their first "
                        f"{NAME_KEY_CHARS} characters; a watch keeps only one of them"
                    ),
                )
            )
        else:
            seen[key] = i
    for variant in workouts[len(programme.sessions) :]:
        key = name_key(variant.name)
        if key in seen:
            found.append(
                (
                    ("post_run", "name"),
                    (
                        f"{variant.name!r} shares its first {NAME_KEY_CHARS} characters "
                        f"with the session {programme.sessions[seen[key]].name!r}"
                    ),
                )
            )
    return found


def _odd_characters(text: str) -> list[str]:
    return sorted({c for c in text if ord(c) > 0xFF or (ord(c) < 0x20 and c != "\n")})


def font_warnings(programme: Programme) -> list[str]:
    """Where the runner's own text uses characters a watch font may lack (beyond Latin-1: emoji…)."""
    texts: list[tuple[str, str]] = []
    for session in programme.sessions:
        texts.append((f"session {session.id} name", session.name))
    if programme.post_run is not None:
        texts.append(("post_run name", programme.post_run.name))
    seen: set[str] = set()
    for session in all_workouts(programme):
        for ex in session.exercises:
            if ex.id in seen:
                continue
            seen.add(ex.id)
            for field, value in (("title", ex.title), ("cue", ex.cue), ("band", ex.band), ("equipment", ex.equipment)):
                texts.append((f"exercise {ex.id} {field}", value or ""))
    warnings = []
    for where, text in texts:
        odd = _odd_characters(text)
        if odd:
            shown = " ".join(f"{c!r} (U+{ord(c):04X})" for c in odd)
            warnings.append(f"{where}: {shown} may show as a box on a watch (its fonts cover Latin-1)")
    return warnings


def schedule_span_weeks(programme: Programme) -> float | None:
    """How many weeks the watch's 30 schedule entries cover, or ``None`` with no planned days."""
    per_week = sum(len(s.days) for s in programme.sessions)
    return MAX_SCHEDULE_ENTRIES / per_week if per_week else None

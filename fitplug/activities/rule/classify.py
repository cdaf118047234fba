"""What a recorded activity was: one function, :func:`classify`, decides (pure: no I/O).

Every fitplug workout is written as ``training/strength_training`` (that is
what a watch needs to run reps and holds), so a watch records the post-run
stretch workout with the sport of a strength session. The sport alone cannot
tell them apart; the workout name the activity records can. The order:

1. running legs (``running`` with a road, trail, track or treadmill
   sub_sport, or none) that last the programme's ``due.min_run_min`` in all:
   **run**;
2. the activity names a fitplug workout (``workout.wkt_name``): the kind that
   workout was planned as: a post-run variant or a stretch session is
   **stretch**, a strength session **strength**;
3. otherwise the sport: a stretching sub_sport or sport (flexibility
   training, yoga, mobility) is **stretch**; ``training/strength_training``
   is **strength**, unless every active set with an exercise is a stretch
   (then **stretch**), so a short jog before a strength leg stays strength;
4. a shorter run is still a **run** (one that makes nothing due);
5. anything else keeps its FIT sport (``cycling``).

The threshold is the programme's, always: every command asks this one
function and gets the one answer.

The table of cases is in ``tests/test_classify.py``; docs/due-rule.md says it in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fitplug.model import (
    ActivityKind,
    ActivitySession,
    ActivitySummary,
    Classification,
    ClassifiedBy,
    DueRule,
    Exercise,
    Hold,
    Programme,
    Session,
    SessionKind,
    SetRecord,
)
from fitplug.programme.schedule import post_run_variants

#: running sub_sports that count as a training run (``None``: the file does not say)
RUN_SUB_SPORTS = frozenset(
    {None, "generic", "street", "road", "trail", "treadmill", "track", "indoor_running", "virtual_activity"}
)
#: sub_sports of a stretching session, whatever the sport
STRETCH_SUB_SPORTS = frozenset({"flexibility_training", "yoga", "mobility"})
#: sports that are stretching whatever the sub_sport
STRETCH_SPORTS = frozenset({"mobility", "yoga", "flexibility_training"})

#: FIT profile exercises (category → name ids) that are stretches: every name with
#: "stretch" or "pigeon" in it (garmin-fit-sdk 21.218); the whole ``pose`` category is yoga
STRETCH_EXERCISES: dict[str, frozenset[int]] = {
    "core": frozenset({55, 67, 83, 86}),
    "hip_stability": frozenset({34}),
    "move": frozenset({2, 16, 17, 22, 23, 27, 31, 36, 43, 47, 48, 52}),
    "pose": frozenset({45, 77}),
    "warm_up": frozenset({11, 19, *range(31, 71), 84, 85, 87, 89, 90}),
}
#: categories whose every exercise is held like a stretch
STRETCH_CATEGORIES = frozenset({"pose"})


def is_run(session: ActivitySession) -> bool:
    return session.sport == "running" and session.sub_sport in RUN_SUB_SPORTS


def _stretch_sport(s: ActivitySession) -> bool:
    return s.sport in STRETCH_SPORTS or s.sub_sport in STRETCH_SUB_SPORTS


def _strength_sport(s: ActivitySession) -> bool:
    return s.sport == "training" and s.sub_sport == "strength_training"


def exercise_key(exercise: Exercise) -> tuple[str, int | None]:
    g = exercise.garmin
    return g.category, g.name_id


def set_matches(category: str | None, name: int | None, key: tuple[str, int | None]) -> bool:
    """A recorded set is of this exercise (a watch may record the category alone; that is enough)."""
    return category == key[0] and (key[1] is None or name is None or name == key[1])


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def fitplug_workout(
    summary: ActivitySummary, programme: Programme, variants: Sequence[Session] | None = None
) -> Session | None:
    """The programme's workout this activity was done from, by the name the activity records.

    A post-run set is known by the name the watch shows (``Post-run 2 Stretch``), by the
    name fitplug gave it before it wrote the watch's name everywhere (``Post-run Stretch
    2``), and as a renamed copy (``Post-run Stretch (copy)``: the first set).
    """
    if not summary.workout_name:
        return None
    name = _norm(summary.workout_name)
    for session in programme.sessions:
        if _norm(session.name) == name:
            return session
    variants = post_run_variants(programme) if variants is None else variants
    post = programme.post_run
    for n, variant in enumerate(variants, 1):
        older = f"{post.name} {n}" if post is not None and len(variants) > 1 else variant.name
        if name in (_norm(variant.name), _norm(older)):
            return variant
    if post is not None and variants and name.startswith(_norm(post.name)):
        return variants[0]
    return None


def active_sets(summary: ActivitySummary) -> list[SetRecord]:
    """The working sets the watch recorded (rests left out)."""
    return [s for s in summary.sets if s.set_type == "active"]


def exercise_sets(summary: ActivitySummary, key: tuple[str, int | None]) -> list[SetRecord]:
    """The working sets recorded as one Garmin exercise (``key``: :func:`exercise_key`)."""
    return [s for s in active_sets(summary) if set_matches(s.category, s.exercise_name, key)]


def held_keys(programme: Programme) -> list[tuple[str, int | None]]:
    """The programme's own held exercises (its stretches), as Garmin keys."""
    exercises = [e for s in programme.sessions for e in s.exercises]
    if programme.post_run is not None:
        exercises += [*programme.post_run.always, *programme.post_run.rotation]
    return [exercise_key(e) for e in exercises if isinstance(e.dose, Hold)]


def has_stretches(programme: Programme) -> bool:
    """The programme holds stretches (a held exercise in a session, or a post-run set): only then is
    there a stretching target to keep."""
    return programme.post_run is not None or bool(held_keys(programme))


def holds_stretches(
    summary: ActivitySummary,
    c: Classification,
    programme: Programme,
    held: list[tuple[str, int | None]] | None = None,
) -> bool:
    """A strength session that holds the programme's stretches, so its day is a stretching day too:
    one of its recorded sets is a stretch, or (no set recorded) it was done as a fitplug session that
    holds stretches. ``held``: the programme's :func:`held_keys`, when worked out already."""
    if c.kind != ActivityKind.STRENGTH:
        return False
    active = [s for s in active_sets(summary) if s.category]
    if active:
        held = held_keys(programme) if held is None else held
        return any(is_stretch_set(s.category, s.exercise_name, held) for s in active)
    return c.session is not None and any(isinstance(e.dose, Hold) for e in c.session.exercises)


def is_stretch_set(category: str | None, name: int | None, held: list[tuple[str, int | None]]) -> bool:
    """A recorded set is a stretch: the profile says so, or it is one of the programme's holds."""
    if category is None:
        return False
    if category in STRETCH_CATEGORIES or (name is not None and name in STRETCH_EXERCISES.get(category, ())):
        return True
    return name is not None and any(k == (category, name) for k in held)


def post_run_by_sets(
    summary: ActivitySummary, programme: Programme, variants: Sequence[Session] | None = None
) -> Session | None:
    """The post-run variant whose every exercise the active sets hold, if one does."""
    active = [(s.category, s.exercise_name) for s in active_sets(summary) if s.category]
    if not active:
        return None
    for variant in post_run_variants(programme) if variants is None else variants:
        keys = [exercise_key(e) for e in variant.exercises]
        if keys and all(any(set_matches(c, n, k) for c, n in active) for k in keys):
            return variant
    return None


def min_run_s(programme: Programme | None) -> float:
    """How long running legs must last in all to be a run that counts (the programme's ``due.min_run_min``)."""
    return 60.0 * (programme.due if programme is not None else DueRule()).min_run_min


def classify(summary: ActivitySummary, programme: Programme | None) -> Classification:
    """What ``summary`` was (see the module's docstring for the order of the rules)."""
    return _classify(summary, programme, None)


def classify_all(activities: Iterable[ActivitySummary], programme: Programme | None) -> list[Classification]:
    """:func:`classify` of each activity, in order: the programme's post-run variants worked out once."""
    variants = post_run_variants(programme) if programme is not None else []
    return [_classify(a, programme, variants) for a in activities]


def _classify(
    summary: ActivitySummary, programme: Programme | None, variants: Sequence[Session] | None
) -> Classification:
    """:func:`classify`, given the programme's post-run variants (``None``: worked out when needed)."""
    if not summary.sessions:
        return Classification(ActivityKind.OTHER, by=ClassifiedBy.NO_SESSION)
    legs = [s for s in summary.sessions if is_run(s)]
    if legs and sum(float(s.elapsed_s or s.timer_s or 0.0) for s in legs) >= min_run_s(programme):
        return Classification(ActivityKind.RUN)
    if programme is not None:
        session = fitplug_workout(summary, programme, variants)
        if session is not None:
            if session.kind is SessionKind.STRENGTH:
                return Classification(ActivityKind.STRENGTH, session, by=ClassifiedBy.WORKOUT_NAME)
            return Classification(
                ActivityKind.STRETCH,
                session,
                post_run=session.kind is SessionKind.POST_RUN,
                by=ClassifiedBy.WORKOUT_NAME,
            )
    variant = post_run_by_sets(summary, programme, variants) if programme is not None else None
    post = variant is not None
    if any(_stretch_sport(s) for s in summary.sessions):
        return Classification(ActivityKind.STRETCH, variant, post_run=post)
    if any(_strength_sport(s) for s in summary.sessions):
        held = held_keys(programme) if programme is not None else []
        active = [s for s in active_sets(summary) if s.category]
        if active and all(is_stretch_set(s.category, s.exercise_name, held) for s in active):
            return Classification(ActivityKind.STRETCH, variant, post_run=post, by=ClassifiedBy.SETS)
        return Classification(ActivityKind.STRENGTH)
    if legs:
        return Classification(ActivityKind.RUN)  # a short run is still a run, just not one that counts
    return Classification(summary.sessions[0].sport)

"""Connects the pieces: programme → workout files, schedule, calendar feed.

The only module that writes output files; every write is atomic
(:func:`fitplug.atomic.write_atomic`).
"""

from __future__ import annotations


# --- workouts and schedule ------------------------------------------------------



# --- calendar feed ---------------------------------------------------------------



# --- end -------------------------------------------------------------------------

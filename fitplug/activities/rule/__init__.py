"""The due rule and what it needs, pure (no clock, no I/O): history + programme + now → a Decision.

- :mod:`.classify`: what an activity was (run, strength, stretching);
- :mod:`.due`: :func:`~.due.decide`, post-run sets, missed strength days;
- :mod:`.plan`: a strength activity against its planned session;
"""

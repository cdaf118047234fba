"""Recorded activities, by stage: where the files are, reading them, the store, the rule.

- :mod:`.files`: the sources (folders, a watch, ``.fit``/``.fit.gz``, export zips) walked
  into one event per file, zips read safely, a FIT file opened once (size cap, sniff, CRC);
- :mod:`.read`: one file to an :class:`~fitplug.model.ActivitySummary` (``read_activity``:
  the fast scanner first, fitdecode deciding), and many files over the cores;
- :mod:`.store`: the SQLite store (schema, migrations, its file, a rebuild after damage);
- :mod:`.rule`: the due rule and what it needs, pure (classify, due, band, week, plan);
- :mod:`.ingest` (files → store, a sync) and :mod:`.tracking` (store → rule, and what it
  records) join them.
"""

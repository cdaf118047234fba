"""One activity file to an :class:`~fitplug.model.ActivitySummary`, and many files over the cores.

:func:`~.reader.read_activity` is the one way in (``crc=Crc.CHECK`` or
``Crc.SKIP``): the fast :mod:`.scan`ner first, fitdecode deciding whatever it
refuses; both map FIT messages to a summary through :mod:`.mapping`, with
values checked by :mod:`.sane`. :mod:`.pool` reads many files in worker
processes; :mod:`.outcome` is what one read gives (a summary, or why not).
"""

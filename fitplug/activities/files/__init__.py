"""Where activity files come from, and opening one (:mod:`.sources`, :mod:`.zips`, :mod:`.fitfile`).

:func:`~.sources.scan` walks folders, watches, single files and export zips
into :mod:`.events` without reading a byte of content; :mod:`.zips` refuses
what must not be read; :func:`~.fitfile.open_fit` opens a FIT file once (size
cap, header sniff, memory map) and checks its CRC.
"""

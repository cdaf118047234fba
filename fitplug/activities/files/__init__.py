"""Where activity files come from, and opening one (:mod:`.sources`, :mod:`.zips`, :mod:`.fitfile`).

:func:`~.sources.scan` walks folders (:mod:`.folders`, with its listing in C
where that is built), watches, single files and export zips into
:mod:`.events` without reading a byte of content; :mod:`.zips` refuses
what must not be read; :func:`~.fitfile.open_fit` opens a FIT file once (size
cap, header sniff, memory map) and checks its CRC. Under :mod:`.zips`:
:mod:`.listing` reads a zip's entry count and lenient names, :mod:`.inflate`
inflates members straight from the zip's file, :mod:`.ahead` finds a spooled
zip's members from their local headers while it is inflated, and
:mod:`.spools` keeps a sync's inflated nested zips.
"""

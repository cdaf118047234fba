"""The progress page: one self-contained HTML file showing the due rule's answers.

:mod:`fitplug.progress.model` holds the page's data (plain values, filled in by
:mod:`fitplug.app.progress` from what the rule decided); :mod:`~fitplug.progress.html`
writes the page; :mod:`~fitplug.progress.svg` draws its charts. Like the feed
writer, this package takes data and never reads the store.
"""

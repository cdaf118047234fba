"""The application layer: one function per command, which the CLI calls and prints.

Each function takes plain values (paths, times, flags), wires the stages
together (programme → watch files and feed; activity files → store → due
rule) and returns data; it never prints. Only ``init``, ``build`` and
``sync`` change what fitplug remembers (:mod:`fitplug.settings`), and their
results say when they did.
"""

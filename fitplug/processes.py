"""Whether a process runs here: what tells a temporary file a killed run left from one a live run writes."""

from __future__ import annotations

import os


def running(pid: int) -> bool:
    """A process ``pid`` runs on this machine. POSIX only: elsewhere, and for this very process, say yes
    (Windows' ``os.kill`` would end the process, not ask after it), so nothing is taken from a live run."""
    if os.name != "posix" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True

"""Process helpers shared by the model builders and pullers (stale temp folders, pull locks)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still exists (a permission error means it does).

    On Windows ``os.kill(pid, 0)`` would terminate the process, so there it answers ``True``:
    a stale folder or lock is then left for the person to remove, never a live one taken over.
    """
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

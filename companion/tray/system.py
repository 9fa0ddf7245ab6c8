"""Open URLs and folders with the desktop's own handler, frozen or not.

    open_target("http://127.0.0.1:8795/settings/login?t=...")
    open_target(Path("~/.local/share/feedlens").expanduser())

A PyInstaller build sets ``LD_LIBRARY_PATH`` to its own folder; a browser or file manager started
with it loads our bundled libraries and may crash. ``clean_env`` restores what was there before
(PyInstaller keeps it in ``LD_LIBRARY_PATH_ORIG``), as ActivityWatch's aw-qt does.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    if getattr(sys, "frozen", False):
        for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            orig = env.pop(f"{var}_ORIG", None)
            if orig is not None:
                env[var] = orig
            else:
                env.pop(var, None)
    return env


def open_target(target: str | Path) -> None:
    """Open a URL or a folder; raise ``OSError`` when no handler could be started."""
    target = str(target)
    if sys.platform == "win32":
        os.startfile(target)  # type: ignore[attr-defined]  # noqa: S606 - the desktop's handler is the point
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    # Detached, output discarded: the handler outlives this call and may print warnings of its own.
    subprocess.Popen([opener, target], env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    log.info("opened %s with %s", "a settings link" if "login?t=" in target else target, opener)

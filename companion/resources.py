"""Where Feedlens's own files are, from a source checkout and from the desktop build alike.

    >>> from companion.resources import resource_path
    >>> resource_path("web/static")            # .../companion/web/static
    >>> resource_path("tray/icons/running.png")

Paths are relative to the ``companion`` package. In the PyInstaller build (``build.spec``) the
package's data files are unpacked under ``sys._MEIPASS/companion/...``; ``build.spec`` must list
every file used here in its ``datas``.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Folder inside the desktop build that holds the models shipped with it (read-only).
BUNDLED_MODELS = "feedlens-models"


def is_frozen() -> bool:
    """True inside the PyInstaller desktop build."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_path(relative: str) -> Path:
    """Absolute path of ``relative`` (``/``-separated) inside the ``companion`` package."""
    base = Path(sys._MEIPASS) / "companion" if is_frozen() else Path(__file__).resolve().parent  # type: ignore[attr-defined]
    return base.joinpath(*relative.split("/"))


def bundled_models_dir() -> Path | None:
    """The models folder shipped inside the desktop build, or ``None`` (source checkout, or none shipped)."""
    if not is_frozen():
        return None
    path = Path(sys._MEIPASS) / BUNDLED_MODELS  # type: ignore[attr-defined]
    return path if path.is_dir() else None


def serving_models_dir(user_models_dir: Path) -> Path:
    """Where to load the encoder from: the user's models dir if the encoder is built there, else the
    desktop build's own copy (so a double-clicked app works without ``feedlens models build``)."""
    from models.encoder import is_built

    bundled = bundled_models_dir()
    if bundled is not None and not is_built(user_models_dir) and is_built(bundled):
        return bundled
    return user_models_dir

"""Model files as ``.npz``: named numpy arrays plus a JSON ``meta`` string, never pickles.

    >>> save_npz(path, {"format": 1, ...}, {"W0": w, ...})   # atomically
    >>> with open_npz(path) as (meta, z):                     # z["W0"], z.files
    ...     ...

Task heads (models/heads/format.py) and the encoder's tuned top (models/encoder/tuned.py) are
stored this way; each checks its own ``meta``. Reading raises one of :data:`READ_ERRORS` for a
damaged file, which callers turn into their own clear message.
"""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

# What a missing, truncated or foreign file raises (JSONDecodeError is a ValueError).
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile)


def save_npz(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (temp file + rename): a crash never leaves half a file in ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    tmp.replace(path)


@contextlib.contextmanager
def open_npz(path: Path) -> Iterator[tuple[dict[str, Any], Any]]:
    """``(meta, arrays)`` of a file written by :func:`save_npz`; arrays are read lazily, inside the block."""
    # Our own handle: numpy leaves its file open when the zip directory is damaged.
    with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
        yield json.loads(str(z["meta"])), z

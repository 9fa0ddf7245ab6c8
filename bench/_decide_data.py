"""Data and embedding helpers for ``bench/bench_decide.py`` (and the topic calibration it writes).

Usage::

    from bench._decide_data import stance_split, background_texts, embed_cached
    texts, topics = stance_split("val")
    X = embed_cached(texts, encoder)

Embeddings are cached under ``$TMPDIR/feedlens-decide-cache`` keyed by the encoder id and a hash of
the texts, so a re-run of the bench costs seconds, not minutes. Nothing from ``../shared/data`` is
copied into the repository: only derived statistics (a mean vector, two logistic coefficients) are.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FEEDLENS_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE = Path(tempfile.gettempdir()) / "feedlens-decide-cache"

# The five tweeteval-stance targets, named the way a person would type them as topics.
STANCE_TOPICS: dict[str, str] = {
    "abortion": "abortion",
    "atheism": "atheism and religion",
    "climate": "climate change",
    "feminist": "feminism",
    "hillary": "Hillary Clinton",
}

# Background sets for the centring vector: multilingual, and none of them is tweeteval-stance.
BACKGROUND_SETS = (
    "xlmt-sentiment",
    "weibo-emotion-zh",
    "reviews-sentiment-zh",
    "germeval-offensive-de",
    "goemotions",
    "sms-spam",
    "cold-offensive-zh",
    "tweeteval-irony",
)


def _read(name: str, split: str) -> list[dict]:
    path = DATA / name / f"{split}.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def stance_split(split: str) -> tuple[list[str], list[str]]:
    """Texts and their target (``abortion`` ...) of one tweeteval-stance split."""
    rows = _read("tweeteval-stance", split)
    return [r["text"] for r in rows], [r["topic"] for r in rows]


def distractor_texts(n: int = 600, seed: int = 7) -> list[str]:
    """Off-topic English tweets (tweeteval-emotion train) to measure false positives on a real feed."""
    rows = _read("tweeteval-emotion", "train")
    random.Random(seed).shuffle(rows)
    return [r["text"] for r in rows[:n]]


def short_texts(n: int = 400, seed: int = 1) -> list[str]:
    """Short off-topic comments (goemotions val, <= 4 words), the posts most easily mistaken for a topic."""
    rows = [r for r in _read("goemotions", "val") if len(r["text"].split()) <= 4]
    random.Random(seed).shuffle(rows)
    return [r["text"] for r in rows[:n]]


def background_texts(per_set: int = 150, seed: int = 11) -> list[str]:
    """A multilingual sample used only to estimate the encoder's mean direction (anisotropy)."""
    out: list[str] = []
    for name in BACKGROUND_SETS:
        rows = _read(name, "train")
        random.Random(seed).shuffle(rows)
        out.extend(r["text"] for r in rows[:per_set])
    return out


def embed_cached(texts: list[str], embed: Callable[[list[str]], np.ndarray], encoder_id: str,
                 batch: int = 64) -> np.ndarray:
    """``embed`` ``texts`` in batches, caching the matrix on disk by encoder id and content hash."""
    digest = hashlib.sha256(("\x00".join(texts) + encoder_id).encode("utf-8")).hexdigest()[:20]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{digest}.npy"
    if path.exists():
        return np.load(path)
    parts = [np.asarray(embed(texts[i:i + batch]), dtype=np.float32) for i in range(0, len(texts), batch)]
    X = np.vstack(parts) if parts else np.zeros((0, 384), np.float32)
    np.save(path, X)
    return X

"""Hand-made text features that some heads add to the encoder embedding.

    >>> extra_features(["great :)", "awful 😡"], ["vader", "emoji"]).shape
    (2, 6)

``vader``: VADER's neg / neu / pos / compound scores (English lexicon, also scores emoticons and
emoji through its emoji lexicon). ``emoji``: log(1 + number of emoji) and the VADER compound score of
the emoji alone. Both are cheap (pure Python, no model) and serve without sklearn or torch.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from models.errors import ModelUnavailable

FEATURE_SIZES: dict[str, int] = {"vader": 4, "emoji": 2}


@lru_cache(maxsize=1)
def _vader() -> Any:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as e:  # pragma: no cover - installed with feedlens
        raise ModelUnavailable("the sentiment head needs the VADER lexicon: pip install vaderSentiment") from e
    return SentimentIntensityAnalyzer()


def _emoji_chars(text: str, lexicon: dict[str, str]) -> list[str]:
    # VADER ships a lexicon of emoji -> description; anything in it counts as an emoji.
    return [ch for ch in text if ch in lexicon]


def extra_features(texts: list[str], names: list[str]) -> np.ndarray:
    """Feature matrix (len(texts), sum of FEATURE_SIZES[name]) for the named feature groups."""
    unknown = [n for n in names if n not in FEATURE_SIZES]
    if unknown:
        raise ValueError(f"unknown feature group(s) {unknown}; known: {', '.join(FEATURE_SIZES)}")
    width = sum(FEATURE_SIZES[n] for n in names)
    out = np.zeros((len(texts), width), dtype=np.float32)
    if not names:
        return out
    sia = _vader()
    for i, text in enumerate(texts):
        col = 0
        for name in names:
            if name == "vader":
                s = sia.polarity_scores(text)
                out[i, col:col + 4] = (s["neg"], s["neu"], s["pos"], s["compound"])
            elif name == "emoji":
                found = _emoji_chars(text, sia.emojis)
                out[i, col] = math.log1p(len(found))
                if found:
                    out[i, col + 1] = sia.polarity_scores(" ".join(found))["compound"]
            col += FEATURE_SIZES[name]
    return out

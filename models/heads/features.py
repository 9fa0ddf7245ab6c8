"""Hand-made text features that some heads add to the encoder embedding.

    >>> extra_features(["great :)", "awful 😡"], ["vader", "emoji"]).shape
    (2, 6)

``vader``: VADER's neg / neu / pos / compound scores (English lexicon, also scores emoticons and
emoji through its emoji lexicon). ``emoji``: log(1 + number of emoji) and the VADER compound score of
the emoji alone. ``script``: share of letters in Latin, CJK, Arabic, Cyrillic, Devanagari, other.
All are cheap (pure Python, no model) and serve without sklearn or torch.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import numpy as np

from models.errors import ModelUnavailable

FEATURE_SIZES: dict[str, int] = {"vader": 4, "emoji": 2, "script": 6}

# Unicode blocks of the scripts the bundled data covers; "script" features are the share of a text's
# letters in each, so a head can learn per-script base rates (COLD's Chinese comments are 50%
# offensive, English tweets about a third) without a language-ID call.
_SCRIPTS = (
    ("latin", ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F))),
    ("cjk", ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x3040, 0x30FF), (0xAC00, 0xD7AF))),
    ("arabic", ((0x600, 0x6FF), (0x750, 0x77F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("cyrillic", ((0x400, 0x4FF),)),
    ("devanagari", ((0x900, 0x97F),)),
)


def _script_shares(text: str) -> tuple[float, ...]:
    counts = [0] * (len(_SCRIPTS) + 1)
    total = 0
    for ch in text:
        if not ch.isalpha():
            continue
        total += 1
        o = ord(ch)
        for k, (_, ranges) in enumerate(_SCRIPTS):
            if any(lo <= o <= hi for lo, hi in ranges):
                counts[k] += 1
                break
        else:
            counts[-1] += 1
    return tuple(c / total for c in counts) if total else tuple(counts)


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
    sia = _vader() if ("vader" in names or "emoji" in names) else None
    for i, text in enumerate(texts):
        col = 0
        for name in names:
            if name == "vader":
                assert sia is not None
                s = sia.polarity_scores(text)
                out[i, col:col + 4] = (s["neg"], s["neu"], s["pos"], s["compound"])
            elif name == "script":
                out[i, col:col + 6] = _script_shares(text)
            elif name == "emoji":
                assert sia is not None
                found = _emoji_chars(text, sia.emojis)
                out[i, col] = math.log1p(len(found))
                if found:
                    out[i, col + 1] = sia.polarity_scores(" ".join(found))["compound"]
            col += FEATURE_SIZES[name]
    return out


# Lexical n-grams for a head's optional linear bag-of-n-grams part (see models.heads.format.Lexical).
# The frozen encoder blurs the exact swear words and slurs that offensive-language labels hinge on;
# a sparse linear model over words, word pairs and character 4-grams sees them directly.
_LEX_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_LEX_URL = re.compile(r"https?://\S+")
_LEX_USER = re.compile(r"@\w+")


def lexical_grams(text: str) -> list[str]:
    """Lower-cased words, adjacent word pairs and character 4-grams (prefixed ``#``) of ``text``.

    URLs and @mentions are folded to ``url`` / ``@user``. No gram contains a newline.
    """
    t = _LEX_USER.sub(" @user ", _LEX_URL.sub(" url ", text.lower()))
    words = _LEX_TOKEN.findall(t)
    out = words + [a + " " + b for a, b in zip(words, words[1:])]
    s = " " + " ".join(words) + " "
    out += ["#" + s[i:i + 4] for i in range(len(s) - 3)]
    return out

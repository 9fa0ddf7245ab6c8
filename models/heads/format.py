"""One head = one ``.npz`` file of numpy arrays, loadable without pickle, sklearn or torch.

    >>> head = load_head(Path("models/heads/sentiment.npz"))
    >>> head.predict_proba(embeddings, texts)          # (n, len(head.labels)), rows sum to 1
    >>> head.save(Path("out/sentiment.npz"))

Arrays in the file: ``W0, b0, W1, b1, ...`` (dense layers, ReLU between them, the last gives
logits), ``mean`` and ``scale`` (input standardisation), ``cal_x`` / ``cal_y`` (isotonic table,
possibly empty) and ``meta``: a JSON string with ``format``, ``task``, ``labels``, ``features``
(feature groups after the embedding), ``embedding_dim``, ``calibration`` (``{"kind": "temperature",
"T": t}`` or ``{"kind": "isotonic"}``), ``threshold`` (binary decision threshold on the calibrated
positive probability), ``encoder_fingerprint`` and ``training`` (data, metrics, settings).
Optional (absent in older files, which load unchanged): ``lex_vocab`` (the n-grams, one string
joined by newlines), ``lex_W`` and ``lex_b``: a linear bag-of-n-grams model whose logits are added
to the dense layers' logits (see :class:`Lexical`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import InvalidInput, ModelUnavailable
from models.heads.features import FEATURE_SIZES, extra_features, lexical_grams

FORMAT_VERSION = 1


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Calibration:
    """Maps raw logits to calibrated probabilities.

    ``temperature``: softmax(logits / T) (any number of classes). ``isotonic`` (binary only): the
    raw positive probability goes through a monotone piecewise-linear table ``x -> y``.
    """

    kind: str = "temperature"
    T: float = 1.0
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def apply(self, logits: np.ndarray) -> np.ndarray:
        if self.kind == "temperature":
            return softmax(logits / self.T)
        if self.kind == "isotonic":
            raw = softmax(logits)[:, 1]
            pos = np.interp(raw, self.x, self.y)
            return np.stack([1.0 - pos, pos], axis=1)
        if self.kind == "none":
            return softmax(logits)
        raise ValueError(f"unknown calibration kind {self.kind!r}")

    def to_meta(self) -> dict[str, Any]:
        return {"kind": self.kind, "T": float(self.T)}


@dataclass
class Lexical:
    """Linear model over the presence of n-grams (:func:`lexical_grams`), L2-normalised per post.

    ``W`` is (len(vocab), n_labels); ``b`` (n_labels,). A post's logits are
    ``sum(W[present]) / sqrt(len(present)) + b``, exactly sklearn's ``normalize(binary counts) @ W + b``.
    """

    vocab: list[str]
    W: np.ndarray
    b: np.ndarray
    _index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def logits(self, texts: list[str]) -> np.ndarray:
        if self._index is None:
            self._index = {g: i for i, g in enumerate(self.vocab)}
        out = np.tile(np.asarray(self.b, np.float32), (len(texts), 1))
        for r, text in enumerate(texts):
            present = sorted({self._index[g] for g in lexical_grams(text) if g in self._index})
            if present:
                out[r] += self.W[present].sum(axis=0) / np.sqrt(len(present))
        return out


@dataclass
class Head:
    """A dense classifier over ``[embedding, extra features]`` with calibration."""

    task: str
    labels: list[str]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    mean: np.ndarray
    scale: np.ndarray
    features: list[str]
    embedding_dim: int
    encoder_fingerprint: str
    calibration: Calibration = field(default_factory=Calibration)
    threshold: float = 0.5
    training: dict[str, Any] = field(default_factory=dict)
    lexical: Lexical | None = None

    def inputs(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """Standardised input matrix for the first layer."""
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[1] != self.embedding_dim:
            raise InvalidInput(f"head {self.task} expects embeddings of width {self.embedding_dim}; got {emb.shape}")
        if self.features:
            emb = np.concatenate([emb, extra_features(texts, self.features)], axis=1)
        return (emb - self.mean) / self.scale

    def logits(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        h = self.inputs(embeddings, texts)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w + b
            if i < last:
                h = np.maximum(h, 0.0)
        if self.lexical is not None:
            h = h + self.lexical.logits(texts)
        return h

    def predict_proba(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities (n, len(labels))."""
        return self.calibration.apply(self.logits(embeddings, texts))

    def predict_labels(self, embeddings: np.ndarray, texts: list[str]) -> list[str]:
        """Label names: argmax, or for binary heads the stored decision threshold on P(positive)."""
        p = self.predict_proba(embeddings, texts)
        if len(self.labels) == 2:
            return [self.labels[int(v >= self.threshold)] for v in p[:, 1]]
        return [self.labels[k] for k in p.argmax(axis=1)]

    def save(self, path: Path) -> None:
        """Write the head atomically (temp file + rename), so a crash never leaves half a file."""
        meta = {
            "format": FORMAT_VERSION, "task": self.task, "labels": self.labels, "features": self.features,
            "embedding_dim": self.embedding_dim, "calibration": self.calibration.to_meta(),
            "threshold": float(self.threshold), "encoder_fingerprint": self.encoder_fingerprint,
            "n_layers": len(self.weights), "training": self.training,
        }
        arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta, sort_keys=True))}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            arrays[f"W{i}"] = w.astype(np.float32)
            arrays[f"b{i}"] = b.astype(np.float32)
        arrays["mean"] = self.mean.astype(np.float32)
        arrays["scale"] = self.scale.astype(np.float32)
        arrays["cal_x"] = np.asarray(self.calibration.x, np.float32)
        arrays["cal_y"] = np.asarray(self.calibration.y, np.float32)
        if self.lexical is not None:
            arrays["lex_vocab"] = np.array("\n".join(self.lexical.vocab))
            arrays["lex_W"] = np.asarray(self.lexical.W, np.float32)
            arrays["lex_b"] = np.asarray(self.lexical.b, np.float32)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)


def load_head(path: Path) -> Head:
    """Read a head file written by :meth:`Head.save`.

    :raises ModelUnavailable: the file is missing, unreadable or of an unknown format version.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"head file {path} not found; train it with `feedlens train`")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            n = int(meta["n_layers"])
            weights = [z[f"W{i}"] for i in range(n)]
            biases = [z[f"b{i}"] for i in range(n)]
            mean, scale, cal_x, cal_y = z["mean"], z["scale"], z["cal_x"], z["cal_y"]
            lexical = None
            if "lex_W" in z.files:
                vocab = str(z["lex_vocab"]).split("\n")
                lexical = Lexical(vocab, z["lex_W"], z["lex_b"])
                if lexical.W.shape != (len(vocab), len(meta["labels"])):
                    raise ValueError(f"lex_W has shape {lexical.W.shape}, expected ({len(vocab)}, {len(meta['labels'])})")
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        raise ModelUnavailable(f"head file {path} is unreadable ({e}); retrain it with `feedlens train`") from e
    if meta.get("format") != FORMAT_VERSION:
        raise ModelUnavailable(f"head file {path} has format {meta.get('format')}, this Feedlens reads "
                               f"{FORMAT_VERSION}; retrain it with `feedlens train`")
    bad = [f for f in meta["features"] if f not in FEATURE_SIZES]
    if bad:
        raise ModelUnavailable(f"head file {path} uses unknown feature groups {bad}")
    cal = meta["calibration"]
    return Head(task=meta["task"], labels=list(meta["labels"]), weights=weights, biases=biases, mean=mean,
                scale=scale, features=list(meta["features"]), embedding_dim=int(meta["embedding_dim"]),
                encoder_fingerprint=meta["encoder_fingerprint"],
                calibration=Calibration(cal["kind"], float(cal.get("T", 1.0)), cal_x, cal_y),
                threshold=float(meta.get("threshold", 0.5)), training=meta.get("training", {}), lexical=lexical)

"""One head = one ``.npz`` file of numpy arrays, loadable without pickle, sklearn or torch.

    >>> head = load_head(Path("models/heads/sentiment.npz"))
    >>> head.predict_proba(embeddings, texts)          # (n, len(head.labels)), rows sum to 1
    >>> head.save(Path("out/sentiment.npz"))

Arrays in the file: ``W0, b0, W1, b1, ...`` (dense layers, ReLU between them, the last gives
logits; weights stored as float16, computed in float32), ``mean`` and ``scale`` (input
standardisation), ``cal_x`` / ``cal_y`` (isotonic table, possibly empty) and ``meta``: a JSON string with ``format``, ``task``, ``labels``, ``features``
(feature groups after the embedding), ``embedding_dim``, ``calibration`` (``{"kind": "temperature",
"T": t}`` or ``{"kind": "isotonic"}``), ``threshold`` (binary decision threshold on the calibrated
positive probability), ``encoder_fingerprint``, ``training`` (data, metrics, settings) and
``blocks`` (the encoder feature blocks the head reads, :data:`FEATURE_BLOCKS` names; null: all).
Optional (absent in older files, which load unchanged): ``lex_vocab`` (the n-grams, one string
joined by newlines), ``lex_W`` and ``lex_b``: a linear bag-of-n-grams model whose logits are added
to the dense layers' logits (see :class:`Lexical`). Language specialists: for each language ``xx``
in ``meta["by_language"]``, the same arrays prefixed ``xx.`` (``xx.W0``, ``xx.b0``, …, ``xx.lex_W``):
a post detected as ``xx`` gets that model's logits instead of the pooled ones (see :class:`Dense`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder.manifest import DIM, FEATURE_BLOCKS
from models.errors import InvalidInput, ModelUnavailable
from models.heads.features import FEATURE_SIZES, extra_features, lexical_grams
from models.npzfile import READ_ERRORS, open_npz, save_npz

FORMAT_VERSION = 1


def select_blocks(features: np.ndarray, blocks: list[str] | None) -> np.ndarray:
    """The columns of the named feature blocks (:data:`FEATURE_BLOCKS`), in that order; all if None."""
    if blocks is None:
        return features
    if features.shape[1] != DIM * len(FEATURE_BLOCKS):
        raise InvalidInput(f"reading feature blocks {blocks} needs the ONNX encoder's {DIM * len(FEATURE_BLOCKS)}-wide "
                           f"features; got width {features.shape[1]}")
    idx = [FEATURE_BLOCKS.index(b) for b in blocks]
    return features.reshape(len(features), len(FEATURE_BLOCKS), DIM)[:, idx].reshape(len(features), -1)


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
class Dense:
    """Dense layers (ReLU between them) over standardised inputs, plus optional n-gram logits."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    lexical: Lexical | None = None

    def logits(self, inputs: np.ndarray, texts: list[str]) -> np.ndarray:
        h = inputs
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w + b
            if i < last:
                h = np.maximum(h, 0.0)
        if self.lexical is not None:
            h = h + self.lexical.logits(texts)
        return h

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            # float16 weight matrices halve the committed files (heads on 1,920-d features with
            # specialists reach tens of MB in float32); they are widened back to float32 on load.
            out[f"{prefix}W{i}"] = w.astype(np.float16)
            out[f"{prefix}b{i}"] = b.astype(np.float32)
        if self.lexical is not None:
            out[f"{prefix}lex_vocab"] = np.array("\n".join(self.lexical.vocab))
            out[f"{prefix}lex_W"] = np.asarray(self.lexical.W, np.float32)
            out[f"{prefix}lex_b"] = np.asarray(self.lexical.b, np.float32)
        return out

    @classmethod
    def from_arrays(cls, z: Any, n_layers: int, n_labels: int, prefix: str = "") -> Dense:
        weights = [z[f"{prefix}W{i}"].astype(np.float32) for i in range(n_layers)]
        biases = [z[f"{prefix}b{i}"] for i in range(n_layers)]
        lexical = None
        if f"{prefix}lex_W" in z.files:
            vocab = str(z[f"{prefix}lex_vocab"]).split("\n")
            lexical = Lexical(vocab, z[f"{prefix}lex_W"], z[f"{prefix}lex_b"])
            if lexical.W.shape != (len(vocab), n_labels):
                raise ValueError(f"{prefix}lex_W has shape {lexical.W.shape}, expected ({len(vocab)}, {n_labels})")
        if weights[-1].shape[1] != n_labels:
            raise ValueError(f"{prefix}W{n_layers - 1} gives {weights[-1].shape[1]} logits for {n_labels} labels")
        return cls(weights, biases, lexical)


@dataclass
class Head:
    """A dense classifier over ``[encoder features, extra features]`` with calibration.

    ``weights``/``biases``/``lexical`` are the pooled model, trained on every language;
    ``by_language`` maps a language code to a specialist trained on that language's rows alone
    (the bundled sets label sentiment and offence by different guidelines per language, which one
    pooled model blurs). Posts whose detected language has no specialist use the pooled model.
    """

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
    by_language: dict[str, Dense] = field(default_factory=dict)
    blocks: list[str] | None = None  # the feature blocks read (None: all); chosen per task on val

    @property
    def pooled(self) -> Dense:
        return Dense(self.weights, self.biases, self.lexical)

    def inputs(self, embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
        """Standardised input matrix for the first layer."""
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[1] != self.embedding_dim:
            raise InvalidInput(f"head {self.task} expects embeddings of width {self.embedding_dim}; got {emb.shape}")
        emb = select_blocks(emb, self.blocks)
        if self.features:
            emb = np.concatenate([emb, extra_features(texts, self.features)], axis=1)
        return (emb - self.mean) / self.scale

    def logits(self, embeddings: np.ndarray, texts: list[str], langs: list[str] | None = None) -> np.ndarray:
        """Raw logits; ``langs`` (detected language per post) routes posts to specialists."""
        x = self.inputs(embeddings, texts)
        if langs is not None and len(langs) != len(texts):
            raise InvalidInput(f"got {len(langs)} languages for {len(texts)} texts")
        routes = [lang if lang in self.by_language else "" for lang in langs] if langs else [""] * len(texts)
        out = np.zeros((len(texts), len(self.labels)), np.float32)
        for route in dict.fromkeys(routes):
            rows = [i for i, r in enumerate(routes) if r == route]
            model = self.by_language[route] if route else self.pooled
            out[rows] = model.logits(x[rows], [texts[i] for i in rows])
        return out

    def predict_proba(self, embeddings: np.ndarray, texts: list[str], langs: list[str] | None = None) -> np.ndarray:
        """Calibrated probabilities (n, len(labels))."""
        return self.calibration.apply(self.logits(embeddings, texts, langs))

    def predict_labels(self, embeddings: np.ndarray, texts: list[str], langs: list[str] | None = None) -> list[str]:
        """Label names: argmax, or for binary heads the stored decision threshold on P(positive)."""
        p = self.predict_proba(embeddings, texts, langs)
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
            "by_language": {lang: {"n_layers": len(d.weights)} for lang, d in sorted(self.by_language.items())},
            "blocks": self.blocks,
        }
        arrays = self.pooled.arrays()
        for lang, d in self.by_language.items():
            arrays.update(d.arrays(f"{lang}."))
        arrays["mean"] = self.mean.astype(np.float32)
        arrays["scale"] = self.scale.astype(np.float32)
        arrays["cal_x"] = np.asarray(self.calibration.x, np.float32)
        arrays["cal_y"] = np.asarray(self.calibration.y, np.float32)
        save_npz(path, meta, arrays)


def load_head(path: Path) -> Head:
    """Read a head file written by :meth:`Head.save`.

    :raises ModelUnavailable: the file is missing, unreadable or of an unknown format version.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"head file {path} not found; train it with `feedlens train`")
    try:
        with open_npz(path) as (meta, z):
            k = len(meta["labels"])
            pooled = Dense.from_arrays(z, int(meta["n_layers"]), k)
            by_language = {lang: Dense.from_arrays(z, int(info["n_layers"]), k, f"{lang}.")
                           for lang, info in meta.get("by_language", {}).items()}
            mean, scale, cal_x, cal_y = z["mean"], z["scale"], z["cal_x"], z["cal_y"]
    except READ_ERRORS as e:
        raise ModelUnavailable(f"head file {path} is unreadable ({e}); retrain it with `feedlens train`") from e
    if meta.get("format") != FORMAT_VERSION:
        raise ModelUnavailable(f"head file {path} has format {meta.get('format')}, this Feedlens reads "
                               f"{FORMAT_VERSION}; retrain it with `feedlens train`")
    bad = [f for f in meta["features"] if f not in FEATURE_SIZES]
    if bad:
        raise ModelUnavailable(f"head file {path} uses unknown feature groups {bad}")
    blocks = meta.get("blocks")
    if blocks is not None and not set(blocks) <= set(FEATURE_BLOCKS):
        raise ModelUnavailable(f"head file {path} reads unknown feature blocks {sorted(set(blocks) - set(FEATURE_BLOCKS))}; "
                               "retrain it with `feedlens train`")
    cal = meta["calibration"]
    return Head(task=meta["task"], labels=list(meta["labels"]), weights=pooled.weights, biases=pooled.biases, mean=mean,
                scale=scale, features=list(meta["features"]), embedding_dim=int(meta["embedding_dim"]),
                encoder_fingerprint=meta["encoder_fingerprint"],
                calibration=Calibration(cal["kind"], float(cal.get("T", 1.0)), cal_x, cal_y),
                threshold=float(meta.get("threshold", 0.5)), training=meta.get("training", {}),
                lexical=pooled.lexical, by_language=by_language, blocks=blocks)

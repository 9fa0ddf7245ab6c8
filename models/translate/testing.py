"""Build a randomly initialised Marian translation checkpoint, for tests and benchmarks only.

    >>> build_random_marian(Path("/tmp/tiny-marian"))          # d_model 16, one layer
    >>> build_random_marian(Path("/tmp/opus-sized"), d_model=512, layers=6, heads=8, ffn=2048,
    ...                     pad_vocab_to=58101)                 # opus-mt-en-de's shape, random weights

The folder looks like a Hugging Face opus-mt repository (config.json, pytorch_model.bin,
source.spm, target.spm, vocab.json, tokenizer_config.json, generation_config.json), so it goes
through the real ``feedlens models pull`` conversion path. The SentencePiece model is trained on
the given sentences. Needs torch, transformers and sentencepiece (the ``train`` extra).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

SAMPLE_SENTENCES = [
    "the cat sat on the mat", "a dog runs in the park", "we like to read books at night",
    "o gato sentou no tapete", "um cão corre no parque", "nós gostamos de ler livros à noite",
    "hello world, how are you today?", "olá mundo, como você está hoje?",
    "the weather is nice and the sun is shining", "o tempo está bom e o sol está brilhando",
    "this is a short post about music and films", "isto é uma publicação curta sobre música e filmes",
]


def build_random_marian(
    out_dir: Path,
    *,
    d_model: int = 16,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 32,
    vocab_size: int = 96,
    sentences: list[str] | None = None,
    seed: int = 0,
    pad_vocab_to: int | None = None,
) -> Path:
    """Write the checkpoint into ``out_dir`` and return it (deterministic for a given ``seed``)."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = list(sentences or SAMPLE_SENTENCES)
    if vocab_size > 200:
        # A big vocabulary needs a big corpus: synthesise word combinations from the sample's words.
        words = sorted({w for s in corpus for w in s.split()})
        extra = [f"{a}{b} {b}{c}" for a in words for b in words[:40] for c in words[:8]]
        corpus += extra
    model_buf = io.BytesIO()
    # Marian's layout: </s> = 0, <unk> = 1, no <s>; <pad> is appended after the pieces.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=model_buf,
        vocab_size=vocab_size - 1,
        hard_vocab_limit=False,
        model_type="unigram",
        eos_id=0,
        unk_id=1,
        bos_id=-1,
        pad_id=-1,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    (out_dir / "source.spm").write_bytes(model_buf.getvalue())
    (out_dir / "target.spm").write_bytes(model_buf.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model_buf.getvalue())
    n = sp.get_piece_size()
    vocab = {sp.id_to_piece(i): i for i in range(n)}
    # Filler entries give the model a real-sized vocabulary (opus-mt: ~58k) without training a
    # SentencePiece model that big; they are never produced by the tokenizer.
    for i in range(n, max(n, (pad_vocab_to or 0) - 1)):
        vocab[f"<extra_{i}>"] = i
    n = len(vocab)
    vocab["<pad>"] = n
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "MarianTokenizer", "model_max_length": 512, "source_lang": "src",
                    "target_lang": "tgt", "separate_vocabs": False}),
        encoding="utf-8",
    )
    config = MarianConfig(
        vocab_size=n + 1,
        decoder_vocab_size=n + 1,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        pad_token_id=n,
        eos_token_id=0,
        decoder_start_token_id=n,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
        scale_embedding=True,
        activation_function="swish",
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    model.generation_config.max_length = 64
    model.generation_config.num_beams = 1
    model.save_pretrained(out_dir, safe_serialization=False)
    return out_dir

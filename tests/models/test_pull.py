"""`models pull` end to end against a local HTTP server: download, resume, sha256, convert, register.

The model is a tiny randomly initialised Marian checkpoint built here with transformers (real
architecture, real SentencePiece model trained on a few sentences), so the real CTranslate2
conversion -> load -> translate path runs without the internet.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from _translate_support import ModelServer, marian_entry, sha256
from models.errors import InvalidInput
from models.translate import ChecksumMismatch, DownloadFailed, Translator
from models.translate import catalog as cat
from models.translate.engine import MANIFEST, builtin_model_dir
from models.translate.pull import CHECKSUMS, DOWNLOADS, list_models, pull, remove
from models.translate.router import Router

MID = "translate-xx-test"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    from models.translate.testing import build_random_marian

    return build_random_marian(tmp_path_factory.mktemp("marian") / "ckpt", d_model=16, layers=1)


@pytest.fixture
def server():
    s = ModelServer()
    yield s
    s.close()


@pytest.fixture
def catalog(checkpoint) -> list[dict]:
    return [marian_entry("translate-ja-en", "ja", "en", checkpoint)] + cat.load_catalog()


@pytest.fixture
def served(server, checkpoint):
    server.add_dir("translate-ja-en", checkpoint)
    return server


def _translator(models_dir: Path, catalog: list[dict]) -> Translator:
    return Translator(models_dir, router=Router(models_dir, catalog=catalog, device="cpu"))


def test_pull_downloads_verifies_converts_and_registers(tmp_path, served, catalog):
    seen = []
    manifest = pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog,
                    progress=lambda name, done, total: seen.append((name, done, total)))
    folder = tmp_path / "translate-ja-en"
    assert (folder / "model.bin").is_file() and (folder / "source.spm").is_file()
    assert manifest["engine"] == "ctranslate2" and manifest["quantization"] == "int8"
    assert json.loads((folder / MANIFEST).read_text())["revision"] == manifest["revision"]
    assert not (tmp_path / DOWNLOADS / "translate-ja-en").exists()  # downloads cleaned up
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert {n for n, _, _ in seen} >= {"pytorch_model.bin", "config.json"}
    assert all(total is None or done <= total for _, done, total in seen)

    tr = _translator(tmp_path, catalog)
    first = tr.translate(["テスト", "the cat sat on the mat"], "en", src="ja")
    second = _translator(tmp_path, catalog).translate(["テスト", "the cat sat on the mat"], "en", src="ja")
    assert first == second  # deterministic, across fresh loads too
    assert all(r["translation"] and r["from"] == "ja" and r["to"] == "en" for r in first)

    rows = {r["id"]: r for r in list_models(tmp_path, catalog)}
    assert rows["translate-ja-en"]["status"] == "installed" and rows["translate-ja-en"]["bytes"] > 0
    assert rows["translate-zh-en"]["status"] == "available" and rows["translate-zh-en"]["licence"] == "CC-BY-4.0"
    assert rows["translate-en-pt"]["status"] == "builtin"

    remove("translate-ja-en", tmp_path, catalog)
    assert not folder.exists()
    assert {r["id"]: r for r in list_models(tmp_path, catalog)}["translate-ja-en"]["status"] == "available"


def test_ct2_float32_conversion_matches_transformers_generate(tmp_path, served, catalog, checkpoint):
    import sentencepiece as spm
    import torch
    from transformers import MarianMTModel

    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog, quantization="float32")
    engine = Router(tmp_path, catalog=catalog, device="cpu").engine(
        Router(tmp_path, catalog=catalog).route("ja", "en")[0]
    )
    sp = spm.SentencePieceProcessor(model_file=str(checkpoint / "source.spm"))
    model = MarianMTModel.from_pretrained(checkpoint).eval()
    for text in ["the cat sat on the mat", "we like to read books"]:
        ids = sp.encode(text) + [0]
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), num_beams=1, do_sample=False, max_new_tokens=20)
        ref = sp.decode([t for t in out[0].tolist() if t not in (0, model.config.pad_token_id)])
        got = engine.translate([text], "ja", "en")[0]
        assert got.startswith(ref), (got, ref)  # CT2 may decode further (its length cap is higher)


def test_checksum_mismatch_is_refused_and_old_model_kept(tmp_path, served, catalog):
    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    before = (tmp_path / "translate-ja-en" / MANIFEST).read_text()
    good = _translator(tmp_path, catalog).translate(["the cat"], "en", src="ja")

    served.files["translate-ja-en/pytorch_model.bin"] = b"corrupted" + served.files["translate-ja-en/pytorch_model.bin"][9:]
    with pytest.raises(ChecksumMismatch, match="pytorch_model.bin has sha256 .* expected .* installed model was kept"):
        pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)

    assert (tmp_path / "translate-ja-en" / MANIFEST).read_text() == before
    assert not list((tmp_path / DOWNLOADS / "translate-ja-en").glob("pytorch_model.bin*"))  # partial removed
    assert _translator(tmp_path, catalog).translate(["the cat"], "en", src="ja") == good


def test_unknown_checksum_is_recorded_at_first_download_and_verified_after(tmp_path, served, checkpoint):
    catalog = [marian_entry("translate-ja-en", "ja", "en", checkpoint, with_sha=False)] + cat.load_catalog()
    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    recorded = json.loads((tmp_path / CHECKSUMS).read_text())
    assert recorded["translate-ja-en/config.json"] == sha256(served.files["translate-ja-en/config.json"])

    served.files["translate-ja-en/config.json"] += b"\n"
    with pytest.raises(ChecksumMismatch, match="recorded in .checksums.json"):
        pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    assert (tmp_path / "translate-ja-en" / "model.bin").exists()


def test_interrupted_download_resumes_with_range(tmp_path, served, catalog):
    served.drop_once.add("translate-ja-en/pytorch_model.bin")
    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog, retries=2)
    ranges = [r for p, r in served.requests if p == "translate-ja-en/pytorch_model.bin"]
    size = len(served.files["translate-ja-en/pytorch_model.bin"])
    assert ranges == [None, f"bytes={size // 2}-"]
    assert (tmp_path / "translate-ja-en" / "model.bin").exists()


def test_download_that_keeps_failing_keeps_the_partial_file_and_resumes_next_time(tmp_path, served, catalog):
    served.drop_always.add("translate-ja-en/pytorch_model.bin")
    with pytest.raises(DownloadFailed, match="run the same `feedlens models pull` again to resume"):
        pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog, retries=0)
    part = tmp_path / DOWNLOADS / "translate-ja-en" / "pytorch_model.bin.part"
    assert part.stat().st_size > 0
    assert not (tmp_path / "translate-ja-en").exists()  # nothing half-registered

    served.drop_always.clear()
    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    assert served.requests[-1][1] is None or any(
        r and r.startswith("bytes=") for p, r in served.requests if p.endswith("pytorch_model.bin")
    )
    assert (tmp_path / "translate-ja-en" / MANIFEST).exists()


def test_server_without_range_support_restarts_the_file(tmp_path, served, catalog):
    served.no_range = True
    served.drop_once.add("translate-ja-en/pytorch_model.bin")
    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog, retries=2)
    assert (tmp_path / "translate-ja-en" / "model.bin").exists()  # the sha256 check passed


def test_mirror_comes_from_the_environment(tmp_path, served, catalog, monkeypatch):
    monkeypatch.setenv("FEEDLENS_MODEL_MIRROR", served.url)
    pull("translate-ja-en", tmp_path, catalog=catalog)
    assert served.requests


def test_bergamot_model_is_pulled_unpacked_and_translates_like_the_builtin(tmp_path, server):
    src = builtin_model_dir("en", "pt")
    files = [p for p in sorted(src.iterdir()) if p.suffix in (".bin", ".spm")]
    entry = {"id": "translate-en-pt-mirror", "task": "translation", "engine": "bergamot", "format": "bergamot-gz",
             "src": "en", "dst": "pt", "base_url": "http://unused.invalid", "licence": "test",
             "files": []}
    for p in files:
        data = gzip.compress(p.read_bytes(), mtime=0)
        server.files[f"translate-en-pt-mirror/{p.name}.gz"] = data
        entry["files"].append({"name": f"{p.name}.gz", "sha256": sha256(data)})
    catalog = [entry] + cat.load_catalog()
    pull("translate-en-pt-mirror", tmp_path, mirror=server.url, catalog=catalog)
    router = Router(tmp_path, catalog=catalog)
    pulled = router.engine(next(r for r in router.installed()[("en", "pt")] if r.id == "translate-en-pt-mirror"))
    builtin = router.engine(next(r for r in router.installed()[("en", "pt")] if r.path is None))
    text = ["The children were playing in the garden."]
    assert pulled.translate(text, "en", "pt") == builtin.translate(text, "en", "pt")


def test_pull_unknown_id_lists_the_catalog(tmp_path):
    with pytest.raises(InvalidInput, match="unknown model 'translate-xx-yy'; the catalog has: .*translate-zh-en"):
        pull("translate-xx-yy", tmp_path)


def test_builtin_pair_cannot_be_pulled_or_removed(tmp_path):
    with pytest.raises(InvalidInput, match="built in"):
        pull("translate-en-pt", tmp_path)
    with pytest.raises(InvalidInput, match="built in"):
        remove("translate-pt-en", tmp_path)


def test_remove_of_a_model_not_installed_says_what_is(tmp_path):
    with pytest.raises(InvalidInput, match="'translate-zh-en' is not installed; installed: none"):
        remove("translate-zh-en", tmp_path)


def test_missing_file_on_the_server_is_a_clear_error(tmp_path, server, catalog):
    with pytest.raises(DownloadFailed, match="not found \\(404\\)"):
        pull("translate-ja-en", tmp_path, mirror=server.url, catalog=catalog)


def test_catalog_lists_the_required_pairs_with_licence_and_source():
    entries = {(e["src"], e["dst"]): e for e in cat.load_catalog()}
    for a, b in [("en", "zh"), ("en", "ja"), ("en", "es"), ("en", "fr"), ("en", "de"), ("en", "pt")]:
        for pair in ((a, b), (b, a)):
            e = entries[pair]
            assert e["licence"]
            assert e["format"] == "builtin" or (e["base_url"].startswith("https://") and e["files"])


def test_tokenizer_json_built_from_spm_equals_the_bundled_one(tmp_path):
    from models.translate.pull import spm_to_tokenizer_json

    src = builtin_model_dir("pt", "en")
    spm_to_tokenizer_json(src / "vocab.pten.spm", tmp_path / "tokenizer.json")
    assert json.loads((tmp_path / "tokenizer.json").read_text()) == json.loads((src / "tokenizer.json").read_text())


def test_second_pull_of_the_same_model_is_refused_while_one_runs(tmp_path, served, catalog):
    import os

    from models.translate import PullInProgress

    lock = tmp_path / DOWNLOADS / "translate-ja-en.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(str(os.getpid()))  # a live process holds it
    with pytest.raises(PullInProgress, match="already running"):
        pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    lock.write_text("999999999")  # a dead process: the lock is stale and taken over
    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    assert not lock.exists()


def test_damaged_installed_model_is_a_clear_error(tmp_path, served, catalog):
    from models.errors import ModelUnavailable

    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    (tmp_path / "translate-ja-en" / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ModelUnavailable, match="cannot load the CTranslate2 model .* run `feedlens models pull translate-ja-en` again"):
        _translator(tmp_path, catalog).translate(["テスト"], "en", src="ja")


def test_language_tokens_from_the_manifest_reach_the_model(tmp_path, served, catalog):
    """Marian multi-target (`>>cmn_Hans<<` before the source) and NLLB (forced first target token)."""
    from models.translate.engine import CT2Engine

    pull("translate-ja-en", tmp_path, mirror=served.url, catalog=catalog)
    folder = tmp_path / "translate-ja-en"
    plain = CT2Engine(folder, "ja", "en", device="cpu")
    a, b = plain._sp_tgt.id_to_piece(7), plain._sp_tgt.id_to_piece(9)  # two real vocabulary pieces
    forced = CT2Engine(folder, "ja", "en", device="cpu", source_prefix=[a], decoder_prefix=[b])
    src = [a] + forced._sp_src.encode("dog", out_type=str) + ["</s>"]
    raw = forced._translator.translate_batch([src], target_prefix=[[b]], beam_size=1,
                                             max_decoding_length=2 * len(src) + 16 + 1)[0].hypotheses[0]
    assert raw[0] == b  # the decoder was forced to start with the language token ...
    expected = forced._sp_tgt.decode_pieces([t for t in raw[1:] if t != "</s>"])
    assert forced.translate(["dog"], "ja", "en") == [expected]  # ... and it is not in the output
    assert plain.translate(["  "], "ja", "en") == ["  "]

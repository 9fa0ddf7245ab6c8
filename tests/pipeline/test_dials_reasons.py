"""Dial ladders, calm mode, and the reasons' sentences in English and Chinese."""

from __future__ import annotations

import pytest

from companion.pipeline.dials import LADDERS, calm_reason, dial_action, dial_reasons, negativity_score, strongest
from companion.pipeline.reasons import REASON_KINDS, add_text, render, strings

DIAL_CASES = [
    # (level, score, action)
    ("off", 0.99, "show"),
    ("off", 0.0, "show"),
    ("low", 0.5, "show"),
    ("low", 0.79, "show"),
    ("low", 0.80, "badge"),
    ("low", 0.94, "badge"),
    ("low", 0.95, "blur"),
    ("low", 1.0, "blur"),
    ("medium", 0.59, "show"),
    ("medium", 0.60, "badge"),
    ("medium", 0.80, "blur"),
    ("medium", 0.95, "collapse"),
    ("medium", 1.0, "collapse"),
    ("high", 0.39, "show"),
    ("high", 0.40, "badge"),
    ("high", 0.60, "blur"),
    ("high", 0.80, "collapse"),
    ("high", 0.95, "hide"),
    ("strict", 0.24, "show"),
    ("strict", 0.25, "badge"),
    ("strict", 0.40, "blur"),
    ("strict", 0.60, "collapse"),
    ("strict", 0.80, "hide"),
    ("strict", 0.91, "hide"),
]


@pytest.mark.parametrize("level,score,action", DIAL_CASES)
def test_dial_level_maps_score_to_action(level, score, action):
    assert dial_action("hate", score, level) == action


@pytest.mark.parametrize("score", [i / 20 for i in range(21)])
def test_stricter_levels_never_act_more_mildly(score):
    ranks = [("show", "badge", "blur", "collapse", "hide").index(dial_action("spam", score, lvl)) for lvl in LADDERS]
    assert ranks == sorted(ranks)


def test_dial_reason_names_category_score_and_level():
    reasons = dial_reasons({"hate": "strict", "spam": "off"}, {"hate": 0.91, "spam": 0.99}, None)
    assert reasons == [{"kind": "dial", "category": "hate", "score": 0.91, "level": "strict", "action": "hide"}]


def test_missing_heads_give_no_dial_reason():
    assert dial_reasons({"hate": "strict"}, {}, None) == []
    assert dial_reasons({"hate": "strict"}, None, None) == []


@pytest.mark.parametrize("sentiment,expected", [
    (None, None),
    ({"label": "negative", "score": 0.9}, 0.9),
    ({"label": "positive", "score": 0.9}, 0.0),
    ({"label": "neutral", "score": 0.5, "probs": {"negative": 0.3, "neutral": 0.5, "positive": 0.2}}, 0.3),
])
def test_negativity_comes_from_the_sentiment_head(sentiment, expected):
    assert negativity_score(sentiment) == expected


def test_negativity_dial_uses_sentiment():
    r = dial_reasons({"negativity": "medium"}, {}, {"label": "negative", "score": 0.85})
    assert r[0]["category"] == "negativity" and r[0]["action"] == "blur"


@pytest.mark.parametrize("scores,sentiment,action", [
    ({}, {"label": "negative", "score": 0.9}, "collapse"),
    ({}, {"label": "negative", "score": 0.6}, None),
    ({"hate": 0.7}, None, "collapse"),
    ({"spam": 0.99}, None, None),  # spam is not what calm mode is about
    ({"toxicity": 0.2}, {"label": "positive", "score": 0.9}, None),
])
def test_calm_mode_collapses_strongly_negative_posts(scores, sentiment, action):
    r = calm_reason(scores, sentiment)
    assert (r["action"] if r else None) == action


@pytest.mark.parametrize("actions,expected", [
    ([], "show"), (["badge"], "badge"), (["badge", "hide", "blur"], "hide"), (["collapse", "blur"], "collapse"),
])
def test_strongest_action_wins(actions, expected):
    assert strongest(actions) == expected


REASONS = [
    ({"kind": "muted_word", "value": "crypto", "matched": "Crypt0", "action": "hide"},
     "Muted word “crypto” (matched “Crypt0”).", "已屏蔽词“crypto”（匹配到“Crypt0”）。"),
    ({"kind": "muted_phrase", "value": "US elections", "matched": "US-Elections", "action": "hide"},
     "Muted phrase “US elections” (matched “US-Elections”).", "已屏蔽短语“US elections”（匹配到“US-Elections”）。"),
    ({"kind": "muted_regex", "value": "giveaway\\s+now", "matched": "GIVEAWAY NOW", "action": "hide"},
     "Matches your muted pattern “giveaway\\s+now”.", "符合你屏蔽的规则“giveaway\\s+now”。"),
    ({"kind": "muted_account", "value": "@spammer", "action": "hide"}, "You muted @spammer.", "你已屏蔽 @spammer。"),
    ({"kind": "dial", "category": "hate", "score": 0.91, "level": "strict", "action": "hide"},
     "Hate speech 91% — your hate speech dial is at strict.", "仇恨言论 91%——你的仇恨言论设置为“严格”。"),
    ({"kind": "dial", "category": "spam", "score": 0.6, "level": "medium", "action": "badge"},
     "Spam 60% — your spam dial is at medium.", "垃圾信息 60%——你的垃圾信息设置为“中”。"),
    ({"kind": "topic", "topic": "crypto", "score": 0.83, "action": "collapse"},
     "About “crypto” (83%), a topic you chose to collapse.", "涉及话题“crypto”（83%），你选择了折叠。"),
    ({"kind": "calm", "category": "negativity", "score": 0.9, "action": "collapse"},
     "Calm mode: strongly negative (90%).", "平静模式：内容强烈负面（90%）。"),
    ({"kind": "calm", "category": "hate", "score": 0.7, "action": "collapse"},
     "Calm mode: hate speech 70%.", "平静模式：仇恨言论 70%。"),
    ({"kind": "interest", "score": -0.8, "action": "collapse"},
     "Like posts you asked to see less of.", "与你选择“少看这类”的帖子相似。"),
    ({"kind": "interest", "score": 0.8, "action": "show"},
     "Like posts you asked to see more of.", "与你选择“多看这类”的帖子相似。"),
    ({"kind": "allowed_account", "value": "@friend", "action": "badge"},
     "@friend is on your allow-list, so this post is never hidden.", "@friend 在你的允许名单中，此帖不会被隐藏。"),
    ({"kind": "site_off", "site": "x", "action": "show"},
     "Feedlens is switched off for this site.", "Feedlens 已在此网站关闭。"),
]


@pytest.mark.parametrize("reason,en,zh", REASONS)
def test_reason_sentences_in_english_and_chinese(reason, en, zh):
    assert render(reason, "en") == en
    assert render(reason, "zh") == zh
    out = add_text(reason, "zh")
    assert out["text"] == zh and out["kind"] == reason["kind"]  # machine-readable fields kept


def test_every_reason_kind_has_a_sentence_in_both_languages():
    assert {r[0]["kind"] for r in REASONS} == set(REASON_KINDS)
    assert set(strings("en")["templates"]) == set(strings("zh")["templates"])
    assert set(strings("en")["categories"]) == set(strings("zh")["categories"])


def test_unknown_ui_language_falls_back_to_english():
    assert render(REASONS[0][0], "fr") == REASONS[0][1]

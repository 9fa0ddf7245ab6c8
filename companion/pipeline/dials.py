"""Per-category dials, as Jigsaw's Tune did: a level turns a calibrated score into an action.

    dial_action("hate", 0.91, "strict")     # -> "hide"
    dial_action("hate", 0.91, "low")        # -> "blur"
    dial_reasons({"hate": "strict"}, scores={"hate": 0.91}, sentiment=None)
    # -> [{"kind": "dial", "category": "hate", "score": 0.91, "level": "strict", "action": "hide"}]

Each level is a ladder of thresholds on the head's *calibrated* probability (0.8 means about 80 %
of such posts really are in the category; the heads are calibrated on validation data by the
models layer). The strongest rung the score reaches is the action. ``off`` never acts. Stricter
levels act earlier and harder; the ladder is the one table below and docs/decisions.md prints it.

``negativity`` has no head of its own: its score is the sentiment head's probability of
``negative`` (``sentiment.probs.negative`` when the head gives all three probabilities, else
``sentiment.score`` when the label is ``negative``, else 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ACTION_ORDER = ("show", "badge", "blur", "collapse", "hide")
RANK = {a: i for i, a in enumerate(ACTION_ORDER)}

# level -> ((threshold, action), ...) from the mildest rung up. A score >= threshold takes the action.
LADDERS: dict[str, tuple[tuple[float, str], ...]] = {
    "off": (),
    "low": ((0.80, "badge"), (0.95, "blur")),
    "medium": ((0.60, "badge"), (0.80, "blur"), (0.95, "collapse")),
    "high": ((0.40, "badge"), (0.60, "blur"), (0.80, "collapse"), (0.95, "hide")),
    "strict": ((0.25, "badge"), (0.40, "blur"), (0.60, "collapse"), (0.80, "hide")),
}

HEAD_CATEGORIES = ("toxicity", "offensive", "hate", "spam")

# Calm mode: collapse posts whose probability of being negative is at least this (strongly negative),
# and posts any harm head scores at least CALM_HARM (calm also means no shouting matches).
CALM_NEGATIVE = 0.75
CALM_HARM = 0.6


def strongest(actions: list[str] | tuple[str, ...]) -> str:
    """The strongest of ``actions`` (``show`` for none)."""
    return max(actions, key=RANK.__getitem__, default="show")


def dial_action(category: str, score: float, level: str) -> str:
    """The action the ``level`` ladder gives ``score`` (``show`` if no rung is reached)."""
    action = "show"
    for threshold, rung in LADDERS[level]:
        if score >= threshold:
            action = rung
    return action


def negativity_score(sentiment: Mapping[str, Any] | None) -> float | None:
    """P(negative) from the sentiment head's output, or ``None`` if there is none."""
    if not sentiment:
        return None
    probs = sentiment.get("probs")
    if isinstance(probs, Mapping) and "negative" in probs:
        return float(probs["negative"])
    label = sentiment.get("label")
    score = sentiment.get("score")
    if label is None or score is None:
        return None
    return float(score) if label == "negative" else 0.0


def category_scores(scores: Mapping[str, Any] | None, sentiment: Mapping[str, Any] | None) -> dict[str, float]:
    """Every category score the signals carry (missing heads are simply absent)."""
    out: dict[str, float] = {}
    for cat in HEAD_CATEGORIES:
        value = (scores or {}).get(cat)
        if value is not None:
            out[cat] = float(value)
    neg = negativity_score(sentiment)
    if neg is not None:
        out["negativity"] = neg
    return out


def dial_reasons(dials: Mapping[str, str], scores: Mapping[str, Any] | None,
                 sentiment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """One ``dial`` reason per enabled category whose score reaches a rung."""
    reasons: list[dict[str, Any]] = []
    for cat, score in category_scores(scores, sentiment).items():
        level = dials.get(cat, "off")
        action = dial_action(cat, score, level)
        if action != "show":
            reasons.append({"kind": "dial", "category": cat, "score": round(score, 3), "level": level,
                            "action": action})
    return reasons


def calm_reason(scores: Mapping[str, Any] | None, sentiment: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``calm`` reason if calm mode should collapse this post, else ``None``."""
    cats = category_scores(scores, sentiment)
    neg = cats.get("negativity", 0.0)
    harm_cat, harm = max(((c, cats[c]) for c in HEAD_CATEGORIES if c in cats and c != "spam"),
                         key=lambda kv: kv[1], default=("", 0.0))
    if neg >= CALM_NEGATIVE:
        return {"kind": "calm", "category": "negativity", "score": round(neg, 3), "action": "collapse"}
    if harm >= CALM_HARM:
        return {"kind": "calm", "category": harm_cat, "score": round(harm, 3), "action": "collapse"}
    return None

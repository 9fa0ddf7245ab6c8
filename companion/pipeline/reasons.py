"""Reasons: machine-readable dicts plus one short sentence in the person's UI language.

    add_text({"kind": "dial", "category": "hate", "score": 0.91, "level": "strict", "action": "hide"}, "en")
    # -> {..., "text": "Hate speech 91% — your hate speech dial is at strict."}
    add_text(same, "zh")["text"]   # "仇恨言论 91%——你的仇恨言论设置为“严格”。"

Sentences live in ``locales/reasons.<lang>.json`` (en, zh); a test checks both files cover every
reason kind. Unknown UI languages fall back to English.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

UI_LANGUAGES = ("en", "zh")
REASON_KINDS = (
    "muted_word", "muted_phrase", "muted_regex", "muted_account", "dial", "topic", "calm",
    "interest", "allowed_account", "site_off",
)


@lru_cache(maxsize=len(UI_LANGUAGES))
def strings(lang: str) -> dict[str, Any]:
    """The locale table for ``lang`` (``en`` or ``zh``)."""
    text = resources.files("companion.pipeline.locales").joinpath(f"reasons.{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def _pct(score: Any) -> str:
    return f"{round(float(score) * 100)}%"


def render(reason: dict[str, Any], lang: str = "en") -> str:
    """The human sentence for one reason in ``lang`` (English if ``lang`` is not supported)."""
    if lang not in UI_LANGUAGES:
        lang = "en"
    s = strings(lang)
    t = s["templates"]
    kind = reason.get("kind")
    fields: dict[str, Any] = {k: v for k, v in reason.items() if isinstance(v, (str, int, float))}
    if "score" in reason:
        fields["pct"] = _pct(reason["score"])
    if "category" in reason:
        cat = s["categories"].get(reason["category"], reason["category"])
        fields["category"] = cat
        fields["category_lower"] = cat if lang != "en" else cat.lower()
    if "level" in reason:
        fields["level"] = s["levels"].get(reason["level"], reason["level"])
    if "action" in reason:
        fields["action"] = s["actions"].get(reason["action"], reason["action"])
    fields.setdefault("matched", reason.get("value", ""))
    if kind == "calm":
        key = "calm_negativity" if reason.get("category") == "negativity" else "calm_harm"
    elif kind == "interest":
        key = "interest_low" if float(reason.get("score", 0)) < 0 else "interest_high"
    else:
        key = str(kind)
    template = t.get(key)
    if template is None:
        log.warning("no %s sentence for reason kind %r", lang, kind)
        return str(kind)
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:  # a reason missing a field: say so, don't crash
        log.warning("reason %r lacks a field for its %s sentence: %s", kind, lang, exc)
        return str(kind)


def add_text(reason: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """``reason`` with its ``text`` set (a new dict)."""
    return {**reason, "text": render(reason, lang)}

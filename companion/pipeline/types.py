"""The pipeline's data: frozen dataclasses that travel from the API to the models and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SITES = ("x", "reddit", "mastodon", "bluesky", "youtube", "weibo")
ACTIONS = ("show", "badge", "blur", "collapse", "hide")


@dataclass(frozen=True)
class Post:
    """One post as a site adapter extracted it."""

    id: str
    text: str
    author: str | None = None
    url: str | None = None
    lang_hint: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What Feedlens says about one post. Fields whose models are not available stay ``None``
    and are left out of the JSON (absent, not faked)."""

    id: str
    lang: str
    lang_confidence: float
    action: str = "show"
    reasons: tuple[dict[str, Any], ...] = ()
    sentiment: dict[str, Any] | None = None
    scores: dict[str, float] | None = None
    topics: tuple[dict[str, Any], ...] | None = None
    interest: float | None = None
    translation: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "lang": self.lang,
            "lang_confidence": self.lang_confidence,
            "action": self.action,
            "reasons": list(self.reasons),
        }
        for name in ("sentiment", "scores", "interest", "translation"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.topics is not None:
            out["topics"] = list(self.topics)
        out.update(self.extra)
        return out

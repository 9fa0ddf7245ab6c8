"""The decision layer: model signals + the person's profile -> verdict with reasons.

    decider = Decider(profile, embed=encoder.embed, ui_language="en")   # compile once per profile
    decider.decide(
        {"id": "1", "text": "Buy CRYPT0 now!", "author": "@bob", "site": "x", "lang": "en"},
        {"embedding": emb, "sentiment": {"label": "negative", "score": 0.7}, "scores": {"spam": 0.97}},
    )
    # -> {"action": "hide",
    #     "reasons": [{"kind": "muted_word", "value": "crypto", "matched": "CRYPT0", "action": "hide",
    #                  "text": "Muted word “crypto” (matched “CRYPT0”)."},
    #                 {"kind": "dial", "category": "spam", "score": 0.97, "level": "low", "action": "blur",
    #                  "text": "Spam 97% — your spam dial is at low."}],
    #     "topics": [], "interest": None}

How a verdict is made (docs/decisions.md has the tables):

1. Site switched off in ``profile.sites``: ``show`` with a ``site_off`` reason; nothing else runs.
2. Mutes (accounts, words, phrases, regexes; per site, until a date) each give their action
   (``mute_action``, default ``hide``, or the entry's own).
3. Dials: each enabled category's ladder gives an action from the calibrated score.
4. Calm mode (if on): strongly negative or harmful posts are collapsed.
5. Topics: a post that matches a topic (calibrated probability >= threshold) takes its action.
6. Interest: with enough feedback, a post like those the person wanted less of is collapsed.
7. The verdict takes the strongest action of all reasons. An allow-listed author is never
   hidden, collapsed or blurred: the action is capped at ``badge`` and an ``allowed_account``
   reason says why (the other reasons stay, so the person sees what was overridden).

``embedding`` may be missing (no encoder built): if ``embed`` was given the Decider embeds the
text itself, otherwise topics and interest are skipped and ``interest`` is ``None``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import numpy as np

from companion.pipeline.dials import RANK, calm_reason, dial_reasons, strongest
from companion.pipeline.interest import InterestModel, interest_reason
from companion.pipeline.normalize import normalize
from companion.pipeline.reasons import add_text
from companion.pipeline.rules import REGEX_TIMEOUT_S, CompiledRules
from companion.pipeline.topics import TopicCalibration, TopicMatcher
from companion.profile import profile_fingerprint, validate_profile

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]
ALLOWED_CAP = "badge"  # the strongest action an allow-listed author's post can get


class Decider:
    """One profile, compiled: rules, regexes (with their time budget) and topic embeddings.

    :param profile: the profile document (validated here; defaults filled in).
    :param embed: the shared encoder's batch call, ``texts -> (n, 384)`` L2-normalised; used for
        the topic phrases and for posts that arrive without an embedding. ``None``: no topics.
    :param ui_language: language of the reasons' sentences (``en``/``zh``); default the profile's.
    :param interest: the person's :class:`InterestModel` (shared across profiles), if any.
    :raise ProfileInvalid: if the profile is not valid (the message names the field).
    """

    def __init__(
        self,
        profile: Mapping[str, Any],
        embed: Embed | None = None,
        ui_language: str | None = None,
        *,
        interest: InterestModel | None = None,
        calibration: TopicCalibration | None = None,
        clock: Callable[[], datetime] | None = None,
        regex_timeout: float = REGEX_TIMEOUT_S,
    ):
        self.profile = validate_profile(profile)
        self.ui_language = ui_language or self.profile["ui_language"]
        self.embed = embed
        self.interest = interest
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self.rules = CompiledRules.from_profile(self.profile, regex_timeout=regex_timeout)
        self.topics = TopicMatcher(self.profile["topics"], embed, calibration) if self.profile["topics"] else None
        self._fingerprint = profile_fingerprint(self.profile)

    @property
    def profile_key(self) -> str:
        """Changes with the profile, the UI language and every interest update (cache key part)."""
        iv = self.interest.version if self.interest is not None else "-"
        return f"{self._fingerprint}/{self.ui_language}/i{iv}"

    def valid_until(self) -> datetime | None:
        """When a verdict decided now may go stale because a timed mute or topic expires."""
        now = self._clock()
        candidates = [t for t in [self.rules.next_expiry(now)] if t is not None]
        if self.topics is not None:
            candidates += [t.until for t in self.topics.topics if t.until is not None and t.until > now]
        return min(candidates) if candidates else None

    def _needs_embedding(self) -> bool:
        wants_interest = self.interest is not None and self.profile["interest"]["enabled"]
        return (self.topics is not None and self.topics.available) or wants_interest

    def decide(self, post: Mapping[str, Any], signals: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The verdict for one post: ``{action, reasons[], topics[], interest}``."""
        signals = signals or {}
        site = post.get("site")
        text = str(post.get("text") or "")
        author = post.get("author")
        now = self._clock()
        if site is not None and self.profile["sites"].get(site, True) is False:
            return self._verdict("show", [{"kind": "site_off", "site": site, "action": "show"}], [], None)

        reasons: list[dict[str, Any]] = []
        norm = normalize(text)
        reasons += [h.reason() for h in self.rules.match(text, author, site, now, normalized=norm)]
        reasons += dial_reasons(self.profile["dials"], signals.get("scores"), signals.get("sentiment"))
        if self.profile["calm_mode"]:
            calm = calm_reason(signals.get("scores"), signals.get("sentiment"))
            if calm is not None:
                reasons.append(calm)

        embedding = signals.get("embedding")
        if embedding is None and self.embed is not None and text and self._needs_embedding():
            try:
                embedding = np.asarray(self.embed([text]), dtype=np.float32)[0]
            except Exception as exc:  # no embedding: topics and interest sit this post out
                log.warning("could not embed a post for topics/interest: %s", type(exc).__name__)

        topics_out: list[dict[str, Any]] = []
        if self.topics is not None and embedding is not None:
            for index, p in self.topics.score(embedding, site=site, now=now, text=text):
                topic = self.topics.topics[index]
                topics_out.append({"text": topic.text, "score": round(p, 3)})
                reasons.append({"kind": "topic", "topic": topic.text, "score": round(p, 3), "action": topic.action})

        interest = None
        if self.interest is not None and self.profile["interest"]["enabled"]:
            interest = self.interest.score(embedding)
            r = interest_reason(interest)
            if r is not None:
                reasons.append(r)

        action = strongest([r["action"] for r in reasons])
        allowed = self.rules.is_allowed(author, site, now)
        if allowed is not None and RANK[action] > RANK[ALLOWED_CAP]:
            action = ALLOWED_CAP
            reasons.append({"kind": "allowed_account", "value": allowed, "action": ALLOWED_CAP})
        return self._verdict(action, reasons, topics_out, interest)

    def decide_many(self, posts: list[Mapping[str, Any]],
                    signals: list[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        """:meth:`decide` for a batch; posts without an embedding are embedded in one call."""
        sigs = [dict(s or {}) for s in (signals or [{} for _ in posts])]
        if len(sigs) != len(posts):
            raise ValueError(f"got {len(posts)} posts but {len(sigs)} signal dicts; pass one per post")
        if self.embed is not None and self._needs_embedding():
            todo = [i for i, s in enumerate(sigs) if s.get("embedding") is None and posts[i].get("text")]
            if todo:
                X = np.asarray(self.embed([str(posts[i]["text"]) for i in todo]), dtype=np.float32)
                for i, row in zip(todo, X):
                    sigs[i]["embedding"] = row
        return [self.decide(p, s) for p, s in zip(posts, sigs)]

    def _verdict(self, action: str, reasons: list[dict[str, Any]], topics: list[dict[str, Any]],
                 interest: float | None) -> dict[str, Any]:
        # strongest reason first: the UI shows the first one on the post
        ordered = sorted(reasons, key=lambda r: -RANK.get(r.get("action", "show"), 0))
        return {
            "action": action,
            "reasons": [add_text(r, self.ui_language) for r in ordered],
            "topics": topics,
            "interest": interest,
        }

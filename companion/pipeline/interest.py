"""Personal interest: a tiny on-device model trained by the person's feedback, in milliseconds.

    model = InterestModel()
    model.score(embedding)                       # None: cold start, no opinion, nothing changes
    model.update("less_like_this", embedding)    # ~0.1 ms
    model.update("less_like_this", embedding2)
    model.score(similar_embedding)               # e.g. -0.8: demote (collapse, with a reason)

The model is a prototype memory (Rocchio-style nearest prototypes): each ``more like this`` adds a
positive prototype, each ``less like this`` / ``hide author`` a negative one. A post's interest is

    interest = P(same topic as its nearest positive) - P(same topic as its nearest negative)

where P maps the centred cosine between two posts to the probability that they are about the same
topic (a logistic fit on pairs of tweeteval-stance tweets, stored with the topic calibration in
:mod:`companion.pipeline.topics`). It lies in [-1, 1]. Until :data:`MIN_EVENTS` feedback events exist the score is ``None`` (cold start: no
interest field, no action change). Training is appending one normalised row; scoring is one small
matrix product.

``wrong label`` feedback does not train this model: it is stored (by the vault) for evaluation, and
:func:`suggest_dial_changes` turns repeated ones into a dial suggestion the settings page can offer.
``hide author`` also mutes the account: :func:`profile_patch_for` returns the profile change.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from companion.pipeline.topics import TopicCalibration, center_rows, load_calibration

log = logging.getLogger(__name__)

FEEDBACK_KINDS = ("more_like_this", "less_like_this", "hide_author", "wrong_label")
MIN_EVENTS = 2  # fewer than this: no opinion
MAX_PROTOTYPES = 500  # per polarity; the oldest are forgotten first
DEMOTE_BELOW = -0.5  # interest at or below this collapses the post (with an "interest" reason)
HIGHLIGHT_ABOVE = 0.5  # at or above: an "interest" reason marks it (action unchanged)
WRONG_LABEL_MIN = 3  # repeated wrong-label reports on one category before a dial change is suggested


class InterestModel:
    """Positive and negative prototypes of one person. Not thread-safe: the caller serialises updates."""

    def __init__(self, calibration: TopicCalibration | None = None, encoder: str | None = None):
        """:param encoder: the encoder's id/fingerprint, to pick its calibration (default: ONNX)."""
        self.calibration = calibration or load_calibration(encoder)
        dim = len(self.calibration.center)
        self._pos = np.zeros((0, dim), np.float32)
        self._neg = np.zeros((0, dim), np.float32)
        self.version = 0  # bumps on every update: part of the verdict cache key

    @property
    def events(self) -> int:
        return len(self._pos) + len(self._neg)

    def update(self, kind: str, embedding: np.ndarray | None) -> bool:
        """Learn from one feedback event; returns whether the model changed.

        :raise ValueError: for an unknown ``kind`` (the message lists the valid ones).
        """
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"unknown feedback kind {kind!r}; use one of {', '.join(FEEDBACK_KINDS)}")
        if kind == "wrong_label" or embedding is None:
            return False
        row = center_rows(np.asarray(embedding, np.float32)[None, :], self.calibration.center)
        if kind == "more_like_this":
            self._pos = np.vstack([self._pos, row])[-MAX_PROTOTYPES:]
        else:
            self._neg = np.vstack([self._neg, row])[-MAX_PROTOTYPES:]
        self.version += 1
        return True

    def score(self, embedding: np.ndarray | None) -> float | None:
        """Interest in [-1, 1], or ``None`` before :data:`MIN_EVENTS` events (cold start)."""
        if embedding is None or self.events < MIN_EVENTS:
            return None
        x = center_rows(np.asarray(embedding, np.float32)[None, :], self.calibration.center)[0]
        cal = self.calibration
        p_pos = float(cal.pair_probability(np.array([(self._pos @ x).max()]))[0]) if len(self._pos) else 0.0
        p_neg = float(cal.pair_probability(np.array([(self._neg @ x).max()]))[0]) if len(self._neg) else 0.0
        return round(p_pos - p_neg, 4)

    # -- persistence: the vault keeps feedback; this state is a cache it may store beside it ----
    def to_state(self) -> dict[str, Any]:
        """A JSON-able snapshot (float16, base64)."""
        def enc(a: np.ndarray) -> str:
            return base64.b64encode(a.astype(np.float16).tobytes()).decode("ascii")
        return {"dim": int(self._pos.shape[1]), "pos": enc(self._pos), "neg": enc(self._neg),
                "version": self.version}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], calibration: TopicCalibration | None = None) -> InterestModel:
        model = cls(calibration)
        dim = int(state["dim"])

        def dec(s: str) -> np.ndarray:
            return np.frombuffer(base64.b64decode(s), dtype=np.float16).astype(np.float32).reshape(-1, dim)
        model._pos, model._neg = dec(state["pos"]), dec(state["neg"])
        model.version = int(state.get("version", 0))
        return model

    @classmethod
    def from_events(cls, events: Iterable[tuple[str, np.ndarray | None]],
                    calibration: TopicCalibration | None = None) -> InterestModel:
        """Rebuild from stored ``(kind, embedding)`` feedback (e.g. after the vault is unlocked)."""
        model = cls(calibration)
        for kind, emb in events:
            model.update(kind, emb)
        return model


def interest_reason(interest: float | None) -> dict[str, Any] | None:
    """The ``interest`` reason for a score, or ``None`` when it should change nothing."""
    if interest is None:
        return None
    if interest <= DEMOTE_BELOW:
        return {"kind": "interest", "score": interest, "action": "collapse"}
    if interest >= HIGHLIGHT_ABOVE:
        return {"kind": "interest", "score": interest, "action": "show"}
    return None


def profile_patch_for(event: Mapping[str, Any], profile: Mapping[str, Any]) -> dict[str, Any] | None:
    """The profile change a feedback event implies (``hide_author`` mutes the author), else ``None``."""
    if event.get("kind") != "hide_author" or not event.get("author"):
        return None
    accounts = list((profile.get("mutes") or {}).get("accounts") or [])
    author = str(event["author"])
    if author in accounts:
        return None
    mutes = dict(profile.get("mutes") or {})
    mutes["accounts"] = accounts + [author]
    return {"mutes": mutes}


def suggest_dial_changes(events: Iterable[Mapping[str, Any]], dials: Mapping[str, str],
                         min_events: int = WRONG_LABEL_MIN) -> list[dict[str, Any]]:
    """Dial changes that repeated ``wrong_label`` feedback supports.

    An event is ``{"kind": "wrong_label", "category": "hate", "expected": "show"}`` (the post was
    acted on but is fine: the dial is too strict) or ``expected`` another action (the post slipped
    through: too lenient). ``min_events`` reports in one direction suggest one level's move.
    """
    from companion.profile import LEVELS

    counts: Counter[tuple[str, int]] = Counter()
    for ev in events:
        if ev.get("kind") != "wrong_label" or not ev.get("category"):
            continue
        direction = -1 if ev.get("expected", "show") == "show" else 1
        counts[(str(ev["category"]), direction)] += 1
    out = []
    for (cat, direction), n in sorted(counts.items()):
        if n < min_events or cat not in dials:
            continue
        i = LEVELS.index(dials[cat]) + direction
        if 0 <= i < len(LEVELS):
            out.append({"category": cat, "from": dials[cat], "to": LEVELS[i], "reports": n})
    return out

"""Posts -> verdicts: language ID -> one encoder pass -> all heads -> the person's rules -> translation.

    analyzer = Analyzer(models_dir, profile=services.profile, feedback=vault.feedback_list)
    verdicts = analyzer.analyze("x", [Post(id="1", text="Bom dia a todos!")], translate=True)

Each model is optional: a part that is not built or not installed is reported by :meth:`status`
and its fields are left out of the verdicts (absent, not faked). Verdicts are cached on text hash +
profile key + model versions (:mod:`companion.pipeline.cache`), so a re-rendered feed costs nothing;
translations have their own per-sentence cache in the vault.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion.pipeline.cache import VerdictCache, verdict_key
from companion.pipeline.types import Post, Verdict
from models import langid
from models.errors import ModelError

log = logging.getLogger(__name__)

# Feedback kinds that teach the personal interest model (wrong_label only adjusts dials).
_INTEREST_KINDS = ("more_like_this", "less_like_this", "hide_author")
# How many recent feedback events rebuild the interest model at start.
INTEREST_HISTORY = 500


class Analyzer:
    """Owns the loaded models, the compiled profile and the verdict cache. Thread-safe."""

    def __init__(
        self,
        models_dir: Path,
        device: str = "auto",
        profile: Callable[[], dict[str, Any]] | None = None,
        feedback: Callable[[int], list[dict[str, Any]]] | None = None,
        translator: Callable[[], Any] | None = None,
        cache_size: int = 4096,
    ):
        self.models_dir = Path(models_dir)
        self.device = device
        self._profile = profile
        self._feedback = feedback
        self._translator = translator
        self._lock = threading.Lock()
        self._decider_lock = threading.Lock()
        self._loaded = False
        self.encoder: Any = None
        self.heads: Any = None
        self.interest: Any = None
        self.problems: dict[str, str] = {}
        self.cache = VerdictCache(cache_size)
        self._decider: Any = None
        self._decider_key: tuple[Any, ...] | None = None

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> None:
        """Load what is available; remember why the rest is not (shown by ``status``)."""
        with self._lock:
            if self._loaded:
                return
            self._load_encoder_and_heads()
            self._load_interest()
            self._loaded = True

    def _load_encoder_and_heads(self) -> None:
        try:
            from models.encoder import load_encoder
        except ImportError:
            self.problems["encoder"] = "the encoder backend is not part of this build"
            return
        try:
            self.encoder = load_encoder(self.models_dir, device=self.device)
        except ModelError as exc:
            self.problems["encoder"] = exc.message
            return
        try:
            from models.heads import load_heads

            self.heads = load_heads(encoder_fingerprint=self.encoder.fingerprint)
        except ImportError:
            self.problems["heads"] = "the task heads are not part of this build"
        except ModelError as exc:
            self.problems["heads"] = exc.message

    def _load_interest(self) -> None:
        """Rebuild the personal interest model from the feedback kept in the vault."""
        if self.encoder is None or self._feedback is None:
            return
        from companion.pipeline.interest import InterestModel

        try:
            events = [e for e in self._feedback(INTEREST_HISTORY) if e.get("kind") in _INTEREST_KINDS and e.get("text")]
        except Exception as exc:  # a locked vault: start cold, say why
            self.problems["interest"] = f"feedback not readable: {exc}"
            events = []
        model = InterestModel(encoder=self.encoder.fingerprint)  # calibration of this encoder
        if events:
            embeddings = self.encoder.embed([e["text"] for e in events])
            for event, emb in zip(events, embeddings):
                model.update(event["kind"], emb)
        self.interest = model

    def learn(self, event: dict[str, Any]) -> bool:
        """Teach the interest model one feedback event (called after the vault stored it)."""
        self.load()
        if self.interest is None or event.get("kind") not in _INTEREST_KINDS or not event.get("text"):
            return False
        embedding = self.encoder.embed([event["text"]])[0]
        with self._decider_lock:
            return self.interest.update(event["kind"], embedding)

    def status(self) -> dict[str, Any]:
        self.load()
        parts: dict[str, Any] = {
            "langid": {"id": langid.MODEL_ID, "loaded": True},
            "encoder": {"loaded": self.encoder is not None},
            "heads": {"loaded": self.heads is not None},
            "interest": {"loaded": self.interest is not None,
                         "events": self.interest.events if self.interest is not None else 0},
            "verdict_cache": self.cache.stats(),
        }
        if self.encoder is not None:
            parts["encoder"].update(
                id=self.encoder.id, fingerprint=self.encoder.fingerprint, providers=list(self.encoder.providers)
            )
        if self.heads is not None:
            parts["heads"]["tasks"] = list(self.heads.tasks)
        for name, why in self.problems.items():
            parts.setdefault(name, {})["problem"] = why
        return parts

    def model_versions(self) -> str:
        """A string that changes whenever a model that shapes verdicts changes (verdict cache key)."""
        self.load()
        enc = self.encoder.fingerprint if self.encoder is not None else "-"
        heads = getattr(self.heads, "version", "-") if self.heads is not None else "-"
        return f"{langid.MODEL_ID}/{enc}/{heads}"

    # -- the person's rules ----------------------------------------------------------------
    def profile(self) -> dict[str, Any]:
        if self._profile is None:
            from companion.profile import default_profile

            return {**default_profile(), "version": 0}
        return self._profile()

    def decider(self, profile: dict[str, Any]) -> Any:
        """The compiled :class:`Decider` for this profile, rebuilt only when the profile changes."""
        from companion.pipeline.decide import Decider

        key = (profile.get("version"), id(self.interest))
        with self._decider_lock:
            if self._decider is None or self._decider_key != key:
                embed = self.encoder.embed if self.encoder is not None else None
                self._decider = Decider(profile, embed=embed, interest=self.interest)
                self._decider_key = key
            return self._decider

    # -- analysis --------------------------------------------------------------------------
    def analyze(self, site: str, posts: list[Post], translate: bool = False) -> list[Verdict]:
        """One verdict per post, in order."""
        self.load()
        if not posts:
            return []
        profile = self.profile()
        decider = self.decider(profile)
        langs = langid.detect_many([p.text for p in posts], [p.lang_hint for p in posts])
        versions = self.model_versions()
        keys = [verdict_key(p.text, site=site, author=p.author, profile_key=decider.profile_key,
                            model_versions=versions) for p in posts]
        decided: list[dict[str, Any] | None] = [self.cache.get(k) for k in keys]
        misses = [i for i, d in enumerate(decided) if d is None]
        if misses:
            fresh = self._decide([posts[i] for i in misses], [langs[i] for i in misses], site, decider)
            expires = decider.valid_until()
            for i, verdict in zip(misses, fresh):
                self.cache.put(keys[i], verdict, expires=expires)
                decided[i] = verdict
        translations = self._translations(posts, langs, profile, translate)
        verdicts = []
        for post, lang, d, tr in zip(posts, langs, decided, translations):
            assert d is not None
            verdicts.append(Verdict(
                id=post.id, lang=lang.lang, lang_confidence=lang.confidence, action=d["action"],
                reasons=tuple(d["reasons"]), sentiment=d.get("sentiment"), scores=d.get("scores"),
                topics=tuple(d["topics"]) if d.get("topics") is not None else None,
                interest=d.get("interest"), translation=tr,
            ))
        log.debug("analyzed %d posts for %s (%d from cache)", len(posts), site, len(posts) - len(misses))
        return verdicts

    def _decide(self, posts: list[Post], langs: list[langid.LangResult], site: str, decider: Any) -> list[dict[str, Any]]:
        """Model signals for the posts not in the cache (one encoder pass), then the decision."""
        texts = [p.text for p in posts]
        embeddings = None
        model_out: list[dict[str, Any]] = [{} for _ in posts]
        if self.encoder is not None:
            # One pass: the heads read every feature layer; topics and interests the last one.
            features = self.encoder.features(texts)  # sorts by length internally to pad less
            embeddings = features[:, -self.encoder.dim:]
            if self.heads is not None:
                model_out = self.heads.predict(features, texts, [lang.lang for lang in langs])
        out = []
        for i, (post, lang, signals) in enumerate(zip(posts, langs, model_out)):
            verdict = decider.decide(
                {"id": post.id, "text": post.text, "author": post.author, "url": post.url, "site": site,
                 "lang": lang.lang, "lang_confidence": lang.confidence},
                {**signals, "embedding": embeddings[i] if embeddings is not None else None},
            )
            verdict["sentiment"] = signals.get("sentiment")
            verdict["scores"] = signals.get("scores")
            if verdict.get("interest") is None and self.interest is None:
                verdict.pop("interest", None)
            if self.encoder is None:
                verdict.pop("topics", None)  # no encoder: topics were not looked at, not "none found"
            out.append(verdict)
        return out

    def _translations(self, posts: list[Post], langs: list[langid.LangResult], profile: dict[str, Any],
                      requested: bool) -> list[dict[str, Any] | None]:
        """Translate posts in languages the person does not read: on request, or automatically."""
        out: list[dict[str, Any] | None] = [None] * len(posts)
        if self._translator is None or not (requested or profile.get("auto_translate")):
            return out
        reads = [str(x).lower() for x in profile.get("languages") or []] or ["en"]
        target = reads[0]
        by_source: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            if lang.lang != "und" and lang.lang not in reads:
                by_source.setdefault(lang.lang, []).append(i)
        if not by_source:
            return out
        translator = self._translator()
        from models.errors import InvalidInput, ModelUnavailable

        for source, idx in by_source.items():
            try:
                results = translator.translate([posts[i].text for i in idx], target, src=source)
            except (ModelUnavailable, InvalidInput) as exc:  # NoRoute is a ModelUnavailable
                for i in idx:
                    out[i] = {"from": source, "to": target, "error": exc.message}
                continue
            for i, res in zip(idx, results):
                out[i] = {"text": res["translation"], "from": res["from"], "to": res["to"]}
        return out

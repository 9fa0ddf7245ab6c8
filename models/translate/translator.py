"""Translate posts: segment, route, batch across posts, cache per sentence, keep the original.

    >>> tr = Translator(models_dir, cache=vault)          # vault: translations_get_many / put_many
    >>> tr.translate(["Bom dia! 🌞 @ana"], "en", src="pt")
    [{'text': 'Bom dia! 🌞 @ana', 'translation': 'Good morning! 🌞 @ana', 'from': 'pt', 'to': 'en'}]

``cache`` is duck-typed: ``translations_get_many(keys: list[str]) -> dict[str, str]`` and
``translations_put_many(items: dict[str, str]) -> None``. Keys are sha256 hex digests of the route's
model ids and revisions, the languages and the sentence, so a re-pulled model never serves stale
text and the keys themselves reveal nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.errors import InvalidInput
from models.translate import segment
from models.translate.errors import NoRoute
from models.translate.languages import normalise
from models.translate.router import ModelRef, Router

log = logging.getLogger(__name__)

UNDETERMINED = "und"


def cache_key(route: list[ModelRef], src: str, dst: str, sentence: str) -> str:
    """Stable cache key of one sentence through one route."""
    sig = "+".join(f"{r.id}@{r.revision}" for r in route)
    return hashlib.sha256(f"v1\x1f{sig}\x1f{src}\x1f{dst}\x1f{sentence}".encode("utf-8")).hexdigest()


def _detected_lang(result: Any) -> str:
    """Accept ``(lang, confidence)``, an object with ``.lang`` (models.langid) or a bare string."""
    if isinstance(result, str):
        return result
    if isinstance(result, tuple):
        return str(result[0])
    return str(getattr(result, "lang", UNDETERMINED))


class Translator:
    """High-level translation for the companion, the CLI and the API.

        tr = Translator(models_dir, cache=None, device="auto")
        tr.translate(texts, "en", src=None, detect=models.langid.detect)
        tr.available_pairs()

    Raises :class:`InvalidInput` (unknown language, texts not strings) and
    :class:`~models.translate.errors.NoRoute` (no model; the message names the pull).
    """

    def __init__(self, models_dir: Path | None, cache: Any = None, device: str = "auto", *, router: Router | None = None):
        self.router = router or Router(models_dir, device=device)
        self.cache = cache
        self.engine_calls = 0  # sentences sent to engines (tests and the bench read it)

    def available_pairs(self) -> list[dict[str, Any]]:
        """``[{"from", "to", "models": [ids], "via": None | "en"}]`` for what is installed now."""
        return self.router.pairs()

    def refresh(self) -> None:
        """Rescan the models directory (after a pull or remove)."""
        self.router.refresh()

    def translate(
        self,
        texts: list[str],
        dst: str,
        src: str | None = None,
        detect: Callable[[str], Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Translate ``texts`` into ``dst``; ``src`` given, or detected per text with ``detect``.

        Returns one ``{"text", "translation", "from", "to"}`` per input, in order. Text already in
        ``dst``, empty text and text with nothing to translate (emoji, URLs, mentions) comes back
        unchanged. A text whose language can't be detected comes back unchanged with ``from: "und"``.
        With detection, a text in a language no installed model handles comes back unchanged with an
        ``error`` saying which pull would fix it (unless no text could be translated: then NoRoute).
        """
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise InvalidInput("texts must be a list of strings")
        dst = self.router.check_language(dst)
        if src is not None:
            src = self.router.check_language(src)
            sources = [src] * len(texts)
        else:
            if detect is None:
                raise InvalidInput("no source language given and no language detector; pass src (--from)")
            sources = [self._detect(detect, t) for t in texts]

        pieces = [segment.split_post(t) for t in texts]
        # Group every sentence of every post by (src, dst) so each route runs as one batch.
        groups: dict[str, set[str]] = {}
        for s, ps in zip(sources, pieces):
            if s in (UNDETERMINED, dst):
                continue
            groups.setdefault(s, set()).update(segment.sentences(ps))
        done: dict[str, dict[str, str]] = {}
        failed: dict[str, NoRoute] = {}
        for s, sents in sorted(groups.items()):
            try:
                done[s] = self._translate_sentences(sorted(sents), s, dst)
            except (NoRoute, InvalidInput) as exc:
                if src is not None:
                    raise  # the caller named the language: no route is the answer
                # Detected languages: one post in a language with no model must not sink the batch.
                failed[s] = exc if isinstance(exc, NoRoute) else NoRoute(f"no model for {s}->{dst}: {exc.message}")
        if failed and not done and any(segment.sentences(ps) for ps in pieces):
            raise next(iter(failed.values()))
        # Sentences whose translation lost a placeholder are translated again, split around
        # their mentions / hashtags / URLs (one more batch per language, usually empty).
        retry: dict[str, set[str]] = {}
        for s, ps in zip(sources, pieces):
            for p in ps:
                if s in done and p.slots and segment.restore(p, done[s].get(p.text, "")) is None:
                    retry.setdefault(s, set()).update(segment.sentences(segment.fallback_pieces(p)))
        for s, sents in retry.items():
            log.debug("%d sentences lost a placeholder; translating them split around it", len(sents))
            done[s].update(self._translate_sentences(sorted(sents - set(done[s])), s, dst))

        out = []
        for text, s, ps in zip(texts, sources, pieces):
            item: dict[str, Any] = {"text": text, "translation": text, "from": s, "to": dst}
            if s in failed:
                item["error"] = failed[s].message
            elif s not in (UNDETERMINED, dst):
                item["translation"] = segment.join(ps, done.get(s, {}))
            out.append(item)
        return out

    def _detect(self, detect: Callable[[str], Any], text: str) -> str:
        if not text.strip():
            return UNDETERMINED
        lang = _detected_lang(detect(text))
        if lang == UNDETERMINED:
            return UNDETERMINED
        try:
            norm = normalise(lang)
        except InvalidInput:
            return UNDETERMINED
        return norm

    def _translate_sentences(self, sentences: list[str], src: str, dst: str) -> dict[str, str]:
        if not sentences:
            return {}
        route = self.router.route(src, dst)
        keys = {s: cache_key(route, src, dst, s) for s in sentences}
        hits: dict[str, str] = {}
        if self.cache is not None:
            try:
                hits = self.cache.translations_get_many(list(keys.values())) or {}
            except Exception as exc:  # a locked or broken vault must not stop translation
                log.warning("translation cache lookup failed (%s: %s); translating without it", type(exc).__name__, exc)
        result = {s: hits[k] for s, k in keys.items() if k in hits}
        missing = [s for s in sentences if s not in result]
        if missing:
            log.debug("translating %d sentences %s->%s (%d cached)", len(missing), src, dst, len(result))
            current = missing
            lang = src
            for ref in route:
                current = self.router.engine(ref).translate(current, lang, ref.dst)
                lang = ref.dst
            self.engine_calls += len(missing)
            fresh = dict(zip(missing, current))
            result.update(fresh)
            if self.cache is not None:
                try:
                    self.cache.translations_put_many({keys[s]: t for s, t in fresh.items()})
                except Exception as exc:
                    log.warning("translation cache store failed (%s: %s)", type(exc).__name__, exc)
        return result

"""The companion's services, built once by the app factory and kept in
``app.extensions["feedlens"]``: the vault, pairing, rate limits and the analyzer.

The HTTP layer, the CLI and the tray all drive the same :class:`Services` object.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from companion import __version__
from companion.config import models_dir
from companion.pairing import MemoryPairingStore, PairingService
from companion.pipeline.analyze import Analyzer
from companion.pipeline.types import Post, Verdict
from companion.resources import serving_models_dir
from companion.security import RateLimiter

log = logging.getLogger(__name__)


# --- the vault (privacy/) ---------------------------------------------------------------------

RETENTION_INTERVAL_S = 24 * 3600
RECENT_POSTS = 2000  # post id -> text of the latest analysed posts, in memory, for feedback


def open_vault(cfg: dict[str, Any]) -> tuple[Any, Any]:
    """``(vault, None)``, or ``(None, the VaultError)`` when it cannot be opened.

    A locked vault does not stop the companion: it keeps filtering, keeps nothing, pairs in memory
    only, and every vault endpoint answers 503 with the error's way out (the tray shows it).
    """
    from companion.profile import default_profile
    from privacy.errors import VaultError
    from privacy.vault import Vault

    try:
        return Vault.open(Path(cfg["data_dir"]), default_profile=default_profile()), None
    except VaultError as exc:
        log.error("the vault is not open: %s", exc.message)
        return None, exc


# An @handle not glued to a word or URL (so e-mail addresses don't count), Mastodon's @user@host too.
MENTION_RE = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,62}[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reason_label(reason: dict[str, Any]) -> str:
    """A short label for the dashboard: ``dial:spam``, ``topic:US elections``, ``muted_word``."""
    kind = str(reason.get("kind", "other"))
    detail = reason.get("category") or reason.get("topic")
    return f"{kind}:{detail}" if detail else kind


class Services:
    def __init__(self, cfg: dict[str, Any]):
        self.cfg = cfg
        Path(cfg["data_dir"]).mkdir(parents=True, exist_ok=True)
        self.vault, self.vault_error = open_vault(cfg)
        self.vault_problem: str | None = self.vault_error.message if self.vault_error else None
        self.store = self.vault.pairings if self.vault is not None else MemoryPairingStore()
        self._stop = threading.Event()
        self._recent_posts: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._recent_lock = threading.Lock()
        if self.vault is not None:
            self.purge_old()
            threading.Thread(target=self._retention_loop, name="feedlens-retention", daemon=True).start()
        self.pairing = PairingService(self.store, ttl_seconds=cfg["pair_code_ttl_seconds"])
        self.limiter = RateLimiter()
        self._translator: Any = None
        self._translator_lock = threading.Lock()
        # The desktop build ships an encoder; the user's own build (if any) wins over it.
        self.analyzer = Analyzer(
            serving_models_dir(models_dir(cfg)), device=cfg["device"], profile=self.profile,
            feedback=self.vault.feedback_list if self.vault is not None else None, translator=self.translator,
        )
        self.started = time.time()
        self._paused = threading.Event()

    # Pause is read by the tray's checked state: always the real state.
    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def set_paused(self, value: bool) -> None:
        (self._paused.set if value else self._paused.clear)()
        log.info("filtering %s", "paused" if value else "resumed")

    def analyze(self, site: str, posts: list[Post], translate: bool = False) -> list[Verdict]:
        verdicts = self.analyzer.analyze(site, posts, translate=translate)
        if self.paused:
            # Paused: still say what the posts are, but filter nothing.
            from dataclasses import replace

            verdicts = [replace(v, action="show", reasons=()) for v in verdicts]
        self.record_seen(site, posts, verdicts)
        return verdicts

    def translator(self) -> Any:
        """The one :class:`~models.translate.Translator` (engines load once), cached by the vault."""
        with self._translator_lock:
            if self._translator is None:
                from models.translate import Translator

                device = {"gpu": "cuda"}.get(self.cfg["device"], self.cfg["device"])
                self._translator = Translator(models_dir(self.cfg), cache=self.vault, device=device)
            return self._translator

    def status(self) -> dict[str, Any]:
        return {
            "ok": True,
            "version": __version__,
            "paused": self.paused,
            "uptime_seconds": round(time.time() - self.started, 1),
            "device": self.cfg["device"],
            "python": platform.python_version(),
            "models": self.analyzer.status(),
            "pending_pairings": len(self.pairing.pending()),
            "vault": {"open": self.vault is not None, "key": getattr(self.vault, "key_source", None),
                      "problem": self.vault_problem},
        }

    # --- vault ---------------------------------------------------------------------------

    def require_vault(self) -> Any:
        """The open vault, or the error that kept it closed (503, with the way out)."""
        if self.vault is None:
            from privacy.errors import VaultLocked

            raise self.vault_error or VaultLocked("the vault is not open")
        return self.vault

    def profile(self) -> dict[str, Any]:
        """The person's effective profile: the stored document, defaults for what it leaves out,
        and the vault's ``version`` (the verdict cache keys on it). Defaults while locked."""
        from companion.errors import InvalidRequest
        from companion.profile import default_profile, validate_profile

        if self.vault is None:
            return default_profile()
        stored = self.vault.profile_get()
        try:
            doc = validate_profile(stored)
        except InvalidRequest as exc:  # stored by an older build under other rules: use it as is
            log.warning("the stored profile no longer validates (%s); using it unchanged", exc.message)
            doc = dict(stored)
        doc["version"] = stored["version"]
        return doc

    def purge_old(self) -> int:
        """Retention: purge seen posts (and translations, interactions) older than ``retention_days``."""
        if self.vault is None:
            return 0
        from privacy.errors import VaultError

        try:
            return int(self.vault.purge_seen_older_than(int(self.cfg["retention_days"])))
        except VaultError as exc:
            log.error("retention purge failed: %s", exc.message)
            return 0

    def record_seen(self, site: str, posts: list[Post], verdicts: list[Verdict]) -> None:
        """Keep the dashboard's data: each post's hash (never its text), author, language,
        sentiment, scores, action and reason labels, and the @mentions it makes. Best effort: a
        vault that fails here is logged and the verdicts still go back."""
        if self.vault is None or not posts:
            return
        from privacy.errors import VaultError

        with self._recent_lock:
            for post in posts:
                self._recent_posts[(site, post.id)] = post.text
                self._recent_posts.move_to_end((site, post.id))
            while len(self._recent_posts) > RECENT_POSTS:
                self._recent_posts.popitem(last=False)
        seen, edges = [], []
        for post, verdict in zip(posts, verdicts):
            seen.append({
                "text": post.text, "site": site, "author": post.author, "lang": verdict.lang,
                "sentiment": verdict.sentiment, "scores": verdict.scores or {}, "action": verdict.action,
                "reasons": [_reason_label(r) for r in verdict.reasons],
            })
            if post.author:
                for handle in dict.fromkeys(MENTION_RE.findall(post.text)):
                    mention = "@" + handle
                    if mention.lower() != post.author.lower():
                        edges.append({"src": post.author, "dst": mention, "kind": "mention", "site": site,
                                      "post_hash": _sha256(post.text)})
        try:
            with self.vault.transaction():
                self.vault.seen_add_many(seen)
                if edges:
                    self.vault.interactions_add_many(edges)
        except VaultError as exc:
            log.error("could not record seen posts in the vault: %s", exc.message)

    def erase(self, keep_pairings: bool = False) -> None:
        """Erase the vault, and forget what this process derived from it: the recent posts, the
        verdict cache and the personal interest model (rebuilt empty)."""
        self.require_vault().erase(keep_pairings=keep_pairings)
        with self._recent_lock:
            self._recent_posts.clear()
        cache = getattr(self.analyzer, "cache", None)
        if cache is not None:
            cache.clear()
        if getattr(self.analyzer, "interest", None) is not None:
            from companion.pipeline.interest import InterestModel

            self.analyzer.interest = InterestModel(self.analyzer.interest.calibration)

    def recent_text(self, site: str | None, post_id: str | None) -> str | None:
        """The text of a post analysed lately (memory only), so feedback that names a post by id
        can teach the personal interest model."""
        if not site or not post_id:
            return None
        with self._recent_lock:
            return self._recent_posts.get((site, post_id))

    def _retention_loop(self) -> None:
        while not self._stop.wait(RETENTION_INTERVAL_S):
            self.purge_old()

    def close(self) -> None:
        """Stop the retention timer and close the vault (checkpointing its WAL)."""
        self._stop.set()
        if self.vault is not None:
            self.vault.close()

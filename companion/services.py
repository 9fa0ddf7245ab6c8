"""The companion's services, built once by the app factory and kept in
``app.extensions["feedlens"]``: the store, pairing, rate limits and the analyzer.

The HTTP layer, the CLI and the tray all drive the same :class:`Services` object.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from pathlib import Path
from typing import Any

from companion import __version__
from companion.config import models_dir
from companion.pairing import FilePairingStore, PairingService
from companion.pipeline.analyze import Analyzer
from companion.pipeline.types import Post, Verdict
from companion.resources import serving_models_dir
from companion.security import RateLimiter

log = logging.getLogger(__name__)


def open_store(cfg: dict[str, Any]) -> FilePairingStore:
    """Where pairings live. Interim: a JSON file of token hashes until the vault lands."""
    return FilePairingStore(Path(cfg["data_dir"]) / "pairings.json")


class Services:
    def __init__(self, cfg: dict[str, Any]):
        self.cfg = cfg
        Path(cfg["data_dir"]).mkdir(parents=True, exist_ok=True)
        self.store = open_store(cfg)
        self.pairing = PairingService(self.store, ttl_seconds=cfg["pair_code_ttl_seconds"])
        self.limiter = RateLimiter()
        # The desktop build ships an encoder; the user's own build (if any) wins over it.
        self.analyzer = Analyzer(serving_models_dir(models_dir(cfg)), device=cfg["device"])
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
        return verdicts

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
        }

    def close(self) -> None:
        """Release what the services hold (the vault closes here once it lands)."""

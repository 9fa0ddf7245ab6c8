"""Verdict cache: a re-rendered feed costs nothing.

    cache = VerdictCache(maxsize=4096)
    key = verdict_key(text, site="x", author="@bob", profile_key=decider.profile_key,
                      model_versions=analyzer.model_versions())
    verdict = cache.get(key)
    if verdict is None:
        verdict = decider.decide(post, signals)
        cache.put(key, verdict, expires=decider.valid_until())

The key is a SHA-256 over the text, site and author (account mutes and per-site rules depend on
them) plus the profile key (version + content hash + interest model version) and the model
versions, so editing the profile, giving feedback or swapping a model all miss naturally. Entries
can carry an expiry: a mute "until Friday" must stop applying on Friday even for a cached post.
Bounded LRU; thread-safe (Flask serves requests from several threads). Keys hold no plaintext.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any


def _copy(value: Any) -> Any:
    """Copy JSON-like data (dicts, lists; leaves shared): several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def verdict_key(text: str, *, site: str | None, author: str | None, profile_key: str, model_versions: str) -> str:
    """The cache key of one post's verdict (hex SHA-256)."""
    h = hashlib.sha256()
    for part in (text, site or "", author or "", profile_key, model_versions):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


class VerdictCache:
    """A bounded, thread-safe LRU of verdict dicts with optional per-entry expiry."""

    def __init__(self, maxsize: int = 4096):
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.maxsize = maxsize
        self._data: OrderedDict[str, tuple[dict[str, Any], datetime | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, now: datetime | None = None) -> dict[str, Any] | None:
        """The cached verdict (a copy: callers may add fields), or ``None``."""
        with self._lock:
            entry = self._data.get(key)
            if entry is not None:
                verdict, expires = entry
                if expires is not None and (now or datetime.now(timezone.utc)) >= expires:
                    del self._data[key]
                    entry = None
            if entry is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return _copy(verdict)

    def put(self, key: str, verdict: dict[str, Any], expires: datetime | None = None) -> None:
        with self._lock:
            self._data[key] = (_copy(verdict), expires)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> dict[str, int]:
        return {"size": len(self._data), "maxsize": self.maxsize, "hits": self.hits, "misses": self.misses}

"""Who may drive the settings page: one-time login URLs, session cookies and CSRF checks.

    auth = SettingsAuth(data_dir)
    url = f"http://127.0.0.1:{port}/settings/login?t={auth.mint_nonce()}"   # the tray opens this
    nonce = mint_login_file(data_dir)            # another process (``feedlens settings``) does this
    session = auth.redeem(nonce)                 # -> a session token for the cookie, or None

The page has no bearer token. Instead:

- **One-time URL.** A random 256-bit nonce, valid for :data:`NONCE_TTL` seconds and once only. The
  serving process mints it in memory (tray), or another process of the same user writes its SHA-256
  to ``<data dir>/settings-login.json`` (0600, locked) and the server accepts and deletes it once.
  Only the hash is ever on disk, so a backup of the data dir holds no usable nonce.
- **Session cookie.** Redeeming sets ``HttpOnly; SameSite=Strict; Path=/settings`` with a fresh
  random token whose hash the server keeps in memory (sessions end when the companion stops).
- **CSRF.** Every state-changing request needs the custom header ``X-Feedlens-Settings: 1`` (a
  cross-site page cannot send it without a CORS preflight, which is never answered), and its
  ``Origin`` / ``Sec-Fetch-Site``, when present, must be this companion's. SameSite=Strict already
  keeps the cookie off cross-site requests; the header is the second lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

NONCE_TTL = 120.0
SESSION_TTL = 12 * 3600.0
LOGIN_FILE = "settings-login.json"
COOKIE = "feedlens_settings"
CSRF_HEADER = "X-Feedlens-Settings"
MAX_PENDING = 32


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _locked_login_file(data_dir: Path) -> Iterator[list[dict]]:
    """The pending nonce hashes in ``settings-login.json``, locked across processes; written back on exit."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOGIN_FILE
    with open(data_dir / (LOGIN_FILE + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            entries: list[dict] = []
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                entries = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as exc:
                log.warning("%s is unreadable (%s); starting it afresh", path, exc)
            before = json.dumps(entries)
            yield entries
            now = time.time()
            entries[:] = [e for e in entries if float(e.get("expires", 0)) > now][-MAX_PENDING:]
            if json.dumps(entries) != before or not path.exists():
                tmp = path.with_suffix(".tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(entries, fh)
                os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def mint_login_file(data_dir: Path, ttl: float = NONCE_TTL) -> str:
    """Mint a one-time nonce for the companion serving ``data_dir`` from another process.

    Returns the nonce; only its hash is written (0600). Use it as ``/settings/login?t=<nonce>``.
    """
    nonce = secrets.token_urlsafe(32)
    with _locked_login_file(data_dir) as entries:
        entries.append({"hash": _hash(nonce), "expires": time.time() + ttl})
    return nonce


class SettingsAuth:
    """Nonces minted in this process, nonces minted through the login file, and live sessions."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self._nonces: dict[str, float] = {}  # hash -> expiry
        self._sessions: dict[str, float] = {}  # hash -> expiry

    def mint_nonce(self, ttl: float = NONCE_TTL) -> str:
        """A one-time nonce for ``/settings/login?t=...`` (valid ``ttl`` seconds, once)."""
        nonce = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._nonces = {h: exp for h, exp in self._nonces.items() if exp > now}
            self._nonces[_hash(nonce)] = now + ttl
        return nonce

    def _take_memory(self, digest: str) -> bool:
        with self._lock:
            expires = self._nonces.pop(digest, None)
        return expires is not None and expires > time.time()

    def _take_file(self, digest: str) -> bool:
        if not (self.data_dir / LOGIN_FILE).exists():
            return False
        with _locked_login_file(self.data_dir) as entries:
            for i, entry in enumerate(entries):
                if secrets.compare_digest(str(entry.get("hash", "")), digest):
                    del entries[i]  # single use, even when expired
                    return float(entry.get("expires", 0)) > time.time()
        return False

    def redeem(self, nonce: str | None) -> str | None:
        """Spend ``nonce``; a new session token on success, ``None`` if unknown, spent or expired."""
        if not nonce or len(nonce) > 128:
            return None
        digest = _hash(nonce)
        if not (self._take_memory(digest) or self._take_file(digest)):
            return None
        session = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._sessions = {h: exp for h, exp in self._sessions.items() if exp > now}
            self._sessions[_hash(session)] = now + SESSION_TTL
        return session

    def valid(self, session: str | None) -> bool:
        if not session or len(session) > 128:
            return False
        with self._lock:
            expires = self._sessions.get(_hash(session))
        return expires is not None and expires > time.time()

    def end(self, session: str | None) -> None:
        if session:
            with self._lock:
                self._sessions.pop(_hash(session), None)

"""Pairing, as KeePassXC-Browser associates: the extension asks, the person approves, the extension
receives a random 256-bit token once. Only the token's SHA-256 is stored.

    service = PairingService(store)
    req = service.request("abcdef...", "Feedlens for Chrome")      # -> {id, code, expires_in}
    service.approve(req["code"])                                    # tray, settings page or CLI
    service.poll(req["id"])                                         # -> {status: approved, token}
    service.authenticate(token)                                     # -> the pairing, or None

The token is minted by the serving process on the first poll after approval, so the command-line
``feedlens pair approve`` (another process) only flips the request's status in the store and no
plaintext token is ever written anywhere.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from typing import Any, Protocol

from companion.errors import InvalidRequest, NotFound, RateLimited

# Codes are read aloud / typed: no 0/O, 1/I/L.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_PENDING = 20


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


class PairingStore(Protocol):
    """Where pairings and pending requests live (the vault implements the same methods)."""

    def add(self, pairing: dict[str, Any]) -> None: ...
    def list(self) -> list[dict[str, Any]]: ...
    def find_by_token_hash(self, token_hash: str) -> dict[str, Any] | None: ...
    def revoke(self, pairing_id: str) -> bool: ...
    def touch(self, pairing_id: str) -> None: ...
    def request_add(self, request: dict[str, Any]) -> None: ...
    def request_get(self, request_id: str) -> dict[str, Any] | None: ...
    def request_update(self, request_id: str, **fields: Any) -> None: ...
    def requests(self) -> list[dict[str, Any]]: ...


class MemoryPairingStore:
    """Pairings while the vault is locked: in this process's memory only, never on disk."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pairings: list[dict[str, Any]] = []
        self._requests: dict[str, dict[str, Any]] = {}

    def add(self, pairing: dict[str, Any]) -> None:
        with self._lock:
            self._pairings = [p for p in self._pairings if p["id"] != pairing["id"]]
            self._pairings.append({**pairing, "revoked": False, "last_used": None})

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{k: v for k, v in p.items() if k != "token_hash"} for p in self._pairings]

    def find_by_token_hash(self, token_hash: str) -> dict[str, Any] | None:
        with self._lock:
            for p in self._pairings:
                if not p["revoked"] and secrets.compare_digest(p["token_hash"], token_hash):
                    return {k: v for k, v in p.items() if k != "token_hash"}
        return None

    def revoke(self, pairing_id: str) -> bool:
        with self._lock:
            for p in self._pairings:
                if p["id"] == pairing_id and not p["revoked"]:
                    p["revoked"] = True
                    return True
        return False

    def touch(self, pairing_id: str) -> None:
        with self._lock:
            for p in self._pairings:
                if p["id"] == pairing_id:
                    p["last_used"] = time.time()

    def request_add(self, request: dict[str, Any]) -> None:
        with self._lock:
            self._requests[request["id"]] = dict(request)

    def request_get(self, request_id: str) -> dict[str, Any] | None:
        with self._lock:
            req = self._requests.get(request_id)
            return dict(req) if req else None

    def request_update(self, request_id: str, **fields: Any) -> None:
        with self._lock:
            if request_id in self._requests:
                self._requests[request_id].update(fields)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests.values()]


class PairingService:
    """The pairing protocol over a :class:`PairingStore`."""

    def __init__(self, store: PairingStore, ttl_seconds: int = 300):
        self.store = store
        self.ttl = ttl_seconds
        self._mint_lock = threading.Lock()

    def _status(self, req: dict[str, Any]) -> str:
        if req["status"] == "pending" and req["expires_at"] <= time.time():
            return "expired"
        return req["status"]

    def pending(self) -> list[dict[str, Any]]:
        """Requests waiting for the person's decision (shown in the tray, settings page and CLI)."""
        return [
            {k: r[k] for k in ("id", "code", "extension_id", "name", "created", "expires_at")}
            for r in self.store.requests()
            if self._status(r) == "pending"
        ]

    def request(self, extension_id: str, name: str) -> dict[str, Any]:
        if len(self.pending()) >= MAX_PENDING:
            raise RateLimited(
                f"{MAX_PENDING} pairing requests are already waiting; approve or deny them "
                "(`feedlens pair list`) or wait for them to expire"
            )
        now = time.time()
        req = {
            "id": uuid.uuid4().hex,
            "code": new_code(),
            "extension_id": extension_id,
            "name": name,
            "created": now,
            "expires_at": now + self.ttl,
            "status": "pending",
        }
        self.store.request_add(req)
        return {"id": req["id"], "code": req["code"], "expires_in": self.ttl}

    def _find_pending_by_code(self, code: str) -> dict[str, Any]:
        wanted = normalise_code(code)
        if len(wanted) != CODE_LENGTH:
            raise InvalidRequest(f"a pairing code has {CODE_LENGTH} letters and digits, got {code!r}")
        for r in self.store.requests():
            if self._status(r) == "pending" and secrets.compare_digest(r["code"], wanted):
                return r
        raise NotFound(f"no pending pairing request with code {code!r}; it may have expired — ask again from the extension")

    def approve(self, code: str) -> dict[str, Any]:
        req = self._find_pending_by_code(code)
        self.store.request_update(req["id"], status="approved")
        return {"id": req["id"], "extension_id": req["extension_id"], "name": req["name"]}

    def deny(self, code: str) -> dict[str, Any]:
        req = self._find_pending_by_code(code)
        self.store.request_update(req["id"], status="denied")
        return {"id": req["id"], "extension_id": req["extension_id"], "name": req["name"]}

    def poll(self, request_id: str, extension_id: str | None = None) -> dict[str, Any]:
        """The request's status; the token appears once, on the first poll after approval."""
        with self._mint_lock:
            req = self.store.request_get(request_id)
            if req is None:
                raise NotFound(f"no pairing request {request_id!r}; start pairing again from the extension")
            if extension_id is not None and req["extension_id"] != extension_id:
                raise NotFound(f"no pairing request {request_id!r} for this extension")
            status = self._status(req)
            if status != "approved":
                return {"status": "approved" if status == "delivered" else status}
            token = secrets.token_urlsafe(32)  # 256 bits
            self.store.add(
                {
                    "id": req["id"],
                    "extension_id": req["extension_id"],
                    "name": req["name"],
                    "token_hash": token_hash(token),
                    "created": time.time(),
                }
            )
            self.store.request_update(req["id"], status="delivered")
            return {"status": "approved", "token": token}

    def authenticate(self, token: str) -> dict[str, Any] | None:
        if not token:
            return None
        pairing = self.store.find_by_token_hash(token_hash(token))
        # last_used is for the person's pairing list: minute precision is plenty, and not writing
        # on every request keeps the hot path read-only.
        if pairing is not None and time.time() - (pairing.get("last_used") or 0) > 60:
            self.store.touch(pairing["id"])
        return pairing

    def list(self) -> list[dict[str, Any]]:
        return self.store.list()

    def revoke(self, pairing_id: str) -> None:
        if not self.store.revoke(pairing_id):
            known = ", ".join(p["id"] for p in self.store.list() if not p.get("revoked")) or "none"
            raise NotFound(f"no active pairing {pairing_id!r}; active pairings: {known}")

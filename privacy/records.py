"""Turning what callers hand the vault into rows, and back. Pure functions, no database.

    skeleton, rules = split_profile(doc)        # mutes / allow entries -> rows of ``rules``
    doc = merge_profile(skeleton, rules)         # and back, exactly
    row = seen_row({"text": "...", "site": "x"}) # hashes the text; the text itself is dropped

The vault does not judge what a profile means (``companion/profile.py`` does); it only keeps the
mute and allow entries in their own table so they can be listed, expired and erased one by one.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from .errors import InvalidRecord

RULE_LISTS = ("mutes", "allow")
INTERACTION_KINDS = ("reply", "quote", "mention")

DEFAULT_PROFILE: dict[str, Any] = {
    "languages": ["en"],
    "auto_translate": True,
    "dials": {"toxicity": "medium", "offensive": "off", "hate": "strict", "spam": "medium", "negativity": "off"},
    "mutes": {"words": [], "phrases": [], "regexes": [], "accounts": []},
    "allow": {"accounts": []},
    "topics": [],
    "sites": {"x": True, "reddit": True, "mastodon": True, "bluesky": True, "youtube": True, "weibo": True},
}


def default_profile() -> dict[str, Any]:
    """A fresh copy of the first-run profile document (without ``version``)."""
    return copy.deepcopy(DEFAULT_PROFILE)


def now_iso() -> str:
    """Current UTC time as ``YYYY-MM-DDTHH:MM:SSZ`` (sorts as text; the first 10 chars are the day)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_iso(value: Any, field: str = "time") -> str:
    """Normalise a time (ISO string, epoch seconds or ``None`` = now) to :func:`now_iso`'s format."""
    if value is None:
        return now_iso()
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, (int, float)):
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        elif isinstance(value, str):
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidRecord(f"{field} must be an ISO 8601 time or epoch seconds, got {value!r}") from exc
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_hash(text: str) -> str:
    """sha256 hex of the UTF-8 text: how the vault refers to a post without keeping its words."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dumps(value: Any) -> str:
    """Compact JSON with non-ASCII kept (smaller); raises InvalidRecord for non-JSON values."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"value is not JSON-serialisable: {exc}") from exc


def _opt_str(row: dict[str, Any], key: str, what: str, *, required: bool = False, max_len: int = 4096) -> str | None:
    value = row.get(key)
    if value is None:
        if required:
            raise InvalidRecord(f"{what}: field {key!r} is required")
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{what}: field {key!r} must be a string, got {type(value).__name__}")
    if required and not value:
        raise InvalidRecord(f"{what}: field {key!r} must not be empty")
    if len(value) > max_len:
        raise InvalidRecord(f"{what}: field {key!r} is longer than {max_len} characters")
    return value


def _require_dict(row: Any, what: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise InvalidRecord(f"{what} must be a JSON object, got {type(row).__name__}")
    return row


# --- profile <-> rules ---------------------------------------------------------------------


def split_profile(doc: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Move every list entry under ``mutes`` / ``allow`` into rule rows; keep the rest as a skeleton.

    The skeleton keeps each list's key with ``[]`` so empty lists survive the round trip. An entry
    is a string (a word, phrase, regex or handle) or an object such as
    ``{"value": "crypto", "site": "x", "until": "2026-12-01"}``; objects are kept whole in ``item``.
    """
    doc = _require_dict(doc, "profile")
    skeleton = copy.deepcopy({k: v for k, v in doc.items() if k != "version"})
    rows: list[dict[str, Any]] = []
    for list_name in RULE_LISTS:
        section = skeleton.get(list_name)
        if not isinstance(section, dict):
            continue
        for kind, entries in section.items():
            if not isinstance(entries, list):
                continue
            for position, entry in enumerate(entries):
                rows.append(_rule_row(list_name, kind, position, entry))
            section[kind] = []
    return skeleton, rows


def _rule_row(list_name: str, kind: str, position: int, entry: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"list": list_name, "kind": kind, "position": position, "value": None, "site": None, "until": None, "item": None}
    if isinstance(entry, str):
        row["value"] = entry
        return row
    row["item"] = dumps(entry)
    if isinstance(entry, dict):
        for key in ("value", "text", "word", "phrase", "pattern", "regex", "account"):
            if isinstance(entry.get(key), str):
                row["value"] = entry[key]
                break
        if isinstance(entry.get("site"), str):
            row["site"] = entry["site"]
        if isinstance(entry.get("until"), str):
            row["until"] = entry["until"]
    return row


def merge_profile(skeleton: dict[str, Any], rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Inverse of :func:`split_profile`: put the rule rows back into their lists, in order."""
    doc = copy.deepcopy(skeleton)
    for rule in sorted(rules, key=lambda r: (r["list"], r["kind"], r["position"])):
        section = doc.setdefault(rule["list"], {})
        if not isinstance(section, dict):
            continue  # the skeleton replaced the section by a non-object; the rows are stale
        entries = section.setdefault(rule["kind"], [])
        entries.append(json.loads(rule["item"]) if rule["item"] is not None else rule["value"])
    return doc


# --- other records -------------------------------------------------------------------------


def seen_row(row: Any) -> dict[str, Any]:
    """A ``seen`` row from ``{text|hash, site, author?, lang?, sentiment?, scores?, action?, reasons?, time?}``.

    Only the sha256 of ``text`` is kept, never the text. Unknown keys are dropped (they might hold text).
    """
    row = _require_dict(row, "seen post")
    digest = _opt_str(row, "hash", "seen post", max_len=128)
    text = row.get("text")
    if digest is None:
        if not isinstance(text, str):
            raise InvalidRecord("seen post: give 'text' (hashed, never stored) or 'hash'")
        digest = text_hash(text)
    sentiment = row.get("sentiment")
    label, score = None, row.get("sentiment_score")
    if isinstance(sentiment, dict):
        label, score = sentiment.get("label"), sentiment.get("score", score)
    elif sentiment is not None:
        label = sentiment
    if label is not None and not isinstance(label, str):
        raise InvalidRecord("seen post: 'sentiment' must be a label string or {label, score}")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise InvalidRecord("seen post: sentiment score must be a number")
    scores = row.get("scores") or {}
    reasons = row.get("reasons") or []
    if not isinstance(scores, dict):
        raise InvalidRecord("seen post: 'scores' must be an object of name -> number")
    if not isinstance(reasons, list):
        raise InvalidRecord("seen post: 'reasons' must be a list")
    return {
        "hash": digest,
        "site": _opt_str(row, "site", "seen post", required=True, max_len=64),
        "author": _opt_str(row, "author", "seen post", max_len=512),
        "lang": _opt_str(row, "lang", "seen post", max_len=32) or _opt_str(row, "language", "seen post", max_len=32),
        "sentiment": label,
        "sentiment_score": float(score) if score is not None else None,
        "scores": dumps(scores),
        "action": _opt_str(row, "action", "seen post", max_len=32),
        "reasons": dumps(reasons),
        "time": to_iso(row.get("time")),
    }


def feedback_row(event: Any) -> dict[str, Any]:
    """A ``feedback`` row: ``kind`` required; known fields in columns, everything else in ``data``."""
    event = _require_dict(event, "feedback event")
    kind = _opt_str(event, "kind", "feedback event", required=True, max_len=64)
    post_hash = _opt_str(event, "post_hash", "feedback event", max_len=128)
    if post_hash is None and isinstance(event.get("text"), str):
        post_hash = text_hash(event["text"])
    columns = ("id", "kind", "time", "site", "post_hash", "author", "label")
    return {
        "time": to_iso(event.get("time")),
        "kind": kind,
        "site": _opt_str(event, "site", "feedback event", max_len=64),
        "post_hash": post_hash,
        "author": _opt_str(event, "author", "feedback event", max_len=512),
        "label": _opt_str(event, "label", "feedback event", max_len=128),
        "data": dumps({k: v for k, v in event.items() if k not in columns}),
    }


def interaction_row(row: Any) -> dict[str, Any]:
    """An ``interactions`` row: ``{src, dst, kind: reply|quote|mention, site, time?, post_hash?}``."""
    row = _require_dict(row, "interaction")
    kind = _opt_str(row, "kind", "interaction", required=True)
    if kind not in INTERACTION_KINDS:
        raise InvalidRecord(f"interaction: kind must be one of {', '.join(INTERACTION_KINDS)}, got {kind!r}")
    return {
        "src": _opt_str(row, "src", "interaction", required=True, max_len=512),
        "dst": _opt_str(row, "dst", "interaction", required=True, max_len=512),
        "kind": kind,
        "site": _opt_str(row, "site", "interaction", required=True, max_len=64),
        "post_hash": _opt_str(row, "post_hash", "interaction", max_len=128) or "",
        "time": to_iso(row.get("time")),
    }


def epoch(value: Any, field: str) -> float:
    """Epoch seconds from a number or an ISO 8601 string (pairing times are epoch seconds, as the
    companion's pairing service computes with them)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value is None:
        return datetime.now(timezone.utc).timestamp()
    return datetime.fromisoformat(to_iso(value, field).replace("Z", "+00:00")).timestamp()


def pairing_row(pairing: Any) -> dict[str, Any]:
    """A ``pairings`` row from ``{id, extension_id, name, token_hash, created, last_used?, revoked?}``."""
    pairing = _require_dict(pairing, "pairing")
    return {
        "id": _opt_str(pairing, "id", "pairing", required=True, max_len=128),
        "token_hash": _opt_str(pairing, "token_hash", "pairing", required=True, max_len=256),
        "extension_id": _opt_str(pairing, "extension_id", "pairing", required=True, max_len=512),
        "name": _opt_str(pairing, "name", "pairing", max_len=512) or "",
        "created": epoch(pairing.get("created"), "created"),
        "last_used": epoch(pairing["last_used"], "last_used") if pairing.get("last_used") is not None else None,
        "revoked": 1 if pairing.get("revoked") else 0,
    }


REQUEST_FIELDS = ("id", "code", "extension_id", "name", "created", "expires_at", "status")


def pair_request_row(request: Any) -> dict[str, Any]:
    """A ``pair_requests`` row: ``{id, code, extension_id, name, created, expires_at, status}``."""
    request = _require_dict(request, "pairing request")
    row: dict[str, Any] = {}
    for key in ("id", "code", "extension_id", "name", "status"):
        row[key] = _opt_str(request, key, "pairing request", required=key != "name", max_len=512) or ""
    for key in ("created", "expires_at"):
        row[key] = epoch(request.get(key), key)
    return row

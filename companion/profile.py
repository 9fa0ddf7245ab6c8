"""The person's profile: one JSON document, its defaults, and validation with clear messages.

    doc = validate_profile({"dials": {"hate": "strict"}})   # -> a full profile, defaults filled in
    validate_profile({"dials": {"hate": "max"}})
    # ProfileInvalid: profile.dials.hate: 'max' is not a dial level; use one of off, low, medium, high, strict

The core fields are DESIGN.md's (``version, languages, auto_translate, dials, mutes{words, regexes,
accounts}, allow{accounts}, topics[{text, action}], sites``) and keep their meaning exactly. The
fields added here all have defaults, so a document written against DESIGN.md alone stays valid:

- ``mutes.phrases``: like words, for multi-word phrases (reported as ``muted_phrase``).
- Any mute/allow entry may be a string (everywhere, forever) or an object
  ``{"value": "crypto", "sites": ["x"], "until": "2026-12-31", "action": "collapse"}``.
- ``mute_action``: what a mute does when its entry names no action (default ``hide``).
- ``topics[].examples`` (example phrases, any language), ``topics[].sites``, ``topics[].until``.
- ``calm_mode``: collapse strongly negative posts.
- ``interest``: ``{"enabled": true}`` — use the personal interest model.
- ``ui_language``: ``en`` or ``zh`` (language of the reasons' sentences).

``docs/decisions.md`` documents every field. The vault stores the document; ``PUT /v1/profile``
calls :func:`validate_profile` and stores what it returns.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from companion.errors import InvalidRequest

SITES = ("x", "reddit", "mastodon", "bluesky", "youtube", "weibo")
CATEGORIES = ("toxicity", "offensive", "hate", "spam", "negativity")
LEVELS = ("off", "low", "medium", "high", "strict")
ACTIONS = ("show", "badge", "blur", "collapse", "hide")
MUTE_ACTIONS = ("badge", "blur", "collapse", "hide")
UI_LANGUAGES = ("en", "zh")
MUTE_LISTS = ("words", "phrases", "regexes", "accounts")

# Limits keep one profile from making every post slow (and the settings page usable).
MAX_ENTRIES = 1000
MAX_VALUE_CHARS = 200
MAX_REGEX_CHARS = 500
MAX_TOPICS = 50
MAX_EXAMPLES = 20

_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def default_profile() -> dict[str, Any]:
    """A fresh profile: nothing muted, mild dials (badge/blur only for clear cases), all sites on."""
    return {
        "version": 1,
        "languages": ["en"],
        "auto_translate": True,
        "dials": {"toxicity": "low", "offensive": "off", "hate": "low", "spam": "low", "negativity": "off"},
        "mutes": {"words": [], "phrases": [], "regexes": [], "accounts": []},
        "mute_action": "hide",
        "allow": {"accounts": []},
        "topics": [],
        "sites": {site: True for site in SITES},
        "calm_mode": False,
        "interest": {"enabled": True},
        "ui_language": "en",
    }


KNOWN_FIELDS = tuple(default_profile())


class ProfileInvalid(InvalidRequest):
    """The profile document is wrong; ``message`` names the first problem, ``errors`` lists all."""

    code = "invalid_profile"


def _opts(options: tuple[str, ...]) -> str:
    return ", ".join(options)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, path: str, problem: str) -> None:
        self.errors.append(f"profile.{path}: {problem}")

    def bool_(self, path: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.err(path, f"must be true or false, got {value!r}")
            return False
        return True

    def choice(self, path: str, value: Any, options: tuple[str, ...], what: str) -> bool:
        if value not in options:
            self.err(path, f"{value!r} is not {what}; use one of {_opts(options)}")
            return False
        return True

    def list_(self, path: str, value: Any, limit: int) -> bool:
        if not isinstance(value, list):
            self.err(path, f"must be a list, got {type(value).__name__}")
            return False
        if len(value) > limit:
            self.err(path, f"has {len(value)} entries; at most {limit} are allowed")
            return False
        return True

    def text(self, path: str, value: Any, limit: int) -> bool:
        if not isinstance(value, str) or not value.strip():
            self.err(path, f"must be a non-empty string, got {value!r}")
            return False
        if len(value) > limit:
            self.err(path, f"is {len(value)} characters long; at most {limit} are allowed")
            return False
        return True

    def until(self, path: str, value: Any) -> None:
        if not isinstance(value, str):
            self.err(path, f"must be an ISO date like 2026-12-31 or datetime like 2026-12-31T18:00:00Z, got {value!r}")
            return
        try:
            if len(value.strip()) == 10:
                date.fromisoformat(value.strip())
            else:
                datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            self.err(path, f"{value!r} is not a date; use an ISO date like 2026-12-31 or "
                           "datetime like 2026-12-31T18:00:00Z")

    def sites(self, path: str, value: Any) -> None:
        if not self.list_(path, value, len(SITES)):
            return
        for i, site in enumerate(value):
            self.choice(f"{path}[{i}]", site, SITES, "a site")

    def entry(self, path: str, item: Any, *, limit: int, actions: bool, timed: bool = True) -> None:
        """A list entry: a string, or {value, sites?, until?, action?}."""
        if isinstance(item, str):
            self.text(path, item, limit)
            return
        if not isinstance(item, dict):
            self.err(path, f"must be a string or an object {{value, sites, until, action}}, got {item!r}")
            return
        allowed = {"value", "sites"} | ({"until"} if timed else set()) | ({"action"} if actions else set())
        for key in item:
            if key not in allowed:
                self.err(f"{path}.{key}", f"unknown field; known fields: {_opts(tuple(sorted(allowed)))}")
        if "value" not in item:
            self.err(f"{path}.value", "is missing")
        else:
            self.text(f"{path}.value", item["value"], limit)
        if "sites" in item:
            self.sites(f"{path}.sites", item["sites"])
        if "until" in item and timed:
            self.until(f"{path}.until", item["until"])
        if "action" in item and actions:
            self.choice(f"{path}.action", item["action"], MUTE_ACTIONS, "a mute action")


def validate_profile(doc: Any) -> dict[str, Any]:
    """Check ``doc`` and return a complete profile (defaults for what it leaves out).

    :raise ProfileInvalid: (HTTP 400) naming every wrong field and the valid options.
    """
    from companion.pipeline.rules import compile_user_regex  # local: keeps profile import-light

    c = _Checker()
    if not isinstance(doc, Mapping):
        raise ProfileInvalid(f"profile: must be a JSON object, got {type(doc).__name__}",
                             errors=[f"profile: must be a JSON object, got {type(doc).__name__}"])
    out = default_profile()
    for key in doc:
        if key not in out:
            c.err(str(key), f"unknown field; known fields: {_opts(KNOWN_FIELDS)}")

    if "version" in doc:
        v = doc["version"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            c.err("version", f"must be a whole number >= 0, got {v!r}")
    if "languages" in doc and c.list_("languages", doc["languages"], 50):
        for i, lang in enumerate(doc["languages"]):
            if not isinstance(lang, str) or not _LANG_RE.match(lang):
                c.err(f"languages[{i}]", f"{lang!r} is not a language code; use ISO 639-1 codes like en, zh, pt")
    for flag in ("auto_translate", "calm_mode"):
        if flag in doc:
            c.bool_(flag, doc[flag])
    if "ui_language" in doc:
        c.choice("ui_language", doc["ui_language"], UI_LANGUAGES, "a UI language")
    if "mute_action" in doc:
        c.choice("mute_action", doc["mute_action"], MUTE_ACTIONS, "a mute action")

    dials = doc.get("dials", {})
    if not isinstance(dials, dict):
        c.err("dials", f"must be an object of category -> level, got {dials!r}")
    else:
        for cat, level in dials.items():
            if cat not in CATEGORIES:
                c.err(f"dials.{cat}", f"unknown category; use one of {_opts(CATEGORIES)}")
            else:
                c.choice(f"dials.{cat}", level, LEVELS, "a dial level")

    mutes = doc.get("mutes", {})
    if not isinstance(mutes, dict):
        c.err("mutes", f"must be an object with lists {_opts(MUTE_LISTS)}, got {mutes!r}")
    else:
        for key, items in mutes.items():
            if key not in MUTE_LISTS:
                c.err(f"mutes.{key}", f"unknown list; use one of {_opts(MUTE_LISTS)}")
                continue
            if not c.list_(f"mutes.{key}", items, MAX_ENTRIES):
                continue
            limit = MAX_REGEX_CHARS if key == "regexes" else MAX_VALUE_CHARS
            for i, item in enumerate(items):
                path = f"mutes.{key}[{i}]"
                before = len(c.errors)
                c.entry(path, item, limit=limit, actions=True)
                if key == "regexes" and len(c.errors) == before:
                    pattern = item if isinstance(item, str) else item["value"]
                    try:
                        compile_user_regex(pattern)
                    except Exception as exc:  # regex.error; its text says where
                        c.err(path, f"is not a valid regular expression ({exc}); "
                                    "escape special characters like . ( [ with a backslash")

    allow = doc.get("allow", {})
    if not isinstance(allow, dict):
        c.err("allow", f"must be an object {{accounts: [...]}}, got {allow!r}")
    else:
        for key, items in allow.items():
            if key != "accounts":
                c.err(f"allow.{key}", "unknown list; use accounts")
                continue
            if c.list_("allow.accounts", items, MAX_ENTRIES):
                for i, item in enumerate(items):
                    c.entry(f"allow.accounts[{i}]", item, limit=MAX_VALUE_CHARS, actions=False, timed=False)

    topics = doc.get("topics", [])
    if c.list_("topics", topics, MAX_TOPICS):
        for i, topic in enumerate(topics):
            path = f"topics[{i}]"
            if not isinstance(topic, dict):
                c.err(path, f"must be an object {{text, action, examples?, sites?, until?}}, got {topic!r}")
                continue
            for key in topic:
                if key not in ("text", "action", "examples", "sites", "until"):
                    c.err(f"{path}.{key}", "unknown field; known fields: action, examples, sites, text, until")
            if "text" not in topic:
                c.err(f"{path}.text", "is missing")
            else:
                c.text(f"{path}.text", topic["text"], MAX_VALUE_CHARS)
            if "action" not in topic:
                c.err(f"{path}.action", f"is missing; use one of {_opts(ACTIONS)}")
            else:
                c.choice(f"{path}.action", topic["action"], ACTIONS, "an action")
            if "examples" in topic and c.list_(f"{path}.examples", topic["examples"], MAX_EXAMPLES):
                for j, ex in enumerate(topic["examples"]):
                    c.text(f"{path}.examples[{j}]", ex, MAX_VALUE_CHARS)
            if "sites" in topic:
                c.sites(f"{path}.sites", topic["sites"])
            if "until" in topic:
                c.until(f"{path}.until", topic["until"])

    sites = doc.get("sites", {})
    if not isinstance(sites, dict):
        c.err("sites", f"must be an object of site -> true/false, got {sites!r}")
    else:
        for site, on in sites.items():
            if site not in SITES:
                c.err(f"sites.{site}", f"unknown site; use one of {_opts(SITES)}")
            else:
                c.bool_(f"sites.{site}", on)

    interest = doc.get("interest", {})
    if not isinstance(interest, dict):
        c.err("interest", f"must be an object {{enabled: true|false}}, got {interest!r}")
    else:
        for key, val in interest.items():
            if key != "enabled":
                c.err(f"interest.{key}", "unknown field; known fields: enabled")
            else:
                c.bool_("interest.enabled", val)

    if c.errors:
        more = f" (and {len(c.errors) - 1} more problem(s))" if len(c.errors) > 1 else ""
        raise ProfileInvalid(c.errors[0] + more, errors=c.errors)

    # Merge: nested objects field by field so a partial document keeps the other defaults.
    for key, value in doc.items():
        if key in ("dials", "mutes", "allow", "sites", "interest"):
            out[key].update(copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    return out


def profile_json_schema() -> dict[str, Any]:
    """A JSON Schema of the profile document (for the OpenAPI description and the settings page).

    :func:`validate_profile` is the authority (it also compiles regexes and gives the messages);
    this schema describes the same shape for clients.
    """
    sites_list = {"type": "array", "items": {"enum": list(SITES)}, "uniqueItems": True}
    until = {"type": "string", "description": "ISO date (through that day, UTC) or ISO datetime",
             "examples": ["2026-12-31", "2026-12-31T18:00:00Z"]}

    def entry(limit: int, timed: bool = True, action: bool = True) -> dict[str, Any]:
        obj: dict[str, Any] = {"value": {"type": "string", "minLength": 1, "maxLength": limit}, "sites": sites_list}
        if timed:
            obj["until"] = until
        if action:
            obj["action"] = {"enum": list(MUTE_ACTIONS)}
        return {"oneOf": [
            {"type": "string", "minLength": 1, "maxLength": limit},
            {"type": "object", "required": ["value"], "additionalProperties": False, "properties": obj},
        ]}

    def lst(item: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "maxItems": MAX_ENTRIES, "items": item}

    return {
        "type": "object",
        "additionalProperties": False,
        "description": "The person's profile; every field is optional and takes its default "
                       "(docs/decisions.md lists them).",
        "properties": {
            "version": {"type": "integer", "minimum": 0},
            "languages": {"type": "array", "maxItems": 50, "items": {"type": "string", "pattern": _LANG_RE.pattern}},
            "auto_translate": {"type": "boolean"},
            "dials": {"type": "object", "additionalProperties": False,
                      "properties": {c: {"enum": list(LEVELS)} for c in CATEGORIES}},
            "mutes": {"type": "object", "additionalProperties": False, "properties": {
                "words": lst(entry(MAX_VALUE_CHARS)), "phrases": lst(entry(MAX_VALUE_CHARS)),
                "regexes": lst(entry(MAX_REGEX_CHARS)), "accounts": lst(entry(MAX_VALUE_CHARS))}},
            "mute_action": {"enum": list(MUTE_ACTIONS)},
            "allow": {"type": "object", "additionalProperties": False, "properties": {
                "accounts": lst(entry(MAX_VALUE_CHARS, timed=False, action=False))}},
            "topics": {"type": "array", "maxItems": MAX_TOPICS, "items": {
                "type": "object", "required": ["text", "action"], "additionalProperties": False, "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_CHARS},
                    "action": {"enum": list(ACTIONS)},
                    "examples": {"type": "array", "maxItems": MAX_EXAMPLES,
                                 "items": {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_CHARS}},
                    "sites": sites_list, "until": until}}},
            "sites": {"type": "object", "additionalProperties": False,
                      "properties": {s: {"type": "boolean"} for s in SITES}},
            "calm_mode": {"type": "boolean"},
            "interest": {"type": "object", "additionalProperties": False,
                         "properties": {"enabled": {"type": "boolean"}}},
            "ui_language": {"enum": list(UI_LANGUAGES)},
        },
    }


def profile_fingerprint(profile: Mapping[str, Any]) -> str:
    """A short stable hash of a profile's content (with its version): part of the verdict cache key."""
    import hashlib
    import json

    blob = json.dumps(profile, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"v{profile.get('version', 0)}-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]

"""Mutes and allow-lists: compiled once per profile, matched per post.

    rules = CompiledRules.from_profile(profile)
    hits = rules.match(text="Buy CRYPT0 now #CryptoNews", author="@bob", site="x", now=utcnow())
    hits[0].reason()   # {"kind": "muted_word", "value": "crypto", "matched": "CRYPT0", "action": "hide"}
    rules.is_allowed("@friend", "x")

Matching survives the usual dodges (see :mod:`companion.pipeline.normalize` for the character
folding). On top of that, the pattern built for each muted word or phrase:

- accepts leetspeak per letter (``o`` ~ ``0``, ``a`` ~ ``4``/``@``, ``i`` ~ ``1``/``!``/``l`` ...),
- accepts up to three separator characters (spaces, dots, dashes, underscores) between letters
  (``c r y p t o``, ``cr-ypto``; a phrase's own spaces become the same separators),
- needs word boundaries where the word starts / ends with a letter or digit of a spaced script
  (``crypto`` does not fire on ``cryptography``; plurals ``-s``/``-es`` still match),
- has no boundaries at edges in unspaced scripts (``加密货币`` matches inside ``我买了加密货币基金``),
- also matches *inside* hashtags without boundaries (``#CryptoNews``, ``#buycrypto``).

User regexes run with the ``regex`` module and a per-regex time budget, against the lightly folded
text (NFKC + case folding). A regex that runs out of time counts as no match and is logged (its
index, never the post). Accounts: mutes match the homoglyph skeleton (they catch impostors too);
the allow-list matches the exact handle only (an impostor must not inherit trust).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import regex

from companion.pipeline.normalize import (
    Normalized,
    account_skeleton,
    fold,
    is_unspaced_script,
    normalize,
    normalize_account,
    normalize_light,
)

log = logging.getLogger(__name__)

# Per-regex time budget (seconds). Patterns come from the person, so they may be pathological;
# a feed has hundreds of posts, so one bad pattern must not cost more than a few ms each.
REGEX_TIMEOUT_S = 0.02
# A regex that runs out of time this many times is switched off for this compiled profile (a
# circuit breaker: 200 posts x 20 ms would otherwise stall every batch). Saving the profile again
# re-enables it; ``CompiledRules.disabled_regexes`` lists them for /v1/status.
REGEX_MAX_TIMEOUTS = 3

# Leetspeak and look-alike ASCII per (normalised) letter. Ambiguity is intended: 1 may be i or l.
LEET: dict[str, str] = {
    "a": "a4@^",
    "b": "b86",
    "c": "c(<¢",
    "e": "e3€",
    "g": "g96",
    "h": "h#",
    "i": "i1!|l",
    "l": "l1|i",
    "o": "o0°",
    "s": "s5$z",
    "t": "t7+",
    "z": "z2",
    "x": "x×",
    "y": "y¥",
}

_SEP = r"[\W_]{0,3}"  # separators people put inside words: spaces, dots, dashes, underscores


def _leet_classes() -> dict[str, str]:
    """Each character of :data:`LEET` -> one representative of its (merged) look-alike class.

    Classes overlap (``1`` is both ``i`` and ``l``), so they are merged (union-find): the
    prefilter below may then let through a few extra candidates, never drop a real match.
    """
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for letter, variants in LEET.items():
        for v in variants:
            parent[find(v)] = find(letter)
    return {c: find(c) for c in parent}


_CANON = _leet_classes()


def canonical(text: str) -> str:
    """The prefilter's view of (normalised) text: look-alikes merged, separators dropped.

    A muted word can only match where its canonical form is a substring of the post's, so one
    ``in`` test per word rules out almost every word before any regex runs. (A look-alike symbol
    used as a separator, as in ``c@rypto``, is the one case this gives up.)
    """
    return "".join(_CANON.get(c, c) for c in text if c in _CANON or c.isalnum())
_HASHTAG = regex.compile(r"#[\p{L}\p{N}\p{M}_]+")


def _char_class(ch: str) -> str:
    variants = LEET.get(ch, ch)
    if len(variants) == 1:
        return regex.escape(ch)
    return "[" + "".join(regex.escape(v) for v in variants) + "]"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not is_unspaced_script(ch)


def build_word_pattern(word: str, *, bounded: bool = True) -> regex.Pattern[str] | None:
    """The pattern for one muted word or phrase (already :func:`fold`-ed); ``None`` if empty.

    ``bounded=False`` drops the word boundaries (used inside hashtags).
    """
    chars = [c for c in word if not c.isspace() and c not in "#"]
    if not chars:
        return None
    body = _SEP.join(_char_class(c) for c in chars)
    prefix = suffix = ""
    if bounded and _is_word_char(chars[0]):
        prefix = r"(?<![\p{L}\p{N}])"
    if bounded and _is_word_char(chars[-1]):
        # simple plurals / possessives still match: "elections" for "election", "crypto's"
        suffix = r"(?:e?s|'s)?(?![\p{L}\p{N}])"
    return regex.compile(prefix + body + suffix)


def parse_until(value: str | None) -> datetime | None:
    """``"2026-12-31"`` -> end of that day UTC; an ISO datetime -> itself (naive = UTC)."""
    if value is None:
        return None
    text = value.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime.combine(d + timedelta(days=1), time(0, 0), tzinfo=timezone.utc)
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RuleItem:
    """One entry of a mute or allow list after parsing: a value, where it applies, until when."""

    value: str
    sites: frozenset[str] | None = None  # None: everywhere
    until: datetime | None = None
    action: str = "hide"

    def active(self, site: str | None, now: datetime) -> bool:
        if self.sites is not None and site not in self.sites:
            return False
        return self.until is None or now < self.until

    @classmethod
    def parse(cls, item: str | Mapping[str, Any], default_action: str) -> RuleItem:
        if isinstance(item, str):
            return cls(value=item, action=default_action)
        sites = item.get("sites")
        return cls(
            value=str(item["value"]),
            sites=frozenset(sites) if sites else None,
            until=parse_until(item.get("until")),
            action=str(item.get("action") or default_action),
        )


@dataclass(frozen=True)
class Hit:
    """One rule that fired on a post."""

    kind: str  # muted_word | muted_phrase | muted_regex | muted_account
    value: str
    action: str
    matched: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def reason(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "value": self.value, "action": self.action}
        if self.matched is not None:
            out["matched"] = self.matched
        out.update(self.extra)
        return out


class _WordRule:
    """One muted word/phrase; its two patterns are compiled on first use (most never fire)."""

    def __init__(self, item: RuleItem, kind: str, folded: str):
        self.item = item
        self.kind = kind
        self.folded = folded
        self.canon = canonical(folded)
        self._bounded: regex.Pattern[str] | None = None
        self._loose: regex.Pattern[str] | None = None

    @property
    def bounded(self) -> regex.Pattern[str]:
        if self._bounded is None:
            self._bounded = build_word_pattern(self.folded)
        assert self._bounded is not None
        return self._bounded

    @property
    def loose(self) -> regex.Pattern[str]:
        if self._loose is None:
            self._loose = build_word_pattern(self.folded, bounded=False)
        assert self._loose is not None
        return self._loose


@dataclass(frozen=True)
class _RegexRule:
    item: RuleItem
    index: int
    pattern: regex.Pattern[str]


class CompiledRules:
    """Mutes and allow-list of one profile, compiled. Cheap to query; build once per profile."""

    def __init__(self, words: list[_WordRule], regexes: list[_RegexRule], accounts: list[RuleItem],
                 allow: list[RuleItem], regex_timeout: float = REGEX_TIMEOUT_S):
        self._words = words
        self._regexes = regexes
        self._accounts = [(account_skeleton(a.value), a) for a in accounts]
        self._allow = [(normalize_account(a.value), a) for a in allow]
        self.regex_timeout = regex_timeout
        self.regex_timeouts = 0  # how many regex searches ran out of time (for /v1/status)
        self._timeouts_by_rule: dict[int, int] = {}
        self.disabled_regexes: list[str] = []  # patterns switched off by the circuit breaker
        timed = [i.until for i in [w.item for w in words] + [r.item for r in regexes] + accounts if i.until]
        self.expiries: tuple[datetime, ...] = tuple(sorted(timed))

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any], regex_timeout: float = REGEX_TIMEOUT_S) -> CompiledRules:
        """Compile ``profile["mutes"]`` and ``profile["allow"]`` (a profile from ``validate_profile``)."""
        mutes = profile.get("mutes") or {}
        default_action = str(profile.get("mute_action") or "hide")
        words: list[_WordRule] = []
        for kind, key in (("muted_word", "words"), ("muted_phrase", "phrases")):
            for raw in mutes.get(key) or []:
                item = RuleItem.parse(raw, default_action)
                folded = fold(item.value)
                if not any(not c.isspace() and c != "#" for c in folded):
                    continue
                words.append(_WordRule(item, kind, folded))
        regexes: list[_RegexRule] = []
        for i, raw in enumerate(mutes.get("regexes") or []):
            item = RuleItem.parse(raw, default_action)
            regexes.append(_RegexRule(item, i, compile_user_regex(item.value)))
        accounts = [RuleItem.parse(a, default_action) for a in mutes.get("accounts") or []]
        allow = [RuleItem.parse(a, "show") for a in (profile.get("allow") or {}).get("accounts") or []]
        return cls(words, regexes, accounts, allow, regex_timeout)

    def next_expiry(self, now: datetime) -> datetime | None:
        """When the set of active timed rules next changes (verdicts cached before it go stale)."""
        for t in self.expiries:
            if t > now:
                return t
        return None

    def is_allowed(self, author: str | None, site: str | None, now: datetime | None = None) -> str | None:
        """The allow-list entry that covers ``author`` on ``site`` (exact handle), else ``None``."""
        if not author or not self._allow:
            return None
        now = now or datetime.now(timezone.utc)
        handle = normalize_account(author)
        for value, item in self._allow:
            if value == handle and item.active(site, now):
                return item.value
        return None

    def match(self, text: str, author: str | None, site: str | None, now: datetime,
              normalized: Normalized | None = None) -> list[Hit]:
        """Every mute that fires on this post (accounts first, then words/phrases, then regexes)."""
        hits: list[Hit] = []
        if author and self._accounts:
            skel = account_skeleton(author)
            for value, item in self._accounts:
                if value == skel and item.active(site, now):
                    hits.append(Hit("muted_account", item.value, item.action, matched=author))
        norm = normalized or normalize(text) if self._words else None
        if norm is not None:
            canon = canonical(norm.text)
            hashtags: list[tuple[int, int]] | None = None
            for rule in self._words:
                if rule.canon not in canon or not rule.item.active(site, now):
                    continue  # the prefilter: one substring test rules out almost every (post, word) pair
                if hashtags is None:
                    hashtags = [(h.start() + 1, h.end()) for h in _HASHTAG.finditer(norm.text)]
                m = rule.bounded.search(norm.text)
                if m is None:
                    for start, end in hashtags:
                        m = rule.loose.search(norm.text, start, end)
                        if m is not None:
                            break
                if m is not None:
                    hits.append(Hit(rule.kind, rule.item.value, rule.item.action,
                                    matched=norm.original(m.start(), m.end())))
        if self._regexes:
            light = normalize_light(text)
            for rule in self._regexes:
                if not rule.item.active(site, now) or self._timeouts_by_rule.get(rule.index, 0) >= REGEX_MAX_TIMEOUTS:
                    continue
                try:
                    m = rule.pattern.search(light.text, timeout=self.regex_timeout)
                except TimeoutError:
                    self.regex_timeouts += 1
                    n = self._timeouts_by_rule[rule.index] = self._timeouts_by_rule.get(rule.index, 0) + 1
                    log.warning("mute regex #%d ran out of its %.0f ms budget; treated as no match",
                                rule.index, self.regex_timeout * 1000)
                    if n >= REGEX_MAX_TIMEOUTS:
                        self.disabled_regexes.append(rule.item.value)
                        log.warning("mute regex #%d timed out %d times: switched off until the profile is "
                                    "saved again; simplify it (nested repeats like (a+)+ are the usual cause)",
                                    rule.index, n)
                    continue
                if m is not None:
                    hits.append(Hit("muted_regex", rule.item.value, rule.item.action,
                                    matched=light.original(m.start(), m.end())))
        return hits


def compile_user_regex(pattern: str) -> regex.Pattern[str]:
    """Compile a person's mute regex (case-insensitive, Unicode); raises ``regex.error`` if invalid."""
    return regex.compile(pattern, regex.IGNORECASE | regex.UNICODE)


def iter_rule_values(items: Iterable[str | Mapping[str, Any]]) -> Iterable[str]:
    """The ``value`` of each entry, whichever of the two shapes it has."""
    for item in items:
        yield item if isinstance(item, str) else str(item.get("value", ""))

"""Text normalisation for matching mutes against posts that try to dodge them.

    >>> n = normalize("Ｃｒｙｐｔｏ news")
    >>> n.text
    'crypto news'
    >>> n.original_span(0, 6)          # where the match sits in the post as written
    (0, 6)

What one pass does to each character, in order (and why):

1. NFKC: full-width ``Ｃ``, mathematical ``𝐂``, ligatures ``ﬁ`` become plain letters.
2. Case folding (``str.casefold``): ``CRYPTO``, ``Straße`` ~ ``strasse``.
3. Format characters (Unicode category ``Cf``: zero-width space / joiner, soft hyphen, BOM, bidi
   marks) and variation selectors (the emoji ``U+FE0F``) are dropped: ``cr\u200bypto`` reads as ``crypto``.
4. Accents (combining diacritics) are stripped: ``crýptö`` -> ``crypto``.
5. Traditional Chinese becomes Simplified (OpenCC ``t2s``, when the ``opencc`` package is installed):
   ``加密貨幣`` matches a mute of ``加密货币`` and the other way round.
6. Homoglyphs: a character that Unicode's confusables table (``confusable-homoglyphs`` package, built
   from Unicode's ``confusables.txt``) lists as confusable with one ASCII letter or digit becomes that
   letter: Cyrillic ``с`` / Greek ``ο`` -> ``c`` / ``o``. CJK, kana and Hangul are never remapped.
   Styled Latin letters the table leaves out (small capitals ``ᴘ``, ``ø``, negative circled ``🅒``)
   are mapped by their Unicode names.

Leetspeak (``Crypt0``) and separators inside words (``c.r.y.p.t.o``) are handled by the patterns
that :mod:`companion.pipeline.rules` builds, not here: they are ambiguous (``1`` is ``i`` or ``l``)
and only make sense relative to the word being looked for.

Every normalised character remembers the index of the original character it came from, so a
match can be reported as the post wrote it (``matched: "Crypt0"``).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

# Combining diacritical marks (the accents of Latin, Greek and Cyrillic). Other scripts' marks
# (Devanagari vowel signs, Hebrew points...) carry meaning and stay.
_ACCENT_RANGES = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))


def _is_invisible(ch: str) -> bool:
    """Format characters (zero-width, soft hyphen, BOM, bidi) and variation selectors (emoji ``️``)."""
    cp = ord(ch)
    return unicodedata.category(ch) == "Cf" or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _is_accent(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _ACCENT_RANGES)


def is_unspaced_script(ch: str) -> bool:
    """True for characters of scripts written without spaces between words (CJK, kana, Thai...).

    Mutes in these scripts match as substrings: there are no word boundaries to look for.
    Hangul is included because Korean glues particles onto nouns (``암호화폐는``).
    """
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF  # CJK radicals, kana, bopomofo, CJK unified ideographs
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
        or 0x1100 <= cp <= 0x11FF  # Hangul jamo
        or 0xF900 <= cp <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= cp <= 0x3FFFF  # CJK extensions B+
        or 0x0E00 <= cp <= 0x0EFF  # Thai, Lao
        or 0x1000 <= cp <= 0x109F  # Myanmar
        or 0x1780 <= cp <= 0x17FF  # Khmer
        or 0xFF66 <= cp <= 0xFF9F  # half-width katakana
    )


@lru_cache(maxsize=1)
def _homoglyph_map() -> dict[str, str]:
    """char -> ASCII letter/digit, from the confusables table shipped by ``confusable-homoglyphs``.

    The package's ``confusables.json`` lists, for each character, the characters it can be confused
    with. We keep, for every non-ASCII character outside the unspaced scripts, the first ASCII letter
    (lower-cased) it is confusable with, else the first ASCII digit. Built once (~10 ms).
    """
    try:
        raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:  # pragma: no cover - dependency missing
        log.warning("confusables table unavailable (%s); homoglyph matching is off", exc)
        return {}
    table: dict[str, list[dict[str, str]]] = json.loads(raw)
    out: dict[str, str] = {}
    for char, confusables in table.items():
        if len(char) != 1 or ord(char) < 128 or is_unspaced_script(char):
            continue
        letters: list[str] = []
        digits: list[str] = []
        for entry in confusables:
            c = entry.get("c", "").strip("\u200e\u200f")
            if len(c) == 1 and c.isascii():
                if c.isalpha():
                    letters.append(c.lower())
                elif c.isdigit():
                    digits.append(c)
        if letters:
            out[char] = letters[0]
        elif digits:
            out[char] = digits[0]
    # The confusables table leaves out letters that are styled rather than look-alike: small
    # capitals (ʀ ᴘ ᴛ), letters with a stroke or hook (ø ł đ), negative circled / squared capitals
    # (🅒 🅰). Their Unicode names say which letter they are, so read it from the names.
    for lo, hi in _STYLED_RANGES:
        for cp in range(lo, hi + 1):
            char = chr(cp)
            if char in out:
                continue
            m = _STYLED_NAME.match(unicodedata.name(char, ""))
            if m:
                out[char] = (m.group(1) or m.group(2)).lower()
    return out


_STYLED_NAME = re.compile(
    r"^(?:LATIN (?:CAPITAL |SMALL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH .*)?"
    r"|(?:NEGATIVE )?(?:CIRCLED|SQUARED|PARENTHESIZED) LATIN (?:CAPITAL |SMALL )?LETTER ([A-Z]))$"
)
# Latin-1 supplement .. Latin extended-B, IPA, phonetic extensions, Latin extended additional/C/D,
# enclosed alphanumerics (+ supplement, without the regional indicators that make up flags).
_STYLED_RANGES = ((0x00C0, 0x02AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF),
                  (0x2460, 0x24FF), (0x1F100, 0x1F1E5))


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    """OpenCC's Traditional -> Simplified converter, or ``None`` if ``opencc`` is not installed."""
    try:
        import opencc
    except ImportError:
        log.info("opencc not installed: Traditional and Simplified Chinese mutes are matched separately")
        return None
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` with Traditional Chinese characters made Simplified, same length (else unchanged).

    Converting the whole string lets OpenCC use its phrase tables; when that changes the length
    (rare idioms), each character is converted alone so the index map stays 1:1.
    """
    cc = _t2s()
    if cc is None or not _HAN.search(text):
        return text
    out = cc.convert(text)
    if len(out) == len(text):
        return out
    chars = [cc.convert(c) for c in text]
    return "".join(c if len(c) == 1 else o for c, o in zip(chars, text))


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """Steps 1-5 for one character cluster; may return '' (dropped) or several characters (``ß`` -> ``ss``)."""
    s = unicodedata.normalize("NFKC", ch).casefold()
    out: list[str] = []
    glyphs = _homoglyph_map()
    for c in s:
        if _is_invisible(c):
            continue
        if _is_accent(c):
            continue
        decomposed = unicodedata.normalize("NFD", c)
        if decomposed != c and any(_is_accent(d) for d in decomposed):
            c = unicodedata.normalize("NFC", "".join(d for d in decomposed if not _is_accent(d)))
        for d in c:
            out.append(glyphs.get(d, d))
    return "".join(out)


@dataclass(frozen=True)
class Normalized:
    """A normalised text plus, for each of its characters, the index of the source character."""

    text: str
    source: str
    index: Sequence[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Span in :attr:`source` covering normalised characters ``[start, end)``."""
        if end <= start or not self.index:
            return (0, 0)
        return (self.index[start], self.index[end - 1] + 1)

    def original(self, start: int, end: int) -> str:
        """The source text behind normalised characters ``[start, end)``."""
        a, b = self.original_span(start, end)
        return self.source[a:b]


def _clusters(text: str) -> list[tuple[int, str]]:
    """Split into (start index, base + following combining marks): NFKC must see them together
    (``ﾊ`` + ``ﾞ`` is ``バ``; ``e`` + U+0301 is ``é``)."""
    out: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        if out and (unicodedata.combining(ch) or ch in "\uff9e\uff9f"):
            start, cluster = out[-1]
            out[-1] = (start, cluster + ch)
        else:
            out.append((i, ch))
    return out


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching (see the module docstring); keeps an index map."""
    if text.isascii():  # most posts: no folding beyond lower case can apply, so skip the per-char work
        return Normalized(text.lower(), text, range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, cluster in _clusters(text):
        for c in _fold_char(cluster):
            chars.append(c)
            index.append(i)
    return Normalized(to_simplified("".join(chars)), text, tuple(index))


def fold(text: str) -> str:
    """Just the normalised string (for mute words, topic names, account handles)."""
    return to_simplified("".join(_fold_char(cluster) for _, cluster in _clusters(text)))


def fold_light(text: str) -> str:
    """NFKC + case folding + format characters dropped; no accent or homoglyph mapping.

    Used where look-alikes must *not* be merged: allow-listed accounts (an impostor ``@аlice`` with
    a Cyrillic ``а`` must not inherit ``@alice``'s trust) and user regexes (the person wrote them
    against real text).
    """
    s = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in s if not _is_invisible(c))


_light_char = lru_cache(maxsize=4096)(fold_light)


def normalize_light(text: str) -> Normalized:
    """:func:`fold_light` with an index map back to ``text`` (user regexes report what they hit)."""
    if text.isascii():
        return Normalized(text.lower(), text, range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in _light_char(ch):
            chars.append(c)
            index.append(i)
    return Normalized("".join(chars), text, tuple(index))


def normalize_account(handle: str) -> str:
    """``"@Alice "`` -> ``"alice"``; ``"@bob@Mastodon.Social"`` -> ``"bob@mastodon.social"``."""
    return fold_light(handle.strip()).lstrip("@")


def account_skeleton(handle: str) -> str:
    """Like :func:`normalize_account` but homoglyph- and accent-folded: mutes also catch impostors."""
    return fold(handle.strip()).lstrip("@")

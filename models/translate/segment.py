"""Posts are not sentences: split a post into translatable sentences and parts kept verbatim.

    >>> pieces = split_post("Great game! 🎉 @ana https://x.co/a\\nSee you #tomorrow")
    >>> [(p.text, p.translate) for p in pieces][:2]
    [('Great game!', True), (' 🎉 @ana https://x.co/a\\n', False)]
    >>> join(pieces, {"Great game!": "Grande jogo!", "See you": "Até logo"})
    'Grande jogo! 🎉 @ana https://x.co/a\\nAté logo #tomorrow'

URLs, e-mail addresses, @mentions, #hashtags, emoji and line breaks are never sent to a model:
translation models drop or mangle them (the bundled Bergamot model turns ``@bob`` into ``-bob``
and deletes emoji and line breaks). The text is split *around* them instead, which keeps each where
it was. The cost: a mention in mid-sentence splits that sentence in two for the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Parts that are kept verbatim, in priority order (a URL may contain '#' or '@').
_URL = r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]}'’”]"
_EMAIL = r"[\w.+-]+@[\w-]+\.[\w.-]+\w"
_MENTION = r"(?<![\w@])@[\w.]*\w(?:@[\w.-]+\w)?"  # @user, and Mastodon's @user@instance
_HASHTAG = r"(?<![\w#&])#\w+"
# Emoji: pictographs, dingbats, flags, keycaps, plus the joiners / selectors / skin tones that glue them.
_EMOJI = (
    r"(?:[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u3030\u303D\u3297\u3299]"
    r"|[0-9#*]\uFE0F?\u20E3)"
    r"(?:[\uFE0E\uFE0F\u200D\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]"
    r"|\u200D[\U0001F000-\U0001FAFF\u2600-\u27BF])*"
)
_KEEP = re.compile("|".join(f"(?:{p})" for p in (_URL, _EMAIL, _MENTION, _HASHTAG, _EMOJI)))
_LINEBREAK = re.compile(r"(\r\n|\n|\r|\u2028|\u2029)")
# A sentence ends at . ! ? … (then optional closing quotes/brackets) before whitespace or the end,
# or at CJK full stops, which need no space after them.
_SENTENCE = re.compile(
    r"\s*(.+?(?:[.!?…]+[\"'”’»)\]]*(?=\s|$)|[。！？!?]+[\"'”’」』）)]*|$))",
    re.DOTALL,
)
_LETTER = re.compile(r"[^\W\d_]")
# Leading list/separator punctuation left behind after a mention is kept, not translated.
_LEAD = re.compile(r"^[\s,;:.\-–—|/·•]+")
MAX_SENTENCE_CHARS = 400


@dataclass(frozen=True)
class Piece:
    """``text`` and whether it goes to the model (``translate``) or is kept verbatim."""

    text: str
    translate: bool


def _split_long(sentence: str, limit: int) -> list[str]:
    """Cut a run-on "sentence" at whitespace (or hard, for unspaced scripts) to at most ``limit``."""
    out: list[str] = []
    rest = sentence
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        out.append(rest[:cut])
        rest = rest[cut:]
    out.append(rest)
    return out


def _free_text(chunk: str, out: list[Piece], limit: int) -> None:
    """Split text between kept parts into sentences; whitespace and letterless bits stay verbatim."""
    lead = _LEAD.match(chunk)
    if lead:
        out.append(Piece(lead.group(0), False))
        chunk = chunk[lead.end():]
    pos = 0
    for m in _SENTENCE.finditer(chunk):
        if m.end() == m.start():
            break
        if m.start(1) > pos:
            out.append(Piece(chunk[pos:m.start(1)], False))
        sentence = m.group(1)
        stripped = sentence.rstrip()
        tail = sentence[len(stripped):]
        if stripped:
            if _LETTER.search(stripped):
                for part in _split_long(stripped, limit):
                    core = part.strip()
                    if not core:
                        out.append(Piece(part, False))
                        continue
                    i = part.index(core)
                    if i:
                        out.append(Piece(part[:i], False))
                    out.append(Piece(core, True))
                    if i + len(core) < len(part):
                        out.append(Piece(part[i + len(core):], False))
            else:
                out.append(Piece(stripped, False))  # numbers, punctuation, kaomoji: nothing to translate
        if tail:
            out.append(Piece(tail, False))
        pos = m.end()
    if pos < len(chunk):
        out.append(Piece(chunk[pos:], False))


def split_post(text: str, *, max_sentence_chars: int = MAX_SENTENCE_CHARS) -> list[Piece]:
    """Split ``text`` into pieces whose concatenation is exactly ``text``."""
    out: list[Piece] = []
    for line in _LINEBREAK.split(text):
        if not line:
            continue
        if _LINEBREAK.fullmatch(line):
            out.append(Piece(line, False))
            continue
        pos = 0
        for m in _KEEP.finditer(line):
            if m.start() > pos:
                _free_text(line[pos:m.start()], out, max_sentence_chars)
            out.append(Piece(m.group(0), False))
            pos = m.end()
        if pos < len(line):
            _free_text(line[pos:], out, max_sentence_chars)
    merged: list[Piece] = []
    for p in out:  # adjacent verbatim pieces merge, so joins stay cheap and tests readable
        if merged and not p.translate and not merged[-1].translate:
            merged[-1] = Piece(merged[-1].text + p.text, False)
        else:
            merged.append(p)
    return merged


def sentences(pieces: list[Piece]) -> list[str]:
    """The texts that go to a model, in order (duplicates kept)."""
    return [p.text for p in pieces if p.translate]


def join(pieces: list[Piece], translated: dict[str, str]) -> str:
    """Reassemble a post, replacing each translatable piece by ``translated[piece.text]``."""
    return "".join(translated.get(p.text, p.text) if p.translate else p.text for p in pieces)

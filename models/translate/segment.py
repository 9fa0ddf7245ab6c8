"""Posts are not sentences: split a post into translatable sentences and parts kept verbatim.

    >>> pieces = split_post("Great game! 🎉 @ana https://x.co/a\\nSee you #tomorrow")
    >>> [(p.text, p.translate) for p in pieces][:2]
    [('Great game!', True), (' 🎉 @ana https://x.co/a\\n', False)]
    >>> join(pieces, {"Great game!": "Grande jogo!", "See you": "Até logo"})
    'Grande jogo! 🎉 @ana https://x.co/a\\nAté logo #tomorrow'

URLs, e-mail addresses, @mentions, #hashtags, emoji and line breaks are never sent to a model:
translation models drop or mangle them (the bundled Bergamot model turns ``@bob`` into ``-bob``
and deletes emoji and line breaks). At the start or end of a line or sentence the text is split
*around* them. Inside a sentence ("Thanks @bob for the help!") they become placeholders ``X1``,
``X2`` ... so the model still sees one sentence ("Thanks X1 for the help!"); the translation must
give every placeholder back exactly once, else that sentence is translated split around them
instead (:func:`restore` returns None and the caller translates :func:`fallback_pieces`).
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


_TERMINAL = ".!?…。！？"
_MARK = re.compile("\ue000(\\d+)\ue001")  # an inner run of kept text, while segmenting
_PLACEHOLDER = re.compile(r"\bX(\d+)\b")


@dataclass(frozen=True)
class Piece:
    """``text`` and whether it goes to the model (``translate``) or is kept verbatim.

    A translatable piece with ``slots`` holds placeholders ``X1..Xn`` standing for ``slots``;
    ``original`` is the sentence with them in place.
    """

    text: str
    translate: bool
    slots: tuple[str, ...] = ()
    original: str | None = None


def _emit(core: str, runs: list[str], out: list[Piece]) -> None:
    """A translatable core; inner-run marks become X1..Xn (numbered per sentence, so caching works)."""
    slots: list[str] = []

    def sub(m: re.Match[str]) -> str:
        slots.append(runs[int(m.group(1))])
        return f"X{len(slots)}"

    text = _MARK.sub(sub, core)
    if not slots:
        out.append(Piece(text, True))
        return
    original = _MARK.sub(lambda m: runs[int(m.group(1))], core)
    out.append(Piece(text, True, tuple(slots), original))


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


def _free_text(chunk: str, out: list[Piece], limit: int, runs: list[str]) -> None:
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
                    _emit(core, runs, out)
                    if i + len(core) < len(part):
                        out.append(Piece(part[i + len(core):], False))
            else:  # numbers, punctuation, kaomoji: nothing to translate
                out.append(Piece(_MARK.sub(lambda m: runs[int(m.group(1))], stripped), False))
        if tail:
            out.append(Piece(tail, False))
        pos = m.end()
    if pos < len(chunk):
        out.append(Piece(chunk[pos:], False))


def _runs(line: str) -> list[tuple[int, int]]:
    """Spans of kept text; neighbours separated only by spaces form one run ("@a @b")."""
    spans: list[tuple[int, int]] = []
    for m in _KEEP.finditer(line):
        if spans and not line[spans[-1][1]:m.start()].strip():
            spans[-1] = (spans[-1][0], m.end())
        else:
            spans.append((m.start(), m.end()))
    return spans


def _is_inner(line: str, spans: list[tuple[int, int]], k: int) -> bool:
    """Run ``k`` sits inside a sentence: words of that sentence before it and after it."""
    start, end = spans[k]
    before = line[:start]
    for a, b in spans[:k]:
        before = before[:a] + " " * (b - a) + before[b:]
    tail = before.rstrip()
    if not tail or tail[-1] in _TERMINAL:
        return False
    cut = max(tail.rfind(c) for c in _TERMINAL)
    if not _LETTER.search(tail[cut + 1:]):
        return False
    after = line[end:]
    for a, b in spans[k + 1:]:
        after = after[: a - end] + " " * (b - a) + after[b - end:]
    stop = min([i for i in (after.find(c) for c in _TERMINAL) if i >= 0] or [len(after)])
    return bool(_LETTER.search(after[:stop]))


def split_post(text: str, *, max_sentence_chars: int = MAX_SENTENCE_CHARS, placeholders: bool = True) -> list[Piece]:
    """Split ``text`` into pieces whose concatenation (after :func:`join`) is exactly ``text``.

    ``placeholders=False`` splits around every kept part, inner ones included (the fallback).
    """
    out: list[Piece] = []
    for line in _LINEBREAK.split(text):
        if not line:
            continue
        if _LINEBREAK.fullmatch(line):
            out.append(Piece(line, False))
            continue
        spans = _runs(line)
        # Real "X1"-like words in the line would be confused with placeholders: split around instead.
        use = placeholders and not _PLACEHOLDER.search(line) and "\ue000" not in line
        inner = {k for k in range(len(spans)) if use and _is_inner(line, spans, k)}
        runs: list[str] = []
        free, pos = [], 0
        for k, (a, b) in enumerate(spans):
            if k in inner:
                free.append(line[pos:a] + f"\ue000{len(runs)}\ue001")
                runs.append(line[a:b])
                pos = b
                continue
            free.append(line[pos:a])
            if "".join(free):
                _free_text("".join(free), out, max_sentence_chars, runs)
            free = []
            out.append(Piece(line[a:b], False))
            pos = b
        free.append(line[pos:])
        if "".join(free):
            _free_text("".join(free), out, max_sentence_chars, runs)
    merged: list[Piece] = []
    for p in out:  # adjacent verbatim pieces merge, so joins stay cheap and tests readable
        if merged and not p.translate and not merged[-1].translate:
            merged[-1] = Piece(merged[-1].text + p.text, False)
        else:
            merged.append(p)
    return merged


def sentences(pieces: list[Piece]) -> list[str]:
    """The texts that go to a model, in order (duplicates kept; placeholders in place)."""
    return [p.text for p in pieces if p.translate]


def restore(piece: Piece, translation: str) -> str | None:
    """Put ``piece.slots`` back into its translation; None when the model lost or repeated a placeholder."""
    if not piece.slots:
        return translation
    found = sorted(int(n) for n in _PLACEHOLDER.findall(translation))
    if found != list(range(1, len(piece.slots) + 1)):
        return None
    return _PLACEHOLDER.sub(lambda m: piece.slots[int(m.group(1)) - 1], translation)


def fallback_pieces(piece: Piece) -> list[Piece]:
    """The sentence of a placeholder piece, split around its kept parts instead."""
    return split_post(piece.original or piece.text, placeholders=False)


def join(pieces: list[Piece], translated: dict[str, str]) -> str:
    """Reassemble a post, replacing each translatable piece by ``translated[piece.text]``.

    A placeholder piece whose translation lost a placeholder is rebuilt from
    :func:`fallback_pieces`, whose sentences the caller put into ``translated`` too.
    """
    out = []
    for p in pieces:
        if not p.translate:
            out.append(p.text)
            continue
        t = translated.get(p.text)
        if t is None:
            out.append(p.original or p.text)
            continue
        restored = restore(p, t)
        out.append(restored if restored is not None else join(fallback_pieces(p), translated))
    return "".join(out)

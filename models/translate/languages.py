"""Language codes for translation: normalise what people, sites and langid send us.

    >>> normalise("pt-BR")
    'pt'
    >>> normalise("zho")
    'zh'

Feedlens speaks ISO 639-1 codes internally. Region and script subtags are dropped (``zh-Hans`` ->
``zh``) because the models Feedlens can run are keyed by language only; three-letter codes that
Tatoeba, fastText and NLLB use are mapped to their two-letter form.
"""

from __future__ import annotations

import re

from models.errors import InvalidInput

# ISO 639-3 / 639-2 codes seen in Tatoeba, NLLB and fastText output -> ISO 639-1.
_THREE_TO_TWO = {
    "eng": "en", "por": "pt", "spa": "es", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
    "zho": "zh", "chi": "zh", "cmn": "zh", "jpn": "ja", "ita": "it", "nld": "nl", "dut": "nl",
    "rus": "ru", "kor": "ko", "ara": "ar", "hin": "hi", "pol": "pl", "tur": "tr", "ukr": "uk",
}

_CODE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")

# The English display names used in messages and `models list`.
NAMES = {
    "en": "English", "pt": "Portuguese", "es": "Spanish", "fr": "French", "de": "German",
    "zh": "Chinese", "ja": "Japanese", "it": "Italian", "nl": "Dutch", "ru": "Russian",
    "ko": "Korean", "ar": "Arabic", "hi": "Hindi", "pl": "Polish", "tr": "Turkish", "uk": "Ukrainian",
}


def normalise(code: str) -> str:
    """Lower-case ISO 639-1 form of ``code``; raise :class:`InvalidInput` if it isn't a language tag.

    Whether Feedlens has a *model* for the language is the router's question, not this one's.
    """
    if not isinstance(code, str) or not _CODE.match(code.strip()):
        raise InvalidInput(
            f"{code!r} is not a language code; use an ISO 639-1 code such as en, pt, zh, ja, es, fr or de"
        )
    base = re.split(r"[-_]", code.strip().lower())[0]
    return _THREE_TO_TWO.get(base, base)


def name(code: str) -> str:
    """English name of ``code`` for messages (the code itself when unknown)."""
    return NAMES.get(code, code)

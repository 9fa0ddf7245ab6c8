"""English and Simplified Chinese strings of the settings page, dashboard and tray.

    t = strings("zh")            # a dict; unknown keys fall back to English
    pick("zh", "en")             # the ?lang= argument wins over the ui_language setting
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "zh")
_DIR = Path(__file__).with_name("locales")


@lru_cache(maxsize=None)
def strings(lang: str) -> dict[str, str]:
    """All strings for ``lang`` (``en`` or ``zh``); missing ones come from English."""
    base = json.loads((_DIR / "en.json").read_text(encoding="utf-8"))
    if lang != "en" and lang in LANGUAGES:
        base.update(json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8")))
    return base


def pick(requested: str | None, setting: str | None) -> str:
    """``?lang=`` if it names a known language (``zh-CN`` counts as ``zh``), else the setting, else en."""
    for value in (requested, setting):
        if value:
            short = value.split("-")[0].lower()
            if short in LANGUAGES:
                return short
    return "en"

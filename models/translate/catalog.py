"""The catalog of translation pairs Feedlens knows how to get (``catalog.json`` beside this file).

    >>> entry = get_entry("translate-zh-en")
    >>> entry["engine"], entry["licence"]
    ('ctranslate2', 'CC-BY-4.0')

The model registry (``models/registry.py``) reads the same file through :func:`load_catalog`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from models.errors import InvalidInput

CATALOG_PATH = Path(__file__).with_name("catalog.json")
_REQUIRED = ("id", "task", "engine", "format", "src", "dst", "licence")
_FORMATS = ("builtin", "hf-marian", "bergamot-gz", "ct2")


def _validate(entries: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for e in entries:
        missing = [k for k in _REQUIRED if k not in e]
        if missing:
            raise InvalidInput(f"{source}: entry {e.get('id', '?')!r} lacks {', '.join(missing)}")
        if e["format"] not in _FORMATS:
            raise InvalidInput(f"{source}: entry {e['id']!r} has format {e['format']!r}; known: {', '.join(_FORMATS)}")
        if e["format"] != "builtin" and not e.get("files"):
            raise InvalidInput(f"{source}: entry {e['id']!r} lists no files to download")
        if e["id"] in seen:
            raise InvalidInput(f"{source}: duplicate id {e['id']!r}")
        seen.add(e["id"])
    return entries


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[dict[str, Any], ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(_validate(list(data["models"]), path))


def load_catalog(path: Path | None = None) -> list[dict[str, Any]]:
    """All catalog entries (copies: callers may change them)."""
    return [dict(e) for e in _load(str(path or CATALOG_PATH))]


def get_entry(model_id: str, catalog: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The entry for ``model_id``; :class:`InvalidInput` listing the known ids otherwise."""
    entries = catalog if catalog is not None else load_catalog()
    for e in entries:
        if e["id"] == model_id:
            return dict(e)
    known = ", ".join(sorted(e["id"] for e in entries))
    raise InvalidInput(f"unknown model {model_id!r}; the catalog has: {known}")


def languages(catalog: list[dict[str, Any]] | None = None) -> list[str]:
    """Every language some catalog entry translates from or to, sorted."""
    entries = catalog if catalog is not None else load_catalog()
    return sorted({e["src"] for e in entries} | {e["dst"] for e in entries})

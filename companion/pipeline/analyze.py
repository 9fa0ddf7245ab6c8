"""Posts -> verdicts: language ID -> one encoder pass -> all heads -> the person's rules.

    analyzer = Analyzer(models_dir=Path("~/.local/share/feedlens/models"))
    verdicts = analyzer.analyze("x", [Post(id="1", text="Bom dia a todos!")])

Each model is optional: a part that is not built or not installed is reported by :meth:`status`
and its fields are left out of the verdicts (absent, not faked).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion.pipeline.types import Post, Verdict
from models import langid
from models.errors import ModelError

log = logging.getLogger(__name__)


class Analyzer:
    """Owns the loaded models. Thread-safe: Flask serves requests from several threads."""

    def __init__(
        self,
        models_dir: Path,
        device: str = "auto",
        profile: Callable[[], dict[str, Any]] | None = None,
    ):
        self.models_dir = Path(models_dir)
        self.device = device
        self._profile = profile or (lambda: {})
        self._lock = threading.Lock()
        self._loaded = False
        self.encoder: Any = None
        self.heads: Any = None
        self.problems: dict[str, str] = {}

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> None:
        """Load what is available; remember why the rest is not (shown by ``status``)."""
        with self._lock:
            if self._loaded:
                return
            self._load_encoder_and_heads()
            self._loaded = True

    def _load_encoder_and_heads(self) -> None:
        try:
            from models.encoder import load_encoder
        except ImportError:
            self.problems["encoder"] = "the encoder backend is not part of this build"
            return
        try:
            self.encoder = load_encoder(self.models_dir, device=self.device)
        except ModelError as exc:
            self.problems["encoder"] = exc.message
            return
        try:
            from models.heads import load_heads

            self.heads = load_heads(encoder_fingerprint=self.encoder.fingerprint)
        except ImportError:
            self.problems["heads"] = "the task heads are not part of this build"
        except ModelError as exc:
            self.problems["heads"] = exc.message

    def status(self) -> dict[str, Any]:
        self.load()
        parts: dict[str, Any] = {
            "langid": {"id": langid.MODEL_ID, "loaded": True},
            "encoder": {"loaded": self.encoder is not None},
            "heads": {"loaded": self.heads is not None},
        }
        if self.encoder is not None:
            parts["encoder"].update(
                id=self.encoder.id, fingerprint=self.encoder.fingerprint, providers=list(self.encoder.providers)
            )
        if self.heads is not None:
            parts["heads"]["tasks"] = list(self.heads.tasks)
        for name, why in self.problems.items():
            parts[name]["problem"] = why
        return parts

    def model_versions(self) -> str:
        """A string that changes whenever a model that shapes verdicts changes (verdict cache key)."""
        self.load()
        enc = self.encoder.fingerprint if self.encoder is not None else "-"
        heads = getattr(self.heads, "version", "-") if self.heads is not None else "-"
        return f"{langid.MODEL_ID}/{enc}/{heads}"

    # -- analysis --------------------------------------------------------------------------
    def analyze(self, site: str, posts: list[Post], translate: bool = False) -> list[Verdict]:
        """One verdict per post, in order."""
        self.load()
        if not posts:
            return []
        texts = [p.text for p in posts]
        langs = langid.detect_many(texts, [p.lang_hint for p in posts])
        model_out: list[dict[str, Any]] = [{} for _ in posts]
        if self.encoder is not None:
            embeddings = self.encoder.embed(texts)
            if self.heads is not None:
                model_out = self.heads.predict(embeddings, texts)
        verdicts = []
        for post, lang, out in zip(posts, langs, model_out):
            verdicts.append(
                Verdict(
                    id=post.id,
                    lang=lang.lang,
                    lang_confidence=lang.confidence,
                    sentiment=out.get("sentiment"),
                    scores=out.get("scores"),
                )
            )
        log.debug("analyzed %d posts for %s", len(posts), site)
        return verdicts

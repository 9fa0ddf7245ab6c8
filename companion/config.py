"""Settings are data: one table drives defaults, validation, the config file and the docs.

Order of precedence (lowest first): the defaults below, then ``<data dir>/config.json``, then the
mapping passed to :func:`companion.app.create_app` (tests use that).

    >>> cfg = load_config({"port": 0})
    >>> cfg["max_posts_per_batch"]
    200
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "feedlens"
CONFIG_FILE = "config.json"


class Setting(NamedTuple):
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("port", 8795, "TCP port of the local API on 127.0.0.1 (0 picks a free one and prints it)"),
    Setting("max_body_bytes", 1_048_576, "Largest request body accepted, in bytes (larger: 413)"),
    Setting("max_posts_per_batch", 200, "Most posts in one /v1/analyze request (more: 413)"),
    Setting("max_text_chars", 20_000, "Longest post text accepted, in characters (longer: 413)"),
    Setting("max_texts_per_translate", 200, "Most texts in one /v1/translate request (more: 413)"),
    Setting("rate_limit_per_minute", 1200, "Requests per minute allowed from one client (token or address) before 429"),
    Setting("pair_requests_per_minute", 10, "Pairing requests per minute allowed from one address before 429"),
    Setting("pair_code_ttl_seconds", 300, "How long a pairing code stays valid before it expires"),
    Setting("device", "auto", "Where models run: auto, cpu or gpu"),
    Setting("retention_days", 30, "Days after which seen posts are purged from the vault"),
    Setting("ui_language", "en", "Language of the settings page, tray and reasons: en or zh"),
    Setting("log_level", "INFO", "Logging level; post text is only ever logged at DEBUG"),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def data_dir() -> Path:
    """The data directory: ``$FEEDLENS_HOME`` if set, else the platform's user data dir."""
    override = os.environ.get("FEEDLENS_HOME")
    path = Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return path


def models_dir(cfg: Mapping[str, Any]) -> Path:
    """Built and pulled models: ``$FEEDLENS_MODELS`` if set, else ``<data dir>/models``.

    Models are not personal data, so they may live apart from the vault (tests share one build).
    """
    override = os.environ.get("FEEDLENS_MODELS")
    return Path(override).expanduser() if override else Path(cfg["data_dir"]) / "models"


def validate(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Check names and types against :data:`SETTINGS`; raise ``ValueError`` saying what is wrong."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("data_dir", "testing") or key.startswith("_"):
            out[key] = value  # non-setting keys used by tests and the factory
            continue
        setting = _BY_NAME.get(key)
        if setting is None:
            known = ", ".join(sorted(_BY_NAME))
            raise ValueError(f"{source}: unknown setting {key!r}; known settings: {known}")
        expected = type(setting.default)
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{source}: setting {key!r} must be an integer, got {value!r}")
        if expected is str and not isinstance(value, str):
            raise ValueError(f"{source}: setting {key!r} must be a string, got {value!r}")
        out[key] = value
    if "device" in out and out["device"] not in ("auto", "cpu", "gpu"):
        raise ValueError(f"{source}: setting 'device' must be auto, cpu or gpu, got {out['device']!r}")
    if "ui_language" in out and out["ui_language"] not in ("en", "zh"):
        raise ValueError(f"{source}: setting 'ui_language' must be en or zh, got {out['ui_language']!r}")
    return out


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``config.json`` in the data dir, then ``overrides``."""
    cfg: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    overrides = dict(overrides or {})
    base = Path(overrides.get("data_dir") or data_dir())
    cfg["data_dir"] = base
    path = base / CONFIG_FILE
    if path.exists():
        try:
            from_file = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); fix or delete the file") from exc
        if not isinstance(from_file, dict):
            raise ValueError(f"{path}: must hold a JSON object of settings")
        cfg.update(validate(from_file, str(path)))
    cfg.update(validate(overrides, "configuration"))
    cfg["data_dir"] = Path(cfg["data_dir"])
    return cfg

"""Helpers shared by the CLI commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from companion.config import load_config


def config_or_exit(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        return load_config(overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def runtime_file(cfg: dict[str, Any]) -> Path:
    """``companion.json`` in the data dir: pid and port of the running companion (for the CLI/tray)."""
    return Path(cfg["data_dir"]) / "companion.json"


def running_companion(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """``{pid, port}`` of a live companion started from this data dir, else ``None``."""
    from models.procs import pid_alive

    path = runtime_file(cfg)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return info if pid_alive(int(info["pid"])) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None

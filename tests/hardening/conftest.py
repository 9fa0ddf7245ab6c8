"""Shared pieces of the hardening suite: a live companion on loopback, and the figures report.

Every hardening test adds its figures to :data:`FIGURES`; at the end of the session they are
written to ``docs/hardening.md`` (and ``test-artifacts/hardening.json``), so the document always
shows the latest run, produced by the suite itself.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hardtools import EXPECTED_SECTIONS, FIGURES, ROOT, LiveCompanion


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    companion = LiveCompanion(tmp_path_factory.mktemp("hardening-home"), rate_limit_per_minute=1_000_000,
                              pair_requests_per_minute=1_000_000)
    yield companion
    companion.stop()


def pytest_sessionfinish(session, exitstatus):
    if not FIGURES:
        return
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "hardening.json").write_text(json.dumps({"run": stamp, **FIGURES}, indent=2))
    lines = ["# Hardening figures", "",
             f"Written by the hardening suite (`tests/hardening/`, `make harden`) on its latest run: {stamp}.",
             "Do not edit by hand; rerun the suite.", ""]
    for name, figures in FIGURES.items():
        lines.append(f"## {name}")
        lines.append("")
        for key, value in figures.items():
            lines.append(f"- {key}: {value}")
        lines.append("")
    # Only a whole-suite run rewrites the document, so a partial run never drops a section.
    if len(FIGURES) >= EXPECTED_SECTIONS:
        (ROOT / "docs" / "hardening.md").write_text("\n".join(lines), encoding="utf-8")

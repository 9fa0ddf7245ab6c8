"""Structure the design asks for: one-way imports, documented settings."""

import ast
from pathlib import Path

import pytest

from companion.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str):
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, node.module.split(".")[0]


@pytest.mark.parametrize("package, forbidden", [
    ("models", {"companion", "privacy", "flask", "pystray"}),
    ("privacy", {"companion", "models", "flask", "pystray"}),
])
def test_models_and_privacy_never_import_the_app(package, forbidden):
    bad = [(str(p.relative_to(ROOT)), m) for p, m in _imports(package) if m in forbidden]
    assert not bad, bad


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in doc]
    assert not missing, f"document these settings in docs/settings.md: {missing}"

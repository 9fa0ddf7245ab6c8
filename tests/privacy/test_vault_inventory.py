"""privacy/INVENTORY.md documents every table and column of the live schema; the package stays clean."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from privacy.vault import Vault

PRIVACY = Path(__file__).resolve().parents[2] / "privacy"


def _documented() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in (PRIVACY / "INVENTORY.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### (\S+)", line)
        if heading:
            current = sections.setdefault(heading.group(1), set())
            continue
        cell = re.match(r"^\| ([A-Za-z_][A-Za-z0-9_]*) \|", line)
        if cell and current is not None and cell.group(1) != "column":  # skip the header row
            current.add(cell.group(1))
    return sections


def test_every_column_of_the_live_schema_is_in_the_inventory(vault: Vault) -> None:
    vault.feedback_add({"kind": "more"})  # make sqlite_sequence exist
    documented = _documented()
    missing = []
    for (table,) in vault.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for column in vault.db[table].columns:
            if column.name not in documented.get(table, set()):
                missing.append(f"{table}.{column.name}")
    assert missing == [], f"add these to privacy/INVENTORY.md: {missing}"


def test_inventory_documents_no_column_that_does_not_exist(vault: Vault) -> None:
    vault.feedback_add({"kind": "more"})
    live = {t: {c.name for c in vault.db[t].columns} for t in vault.db.table_names()}
    stale = [f"{t}.{c}" for t, cols in _documented().items() for c in cols if c not in live.get(t, set())]
    assert stale == []


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_privacy_imports_no_app_code_and_one_module_each_for_driver_and_keyring() -> None:
    files = sorted(PRIVACY.glob("*.py"))
    for path in files:
        assert not _imports(path) & {"companion", "models", "flask", "pystray"}, path.name
    assert [p.name for p in files if "sqlcipher3" in _imports(p)] == ["driver.py"]
    assert [p.name for p in files if "keyring" in _imports(p)] == ["keys.py"]

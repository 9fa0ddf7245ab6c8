"""No plaintext of anything stored may be found on disk (or in the logs); erase leaves nothing.

Raw file bytes are scanned for marker strings. To prove erase really removes the data (and not
just that the file is encrypted), the test also decrypts every page of the database and its WAL
itself (``vault_helpers.decrypted_pages``).
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest

from privacy.vault import DB_FILE, Vault

from vault_helpers import FileTestKeyring, decrypted_pages, files_bytes, found_markers, vault_key

def _write_markers(vault: Vault) -> dict[str, str]:
    tag = uuid.uuid4().hex[:12]
    m = {name: f"MARK{name.upper()}{tag}" for name in (
        "setting", "topic", "word", "regex", "phrase", "mutedacct", "allowacct", "pairname",
        "fbtext", "fbauthor", "seentext", "seenauthor", "trkey", "trvalue", "src", "dst")}
    vault.profile_put({"custom_setting": m["setting"], "topics": [{"text": m["topic"], "action": "hide"}],
                       "mutes": {"words": [m["word"]], "regexes": [m["regex"]], "phrases": [m["phrase"]], "accounts": [m["mutedacct"]]},
                       "allow": {"accounts": [m["allowacct"]]}})
    vault.pairings.add({"id": "p1", "extension_id": "chrome-extension://x", "name": m["pairname"], "token_hash": "h", "created": 0})
    vault.feedback_add({"kind": "less", "text": m["fbtext"], "author": m["fbauthor"]})
    vault.seen_add_many([{"text": m["seentext"], "site": "x", "author": m["seenauthor"], "action": "hide", "reasons": ["toxicity"]}])
    vault.translations_put_many({m["trkey"]: m["trvalue"]})
    vault.interactions_add_many([{"src": m["src"], "dst": m["dst"], "kind": "reply", "site": "x"}])
    return m


def test_no_marker_in_any_file_or_log(test_keyring: FileTestKeyring, data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    vault = Vault.open(data_dir)
    markers = _write_markers(vault)
    key = vault_key(test_keyring, data_dir)
    open_files = files_bytes(data_dir)
    assert any(name.endswith("-wal") for name in open_files)  # the WAL really was scanned
    assert found_markers(markers, list(open_files.values())) == []
    # Sanity: the decrypted pages do hold the markers (so the scan above could have found them)...
    inside = found_markers(markers, [decrypted_pages(data_dir, key)])
    # ...except the seen post's text, which is only ever hashed.
    assert set(inside) == set(markers) - {"seentext"}
    assert markers["seentext"] not in json.dumps(vault.export())
    vault.close()
    assert found_markers(markers, list(files_bytes(data_dir).values())) == []
    assert found_markers(markers, [caplog.text.encode()]) == []


def test_export_then_erase_leaves_no_marker_even_in_decrypted_pages(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    vault = Vault.open(data_dir)
    markers = _write_markers(vault)
    for _ in range(30):  # enough rows to spill over many pages
        _write_markers(vault)
    exported = vault.export()
    key = vault_key(test_keyring, data_dir)
    vault.erase()
    assert vault.counts() == {"profile": 1, "pairings": 0, "pair_requests": 0, "rules": 0, "feedback": 0, "seen": 0, "translations": 0, "interactions": 0}
    assert not (data_dir / (DB_FILE + "-wal")).exists() or (data_dir / (DB_FILE + "-wal")).stat().st_size == 0
    assert found_markers(markers, [decrypted_pages(data_dir, key)]) == []
    assert found_markers(markers, list(files_bytes(data_dir).values())) == []
    vault.close()
    assert found_markers(markers, [decrypted_pages(data_dir, key)] + list(files_bytes(data_dir).values())) == []
    with Vault.open(data_dir) as vault:
        vault.import_(exported)
        again = vault.export()
    for doc in (exported, again):
        doc.pop("exported_at")
        doc["profile"].pop("version")
    assert again == exported

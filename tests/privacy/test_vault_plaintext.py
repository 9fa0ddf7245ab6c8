"""No plaintext of anything stored may be found on disk (or in the logs); erase leaves nothing.

Raw file bytes are scanned for marker strings. To prove erase really removes the data (and not
just that the file is encrypted), the test also decrypts every page of the database and its WAL
itself, as SQLCipher 4 lays them out with a raw key: AES-256-CBC over each page, with the IV in
the page's reserved tail (16 bytes IV + 64 bytes HMAC-SHA512) and page 1's first 16 bytes the salt.
"""

from __future__ import annotations

import json
import logging
import struct
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from privacy.vault import DB_FILE, Vault

from vault_helpers import FileTestKeyring, files_bytes, vault_key

PAGE = 4096
RESERVE = 80  # SQLCipher 4 defaults: 16-byte IV + 64-byte HMAC-SHA512


def _decrypt_page(page: bytes, key: bytes, first: bool) -> bytes:
    start = 16 if first else 0
    iv = page[PAGE - RESERVE : PAGE - RESERVE + 16]
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(page[start : PAGE - RESERVE]) + dec.finalize()


def decrypted_pages(data_dir: Path, key: bytes) -> bytes:
    """Every page of vault.db and every frame of vault.db-wal, decrypted, concatenated."""
    out = []
    db = (data_dir / DB_FILE).read_bytes()
    for i in range(0, len(db) - len(db) % PAGE, PAGE):
        out.append(_decrypt_page(db[i : i + PAGE], key, first=i == 0))
    wal_path = data_dir / (DB_FILE + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    offset = 32
    while offset + 24 + PAGE <= len(wal):
        pgno = struct.unpack(">I", wal[offset : offset + 4])[0]
        out.append(_decrypt_page(wal[offset + 24 : offset + 24 + PAGE], key, first=pgno == 1))
        offset += 24 + PAGE
    return b"".join(out)


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


def _found(markers: dict[str, str], blobs: list[bytes]) -> list[str]:
    hits = []
    for name, marker in markers.items():
        for encoded in (marker.encode("utf-8"), marker.encode("utf-16-le")):
            if any(encoded in blob for blob in blobs):
                hits.append(name)
                break
    return hits


def test_no_marker_in_any_file_or_log(test_keyring: FileTestKeyring, data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    vault = Vault.open(data_dir)
    markers = _write_markers(vault)
    key = vault_key(test_keyring, data_dir)
    open_files = files_bytes(data_dir)
    assert any(name.endswith("-wal") for name in open_files)  # the WAL really was scanned
    assert _found(markers, list(open_files.values())) == []
    # Sanity: the decrypted pages do hold the markers (so the scan above could have found them)...
    inside = _found(markers, [decrypted_pages(data_dir, key)])
    # ...except the seen post's text, which is only ever hashed.
    assert set(inside) == set(markers) - {"seentext"}
    assert markers["seentext"] not in json.dumps(vault.export())
    vault.close()
    assert _found(markers, list(files_bytes(data_dir).values())) == []
    assert _found(markers, [caplog.text.encode()]) == []


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
    assert _found(markers, [decrypted_pages(data_dir, key)]) == []
    assert _found(markers, list(files_bytes(data_dir).values())) == []
    vault.close()
    assert _found(markers, [decrypted_pages(data_dir, key)] + list(files_bytes(data_dir).values())) == []
    with Vault.open(data_dir) as vault:
        vault.import_(exported)
        again = vault.export()
    for doc in (exported, again):
        doc.pop("exported_at")
        doc["profile"].pop("version")
    assert again == exported

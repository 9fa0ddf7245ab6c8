"""Helpers shared by the vault tests (imported as ``vault_helpers``; pytest puts this dir on sys.path)."""

from __future__ import annotations

import struct
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from keyrings.alt.file import PlaintextKeyring

from privacy import keys
from privacy.vault import DB_FILE


class FileTestKeyring(PlaintextKeyring):
    """keyrings.alt's plaintext file backend at an explicit path (tests only)."""

    def __init__(self, path: Path):
        super().__init__()
        self._path = str(path)

    @property
    def file_path(self) -> str:  # type: ignore[override]
        return self._path


def vault_key(backend: FileTestKeyring, data_dir: Path) -> bytes:
    """The raw vault key as the keyring holds it (tests use it to decrypt pages themselves)."""
    return bytes.fromhex(backend.get_password(keys.SERVICE, keys.keyring_entry(data_dir)))


def files_bytes(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (recursively), by relative path."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# SQLCipher 4 page layout with a raw key: AES-256-CBC over each page, the IV in the page's reserved
# tail (16 bytes IV + 64 bytes HMAC-SHA512), page 1's first 16 bytes the file salt.
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


def found_markers(markers: dict[str, str], blobs: list[bytes]) -> list[str]:
    """Names of the markers found (as UTF-8 or UTF-16) in any of ``blobs``."""
    hits = []
    for name, marker in markers.items():
        for encoded in (marker.encode("utf-8"), marker.encode("utf-16-le")):
            if any(encoded in blob for blob in blobs):
                hits.append(name)
                break
    return hits



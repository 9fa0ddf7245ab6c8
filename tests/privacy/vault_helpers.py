"""Helpers shared by the vault tests (imported as ``vault_helpers``; pytest puts this dir on sys.path)."""

from __future__ import annotations

from pathlib import Path

from keyrings.alt.file import PlaintextKeyring

from privacy import keys


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



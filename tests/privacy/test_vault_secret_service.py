"""Against the real Secret Service API: gnome-keyring-daemon on a private D-Bus session bus."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy import keys
from privacy.errors import VaultLocked
from privacy.vault import Vault

from vault_helpers import files_bytes


def test_vault_key_lives_in_the_secret_service(secret_service: dict[str, str], data_dir: Path) -> None:
    import secretstorage

    with Vault.open(data_dir) as v:
        assert v.key_source == "keyring"
        v.profile_put({"languages": ["zh"]})
    conn = secretstorage.dbus_init()
    try:
        items = list(secretstorage.search_items(conn, {"service": keys.SERVICE, "username": keys.keyring_entry(data_dir)}))
        assert len(items) == 1
        key_hex = items[0].get_secret().decode()
    finally:
        conn.close()
    assert len(bytes.fromhex(key_hex)) == 32
    assert all(key_hex.encode() not in data for data in files_bytes(data_dir).values())
    with Vault.open(data_dir) as v:  # a second open reads the same key back over D-Bus
        assert v.profile_get()["languages"] == ["zh"]


def test_locked_secret_service_names_the_cause_and_the_way_out(secret_service: dict[str, str], data_dir: Path) -> None:
    import secretstorage

    Vault.open(data_dir).close()
    conn = secretstorage.dbus_init()
    try:
        secretstorage.get_default_collection(conn).lock()
    finally:
        conn.close()
    with pytest.raises(VaultLocked) as info:
        Vault.open(data_dir)
    assert "locked" in str(info.value) and "FEEDLENS_PASSPHRASE" in str(info.value)

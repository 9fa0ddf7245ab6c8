"""Where the key comes from, and what happens when it cannot be had or is wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path

import keyring
import pytest

from privacy import keys
from privacy.errors import VaultLocked
from privacy.vault import DB_FILE, Vault

from vault_helpers import FileTestKeyring, files_bytes, vault_key


def _digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files_bytes(directory).items()}


def test_first_run_creates_a_random_key_in_the_keyring_and_reuses_it(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        assert v.key_source == "keyring"
        v.profile_put({"languages": ["de"]})
    key = vault_key(test_keyring, data_dir)
    assert len(key) == 32
    with Vault.open(data_dir) as v:
        assert v.profile_get()["languages"] == ["de"]
    assert vault_key(test_keyring, data_dir) == key


def test_key_never_written_to_the_data_dir(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more"})
        key = vault_key(test_keyring, data_dir)
        on_disk = files_bytes(data_dir)
    on_disk.update(files_bytes(data_dir))
    for data in on_disk.values():
        assert key not in data and key.hex().encode() not in data


def test_no_keyring_refuses_with_the_way_out_and_creates_nothing(no_keyring: None, tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    with pytest.raises(VaultLocked) as info:
        Vault.open(data_dir)
    message = str(info.value)
    assert "no usable OS keyring" in message
    assert "FEEDLENS_PASSPHRASE" in message and "FEEDLENS_PASSPHRASE_FILE" in message
    assert "command line" in message
    assert not data_dir.exists()
    assert info.value.code == "vault_locked" and info.value.status == 503


def test_plaintext_keyring_backend_is_refused_in_the_product(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(FileTestKeyring(tmp_path / "kr.cfg"))
    try:
        with pytest.raises(VaultLocked, match="plain file"):
            Vault.open(tmp_path / "data")
    finally:
        keyring.set_keyring(previous)
    assert not (tmp_path / "data").exists() and not (tmp_path / "kr.cfg").exists()


def test_passphrase_from_env_creates_a_passphrase_vault(no_keyring: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "correct horse battery staple")
    with Vault.open(data_dir) as v:
        assert v.key_source == "passphrase"
        v.profile_put({"languages": ["pt"]})
    kdf = (data_dir / keys.KDF_FILE).read_text()
    assert '"kdf": "scrypt"' in kdf and "salt" in kdf
    with Vault.open(data_dir) as v:
        assert v.profile_get()["languages"] == ["pt"]


def test_passphrase_from_file_strips_one_newline(no_keyring: None, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text("s3cret phrase\n")
    secret.chmod(0o600)
    monkeypatch.setenv("FEEDLENS_PASSPHRASE_FILE", str(secret))
    Vault.open(data_dir).close()
    monkeypatch.delenv("FEEDLENS_PASSPHRASE_FILE")
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "s3cret phrase")
    Vault.open(data_dir).close()


def test_passphrase_file_missing_is_a_clear_error(no_keyring: None, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDLENS_PASSPHRASE_FILE", str(tmp_path / "nope.txt"))
    with pytest.raises(VaultLocked, match="FEEDLENS_PASSPHRASE_FILE names .*nope.txt"):
        Vault.open(data_dir)
    assert not data_dir.exists()


def test_empty_passphrase_is_refused(no_keyring: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "")
    with pytest.raises(VaultLocked, match="empty"):
        Vault.open(data_dir)


def test_wrong_passphrase_is_clear_and_leaves_every_byte_untouched(no_keyring: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "right one")
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more"})
    before = _digests(data_dir)
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "wrong one")
    with pytest.raises(VaultLocked, match="key or passphrase is wrong"):
        Vault.open(data_dir)
    assert _digests(data_dir) == before  # same files, same bytes, nothing added


def test_wrong_keyring_key_leaves_every_byte_untouched(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more"})
    before = _digests(data_dir)
    test_keyring.set_password(keys.SERVICE, keys.keyring_entry(data_dir), "ab" * 32)
    with pytest.raises(VaultLocked, match="wrong"):
        Vault.open(data_dir)
    assert _digests(data_dir) == before


def test_vault_whose_key_vanished_from_the_keyring_is_not_recreated(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    Vault.open(data_dir).close()
    before = _digests(data_dir)
    test_keyring.delete_password(keys.SERVICE, keys.keyring_entry(data_dir))
    with pytest.raises(VaultLocked, match="its key is not in the OS keyring"):
        Vault.open(data_dir)
    assert _digests(data_dir) == before
    assert test_keyring.get_password(keys.SERVICE, keys.keyring_entry(data_dir)) is None


def test_passphrase_vault_without_passphrase_names_the_variables(no_keyring: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "pw")
    Vault.open(data_dir).close()
    monkeypatch.delenv("FEEDLENS_PASSPHRASE")
    with pytest.raises(VaultLocked, match="protected by a passphrase.*FEEDLENS_PASSPHRASE"):
        Vault.open(data_dir)


def test_rekey_keyring_to_passphrase_and_back(test_keyring: FileTestKeyring, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = keys.keyring_entry(data_dir)
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more", "n": 1})
        v.rekey("new passphrase")
        assert v.key_source == "passphrase"
        v.feedback_add({"kind": "more", "n": 2})
    assert test_keyring.get_password(keys.SERVICE, entry) is None
    with pytest.raises(VaultLocked, match="protected by a passphrase"):
        Vault.open(data_dir)
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "new passphrase")
    with Vault.open(data_dir) as v:
        assert v.counts()["feedback"] == 2
        v.rekey(None)
    monkeypatch.delenv("FEEDLENS_PASSPHRASE")
    assert not (data_dir / keys.KDF_FILE).exists()
    with Vault.open(data_dir) as v:
        assert v.key_source == "keyring" and v.counts()["feedback"] == 2 and v.integrity_check() == []


def test_rekey_rotates_the_keyring_key(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        old = vault_key(test_keyring, data_dir)
        v.rekey(None)
    new = vault_key(test_keyring, data_dir)
    assert new != old
    with Vault.open(data_dir) as v:
        assert v.integrity_check() == []
    test_keyring.set_password(keys.SERVICE, keys.keyring_entry(data_dir), old.hex())
    with pytest.raises(VaultLocked):
        Vault.open(data_dir)


def test_interrupted_rekey_is_finished_on_next_open(test_keyring: FileTestKeyring, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a crash right after PRAGMA rekey, before the new key was promoted."""
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more"})

        def crash_after_apply(data_dir: Path, new_passphrase: str | None, apply) -> str:  # type: ignore[no-untyped-def]
            monkeypatch.setattr(keys, "write_keyring_secret", lambda *a: (_ for _ in ()).throw(SystemExit("crash")))
            key = bytes(range(32))
            test_keyring.set_password(keys.SERVICE, keys.keyring_entry(data_dir) + ":next", key.hex())
            apply(key)
            raise SystemExit("crash")

        monkeypatch.setattr(keys, "rekey", crash_after_apply)
        with pytest.raises(SystemExit):
            v.rekey(None)
    monkeypatch.undo()
    monkeypatch.setattr(keys, "ALLOW_INSECURE_KEYRING_FOR_TESTS", True)
    with Vault.open(data_dir) as v:
        assert v.key_source == "keyring-next" and v.counts()["feedback"] == 1
    assert vault_key(test_keyring, data_dir) == bytes(range(32))
    assert test_keyring.get_password(keys.SERVICE, keys.keyring_entry(data_dir) + ":next") is None


def test_rekey_to_empty_passphrase_is_refused(vault: Vault) -> None:
    from privacy.errors import VaultError

    with pytest.raises(VaultError, match="empty"):
        vault.rekey("")
    assert vault.integrity_check() == []


def test_data_dir_is_private(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    Vault.open(data_dir).close()
    assert data_dir.stat().st_mode & 0o077 == 0
    assert (data_dir / DB_FILE).stat().st_mode & 0o077 == 0


def test_two_first_runs_at_once_agree_on_one_key(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    import threading

    opened: list[Vault] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def first_run() -> None:
        barrier.wait()
        try:
            opened.append(Vault.open(data_dir))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(opened) == 4
    for v in opened:
        v.close()
    with Vault.open(data_dir) as v:
        assert v.integrity_check() == []

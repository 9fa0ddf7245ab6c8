"""feedlens export / erase / vault rekey / vault check."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from companion.cli import cli
from privacy.vault import Vault


@pytest.fixture
def filled(data_dir):
    from companion.profile import default_profile

    with Vault.open(data_dir, default_profile=default_profile()) as v:
        v.profile_put({**v.profile_get(), "mutes": {"words": ["cli-marker"]}})
        v.feedback_add({"kind": "more_like_this"})
        v.pairings.add({"id": "p", "extension_id": "e", "name": "n", "token_hash": "t", "created": 1.0})
    return data_dir


def test_export_to_file_is_private_json(filled, tmp_path) -> None:
    out = tmp_path / "export.json"
    result = CliRunner().invoke(cli, ["export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["format"] == "feedlens-vault-export" and doc["profile"]["mutes"]["words"] == ["cli-marker"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_export_to_stdout(filled) -> None:
    result = CliRunner().invoke(cli, ["export"])
    assert result.exit_code == 0 and json.loads(result.output)["feedback"][0]["kind"] == "more_like_this"


def test_erase_needs_yes(filled) -> None:
    result = CliRunner().invoke(cli, ["erase"])
    assert result.exit_code == 1 and "--yes" in result.output and "feedlens export" in result.output
    with Vault.open(filled) as v:
        assert v.counts()["feedback"] == 1


def test_erase_yes_keep_pairings(filled) -> None:
    result = CliRunner().invoke(cli, ["erase", "--yes", "--keep-pairings"])
    assert result.exit_code == 0, result.output
    with Vault.open(filled) as v:
        assert v.counts()["feedback"] == 0 and v.counts()["pairings"] == 1
        assert v.profile_get()["mutes"]["words"] == []
    assert CliRunner().invoke(cli, ["erase", "--yes"]).exit_code == 0
    with Vault.open(filled) as v:
        assert v.counts()["pairings"] == 0


def test_rekey_to_a_new_passphrase_from_the_environment(filled, monkeypatch) -> None:
    monkeypatch.setenv("FEEDLENS_NEW_PASSPHRASE", "a brand new passphrase")
    result = CliRunner().invoke(cli, ["vault", "rekey"])
    assert result.exit_code == 0, result.output
    assert "FEEDLENS_PASSPHRASE" in result.output
    monkeypatch.delenv("FEEDLENS_NEW_PASSPHRASE")
    old = CliRunner().invoke(cli, ["vault", "check"])  # FEEDLENS_PASSPHRASE still holds the old one
    assert old.exit_code == 1 and "wrong" in old.output
    monkeypatch.setenv("FEEDLENS_PASSPHRASE", "a brand new passphrase")
    result = CliRunner().invoke(cli, ["vault", "check"])
    assert result.exit_code == 0 and "integrity: ok" in result.output and "feedback" in result.output


def test_rekey_of_a_passphrase_vault_needs_the_new_one(filled) -> None:
    result = CliRunner().invoke(cli, ["vault", "rekey"])
    assert result.exit_code == 1 and "FEEDLENS_NEW_PASSPHRASE" in result.output


def test_rekey_takes_no_passphrase_argument(filled) -> None:
    result = CliRunner().invoke(cli, ["vault", "rekey", "--passphrase", "x"])
    assert result.exit_code == 2  # no such option: passphrases never go on the command line


def test_locked_vault_is_a_clear_cli_error(data_dir, monkeypatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.delenv("FEEDLENS_PASSPHRASE")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        result = CliRunner().invoke(cli, ["export"])
    finally:
        keyring.set_keyring(previous)
    assert result.exit_code == 1 and "FEEDLENS_PASSPHRASE" in result.output
    assert not (data_dir / "vault.db").exists()

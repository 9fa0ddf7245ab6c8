"""Read-only data directory and a full disk: a clear error, no corruption, nothing half-written."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from privacy.errors import VaultUnwritable
from privacy.vault import Vault

from vault_helpers import FileTestKeyring, files_bytes

HERE = Path(__file__).parent
CHILD = HERE / "vault_open_child.py"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")])}


def _run_read_only(data_dir: Path, keyring_file: str) -> str:
    """Run the child with ``data_dir`` read-only: a read-only bind mount as root, chmod otherwise."""
    if os.geteuid() != 0:
        data_dir.chmod(0o500)
        try:
            return subprocess.run([sys.executable, str(CHILD), "open", str(data_dir), keyring_file],
                                  capture_output=True, text=True, env=_env(), timeout=60).stdout
        finally:
            data_dir.chmod(0o700)
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make a read-only directory")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" "$3" open "$1" "$4"'
    out = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(data_dir), sys.executable, str(CHILD), keyring_file],
                         capture_output=True, text=True, env=_env(), timeout=60)
    if "mount" in out.stderr and not out.stdout:
        pytest.skip(f"cannot make a read-only bind mount here: {out.stderr.strip()}")
    return out.stdout


def test_read_only_fresh_data_dir_is_a_clear_error(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    out = _run_read_only(data_dir, test_keyring.file_path)
    assert out.startswith("error vault_unwritable"), out
    assert str(data_dir) in out and "FEEDLENS_HOME" in out
    assert list(data_dir.iterdir()) == []


def test_read_only_existing_vault_is_a_clear_error_and_stays_intact(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more"})
    before = {k: hashlib.sha256(v).hexdigest() for k, v in files_bytes(data_dir).items()}
    out = _run_read_only(data_dir, test_keyring.file_path)
    assert out.startswith("error vault_unwritable"), out
    assert {k: hashlib.sha256(v).hexdigest() for k, v in files_bytes(data_dir).items()} == before
    with Vault.open(data_dir) as v:
        assert v.integrity_check() == [] and v.counts()["feedback"] == 1


def test_disk_full_is_a_clear_error_and_loses_no_acknowledged_write(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    with Vault.open(data_dir) as v:
        v.feedback_add({"kind": "more"})
    limit = 512 * 1024
    out = subprocess.run([sys.executable, str(CHILD), "fill", str(data_dir), test_keyring.file_path, str(limit)],
                         capture_output=True, text=True, env=_env(), timeout=120).stdout
    lines = out.splitlines()
    acked = [int(line.split()[1]) for line in lines if line.startswith("ack ")]
    assert lines and lines[-1].startswith("error vault_unwritable"), out[-500:]
    assert acked, "the child should have committed some writes before the limit"
    with Vault.open(data_dir) as v:
        assert v.integrity_check() == []
        for n in acked:
            assert len(v.translations_get_many([f"fill{n}-{j}" for j in range(20)])) == 20
        failed = acked[-1] + 1
        assert v.translations_get_many([f"fill{failed}-{j}" for j in range(20)]) == {}  # all or nothing


def test_ensure_writable_names_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from privacy.vault import ensure_writable

    with pytest.raises(VaultUnwritable, match="FEEDLENS_HOME"):
        ensure_writable(blocker / "sub")

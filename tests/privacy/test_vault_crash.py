"""SIGKILL a writer at random moments; every acknowledged write must survive, intact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from privacy.vault import Vault

from vault_helpers import FileTestKeyring

HERE = Path(__file__).parent
KILLS = 20


def _check(vault: Vault, acks: list[list[str]]) -> None:
    assert vault.integrity_check() == []
    db = vault.db
    for ack in acks:
        kind, n = ack[0], int(ack[1])
        if kind == "feedback":
            assert db.execute("SELECT count(*) FROM feedback WHERE data LIKE ?", [f'%"fb{n}"%']).fetchone()[0] == 1
        elif kind == "seen":
            assert db.execute("SELECT count(*) FROM seen WHERE hash LIKE ?", [f"seen{n}-%"]).fetchone()[0] == 50
        elif kind == "translations":
            assert len(vault.translations_get_many([f"tr{n}-{j}" for j in range(20)])) == 20
        elif kind == "profile":
            assert vault.profile_version() >= int(ack[2])
    profile = vault.profile_get()
    if profile.get("topics"):  # profile row and rules rows come from the same put
        n = profile["topics"][0]["text"][1:]
        assert profile["mutes"]["words"] == [f"w{n}-{j}" for j in range(5)]


@pytest.mark.slow
def test_sigkill_during_writes_loses_no_acknowledged_write(test_keyring: FileTestKeyring, data_dir: Path) -> None:
    rng = random.Random(1234)
    Vault.open(data_dir).close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent.parent), os.environ.get("PYTHONPATH", "")])}
    all_acks: list[list[str]] = []
    opened_runs = 0
    for run in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(HERE / "vault_writer_child.py"), str(data_dir), test_keyring.file_path, str(run * 1_000_000)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )
        # Wait until the child has the vault open, then let it write for a random while.
        deadline = time.monotonic() + 30
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip() == "open" or time.monotonic() > deadline, child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        acks = [line.split()[1:] for line in out.splitlines() if line.startswith("ack ")]
        opened_runs += 1
        all_acks += acks
        with Vault.open(data_dir) as vault:
            _check(vault, all_acks)
    assert opened_runs == KILLS
    print(f"{len(all_acks)} acknowledged writes over {KILLS} kills")
    assert len(all_acks) > KILLS  # the child really was writing when it died

"""Child process for the SIGKILL test: writes to the vault forever, acknowledging each commit.

    python vault_writer_child.py DATA_DIR KEYRING_FILE START

Prints ``ack <kind> <n>`` (flushed) only after the write has returned, i.e. after COMMIT.
"""

from __future__ import annotations

import sys
from pathlib import Path

import keyring

from privacy import keys
from privacy.vault import Vault
from vault_helpers import FileTestKeyring


def main() -> None:
    data_dir, keyring_file, start = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    keys.ALLOW_INSECURE_KEYRING_FOR_TESTS = True
    keyring.set_keyring(FileTestKeyring(keyring_file))
    vault = Vault.open(data_dir)
    print("open", flush=True)
    n = start
    while True:
        op = n % 4
        if op == 0:
            vault.feedback_add({"kind": "more", "marker": f"fb{n}"})
            print(f"ack feedback {n}", flush=True)
        elif op == 1:
            vault.seen_add_many([{"hash": f"seen{n}-{j}", "site": "x", "scores": {"spam": j / 50}} for j in range(50)])
            print(f"ack seen {n}", flush=True)
        elif op == 2:
            # A multi-step write: the profile row and its rules must change together or not at all.
            stored = vault.profile_put({"topics": [{"text": f"t{n}"}], "mutes": {"words": [f"w{n}-{j}" for j in range(5)]}})
            print(f"ack profile {n} {stored['version']}", flush=True)
        else:
            vault.translations_put_many({f"tr{n}-{j}": "x" * 200 for j in range(20)})
            print(f"ack translations {n}", flush=True)
        n += 1


if __name__ == "__main__":
    main()

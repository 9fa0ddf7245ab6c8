"""Child process for storage-fault tests.

    python vault_open_child.py open DATA_DIR KEYRING_FILE        # open, write one row, close
    python vault_open_child.py fill DATA_DIR KEYRING_FILE LIMIT  # cap file size at LIMIT bytes, write until it fails

Prints ``ok``, ``ack N`` after each committed write, or ``error <code> <message>``.
"""

from __future__ import annotations

import resource
import signal
import sys
from pathlib import Path

import keyring

from privacy import keys
from privacy.errors import VaultError
from privacy.vault import Vault
from vault_helpers import FileTestKeyring


def main() -> None:
    mode, data_dir, keyring_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    keys.ALLOW_INSECURE_KEYRING_FOR_TESTS = True
    keyring.set_keyring(FileTestKeyring(keyring_file))
    try:
        vault = Vault.open(data_dir)
        if mode == "open":
            vault.feedback_add({"kind": "more"})
            vault.close()
            print("ok", flush=True)
            return
        # "Disk full": the kernel refuses to grow any file past LIMIT (EFBIG instead of SIGXFSZ).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = int(sys.argv[4])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        n = 0
        while n < 10_000:
            vault.translations_put_many({f"fill{n}-{j}": "y" * 1000 for j in range(20)})
            print(f"ack {n}", flush=True)
            n += 1
    except VaultError as exc:
        print(f"error {exc.code} {exc.message}", flush=True)


if __name__ == "__main__":
    main()

"""The one module that imports ``sqlcipher3``: open a keyed SQLCipher 4 connection.

    conn = connect(Path("vault.db"), key)      # key: 32 random or scrypt-derived bytes
    db = sqlite_utils.Database(conn)

Everything else in :mod:`privacy` goes through :class:`sqlite_utils.Database` on top of the
connection this returns, and catches :data:`DatabaseError` / :data:`OperationalError` re-exported
here (so no other module needs the driver). On Linux the ``sqlcipher3`` wheel bundles SQLCipher;
on macOS and Windows install ``sqlcipher3-wheels``, which provides the same ``sqlcipher3`` module.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlcipher3
from sqlcipher3.dbapi2 import Connection, DatabaseError, IntegrityError, OperationalError

from .errors import VaultError, VaultLocked, VaultUnwritable

log = logging.getLogger(__name__)

__all__ = ["Connection", "DatabaseError", "IntegrityError", "OperationalError", "connect", "rekey", "cipher_version"]

KEY_BYTES = 32


def _raw_key_literal(key: bytes) -> str:
    """SQLCipher's raw-key form ``x'<64 hex>'``: the key is used as is, no PBKDF2 on top.

    The key is already random (keyring) or derived with scrypt (passphrase), so SQLCipher's own
    KDF would only add start-up time.
    """
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise VaultError(f"internal error: the vault key must be {KEY_BYTES} bytes")
    return f"\"x'{key.hex()}'\""


def cipher_version() -> str:
    """The SQLCipher version of the bundled library, e.g. ``"4.19.0 community"``."""
    conn = sqlcipher3.connect(":memory:")
    try:
        return str(conn.execute("PRAGMA cipher_version").fetchone()[0])
    finally:
        conn.close()


def connect(path: Path, key: bytes) -> Connection:
    """Open (or create) the SQLCipher database at ``path`` keyed with ``key`` and check the key.

    The key is checked by reading the schema before anything else runs, so a wrong key never
    writes: SQLCipher fails the HMAC of page 1 and we raise :class:`VaultLocked` with the file
    left byte for byte as it was.

    :raise VaultLocked: the key does not open this file (wrong key or passphrase, or not a vault).
    :raise VaultUnwritable: the file or its directory cannot be opened.
    """
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (sqlite-utils' atomic()), so
        # the driver never opens hidden transactions. check_same_thread=False: the Vault
        # serialises every use of the connection with its own lock.
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    except OperationalError as exc:
        raise VaultUnwritable(
            f"cannot open the vault file {path}: {exc}. Check that the data directory exists "
            "and is writable, or point FEEDLENS_HOME at one that is."
        ) from exc
    try:
        # SQLCipher logs HMAC failures to stderr; we turn them into VaultLocked ourselves.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {_raw_key_literal(key)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError as exc:
        conn.close()
        if "not a database" in str(exc) or "encrypted" in str(exc):
            raise VaultLocked(
                f"the vault at {path} cannot be opened with this key: the key or passphrase is "
                "wrong (or the file is not a Feedlens vault). Nothing was changed. If you use a "
                "passphrase, check FEEDLENS_PASSPHRASE / FEEDLENS_PASSPHRASE_FILE; if the key "
                "lived in the OS keyring, check that the keyring entry (service 'feedlens') is intact."
            ) from exc
        raise VaultUnwritable(f"cannot read the vault file {path}: {exc}") from exc
    return conn


def rekey(conn: Connection, new_key: bytes) -> None:
    """Re-encrypt every page of the open database with ``new_key`` (``PRAGMA rekey``), in place."""
    conn.execute(f"PRAGMA rekey = {_raw_key_literal(new_key)}")

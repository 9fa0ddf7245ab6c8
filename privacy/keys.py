"""Where the vault key comes from: the OS keyring, or a passphrase stretched with scrypt.

    cands = key_candidates(data_dir, db_exists=True)   # raises VaultLocked with the way out
    for cand in cands: try driver.connect(path, cand.key) ... then cand.finalize()

Two modes, chosen by what is on disk, never by a command-line argument:

* **keyring** (default): a random 256-bit key, created on first run and kept in the OS keyring
  (service ``feedlens``, one entry per data directory). :func:`read_keyring_secret` is the one
  function that reads the keyring.
* **passphrase** (headless machines, or by choice): ``FEEDLENS_PASSPHRASE`` or a file named by
  ``FEEDLENS_PASSPHRASE_FILE``; the key is ``scrypt(passphrase, salt)`` with the salt and scrypt
  parameters in ``vault.kdf.json`` beside the database (not secret). A data directory with that
  file is a passphrase vault.

No plaintext key is ever written to disk: a keyring backend that stores secrets in a plain file
(keyrings.alt) is refused like a missing one.

Rekeying is crash-safe: the new key is parked first (keyring entry ``<entry>:next`` or
``vault.kdf.json.next``), then ``PRAGMA rekey`` runs, then the new key is promoted. If the process
dies in between, :func:`key_candidates` also offers the parked key and promotes it once it opens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from .errors import VaultError, VaultLocked

log = logging.getLogger(__name__)

SERVICE = "feedlens"
PASSPHRASE_ENV = "FEEDLENS_PASSPHRASE"
PASSPHRASE_FILE_ENV = "FEEDLENS_PASSPHRASE_FILE"
KDF_FILE = "vault.kdf.json"
KEY_BYTES = 32

# scrypt cost: N=2**17, r=8 needs 128 MiB and ~0.3-0.5 s on a laptop core (OWASP's 2023
# recommendation). Stored per vault in vault.kdf.json so it can be raised later; tests lower it.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1

# Test suites may use keyrings.alt's file backend; the product never does. Only tests flip this.
ALLOW_INSECURE_KEYRING_FOR_TESTS = False

_INSECURE_BACKEND_MODULES = ("keyrings.alt",)

WAY_OUT = (
    "Set a passphrase instead: export FEEDLENS_PASSPHRASE='...' in the environment, or put it in "
    "a file readable only by you and set FEEDLENS_PASSPHRASE_FILE=/path/to/file (never pass it on "
    "the command line). The vault key is then derived from it with scrypt."
)


def keyring_entry(data_dir: Path) -> str:
    """The keyring user name for the vault in ``data_dir`` (one key per data directory)."""
    return f"vault:{Path(data_dir).expanduser().resolve()}"


# --- keyring -------------------------------------------------------------------------------


def _is_insecure(backend: KeyringBackend) -> bool:
    # Subclasses count too: a plaintext file backend stays plaintext whatever it is renamed.
    return any(cls.__module__.startswith(_INSECURE_BACKEND_MODULES) for cls in type(backend).__mro__)


def usable_backend() -> KeyringBackend:
    """The keyring backend the vault may use, or :class:`VaultLocked` naming the cause and way out."""
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    if isinstance(backend, chainer.ChainerBackend):
        chained = [b for b in backend.backends if ALLOW_INSECURE_KEYRING_FOR_TESTS or not _is_insecure(b)]
        if not chained:
            raise VaultLocked(f"no usable OS keyring was found (no keyring backend is available). {WAY_OUT}")
        return chained[0]
    if isinstance(backend, fail.Keyring):
        raise VaultLocked(
            "no usable OS keyring was found (keyring fell back to its 'fail' backend; on Linux "
            f"this means no Secret Service such as gnome-keyring or KWallet is running). {WAY_OUT}"
        )
    if _is_insecure(backend) and not ALLOW_INSECURE_KEYRING_FOR_TESTS:
        raise VaultLocked(
            f"the only keyring backend available ({type(backend).__module__}.{type(backend).__name__}) "
            "keeps secrets in a plain file, and Feedlens never stores its key in plaintext. Start a "
            f"Secret Service (gnome-keyring, KWallet) or: {WAY_OUT}"
        )
    return backend


def _keyring_call(what: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except keyring.errors.KeyringLocked as exc:
        raise VaultLocked(
            f"the OS keyring is locked ({exc}); unlock it (log in to your desktop session, or "
            f"unlock the 'login' keyring) and try again. Or: {WAY_OUT}"
        ) from exc
    except (keyring.errors.KeyringError, OSError) as exc:
        raise VaultLocked(f"the OS keyring failed while {what} ({type(exc).__name__}: {exc}). {WAY_OUT}") from exc
    except Exception as exc:  # backends raise their own types (secretstorage, jeepney, dbus)
        raise VaultLocked(f"the OS keyring failed while {what} ({type(exc).__name__}: {exc}). {WAY_OUT}") from exc


def read_keyring_secret(entry: str) -> str | None:
    """The one function that reads the vault key from the OS keyring (hex string or ``None``)."""
    backend = usable_backend()
    return _keyring_call("reading the vault key", lambda: backend.get_password(SERVICE, entry))


def write_keyring_secret(entry: str, value: str) -> None:
    """Store ``value`` under service ``feedlens`` / ``entry``."""
    backend = usable_backend()
    _keyring_call("storing the vault key", lambda: backend.set_password(SERVICE, entry, value))


def delete_keyring_secret(entry: str) -> None:
    """Remove an entry if present; silently nothing if there is no usable keyring or no entry."""
    try:
        backend = usable_backend()
        backend.delete_password(SERVICE, entry)
    except (VaultLocked, keyring.errors.PasswordDeleteError):
        pass
    except Exception as exc:  # never let cleanup of an unused entry fail a rekey
        log.warning("could not delete keyring entry %s: %s", entry, exc)


def _key_from_hex(value: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise VaultLocked(f"the vault key in the OS keyring ({where}) is malformed; it is not {KEY_BYTES} bytes of hex")
    return key


# --- passphrase ----------------------------------------------------------------------------


def passphrase_from_env(var: str = PASSPHRASE_ENV, file_var: str = PASSPHRASE_FILE_ENV) -> str | None:
    """The passphrase from ``$var`` or from the file named by ``$file_var`` (``None`` if neither).

    One trailing newline is stripped from a file (editors add one).
    """
    value = os.environ.get(var)
    file_name = os.environ.get(file_var)
    if value is not None and file_name:
        raise VaultLocked(f"both {var} and {file_var} are set; set only one of them")
    if value is None and file_name:
        path = Path(file_name).expanduser()
        try:
            value = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise VaultLocked(f"{file_var} names {path}, which cannot be read ({exc.strerror}); fix the path") from exc
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
        try:
            if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                log.warning("passphrase file %s is readable by other users; chmod 600 it", path)
        except OSError:
            pass
    if value is None:
        return None
    if not value:
        raise VaultLocked(f"the passphrase from {var if file_name is None else file_var} is empty; use a real one")
    return value


@dataclass(frozen=True)
class KdfParams:
    """scrypt parameters and salt, stored (not secret) in ``vault.kdf.json``."""

    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(salt=secrets.token_bytes(16), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)

    def to_json(self) -> str:
        return json.dumps({"kdf": "scrypt", "n": self.n, "r": self.r, "p": self.p, "salt": self.salt.hex(), "dklen": KEY_BYTES})

    @classmethod
    def load(cls, path: Path) -> KdfParams:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            params = cls(salt=bytes.fromhex(raw["salt"]), n=int(raw["n"]), r=int(raw["r"]), p=int(raw["p"]))
            if raw.get("kdf") != "scrypt":
                raise ValueError(f"unknown kdf {raw.get('kdf')!r}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VaultLocked(f"{path} (the passphrase salt) is unreadable or damaged ({exc}); restore it from a backup") from exc
        # Bounds keep a damaged file from asking for gigabytes of memory.
        if not (2 <= params.n <= 2**22 and params.n & (params.n - 1) == 0 and 1 <= params.r <= 32 and 1 <= params.p <= 16 and len(params.salt) >= 16):
            raise VaultLocked(f"{path} holds implausible scrypt parameters; restore it from a backup")
        return params

    def write(self, path: Path) -> None:
        _atomic_write(path, self.to_json())


def derive_key(passphrase: str, params: KdfParams) -> bytes:
    """``scrypt(passphrase, salt)`` -> 32-byte key (memory-hard: 128 * n * r bytes)."""
    return hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=params.salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=256 * params.n * params.r + (1 << 20),
        dklen=KEY_BYTES,
    )


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- choosing the key ----------------------------------------------------------------------


@dataclass
class KeyCandidate:
    """A key to try, what it is, and what to do once it has opened the vault."""

    key: bytes
    source: str  # "keyring" | "passphrase" | "keyring-next" | "passphrase-next"
    finalize: Callable[[], None] = field(default=lambda: None)
    created: bool = False  # a brand-new key (first run)


def vault_mode(data_dir: Path) -> str:
    """``"passphrase"`` if ``vault.kdf.json`` is present, else ``"keyring"``."""
    return "passphrase" if (Path(data_dir) / KDF_FILE).exists() else "keyring"


def key_candidates(data_dir: Path, *, db_exists: bool) -> list[KeyCandidate]:
    """Keys to try, best first. Reads the keyring / derives the passphrase key; writes nothing.

    A first-run key (``created=True``) is returned but not yet stored: call its ``finalize()``
    after the database has been created with it.

    :raise VaultLocked: no way to get a key; the message says why and what to do.
    """
    data_dir = Path(data_dir)
    kdf_path = data_dir / KDF_FILE
    next_kdf = data_dir / (KDF_FILE + ".next")
    entry = keyring_entry(data_dir)
    passphrase = passphrase_from_env()
    cands: list[KeyCandidate] = []

    if kdf_path.exists() or (not db_exists and passphrase is not None):
        # Passphrase vault (existing, or being created because a passphrase was given).
        if passphrase is None:
            raise VaultLocked(
                f"this vault is protected by a passphrase ({kdf_path} is present) and none was given. "
                f"Set {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV} to it."
            )
        if kdf_path.exists():
            cands.append(KeyCandidate(derive_key(passphrase, KdfParams.load(kdf_path)), "passphrase"))
        else:
            params = KdfParams.fresh()
            cands.append(KeyCandidate(derive_key(passphrase, params), "passphrase", lambda: params.write(kdf_path), created=True))
        if db_exists:
            cands += _parked_candidates(data_dir, passphrase, entry, next_kdf, kdf_path)
        return cands

    if passphrase is not None:
        log.warning("%s is set but this vault is keyed from the OS keyring; ignoring the passphrase "
                    "(run 'feedlens vault rekey' to switch to a passphrase)", PASSPHRASE_ENV)
    try:
        secret = read_keyring_secret(entry)
    except VaultLocked:
        if db_exists and next_kdf.exists() and passphrase is not None:
            return _parked_candidates(data_dir, passphrase, entry, next_kdf, kdf_path)  # interrupted rekey
        raise
    if secret is not None:
        cands.append(KeyCandidate(_key_from_hex(secret, entry), "keyring"))
    elif not db_exists:
        key = secrets.token_bytes(KEY_BYTES)
        cands.append(KeyCandidate(key, "keyring", lambda: write_keyring_secret(entry, key.hex()), created=True))
    if db_exists:
        cands += _parked_candidates(data_dir, passphrase, entry, next_kdf, kdf_path)
        if not cands:
            raise VaultLocked(
                f"the vault exists but its key is not in the OS keyring (service '{SERVICE}', entry "
                f"'{entry}'). If you moved the vault or switched keyrings, restore that entry; if it "
                f"was protected by a passphrase, restore {KDF_FILE} beside it and set {PASSPHRASE_ENV}."
            )
    return cands


def _parked_candidates(data_dir: Path, passphrase: str | None, entry: str, next_kdf: Path, kdf_path: Path) -> list[KeyCandidate]:
    """Keys parked by a rekey that may have been interrupted after ``PRAGMA rekey``."""
    out: list[KeyCandidate] = []
    if next_kdf.exists() and passphrase is not None:
        def promote_kdf() -> None:
            os.replace(next_kdf, kdf_path)
            _fsync_dir(data_dir)
            delete_keyring_secret(entry)

        out.append(KeyCandidate(derive_key(passphrase, KdfParams.load(next_kdf)), "passphrase-next", promote_kdf))
    try:
        parked = read_keyring_secret(entry + ":next")
    except VaultLocked:
        parked = None
    if parked is not None:
        def promote_keyring() -> None:
            write_keyring_secret(entry, parked)
            delete_keyring_secret(entry + ":next")
            for path in (kdf_path, next_kdf):
                path.unlink(missing_ok=True)

        out.append(KeyCandidate(_key_from_hex(parked, entry + ":next"), "keyring-next", promote_keyring))
    return out


def rekey(data_dir: Path, new_passphrase: str | None, apply: Callable[[bytes], None]) -> str:
    """Switch the vault to a new key; ``apply(key)`` runs ``PRAGMA rekey`` on the open database.

    ``new_passphrase=None``: a fresh random key into the OS keyring (from keyring or passphrase
    mode). Otherwise: a key derived from ``new_passphrase`` with a fresh salt; the keyring entry
    is then removed. Returns the new mode.
    """
    data_dir = Path(data_dir)
    entry = keyring_entry(data_dir)
    kdf_path = data_dir / KDF_FILE
    next_kdf = data_dir / (KDF_FILE + ".next")
    if new_passphrase is None:
        key = secrets.token_bytes(KEY_BYTES)
        write_keyring_secret(entry + ":next", key.hex())  # raises VaultLocked if no keyring
        apply(key)
        write_keyring_secret(entry, key.hex())
        delete_keyring_secret(entry + ":next")
        for path in (kdf_path, next_kdf):
            path.unlink(missing_ok=True)
        _fsync_dir(data_dir)
        return "keyring"
    if not isinstance(new_passphrase, str) or not new_passphrase:
        raise VaultError("the new passphrase is empty; use a real one", code="invalid_passphrase", status=400)
    params = KdfParams.fresh()
    key = derive_key(new_passphrase, params)
    params.write(next_kdf)
    apply(key)
    os.replace(next_kdf, kdf_path)
    _fsync_dir(data_dir)
    delete_keyring_secret(entry)
    delete_keyring_secret(entry + ":next")
    return "passphrase"

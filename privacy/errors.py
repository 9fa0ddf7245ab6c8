"""Errors raised by the vault. Each has a machine ``code`` and an HTTP-ish ``status``."""


class VaultError(Exception):
    """Base class for vault errors."""

    code = "vault_error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class VaultLocked(VaultError):
    """The vault cannot be opened: no key, wrong key, or no usable keyring."""

    code = "vault_locked"
    status = 503


class VaultUnwritable(VaultError):
    """The data directory or disk refuses writes (read-only, full, or an I/O error)."""

    code = "vault_unwritable"
    status = 503


class InvalidRecord(VaultError):
    """A record handed to the vault is malformed (wrong type, missing field, unknown kind)."""

    code = "invalid_record"
    status = 400

"""``feedlens export``, ``feedlens erase`` and ``feedlens vault rekey|check``: the vault from the shell.

Each command opens the vault itself (no models load) and maps vault errors to a clear message.
Passphrases come from the environment or a file, never from the command line.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from companion.cli.common import config_or_exit, running_companion

NEW_PASSPHRASE_ENV = "FEEDLENS_NEW_PASSPHRASE"
NEW_PASSPHRASE_FILE_ENV = "FEEDLENS_NEW_PASSPHRASE_FILE"


@contextmanager
def _open_vault() -> Iterator[Any]:
    from companion.profile import default_profile
    from privacy.errors import VaultError
    from privacy.vault import Vault

    cfg = config_or_exit()
    try:
        vault = Vault.open(Path(cfg["data_dir"]), default_profile=default_profile())
    except VaultError as exc:
        raise click.ClickException(exc.message) from exc
    try:
        yield vault
    except VaultError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        vault.close()


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the export to this file (created 0600) instead of standard output.")
def export(output: Path | None) -> None:
    """Export everything the vault holds as one JSON document (plaintext: keep it safe).

    \b
    Example:
        feedlens export -o feedlens-export.json
    """
    with _open_vault() as vault:
        text = json.dumps(vault.export(), ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"exported to {output} (plaintext JSON: it holds your profile, mutes and history)", err=True)


@click.command()
@click.option("--yes", is_flag=True, help="Really erase: required, as this cannot be undone.")
@click.option("--keep-pairings", is_flag=True, help="Keep paired extensions (they stay paired).")
def erase(yes: bool, keep_pairings: bool) -> None:
    """Erase everything the vault holds (profile, mutes, feedback, history, cache; pairings too
    unless --keep-pairings), then VACUUM so nothing stays on disk.

    \b
    Example:
        feedlens export -o backup.json && feedlens erase --yes
    """
    if not yes:
        raise click.ClickException("erase deletes everything Feedlens keeps and cannot be undone; "
                                   "run 'feedlens export -o FILE' first if you want a copy, then add --yes")
    with _open_vault() as vault:
        vault.erase(keep_pairings=keep_pairings)
    click.echo("erased" + (" (pairings kept)" if keep_pairings else " (extensions must pair again)"))


@click.group("vault")
def vault_group() -> None:
    """The encrypted vault: change its key, check it.

    \b
    Example:
        feedlens vault check
        FEEDLENS_NEW_PASSPHRASE_FILE=~/.feedlens-pass feedlens vault rekey
    """


@vault_group.command()
@click.option("--to-keyring", is_flag=True, help="Switch to a fresh random key kept in the OS keyring.")
def rekey(to_keyring: bool) -> None:
    """Re-encrypt the vault in place with a new key.

    The new passphrase comes from FEEDLENS_NEW_PASSPHRASE or the file named by
    FEEDLENS_NEW_PASSPHRASE_FILE (never the command line); the current one, for a passphrase
    vault, from FEEDLENS_PASSPHRASE[_FILE]. With neither a new passphrase nor --to-keyring, a
    keyring vault gets a fresh random key. Stop the running companion first.

    \b
    Example:
        FEEDLENS_NEW_PASSPHRASE_FILE=~/.feedlens-pass feedlens vault rekey
        feedlens vault rekey --to-keyring
    """
    from privacy import keys
    from privacy.errors import VaultError

    cfg = config_or_exit()
    live = running_companion(cfg)
    if live:
        raise click.ClickException(f"the companion is running (pid {live['pid']}) and holds the current key; "
                                   "quit it first, then rekey")
    try:
        new = keys.passphrase_from_env(NEW_PASSPHRASE_ENV, NEW_PASSPHRASE_FILE_ENV)
    except VaultError as exc:
        raise click.ClickException(exc.message) from exc
    if new is not None and to_keyring:
        raise click.ClickException(f"choose one: {NEW_PASSPHRASE_ENV}[_FILE] (a passphrase) or --to-keyring")
    with _open_vault() as vault:
        if new is None and not to_keyring and vault.key_source.startswith("passphrase"):
            raise click.ClickException(f"this vault uses a passphrase: set {NEW_PASSPHRASE_ENV} or "
                                       f"{NEW_PASSPHRASE_FILE_ENV} to the new one, or add --to-keyring")
        vault.rekey(new)
        mode = vault.key_source
    if mode == "passphrase":
        click.echo(f"rekeyed: the vault now opens with the new passphrase (set {keys.PASSPHRASE_ENV} "
                   f"or {keys.PASSPHRASE_FILE_ENV} to it)")
    else:
        click.echo(f"rekeyed: a new random key is in the OS keyring (service '{keys.SERVICE}')")


@vault_group.command()
def check() -> None:
    """Open the vault and run SQLite's and SQLCipher's integrity checks; print what it holds.

    \b
    Example:
        feedlens vault check
    """
    with _open_vault() as vault:
        problems = vault.integrity_check()
        counts = vault.counts()
        source = vault.key_source
    click.echo(f"key: {source}")
    for table, n in counts.items():
        click.echo(f"{table:14} {n}")
    if problems:
        for p in problems:
            click.echo(f"problem: {p}", err=True)
        sys.exit(1)
    click.echo("integrity: ok")

"""``feedlens pair list|approve|deny|revoke``."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, Iterator

import click

from companion.cli.common import config_or_exit
from companion.errors import FeedlensError


@contextlib.contextmanager
def _service() -> Iterator[Any]:
    """The pairing service over this data dir's store; library errors become CLI errors."""
    from companion.services import Services

    services = Services(config_or_exit())
    try:
        yield services.pairing
    except FeedlensError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        services.close()


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "never"


@click.group()
def pair() -> None:
    """Pair browser extensions with this companion.

    \b
    Example:
        feedlens pair list
        feedlens pair approve K7P3QX
    """


@pair.command("list")
def list_() -> None:
    """List paired extensions and pairing requests waiting for approval.

    \b
    Example:
        feedlens pair list
    """
    with _service() as service:
        pending = service.pending()
        pairings = [p for p in service.list() if not p.get("revoked")]
    if not pending and not pairings:
        click.echo("no paired extensions and no pending requests")
    for req in pending:
        click.echo(f"pending  code {req['code']}  {req['name']}  ({req['extension_id']})")
    for p in pairings:
        click.echo(f"paired   id {p['id']}  {p['name']}  ({p['extension_id']})  last used {_when(p.get('last_used'))}")


@pair.command()
@click.argument("code")
def approve(code: str) -> None:
    """Approve the pending request showing CODE (as in the extension's popup).

    \b
    Example:
        feedlens pair approve K7P3QX
    """
    with _service() as service:
        req = service.approve(code)
    click.echo(f"approved {req['name']} ({req['extension_id']}); the extension receives its token now")


@pair.command()
@click.argument("code")
def deny(code: str) -> None:
    """Deny the pending request showing CODE.

    \b
    Example:
        feedlens pair deny K7P3QX
    """
    with _service() as service:
        req = service.deny(code)
    click.echo(f"denied {req['name']} ({req['extension_id']})")


@pair.command()
@click.argument("pairing_id")
def revoke(pairing_id: str) -> None:
    """Revoke a pairing: its token stops working at once.

    \b
    Example:
        feedlens pair revoke 3f2a9c...
    """
    with _service() as service:
        service.revoke(pairing_id)
    click.echo(f"revoked {pairing_id}")

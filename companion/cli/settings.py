"""``feedlens settings``: open the settings page (or the dashboard) of the running companion."""

from __future__ import annotations

from pathlib import Path

import click

from companion.cli.common import config_or_exit, running_companion


@click.command()
@click.option("--dashboard", is_flag=True, help="Open the dashboard instead of the settings page.")
@click.option("--no-open", "no_open", is_flag=True, help="Only print the one-time link; don't start a browser.")
def settings(dashboard: bool, no_open: bool) -> None:
    """Open the settings page of the running companion through a fresh one-time link.

    The link works once, for two minutes. Only its SHA-256 is written (0600) to the data directory,
    where the companion reads and deletes it.

    \b
    Example:
        feedlens settings
        feedlens settings --dashboard --no-open
    """
    from companion.web.auth import NONCE_TTL, mint_login_file

    cfg = config_or_exit()
    other = running_companion(cfg)
    if other is None:
        raise click.ClickException(
            f"no companion is running from {cfg['data_dir']}; start it with `feedlens tray` (or `feedlens serve`)"
        )
    nonce = mint_login_file(Path(cfg["data_dir"]))
    url = f"http://127.0.0.1:{other['port']}/settings/login?t={nonce}" + ("&next=dashboard" if dashboard else "")
    click.echo(url)
    click.echo(f"(works once, for {int(NONCE_TTL)} seconds)", err=True)
    if not no_open:
        from companion.tray.system import open_target

        try:
            open_target(url)
        except OSError as exc:
            raise click.ClickException(f"could not start a browser ({exc}); open the link above yourself") from exc

"""The ``feedlens`` command line. Each command is thin over a library call; library errors become
``click.ClickException`` at this edge."""

from __future__ import annotations

import logging

import click

from companion import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="feedlens")
@click.option("--verbose", "-v", count=True, help="More log output (-vv: DEBUG, which may include post text).")
def cli(verbose: int) -> None:
    """Feedlens: a privacy-first companion for social feeds. Nothing leaves this machine.

    \b
    Example:
        feedlens serve
        feedlens analyze "Bom dia a todos!" "今天天气真好" "This is fine"
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _register() -> None:
    from companion.cli import analyze, models, pair, serve, settings, status, train, translate, vault

    for command in (serve.serve, serve.tray, status.status, analyze.analyze, translate.translate, pair.pair,
                    models.models, train.train, train.eval_, settings.settings, vault.export, vault.erase,
                    vault.vault_group):
        cli.add_command(command)


_register()


def main() -> None:
    cli()

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
    from companion.cli import analyze, models, pair, serve, status, train, translate, vault

    cli.add_command(serve.serve)
    cli.add_command(serve.tray)
    cli.add_command(status.status)
    cli.add_command(analyze.analyze)
    cli.add_command(pair.pair)
    cli.add_command(models.models)
    from companion.cli import settings

    cli.add_command(settings.settings)
    cli.add_command(train.train)
    cli.add_command(train.eval_)
    cli.add_command(translate.translate)
    cli.add_command(vault.export)
    cli.add_command(vault.erase)
    cli.add_command(vault.vault_group)


_register()


def main() -> None:
    cli()

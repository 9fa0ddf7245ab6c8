"""``feedlens models ...``: build, pull, list and remove models. Subcommands live in their own
modules (``models_build``, ``models_pull``) and are attached here when present."""

from __future__ import annotations

import importlib

import click


@click.group()
def models() -> None:
    """Build and manage on-device models.

    \b
    Example:
        feedlens models build
        feedlens models list
    """


for _module, _names in (("companion.cli.models_build", ("build",)),
                        ("companion.cli.models_pull", ("pull", "list_", "remove"))):
    try:
        mod = importlib.import_module(_module)
    except ImportError:  # a part that has not landed in this build
        continue
    for _name in _names:
        if hasattr(mod, _name):
            models.add_command(getattr(mod, _name))

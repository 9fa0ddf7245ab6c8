"""``feedlens tray``: the tray icon with the local API running beside it.

    run_tray(port=None)        # blocks until Quit / SIGTERM; used by companion/cli/serve.py

pystray owns the main thread (macOS requires it); the API's werkzeug server runs in a daemon thread.
One instance per data directory: a second start says so and opens the running one's settings.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import click

log = logging.getLogger(__name__)

LOCK_FILE = "tray.lock"
TEST_SOCKET_ENV = "FEEDLENS_TRAY_TEST_SOCKET"


def instance_lock(data_dir: Path) -> IO[str] | None:
    """Hold ``tray.lock`` for this process's life; ``None`` when another tray holds it."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    fh = open(Path(data_dir) / LOCK_FILE, "a")  # noqa: SIM115 - kept open on purpose: the lock lives with it
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


def open_running(cfg: dict[str, Any], wait_seconds: float = 10.0) -> bool:
    """Open the settings page of the companion already running from this data dir; False if none."""
    from companion.cli.common import running_companion
    from companion.tray import system
    from companion.web.auth import mint_login_file

    deadline = time.monotonic() + wait_seconds
    other = running_companion(cfg)
    while other is None and time.monotonic() < deadline:  # it may still be starting
        time.sleep(0.2)
        other = running_companion(cfg)
    if other is None:
        return False
    click.echo(f"Feedlens is already running from {cfg['data_dir']} (pid {other['pid']}, port {other['port']}); "
               "opening its settings")
    nonce = mint_login_file(Path(cfg["data_dir"]))
    system.open_target(f"http://127.0.0.1:{other['port']}/settings/login?t={nonce}")
    return True


def _import_pystray() -> Any:
    try:
        import pystray
    except Exception as exc:  # Xlib raises DisplayNameError/ConnectionError, not ImportError
        raise click.ClickException(
            f"the tray icon cannot start here ({type(exc).__name__}: {exc}); it needs a desktop session "
            "(DISPLAY or WAYLAND_DISPLAY). Run `feedlens serve` for the API alone, and `feedlens settings` "
            "to open the settings page"
        ) from exc
    return pystray


def run_tray(port: int | None) -> None:
    from companion.cli.common import config_or_exit, running_companion, runtime_file

    cfg = config_or_exit()
    lock = instance_lock(cfg["data_dir"])
    if lock is None or running_companion(cfg):
        if open_running(cfg):
            return
        raise click.ClickException(f"another Feedlens tray is starting from {cfg['data_dir']}; wait and try again")
    pystray = _import_pystray()

    from companion.cli.serve import start_server
    from companion.tray.app import TrayApp

    server, cfg = start_server(port)
    threading.Thread(target=server.serve_forever, name="api", daemon=True).start()
    click.echo(f"Feedlens companion listening on http://127.0.0.1:{server.port}")
    click.echo(f"data directory: {cfg['data_dir']}")
    try:
        tray = TrayApp(server, pystray.Icon, pystray)
    except Exception:
        server.shutdown()
        runtime_file(cfg).unlink(missing_ok=True)
        raise

    def finish() -> None:
        runtime_file(cfg).unlink(missing_ok=True)
        lock.close()
        click.echo("Feedlens companion stopped")

    def stuck() -> None:  # everything is closed already; only pystray's loop is left
        finish()
        sys.stdout.flush()
        os._exit(0)

    tray.on_stuck = stuck

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %d: shutting down", signum)
        # Not in the handler itself: it interrupts pystray's X loop, which must keep running to stop.
        threading.Thread(target=tray.shutdown, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if os.environ.get(TEST_SOCKET_ENV):
        from companion.tray.testhook import serve_test_hook

        serve_test_hook(tray, Path(os.environ[TEST_SOCKET_ENV]))
    try:
        tray.run()
    finally:
        tray.shutdown()
        finish()

"""The private D-Bus + gnome-keyring that ``tests/privacy/start_keyring.sh`` starts: reading what it
prints, and stopping both daemons (used by the Secret Service fixture and the frozen-app tests)."""

from __future__ import annotations

import os
import signal


def read_keyring_env(stdout: str) -> dict[str, str]:
    """``DBUS_SESSION_BUS_ADDRESS``, ``DBUS_PID`` and ``KEYRING_PID`` from the script's output."""
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def stop_keyring_daemons(env: dict[str, str]) -> None:
    """SIGTERM the keyring and the bus; either may already be gone."""
    for pid in (env.get("KEYRING_PID"), env.get("DBUS_PID")):
        if pid:
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass

"""A test-only control socket for the tray (enabled only by ``$FEEDLENS_TRAY_TEST_SOCKET``).

pystray's X11 backend draws no menu (a click runs the default item), so tests reach the menu
through this: the *real* pystray menu objects are read (text, checked, enabled, after evaluating
their callables) and activated (``item(icon)``, exactly what a click on the item does).

One JSON request per connection on a 0600 Unix socket -> one JSON reply:
``{"op": "menu"}``, ``{"op": "state"}``, ``{"op": "click", "path": ["Device", "CPU"]}``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def recv_line(conn: socket.socket) -> bytes:
    """One message: the bytes up to and including its newline, or up to EOF.

    The tests' client (tests/tray/traytools.py) reads the replies with it too.
    """
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def describe(menu: Any) -> list[dict[str, Any]]:
    out = []
    for item in menu.items:
        entry = {"text": item.text, "checked": item.checked, "enabled": item.enabled, "default": item.default,
                 "visible": item.visible}
        if item.submenu:
            entry["submenu"] = describe(item.submenu)
        out.append(entry)
    return out


def find(menu: Any, path: list[str]) -> Any:
    items = {item.text: item for item in menu.items}
    if path[0] not in items:
        raise KeyError(f"no menu item {path[0]!r}; items: {list(items)}")
    item = items[path[0]]
    return find(item.submenu, path[1:]) if len(path) > 1 else item


def handle(tray: Any, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "menu":
        return {"menu": describe(tray.icon.menu)}
    if op == "state":
        from companion.tray import icons

        with tray.state_lock:  # one snapshot: refresh() changes the image and the state together
            state, image = tray.state, tray.icon.icon
        return {"state": state, "title": tray.icon.title, "visible": bool(tray.icon.visible),
                "docked": getattr(tray.icon, "_systray_manager", None) is not None,
                "image_matches_state": image is icons.icon_image(state)}
    if op == "click":
        item = find(tray.icon.menu, list(request["path"]))
        item(tray.icon)
        return {"ok": True}
    raise ValueError(f"unknown op {op!r}")


def serve_test_hook(tray: Any, path: Path) -> None:
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    sock.listen(4)
    log.warning("tray test hook listening on %s (tests only)", path)

    def loop() -> None:
        while True:
            conn, _ = sock.accept()
            with conn:
                try:
                    reply = handle(tray, json.loads(recv_line(conn)))
                except Exception as exc:  # report to the test instead of dying
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
                conn.sendall(json.dumps(reply).encode() + b"\n")

    threading.Thread(target=loop, name="tray-test-hook", daemon=True).start()

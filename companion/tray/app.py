"""The tray icon: a thin shell over :class:`companion.web.controls.Controls`.

    tray = TrayApp(server, icon_factory=pystray.Icon)
    tray.run()             # blocks; pystray owns the main thread. Quit or SIGTERM -> tray.shutdown()

Every callback catches and logs (an exception escaping a pystray callback ends the icon's loop);
``checked=`` reads real state each time the menu is drawn; a poll thread redraws the icon when the
state changes (a pairing request turns it to "attention").
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from companion.tray import autostart, icons, system
from companion.web import controls as web_controls
from companion.web import i18n, login_url

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a menu callback so that nothing it raises escapes into pystray."""

    @functools.wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("tray action %s failed", fn.__name__)
            return None

    return inner


class TrayApp:
    """Builds the pystray icon and menu over a running :class:`companion.cli.serve.Server`."""

    def __init__(self, server: Any, icon_factory: Callable[..., Any], menu_module: Any):
        self.server = server
        self.controls: web_controls.Controls = web_controls_of(server.app)
        self.pystray = menu_module
        self._stopped = threading.Event()
        self._shutdown_lock = threading.Lock()
        self._done = False
        self._loop_started = threading.Event()
        self._icon_stop_lock = threading.Lock()
        self._icon_stopped = False
        # Held while the icon image and ``state`` change together, so a reader (the test hook)
        # never sees one without the other.
        self.state_lock = threading.Lock()
        self.exited = threading.Event()
        # Called when pystray's loop does not return after the icon was stopped (see _watchdog).
        self.on_stuck: Callable[[], None] = lambda: os._exit(0)
        self.state = self.controls.state()
        self.icon = icon_factory("feedlens", icons.icon_image(self.state), self.title(), menu=self.build_menu())
        _enable_xorg_clicks(self.icon)

    # --- text -------------------------------------------------------------------------------
    @property
    def t(self) -> dict[str, str]:
        return i18n.strings(i18n.pick(None, self.controls.cfg.get("ui_language")))

    def _state_text(self, t: dict[str, str]) -> str:
        key = "state_vault" if self.state == "attention" and self.controls.attention() == "vault" else f"state_{self.state}"
        return t[key]

    def title(self) -> str:
        title = f"Feedlens - {self._state_text(self.t)}"
        try:
            # pystray's X11 backend writes the title as a Latin-1 WM_NAME: Chinese cannot go there.
            title.encode("latin-1")
        except UnicodeEncodeError:
            title = f"Feedlens - {self._state_text(i18n.strings('en'))}"
        return title

    # --- menu -------------------------------------------------------------------------------
    def build_menu(self) -> Any:
        Menu, Item = self.pystray.Menu, self.pystray.MenuItem
        t = self.t
        return Menu(
            # Shown only while the vault is locked: nothing is kept until the person fixes it.
            Item(t["tray_vault_problem"], safe(self.open_settings),
                 visible=lambda _item: self.controls.attention() == "vault"),
            Item(t["tray_open_settings"], safe(self.open_settings), default=True),
            Item(t["tray_open_dashboard"], safe(self.open_dashboard)),
            Menu.SEPARATOR,
            Item(t["pause_label"], safe(self.toggle_pause), checked=lambda _item: self.controls.paused),
            Item(lambda _item: self._pairing_title(), Menu(self._pairing_items),
                 enabled=lambda _item: bool(self.controls.pending())),
            Item(t["device_label"], Menu(self._device_items)),
            Item(t["tray_autostart"], safe(self.toggle_autostart), checked=lambda _item: autostart.is_enabled()),
            Item(t["tray_open_folder"], safe(self.open_data_folder)),
            Menu.SEPARATOR,
            Item(t["tray_quit"], safe(self.quit)),
        )

    def _pairing_title(self) -> str:
        n = len(self.controls.pending())
        return f"{self.t['tray_pairing']} ({n})" if n else self.t["tray_pairing"]

    def _pairing_items(self) -> Any:
        Item = self.pystray.MenuItem
        pending = self.controls.pending()
        if not pending:
            yield Item(self.t["tray_no_requests"], None, enabled=False)
        for p in pending:
            label = f"{p['code']} — {p['name']}"
            yield Item(f"{self.t['pair_approve']} {label}", safe(functools.partial(self.approve, p["code"])))
            yield Item(f"{self.t['pair_deny']} {label}", safe(functools.partial(self.deny, p["code"])))

    def _device_items(self) -> Any:
        Item = self.pystray.MenuItem
        for device in self.controls.devices():
            yield Item(self.t["device_" + device], safe(functools.partial(self.set_device, device)),
                       checked=functools.partial(lambda d, _item: self.controls.device == d, device), radio=True)

    # --- actions (each re-reads real state afterwards) ---------------------------------------
    def open_settings(self, *_: Any) -> None:
        system.open_target(login_url(self.server.app, port=self.server.port))

    def open_dashboard(self, *_: Any) -> None:
        system.open_target(login_url(self.server.app, "dashboard", port=self.server.port))

    def toggle_pause(self, *_: Any) -> None:
        self.controls.set_paused(not self.controls.paused)
        self.refresh(force=True)

    def approve(self, code: str, *_: Any) -> None:
        self.controls.approve(code)
        self.refresh(force=True)

    def deny(self, code: str, *_: Any) -> None:
        self.controls.deny(code)
        self.refresh(force=True)

    def set_device(self, device: str, *_: Any) -> None:
        self.controls.set_device(device)
        self.refresh(force=True)

    def toggle_autostart(self, *_: Any) -> None:
        autostart.set_enabled(not autostart.is_enabled())
        self.refresh(force=True)

    def open_data_folder(self, *_: Any) -> None:
        system.open_target(self.controls.data_dir)

    def quit(self, *_: Any) -> None:
        self.shutdown()

    # --- state ------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Redraw icon, title and menu when the state changed (or when ``force``)."""
        state = self.controls.state()
        if state == self.state and not force:
            return
        # The image first: whoever sees the new ``state`` (the menu) sees its image too.
        with self.state_lock:
            self.icon.icon = icons.icon_image(state)
            self.state = state
        self.icon.title = self.title()
        self.icon.update_menu()
        log.debug("tray state: %s", state)

    def _poll(self) -> None:
        while not self._stopped.wait(POLL_SECONDS):
            try:
                self.refresh()
            except Exception:  # the poll keeps going: a failed redraw is not worth the icon
                log.exception("tray refresh failed")

    def _setup(self, icon: Any) -> None:
        """Runs once pystray's loop has started (in pystray's setup thread)."""
        self._loop_started.set()
        try:
            icon.visible = True
        except Exception:
            log.exception("could not show the tray icon")
        if self._done:  # Quit or SIGTERM came before the loop ran: stop it now
            self._stop_icon()
            return
        threading.Thread(target=self._poll, name="tray-poll", daemon=True).start()

    def _stop_icon(self) -> None:
        with self._icon_stop_lock:
            if self._icon_stopped:
                return
            self._icon_stopped = True
        log.info("stopping the tray icon (running=%s)", getattr(self.icon, "_running", "?"))
        try:
            self.icon.stop()
        except Exception:
            log.exception("stopping the tray icon failed")
        log.info("tray icon stopped")

    def run(self) -> None:
        """Block in pystray's loop until :meth:`shutdown`."""
        try:
            self.icon.run(setup=self._setup)
        finally:
            self.exited.set()

    def shutdown(self) -> None:
        """The one way out (Quit, SIGTERM, SIGINT): stop polling, stop the API, close services, stop the icon."""
        with self._shutdown_lock:
            if self._done:
                return
            self._done = True
        log.info("tray shutting down")
        self._stopped.set()
        try:
            self.server.shutdown()
        except Exception:
            log.exception("stopping the API failed")
        log.info("API stopped; loop started: %s", self._loop_started.is_set())
        # Before the loop runs, pystray's stop() does nothing: _setup stops it once it starts.
        if self._loop_started.is_set():
            self._stop_icon()
        if threading.current_thread() is not threading.main_thread():
            threading.Thread(target=self._watchdog, name="tray-exit-watchdog", daemon=True).start()

    def _watchdog(self, seconds: float = 3.0) -> None:
        """pystray 0.19's X11 loop only ends on the DestroyNotify of its window, and now and then
        (threads sharing one Xlib connection) that event never wakes it: the icon is gone, the API
        stopped and the vault closed, but the process would hang. Then end it ourselves."""
        if not self.exited.wait(seconds):
            log.warning("the tray loop did not end %.0f s after the icon was removed; exiting", seconds)
            self.on_stuck()


def _enable_xorg_clicks(icon: Any) -> None:
    """pystray 0.19's X11 backend handles ButtonPress but never selects it on its window, so a click
    on the icon does nothing. Select it (X11 backend only; the others have real menus)."""
    window = getattr(icon, "_window", None)
    if window is None or not type(icon).__module__.endswith("_xorg"):
        return
    try:
        import Xlib.X

        window.change_attributes(event_mask=Xlib.X.ExposureMask | Xlib.X.StructureNotifyMask | Xlib.X.ButtonPressMask)
        icon._display.flush()
    except Exception:
        log.exception("could not enable clicks on the X11 tray icon")


def web_controls_of(app: Any) -> web_controls.Controls:
    from companion import web

    return web.controls_of(app)

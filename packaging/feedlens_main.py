"""Entry point of the desktop build (``build.spec``): ``feedlens`` with no arguments starts the tray.

Double-clicking the app (or an autostart entry) runs it without arguments, so it must do the thing a
person expects: the tray icon with the API beside it. With arguments it is the normal ``feedlens`` CLI.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless unless a library spawns worker processes
    if len(sys.argv) == 1:
        sys.argv.append("tray")
    from companion.cli import main

    main()

#!/usr/bin/env bash
# System packages the test suite drives for real: Chromium (extension and settings page end to end),
# Xvfb + xdotool + trayer (tray), gnome-keyring + D-Bus (the Secret Service keyring), Node.js (extension unit tests).
# Installs only what is missing; uses sudo when not root.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium chromium-driver)
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xdotool >/dev/null || need+=(xdotool)
command -v trayer >/dev/null || need+=(trayer)   # a real system tray under Xvfb for the tray tests
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)  # readable Chinese in screenshots
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-daemon >/dev/null || need+=(dbus dbus-x11)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

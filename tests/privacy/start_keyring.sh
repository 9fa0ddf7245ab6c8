#!/bin/sh
# Start a private D-Bus session bus and an unlocked gnome-keyring (Secret Service) for tests.
#
#   sh tests/privacy/start_keyring.sh /tmp/some-dir
#   -> prints DBUS_SESSION_BUS_ADDRESS=..., DBUS_PID=..., KEYRING_PID=...
#
# Everything (the keyring files, the runtime dir) lives under the given directory; the caller
# kills the two pids when done. Debian packages: dbus-daemon, dbus-bin (dbus-send), gnome-keyring.
set -eu
base="${1:?usage: start_keyring.sh DIR}"
mkdir -p "$base/home" "$base/data" "$base/run"
chmod 700 "$base/run"
export HOME="$base/home" XDG_DATA_HOME="$base/data" XDG_RUNTIME_DIR="$base/run"
dbus-daemon --session --fork --print-address=3 --print-pid=4 3>"$base/bus.addr" 4>"$base/bus.pid"
DBUS_SESSION_BUS_ADDRESS="$(cat "$base/bus.addr")"
export DBUS_SESSION_BUS_ADDRESS
# --unlock reads the login keyring's password from stdin and creates that keyring on first run.
# --foreground in the background so that $! is the daemon's own pid (for the caller to kill).
printf 'feedlens-test-keyring' | gnome-keyring-daemon --foreground --unlock --components=secrets >"$base/gkd.log" 2>&1 &
keyring_pid=$!
# Wait (at most ~10 s) until the daemon owns org.freedesktop.secrets on the bus.
i=0
while [ $i -lt 100 ]; do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
       org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    break
  fi
  i=$((i + 1)); sleep 0.1
done
echo "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
echo "DBUS_PID=$(cat "$base/bus.pid")"
echo "KEYRING_PID=$keyring_pid"

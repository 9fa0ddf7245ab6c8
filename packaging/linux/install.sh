#!/bin/sh
# Install the desktop build for the current user (no root needed):
#
#   sh packaging/linux/install.sh [--autostart] [dist/feedlens]
#
#   ~/.local/opt/feedlens/          the one-folder app (replaced atomically on upgrade)
#   ~/.local/bin/feedlens           a link to its executable (the CLI, on PATH)
#   ~/.local/share/applications/feedlens.desktop   the menu entry (starts the tray)
#   ~/.local/share/icons/hicolor/scalable/apps/feedlens.svg
#   ~/.config/autostart/feedlens.desktop           with --autostart (the tray's "Start at login" toggles the same file)
#
# PREFIX (default ~/.local), XDG_DATA_HOME and XDG_CONFIG_HOME are honoured. Your data directory
# (~/.local/share/feedlens) is not touched; uninstall with --uninstall.
set -eu
autostart=0
uninstall=0
src=""
for arg in "$@"; do
  case "$arg" in
    --autostart) autostart=1 ;;
    --uninstall) uninstall=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "unknown option $arg (use --autostart, --uninstall or --help)" >&2; exit 2 ;;
    *) src="$arg" ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
data=${XDG_DATA_HOME:-$HOME/.local/share}
config=${XDG_CONFIG_HOME:-$HOME/.config}
app="$prefix/opt/feedlens"
entry="$data/applications/feedlens.desktop"
icon="$data/icons/hicolor/scalable/apps/feedlens.svg"
auto="$config/autostart/feedlens.desktop"

if [ "$uninstall" = 1 ]; then
  rm -rf "$app" "$entry" "$icon" "$auto"
  [ -L "$prefix/bin/feedlens" ] && rm -f "$prefix/bin/feedlens"
  echo "removed Feedlens from $prefix (your data directory is untouched)"
  exit 0
fi

src=${src:-$here/../../dist/feedlens}
if [ ! -x "$src/feedlens" ]; then
  echo "no built app in $src: run \`make dist\` (or scripts/build_desktop.sh) first" >&2
  exit 1
fi

mkdir -p "$prefix/opt" "$prefix/bin" "$(dirname "$entry")" "$(dirname "$icon")"
rm -rf "$app.new"
cp -R "$src" "$app.new"
rm -rf "$app"
mv "$app.new" "$app"
ln -sf "$app/feedlens" "$prefix/bin/feedlens"

# Desktop Entry Exec quoting: a path with spaces or specials goes in double quotes.
case "$app" in
  *[!A-Za-z0-9_./-]*) exe="\"$(printf '%s' "$app/feedlens" | sed 's/[\\"`$]/\\&/g')\"" ;;
  *) exe="$app/feedlens" ;;
esac
sed -e "s|^Exec=feedlens tray\$|Exec=$exe tray|" -e "s|^TryExec=feedlens\$|TryExec=$app/feedlens|" \
  "$here/feedlens.desktop" > "$entry"
cp "$app/_internal/companion/web/static/icon.svg" "$icon"
if [ "$autostart" = 1 ]; then
  mkdir -p "$(dirname "$auto")"
  cp "$entry" "$auto"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
echo "installed $app ($(du -sh "$app" | cut -f1)); menu entry $entry"
[ "$autostart" = 1 ] && echo "starts at login: $auto"
exit 0

#!/usr/bin/env bash
# Build the one-folder desktop app dist/feedlens/ (the `make dist` target runs this).
#
#   bash scripts/build_desktop.sh          # encoder (if not built yet) + PyInstaller build.spec
#   FEEDLENS_MODELS=/path bash scripts/build_desktop.sh     # take the encoder from /path
#   FEEDLENS_DIST_NO_ENCODER=1 bash scripts/build_desktop.sh  # ship no encoder (smaller; no scores)
#
# Runs on Linux and macOS, and on Windows from Git Bash; builds for the OS it runs on (PyInstaller
# does not cross-compile). Needs the venv from `make setup` plus PyInstaller (the `desktop` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ -x "$VENV/bin/python" ]; then BIN="$VENV/bin"; else BIN="$VENV/Scripts"; fi
PY="$BIN/python"
[ -x "$PY" ] || [ -x "$PY.exe" ] || { echo "no virtual environment in $VENV: run \`make setup\` first" >&2; exit 1; }

if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is missing: $PY -m pip install -e '.[desktop]'" >&2
  exit 1
fi

if [ -z "${FEEDLENS_DIST_NO_ENCODER:-}" ]; then
  # The encoder the app ships. A no-op when it is already built; needs the `train` extra (torch) once.
  "$PY" -m companion models build --quiet || {
    echo "building the encoder failed; fix that, or build without it: FEEDLENS_DIST_NO_ENCODER=1 $0" >&2
    exit 1
  }
fi

# nice: PyInstaller's analysis is CPU-heavy and a build is never urgent.
NICE=""
command -v nice >/dev/null && NICE="nice -n 10"
$NICE "$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec

exe=dist/feedlens/feedlens
[ -f "$exe" ] || exe=dist/feedlens/feedlens.exe
"$exe" --version
du -sh dist/feedlens 2>/dev/null || true
echo "built: $exe  (see docs/desktop.md to install it)"

#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (idempotent): nothing to do when
# /usr/bin/chromium exists. Playwright drives this browser (executable_path), so no browser
# build is ever downloaded. Needs root or sudo for apt-get on a fresh machine.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_browser: need root (or sudo) to apt-get install chromium" >&2; exit 1; }
  SUDO="sudo"
fi
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null
[ -x "$CHROMIUM" ] || { echo "install_browser: $CHROMIUM still missing after apt-get" >&2; exit 1; }

#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed (used for headless checks of the web page), then
# prints its version. Debian's package, not a browser build that a tool downloads by itself:
# machines here reach Debian's mirror but not those download hosts.
#
#   sudo bash scripts/ensure-chromium.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { echo "[ensure-chromium] $*"; }

if [ ! -x "$CHROMIUM" ]; then
  [ "$(id -u)" -eq 0 ] || {
    echo "[ensure-chromium] ERROR: $CHROMIUM is missing and installing it needs root: run with sudo" >&2
    exit 1
  }
  say "$CHROMIUM not found; installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q update
  apt-get -q install -y --no-install-recommends chromium fonts-dejavu-core
  [ -x "$CHROMIUM" ] || {
    echo "[ensure-chromium] ERROR: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
  }
fi

say "$("$CHROMIUM" --version 2>/dev/null) at $CHROMIUM"

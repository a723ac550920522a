#!/usr/bin/env bash
# The browser tests (test/web/*.e2e-spec.ts) drive Debian's Chromium through playwright-core
# (Playwright's own browser download cannot be used here). Installs it when missing; run as root.
set -euo pipefail
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium_path" ]; then
  echo "chromium: $("$chromium_path" --version 2>/dev/null || echo present) at $chromium_path"
  exit 0
fi
echo "chromium: not found at $chromium_path, installing Debian's package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(/usr/bin/chromium --version)"

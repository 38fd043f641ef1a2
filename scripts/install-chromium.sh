#!/usr/bin/env bash
# Headless Chromium for `demine certificate HAZARD_ID --out FILE.pdf` (Debian's chromium package,
# with DejaVu fonts for Cyrillic). HTML certificates need nothing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null)"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
chromium --version

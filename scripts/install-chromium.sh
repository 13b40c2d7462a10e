#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (driven by playwright-core through its executablePath),
# unless it is already there. Browser tests call this before they start, so a fresh machine gets it too.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
command -v chromium

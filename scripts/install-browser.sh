#!/bin/sh
# Installs Debian's chromium for the browser tests; does nothing when it is already there.
# Playwright drives this system browser (executable_path), so no browser is downloaded by pip.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser.sh: /usr/bin/chromium is missing and this user cannot install it (run as root: apt-get install -y chromium)" >&2
        exit 1
    fi
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium

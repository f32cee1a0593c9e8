#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine (Debian's chromium
# for the page's end-to-end test in tests/it/web.rs), then runs the unit, property, integration
# and doc tests in one release build. Extra arguments go to `cargo test` (e.g. `--test it web`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM:-}" ] && ! [ -x /usr/bin/chromium ]; then
    echo "== installing Debian's chromium for the page's end-to-end test"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
fi
"${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null || true

cargo test --release "$@"

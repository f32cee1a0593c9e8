#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, then runs them.
#
#   1. Debian's chromium (the page's end-to-end test in tests/it/web.rs), when missing;
#   2. the unit, property, integration and doc tests, in one release build (`cargo test`);
#   3. Java 17 from Debian's packages (Spark's runtime), when missing;
#   4. the Python package built from python/ (`pip install ./python[test]`, maturin reusing
#      the release build's dependencies) in a virtual environment under target/, with pytest,
#      pyspark and pandas from PyPI;
#   5. its tests (python/tests): the module against the CLI, and the Spark job in local mode.
#
# Extra arguments go to `cargo test` (e.g. `--test it web`); SKIP_PYTHON=1 stops after step 2.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

if [ -z "${CHROMIUM:-}" ] && ! [ -x /usr/bin/chromium ]; then
    echo "== installing Debian's chromium for the page's end-to-end test"
    apt_install chromium
fi
"${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null || true

cargo test --release "$@"

if [ -n "${SKIP_PYTHON:-}" ]; then exit 0; fi

if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
    echo "== installing Java 17 from Debian's packages for the Spark tests"
    apt_install openjdk-17-jre-headless
fi
java -version 2>&1 | head -1

echo "== building the Python package (python/) into target/python-env"
venv=target/python-env
if ! [ -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "./python[test]"

echo "== Python tests (the module, and the Spark job in local mode)"
SKIPTRACE_BIN=target/release/skiptrace "$venv/bin/python" -m pytest -q python/tests

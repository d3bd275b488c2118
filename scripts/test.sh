#!/usr/bin/env bash
# The whole test suite, from nothing: venv, install, lint, types, layers, docs, tests.
# The README's second command and .ci/run both call this script.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
# The dashboard's browser tests drive Debian's Chromium; install it on a fresh CI machine
# (or as root with apt). Without it those tests are skipped with a message.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 \
    && { [ "${CI:-}" = "true" ] || [ "$(id -u)" = "0" ]; }; then
  echo "== installing chromium (dashboard browser tests)"
  SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
  { $SUDO apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium; } \
    || echo "!! chromium could not be installed: the browser tests will be skipped"
fi
echo "== ruff"; .venv/bin/ruff check hyperliquid_ofi_trader tests bench
echo "== mypy --strict"; .venv/bin/mypy
echo "== lint-imports (layers)"; .venv/bin/lint-imports
echo "== docs (mkdocs build --strict)"; .venv/bin/mkdocs build --strict -q -d "$(mktemp -d)"
echo "== pytest"; .venv/bin/pytest "$@"

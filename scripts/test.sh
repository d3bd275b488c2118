#!/usr/bin/env bash
# The whole test suite, from nothing: venv, install, lint, types, tests.
# The README's second command and .ci/run both call this script.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
echo "== ruff"; .venv/bin/ruff check hyperliquid_ofi_trader tests bench
echo "== mypy --strict"; .venv/bin/mypy
echo "== pytest"; .venv/bin/pytest "$@"

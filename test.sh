#!/usr/bin/env bash
# Runs every helmdeck test: lint and types, unit tests, and the tests against the sandbox cluster
# (which this starts, and stops again at the end unless HELMDECK_KEEP_SANDBOX=1).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --test
echo "test: ruff"
.venv/bin/ruff check src tests bench
echo "test: import layers (lint-imports, contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache
echo "test: mypy"
.venv/bin/mypy
echo "test: pytest"
exec .venv/bin/pytest "$@"

#!/usr/bin/env bash
# The test suite: sets everything up, then runs pytest (benchmarks in bench/ are not run here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q tests "$@"

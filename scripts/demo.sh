#!/usr/bin/env bash
# The main job on a built-in default: sets everything up, then runs `fastshear demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fastshear demo "$@"

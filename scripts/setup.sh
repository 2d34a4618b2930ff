#!/usr/bin/env bash
# Set-up shared by scripts/demo.sh and scripts/test.sh: system packages (as root, on
# Debian/Ubuntu), a virtual environment in .venv, and an (incremental) build of fastshear in it.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if ! pkg-config --exists fftw3 fftw3f 2>/dev/null; then need+=(libfftw3-dev); fi
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null 2>&1 || need+=(python3)
if command -v "$PY" >/dev/null 2>&1 && ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then need+=(python3-venv); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fastshear setup: installing ${need[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" python3-dev >/dev/null
  else
    echo "fastshear setup: missing ${need[*]}; install them first, e.g." >&2
    echo "  sudo apt-get install ${need[*]} python3-dev" >&2
    exit 1
  fi
fi

"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "fastshear setup: Python >= 3.10 is needed, $PY is $("$PY" -V 2>&1)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "fastshear setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
stamp=.venv/.fastshear-build-deps
extras=${FASTSHEAR_EXTRAS:-test,plot,dask}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$extras" ]; then
  echo "fastshear setup: installing build and test dependencies" >&2
  $VPY -m pip install -q --upgrade pip
  # build requirements (pyproject's [build-system]); the extras come with the package below
  $VPY -m pip install -q "scikit-build-core>=0.11" "pybind11>=2.12"
  echo "$extras" > "$stamp"
fi
echo "fastshear setup: building fastshear (incremental)" >&2
$VPY -m pip install -q --no-build-isolation ".[${extras}]"

# PyTorch (the torch adapters, DenseNet.from_torch, nn.fit and their tests) only when a CPU wheel
# of the pinned version is on this machine already (pip's find-links): never a multi-GB download.
if ! $VPY -c "import torch" >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  if $VPY -m pip download -q --no-deps --no-index -d "$tmp" "torch==2.13.0" >/dev/null 2>&1; then
    echo "fastshear setup: installing the local PyTorch 2.13.0 wheel" >&2
    $VPY -m pip install -q "$tmp"/torch-*.whl
  else
    echo "fastshear setup: no local PyTorch wheel; torch-based tests will be skipped" >&2
  fi
  rm -rf "$tmp"
fi
# zennit (LGPL) is the LRP oracle of the DenseNet tests. Its dependency on torchvision does not
# load beside the local CPU torch, and the tests need only its torch part: no dependencies.
if $VPY -c "import torch" >/dev/null 2>&1 && ! $VPY -m pip show -q zennit >/dev/null 2>&1; then
  $VPY -m pip install -q --no-deps "zennit>=0.5" || echo "fastshear setup: zennit not installed; its LRP comparison will be skipped" >&2
fi

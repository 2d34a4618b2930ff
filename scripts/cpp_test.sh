#!/usr/bin/env bash
# The C++ core's own test, without Python: the core alone (FASTSHEAR_PYTHON=OFF: no pybind11,
# no interpreter) built with its warnings as errors, plus cpp/tests/core_test.cpp, run by CTest
# (adjointness and perfect reconstruction of every plan, float32 and float64, odd and even sizes);
# then the bindings compiled syntax-only with the same -Werror.
# Usage: bash scripts/cpp_test.sh [build dir, default build/cpp-test]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/cpp-test}
NICE=${FASTSHEAR_NICE:-nice -n 5}
CMAKE=${CMAKE:-cmake}
command -v "$CMAKE" >/dev/null 2>&1 || CMAKE=.venv/bin/cmake
$NICE "$CMAKE" -S . -B "$B" -DFASTSHEAR_PYTHON=OFF -DFASTSHEAR_BUILD_TESTS=ON -DFASTSHEAR_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
$NICE "$CMAKE" --build "$B" -j "$(nproc)"
CTEST=$(dirname "$(command -v "$CMAKE")")/ctest
[ -x "$CTEST" ] || CTEST=ctest
$NICE "$CTEST" --test-dir "$B" --output-on-failure

# The bindings with the same warnings as errors (a syntax-only compile against the venv's
# pybind11 and Python headers; the module itself is built by scripts/setup.sh)
VPY=.venv/bin/python
if [ -x "$VPY" ] && "$VPY" -c "import pybind11" 2>/dev/null; then
  CXX=${CXX:-c++}
  INC=$("$VPY" -c "import pybind11, sysconfig; print(pybind11.get_include(), sysconfig.get_paths()['include'])")
  for f in cpp/bindings/*.cpp; do
    $NICE "$CXX" -std=c++17 -fsyntax-only -fopenmp -Wall -Wextra -Werror -Icpp $(printf -- '-isystem %s ' $INC) "$f"
  done
  echo "fastshear cpp_test: the bindings compile with -Wall -Wextra -Werror" >&2
fi

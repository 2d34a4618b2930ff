#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (float-cast-overflow and
# alignment included): the C++ core and bindings built with FASTSHEAR_SANITIZE=ON into their own
# build directory (build/sanitize, RelWithDebInfo with -O1 -g1, nothing appended over it), staged beside a
# copy of the Python package, and run with the .venv of scripts/setup.sh (which it runs first).
# The C++ test of the core (cpp/tests/core_test.cpp) runs first under the sanitizers too.
# Benchmarks and the `slow` group are skipped. Any sanitizer report fails the run.
#
#   bash scripts/sanitize.sh                 # the whole suite
#   bash scripts/sanitize.sh tests/api/test_hostile.py -k radon   # pytest arguments pass through
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || bash scripts/setup.sh
PY=$PWD/.venv/bin/python
BUILD=$PWD/build/sanitize
JOBS=${FASTSHEAR_JOBS:-$(nproc)}

CMAKE=$(command -v cmake || true)
if [ -z "$CMAKE" ]; then "$PY" -m pip install -q cmake; CMAKE=$PWD/.venv/bin/cmake; fi

t0=$(date +%s)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  # -O1 (ASan's recommendation: fast to build, quick enough to run) with line tables only (-g1):
  # the build type's flags, never overridden by the project; the bindings (conversions only,
  # pybind11's templates the bulk of the build time) at -O0
  "$CMAKE" -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFASTSHEAR_SANITIZE=ON -DFASTSHEAR_BUILD_TESTS=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DFASTSHEAR_BINDINGS_FLAGS="-O0" \
    -DPython_EXECUTABLE="$PY" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
fi
"$CMAKE" --build "$BUILD" -j "$JOBS" >/dev/null
so=$(ls "$BUILD"/_core*.so)
stage=$BUILD/pkg
rm -rf "$stage"
mkdir -p "$stage"
cp -r python/fastshear "$stage/"
rm -f "$stage"/fastshear/_core*.so
cp "$so" "$stage/fastshear/"
t1=$(date +%s)
echo "fastshear sanitize: built in $((t1 - t0)) s ($so)" >&2
# the core's own test first (no Python; a few seconds): any report stops it with an error
if [ -x "$BUILD/core_test" ]; then
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 OMP_NUM_THREADS=2 \
    "$BUILD/core_test" >"$BUILD/core_test.log" 2>&1 || {
    tail -30 "$BUILD/core_test.log" >&2; echo "fastshear sanitize: cpp/tests/core_test failed" >&2; exit 1; }
  echo "fastshear sanitize: core_test passed under the sanitizers" >&2
fi

# Python itself is not instrumented: the ASan runtime must be loaded first. Leak checking is off
# (the interpreter keeps its objects at exit); every report goes to a log file, checked below.
logs=$BUILD/logs
rm -rf "$logs"
mkdir -p "$logs"
# libstdc++ too: the python binary does not link it, and ASan's __cxa_throw interceptor must find
# the real one at start-up (else any C++ exception, ours or matplotlib's, aborts)
libasan=$(g++ -print-file-name=libasan.so)
libstdcxx=$(g++ -print-file-name=libstdc++.so)
export LD_PRELOAD="$libasan $libstdcxx"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$logs/asan:allocator_may_return_null=1:malloc_context_size=10:quarantine_size_mb=64"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0:log_path=$logs/ubsan"
export PYTHONPATH="$stage"
export FASTSHEAR_SANITIZED=1
rc=0
"$PY" -m pytest -q -p no:cacheprovider -m "not slow" "${@:-tests}" || rc=$?
unset LD_PRELOAD
t2=$(date +%s)
reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "fastshear sanitize: sanitizer reports:" >&2
  for f in $reports; do echo "== $f" >&2; head -40 "$f" >&2; done
  rc=1
fi
echo "fastshear sanitize: tests in $((t2 - t1)) s, total $((t2 - t0)) s, exit $rc" >&2
exit $rc

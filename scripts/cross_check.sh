#!/usr/bin/env bash
# Portability check of the C++ core without Python: compile it and cpp/tests/core_test.cpp
# for another architecture with a cross compiler, then run the check under qemu-user when it is
# installed (Debian: apt-get install g++-aarch64-linux-gnu qemu-user, plus libfftw3-dev:arm64 after
# `dpkg --add-architecture arm64` for the run). Without FFTW for the target it stops after the
# compile (a compile-only check); `native` builds and runs the same check on this machine.
# `clang`: a syntax check of the core with clang for aarch64 and for x86-64 without ELF (the
# macOS x86_64 path); an approximation of macOS, whose own compile happens in
# the wheels workflow (needs clang, its libomp headers and the aarch64 cross toolchain).
# Usage: bash scripts/cross_check.sh [aarch64|native|clang]
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-aarch64}
NICE=${FASTSHEAR_NICE:-nice -n 10}
say() { echo "fastshear cross: $*" >&2; }
srcs=(infra/memory infra/isa fft shearlet2d shearlet2d_real shearlet2d_complex shearlet3d prox fourier_multiplier radon radon_avx512 radon_fbp dense_net dense_kernels dense_kernels_generic platform)
if [ "$ARCH" = clang ]; then
  CLANG=${CXX:-$(command -v clang++ || command -v clang++-14 || true)}
  [ -n "$CLANG" ] || { say "clang++ not found (Debian: apt-get install clang libomp-dev)"; exit 2; }
  mkdir -p build/cross-clang/include
  hdr=$(echo '#include <fftw3.h>' | cpp -H -o /dev/null 2>&1 | awk '/fftw3.h/ {print $2; exit}')
  cp "$hdr" build/cross-clang/include/
  for mode in --target=aarch64-linux-gnu -U__ELF__; do
    say "clang syntax check ($mode)"
    for s in "${srcs[@]}" ../tests/core_test; do
      $NICE "$CLANG" "$mode" -std=c++17 -fsyntax-only -fopenmp -Wall -Wextra -Werror -Icpp \
        -Ibuild/cross-clang/include "cpp/fastshear/$s.cpp"
    done
  done
  say "clang: the core passes for aarch64 and for x86-64 without ELF"
  exit 0
fi
if [ "$ARCH" = native ]; then
  CXX=${CXX:-g++}; LIBDIR=""; RUN=()
else
  CXX=${CXX:-$ARCH-linux-gnu-g++}; LIBDIR=/usr/lib/$ARCH-linux-gnu; RUN=(qemu-$ARCH)
fi
command -v "$CXX" >/dev/null 2>&1 || { say "$CXX not found (Debian: apt-get install g++-$ARCH-linux-gnu)"; exit 2; }
OUT=build/cross-$ARCH
mkdir -p "$OUT/include" "$OUT/infra"
# fftw3.h is the same header on every architecture; copying it keeps the host's other headers out.
hdr=$(echo '#include <fftw3.h>' | cpp -H -o /dev/null 2>&1 | awk '/fftw3.h/ {print $2; exit}')
[ -n "$hdr" ] || { say "fftw3.h not found (apt-get install libfftw3-dev)"; exit 2; }
cp "$hdr" "$OUT/include/"
FLAGS=(-std=c++17 -O2 -fopenmp -Wall -Wextra -fvisibility=hidden -Icpp -I"$OUT/include")
say "compiling the core with $CXX ($($CXX -dumpmachine))"
printf '%s\n' "${srcs[@]}" | $NICE xargs -P "$(nproc)" -I{} "$CXX" "${FLAGS[@]}" -c cpp/fastshear/{}.cpp -o "$OUT/{}.o"
$NICE "$CXX" "${FLAGS[@]}" -c cpp/tests/core_test.cpp -o "$OUT/core_test.o"
say "compiled ${#srcs[@]} core sources and the check"
if [ -n "$LIBDIR" ] && [ ! -f "$LIBDIR/libfftw3.a" ]; then
  say "no FFTW for $ARCH in $LIBDIR: compile-only check done"; exit 0
fi
objs=("${srcs[@]/#/$OUT/}")
if [ -n "$LIBDIR" ]; then
  "$CXX" -static -fopenmp -o "$OUT/core_test" "$OUT/core_test.o" "${objs[@]/%/.o}" \
    "$LIBDIR/libfftw3.a" "$LIBDIR/libfftw3f.a" -lm
else
  "$CXX" -fopenmp -o "$OUT/core_test" "$OUT/core_test.o" "${objs[@]/%/.o}" -lfftw3 -lfftw3f -lm
fi
if [ ${#RUN[@]} -gt 0 ] && ! command -v "${RUN[0]}" >/dev/null 2>&1; then
  say "${RUN[0]} not installed: linked, not run"; exit 0
fi
say "running the check${RUN:+ under ${RUN[*]}}"
$NICE "${RUN[@]}" "$OUT/core_test"

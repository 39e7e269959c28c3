#!/usr/bin/env bash
# ci-builds.sh — the builds CI checks beside `make test` and `make sanitize`:
# every build type with gcc and clang under -Werror (each runs the tests
# once: Release with gcc, Release with clang), a build without MPI, and an
# install used from outside (scripts/check-install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
run() { # DIR, cmake options...: configure, build, test
  local dir="$1"; shift
  cmake -S . -B "$dir" -DRILL_WERROR=ON -DRILL_BUILD_BENCH=OFF "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  (cd "$dir" && ctest -j "$jobs" --output-on-failure -LE mpi)
}
for type in Debug RelWithDebInfo; do   # these compile cleanly, tests aside
  cmake -S . -B "build-ci-gcc-$type" -DRILL_WERROR=ON -DCMAKE_BUILD_TYPE=$type \
    -DRILL_BUILD_BENCH=OFF >/dev/null
  cmake --build "build-ci-gcc-$type" -j "$jobs" >/dev/null
done
run build-ci-gcc-Release -DCMAKE_BUILD_TYPE=Release
run build-ci-clang-Release -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release
cmake -S . -B build-ci-clang-Debug -DRILL_WERROR=ON -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=Debug -DRILL_BUILD_BENCH=OFF >/dev/null
cmake --build build-ci-clang-Debug -j "$jobs" >/dev/null
run build-ci-nompi -DRILL_MPI=OFF
scripts/check-install.sh build-ci-install
echo "ci-builds: gcc and clang in every build type, without MPI, and installed: ok"

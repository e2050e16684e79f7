#!/usr/bin/env bash
# Configures and builds one flavour of Berth. Usage: tools/build.sh [normal|sanitize|bench|fuzz]
# Prints the build directory on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-normal}"
jobs="${BERTH_JOBS:-2}"

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_NOHASHDIR=1          # share the cache between clones and build folders
export CCACHE_BASEDIR="$PWD"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

case "$flavour" in
  normal)   dir=build;          flags=() ;;
  sanitize) dir=build-sanitize; flags=(-DBERTH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  bench)    dir=build-bench;    flags=(-DBERTH_BENCH=ON -DBERTH_TESTS=OFF -DCMAKE_BUILD_TYPE=Release) ;;
  fuzz)     dir=build-fuzz;     flags=(-DBERTH_FUZZ=ON -DBERTH_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug
                                       -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 [normal|sanitize|bench|fuzz]" >&2; exit 2 ;;
esac

if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DBERTH_WERROR=ON "${flags[@]}" >&2
fi
cmake --build "$dir" -j "$jobs" >&2
echo "$dir"

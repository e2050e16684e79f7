#!/usr/bin/env bash
# Configures and builds one flavour of Berth.
# Usage: tools/build.sh [normal|sanitize|bench|fuzz] [target...]
# Prints the build directory on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-normal}"
shift || true
targets=("$@")
jobs="${BERTH_JOBS:-2}"

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_NOHASHDIR=1          # share the cache between clones and build folders
export CCACHE_BASEDIR="$PWD"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

case "$flavour" in
  normal)   dir=build;          flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  sanitize) dir=build-sanitize; flags=(-DBERTH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
  bench)    dir=build-bench;    flags=(-DBERTH_BENCH=ON -DBERTH_TESTS=OFF -DCMAKE_BUILD_TYPE=Release) ;;
  fuzz)     dir=build-fuzz;     flags=(-DBERTH_FUZZ=ON -DBERTH_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug
                                       -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 [normal|sanitize|bench|fuzz]" >&2; exit 2 ;;
esac

# Configuring every time keeps an existing folder on the flags above; it is quick when nothing
# changed. Extra arguments are build targets (default: everything).
cmake -S . -B "$dir" -G Ninja -DBERTH_WERROR=ON "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs" ${targets[@]+--target "${targets[@]}"} >&2
echo "$dir"

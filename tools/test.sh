#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs every test (unit, integration
# against berth-sim, e2e with the real kubectl). Usage: tools/test.sh [--sanitize]
#   --sanitize   build and run under AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=normal
for arg in "$@"; do
  case "$arg" in
    --sanitize) flavour=sanitize ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
  esac
done

tools/install-deps.sh
dir=$(tools/build.sh "$flavour" | tail -n 1)

if [ "$flavour" = sanitize ]; then
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0"
  export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tools/ubsan.supp"
fi
ctest --test-dir "$dir" -j "${BERTH_JOBS:-2}" --output-on-failure --timeout 300 --no-tests=error

#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for N seconds (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tools/ubsan.supp"
tools/install-deps.sh
# Only the fuzz targets and what they link: the rest of the tree is built and tested by test.sh.
mapfile -t names < <(sed -n 's/^berth_fuzzer(\([a-z_]*\) .*/fuzz_\1/p' tests/fuzz/CMakeLists.txt)
dir=$(tools/build.sh fuzz "${names[@]}" | tail -n 1)
shopt -s nullglob
targets=("$dir"/tests/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets built"
  exit 0
fi
for t in "${targets[@]}"; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  corpus="$dir/corpus/$name"
  mkdir -p "$corpus"
  seeds="tests/fuzz/corpus/${name#fuzz_}"
  echo "fuzz: $name for ${seconds}s"
  mkdir -p "$dir/artifacts"
  # A unit slower than 10 s is a hang; findings are written under the build folder.
  "$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$dir/artifacts/$name-" -print_final_stats=1 \
    "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) 2>&1 | tail -n 3
done

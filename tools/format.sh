#!/usr/bin/env bash
# clang-format over every C++ file in the repository. --check fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-fix}"
mapfile -t files < <(git ls-files '*.h' '*.cc' 2>/dev/null)
[ ${#files[@]} -gt 0 ] || exit 0
if [ "$mode" = --check ]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi

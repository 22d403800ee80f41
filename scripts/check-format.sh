#!/usr/bin/env bash
# Fails when a tracked C/C++ file does not follow .clang-format. `make format` fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' 2>/dev/null || true)
if [ -z "$files" ]; then
  echo "check-format: no tracked sources (not a git checkout?)"
  exit 0
fi
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "check-format: $(echo "$files" | wc -l) files formatted"

#!/usr/bin/env bash
# Code format: every C, C++ and header file of the tree is as clang-format (with the
# checked-in .clang-format) writes it. Fails listing the files that are not; fix with
#   clang-format -i $(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
set -u
root="${CAMREG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root" || exit 1
command -v clang-format > /dev/null || { echo "FAIL: clang-format is not installed (scripts/test.sh installs it)"; exit 1; }
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp')
else
  mapfile -t files < <(find . -path ./build\* -prune -o \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' \) -print)
fi
[ "${#files[@]}" -gt 50 ] || { echo "FAIL: found only ${#files[@]} source files in $root"; exit 1; }
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
  printf 'FAIL: not clang-formatted: %s\n' "${bad[@]}"
  exit 1
fi
echo "${#files[@]} files formatted"

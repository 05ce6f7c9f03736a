#!/usr/bin/env bash
# Module boundaries (docs/design.md: dependencies point one way). Fails, listing each
# violation as file:line, when
#   - a module's CMake dependencies (the cr_<module> words in <module>/CMakeLists.txt)
#     name a module that the root CMakeLists.txt adds later (a back edge, or a cycle);
#   - a module's .c/.h/.cpp includes a header of another module that is not among its
#     CMake dependencies (direct or through them; cli/ counts as a module);
#   - a file includes another module's private header: a header whose first line
#     starts with "// Private to <module>/" (a header named *internal.h must say so);
#   - a test includes a module header outside what it links (tests/CMakeLists.txt: its
#     name's module plus the words of its "// test-links:" line, and what those link),
#     or a private header of a module other than its name's;
#   - core/cvwrap.h is included outside core/ and calib/, or an OpenCV header outside a C++
#     file (.cpp, or a .hpp that only .cpp files include: C++ stays behind C headers).
# Usage: bash tests/cli_module_boundaries.sh [camreg] (the argument is ignored).
set -u
root="${CAMREG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root" || exit 1
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ---- modules, in the root CMakeLists.txt's order, and their CMake dependencies ----
mapfile -t modules < <(sed -n 's/^add_subdirectory(\([a-z_]*\)).*/\1/p' CMakeLists.txt | grep -vx tests)
declare -A order deps closure
for i in "${!modules[@]}"; do order[${modules[$i]}]=$i; done
for m in "${modules[@]}"; do
  deps[$m]=""
  for w in $(sed 's/#.*//' "$m/CMakeLists.txt" | grep -o '\bcr_[a-z0-9_]*\b' | sort -u); do
    d="${w#cr_}"
    [ "$d" = "$m" ] || [ -z "${order[$d]+x}" ] && continue
    if [ "${order[$d]}" -ge "${order[$m]}" ]; then
      bad "$m/CMakeLists.txt: $m links cr_$d, which the root CMakeLists.txt adds after $m"
      continue
    fi
    deps[$m]+=" $d"
  done
done
# In root order every dependency comes first, so one pass builds the closures.
for m in "${modules[@]}"; do
  c=" $m "
  for d in ${deps[$m]}; do
    for e in ${closure[$d]}; do [[ "$c" == *" $e "* ]] || c+="$e "; done
  done
  closure[$m]="$c"
done

# owner_of[header]: the module that keeps the header private, or empty.
declare -A owner_of
for h in $(printf '%s\n' "${modules[@]}" | sed 's|$|/*.h|'); do
  [ -f "$h" ] || continue
  first=""
  read -r first <"$h"
  owner=""
  [[ "$first" =~ ^"// Private to "([a-z_]+)/ ]] && owner="${BASH_REMATCH[1]}"
  owner_of[$h]="$owner"
  [ -n "$owner" ] && [ "$owner" != "${h%%/*}" ] && bad "$h: says it is private to $owner/"
  [[ "$h" == *internal.h ]] && [ -z "$owner" ] && bad "$h: an internal header without '// Private to ${h%%/*}/' on its first line"
done

# Each checked file: own[f], the module it belongs to (a test: its name's module);
# allowed[f], the modules whose headers it may include (" a b c "); who[f], its library.
declare -A own allowed who
for m in "${modules[@]}"; do
  for f in "$m"/*.c "$m"/*.h "$m"/*.cpp "$m"/*.hpp; do
    [ -f "$f" ] && own[$f]="$m" allowed[$f]="${closure[$m]}" who[$f]="cr_$m"
  done
done
for f in tests/testutil.c tests/testutil.h; do
  own[$f]=tests allowed[$f]=" ${closure[core]} " who[$f]=cr_testutil
done
for f in tests/test_*.c; do
  name="${f##*/}" name="${name%.c}"
  m="${name#test_}" m="${m%%_*}"
  links=""
  [[ " $(grep -o '\bcr_[a-z0-9_]*\b' "$m/CMakeLists.txt" 2>/dev/null | tr '\n' ' ') " == *" cr_$m "* ]] &&
    links="$m"
  while read -r line; do links+=" ${line#// test-links:}"; done < <(grep '^// test-links:' "$f")
  a=" ${closure[core]} "
  for l in $links; do
    if [ -n "${closure[$l]+x}" ]; then a+="${closure[$l]} "; else a+="$l "; fi
  done
  own[$f]="$m" allowed[$f]="$a" who[$f]="$name"
done

# One pass over every #include of those files.
checked=0
while IFS=: read -r f line inc; do
  checked=$((checked + 1))
  if [[ "$inc" == \<opencv2/* ]]; then
    [[ "$f" == *.cpp || "$f" == *.hpp ]] || bad "$f:$line: includes $inc outside a C++ file"
    continue
  fi
  [[ "$inc" == \"*\" ]] || continue
  inc="${inc:1:-1}"
  rel="$inc" # the include path: beside the file, else from the root
  [ -f "${f%/*}/$inc" ] && rel="${f%/*}/$inc"
  [[ "$rel" == *..* || "$rel" == ./* ]] && rel="$(realpath -m --relative-to=. "$rel")"
  mod="${rel%%/*}"
  [ "$rel" = core/cvwrap.h ] && [ "${own[$f]}" != core ] && [ "${own[$f]}" != calib ] &&
    bad "$f:$line: includes core/cvwrap.h (only core/ and calib/ call the OpenCV wrapper)"
  [ "$rel" = tests/cv_reference.h ] && mod=cvref
  [ "$mod" = "${own[$f]}" ] && continue
  if [ "$mod" = cvref ] || [ -n "${order[$mod]+x}" ]; then
    [[ "${allowed[$f]}" == *" $mod "* ]] || bad "$f:$line: includes $rel, but ${who[$f]} does not link cr_$mod"
  fi
  owner="${owner_of[$rel]:-}"
  [ -n "$owner" ] && [ "$owner" != "${own[$f]}" ] && bad "$f:$line: includes $rel, private to $owner/"
done < <(grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]' "${!own[@]}" |
         sed -E 's/^([^:]+):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*([<"][^>"]*[>"]).*/\1:\2:\3/' | sort -t: -k1,1 -k2,2n)

echo "module boundaries: ${#modules[@]} modules, ${#own[@]} files, $checked includes checked, $fails violation(s)"
[ "$fails" -eq 0 ]

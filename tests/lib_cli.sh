# Shared by the tests/cli_*.sh scripts (sourced; its name keeps it out of ctest's glob):
# a scratch folder $tmp removed at exit, a failure counter and the checks they all use.
set -u
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND...: exit status, stderr kept in $tmp/err
  local desc="$1" want="$2"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $desc: exit $got, expected $want"; cat "$tmp/err"; fails=$((fails + 1))
  fi
}
expect_err() { # expect_err DESCRIPTION PATTERN: the last check's stderr holds PATTERN
  grep -q -- "$2" "$tmp/err" || { echo "FAIL: $1: stderr lacks '$2':"; cat "$tmp/err"; fails=$((fails + 1)); }
}
expect_fail() { # expect_fail NAME PATTERN ARGS...: `$camreg register ARGS -o out.txt`, run in
  # the current folder ($camreg: the binary, set by the sourcing script), exits non-zero with
  # a message matching PATTERN (case-insensitive; err.txt keeps it) and leaves no out.txt
  local name="$1" pattern="$2"
  shift 2
  rm -f out.txt
  if "$camreg" register "$@" -o out.txt 2> err.txt; then fail "$name: succeeded"; fi
  grep -qi -- "$pattern" err.txt || { fail "$name: message lacks '$pattern'"; cat err.txt; }
  [ ! -e out.txt ] || fail "$name: left an output file"
}
exists() { [ -s "$1" ] || { echo "FAIL: $1 not written"; fails=$((fails + 1)); }; }
absent() { [ -e "$1" ] && { echo "FAIL: $1 written on failure"; fails=$((fails + 1)); }; }
write_camera() { # write_camera FILE W H F CX CY [K1 K2]: an OpenCV camera YAML (fx = fy = F)
  cat > "$1" <<YML
%YAML:1.0
---
image_width: $2
image_height: $3
camera_matrix: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ $4, 0., $5, 0., $4, $6, 0., 0., 1. ]
distortion_coefficients: !!opencv-matrix
   rows: 5
   cols: 1
   dt: d
   data: [ ${7:-0.}, ${8:-0.}, 0., 0., 0. ]
YML
}

#!/usr/bin/env bash
# camreg calibrate --stereo on OpenCV's stereo sample pairs (opencv-doc's left*/right*.jpg):
# the rig file and per-camera files, a cross-check with Python OpenCV's stereoCalibrate
# on the same corners (tests/stereo_crosscheck.py: baseline within 1 %, rotation within
# 0.1 deg), and bad inputs: clear errors, no partial files. SKIP without the photos;
# without python3-opencv everything else runs and the test then reports SKIP.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$src/datasets/data/chessboards"
if [ ! -s "$data/right14.jpg" ] || [ ! -s "$data/left14.jpg" ]; then
  echo "SKIP: $data has no stereo pairs (bash datasets/fetch.sh)"
  exit 77
fi
cd "$data" || exit 1
nothing_written() { # nothing_written DIR: no rig, camera, corner or temporary file
  local left
  left=$(ls -A "$1" 2>/dev/null | grep -E 'rig|\.csv|crtmp')
  [ -n "$left" ] && { echo "FAIL: files left behind in $1: $left"; fails=$((fails + 1)); }
}

# The sample pairs (square size 1: T in squares; OpenCV's sample uses the same).
check "stereo calibration" 0 "$camreg" calibrate --stereo --left 'left??.jpg' --right 'right??.jpg' \
  -o "$tmp/rig.yml" --corners "$tmp/corners.csv"
for f in rig.yml rig_left.yml rig_right.yml corners.csv; do exists "$tmp/$f"; done
grep -q "pairs used 13 of 13" "$tmp/out" || fail "not 13 pairs: $(head -1 "$tmp/out")"
base=$(awk '/^baseline/{print $2}' "$tmp/out")
# OpenCV's stereo_calib sample finds T ~ (-3.33, 0.04, 0.02) squares on these pairs.
awk -v b="$base" 'BEGIN{exit !(b > 3.2 && b < 3.45)}' || fail "baseline $base squares, expected ~3.33"
grep -q "^stereo RMS 0\.[0-4]" "$tmp/out" || fail "stereo RMS: $(grep RMS "$tmp/out")"
# The per-camera files are calibration files camreg reads as cameras.
for side in left right; do
  grep -q "camera_matrix" "$tmp/rig_$side.yml" || fail "rig_$side.yml has no camera_matrix"
done
for key in M1 D1 M2 D2 R T E F image_width2 rms units; do
  grep -q "^$key:" "$tmp/rig.yml" || fail "rig.yml lacks $key"
done
# Corners: 13 pairs x 54 corners x 2 sides (+ header).
[ "$(wc -l < "$tmp/corners.csv")" -eq $((13 * 54 * 2 + 1)) ] || fail "corners.csv has $(wc -l < "$tmp/corners.csv") lines"

python_ok=1
if /usr/bin/python3 -c 'import cv2, numpy' 2>/dev/null; then
  /usr/bin/python3 "$src/tests/stereo_crosscheck.py" "$tmp/rig.yml" "$tmp/corners.csv" "$data" \
    || fail "Python OpenCV cross-check"
  # With rejection the same holds (python uses the corners camreg's calibrations used).
  check "stereo calibration with rejection" 0 "$camreg" calibrate --stereo --reject \
    --left 'left??.jpg' --right 'right??.jpg' -o "$tmp/rej.json" --corners "$tmp/rej.csv"
  exists "$tmp/rej_left.json"
  /usr/bin/python3 "$src/tests/stereo_crosscheck.py" "$tmp/rej.json" "$tmp/rej.csv" "$data" \
    || fail "Python OpenCV cross-check with rejection"
else
  python_ok=0
  echo "python3-opencv not importable: the cross-check is skipped"
fi

# A pair with a board on one side only is dropped with a message.
check "one-sided pair" 0 "$camreg" calibrate --stereo --left left.jpg --left 'left0[1-5].jpg' \
  --right right01.jpg --right 'right0[2-5].jpg' --right right.jpg -o "$tmp/drop.yml"
grep -q "pair 1 (left.jpg, right01.jpg): no board in left.jpg, pair dropped" "$tmp/err" \
  || fail "no message for the dropped pair: $(cat "$tmp/err")"
grep -q "pairs used 4 of 4" "$tmp/out" || fail "one-sided pairs: $(head -1 "$tmp/out")"

# Bad input: each a clear error and no output file.
mkdir -p "$tmp/bad"
check "unpaired counts" 1 "$camreg" calibrate --stereo --left 'left0?.jpg' --right 'right??.jpg' -o "$tmp/bad/rig.yml"
expect_err "unpaired" "\-\-left gives 9 photos but \-\-right gives 13"
check "no board in any pair" 1 "$camreg" calibrate --stereo --left left.jpg --right right.jpg -o "$tmp/bad/rig.yml"
expect_err "no board" "no pair has a complete 9x6 board in both photos"
check "wrong board size" 1 "$camreg" calibrate --stereo --board 7x5 --left 'left0[1-4].jpg' --right 'right0[1-4].jpg' -o "$tmp/bad/rig.yml"
expect_err "wrong board" "no pair has a complete 7x5 board"
check "two pairs" 1 "$camreg" calibrate --stereo --left 'left0[12].jpg' --right 'right0[12].jpg' -o "$tmp/bad/rig.yml"
expect_err "two pairs" "only 2 pair(s)"
check "pattern without match" 1 "$camreg" calibrate --stereo --left 'nope*.jpg' --right 'right??.jpg' -o "$tmp/bad/rig.yml"
expect_err "no match" "\-\-left 'nope\*.jpg' matches no file"
check "unquoted pattern" 2 "$camreg" calibrate --stereo --left left01.jpg left02.jpg --right right01.jpg -o "$tmp/bad/rig.yml"
expect_err "unquoted" "quote"
check "no right photos" 2 "$camreg" calibrate --stereo --left 'left0?.jpg' -o "$tmp/bad/rig.yml"
check "--left without --stereo" 2 "$camreg" calibrate --left 'left0?.jpg' -o "$tmp/bad/cam.yml" left01.jpg
check "rig file extension" 2 "$camreg" calibrate --stereo --left 'left0?.jpg' --right 'right0?.jpg' -o "$tmp/bad/rig.txt"
check "unwritable folder" 1 "$camreg" calibrate --stereo --left 'left0?.jpg' --right 'right0?.jpg' -o "$tmp/no/such/rig.yml"
expect_err "unwritable" "no/such/rig"
nothing_written "$tmp/bad"
# The right camera's file cannot be written (a folder has its name): the command's
# output group checks every output before it renames any, so none is placed: all or none.
mkdir -p "$tmp/half/rig_right.yml"
check "one output unwritable" 1 "$camreg" calibrate --stereo --left 'left0?.jpg' --right 'right0?.jpg' \
  -o "$tmp/half/rig.yml" --corners "$tmp/half/c.csv"
expect_err "half" "rig_right.yml"
[ -e "$tmp/half/rig.yml" ] || [ -e "$tmp/half/rig_left.yml" ] || [ -e "$tmp/half/c.csv" ] \
  && fail "partial outputs after a failed write: $(ls "$tmp/half")"
ls -A "$tmp/half" | grep -q crtmp && fail "temporary file left in $tmp/half"

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ] || exit 1
[ "$python_ok" -eq 1 ] || exit 77

#!/usr/bin/env bash
# camreg texture --mask and flatmap --method lscm on the cortex of Colin27 seen through a
# 50 mm opening (camreg synth): no flipped triangles, angle distortion <= 0.05, area
# distortion <= 0.5 and below the pure conformal map's (--lambda 0), and only the cortex
# inside the mask is textured. SKIP (77) without Colin27.
set -u
camreg="$1"
src="${CAMREG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
vol="$src/datasets/data/colin27/ch2bet.nii.gz"
[ -f "$vol" ] || { echo "Colin27 not fetched: SKIP"; exit 77; }
. "$src/tests/lib_cli.sh"
cam="$src/experiments/configs/camera_320x240.yml"
pose="$src/experiments/configs/pose_colin27_top.txt"

check "mesh" 0 "$camreg" mesh -i "$vol" -o "$tmp/brain.ply" --iso 50 --largest --smooth 10
check "synth" 0 "$camreg" synth -v "$vol" -c "$cam" --pose "$pose" -o "$tmp/photo.png" \
  --mask "$tmp/mask.png" --opening 25 --occluders 0
check "texture all" 0 "$camreg" texture -m "$tmp/brain.ply" --photo "$tmp/photo.png" \
  --camera "$cam" --pose "$pose" -o "$tmp/all.ply"
all=$(sed -n 's/.*: \([0-9]*\) of .*/\1/p' "$tmp/err")
check "texture masked" 0 "$camreg" texture -m "$tmp/brain.ply" --photo "$tmp/photo.png" \
  --mask "$tmp/mask.png" --camera "$cam" --pose "$pose" -o "$tmp/tex.ply"
inside=$(sed -n 's/.*: \([0-9]*\) of .*/\1/p' "$tmp/err")
echo "texture: $inside vertices inside the mask, $all without it"
[ -n "$inside" ] && [ -n "$all" ] && [ "$inside" -gt 1000 ] && [ "$inside" -lt $((all / 2)) ] ||
  fail "texture --mask coloured $inside vertices (all visible: $all)"

check "flatmap lscm" 0 "$camreg" flatmap -m "$tmp/tex.ply" --camera "$cam" --pose "$pose" \
  --mask "$tmp/mask.png" --method lscm -o "$tmp/flat.png"
cat "$tmp/out"
exists "$tmp/flat.png"
grep -q " flipped 0 " "$tmp/out" || fail "flatmap: flipped triangles"
angle=$(sed -n 's/.*angle_distortion \([0-9.]*\).*/\1/p' "$tmp/out")
awk -v a="$angle" 'BEGIN { exit !(a != "" && a <= 0.05) }' || fail "angle distortion $angle > 0.05"
area=$(sed -n 's/.*area_distortion \([0-9.]*\).*/\1/p' "$tmp/out")
awk -v a="$area" 'BEGIN { exit !(a != "" && a <= 0.5) }' || fail "area distortion $area > 0.5"
grep -q "lscm + hybrid (lambda 0.1)" "$tmp/out" || fail "flatmap lscm: no hybrid steps"
check "flatmap pure conformal" 0 "$camreg" flatmap -m "$tmp/tex.ply" --camera "$cam" --pose "$pose" \
  --mask "$tmp/mask.png" --method lscm --lambda 0 -o "$tmp/flat0.png"
cat "$tmp/out"
grep -q " steps 0" "$tmp/out" || fail "flatmap --lambda 0 made local/global steps"
area0=$(sed -n 's/.*area_distortion \([0-9.]*\).*/\1/p' "$tmp/out")
awk -v a="$area" -v b="$area0" 'BEGIN { exit !(a < b) }' ||
  fail "hybrid area distortion $area not below the conformal map's $area0"
check "flatmap arap" 0 "$camreg" flatmap -m "$tmp/tex.ply" --camera "$cam" --pose "$pose" \
  --mask "$tmp/mask.png" --method arap -o "$tmp/flat1.png"
grep -q " flipped 0 " "$tmp/out" || fail "flatmap arap: flipped triangles"
check "flatmap --lambda with arap" 2 "$camreg" flatmap -m "$tmp/tex.ply" --camera "$cam" \
  --pose "$pose" --method arap --lambda 1 -o "$tmp/bad.png"
expect_err "lambda with arap" "--lambda goes with --method lscm"
check "flatmap negative lambda" 2 "$camreg" flatmap -m "$tmp/tex.ply" --camera "$cam" \
  --pose "$pose" --method lscm --lambda -1 -o "$tmp/bad.png"
absent "$tmp/bad.png"

# Bad input: a mask of another size; nothing written.
check "flatmap small mask" 1 "$camreg" flatmap -m "$tmp/tex.ply" --camera "$cam" --pose "$pose" \
  --mask "$src/datasets/data/chessboards/left01.jpg" --method lscm -o "$tmp/bad.png"
expect_err "mask size" "mask is"
absent "$tmp/bad.png"
check "texture small mask" 1 "$camreg" texture -m "$tmp/brain.ply" --photo "$tmp/photo.png" \
  --mask "$src/datasets/data/chessboards/left01.jpg" --camera "$cam" --pose "$pose" -o "$tmp/bad.ply"
expect_err "texture mask size" "mask is"
absent "$tmp/bad.ply"
[ "$fails" -eq 0 ]

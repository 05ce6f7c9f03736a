#!/usr/bin/env bash
# Flat maps of Colin27's cortex seen through a 50 mm opening from five views (README,
# "Flat maps that hold"): the top view of experiments/configs and views turned by 20
# and 40 degrees about x and y; prints flatmap's distortion line per view.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
camreg="$CAMREG_ROOT/build/cli/camreg"
mri="$CAMREG_ROOT/datasets/data/colin27/ch2bet.nii.gz"
cam="$CAMREG_ROOT/experiments/configs/camera_320x240.yml"
pose="$CAMREG_ROOT/experiments/configs/pose_colin27_top.txt"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$camreg" mesh -i "$mri" -o "$out/brain.ply" --iso 50 --largest --smooth 10 >/dev/null 2>&1
for axis in 1,0,0 0,1,0; do
  "$camreg" orbit -v "$mri" -c "$cam" -p "$pose" -o "$out/v$axis" --axis "$axis" --views 3 \
    --degrees 60 --pivot 0,-20,0 >/dev/null 2>&1
done
for v in "v1,0,0_000" "v1,0,0_001" "v1,0,0_002" "v0,1,0_001" "v0,1,0_002"; do
  p="$out/$v.pose.txt"
  "$camreg" synth -v "$mri" -c "$cam" --pose "$p" -o "$out/photo.png" --mask "$out/mask.png" \
    --opening 25 >/dev/null 2>&1
  "$camreg" texture -m "$out/brain.ply" --photo "$out/photo.png" --mask "$out/mask.png" \
    --camera "$cam" --pose "$p" -o "$out/tex.ply" 2>/dev/null
  echo "$v: $("$camreg" flatmap -m "$out/tex.ply" --camera "$cam" --pose "$p" --mask "$out/mask.png" \
    --method lscm -o "$out/flat.png" | tr '\n' ' ')"
done

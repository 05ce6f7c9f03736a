#!/usr/bin/env bash
# Flat maps of Colin27's cortex seen through a 50 mm opening from eight views (README,
# "Flat maps that hold" and "Flat maps with even area"): the top view of
# experiments/configs, views turned by 20 and 40 degrees about x and y (the five views
# of the first measurement), and three more added afterwards so that the method is not
# fitted to those five: -30 degrees about x, -30 about y, 30 about (1,1,0). Prints per
# view flatmap's distortion line for --method lscm (conformal map + hybrid steps, the
# default lambda 0.1) and for the pure conformal map (--lambda 0), then the load average.
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
  "$camreg" orbit -v "$mri" -c "$cam" -p "$pose" -o "$out/m$axis" --axis "$axis" --views 3 \
    --degrees -90 --pivot 0,-20,0 >/dev/null 2>&1
done
"$camreg" orbit -v "$mri" -c "$cam" -p "$pose" -o "$out/d" --axis 1,1,0 --views 3 \
  --degrees 90 --pivot 0,-20,0 >/dev/null 2>&1
declare -A name=([v1,0,0_000]=top [v1,0,0_001]=a20 [v1,0,0_002]=a40 [v0,1,0_001]=b20
  [v0,1,0_002]=b40 [m1,0,0_001]=a-30 [m0,1,0_001]=b-30 [d_001]=d30)
for v in v1,0,0_000 v1,0,0_001 v1,0,0_002 v0,1,0_001 v0,1,0_002 m1,0,0_001 m0,1,0_001 d_001; do
  p="$out/$v.pose.txt"
  "$camreg" synth -v "$mri" -c "$cam" --pose "$p" -o "$out/photo.png" --mask "$out/mask.png" \
    --opening 25 >/dev/null 2>&1
  "$camreg" texture -m "$out/brain.ply" --photo "$out/photo.png" --mask "$out/mask.png" \
    --camera "$cam" --pose "$p" -o "$out/tex.ply" 2>/dev/null
  for lambda in 0.1 0; do
    echo "${name[$v]} lambda $lambda: $("$camreg" flatmap -m "$out/tex.ply" --camera "$cam" \
      --pose "$p" --mask "$out/mask.png" --method lscm --lambda $lambda -o "$out/flat.png" |
      tr '\n' ' ')"
  done
done
uptime

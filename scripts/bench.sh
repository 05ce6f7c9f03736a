#!/usr/bin/env bash
# Prints camreg's benchmark figures (README, "Results and benchmarks"): rendering,
# metrics, mesh, fusion, flat maps and registration on Colin27. Needs scripts/setup.sh and datasets/fetch.sh.
# Run it on an idle machine: other processes on the 2 cores change every figure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
camreg="$CAMREG_ROOT/build/cli/camreg"
mri="$CAMREG_ROOT/datasets/data/colin27/ch2bet.nii.gz"
cfg="$CAMREG_ROOT/experiments/configs"
echo "== rendering"; "$camreg" bench-render --volume "$mri" --frames 20
echo "== metrics";   "$camreg" bench-metrics
echo "== mesh";      "$camreg" bench-mesh --volume "$mri" --repeat 20
echo "== fusion (three 4 mm scans)"; "$camreg" bench-fuse --volume "$mri"
echo "== flat maps"; bash "$CAMREG_ROOT/scripts/bench_flatmap.sh"
echo "== registration from 10 mm / 10 deg starts (focus distance prior)"
"$camreg" bench-registration --volume "$mri" --camera "$cfg/camera_256x256.yml" \
  --pose "$cfg/pose_colin27_top.txt" --start 10,10 --trials 5 --prior-weight 0.01

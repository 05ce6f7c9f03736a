#!/usr/bin/env bash
# The default demo on Colin27 (run by scripts/run.sh after set-up): a first look at the
# MRI, then the demo registration experiment with its summary table and figures.
# Outputs: out/demo/. Re-running resumes the experiment (completed trials are kept).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
camreg="$CAMREG_ROOT/build/cli/camreg"
data="$CAMREG_ROOT/datasets/data/colin27"
out="$CAMREG_ROOT/out/demo"
mkdir -p "$out"

"$camreg" info "$data/ch2.nii.gz"

log "first look: four surface and probe views of Colin27 -> $out/look_*"
cam="$CAMREG_ROOT/experiments/configs/camera_320x240.yml"
"$camreg" orbit -v "$data/ch2bet.nii.gz" -c "$cam" -o "$out/look_surface" --views 4 --distance 350 -m surface 2>/dev/null
"$camreg" orbit -v "$data/ch2bet.nii.gz" -c "$cam" -o "$out/look_probe" --views 4 --distance 350 -m probe 2>/dev/null

log "registration experiment (experiments/configs/demo.cfg) -> $out"
"$camreg" experiment run "$CAMREG_ROOT/experiments/configs/demo.cfg" -o "$out" --images 6
bash "$CAMREG_ROOT/scripts/figures/make_figures.sh" "$out" >/dev/null
"$camreg" experiment report "$out" -o "$out/report.html" --title "camreg demo (Colin27)" 2>/dev/null
# The AAL atlas (mricron-data, Colin27's space) on trial 0's photo at its registered pose.
img="$out/images"
if [ -s "$img/trial_0000_pose.txt" ] && [ -s "$img/trial_0000_mask.png" ]; then
  log "AAL atlas labels on trial 0's registered photo -> $out/trial_0000_aal.png"
  "$camreg" overlay -v "$data/ch2bet.nii.gz" --labels "$data/atlases/aal.nii.gz" \
    -c "$img/camera.yml" -p "$img/trial_0000_pose.txt" --photo "$img/trial_0000_photo.png" \
    --mask "$img/trial_0000_mask.png" -o "$out/trial_0000_aal.png" --label-image "$out/trial_0000_aal_labels.png" \
    >"$out/trial_0000_aal.txt" 2>/dev/null
fi
log "results: $out/results.csv"
log "figures: $out/mtre_scatter.png $out/success_rate.png $out/time_per_method.png $out/montage.png"
log "report (one HTML file, opens offline): $out/report.html"

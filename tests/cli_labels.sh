#!/usr/bin/env bash
# camreg overlay / render -m label on Colin27 with the AAL atlas mricron-data ships
# (datasets/fetch.sh): the overlay, the 16-bit label image, the legend, deep labels, and
# bad input (an intensity volume as labels, wrong photo size, a broken table, bad options)
# with clear messages and no output file.
set -u
camreg="$1"
root="${CAMREG_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
data="$root/datasets/data/colin27"
aal="$data/atlases/aal.nii.gz"
[ -s "$aal" ] && [ -s "$data/ch2bet.nii.gz" ] || { echo "SKIP: run datasets/fetch.sh (Colin27 atlases)"; exit 77; }
cam="$root/experiments/configs/camera_256x256.yml"
pose="$root/experiments/configs/pose_colin27_top.txt"
mri="$data/ch2bet.nii.gz"
cd "$tmp"
check "synth photo" 0 "$camreg" synth -v "$mri" -c "$cam" --pose "$pose" -o photo.png --mask mask.png --seed 3

check "overlay" 0 "$camreg" overlay -v "$mri" --labels "$aal" -c "$cam" -p "$pose" --photo photo.png \
  -o ov.png --label-image lab.png
cp "$tmp/out" legend.txt
exists ov.png
exists lab.png
grep -q "Precentral_L" legend.txt || fail "legend lacks Precentral_L (aal.nii.txt names)"
grep -q "pixels that see the surface have a label" legend.txt || fail "no coverage line"
# the AAL colours come from aal.nii.lut: Precentral is #cccccc there
grep "Precentral_L" legend.txt | grep -q "#cccccc" || fail "Precentral_L not coloured from aal.nii.lut"
"$camreg" info lab.png > info.txt 2>&1
grep -q "16-bit" info.txt || grep -q "16" info.txt || fail "label image is not 16-bit"
grep -Eq "range +0 \.\. (1[01][0-9]|[0-9]{1,2})$" info.txt || { fail "label range not within AAL's 0..116"; cat info.txt; }

check "overlay inside the opening" 0 "$camreg" overlay -v "$mri" --labels "$aal" -c "$cam" -p "$pose" \
  --photo photo.png --mask mask.png -o ovm.png
grep -q "inside the mask" "$tmp/out" || fail "--mask not applied"
n_all=$(grep "pixels that see" legend.txt | awk '{print $3}')
n_mask=$(grep "pixels that see" "$tmp/out" | awk '{print $3}')
[ "$n_mask" -lt "$n_all" ] || fail "--mask did not reduce the labelled pixels ($n_mask vs $n_all)"

check "render -m label with deep labels" 0 "$camreg" render -m label -v "$mri" --labels "$aal" -c "$cam" \
  -p "$pose" -o rl.png --below 10 --deep-image deep.nii.gz --deep-depth deep_mm.nii.gz
exists rl.png
exists deep.nii.gz
exists deep_mm.nii.gz
grep -q "deep labels visible" "$tmp/out" || fail "no deep legend"

check "overlay needs --photo" 2 "$camreg" overlay -v "$mri" --labels "$aal" -c "$cam" -p "$pose" -o x1.png
absent x1.png
"$camreg" phantom -o ph.nii.gz --size 60,70,60 --spacing 2.5 2>/dev/null || fail "phantom"
check "intensity volume as labels" 1 "$camreg" overlay -v "$mri" --labels ph.nii.gz -c "$cam" \
  -p "$pose" --photo photo.png -o x2.png
expect_err "intensity volume as labels" "not a label map"
expect_err "names the file" "ph.nii.gz"
absent x2.png
"$camreg" synth -v "$mri" -c "$root/experiments/configs/camera_320x240.yml" --pose "$pose" -o small.png --seed 1 2>/dev/null
check "photo of another size" 1 "$camreg" overlay -v "$mri" --labels "$aal" -c "$cam" -p "$pose" \
  --photo small.png -o x3.png
expect_err "photo of another size" "the photo is 320x240"
absent x3.png
printf '1 a 0 0 0\nnot a label line\n' > bad.txt
check "broken table" 1 "$camreg" overlay -v "$mri" --labels "$aal" -c "$cam" -p "$pose" --photo photo.png \
  --lut bad.txt -o x4.png
expect_err "broken table" "bad.txt:2"
absent x4.png
check "--below < --surface-mm" 2 "$camreg" render -m label -v "$mri" --labels "$aal" -c "$cam" -p "$pose" \
  -o x5.png --below 1
check "--deep-image without --below" 2 "$camreg" render -m label -v "$mri" --labels "$aal" -c "$cam" \
  -p "$pose" -o x6.png --deep-image d.png
check "label image as jpg" 2 "$camreg" render -m label -v "$mri" --labels "$aal" -c "$cam" -p "$pose" \
  -o x7.png --label-image l.jpg
check "help" 0 "$camreg" render -m label --help
grep -q -- "--surface-mm" "$tmp/out" || fail "render -m label --help lacks the label options"
check "render help lists label" 0 "$camreg" render --help
grep -q "^  label" "$tmp/out" || fail "render --help does not list the label mode"
echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]

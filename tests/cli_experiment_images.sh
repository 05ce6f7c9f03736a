#!/usr/bin/env bash
# A tiny real registration experiment on the phantom: --images writes each trial's photo
# and overlay, and make_figures.sh turns them into a montage.
set -u
camreg="$1"
root="${CAMREG_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
cd "$tmp"
"$camreg" phantom -o ph.nii.gz --size 56,68,52 --spacing 3 2>/dev/null || fail "phantom"
cat > e.cfg <<'CFG'
trial = "registration";
volume = "ph.nii.gz";
camera = { width = 96; height = 72; fov_deg = 30.0; };
views = { distance_mm = [180.0, 200.0]; opening_mm = 50.0; targets = 16; };
registration = { mode = "surface"; metric = "ngf"; levels = 2; max_evals = 30;
                 focus_sigma_mm = 0.5; };
start = { bins_mm = [0.0, 2.0]; };
trials = 2;
CFG
"$camreg" experiment run e.cfg -o out --images 1 >log.txt 2>&1 || { fail "run"; cat log.txt; }
[ -s out/images/trial_0000_photo.png ] && [ -s out/images/trial_0000_overlay.png ] || fail "trial 0 images missing"
[ -e out/images/trial_0001_photo.png ] && fail "--images 1 wrote trial 1 too"
bash "$root/scripts/figures/make_figures.sh" out >/dev/null 2>err.txt || { fail "figures"; cat err.txt; }
[ -s out/montage.png ] || fail "no montage"
"$camreg" experiment run e.cfg -o out2 --images x 2>/dev/null
[ $? -eq 2 ] || fail "--images x should be a usage error"
echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]

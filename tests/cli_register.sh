#!/usr/bin/env bash
# camreg register: a short run on the phantom writes every output; bad input fails
# cleanly (message naming the problem, non-zero exit, no output file).
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
dir="$tmp"
cd "$dir" || exit 1

write_camera cam.yml 96 80 180. 47.5 39.5
# Looking down at the top of the phantom from 180 mm above it.
printf '1 0 0 -10\n0 -1 0 20\n0 0 -1 230\n0 0 0 1\n' > truth.txt
printf '1 0 0 -8\n0 -1 0 19\n0 0 -1 231\n0 0 0 1\n' > start.txt
printf '1 0 0 -10\n0 1 0 -20\n0 0 1 -230\n0 0 0 1\n' > away.txt  # looks up, away from the head
"$camreg" phantom -o ph.nii.gz --size 48,56,48 --spacing 3.5 > /dev/null || exit 1
"$camreg" synth --volume ph.nii.gz --camera cam.yml --pose truth.txt -o photo.png --mask mask.png \
  > /dev/null || exit 1

common=(-v ph.nii.gz -c cam.yml --levels 2 --max-evals 15)
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o pose.txt \
  --tfm cam.tfm --report report.json --overlay overlay.png --optimizer nelder-mead 2> log.txt \
  || { cat log.txt; fail "a normal run failed"; }
[ "$(grep -vc '^#' pose.txt)" -eq 4 ] || fail "pose.txt has no 4x4 matrix"
grep -q '^# rvec:' pose.txt || fail "pose.txt has no rvec"
grep -q '^#Insight Transform File V1.0' cam.tfm || fail "cam.tfm is not an ITK transform"
grep -q '"evaluations":' report.json && grep -q '"final_pose":' report.json \
  && grep -q '"metric":[[:space:]]*"ngf"' report.json || fail "report.json lacks fields"
[ "$(head -c 4 overlay.png | tail -c 3)" = "PNG" ] || fail "overlay.png is not a PNG"
evals=$(grep -o '"evaluations":[[:space:]]*[0-9]*' report.json | head -1 | grep -o '[0-9]*$')
[ "$evals" -le 60 ] || fail "budget exceeded: $evals evaluations for 3 starts x 15 at level 1 + 15 at level 0"

# Warped renders (--warp N): the same run with each local run on moved renders ends at a pose
# whose rendered cost is as low as the rendered run's, within 0.01 (measured -0.6426 against
# -0.6377: each of its runs may take the budget again), and reports the key; the probe mode
# (and any mode but surface) is refused, naming the key.
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o warp.txt \
  --report warp.json --warp 3 2> log.txt || { cat log.txt; fail "a run with --warp 3"; }
grep -Eq '"warp":[[:space:]]*"?3' warp.json || fail "warp.json lacks the warp key"
final_cost() { tr -d ' \n\t' < "$1" | grep -o '"final_cost":[-0-9.e]*' | head -1 | cut -d: -f2; }
awk -v a="$(final_cost report.json)" -v b="$(final_cost warp.json)" 'BEGIN { exit !(b <= a + 0.01) }' ||
  fail "--warp 3: cost $(final_cost warp.json) against $(final_cost report.json) rendered"
expect_fail "warp in the probe mode" "warp 2: needs the surface mode" "${common[@]}" \
  -p photo.png --mask mask.png --init start.txt --warp 2 --mode probe

# The focus prior in the user's terms: a focus distance with its error; the report gives
# the focus distance measured at the start and registered poses.
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o focus.txt \
  --report focus.json --focus-distance 180 --focus-sigma 2 2> log.txt || { cat log.txt; fail "focus run"; }
grep -q '"reported_mm":[[:space:]]*180' focus.json && grep -q '"final_mm":' focus.json ||
  fail "focus.json lacks the focus block"
grep -q "focus distance at the registered pose" log.txt || fail "no focus line on stderr"

# Landmark start (PnP): 3-D points and their exact projections by the true pose; with a
# budget of one evaluation the result is the PnP pose itself, which must be the truth.
printf 'label,x,y,z\n' > lm3.csv
printf 'label,u,v\n' > lm2.csv
i=0
for p in "-10 0 50" "30 0 52" "-10 40 48" "30 40 55" "10 20 60" "0 30 45"; do
  set -- $p
  echo "p$i,$1,$2,$3" >> lm3.csv
  awk -v x="$1" -v y="$2" -v z="$3" -v l="p$i" \
    'BEGIN { zc = 230 - z; printf "%s,%.9f,%.9f\n", l, 180 * (x - 10) / zc + 47.5, 180 * (20 - y) / zc + 39.5 }' >> lm2.csv
  i=$((i + 1))
done
"$camreg" register -v ph.nii.gz -c cam.yml -p photo.png --landmarks lm2.csv --landmarks-3d lm3.csv \
  --levels 1 --max-evals 1 -o pnp.txt 2> log.txt || { cat log.txt; fail "landmark start"; }
awk 'NR == FNR && !/^#/ { for (j = 1; j <= 4; j++) a[++n] = $j; next }
     !/^#/ { for (j = 1; j <= 4; j++) { d = a[++m] - $j; if (d * d > 1e-6) bad = 1 } }
     END { exit bad }' truth.txt pnp.txt || fail "PnP start pose differs from the truth"

# The global stage (a small box): the report lists the hypotheses, their scores, refined
# costs and the winner; a progress line and a summary line on stderr.
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o global.txt \
  --report global.json --focus-distance 180 --global --global-sampler grid --global-box 10,8 \
  --global-keep 2 --global-evals 20 2> log.txt || { cat log.txt; fail "global run"; }
grep -q '"hypotheses":' global.json && grep -q '"refined_cost":' global.json &&
  grep -q '"winner":[[:space:]]*true' global.json && grep -q '"grid_poses":[[:space:]]*75' global.json ||
  fail "global.json lacks the hypotheses (3 rolls x 5 x 5 translations = 75 grid poses)"
grep -q "global search" log.txt && grep -q "hypotheses refined" log.txt || fail "no global progress"
# The shift sampler (the default): the start pose is hypothesis 0, marked "start".
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o global.txt \
  --report global.json --focus-distance 180 --global --global-box 10,8 --global-keep 2 \
  --global-evals 20 2> log.txt || { cat log.txt; fail "global run (shift sampler)"; }
grep -q '"start":[[:space:]]*true' global.json && grep -q '"global-sampler":[[:space:]]*"shift"' global.json ||
  fail "global.json (shift sampler) lacks the start hypothesis or the sampler"
# Depth restarts by default (one view): the winner restarted 0, -4, +4, -8, +8 mm along its
# axis, reported; --global-depth-step 0 turns them off.
grep -q '"depth_restarts":' global.json && grep -q '"forward_mm":[[:space:]]*-8' global.json &&
  grep -q "depth restart .* won" log.txt || fail "global.json or the log lacks the depth restarts"
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o global.txt \
  --report global.json --focus-distance 180 --global --global-box 10,8 --global-keep 2 \
  --global-evals 20 --global-depth-step 0 2> log.txt || { cat log.txt; fail "global run (no restarts)"; }
grep -q '"depth_restarts":' global.json && fail "depth restarts with --global-depth-step 0"
expect_fail "negative depth step" "global-depth-step" "${common[@]}" -p photo.png --mask mask.png \
  --init start.txt --global --global-depth-step -1
# --global-features: the report gives the feature matches and inliers
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o global.txt \
  --report global.json --focus-distance 180 --global --global-box 10,8 --global-keep 2 \
  --global-evals 20 --global-features 2> log.txt || { cat log.txt; fail "global run (features)"; }
grep -q '"feature_matches":' global.json && grep -q '"feature_inliers":' global.json &&
  grep -Eq '"global-features":[[:space:]]*"(1|true)"' global.json ||
  fail "global.json (features) lacks feature_matches, feature_inliers or the method key"
# No start pose: the camera looks at a point of the phantom's top from the focus distance.
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --look-at 10,20,55 --focus-distance 180 \
  --look-at-cone 10 --global-step 60,4 --global-keep 2 --global-evals 20 -o lookat.txt \
  --report lookat.json 2> log.txt || { cat log.txt; fail "look-at run"; }
grep -q '"look_at":' lookat.json || fail "lookat.json lacks the look-at point"

# --light-at: the report gives the light's position
"$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt -o light.txt \
  --report light.json --light-at 0,0,0 --max-evals 60 2> log.txt || { cat log.txt; fail "light run"; }
grep -Eq '"light_at":[[:space:]]*\[[[:space:]]*0,' light.json || fail "light.json lacks light_at"

# Identical results whatever the thread count (and for a fixed seed with restarts).
for t in 1 2; do
  OMP_NUM_THREADS=$t "$camreg" register "${common[@]}" -p photo.png --mask mask.png --init start.txt \
    -o pose_t$t.txt --optimizer cmaes --starts 2 --seed 5 2> /dev/null || fail "run with $t thread(s)"
done
cmp -s pose_t1.txt pose_t2.txt || fail "1 and 2 threads give different poses"

# a photo of another size: the camera scaled to half makes a 48x40 photo
write_camera half.yml 48 40 90. 23.5 19.5
"$camreg" synth --volume ph.nii.gz --camera half.yml --pose truth.txt -o half.png > /dev/null \
  || exit 1
expect_fail "photo size" "48x40" "${common[@]}" -p half.png --init start.txt
expect_fail "unknown metric" "unknown metric 'nope'" "${common[@]}" -p photo.png --init start.txt --metric nope
expect_fail "unknown optimizer" "unknown optimizer 'anneal'" "${common[@]}" -p photo.png --init start.txt \
  --optimizer anneal
{ printf 'P5\n96 80\n255\n'; head -c 7680 /dev/zero; } > empty.pgm
expect_fail "empty mask" "empty" "${common[@]}" -p photo.png --mask empty.pgm --init start.txt
expect_fail "pose sees nothing" "sees no part" "${common[@]}" -p photo.png --init away.txt
expect_fail "no start" "--init" "${common[@]}" -p photo.png
expect_fail "focus behind the camera" "in front of the camera" "${common[@]}" -p photo.png --init start.txt \
  --focus-distance -5
expect_fail "focus sigma" "focus-sigma" "${common[@]}" -p photo.png --init start.txt --focus-distance 180 \
  --focus-sigma 0
expect_fail "missing photo" "nothere.png" "${common[@]}" -p nothere.png --init start.txt
expect_fail "look-at without focus" "needs --focus-distance" "${common[@]}" -p photo.png --look-at 10,20,55
expect_fail "look-at outside" "outside the volume" "${common[@]}" -p photo.png --look-at 0,0,900 \
  --focus-distance 180
expect_fail "look-at on no surface" "on no surface" "${common[@]}" -p photo.png --look-at 0,0,80 \
  --focus-distance 180
expect_fail "light not finite" "--light-at" "${common[@]}" -p photo.png --init start.txt \
  --light-at 0,1e999,0
expect_fail "light, probe mode" "needs the surface render mode" "${common[@]}" -p photo.png \
  --init start.txt --light-at 0,0,0 --mode probe
expect_fail "empty search box" "search box is empty" "${common[@]}" -p photo.png --init start.txt \
  --global --global-box 0,0
"$camreg" register --help | grep -q "usage: camreg register" || fail "--help"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]

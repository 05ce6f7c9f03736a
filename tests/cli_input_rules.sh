#!/usr/bin/env bash
# Issue 17 at the command line (README "Input rules"): constant volumes refused for
# rendering, 4-D files rendered with --volume-index, outputs committed together (no output
# left by a failed or interrupted command, an input never overwritten), degenerate
# landmark geometry refused, and experiment summaries, configs and failed runs.
# Reader-level rules (NIfTI, camera and pose files) are in tests/test_core_input_rules.c.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"

check "phantom" 0 "$camreg" phantom -o "$tmp/v.nii" --size 24,28,22 --spacing 7
cat > "$tmp/cam.yml" <<'YML'
%YAML:1.0
---
image_width: 64
image_height: 48
camera_matrix: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 110., 0., 31.5, 0., 110., 23.5, 0., 0., 1. ]
YML
printf '1 0 0 0\n0 0 -1 0\n0 1 0 250\n0 0 0 1\n' > "$tmp/pose.txt"
R=(-c "$tmp/cam.yml" -p "$tmp/pose.txt")

# A constant volume (every voxel 0) has nothing to render or register.
size=$(stat -c %s "$tmp/v.nii")
{ head -c 352 "$tmp/v.nii"; head -c $((size - 352)) /dev/zero; } > "$tmp/zero.nii"
check "render a constant volume" 1 "$camreg" render -v "$tmp/zero.nii" "${R[@]}" -m drr -o "$tmp/z.nii.gz"
expect_err "constant volume" "zero.nii: the volume is constant (every voxel is 0): nothing to render or register"
absent "$tmp/z.nii.gz"

# The output is an input: refused, the input untouched.
cp "$tmp/v.nii" "$tmp/v_copy.nii"
check "render over its input" 1 "$camreg" render -v "$tmp/v.nii" "${R[@]}" -m drr -o "$tmp/v.nii"
expect_err "output = input" "v.nii: output path is also an input of this command"
cmp -s "$tmp/v.nii" "$tmp/v_copy.nii" || fail "render -o VOLUME changed the volume"

# All outputs or none: an unwritable --depth leaves no --out either.
check "depth unwritable" 1 "$camreg" render -v "$tmp/v.nii" "${R[@]}" -m surface -o "$tmp/img.nii.gz" \
  --depth "$tmp/no/such/dir/d.nii.gz"
expect_err "depth unwritable" "no/such/dir/d.nii.gz"
absent "$tmp/img.nii.gz"
ls -a "$tmp" | grep -q crtmp && fail "temporary files left by a failed render"

# 4-D: the xyz map (3 components) renders one component with --volume-index.
check "xyz map" 0 "$camreg" render -v "$tmp/v.nii" "${R[@]}" -m surface -o "$tmp/s.nii.gz" --xyz "$tmp/xyz.nii"
check "4-D without an index" 1 "$camreg" render -v "$tmp/xyz.nii" "${R[@]}" -m mip -o "$tmp/m.nii.gz"
expect_err "4-D" "file holds 3 volumes"
check "4-D with --volume-index 2" 0 "$camreg" render -v "$tmp/xyz.nii" "${R[@]}" -m mip -o "$tmp/m.nii.gz" \
  --volume-index 2
check "4-D index out of range" 1 "$camreg" render -v "$tmp/xyz.nii" "${R[@]}" -m mip -o "$tmp/m2.nii.gz" \
  --volume-index 3
expect_err "index range" "volume index 3 out of range (file holds 3)"

# Killed while writing: SIGTERM removes the temporary files; after SIGKILL the next camreg
# writing into the folder removes them. A big camera makes the write (gzip) last.
sed 's/image_width: 64/image_width: 2400/; s/image_height: 48/image_height: 1800/; s/31.5/1199.5/; s/23.5/899.5/; s/110\./4000./g' \
  "$tmp/cam.yml" > "$tmp/big.yml"
mkdir -p "$tmp/k"
for sig in TERM KILL; do
  "$camreg" render -v "$tmp/v.nii" -c "$tmp/big.yml" -p "$tmp/pose.txt" -m surface --step 7 \
    -o "$tmp/k/out.nii.gz" --xyz "$tmp/k/xyz.nii.gz" --normal "$tmp/k/n.nii.gz" --depth "$tmp/k/d.nii.gz" \
    >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do # up to 60 s for the first temporary file
    ls -a "$tmp/k" | grep -q crtmp && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  if ls -a "$tmp/k" | grep -q crtmp; then
    kill -$sig $pid
    wait $pid 2>/dev/null
    ls "$tmp/k" | grep -q . && fail "SIG$sig: an output was placed: $(ls "$tmp/k")"
    if [ $sig = TERM ]; then
      ls -a "$tmp/k" | grep -q crtmp && fail "SIGTERM left temporary files"
    else
      check "a later run in the folder" 0 "$camreg" phantom -o "$tmp/k/p.nii.gz" --size 8,8,8
      ls -a "$tmp/k" | grep -q crtmp && fail "the temporary files of a killed run were not removed"
      rm -f "$tmp/k/p.nii.gz"
    fi
  else
    wait $pid; fail "SIG$sig: render wrote no temporary file to interrupt"
  fi
done

# Landmarks: collinear points (RANSAC or not), duplicate labels, near-coplanar DLT.
printf 'label,x,y,z\nA,0,0,0\nB,10,10,10\nC,20,20,20\nD,30,30,30\nE,40,40,40\nF,50,50,50\n' > "$tmp/line3.csv"
printf 'label,u,v\nA,31.5,23.5\nB,33,25\nC,34.5,26.5\nD,36,28\nE,37.5,29.5\nF,39,31\n' > "$tmp/line2.csv"
check "pnp ransac collinear" 1 "$camreg" pnp -c "$tmp/cam.yml" --points3d "$tmp/line3.csv" \
  --points2d "$tmp/line2.csv" --ransac 4 -o "$tmp/pnp.txt"
expect_err "collinear" "PnP: the 3-D points are collinear"
absent "$tmp/pnp.txt"
printf 'label,x,y,z\nA,0,0,0\nA,40,0,0\nC,0,40,0\nD,0,0,40\n' > "$tmp/dup3.csv"
printf 'label,u,v\nA,31.5,23.5\nB,40,25\nC,34.5,10\nD,20,28\n' > "$tmp/dup2.csv"
check "pnp duplicate labels" 1 "$camreg" pnp -c "$tmp/cam.yml" --points3d "$tmp/dup3.csv" \
  --points2d "$tmp/dup2.csv" -o "$tmp/pnp.txt"
expect_err "duplicate label" "3-D label \"A\" appears twice"
printf 'x,y,z\n0,0,0\n40,0,0\n0,40,0\n40,40,0.1\n20,10,0\n10,30,0.2\n' > "$tmp/flat3.csv"
printf 'u,v\n10,10\n50,12\n12,40\n52,42\n30,20\n20,35\n' > "$tmp/flat2.csv"
check "dlt near-coplanar" 1 "$camreg" dlt --points3d "$tmp/flat3.csv" --points2d "$tmp/flat2.csv" \
  --size 64x48 -o "$tmp/dlt.yml" --pose "$tmp/dlt.txt"
expect_err "near-coplanar" "the 3-D points are coplanar (thickness"

# Experiments: seed 1.5, a volume that fails before the first trial, a duplicated row.
printf 'trials = 2;\nseed = 1.5;\ntrial = "identity";\n' > "$tmp/seed.cfg"
check "fractional seed" 1 "$camreg" experiment run "$tmp/seed.cfg" -o "$tmp/eo"
expect_err "fractional seed" "seed.cfg:2: seed: 1.5 is not a whole number"
printf 'trials = 2;\ntrial = "identity";\nvolume = { file = "zero.nii"; };\n' > "$tmp/zero.cfg"
check "run on a constant volume" 1 "$camreg" experiment run "$tmp/zero.cfg" -o "$tmp/eo"
expect_err "constant volume run" "zero.nii: the volume is constant"
[ -e "$tmp/eo" ] && fail "a run that failed before its first trial left $tmp/eo"
printf 'trials = 3;\ntrial = "identity";\n' > "$tmp/id.cfg"
check "identity run" 0 "$camreg" experiment run "$tmp/id.cfg" -o "$tmp/eo"
csv=$(ls "$tmp"/eo/*.csv | head -1)
tail -n 1 "$csv" >> "$csv"
check "summary of a duplicated row" 1 "$camreg" experiment summary "$csv"
expect_err "duplicate row" "appears twice"

# Fuzz findings (session 2): a pose 1e12 mm away (was an infinite ray chord cast to long),
# a camera file with a blank line before "%YAML" (OpenCV's "Input file is invalid"), a
# file with "DICM" at byte 128 named .png (OpenCV's DICOM decoder aborted) and a PPM
# header of 2883 x 288888 pixels (OpenCV allocated 2.5 GB).
printf '1 0 0 0\n0 0 -1 0\n0 1 0 1e12\n0 0 0 1\n' > "$tmp/far.txt"
check "render from 1e12 mm" 1 "$camreg" render -v "$tmp/v.nii" -c "$tmp/cam.yml" -p "$tmp/far.txt" -m drr \
  -o "$tmp/far.nii.gz"
expect_err "far pose" "render: cam_from_world: pose: |t| = 1e+12 mm is out of range (at most 1e9 mm)"
absent "$tmp/far.nii.gz"
{ echo; cat "$tmp/cam.yml"; } > "$tmp/blank.yml"
check "camera with a leading blank line" 1 "$camreg" render -v "$tmp/v.nii" -c "$tmp/blank.yml" "${R[@]:2}" \
  -m drr -o "$tmp/b.nii.gz"
expect_err "leading blank" "blank.yml: not an OpenCV FileStorage file: it must begin with \"%YAML\""
check "render a photo" 0 "$camreg" render -v "$tmp/v.nii" "${R[@]}" -m drr -o "$tmp/r.png"
{ head -c 128 /dev/zero; printf 'DICM'; } > "$tmp/scan.png"
check "DICOM named .png" 1 "$camreg" metric "$tmp/scan.png" "$tmp/r.png" --metric ncc
expect_err "DICOM" "scan.png: not a PNG, JPEG, TIFF, BMP or PNM (PBM/PGM/PPM) image"
printf 'P3\n 2883\n 288888\n2\n25 55\n' > "$tmp/huge.ppm"
check "huge PPM header" 1 "$camreg" metric "$tmp/huge.ppm" "$tmp/r.png" --metric ncc
expect_err "huge PPM" "huge.ppm: PNM header says 2883 x 288888 pixels: larger than camreg reads (at most 1e8 pixels)"

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]

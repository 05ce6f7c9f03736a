#!/usr/bin/env bash
# camreg render / orbit / reslice / bench-render: every mode runs and writes its outputs,
# bad input gives a clear message, a non-zero exit and no partial file.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"

check "phantom" 0 "$camreg" phantom -o "$tmp/v.nii.gz" --size 48,56,44 --spacing 3.5
write_camera "$tmp/cam.yml" 64 48 110. 31.5 23.5 -0.1 0.01
# camera 250 mm posterior of the origin (y = -250) looking at it (+y), superior up
cat > "$tmp/pose.txt" <<'POSE'
1 0 0 0
0 0 -1 0
0 1 0 250
0 0 0 1
POSE

for mode in drr mip volume surface probe mesh; do
  check "render $mode" 0 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" \
    -m "$mode" -o "$tmp/$mode.nii.gz" --preview "$tmp/$mode.png"
  exists "$tmp/$mode.nii.gz"; exists "$tmp/$mode.png"
  grep -q "pixel size" "$tmp/out" || { echo "FAIL: render $mode prints no pixel size"; fails=$((fails + 1)); }
done
check "surface outputs" 0 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" \
  -m surface -o "$tmp/s.png" --depth "$tmp/d.nii" --xyz "$tmp/xyz.nii.gz" --normal "$tmp/n.tif" --undistorted --scale 0.5
exists "$tmp/s.png"; exists "$tmp/d.nii"; exists "$tmp/xyz.nii.gz"; exists "$tmp/n.tif"
# The xyz map is a 3-volume (vector) NIfTI: info describes volume 0 and says so.
"$camreg" info "$tmp/xyz.nii.gz" > "$tmp/info.txt" 2>&1 || { echo "FAIL: info on the xyz map"; fails=$((fails + 1)); }
grep -q "volumes      3 (described: volume 0" "$tmp/info.txt" || { echo "FAIL: info does not report 3 volumes"; cat "$tmp/info.txt"; fails=$((fails + 1)); }
check "info volume index out of range" 1 "$camreg" info --volume-index 3 "$tmp/xyz.nii.gz"
check "info reads the depth NIfTI" 0 "$camreg" info "$tmp/d.nii"
check "mesh outputs" 0 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" \
  -m mesh --smooth 2 -o "$tmp/m.tif" --depth "$tmp/md.tif" --xyz "$tmp/mx.tif" --normal "$tmp/mn.nii.gz"
exists "$tmp/m.tif"; exists "$tmp/md.tif"; exists "$tmp/mx.tif"; exists "$tmp/mn.nii.gz"
check "help lists the mode table" 0 "$camreg" render --help
for mode in drr mip volume surface probe mesh; do
  grep -q "^  $mode " "$tmp/out" || { echo "FAIL: render --help does not list $mode"; fails=$((fails + 1)); }
done
check "drr makes no depth" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -m drr -o "$tmp/x.nii.gz" --depth "$tmp/xd.nii.gz"
expect_err "drr makes no depth" "the drr mode makes no such output"
absent "$tmp/xd.nii.gz"
check "--mesh needs a mesh mode" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -m surface --probe -o "$tmp/x.nii.gz"
expect_err "--mesh needs a mesh mode" "mesh"
check "volume colour with a TF" 0 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" \
  -m volume --tf 100:0:0:0:0,500:0.1:1:0.5:0.3,1000:0.3:1:1:1 --colour --unlit -o "$tmp/vc.nii.gz"
exists "$tmp/vc.nii.gz"

check "missing volume" 1 "$camreg" render -v "$tmp/none.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -o "$tmp/x.nii.gz"
expect_err "missing volume" "none.nii.gz"
check "missing pose" 1 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/nopose.txt" -o "$tmp/x.nii.gz"
expect_err "missing pose" "nopose.txt"
check "bad mode" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -m xray -o "$tmp/x.nii.gz"
expect_err "bad mode" "xray"
check "bad extension" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -o "$tmp/x.bmpx"
expect_err "bad extension" "x.bmpx"
check "bad window" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -m drr --window 5,1 -o "$tmp/x.nii.gz"
check "bad tf" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -m volume --tf 1:2 -o "$tmp/x.nii.gz"
check "bad step" 2 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" --step abc -o "$tmp/x.nii.gz"
echo "not a camera" > "$tmp/bad.yml"
check "bad camera file" 1 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/bad.yml" -p "$tmp/pose.txt" -o "$tmp/x.nii.gz"
expect_err "bad camera" "bad.yml"
check "unwritable output" 1 "$camreg" render -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -o "$tmp/no/dir/x.nii.gz"
expect_err "unwritable" "no/dir/x.nii.gz"
absent "$tmp/x.nii.gz"

check "orbit" 0 "$camreg" orbit -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -o "$tmp/orb" --views 3 --ext nii.gz --mode mip
for i in 000 001 002; do exists "$tmp/orb_$i.nii.gz"; exists "$tmp/orb_$i.pose.txt"; done
absent "$tmp/orb_003.nii.gz"
check "orbit in mesh mode" 0 "$camreg" orbit -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -o "$tmp/om" --views 2 --mode mesh --ext tif
exists "$tmp/om_001.tif"
check "orbit bad mode" 2 "$camreg" orbit -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -o "$tmp/ob" --mode xray
expect_err "orbit bad mode" "xray"
check "orbit from a pose file" 0 "$camreg" orbit -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -p "$tmp/pose.txt" -o "$tmp/o2" --views 2 --degrees 90
exists "$tmp/o2_001.png"
check "orbit zero axis" 2 "$camreg" orbit -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -o "$tmp/o3" --axis 0,0,0
check "orbit bad ext" 2 "$camreg" orbit -v "$tmp/v.nii.gz" -c "$tmp/cam.yml" -o "$tmp/o3" --ext jpg

check "reslice" 0 "$camreg" reslice -v "$tmp/v.nii.gz" -o "$tmp/sl.nii.gz" --normal 1,1,0 --up 0,0,1 --size 40,30 --spacing 2
exists "$tmp/sl.nii.gz"
check "reslice nearest png" 0 "$camreg" reslice -v "$tmp/v.nii.gz" -o "$tmp/sl.png" --nearest
exists "$tmp/sl.png"
check "reslice up parallel to normal" 1 "$camreg" reslice -v "$tmp/v.nii.gz" -o "$tmp/bad.nii.gz" --normal 0,0,1 --up 0,0,2
expect_err "parallel" "parallel"
absent "$tmp/bad.nii.gz"
check "reslice bad size" 2 "$camreg" reslice -v "$tmp/v.nii.gz" -o "$tmp/bad.nii.gz" --size 0,10

check "bench-render on the phantom" 0 "$camreg" bench-render --volume "$tmp/v.nii.gz" --frames 1 --modes drr,surface
grep -q "ms/frame" "$tmp/out" || { echo "FAIL: bench prints no ms/frame"; fails=$((fails + 1)); }
check "bench-render in mesh mode" 0 "$camreg" bench-render --volume "$tmp/v.nii.gz" --frames 1 --modes mesh
check "bench-render bad mode" 2 "$camreg" bench-render --modes drr,foo
# bench-registration times the local loop: a global-stage key is refused, not ignored
check "bench-registration --global" 2 "$camreg" bench-registration --global
expect_err "bench-registration --global" "times the local loop"
# --warp moves renders: without a volume (the synthetic cost) it is refused, not ignored
check "bench-registration --warp" 2 "$camreg" bench-registration --warp 2
expect_err "bench-registration --warp" "needs the real cost"

ls -a "$tmp" | grep -q crtmp && { echo "FAIL: temporary files left"; fails=$((fails + 1)); }
[ "$fails" = 0 ] && echo "all render CLI checks passed"
exit $((fails > 0))

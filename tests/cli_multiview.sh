#!/usr/bin/env bash
# Several views: camreg synth makes a second photo of the same scene (--view), camreg
# register uses it (--view with tracked= or cam_from_ref=) and writes a report, overlay
# and ITK file for every view; bad views fail cleanly (message, non-zero exit, no output).
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
cd "$tmp" || exit 1

write_camera cam.yml 96 80 180. 47.5 39.5
# The reference looks down at the top of the phantom from 230 mm; the second camera is
# the reference turned 20 deg about its y axis through the point 172 mm in front of it
# (cam_from_ref = Ry^T (x - c), c = (-d sin a, 0, d - d cos a)); view1.txt is its
# cam_from_world = cam_from_ref * truth (the synthetic tracker frame is the world).
printf '1 0 0 -10\n0 -1 0 20\n0 0 -1 230\n0 0 0 1\n' > truth.txt
printf '1 0 0 -9\n0 -1 0 21\n0 0 -1 232\n0 0 0 1\n' > start.txt
printf '1 0 0 -10\n0 1 0 -20\n0 0 1 -230\n0 0 0 1\n' > away.txt # looks up, away from the head
awk 'BEGIN { a = 20 * atan2(1, 1) / 45; d = 172; s = sin(a); c = cos(a)
  cx = -d * s; cz = d - d * c
  # R = Ry(a)^T: rows (c, 0, -s), (0, 1, 0), (s, 0, c); t = -R (cx, 0, cz)
  printf "%.12f 0 %.12f %.12f\n0 1 0 0\n%.12f 0 %.12f %.12f\n0 0 0 1\n", c, -s, -(c * cx - s * cz), s, c, -(s * cx + c * cz) > "rel.txt"
  # view1 = rel * truth, truth = [1 0 0 -10; 0 -1 0 20; 0 0 -1 230]
  t0 = -(c * cx - s * cz); t2 = -(s * cx + c * cz)
  printf "%.12f 0 %.12f %.12f\n0 -1 0 20\n%.12f 0 %.12f %.12f\n0 0 0 1\n", c, s, -10 * c - 230 * s + t0, s, -c, -10 * s + 230 * c + t2 > "view1.txt" }'
"$camreg" phantom -o ph.nii.gz --size 48,56,48 --spacing 3.5 > /dev/null || exit 1
"$camreg" synth --volume ph.nii.gz --camera cam.yml --pose truth.txt -o p0.png --mask m0.png \
  --view camera=cam.yml,pose=view1.txt,out=p1.png,mask=m1.png 2> log.txt || { cat log.txt; fail "synth --view"; }
[ -s p1.png ] && [ -s m1.png ] || fail "synth --view wrote no second photo or mask"
"$camreg" synth --volume ph.nii.gz --camera cam.yml --pose truth.txt -o q0.png \
  --view camera=cam.yml,cam_from_ref=rel.txt,out=q1.png 2> /dev/null || fail "synth cam_from_ref"
cmp -s p1.png q1.png || fail "pose= and cam_from_ref= give different second photos"

common=(-v ph.nii.gz -c cam.yml -p p0.png --mask m0.png --init start.txt --levels 2 --max-evals 15)
"$camreg" register "${common[@]}" --view camera=cam.yml,photo=p1.png,mask=m1.png,tracked=view1.txt \
  --tracked truth.txt -o pose.txt --tfm cam.tfm --report report.json --overlay ov.png 2> log.txt \
  || { cat log.txt; fail "a two-view run failed"; }
[ "$(grep -vc '^#' pose.txt)" -eq 4 ] || fail "pose.txt has no 4x4 matrix"
for f in cam.tfm cam_view1.tfm ov.png ov_view1.png; do [ -s "$f" ] || fail "no $f"; done
grep -q '^#Insight Transform File V1.0' cam_view1.tfm || fail "cam_view1.tfm is not an ITK file"
[ "$(grep -c '"cam_from_ref":' report.json)" -eq 2 ] || fail "report.json does not list two views"
grep -q "view 1: p1.png (cam_from_ref from the tracked poses" log.txt || fail "no view list on stderr"
# The tracked poses give the transform of rel.txt (first row of view 1's cam_from_ref).
want=$(awk 'NR == 1 { printf "%.6f", $1 }' rel.txt)
got=$(tr -d ' \n\t' < report.json | grep -o '"cam_from_ref":\[\[[^]]*' | sed -n 2p |
  sed 's/.*\[\[//' | awk -F, '{ printf "%.6f", $1 }')
[ "$want" = "$got" ] || fail "view 1's cam_from_ref $got, expected $want"
"$camreg" register "${common[@]}" --view camera=cam.yml,photo=p1.png,cam_from_ref=rel.txt,weight=0.5 \
  -o pose2.txt 2> log.txt || { cat log.txt; fail "cam_from_ref run"; }

# A stereo rig file (OpenCV's stereo keys; R, T = rel.txt): synth --rig writes the right
# photo, register --rig --photo2 uses it with the rig's left camera as the reference.
awk 'NR <= 3 { r[NR] = $1 ", " $2 ", " $3; t[NR] = $4 }
  END {
    m = "!!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 180., 0., 47.5, 0., 180., 39.5, 0., 0., 1. ]"
    d = "!!opencv-matrix\n   rows: 1\n   cols: 5\n   dt: d\n   data: [ 0., 0., 0., 0., 0. ]"
    print "%YAML:1.0\n---\nimage_width: 96\nimage_height: 80"
    print "M1: " m "\nD1: " d "\nM2: " m "\nD2: " d
    print "R: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ " r[1] ", " r[2] ", " r[3] " ]"
    print "T: !!opencv-matrix\n   rows: 3\n   cols: 1\n   dt: d\n   data: [ " t[1] ", " t[2] ", " t[3] " ]"
  }' rel.txt > rig.yml
"$camreg" synth --volume ph.nii.gz --rig rig.yml --pose truth.txt -o l.png --mask lm.png \
  --out2 r.png --mask2 rm.png 2> log.txt || { cat log.txt; fail "synth --rig"; }
cmp -s p0.png l.png || fail "synth --rig: the left photo differs from the --camera one"
"$camreg" register -v ph.nii.gz --rig rig.yml -p l.png --mask lm.png --photo2 r.png --mask2 rm.png \
  --init start.txt --levels 2 --max-evals 15 -o rig_pose.txt --report rig.json 2> log.txt \
  || { cat log.txt; fail "register --rig"; }
grep -q "the rig's right camera" log.txt || fail "register --rig: no right view listed"
[ "$(grep -c '"cam_from_ref":' rig.json)" -eq 2 ] || fail "rig.json does not list two views"
# The photo consistency of the right view with the left (on by default), in [0, 2] and
# lower at the registered pose than at the start; --consistency 0 turns it off.
cons=$(tr -d ' \n\t' < rig.json | grep -o '"\(start\|final\)_consistency":[-0-9.e]*' | cut -d: -f2)
[ "$(echo "$cons" | wc -l)" -eq 2 ] || fail "rig.json: no start and final consistency of view 1"
echo "$cons" | awk 'NR == 1 { s = $1 } NR == 2 { f = $1 }
  END { exit !(s >= 0 && s <= 2 && f >= 0 && f < s) }' || fail "rig.json: consistency $cons"
echo "consistency of the right view, start and final:" $cons >&2
grep -q "view 1: photo consistency with view 0 .* at the start, .* registered" log.txt ||
  fail "register --rig: no photo consistency line on stderr"
"$camreg" register -v ph.nii.gz --rig rig.yml -p l.png --mask lm.png --photo2 r.png --mask2 rm.png \
  --init start.txt --levels 2 --max-evals 15 --consistency 0 -o rig_pose0.txt --report rig0.json \
  2> log.txt || { cat log.txt; fail "register --rig --consistency 0"; }
grep -q '_consistency"' rig0.json && fail "rig0.json: a consistency with --consistency 0"
grep -q "view 1: no photo consistency with view 0 (--consistency 0" log.txt ||
  fail "register --consistency 0: stderr does not say the term is off"
awk '/^T:/ { skip = 5 } skip > 0 { skip--; next } { print }' rig.yml > rig_noT.yml
rm -f out.txt
if "$camreg" register -v ph.nii.gz --rig rig_noT.yml -p l.png --photo2 r.png --init start.txt \
  -o out.txt 2> err.txt; then fail "rig without T: succeeded"; fi
grep -q "T" err.txt && grep -q "rig_noT.yml" err.txt || { fail "rig without T: message"; cat err.txt; }
[ ! -e out.txt ] || fail "rig without T: left an output file"

write_camera half.yml 48 40 90. 23.5 19.5 # the camera scaled to half: 48x40 photos
expect_fail "view photo size" "p1.png: photo is 96x80 but the camera half.yml is 48x40" "${common[@]}" \
  --view camera=half.yml,photo=p1.png,cam_from_ref=rel.txt
"$camreg" synth --volume ph.nii.gz --camera half.yml --pose truth.txt -o half.png > /dev/null 2>&1 \
  || exit 1
expect_fail "view mask size" "half.png: mask is 48x40" "${common[@]}" \
  --view camera=cam.yml,photo=p1.png,mask=half.png,cam_from_ref=rel.txt
# view 1 turned 180 deg about the reference's x axis: it looks away from the head
printf '1 0 0 0\n0 -1 0 0\n0 0 -1 0\n0 0 0 1\n' > flip.txt
expect_fail "view sees nothing" "view 1: the start pose sees no part" "${common[@]}" \
  --view camera=cam.yml,photo=p1.png,cam_from_ref=flip.txt
expect_fail "tracked without --tracked" "needs --tracked" "${common[@]}" \
  --view camera=cam.yml,photo=p1.png,tracked=view1.txt
expect_fail "both transforms" "exactly one of" "${common[@]}" \
  --view camera=cam.yml,photo=p1.png,tracked=view1.txt,cam_from_ref=rel.txt --tracked truth.txt
expect_fail "unknown view key" "unknown key 'foto'" "${common[@]}" --view camera=cam.yml,foto=p1.png
expect_fail "bad weight" "weight" "${common[@]}" --view camera=cam.yml,photo=p1.png,cam_from_ref=rel.txt,weight=-1
expect_fail "missing view pose" "nofile.txt" "${common[@]}" --view camera=cam.yml,photo=p1.png,cam_from_ref=nofile.txt
expect_fail "focus distance 0" "in front of the camera" "${common[@]}" --focus-distance 0
rm -f bad.png
if "$camreg" synth --volume ph.nii.gz --camera cam.yml --pose truth.txt -o bad.png \
  --view camera=cam.yml,pose=away.txt,out=bad1.png 2> err.txt; then fail "synth: a view that sees nothing"; fi
grep -q "view 1 sees no cortical surface" err.txt || fail "synth: message lacks the view"
[ ! -e bad.png ] || fail "synth: left an output file"
"$camreg" register --help | grep -q -- "--view camera=" || fail "register --help lacks --view"
"$camreg" synth --help | grep -q -- "--view camera=" || fail "synth --help lacks --view"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]

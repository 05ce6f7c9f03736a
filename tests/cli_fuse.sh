#!/usr/bin/env bash
# camreg fuse on a small phantom: --simulate writes three thick-slice scans, fusing
# them beats each scan alone (RMSE printed by --compare), the alignment check runs, and
# bad input (scans that do not overlap, unknown method) fails with a message naming the
# file and writes nothing.
set -u
camreg="$1"
src="${CAMREG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
. "$src/tests/lib_cli.sh"

check "phantom" 0 "$camreg" phantom -o "$tmp/ph.nii.gz" --size 40,40,40 --spacing 1.25 \
  --radius 22,23,20 --fold-depth 4
check "simulate" 0 "$camreg" fuse --simulate "$tmp/ph.nii.gz" --thickness 5 --noise 0.01 -o "$tmp/s"
for s in sag cor ax; do exists "$tmp/s_$s.nii.gz"; done
check "one scan" 0 "$camreg" fuse -o "$tmp/one.nii.gz" "$tmp/s_ax.nii.gz" --method average \
  --like "$tmp/ph.nii.gz" --compare "$tmp/ph.nii.gz"
one=$(sed -n 's/.*: \([0-9.]*\) (all voxels).*/\1/p' "$tmp/out")
check "fuse" 0 "$camreg" fuse -o "$tmp/f.nii.gz" "$tmp/s_sag.nii.gz" "$tmp/s_cor.nii.gz" \
  "$tmp/s_ax.nii.gz" --compare "$tmp/ph.nii.gz" --check-alignment
cat "$tmp/out"
exists "$tmp/f.nii.gz"
grep -q "working memory" "$tmp/err" || fail "fuse does not state its memory"
grep -q "alignment scan 3: mean shift" "$tmp/out" || fail "no alignment report"
fused=$(sed -n 's/.*: \([0-9.]*\) (all voxels).*/\1/p' "$tmp/out")
echo "rmse: one scan $one, fused $fused"
awk -v a="$fused" -v b="$one" 'BEGIN { exit !(a != "" && b != "" && a < 0.8 * b) }' ||
  fail "fused RMSE $fused not below 0.8 x one scan's $one"

# A scan somewhere else in the world: refused, named, nothing written.
check "far phantom" 0 "$camreg" phantom -o "$tmp/far.nii.gz" --size 20,20,20 --centre 400,0,0
check "no overlap" 1 "$camreg" fuse -o "$tmp/bad.nii.gz" "$tmp/s_ax.nii.gz" "$tmp/far.nii.gz"
expect_err "no overlap" "far.nii.gz"
expect_err "no overlap reason" "does not overlap"
absent "$tmp/bad.nii.gz"
check "bad method" 2 "$camreg" fuse -o "$tmp/bad.nii.gz" "$tmp/s_ax.nii.gz" --method magic
absent "$tmp/bad.nii.gz"
check "missing file" 1 "$camreg" fuse -o "$tmp/bad.nii.gz" "$tmp/nothing.nii.gz"
absent "$tmp/bad.nii.gz"
# --simulate writes three scans, all or none: a folder in the way of the last one fails
# the command, names that file and leaves neither of the others nor a temporary file.
mkdir -p "$tmp/half" "$tmp/half/s_ax.nii.gz"
check "simulate, one output unwritable" 1 "$camreg" fuse --simulate "$tmp/ph.nii.gz" --thickness 5 \
  -o "$tmp/half/s"
expect_err "simulate, one output unwritable" "s_ax.nii.gz"
absent "$tmp/half/s_sag.nii.gz"
absent "$tmp/half/s_cor.nii.gz"
ls -A "$tmp/half" | grep -q crtmp && fail "temporary file left in $tmp/half"
check "help" 0 "$camreg" fuse --help
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# camreg info on the Colin27 MRI (datasets/fetch.sh); SKIP (77) when it is absent.
set -u
camreg="$1"
f="${CAMREG_SOURCE_DIR:-.}/datasets/data/colin27/ch2.nii.gz"
[ -f "$f" ] || { echo "Colin27 not fetched: SKIP"; exit 77; }
out="$("$camreg" info "$f")" || exit 1
fails=0
for want in "dims         181 x 217 x 181" "voxel size   1 x 1 x 1 mm" "orientation  RAS" \
            "world bounds x -90 .. 90, y -125 .. 91, z -71 .. 109 mm"; do
  grep -qF "$want" <<<"$out" || { echo "FAIL: missing '$want'"; fails=$((fails + 1)); }
done
echo "$out"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# camreg's command line: --help everywhere, clear errors with non-zero exits, no
# partial outputs, and phantom/info agreeing on the geometry.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"

check "top-level help" 0 "$camreg" --help
for cmd in $("$camreg" --help | awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}'); do
  check "$cmd --help" 0 "$camreg" "$cmd" --help
  grep -q "usage: camreg" "$tmp/out" || { echo "FAIL: $cmd --help prints no usage"; fails=$((fails + 1)); }
done
check "unknown command" 2 "$camreg" frobnicate

check "info on a missing file" 1 "$camreg" info "$tmp/missing.nii.gz"
expect_err "missing file" "missing.nii.gz: volume file not found"
echo "plain text" > "$tmp/text.nii"
check "info on a text file named .nii" 1 "$camreg" info "$tmp/text.nii"
expect_err "text .nii" "text.nii: not a NIfTI-1/NIfTI-2 file (sizeof_hdr"

check "phantom without output" 2 "$camreg" phantom
check "phantom with a bad size" 2 "$camreg" phantom -o "$tmp/p.nii.gz" --size 10,x,10
expect_err "bad size" "\-\-size"
check "phantom with a bad orientation" 1 "$camreg" phantom -o "$tmp/p.nii.gz" --orientation RAR --size 8,8,8
check "phantom into a missing folder" 1 "$camreg" phantom -o "$tmp/no/such/dir/p.nii.gz" --size 8,8,8
expect_err "unwritable" "no/such/dir/p.nii.gz"
[ -e "$tmp/p.nii.gz" ] && { echo "FAIL: partial output left behind"; fails=$((fails + 1)); }

check "phantom LPI" 0 "$camreg" phantom -o "$tmp/p.nii.gz" --size 20,30,40 --spacing 2 --orientation LPI
check "info phantom" 0 "$camreg" info "$tmp/p.nii.gz"
grep -q "dims         20 x 30 x 40" "$tmp/out" || { echo "FAIL: dims"; cat "$tmp/out"; fails=$((fails + 1)); }
grep -q "orientation  LPI" "$tmp/out" || { echo "FAIL: orientation"; fails=$((fails + 1)); }
# Grid centred on the origin: centres at +-(n-1)/2 * 2 mm.
grep -q "world bounds x -19 .. 19, y -29 .. 29, z -39 .. 39 mm" "$tmp/out" || { echo "FAIL: bounds"; cat "$tmp/out"; fails=$((fails + 1)); }
ls -a "$tmp" | grep -q crtmp && { echo "FAIL: temporary file left"; fails=$((fails + 1)); }

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# camreg landscape on a phantom photo: the CSV has every sample, NGF's in-plane optimum
# sits at the true pose, the figure is drawn, and bad input fails cleanly.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
cd "$tmp"
"$camreg" phantom -o ph.nii.gz --size 70,84,64 --spacing 2.5 2>/dev/null || fail "phantom"
write_camera cam.yml 96 96 200. 47.5 47.5
printf "1 0 0 0\n0 -1 0 0\n0 0 -1 230\n0 0 0 1\n" > truth.txt
"$camreg" synth -v ph.nii.gz -c cam.yml --pose truth.txt -o photo.png --mask mask.png --occluders 0 2>/dev/null || fail "synth"
"$camreg" landscape -v ph.nii.gz -c cam.yml -p photo.png --mask mask.png --pose truth.txt -o land \
  --metrics ngf,ncc --steps 5 --range 6,6 >out.txt 2>err.txt || { fail "landscape"; cat err.txt; }
rows=$(($(wc -l < land/landscape.csv) - 1))
[ "$rows" -eq $((2 * 6 * 5)) ] || fail "expected 60 CSV rows, got $rows"
grep -q "^  ngf .* tx  +0.00  ty  +0.00" out.txt || { fail "ngf in-plane optimum not at the truth"; cat out.txt; }
[ -s land/landscape.png ] || fail "no figure"
"$camreg" landscape -v ph.nii.gz -c cam.yml -p photo.png --pose truth.txt -o l2 --metrics nope 2>err.txt
[ $? -eq 2 ] || fail "unknown metric should exit 2"
"$camreg" landscape -v ph.nii.gz -c cam.yml -p missing.png --pose truth.txt -o l3 2>err.txt
[ $? -eq 1 ] && grep -q "missing.png" err.txt || fail "missing photo should exit 1 naming the file"
[ -e l3/landscape.csv ] && fail "output written despite the error"
"$camreg" landscape -v ph.nii.gz -c cam.yml -p photo.png --pose truth.txt -o l4 --steps 4 2>/dev/null
[ $? -eq 2 ] || fail "even --steps should exit 2"
echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]

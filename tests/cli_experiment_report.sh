#!/usr/bin/env bash
# camreg experiment report from the command line: a tiny sharded phantom run reports
# without merging, then merged; the page embeds the trial images and names no URL; bad
# arguments are usage errors and a failed report leaves no file.
set -u
camreg="$1"
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
start = { bins_mm = [0.0, 2.0, 4.0]; };
trials = 4;
success_mm = 1.5;
CFG
check "shard 1/2" 0 "$camreg" experiment run e.cfg -o run --shard 1/2 --images 2
check "report of one shard" 0 "$camreg" experiment report run -o one.html
grep -q "2 of 4 trials from 1 results file (incomplete run)" one.html || fail "one shard: not marked incomplete"
check "shard 2/2" 0 "$camreg" experiment run e.cfg -o run --shard 2/2 --images 2
check "report of two shards" 0 "$camreg" experiment report run -o two.html --title "two <shards>"
grep -q "4 of 4 trials from 2 results files" two.html || fail "two shards: not 4 of 4 from 2 files"
grep -q "two &lt;shards&gt;" two.html || fail "title not escaped"
grep -q "final mTRE &lt; 1.5 mm" two.html || fail "success threshold not read from config.cfg"
[ "$(grep -o "data:image/png;base64," two.html | wc -l)" -eq 4 ] || fail "expected 2 photos + 2 overlays inline"
grep -Eq "https?://|href=|<link|src=['\"][^d]" two.html && fail "the report refers to something outside itself"
check "merge" 0 "$camreg" experiment merge run -o run
check "report of the merged run" 0 "$camreg" experiment report run -o merged.html --max-images 0
grep -q "4 of 4 trials from 1 results file" merged.html || fail "merged: not 4 of 4 from 1 file"
grep -q "data:image" merged.html && fail "--max-images 0 still embeds images"
check "report without -o" 2 "$camreg" experiment report run
check "report to a .txt" 2 "$camreg" experiment report run -o r.txt
absent r.txt
mkdir empty
check "report of an empty folder" 1 "$camreg" experiment report empty -o e.html
expect_err "empty folder" "no results.csv or results-shard"
absent e.html
check "report help" 0 "$camreg" experiment report --help
grep -q "self-contained HTML" "$tmp/out" || fail "help does not describe the report"
echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
[ "$fails" -eq 0 ]

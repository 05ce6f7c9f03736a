#!/usr/bin/env bash
# camreg experiment: run / merge / summary end to end on the synthetic trial; config
# errors with file:line; kill-and-resume (a truncated CSV) gives every trial once;
# shards merged equal the unsharded run.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
# Rows sorted by trial without the time column (the only one that may differ).
rows() { grep -v '^#' "$1" | tail -n +2 | sort -t, -k1,1n | cut -d, -f1-14,16-; }

cat > "$tmp/x.cfg" <<'CFG'
# small synthetic experiment
trials = 10;
seed = 5;
registration = { max_evals = 200; levels = 1; };
methods = ( { name = "powell"; optimizer = "powell"; }, { name = "nm"; optimizer = "nelder-mead"; } );
start = { bins_mm = [0.0, 3.0, 6.0]; };
CFG

check "experiment help" 0 "$camreg" experiment --help
check "run help" 0 "$camreg" experiment run --help
check "no subcommand" 2 "$camreg" experiment
check "unknown subcommand" 2 "$camreg" experiment walk
check "run without -o" 2 "$camreg" experiment run "$tmp/x.cfg"
check "bad shard" 2 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/o" --shard 3/2
expect_err "bad shard" "\-\-shard"
check "missing config" 1 "$camreg" experiment run "$tmp/none.cfg" -o "$tmp/o"
expect_err "missing config" "none.cfg"
printf 'trials = 3;\nviews = {\n  distance_mm = [150.0, 300.0];\n  colour = 1;\n};\n' > "$tmp/bad.cfg"
check "unknown key" 1 "$camreg" experiment run "$tmp/bad.cfg" -o "$tmp/o"
expect_err "unknown key" "bad.cfg:4: colour: unknown key"
printf 'trials = 3;\nvolume = "missing_brain.nii.gz";\n' > "$tmp/bad2.cfg"
check "missing volume" 1 "$camreg" experiment run "$tmp/bad2.cfg" -o "$tmp/o"
expect_err "missing volume" "bad2.cfg:2: volume: file not found"
printf 'trials = 3;\ntrial = "registration";\n' > "$tmp/bad3.cfg"
check "registration without a volume" 1 "$camreg" experiment run "$tmp/bad3.cfg" -o "$tmp/o"
expect_err "registration without a volume" "needs a volume"
[ -e "$tmp/o" ] && { echo "FAIL: a config error left an output folder"; fails=$((fails + 1)); }

# Full run, then a run cut after 7 trials with a half-written row, then resumed.
check "full run" 0 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/full" --threads 2
grep -q "^powell " "$tmp/out" || { echo "FAIL: run prints no summary"; fails=$((fails + 1)); }
check "cut run" 0 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/cut" --limit 7
printf '15,7,nm,0,3,6,4.2' >> "$tmp/cut/results.csv"
check "resumed run" 0 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/cut" --threads 2
expect_err "resumed run" "13 trials run now (0 failed), 7 resumed"
[ "$(rows "$tmp/full/results.csv")" = "$(rows "$tmp/cut/results.csv")" ] ||
  { echo "FAIL: resumed rows differ from the full run"; fails=$((fails + 1)); }
[ "$(grep -v '^#' "$tmp/cut/results.csv" | tail -n +2 | cut -d, -f1 | sort -n | uniq -d)" = "" ] ||
  { echo "FAIL: a trial appears twice"; fails=$((fails + 1)); }
cmp -s "$tmp/x.cfg" "$tmp/full/config.cfg" || { echo "FAIL: config not kept beside the results"; fails=$((fails + 1)); }

# Shards into one folder, merged.
check "shard 1/3" 0 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/sh" --shard 1/3
check "shard 2/3" 0 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/sh" --shard 2/3
check "summary before merge" 1 "$camreg" experiment summary "$tmp/sh"
expect_err "summary before merge" "merge"
check "merge with a shard missing" 1 "$camreg" experiment merge "$tmp/sh" -o "$tmp/m"
expect_err "missing shard" "trial 2 is missing"
check "shard 3/3" 0 "$camreg" experiment run "$tmp/x.cfg" -o "$tmp/sh" --shard 3/3
check "merge" 0 "$camreg" experiment merge "$tmp/sh" -o "$tmp/m"
[ "$(rows "$tmp/full/results.csv")" = "$(rows "$tmp/m/results.csv")" ] ||
  { echo "FAIL: merged shards differ from the unsharded run"; fails=$((fails + 1)); }
check "merge in place" 0 "$camreg" experiment merge "$tmp/sh" -o "$tmp/sh"
check "merge in place again" 0 "$camreg" experiment merge "$tmp/sh" -o "$tmp/sh"
cmp -s "$tmp/m/results.csv" "$tmp/sh/results.csv" || { echo "FAIL: in-place merge differs"; fails=$((fails + 1)); }
check "summary" 0 "$camreg" experiment summary "$tmp/m"
[ "$(grep -c -E '^(powell|nm) +10 ' "$tmp/out")" = 2 ] || { echo "FAIL: summary rows"; cat "$tmp/out"; fails=$((fails + 1)); }
check "merge twice the same shard" 1 "$camreg" experiment merge "$tmp/sh" "$tmp/sh/results-shard1-of-3.csv" -o "$tmp/m2"
expect_err "duplicate" "more than once"

# Figures (scripts/test.sh installs gnuplot-nox).
script="$(dirname "$0")/../scripts/figures/make_figures.sh"
check "figures" 0 bash "$script" "$tmp/m"
for f in mtre_scatter success_rate time_per_method; do
  [ -s "$tmp/m/$f.png" ] || { echo "FAIL: no $f.png"; fails=$((fails + 1)); }
done

[ "$fails" = 0 ] && echo "all experiment CLI checks passed"
exit $((fails > 0))

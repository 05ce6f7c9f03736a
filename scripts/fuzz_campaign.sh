#!/usr/bin/env bash
# A long fuzzing campaign in the background (the issue's "2 hours of CPU time"):
#   scripts/fuzz_campaign.sh UNTIL_EPOCH LOG_DIR MINUTES LANE_HARNESSES...
# Runs the harnesses of one lane in turn (e.g. "nifti render image"), MINUTES each, until
# the time UNTIL_EPOCH (date +%s), at nice 19, from a snapshot of the libFuzzer binaries
# (build-fuzz/snap/, refreshed by copying new builds there: a run in progress keeps its
# binary). libFuzzer's fork mode with -ignore_crashes keeps going after a finding (the
# input is saved in build-fuzz/crashes/HARNESS/); each run's log is appended to
# LOG_DIR/HARNESS.log, and LOG_DIR/campaign.log gets one line per run with its CPU time.
# Start two lanes at most on a 2-core machine. Harnesses without a binary are skipped.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
until_epoch="$1" logs="$2" minutes="$3"
shift 3
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
export OMP_NUM_THREADS=1
TIMEFORMAT='%U %S %R'
while :; do
  for h in "$@"; do
    left=$((until_epoch - $(date +%s)))
    [ "$left" -lt 60 ] && exit 0
    bin="$root/build-fuzz/snap/fuzz_$h"
    [ -x "$bin" ] || continue
    secs=$((minutes * 60))
    [ "$secs" -gt "$left" ] && secs="$left"
    corpus="$root/build-fuzz/corpus/$h" crashes="$root/build-fuzz/crashes/$h"
    mkdir -p "$corpus" "$crashes"
    cp -n "$root/fuzz/corpus/$h/"* "$corpus/" 2>/dev/null
    dict=()
    [ -f "$root/fuzz/dict/$h.dict" ] && dict=(-dict="$root/fuzz/dict/$h.dict")
    echo "=== $(date -u +%FT%TZ) start $h for ${secs}s ($(sha1sum "$bin" | cut -c1-12))" >>"$logs/$h.log"
    t=$( { time nice -n 19 "$bin" "${dict[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
        -ignore_ooms=1 -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$crashes/" "$corpus" >>"$logs/$h.log" 2>&1; } 2>&1 )
    read -r u s w <<<"$t"
    last=$(grep -E "cov: [0-9]+" "$logs/$h.log" | tail -1)
    echo "$(date -u +%FT%TZ) $h user ${u}s sys ${s}s wall ${w}s crashes $(ls "$crashes" | wc -l) last: $last" >>"$logs/campaign.log"
  done
done

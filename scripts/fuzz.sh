#!/usr/bin/env bash
# Fuzzes every camreg reader with libFuzzer (fuzz/fuzz_*.c; fuzz/README.md).
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
# Builds the harnesses with clang, AddressSanitizer and UndefinedBehaviorSanitizer (with
# float-cast-overflow) into build-fuzz/, then runs each harness (all by default: nifti
# image camera pose landmarks mesh itk expconfig render, and rig when present) for
# SECONDS (default 60) on its own working corpus (build-fuzz/corpus/HARNESS, seeded from
# fuzz/corpus/HARNESS) with its dictionary (fuzz/dict/HARNESS.dict). Logs (libFuzzer's
# "#N ... cov: ft: exec/s" lines) go to $CAMREG_FUZZ_LOGS (default build-fuzz/logs);
# a crashing input is saved as build-fuzz/crashes/HARNESS/crash-*: copy it into
# fuzz/regressions/HARNESS/ once fixed (the ctest test fuzz_replay_HARNESS replays it).
# One process per harness, in turn, at the nice level $CAMREG_FUZZ_NICE (default 10).
# Exit status 1 if any harness found a crash, a leak, a timeout or a sanitizer report.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds="${1:-60}"
shift || true
apt_ensure clang libclang-rt-14-dev libomp-14-dev
build_dir="$CAMREG_ROOT/build-fuzz"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$CAMREG_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCAMREG_FUZZ=ON >"$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log" >&2; exit 1; }
fi
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$CAMREG_ROOT"/fuzz/fuzz_*.c; do
    h="$(basename "$f" .c)"; h="${h#fuzz_}"
    [ "$h" = common ] || harnesses+=("$h")
  done
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
log "building ${targets[*]}"
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >"$build_dir/fuzz-build.log" 2>&1 ||
  { grep -E "error" "$build_dir/fuzz-build.log" | head -20 >&2; log "build failed: $build_dir/fuzz-build.log"; exit 1; }
logs="${CAMREG_FUZZ_LOGS:-$build_dir/logs}"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$CAMREG_ROOT/fuzz/lsan.supp:print_suppressions=0"
export OMP_NUM_THREADS=1
status=0
for h in "${harnesses[@]}"; do
  corpus="$build_dir/corpus/$h"
  crashes="$build_dir/crashes/$h"
  mkdir -p "$corpus" "$crashes"
  cp -n "$CAMREG_ROOT/fuzz/corpus/$h/"* "$corpus/" 2>/dev/null || true
  dict=()
  [ -f "$CAMREG_ROOT/fuzz/dict/$h.dict" ] && dict=(-dict="$CAMREG_ROOT/fuzz/dict/$h.dict")
  log "fuzzing $h for ${seconds}s (log: $logs/$h.log)"
  # -rss_limit_mb: a reader must refuse a memory bomb before allocating it; -timeout: no
  # input may take longer than 10 s (a hang is a finding); -max_len 64 KiB covers the seeds.
  if ! nice -n "${CAMREG_FUZZ_NICE:-10}" "$build_dir/fuzz/fuzz_$h" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >>"$logs/$h.log" 2>&1; then
    log "$h: FOUND A PROBLEM (see $logs/$h.log and $crashes/)"
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$logs/$h.log" | tail -2 >&2 || true
done
exit $status

#!/usr/bin/env bash
# Runs one camreg experiment as N shards with GNU parallel, on this machine or on
# several machines over ssh, then merges the shards and prints the summary.
#
#   scripts/parallel_example.sh CONFIG OUTDIR [N_SHARDS] [-- extra GNU parallel options]
#
# Examples:
#   # 4 shards on this machine, one thread each:
#   scripts/parallel_example.sh experiments/configs/demo.cfg out/demo-par 4
#   # 8 shards over two machines that see the same folder (NFS) and the same camreg:
#   scripts/parallel_example.sh experiments/configs/metrics.cfg /shared/out/metrics 8 -- -S 4/host1,4/host2
#
# The shards write OUTDIR/results-shardK-of-N.csv; a shard that was interrupted resumes
# when this script is run again. The merged OUTDIR/results.csv equals a single run.
# Needs GNU parallel (Debian package "parallel"). CAMREG names the program (default:
# build/cli/camreg of this repository).
set -euo pipefail
config="${1:?usage: parallel_example.sh CONFIG OUTDIR [N] [-- parallel options]}"
out="${2:?usage: parallel_example.sh CONFIG OUTDIR [N] [-- parallel options]}"
n="${3:-4}"
shift $(( $# >= 3 ? 3 : $# ))
[ "${1:-}" = "--" ] && shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
camreg="${CAMREG:-$root/build/cli/camreg}"
command -v parallel >/dev/null || { echo "parallel_example.sh: GNU parallel not installed (apt-get install parallel)" >&2; exit 1; }
mkdir -p "$out"
# Absolute paths, so that remote workers (-S) find the files in the shared folder.
config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
out="$(cd "$out" && pwd)"
seq 1 "$n" | OMP_NUM_THREADS=1 parallel --line-buffer --halt now,fail=1 "$@" \
  "$camreg" experiment run "$config" -o "$out" --shard {}/"$n" --threads 1
"$camreg" experiment merge "$out" -o "$out"
"$camreg" experiment summary "$out"

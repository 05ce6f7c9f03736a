#!/usr/bin/env bash
# Runs one camreg experiment across a Slurm cluster as a job array: array task K of N
# runs shard K/N of the trials into a shared output folder; a last job merges the
# shards and prints the summary. Trials are pure functions of (config, index, seed), so
# the merged CSV equals a single-machine run. A task that dies (node failure, time
# limit) resumes its shard when resubmitted: completed trials are skipped.
#
#   sbatch --array=1-16 scripts/slurm_array.sh experiments/configs/metrics.cfg /shared/out/metrics
#   # after all tasks have finished (or chain it: see below):
#   camreg experiment merge /shared/out/metrics -o /shared/out/metrics
#   camreg experiment summary /shared/out/metrics
#   bash scripts/figures/make_figures.sh /shared/out/metrics
#
# Chained submission of the merge after the array:
#   jid=$(sbatch --parsable --array=1-16 scripts/slurm_array.sh CFG OUT)
#   sbatch --dependency=afterok:$jid --wrap "camreg experiment merge OUT -o OUT"
#
# Each task runs its trials in parallel on its CPUs (--cpus-per-task sets the threads).
# CAMREG (default: build/cli/camreg beside this script's repository) names the program.
#SBATCH --job-name=camreg-exp
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --output=camreg-exp-%A_%a.log
set -euo pipefail
config="${1:?usage: sbatch --array=1-N slurm_array.sh CONFIG OUTDIR}"
out="${2:?usage: sbatch --array=1-N slurm_array.sh CONFIG OUTDIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
camreg="${CAMREG:-$root/build/cli/camreg}"
k="${SLURM_ARRAY_TASK_ID:?not in a Slurm job array (use sbatch --array=1-N)}"
n="${SLURM_ARRAY_TASK_COUNT:?}"
# Array indices must be 1..N without gaps (--array=1-N).
threads="${SLURM_CPUS_PER_TASK:-1}"
export OMP_NUM_THREADS="$threads"
exec "$camreg" experiment run "$config" -o "$out" --shard "$k/$n" --threads "$threads"

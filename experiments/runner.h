// The experiment runner: every trial of a config (or of one shard), in parallel over
// trials (OpenMP; each trial single-threaded inside), one CSV row appended as each
// trial completes, resuming from an existing CSV.
//
// The per-trial work is a trial kind (trial_kinds.h): a trial spec in, the final pose
// out; the runner times it and evaluates it (evaluate.h) against the trial's ground truth, so
// row contents depend only on (config, trial index, seed) and never on scheduling
// (except the time_s column). Rows may appear in any order; merge and summary sort.
#ifndef CR_EXP_RUNNER_H
#define CR_EXP_RUNNER_H

#include "experiments/config.h"
#include "experiments/evaluate.h"
#include "experiments/results.h"
#include "experiments/trial.h"
#include "experiments/trial_kinds.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_exp_run_options {
  int shard_k, shard_n;     // this run does trials t with t % shard_n == shard_k - 1 (1/1)
  int threads;              // OpenMP threads over trials (0 = OpenMP's default)
  long max_new;             // stop after this many new rows (0 = no limit; tests)
  cr_exp_trial_fn trial_fn; // NULL = by cfg->trial_kind
  void *trial_ctx;
  // Called after each row (serialized, outside the trial work); may be NULL.
  void (*progress)(long done, long total, void *ctx);
  void *progress_ctx;
} cr_exp_run_options;

// Defaults: shard 1/1, OpenMP's thread count, no limit, trial by kind, no progress.
cr_exp_run_options cr_exp_run_defaults(void);

typedef struct cr_exp_run_stats {
  long total;   // trials of this shard
  long resumed; // rows found from an earlier run
  long run;     // rows added now
  long failed;  // of those, trials that returned an error status
  char csv_path[CR_EXP_PATH_MAX];
} cr_exp_run_stats;

// The CSV of a run: DIR/results.csv (1/1) or DIR/results-shardK-of-N.csv.
void cr_exp_results_path(const char *dir, int shard_k, int shard_n, char *out, size_t cap);

// Copies a file (atomically at dst). CR_EIO naming the file on failure.
int cr_exp_copy_file(const char *src, const char *dst);

// Runs (or resumes) the experiment into folder out_dir (created if missing): copies the
// config to DIR/config.cfg (atomically) and appends rows to the CSV. Returns 0 when the
// shard is complete (or max_new rows were added), else the first error (I/O) with its
// message; trial failures are rows, not errors.
int cr_exp_run(const cr_exp_config *cfg, const char *out_dir, const cr_exp_run_options *opt,
               cr_exp_run_stats *stats);

#ifdef __cplusplus
}
#endif
#endif

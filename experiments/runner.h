// The experiment runner: every trial of a config (or of one shard), in parallel over
// trials (OpenMP; each trial single-threaded inside), one CSV row appended as each
// trial completes, resuming from an existing CSV.
//
// The per-trial work is a function pointer: a trial spec in, the final pose out; the
// runner times it and evaluates it (evaluate.h) against the trial's ground truth, so
// row contents depend only on (config, trial index, seed) and never on scheduling
// (except the time_s column). Rows may appear in any order; merge and summary sort.
#ifndef CR_EXP_RUNNER_H
#define CR_EXP_RUNNER_H

#include "core/image.h"
#include "experiments/config.h"
#include "experiments/results.h"
#include "experiments/trial.h"

#ifdef __cplusplus
extern "C" {
#endif

// What a trial function returns besides its status.
typedef struct cr_exp_outcome {
  cr_pose final; // registered cam_from_world
  long evals;    // cost-function (metric) evaluations
} cr_exp_outcome;

// The work of one trial. Must be a pure function of its inputs (draw randomness only
// from trial->method_seed), must not write shared state, and must be safe to call from
// several threads at once (scene and cfg are shared, read-only). Returns 0 or a
// negative cr_status (the row then records the status and the start pose).
typedef int (*cr_exp_trial_fn)(const cr_exp_config *cfg, const cr_exp_scene *scene,
                               const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);

// Hook for the appearance model (photo synthesis, not part of this module yet): makes
// the synthetic photo of a trial (seen at trial->gt by scene->camera, with the strengths
// in cfg->photo) and its mask; the registration trial calls it.
typedef int (*cr_exp_synth_fn)(const cr_exp_config *cfg, const cr_exp_scene *scene,
                               const cr_exp_trial *trial, void *ctx, cr_image **photo,
                               cr_image **mask);

// Built-in trials. identity: returns the start pose (0 evaluations): the runner's own
// test. synthetic: minimizes the mean reprojection distance (px) of the targets between
// the candidate pose and the ground truth with the method's optimizer (pose parameters
// of registration/param.h about the target centroid, steps 2 deg / 2 mm, budget
// max_evals * levels): exercises optimizers and evaluation without rendering.
int cr_exp_trial_identity(const cr_exp_config *cfg, const cr_exp_scene *scene,
                          const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);
int cr_exp_trial_synthetic(const cr_exp_config *cfg, const cr_exp_scene *scene,
                           const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);
// registration: the real trial. Synthesizes the photo of the sample at the ground truth
// (experiments/synth.h, strengths from cfg->photo, opening radius opening_mm / 2), builds
// the render cost (registration/render_cost.h: the method's render mode, metric and
// levels) and registers from the start pose (registration/register.h: the method's
// optimizer, max_evals per level and start, restarts + 1 starts, pivot = centroid of the
// surface seen at the start pose). Needs a volume. Allocates (photo, renderer, metric).
int cr_exp_trial_registration(const cr_exp_config *cfg, const cr_exp_scene *scene,
                              const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);
// The trial function for cfg->trial_kind ("identity", "synthetic", "registration").
int cr_exp_trial_lookup(const char *kind, cr_exp_trial_fn *fn);

// Fills a row: trial ids, bin, errors of `final` (or of the start pose if status != 0)
// against the ground truth over the trial's targets, success (final mTRE < success_mm).
void cr_exp_evaluate_row(const cr_exp_config *cfg, const cr_exp_scene *scene,
                         const cr_exp_trial *trial, int status, const cr_exp_outcome *out,
                         double time_s, cr_exp_row *row);

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

// The trial context of registration trials (cr_exp_trial_registration's ctx, may be NULL):
// the first `n_images` trials also write DIR/images/trial_NNNN_photo.png (the synthetic
// photo) and trial_NNNN_overlay.png (the prepared photo with the registered render's
// edges in red), from which scripts/figures/make_figures.sh draws a montage.
typedef struct cr_exp_image_options {
  char dir[4096];
  long n_images;
} cr_exp_image_options;

// Defaults: shard 1/1, OpenMP's thread count, no limit, trial by kind, no progress.
cr_exp_run_options cr_exp_run_defaults(void);

typedef struct cr_exp_run_stats {
  long total;     // trials of this shard
  long resumed;   // rows found from an earlier run
  long run;       // rows added now
  long failed;    // of those, trials that returned an error status
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

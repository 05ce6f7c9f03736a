// Trial kinds: what one trial of an experiment does with its spec (experiments/trial.h).
// A kind is one function in a file of its own (trial_identity.c, trial_synthetic.c,
// trial_registration.c) and one row of the table in trial_kinds.c; the runner
// (runner.h) times and evaluates whatever the kind returns.
#ifndef CR_EXP_TRIAL_KINDS_H
#define CR_EXP_TRIAL_KINDS_H

#include "experiments/config.h"
#include "experiments/trial.h"

#ifdef __cplusplus
extern "C" {
#endif

// What a trial function returns besides its status.
typedef struct cr_exp_outcome {
  cr_pose final;  // registered cam_from_world
  long evals;     // cost-function (metric) evaluations
  double seconds; // wall time of the method's own work (building the cost, registering), the
                  // CSV's time_s; 0: the runner times the whole trial (drawing, photo included)
} cr_exp_outcome;

// The work of one trial. Must be a pure function of its inputs (draw randomness only
// from trial->method_seed and trial->photo_seed), must not write shared state, and must
// be safe to call from several threads at once (scene and cfg are shared, read-only).
// Returns 0 or a negative cr_status (the row then records the status and the start pose).
typedef int (*cr_exp_trial_fn)(const cr_exp_config *cfg, const cr_exp_scene *scene,
                               const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);

// identity: returns the start pose (0 evaluations): the runner's own test.
int cr_exp_trial_identity(const cr_exp_config *cfg, const cr_exp_scene *scene,
                          const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);
// synthetic: minimizes the mean reprojection distance (px) of the targets between the
// candidate pose and the ground truth with the method's optimizer (pose parameters of
// registration/param.h about the target centroid, steps 2 deg / 2 mm, budget
// max_evals * levels): exercises optimizers and evaluation without rendering.
int cr_exp_trial_synthetic(const cr_exp_config *cfg, const cr_exp_scene *scene,
                           const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);
// registration: the real trial. Synthesizes the photos of the method's view set
// (experiments/view_set.h: the reference camera, plus a stereo or tracked second view) at
// the ground truth from one scene (experiments/synth.h, strengths from cfg->photo, opening
// radius opening_mm / 2), builds the method's cost over those views (registration/cost.h,
// each with its cam_from_ref) and registers from the start pose (registration/pipeline.h:
// pivot = centroid of the surface seen at the start pose). Its time is that of building
// the cost and registering. Needs a volume. Allocates (photos, renderer, metric).
// ctx: cr_exp_image_options or NULL.
int cr_exp_trial_registration(const cr_exp_config *cfg, const cr_exp_scene *scene,
                              const cr_exp_trial *trial, void *ctx, cr_exp_outcome *out);

// The trial context of registration trials (may be NULL): the first `n_images` trials
// also write DIR/images/trial_NNNN_photo.png (the synthetic photo) and
// trial_NNNN_overlay.png (the prepared photo with the registered render's edges in red),
// from which scripts/figures/make_figures.sh draws a montage.
typedef struct cr_exp_image_options {
  char dir[4096];
  long n_images;
} cr_exp_image_options;

// The trial function of a kind ("identity", "synthetic", "registration"); CR_EINVAL with
// the known names otherwise.
int cr_exp_trial_lookup(const char *kind, cr_exp_trial_fn *fn);

#ifdef __cplusplus
}
#endif
#endif

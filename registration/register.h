// The registration loop on a generic cost: multi-resolution (coarse to fine), multi-start
// (seeded perturbations, best kept), an optional working-distance prior, evaluation
// counting, timing per level and a JSON report. The cost (render + metric, or anything
// else) comes in as a callback, so the loop is testable without a renderer.
#ifndef CR_REG_REGISTER_H
#define CR_REG_REGISTER_H

#include "core/camera.h"
#include "core/pose.h"
#include "optim/optimizer.h"
#include "registration/param.h"
#include "registration/pyramid.h"

#ifdef __cplusplus
extern "C" {
#endif

// Cost of the reference camera's pose cam_from_world at pyramid level `level` (images
// downsampled by 2^level; the cost knows its own cameras, e.g. cr_reg_level_camera).
// Lower is better. Return 0, or a negative cr_status to abort the registration (the
// message stays in cr_last_error()).
typedef int (*cr_reg_cost_fn)(int level, const cr_pose *cam_from_world, void *ctx, double *cost);

// Called after each (level, start) optimization, e.g. for a progress line.
typedef void (*cr_reg_progress_fn)(void *ctx, int level, int start, int evals_total, double cost);

typedef struct cr_reg_options {
  const cr_opt_type *optimizer; // NULL = cr_opt_nelder_mead
  int levels;                   // pyramid levels, 1..CR_REG_MAX_LEVELS (default 3)
  double step_deg, step_mm;     // initial optimizer step at level 0 (default 2 deg, 2 mm);
                                // doubled per coarser level
  double xtol;                  // parameter tolerance at level 0 (deg or mm, default 0.01);
                                // doubled per coarser level
  int max_evals;                // budget per start at the coarsest level; each finer level
                                // gets half of the one above (at least 40): fine renders
                                // cost 4x more and start close to the optimum (default 400)
  int starts; // starts at the coarsest level (default 3), 1 = the initial pose only
  double start_rot_deg, start_trans_mm; // size of the perturbation of starts 2.. (5, 5)
  unsigned long seed;                   // starts' perturbations and CMA-ES
  double pivot_world[3];                // the pivot P (world mm); see docs/design.md
  double prior_distance_mm;             // working-distance prior: depth of P in the camera ...
  double prior_weight;                  // ... penalty weight * (z_cam(P) - distance)^2; 0 = off
  double fd_step;                       // BFGS finite-difference step (fraction of step; 0.25:
                                        // renders are not smooth below a fraction of a voxel)
  // Optional: makes the cost cheap near a pose (cr_reg_cost_linearize): called with the
  // pose each level's minimizer starts from, it returns 0 when later calls at that level
  // warp the render made there (registration/warp.h), > 0 when the cost renders every
  // pose anyway, < 0 on failure; NULL for `at` ends it. The minimizer then runs again from
  // its result, linearized there, until the pose moves less than 5 xtol or warp_rounds
  // runs were made; the result's cost comes from a render at its pose.
  // Not at the coarsest of several levels unless warp_coarsest: there the runs start from
  // the given pose, often far from the optimum, and a moved render is for nearby poses
  // (depth.cfg's local pipeline lost 8 of 64 stereo successes with it); the global stage's
  // runs start from refined hypotheses and set it.
  int (*linearize)(int level, const cr_pose *at, void *ctx);
  int warp_rounds, warp_coarsest;
  cr_reg_progress_fn progress; // may be NULL
  void *progress_ctx;
} cr_reg_options;

// The defaults above with the pivot at the origin: callers set pivot_world.
cr_reg_options cr_reg_defaults(void);

typedef struct cr_reg_level_stats {
  int level, width, height; // pyramid level and its image size
  int evals;                // cost calls at this level (all starts)
  double seconds;           // wall time at this level
  double cost;              // best cost (with prior) at the end of the level
} cr_reg_level_stats;

typedef struct cr_reg_result {
  cr_pose start, final; // cam_from_world
  double cost;          // final cost at level 0 including the prior penalty
  double prior_penalty; // the prior's part of `cost`
  int evals;            // all cost calls
  double seconds;       // total wall time
  int nlevels;          // entries in level[], in run order (coarse to fine)
  cr_reg_level_stats level[CR_REG_MAX_LEVELS];
  int best_start;              // 0 = the initial pose won at the coarsest level
  double inplane_px, along_mm; // final vs start: cr_reg_pose_change_split at the pivot
  double pivot_world[3];
  char optimizer[32];
} cr_reg_result;

// Registers: from cam_from_world_init, minimizes cost(camera of level, pose) + prior over
// the six parameters of param.h about opt->pivot_world, at levels L-1 .. 0. All starts
// run at the coarsest level; the best one continues. Deterministic for a fixed seed.
// CR_EINVAL for bad options (message names the option), CR_EINVAL if the pivot is not
// in front of the initial camera, or the callback's status.
int cr_reg_run(const cr_camera *camera, const cr_pose *cam_from_world_init, cr_reg_cost_fn cost,
               void *ctx, const cr_reg_options *opt, cr_reg_result *res);

// Writes the result as JSON (atomically): optimizer, final_cost, prior_penalty,
// evaluations, seconds, levels [{level, width, height, evaluations, seconds, cost}],
// start_pose and final_pose ({matrix: 4x4 rows, rvec, tvec}), best_start, pivot,
// pose_change {inplane_px, along_axis_mm}. `extra` (may be NULL) is a cJSON object
// whose items are added at the top level (e.g. the metric name, file names); it is
// not consumed.
struct cJSON;
int cr_reg_report_write(const char *path, const cr_reg_result *res, const struct cJSON *extra);
// The same report as a cJSON object (the caller cJSON_Deletes it), NULL when out of
// memory: for callers that hand the report on rather than write it (the Python module).
struct cJSON *cr_reg_report_json(const cr_reg_result *res, const struct cJSON *extra);

#ifdef __cplusplus
}
#endif
#endif

// The global stage of a registration (docs/design.md, "Global stage"): a coarse search
// over the pose before the local optimizer, for starts 10-40 mm off (a navigation system
// after patient movement) or no start at all (a look-at point and the focus distance).
//
// 1. Search: a grid of poses in a box about the pivot, scored by the method's cost on
//    coarse views (the pyramid level whose width is at most the method's global_width,
//    ~48 px): every roll (rotation about the optical axis) and in-plane translation of
//    the grid, and tilts in rings about the optical axis when global_tilt_deg > 0. With
//    a focus distance the depth of each grid pose is set from it (the camera moves along
//    its axis until the principal ray meets the surface at the reported distance), else
//    depth is a grid axis too. The in-plane translation is the narrow direction of the
//    cost (a basin of about +-5 mm on the demo, with local minima every few mm beyond),
//    so it is sampled densely; tilt and depth have broad basins and are left to the
//    refinement.
// 2. The start pose (not with a look-at point) and the best global_keep - 1 grid poses, at
//    least a grid step apart, are refined by the local optimizer on the coarse views
//    (global_evals each).
// 3. The best `starts` refined hypotheses, always including the start's, run as the starts
//    of the method's coarsest level (max_evals each); the lowest cost there continues.
// 4. With one view and global_depth_mm = s > 0 (4 mm by default), depth restarts: the
//    winner moved along its optical axis by 0, +-s and +-2s runs at the next finer level
//    (max_evals / 2 each; the unmoved run is the one that level makes without restarts)
//    and the lowest cost continues through the levels below as in cr_reg_run (max_evals /
//    4 each). One view's weak axis: a local optimizer that arrives at the wrong depth can
//    stay there; a second view pins depth, so none with several views.
// The search's samples, the refinements and the restarts run side by side, one per thread,
// each thread on a fork of the cost (cr_reg_cost_fork), and are combined in order:
// deterministic, the same pose for any number of threads (renders and metrics are
// thread-count independent). Inside a parallel region, one thread.
#ifndef CR_REG_GLOBAL_H
#define CR_REG_GLOBAL_H

#include "core/pose.h"
#include "core/volume.h"
#include "registration/cost.h"
#include "registration/method.h"
#include "registration/pipeline.h"
#include "registration/register.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_global_hypothesis {
  cr_pose grid;        // the grid pose (cam_from_world)
  double score;        // its cost on the coarse views
  cr_pose refined;     // after refinement on the coarse views
  double refined_cost; // its cost there
  double level_cost;   // its cost after the run at the method's coarsest level (NaN: not run)
  int features;        // 1: from feature correspondences (score: its cost at the search level)
} cr_reg_global_hypothesis;

typedef struct cr_reg_global_result {
  int level, width, height; // the search level and its view size
  long n_grid;              // grid poses scored
  long evals;               // cost calls of the search and the refinements
  double seconds_search;    // wall time of the grid search
  double seconds_refine;    // of the refinements on the coarse views
  double box_tilt_deg, box_roll_deg, box_mm, box_depth_mm; // the searched box (half-widths;
                                                           // depth 0: from the focus)
  int n;                                                   // hypotheses kept
  cr_reg_global_hypothesis hyp[CR_REG_GLOBAL_MAX_KEEP];    // the start (start_kept), then by
                                                           // grid score, best first
  int start_kept;                                          // 1: hyp[0] is the start pose
  int feature_matches, feature_inliers; // global_features: matches on the surface, inliers
  int winner;                           // index of the winning hypothesis
  // depth restarts (step 4 of the header; n_depth 0: not run): the winner moved forward
  // along its optical axis by depth_mm[i] (mm, + towards the surface) and run at
  // depth_level; its cost and evaluations there; the lowest cost continued
  int n_depth, depth_level, depth_winner;
  double depth_mm[CR_REG_DEPTH_RESTARTS], depth_cost[CR_REG_DEPTH_RESTARTS];
  int depth_evals[CR_REG_DEPTH_RESTARTS];
  int look_at;             // 1: no start pose, a look-at point
  double look_at_world[3]; // the point (the pivot)
} cr_reg_global_result;

// The pyramid level whose view width is at most `width` px for a camera `camera_width`
// wide (at least 1 level; the cost builds this many + 1 levels when the method is global).
int cr_reg_global_level(int camera_width, int width);

// Runs the global stage and the local pipeline from its hypotheses (the header above) on
// `cost` (built with the method `m`), from `start` about ro->pivot_world (resolved by
// cr_reg_register). With ro->look_at the box is the look-at one: tilt up to
// ro->look_at_cone_deg, any roll, in-plane translation +-ro->look_at_mm, depth from the
// focus distance. `g` (may be NULL) receives the hypotheses. Errors: an empty box
// (CR_EINVAL), no grid pose that sees the volume (CR_EEMPTY), or the cost's status.
int cr_reg_global_register(cr_reg_cost *cost, const cr_reg_method *m, const cr_pose *start,
                           const cr_reg_register_options *ro, cr_reg_global_result *g,
                           cr_reg_result *res);

// The start of a registration without a start pose: the camera at `distance_mm` from the
// world point `look_at` along the outward surface normal there, looking at it. The normal
// is the gradient of the volume smoothed at 6 mm (outward = towards lower intensity).
// Errors (CR_EINVAL, with the point in the message): the point outside the volume, or no
// surface (the iso level `iso`) within 10 mm of it; a distance that is not > 0.
int cr_reg_look_at_start(const cr_volume *vol, double iso, const double look_at[3],
                         double distance_mm, cr_pose *start, double normal[3]);

// The hypotheses as a cJSON array (for the report): grid pose, score, refined pose and
// costs, and which one won; NULL if out of memory.
struct cJSON;
struct cJSON *cr_reg_global_json(const cr_reg_global_result *g);

#ifdef __cplusplus
}
#endif
#endif

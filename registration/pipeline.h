// One place that runs a registration from a method: `camreg register`, `landscape`,
// `bench-registration` and the experiments' registration trials all build the cost with
// cr_reg_cost_new(method, ...) and run it with cr_reg_register, so a method behaves the
// same wherever it is named.
#ifndef CR_REG_PIPELINE_H
#define CR_REG_PIPELINE_H

#include "core/pose.h"
#include "registration/cost.h"
#include "registration/method.h"
#include "registration/register.h"

#ifdef __cplusplus
extern "C" {
#endif

// What belongs to one registration rather than to the method.
typedef struct cr_reg_register_options {
  int have_pivot;              // 1: pivot_world is given; 0: cr_reg_cost_pivot at the start pose
  double pivot_world[3];       // rotation centre (world mm)
  double prior_distance_mm;    // working distance for the method's prior_weight (camera depth
                               // of the pivot, mm); used only when prior_weight > 0
  double focus_distance_mm;    // the microscope's focus distance (mm, > 0), 0 = none: turns on
                               // the focus prior (cr_reg_cost_set_focus)
  double focus_sigma_mm;       // its stated error (mm, > 0)
  int have_light;              // 1: every view lit by one point light (cr_reg_cost_set_light)
  double light_at[3];          // at this position, reference camera frame (mm; 0, 0, 0: at the
                               // reference camera, a stereo microscope's shared light)
  cr_reg_progress_fn progress; // may be NULL
  void *progress_ctx;
  // global stage (registration/global.h; runs when the method's `global` key is on or
  // look_at is set)
  int look_at;             // 1: no start pose: the start looks at pivot_world (which must
                           // be given) from its surface normal (cr_reg_look_at_start)
  double look_at_mm;       // how far the look-at point may be from the viewed point
  double look_at_cone_deg; // how far the view may be from the surface normal
  struct cr_reg_global_result *global; // may be NULL: receives the global stage's hypotheses
  // called during the global search with the grid poses scored of the total
  void (*global_progress)(void *ctx, long done, long total);
} cr_reg_register_options;

// No pivot (automatic), no working distance, no progress; look-at tolerances 5 mm, 40 deg.
cr_reg_register_options cr_reg_register_defaults(void);

// The loop options of a method (registration/register.h) with the pivot and prior distance
// of `ro` (may be NULL: defaults).
cr_reg_options cr_reg_method_loop_options(const cr_reg_method *m,
                                          const cr_reg_register_options *ro);

// Registers: the pivot (given, or the centroid of the surface the reference view sees at
// the start pose), a check that every view sees part of the volume inside its mask at the
// start pose (CR_EEMPTY naming the view otherwise), then cr_reg_run on cr_reg_cost_eval
// with the loop options of `m` (the method the cost was built with). With the method's
// `global` key or ro->look_at, the global stage runs first (registration/global.h).
int cr_reg_register(cr_reg_cost *cost, const cr_reg_method *m, const cr_pose *start,
                    const cr_reg_register_options *ro, cr_reg_result *res);

// The report items a pipeline run adds to cr_reg_report_write's (its `extra`, a cJSON
// object the caller cJSON_Deletes; NULL when out of memory): "metric" and "mode" names,
// "method" (every method key with its value as cr_reg_method_set takes it) and, when
// `ro` gave a focus distance, "focus" {reported_mm, sigma_mm, start_mm, final_mm,
// final_penalty} measured on `cost` at res->start and res->final. `camreg register` adds
// the file names; the Python module returns it as the report dict.
struct cJSON;
struct cJSON *cr_reg_register_report_extra(cr_reg_cost *cost, const cr_reg_method *m,
                                           const cr_reg_register_options *ro,
                                           const cr_reg_result *res);

#ifdef __cplusplus
}
#endif
#endif

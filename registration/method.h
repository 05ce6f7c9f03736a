// A registration method: everything that says HOW a photo is registered (render mode and
// its settings, photo preparation, metric and its options, optimizer, pyramid, starts,
// budget, steps, tolerance, priors), as one plain struct with one defaults function.
//
// The CLI (`camreg register`, `landscape`, `bench-registration`) and experiment configs
// set it through the same key table: `--max-evals 500` on the command line and
// `max_evals = 500;` (or `max-evals`) in a config's method group call
// cr_reg_method_set(m, "max-evals", "500"). A key added to the table is at once a CLI
// option, a config key and a line of `--help`, whose default is printed from
// cr_reg_method_defaults() so the help cannot drift from the code.
//
// What a registration is run ON (volume or mesh, views with cameras, photos, masks) is
// not part of the method: see registration/pipeline.h.
#ifndef CR_REG_METHOD_H
#define CR_REG_METHOD_H

#include <stddef.h>
#include <stdio.h>

#include "metrics/metric.h"
#include "optim/optimizer.h"
#include "registration/prepare.h"
#include "render/render.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CR_REG_GLOBAL_MAX_KEEP 64 // hypotheses the global stage can keep
#define CR_REG_DEPTH_RESTARTS 5   // the global stage's depth restarts: 0, +-s, +-2s

// Samplers of the global stage (registration/global.h).
enum { CR_REG_SAMPLER_SHIFT = 0, CR_REG_SAMPLER_GRID = 1 };

typedef struct cr_reg_method {
  // rendering (render/render.h); each value replaces the mode's own default
  const cr_render_mode_type *mode; // default surface
  double iso;                      // surface level; NaN = automatic (Otsu)
  double render_step_mm;           // ray sampling step; 0 = smallest voxel size
  double surface_smooth_mm;        // Gaussian sigma of the field whose isosurface is found
  double probe_depth_mm;           // probe shell thickness (probe mode, mesh probe)
  int probe_mean;                  // probe: mean instead of max
  int probe_normal;                // probe: along the inward normal instead of the ray
  int mesh_smooth_iterations;      // mesh mode: Taubin iterations of the built cortex mesh
  int mesh_probe;                  // mesh mode: shade by per-vertex probe scalars
  // photo (and render) preparation
  cr_reg_prep_options prep;
  // similarity
  const cr_metric_type *metric; // default ngf
  cr_metric_options metric_opt;
  // optimizer and schedule (registration/register.h)
  const cr_opt_type *optimizer; // default nelder-mead
  int levels;                   // pyramid levels
  int max_evals;                // budget per start at the coarsest level, halved per finer level
  int starts;                   // starts at the coarsest level (1 = the start pose only)
  double start_rot_deg, start_trans_mm; // perturbation of starts 2..
  double step_deg, step_mm;             // initial optimizer step at full resolution
  double xtol;                          // parameter tolerance (deg or mm) at full resolution
  double fd_step;                       // BFGS finite-difference step, fraction of the step
  unsigned long seed;                   // starts' perturbations and stochastic optimizers
  // working-distance prior: weight * (camera z of the pivot - distance)^2, 0 = off; the
  // distance is the photo's, not the method's (cr_reg_register_options)
  double prior_weight;
  // focus prior: weight * ((focus distance - reported) / sigma)^2 when a focus distance is
  // given (cr_reg_register_options); the distance and sigma are the photo's
  double focus_weight;
  // coverage: a view's similarity counts the mask pixels the render misses as unrelated
  // (1, the default), instead of averaging over the pixels it hits (0); see cost.h
  int coverage;
  // photo consistency (registration/consistency.h), two or more views: the cost adds
  // consistency_weight * (1 - tile correlation of view 0's photo with view k's photo at the
  // surface points view 0's render sees), for each k >= 1; 0 = off. Tiles of
  // consistency_tile_px at full resolution (halved per level, at least 4).
  double consistency_weight;
  int consistency_tile_px;
  // warped renders (registration/warp.h): at the method's levels (the local pipeline's
  // coarsest excepted) each local run minimizes on the render made at its start pose moved
  // to each pose asked for, renders again at its result and runs again while the rendered
  // cost falls, at most warp_rounds runs; 0 = every pose rendered.
  int warp_rounds;
  // global stage (registration/global.h): a coarse search before the local optimizer
  int global;                             // 1: run it
  int global_sampler;                     // CR_REG_SAMPLER_SHIFT or _GRID
  double global_box_deg, global_box_mm;   // half-widths of the search box about the pivot
  double global_step_deg, global_step_mm; // grid steps: roll (and tilt rings), translation
  double global_tilt_deg;                 // tilt ring step (0: tilt is left to refinement)
  int global_width;                       // coarse view width (px): the search level
  double global_mask_px;                  // ... or finer, until the mask spans this (px)
  int global_keep;                        // hypotheses refined at the search level
  int global_evals;                       // budget of each refinement at the search level
  int global_features;                    // 1: add a feature-correspondence hypothesis
  double global_depth_mm;                 // one view: depth restarts +-s, +-2s mm (0: off)
} cr_reg_method;

// The one place where method defaults live: surface mode (iso automatic, 1 mm smoothing,
// probe 3 mm max along the ray, mesh 20 Taubin iterations), green channel with CLAHE 2,
// NGF with the metric defaults, Nelder-Mead, 3 levels, 400 evaluations, 3 starts spread
// 5 deg / 5 mm, steps 2 deg / 2 mm, xtol 0.01, seed 1, no working-distance prior, focus
// weight 0.001 (used when a focus distance is given).
cr_reg_method cr_reg_method_defaults(void);

// Sets one key from its text value (a number, "D,MM" for pairs, a name; flags take "1"/"0"
// or "true"/"false"). Key names are the CLI's long options without "--"; '_' and '-' are
// the same. Returns 0, or CR_EINVAL with a message naming the key and the reason (the
// caller prefixes the file, line or option).
int cr_reg_method_set(cr_reg_method *m, const char *key, const char *value);

// 1 if `key` is a method key ('_' = '-'), and whether it takes a value (flags do not).
int cr_reg_method_has_key(const char *key, int *takes_value);

// Cross-field checks the single keys cannot make (pyramid size against the camera is
// checked by cr_reg_run). 0 or CR_EINVAL with a message.
int cr_reg_method_check(const cr_reg_method *m);
// 1 when the method's renders can be warped (registration/warp.h): the surface mode, whose
// image is the shading of its points, without vesselness (which filters the whole render).
int cr_reg_method_warps(const cr_reg_method *m);

// The render parameters of the method: the mode's defaults with the method's values.
cr_render_options cr_reg_method_render_options(const cr_reg_method *m);

// The method's value of a key as text (the form cr_reg_method_set takes), into buf.
// CR_EINVAL for an unknown key.
int cr_reg_method_get(const cr_reg_method *m, const char *key, char *buf, size_t cap);

// Number of keys and the i-th key's name, value hint (NULL for a flag) and help line:
// for CLI option tables and generated documentation.
int cr_reg_method_key_count(void);
void cr_reg_method_key_info(int i, const char **name, const char **arg, const char **help);

// Prints every key as a CLI option line with its help and its default, e.g.
// "      --max-evals N        budget per start ... (default 400)".
void cr_reg_method_print_help(FILE *f);

#ifdef __cplusplus
}
#endif
#endif

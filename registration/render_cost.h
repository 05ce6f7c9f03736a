// The real registration cost: render the volume at a pose (render/), prepare it like the
// photo (registration/prepare.h) and compare with the metric (metrics/). A
// cr_reg_render_cost holds one renderer, the photo pyramid (prepared per level), one
// metric instance per level and the render buffers; its cr_reg_render_cost_eval is a
// cr_reg_cost_fn for cr_reg_run.
#ifndef CR_REG_RENDER_COST_H
#define CR_REG_RENDER_COST_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "metrics/metric.h"
#include "registration/prepare.h"
#include "render/render.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_render_cost_options {
  cr_render_params render;       // background is forced to NaN (misses leave the metric)
  const cr_metric_type *metric;  // NULL = ncc
  cr_metric_options metric_opt;
  cr_reg_prep_options prep;      // photo: all steps; render: vesselness only (if on)
  int levels;                    // pyramid levels (1..CR_REG_MAX_LEVELS)
} cr_reg_render_cost_options;

// Surface mode, NGF, prep defaults, 3 levels. On phantom photos of experiments/synth.c
// NGF (polarity-free edge directions) has its per-axis minima at the truth and beat
// NCC and GC from 5 mm / 5 deg starts (camreg bench-registration --landscape shows the
// per-axis minima; the README has the numbers).
cr_reg_render_cost_options cr_reg_render_cost_defaults(void);

typedef struct cr_reg_render_cost cr_reg_render_cost;

// Builds the cost for `vol` (borrowed, must outlive the cost), the camera and the photo
// (camera-sized, any channels) with an optional mask (camera-sized, channel 0 non-zero =
// inside). Errors name the reason: photo/mask size (CR_EINVAL), empty mask (CR_EEMPTY),
// a channel the photo lacks, bad render or metric options.
int cr_reg_render_cost_new(cr_reg_render_cost **out, const cr_volume *vol, const cr_camera *cam,
                           const cr_image *photo, const cr_image *mask,
                           const cr_reg_render_cost_options *opt);
void cr_reg_render_cost_free(cr_reg_render_cost *c);

// The cr_reg_cost_fn (ctx = the cr_reg_render_cost): metric cost (smaller is better) of
// the render at `level`. A pose whose render shares no valid pixel with the photo's
// mask costs 1e10 (a wall, not an error).
int cr_reg_render_cost_eval(const cr_camera *camera, int level, const cr_pose *cam_from_world,
                            void *ctx, double *cost);

// The prepared render of `level` at a pose (borrowed buffer, valid until the next call)
// and the number of pixels valid for the metric. Used to check that a start pose sees
// the volume (n_valid = 0: it does not) and for overlays.
int cr_reg_render_cost_render(cr_reg_render_cost *c, int level, const cr_pose *cam_from_world,
                              const cr_image **img, long *n_valid);

// The prepared photo of a level (borrowed).
const cr_image *cr_reg_render_cost_photo(const cr_reg_render_cost *c, int level);

// The default pivot: centroid of the isosurface seen at the pose (full resolution, every
// 4th pixel; iso as in the render options or automatic). CR_EEMPTY if no pixel sees it.
int cr_reg_render_cost_pivot(const cr_reg_render_cost *c, const cr_pose *cam_from_world,
                             double pivot_world[3]);

#ifdef __cplusplus
}
#endif
#endif

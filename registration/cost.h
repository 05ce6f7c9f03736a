// The registration cost over a list of views. A view is a camera with its photo, an
// optional mask, a fixed transform from the reference camera (identity for the reference
// itself; a stereo rig's R, T for the second camera; a tracker's relative pose) and a
// weight. The pose optimized is the reference camera's cam_from_world; view v sees the
// world at cam_from_ref[v] * cam_from_world. One camera is a list of one.
//
// Each evaluation renders every view at the pyramid level (one renderer of the method's
// render mode, shared by all views and levels: ray casting or mesh raster, render/render.h),
// prepares the render like its photo (registration/prepare.h) and sums
// weight[v] * metric cost[v]; with two or more views, a render mode that finds the surface
// and method.consistency_weight > 0 (the default 1), it adds the photo consistency of view 0
// with each other view (registration/consistency.h): the photos compared with each other
// at the surface points view 0's render sees, which pins depth without resting on the
// render's appearance. A view whose render shares no valid pixel with its mask
// costs 1e10 (a wall, not an error). Its cr_reg_cost_eval is a cr_reg_cost_fn for
// cr_reg_run (registration/register.h).
#ifndef CR_REG_COST_H
#define CR_REG_COST_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "mesh/mesh.h"
#include "registration/method.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CR_REG_MAX_VIEWS 16

typedef struct cr_reg_view {
  cr_camera camera;      // this view's camera (size = photo size)
  const cr_image *photo; // borrowed, any channels; only read by cr_reg_cost_new
  const cr_image *mask;  // borrowed, may be NULL; channel 0 non-zero = inside
  cr_pose cam_from_ref;  // this camera from the reference camera (identity for view 0 of a mono
                         // registration)
  double weight;         // weight of this view's metric cost (> 0; 1 for equal views)
  const char *name;      // for messages (the photo's file name), may be NULL
} cr_reg_view;

// A view of `camera` with identity transform and weight 1.
cr_reg_view cr_reg_view_mono(const cr_camera *camera, const cr_image *photo, const cr_image *mask);

typedef struct cr_reg_cost cr_reg_cost;

// Builds the cost of `method` for `n_views` views (1..CR_REG_MAX_VIEWS) of the volume
// and/or the mesh (borrowed, must outlive the cost; the mesh mode builds the cortex mesh
// from the volume when mesh is NULL, ray modes need the volume). Photos and masks are
// prepared per level and not kept. Errors name the view and the reason: photo or mask
// size against the camera (CR_EINVAL), empty mask (CR_EEMPTY), a channel the photo lacks,
// bad render or metric options, a weight <= 0: NULL, with the status in cr_last_status().
cr_reg_cost *cr_reg_cost_new(const cr_reg_method *method, const cr_volume *vol, const cr_mesh *mesh,
                             const cr_reg_view *views, int n_views);
// Releases the cost; NULL is a no-op. Free a cost's forks before it.
void cr_reg_cost_free(cr_reg_cost *c);
// A cost for another thread: the same views, levels, method and focus prior as `c`, with
// its own render buffers, metric workspaces and renderer fork (cr_renderer_fork), sharing
// the prepared photos, masks and the renderer's set-up with `c` (nothing is prepared
// again). `c` and its forks may be evaluated at the same time on different threads and
// give the same values (one cost is not re-entrant). `c` must outlive the fork and keep
// its focus prior. NULL with CR_EINVAL for a render mode without fork (mesh), CR_ENOMEM.
cr_reg_cost *cr_reg_cost_fork(cr_reg_cost *c);

// The cr_reg_cost_fn (ctx = the cr_reg_cost): sum over views of weight * metric cost of
// the render at `level` of the reference pose cam_from_world, plus, with two or more views
// and a render mode that finds the surface, consistency_weight * the photo consistency of
// view 0 with each other view (cr_reg_cost_consistency; at the method's levels only, not at
// the coarser ones the global stage adds, and not where a view is a wall), plus the focus
// prior.
int cr_reg_cost_eval(int level, const cr_pose *cam_from_world, void *ctx, double *cost);

// The same, one view only (its weight applied). For landscapes and reports per view.
int cr_reg_cost_eval_view(cr_reg_cost *c, int view, int level, const cr_pose *cam_from_world,
                          double *cost);

// The photo consistency term of view 0 with view k >= 1 at `level` for the reference pose
// (unweighted: 0 = the photos agree at the surface points, 1 = unrelated; see
// registration/consistency.h). CR_EINVAL when the cost has no such term (one view, weight
// 0, a render mode without surface points) or k is not a view >= 1.
int cr_reg_cost_consistency(cr_reg_cost *c, int k, int level, const cr_pose *cam_from_world,
                            double *value);

// Linearizes the cost at `level` about the reference pose `pose` (cr_reg_options'
// linearize): renders every view there once, whole, with its world points; until it is
// called again (pose NULL: off) the cost at that level warps those renders to the pose
// asked for (registration/warp.h) instead of rendering. Returns 0 when on, 1 when the cost
// renders every pose anyway (a level the method does not run, modes without world points,
// vesselness, a pose beyond what is traced), < 0 on failure.
int cr_reg_cost_linearize(int level, const cr_pose *pose, void *ctx);

// The prepared render of view `view` at `level` for the reference pose (borrowed, valid
// until the next call) and the number of pixels valid for the metric (rendered, finite
// and inside the mask). n_valid = 0: the view sees nothing of the volume in its mask.
int cr_reg_cost_render(cr_reg_cost *c, int view, int level, const cr_pose *cam_from_world,
                       const cr_image **img, long *n_valid);

// The prepared photo of a view and level (borrowed), NULL for one not built.
const cr_image *cr_reg_cost_photo(const cr_reg_cost *c, int view, int level);

// The camera of a view at a level (the view's camera scaled by the pyramid).
const cr_camera *cr_reg_cost_camera(const cr_reg_cost *c, int view, int level);

// View `view`'s mask at `level` (1 inside, 0 outside; NULL: no mask, every pixel counts).
const cr_image *cr_reg_cost_mask(const cr_reg_cost *c, int view, int level);

// The number of pixels of that mask (all the view's pixels without one; 0 for a bad view or
// level).
long cr_reg_cost_mask_pixels(const cr_reg_cost *c, int view, int level);

// Renders view `view` through an arbitrary camera (e.g. a wider canvas than the view's)
// for the reference pose `cam_from_world`, with the method's renderer: every pixel, NaN
// where nothing is hit, no preparation (no vesselness). `out` is cam-sized, one channel.
int cr_reg_cost_render_camera(cr_reg_cost *c, int view, const cr_camera *cam,
                              const cr_pose *cam_from_world, cr_image *out);

// The same render and the world point (RAS mm, NaN on a miss) each pixel shows: `xyz`
// cam-sized, three channels (NULL: the render alone, as cr_reg_cost_render_camera). From the
// method's renderer when its mode finds the surface (surface, probe, mesh), else from a surface
// renderer of its iso level.
int cr_reg_cost_render_camera_xyz(cr_reg_cost *c, int view, const cr_camera *cam,
                                  const cr_pose *cam_from_world, cr_image *out, cr_image *xyz);

int cr_reg_cost_n_views(const cr_reg_cost *c);
// Levels built: the method's, or more when its global stage needs coarser views.
int cr_reg_cost_levels(const cr_reg_cost *c);
// The volume the cost renders (borrowed; NULL for a mesh-only cost).
const cr_volume *cr_reg_cost_volume(const cr_reg_cost *c);
// The surface level (resolved) of the renderer that finds the pivot and focus distance.
int cr_reg_cost_iso(cr_reg_cost *c, double *iso);

// The default pivot (docs/design.md: "the centroid of the visible surface at the starting
// pose"): the centroid of the surface points the reference camera sees at cam_from_world,
// every 4th pixel at full resolution: from the method's renderer when its mode finds a
// surface (surface, probe, mesh), else from a surface renderer with the method's iso and
// step. CR_EEMPTY if no pixel sees the surface.
int cr_reg_cost_pivot(cr_reg_cost *c, const cr_pose *cam_from_world, double pivot_world[3]);

// The focus distance (registration/focus.h) of the reference camera at cam_from_world,
// on the same surface as the pivot. CR_EEMPTY if it sees no surface near its centre.
int cr_reg_cost_focus_distance(cr_reg_cost *c, const cr_pose *cam_from_world, double *distance_mm);

// Switches the focus prior on: every evaluation adds
// method.focus_weight * ((d - distance_mm) / sigma_mm)^2, d the focus distance at the
// evaluated pose (full resolution, reference camera; the same at every level); a pose
// whose focus window sees no surface costs 1e10. The distance is what the microscope
// reports, sigma its stated error. CR_EINVAL for a distance or sigma that is not > 0.
int cr_reg_cost_set_focus(cr_reg_cost *c, double distance_mm, double sigma_mm);

// Lights every view's render by one point light instead of each camera's headlight:
// at_ref, its position in the reference camera's frame (mm), e.g. (0, 0, 0) for a light at
// the reference camera, as on a stereo microscope whose cameras share the light on its
// body; view v sees it at cam_from_ref * at_ref. NULL: back to the headlights. CR_EINVAL
// for a non-finite position or a render mode other than surface (the others light from
// their camera only).
int cr_reg_cost_set_light(cr_reg_cost *c, const double at_ref[3]);

// The focus prior's part of the cost at a pose and the measured focus distance (NaN when
// the prior is off; distance_mm may be NULL). For reports.
int cr_reg_cost_focus_penalty(cr_reg_cost *c, const cr_pose *cam_from_world, double *distance_mm,
                              double *penalty);

#ifdef __cplusplus
}
#endif
#endif

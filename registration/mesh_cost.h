// A registration cost that renders by rasterizing a surface mesh (mesh/) instead of ray
// casting the volume: the cortex mesh (marching cubes at the iso level, largest
// component, light Taubin smoothing) is drawn with a z-buffer through the camera of
// each pyramid level, shaded by a headlight (|n . view|, like the surface mode) or by
// per-vertex probe scalars, prepared like the photo (registration/prepare.h) and
// compared with the metric (metrics/). Its cr_reg_mesh_cost_eval is a cr_reg_cost_fn
// for cr_reg_run, interchangeable with cr_reg_render_cost_eval.
#ifndef CR_REG_MESH_COST_H
#define CR_REG_MESH_COST_H

#include "core/camera.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "mesh/mesh.h"
#include "metrics/metric.h"
#include "registration/prepare.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cr_reg_mesh_build_options {
  double iso;              // marching-cubes level; NaN = cr_render_auto_iso (Otsu)
  int smooth_iterations;   // Taubin iterations (lambda 0.5, mu -0.53); 0 = none
  double probe_depth_mm;   // per-vertex probe (max along the inward normal); 0 = none
  double probe_step_mm;    // probe sampling step (> 0)
} cr_reg_mesh_build_options;

// Defaults: automatic iso, 5 Taubin iterations, probe 0..3 mm in 0.25 mm steps.
cr_reg_mesh_build_options cr_reg_mesh_build_defaults(void);

// The cortex mesh of `vol`: marching cubes at the iso level (voxels outside the grid
// count as outside, so the mesh is closed), the largest connected component, Taubin
// smoothing, vertex normals and (if probe_depth_mm > 0) probe scalars in m->scalar.
// *iso_used (may be NULL) gets the level. A new mesh in *out (NULL on failure).
// CR_EEMPTY when no surface crosses the volume at that level.
int cr_reg_mesh_build(const cr_volume *vol, const cr_reg_mesh_build_options *opt, cr_mesh **out,
                      double *iso_used);

typedef struct cr_reg_mesh_cost_options {
  cr_reg_mesh_build_options build; // used when no mesh is given to _new
  int probe;                       // 0: headlight shading, 1: vertex scalars (the mesh
                                   // must have them)
  const cr_metric_type *metric;    // NULL = ngf
  cr_metric_options metric_opt;
  cr_reg_prep_options prep;        // photo: all steps; render: vesselness only (if on)
  int levels;                      // pyramid levels (1..CR_REG_MAX_LEVELS)
  int coarse_decimate;             // 1: level l >= 1 draws the mesh decimated by vertex
                                   // clustering on cells of 1.5 * 2^(l-1) mean edge lengths
                                   // (Colin27, 444k triangles: level 1/2 evaluations 2x/6x
                                   // faster; phantom registrations ended ~0.5 deg worse)
} cr_reg_mesh_cost_options;

// Build defaults but 20 Taubin iterations and no probe, headlight shading, NGF, prep
// defaults, 3 levels (as the render cost), no coarse decimation.
cr_reg_mesh_cost_options cr_reg_mesh_cost_defaults(void);

typedef struct cr_reg_mesh_cost cr_reg_mesh_cost;

// Builds the cost from `mesh` (borrowed, must outlive the cost; needs normals when
// shaded, scalars when opt->probe) or, when mesh is NULL, from `vol` by
// cr_reg_mesh_build (owned by the cost; vol is then only read here). The camera and
// photo (camera-sized, any channels) with an optional mask (camera-sized, channel 0
// non-zero = inside). Errors: photo/mask size (CR_EINVAL), empty mask (CR_EEMPTY), a
// channel the photo lacks, a mesh without scalars for probe, bad metric options.
int cr_reg_mesh_cost_new(cr_reg_mesh_cost **out, const cr_mesh *mesh, const cr_volume *vol,
                         const cr_camera *cam, const cr_image *photo, const cr_image *mask,
                         const cr_reg_mesh_cost_options *opt);
// Releases the cost (and the mesh it built); NULL is a no-op.
void cr_reg_mesh_cost_free(cr_reg_mesh_cost *c);

// The mesh in use (borrowed).
const cr_mesh *cr_reg_mesh_cost_mesh(const cr_reg_mesh_cost *c);

// The cr_reg_cost_fn (ctx = the cr_reg_mesh_cost): metric cost (smaller is better) of
// the raster at `level` (the level's camera is the cost's own; `camera` is not read).
// A pose whose raster shares no valid pixel with the photo's mask costs 1e10.
int cr_reg_mesh_cost_eval(const cr_camera *camera, int level, const cr_pose *cam_from_world,
                          void *ctx, double *cost);

// The prepared raster image of `level` at a pose (borrowed, valid until the next call;
// NaN where no triangle) and the number of pixels valid for the metric (inside the
// mask and hit).
int cr_reg_mesh_cost_render(cr_reg_mesh_cost *c, int level, const cr_pose *cam_from_world,
                            const cr_image **img, long *n_valid);

// The prepared photo of a level (borrowed), NULL for a level not built.
const cr_image *cr_reg_mesh_cost_photo(const cr_reg_mesh_cost *c, int level);

// The default pivot: centroid of the mesh points seen at the pose (full resolution,
// every 4th pixel). CR_EEMPTY if no pixel sees the mesh.
int cr_reg_mesh_cost_pivot(cr_reg_mesh_cost *c, const cr_pose *cam_from_world, double pivot_world[3]);

#ifdef __cplusplus
}
#endif
#endif

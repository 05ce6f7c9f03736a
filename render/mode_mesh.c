// The mesh mode: a triangle mesh (the cortex mesh built from the volume, or a given
// one) rasterized with mesh/'s z-buffer through the camera model (lens distortion
// applied to the vertices), resolved into the headlight shading |n . view| or the
// per-vertex probe scalar, depth, world xyz, the interpolated vertex normal and the hit
// mask. Raster buffers are cached per camera size.
#include "render/internal.h"

#include "core/error.h"
#include "mesh/mesh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MESH_CAMERA_CACHE CR_CAMERA_CACHE

// The raster of one camera size and scratch buffers that some frames need.
typedef struct mesh_cam {
  cr_mesh_raster *raster;
  unsigned char *hit; // hit mask of an unlit frame whose caller asks for none
  cr_image *xyz;      // world points for surface points
  unsigned long used; // 0: empty
} mesh_cam;

typedef struct mesh_state {
  const cr_mesh *mesh; // the mesh drawn: the caller's or `owned`
  cr_mesh *owned;      // built from the volume, or a copy with normals / probe scalars
  mesh_cam cams[MESH_CAMERA_CACHE];
  unsigned long clock;
} mesh_state;

static void mesh_destroy(void *state) {
  mesh_state *s = state;
  if (!s) return;
  for (int i = 0; i < MESH_CAMERA_CACHE; i++) {
    cr_mesh_raster_free(s->cams[i].raster);
    free(s->cams[i].hit);
    cr_image_free(s->cams[i].xyz);
  }
  cr_mesh_free(s->owned);
  free(s);
}

// The mesh to draw: built from the volume when none is given; a copy of the given one
// when it lacks the normals (shading, normal output) or the probe scalars.
static int mesh_prepare(mesh_state *s, const cr_volume *vol, const cr_mesh *mesh,
                        cr_render_options *p) {
  int rc;
  if (!mesh) {
    cr_mesh_cortex_options o = cr_mesh_cortex_defaults();
    o.iso = p->iso, o.smooth_iterations = p->mesh_smooth_iterations, o.probe_depth_mm = 0;
    double iso;
    if ((rc = cr_mesh_build_cortex(vol, &o, &s->owned, &iso))) return rc;
    p->iso = iso;
  } else {
    if ((rc = cr_mesh_validate(mesh))) return rc;
    if (mesh->normal && (mesh->scalar || !p->mesh_probe)) {
      s->mesh = mesh;
      return 0;
    }
    if (!(s->owned = cr_mesh_clone(mesh)))
      return cr_error(CR_ENOMEM, "render: out of memory for the mesh");
    if (!s->owned->normal && (rc = cr_mesh_compute_normals(s->owned))) return rc;
  }
  s->mesh = s->owned;
  if (!p->mesh_probe || s->owned->scalar) return 0;
  if (!vol)
    return cr_error(CR_EINVAL,
                    "render: the mesh probe needs vertex scalars in the mesh or a volume");
  return cr_mesh_probe(s->owned, vol, p->probe_depth_mm, p->step_mm,
                       p->probe_mean ? CR_PROBE_MEAN : CR_PROBE_MAX);
}

static int mesh_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                       cr_render_options *p) {
  if (p->mesh_smooth_iterations < 0 || !(p->probe_depth_mm >= 0) || !isfinite(p->probe_depth_mm) ||
      !isfinite(p->step_mm))
    return cr_error(CR_EINVAL,
                    "render: bad mesh parameters (smoothing iterations, probe depth or step)");
  if (!(p->step_mm > 0)) p->step_mm = 0.25; // the probe step
  mesh_state *s = calloc(1, sizeof *s);
  if (!s) return cr_error(CR_ENOMEM, "render: out of memory");
  int rc = mesh_prepare(s, vol, mesh, p);
  if (rc) {
    mesh_destroy(s);
    return rc;
  }
  *state = s;
  return 0;
}

// The raster buffers of the camera's size (a new entry replaces the least recently used).
static int mesh_camera(mesh_state *s, const cr_camera *cam, mesh_cam **out) {
  mesh_cam *c = NULL, *lru = &s->cams[0];
  s->clock++;
  for (int i = 0; i < MESH_CAMERA_CACHE && !c; i++) {
    mesh_cam *e = &s->cams[i];
    if (e->used && e->raster->width == cam->width && e->raster->height == cam->height)
      c = e;
    else if (e->used < lru->used)
      lru = e;
  }
  if (!c) {
    c = lru;
    cr_mesh_raster_free(c->raster);
    free(c->hit);
    cr_image_free(c->xyz);
    memset(c, 0, sizeof *c);
    if (!(c->raster = cr_mesh_raster_new(cam->width, cam->height))) return CR_ENOMEM;
  }
  c->used = s->clock;
  *out = c;
  return 0;
}

// Rasterizes the mesh for a frame (the camera without distortion when undistorted).
static int mesh_raster(mesh_state *s, const cr_render_options *p, const cr_camera *cam,
                       const cr_pose *cam_from_world, mesh_cam **c) {
  int rc = mesh_camera(s, cam, c);
  if (rc) return rc;
  cr_camera rcam = *cam;
  if (p->undistorted) memset(rcam.dist, 0, sizeof rcam.dist);
  return cr_mesh_rasterize((*c)->raster, s->mesh, &rcam, cam_from_world, NULL);
}

static int mesh_render(void *state, const cr_render_options *p, const cr_camera *cam,
                       const cr_pose *cam_from_world, const cr_render_out *out) {
  mesh_state *s = state;
  mesh_cam *c;
  int rc = mesh_raster(s, p, cam, cam_from_world, &c);
  if (rc) return rc;
  const size_t n = (size_t)cam->width * cam->height;
  const int unlit = !p->mesh_probe && !p->lit; // 1 on the mesh: needs the hit mask
  if (unlit && !out->hit && !c->hit && !(c->hit = malloc(n)))
    return cr_error(CR_ENOMEM, "render: out of memory for a hit mask");
  const cr_mesh_raster_outputs o = {.shade = !p->mesh_probe && p->lit ? out->image : NULL,
                                    .attr = p->mesh_probe ? out->image : NULL,
                                    .depth = out->depth,
                                    .xyz = out->xyz,
                                    .normal = out->normal,
                                    .hit = out->hit ? out->hit : (unlit ? c->hit : NULL),
                                    .pixel_mask = out->pixel_mask,
                                    .miss_shade = p->background,
                                    .miss_attr = p->background,
                                    .miss_depth = 0};
  if ((rc = cr_mesh_raster_resolve_all(c->raster, s->mesh, cam_from_world, &o))) return rc;
  if (unlit)
    for (int v = 0; v < cam->height; v++)
      for (int u = 0; u < cam->width; u++)
        *cr_image_px(out->image, u, v) = o.hit[(size_t)v * cam->width + u] ? 1.0f : p->background;
  return 0;
}

static int mesh_surface_points(void *state, const cr_render_options *p, const cr_camera *cam,
                               const cr_pose *cam_from_world, int stride_px, double *xyz,
                               int max_points, int *n_points, double centroid[3]) {
  mesh_state *s = state;
  mesh_cam *c;
  int rc = mesh_raster(s, p, cam, cam_from_world, &c);
  if (rc) return rc;
  if (!c->xyz && !(c->xyz = cr_image_new(cam->width, cam->height, 3))) return CR_ENOMEM;
  const cr_mesh_raster_outputs o = {.xyz = c->xyz};
  if ((rc = cr_mesh_raster_resolve_all(c->raster, s->mesh, cam_from_world, &o))) return rc;
  if (stride_px < 1) stride_px = 1;
  double sum[3] = {0, 0, 0};
  long n = 0;
  for (int v = 0; v < cam->height; v += stride_px)
    for (int u = 0; u < cam->width; u += stride_px) {
      const float *q = cr_image_px(c->xyz, u, v);
      if (!isfinite(q[0])) continue;
      for (int a = 0; a < 3; a++) {
        sum[a] += q[a];
        if (xyz && n < max_points) xyz[3 * n + a] = q[a];
      }
      n++;
    }
  if (n_points) *n_points = (int)(n < max_points || !xyz ? n : max_points);
  if (n == 0) return cr_error(CR_EEMPTY, "render: no pixel of the view sees the mesh");
  if (centroid)
    for (int a = 0; a < 3; a++) centroid[a] = sum[a] / (double)n;
  return 0;
}

const cr_render_mode_type cr_render_mode_mesh = {
    .name = "mesh",
    .summary = "z-buffer raster of the cortex mesh (or --mesh FILE): shading or --probe scalars, "
               "depth, xyz, "
               "normal",
    .outputs = CR_RENDER_OUT_DEPTH | CR_RENDER_OUT_XYZ | CR_RENDER_OUT_NORMAL,
    .needs_volume = 0,
    .create = mesh_create,
    .destroy = mesh_destroy,
    .render = mesh_render,
    .surface_points = mesh_surface_points,
};

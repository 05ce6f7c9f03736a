// Mesh raster + prepare + metric as a registration cost (see mesh_cost.h).
#include "registration/mesh_cost.h"

#include "registration/levels.h"

#include "core/error.h"
#include "registration/pyramid.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cr_reg_mesh_cost {
  const cr_mesh *mesh;
  cr_mesh *owned;
  cr_mesh *level_mesh[CR_REG_MAX_LEVELS]; // decimated meshes of coarse levels (NULL: c->mesh)
  cr_camera camera;
  cr_reg_mesh_cost_options opt;
  int levels;
  cr_reg_levels lv;                       // cameras, masks, prepared photos, metrics
  cr_mesh_raster *raster[CR_REG_MAX_LEVELS];
  cr_image *work[CR_REG_MAX_LEVELS];      // vesselness of the render
  cr_mesh_raster *full;  // level-0 size raster and xyz image for the pivot (lazy)
  cr_image *full_xyz;
};

cr_reg_mesh_build_options cr_reg_mesh_build_defaults(void) {
  cr_reg_mesh_build_options o = {NAN, 5, 3.0, 0.25};
  return o;
}

cr_reg_mesh_cost_options cr_reg_mesh_cost_defaults(void) {
  cr_reg_mesh_cost_options o;
  memset(&o, 0, sizeof o);
  o.build = cr_reg_mesh_build_defaults();
  o.build.probe_depth_mm = 0; // shading needs no probe
  // Shading by interpolated vertex normals shows the marching-cubes facets; 20 Taubin
  // iterations (still without shrinkage) registered a synth photo about as well as the
  // surface render (README numbers), 5 left 1-2 deg of tilt.
  o.build.smooth_iterations = 20;
  o.coarse_decimate = 0; // faster coarse levels on big meshes, but less accurate (README)
  o.metric = NULL;
  o.metric_opt = cr_metric_default_options();
  o.prep = cr_reg_prep_defaults();
  o.levels = 3;
  return o;
}

// The cortex builder moved to mesh/ (cr_mesh_build_cortex); this keeps the old name.
int cr_reg_mesh_build(const cr_volume *vol, const cr_reg_mesh_build_options *opt, cr_mesh **out,
                      double *iso_used) {
  cr_reg_mesh_build_options o = opt ? *opt : cr_reg_mesh_build_defaults();
  cr_mesh_cortex_options co = cr_mesh_cortex_defaults();
  co.iso = o.iso, co.smooth_iterations = o.smooth_iterations;
  co.probe_depth_mm = o.probe_depth_mm, co.probe_step_mm = o.probe_step_mm;
  return cr_mesh_build_cortex(vol, &co, out, iso_used);
}

void cr_reg_mesh_cost_free(cr_reg_mesh_cost *c) {
  if (!c) return;
  cr_mesh_free(c->owned);
  for (int l = 0; l < CR_REG_MAX_LEVELS; l++) {
    cr_image_free(c->work[l]);
    cr_mesh_raster_free(c->raster[l]);
    cr_mesh_free(c->level_mesh[l]);
  }
  cr_reg_levels_release(&c->lv);
  cr_mesh_raster_free(c->full);
  cr_image_free(c->full_xyz);
  free(c);
}

const cr_mesh *cr_reg_mesh_cost_mesh(const cr_reg_mesh_cost *c) { return c->mesh; }

static int build_levels(cr_reg_mesh_cost *c, const cr_image *photo, const cr_image *mask) {
  int rc = cr_reg_levels_build(&c->lv, &c->camera, photo, mask, c->levels, &c->opt.prep,
                               c->opt.metric, &c->opt.metric_opt);
  for (int l = 0; l < c->levels && !rc; l++)
    if (!(c->raster[l] = cr_mesh_raster_new(c->lv.cam[l].width, c->lv.cam[l].height))) rc = CR_ENOMEM;
  return rc;
}

// Mean edge length (mm) over the first edge of every triangle.
static double mean_edge_mm(const cr_mesh *m) {
  double s = 0;
  for (int t = 0; t < m->n_triangles; t++) {
    const float *a = m->xyz + 3 * (size_t)m->tri[3 * t], *b = m->xyz + 3 * (size_t)m->tri[3 * t + 1];
    s += sqrt(pow(a[0] - b[0], 2) + pow(a[1] - b[1], 2) + pow(a[2] - b[2], 2));
  }
  return m->n_triangles ? s / m->n_triangles : 0;
}

// Coarse levels draw a mesh decimated to cells of 1.5 * 2^(l-1) mean edge lengths: the
// rasterizer's cost grows with the triangle count, not the image size, and a level of
// half the resolution does not need triangles smaller than the finer level's.
static int build_level_meshes(cr_reg_mesh_cost *c) {
  double edge = mean_edge_mm(c->mesh);
  for (int l = 1; l < c->levels && edge > 0; l++) {
    cr_mesh *d = cr_mesh_clone(c->mesh);
    if (!d) return cr_error(CR_ENOMEM, "mesh cost: out of memory");
    int rc = cr_mesh_decimate_cluster(d, 1.5 * edge * ldexp(1.0, l - 1));
    if (!rc && !d->normal) rc = cr_mesh_compute_normals(d);
    if (rc || d->n_triangles < 100) { // keep the full mesh when decimation leaves too little
      cr_mesh_free(d);
      if (rc) return rc;
      continue;
    }
    c->level_mesh[l] = d;
  }
  return 0;
}

int cr_reg_mesh_cost_new(cr_reg_mesh_cost **out, const cr_mesh *mesh, const cr_volume *vol,
                         const cr_camera *cam, const cr_image *photo, const cr_image *mask,
                         const cr_reg_mesh_cost_options *opt) {
  *out = NULL;
  if (!mesh && !vol) return cr_error(CR_EINVAL, "mesh cost: give a mesh or a volume");
  cr_reg_mesh_cost *c = calloc(1, sizeof *c);
  if (!c) return cr_error(CR_ENOMEM, "mesh cost: out of memory");
  c->camera = *cam;
  c->opt = opt ? *opt : cr_reg_mesh_cost_defaults();
  if (!c->opt.metric) c->opt.metric = cr_metric_ngf;
  c->levels = c->opt.levels;
  int rc = 0;
  if (!mesh) {
    cr_reg_mesh_build_options bo = c->opt.build;
    if (!c->opt.probe) bo.probe_depth_mm = 0;
    else if (!(bo.probe_depth_mm > 0)) bo.probe_depth_mm = 3.0;
    rc = cr_reg_mesh_build(vol, &bo, &c->owned, NULL);
    mesh = c->owned;
  }
  if (!rc && c->opt.probe && !mesh->scalar) rc = cr_error(CR_EINVAL, "mesh cost: probe shading needs vertex scalars");
  if (!rc && !c->opt.probe && !mesh->normal) rc = cr_error(CR_EINVAL, "mesh cost: shading needs vertex normals");
  if (!rc && (c->levels < 1 || c->levels > CR_REG_MAX_LEVELS))
    rc = cr_error(CR_EINVAL, "mesh cost: levels must be 1..%d", CR_REG_MAX_LEVELS);
  c->mesh = mesh;
  cr_image *mask1 = !rc && mask ? cr_image_to_grey(mask, 0, NULL) : NULL;
  if (!rc && mask && !mask1) rc = cr_error(CR_ENOMEM, "mesh cost: out of memory");
  if (!rc) rc = build_levels(c, photo, mask1);
  if (!rc && c->opt.coarse_decimate) rc = build_level_meshes(c);
  cr_image_free(mask1);
  if (rc) {
    cr_reg_mesh_cost_free(c);
    return rc < 0 ? rc : CR_EINVAL;
  }
  *out = c;
  return 0;
}

// Vesselness of the raster (misses take the lowest value for the filter), as the
// render cost does for its renders.
static int vesselness(cr_reg_mesh_cost *c, int l, cr_image **img) {
  cr_image *r = c->lv.render[l];
  if (!c->work[l] && !(c->work[l] = cr_image_new(r->width, r->height, 1)))
    return cr_error(CR_ENOMEM, "mesh cost: out of memory");
  float lo = INFINITY;
  for (int y = 0; y < r->height; y++)
    for (int x = 0; x < r->width; x++) {
      float v = *cr_image_px(r, x, y);
      if (!isnan(v)) lo = fminf(lo, v);
    }
  if (!isfinite(lo)) return 0; // nothing hit: all NaN stays NaN
  for (int y = 0; y < r->height; y++)
    for (int x = 0; x < r->width; x++)
      if (isnan(*cr_image_px(r, x, y))) *cr_image_px(r, x, y) = lo;
  cr_reg_prep_options po = cr_reg_level_prep(&c->opt.prep, l);
  int rc = cr_reg_vesselness(r, po.sigma_min_px, po.sigma_max_px, po.n_sigma > 0 ? po.n_sigma : 3,
                             po.bright_vessels, c->work[l]);
  *img = c->work[l];
  return rc;
}

// Rasterizes and prepares level l; *img is the image to compare (NaN = no triangle).
static int render_level(cr_reg_mesh_cost *c, int l, const cr_pose *pose, cr_image **img) {
  cr_mesh_raster *ra = c->raster[l];
  const cr_mesh *m = c->level_mesh[l] ? c->level_mesh[l] : c->mesh;
  int rc = cr_mesh_rasterize(ra, m, &c->lv.cam[l], pose, NULL);
  if (!rc)
    rc = c->opt.probe ? cr_mesh_raster_resolve(ra, m, pose, NULL, NULL, NULL, c->lv.render[l])
                      : cr_mesh_raster_resolve(ra, m, pose, c->lv.render[l], NULL, NULL, NULL);
  if (rc) return rc;
  cr_image *r = c->lv.render[l];
  for (int y = 0; y < r->height; y++) // shade is 0 on a miss: misses must leave the metric
    for (int x = 0; x < r->width; x++)
      if (ra->tri[(size_t)y * r->width + x] < 0) *cr_image_px(r, x, y) = NAN;
  *img = r;
  return c->opt.prep.vesselness ? vesselness(c, l, img) : 0;
}

int cr_reg_mesh_cost_eval(const cr_camera *camera, int level, const cr_pose *pose, void *ctx,
                          double *cost) {
  cr_reg_mesh_cost *c = ctx;
  if (level < 0 || level >= c->levels)
    return cr_error(CR_EINVAL, "mesh cost: level %d not built (%d levels)", level, c->levels);
  cr_image *img;
  int rc = render_level(c, level, pose, &img);
  if (rc) return rc;
  rc = cr_metric_eval_cost(c->lv.metric[level], img, cost);
  if (rc == CR_EEMPTY || (!rc && !isfinite(*cost))) {
    cr_error_clear();
    *cost = 1e10;
    return 0;
  }
  return rc;
}

int cr_reg_mesh_cost_render(cr_reg_mesh_cost *c, int level, const cr_pose *pose, const cr_image **img,
                            long *n_valid) {
  if (level < 0 || level >= c->levels) return cr_error(CR_EINVAL, "mesh cost: level %d not built", level);
  cr_image *im;
  int rc = render_level(c, level, pose, &im);
  if (rc) return rc;
  long n = 0;
  const cr_mesh_raster *ra = c->raster[level];
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++)
      n += isfinite(*cr_image_px(im, x, y)) && ra->tri[(size_t)y * im->width + x] >= 0 &&
           (!c->lv.mask[level] || *cr_image_px(c->lv.mask[level], x, y) != 0);
  if (img) *img = im;
  if (n_valid) *n_valid = n;
  return 0;
}

const cr_image *cr_reg_mesh_cost_photo(const cr_reg_mesh_cost *c, int level) {
  return level >= 0 && level < c->levels ? c->lv.photo[level] : NULL;
}

int cr_reg_mesh_cost_pivot(cr_reg_mesh_cost *c, const cr_pose *pose, double pivot[3]) {
  const cr_camera *cam = &c->camera;
  if (!c->full && !(c->full = cr_mesh_raster_new(cam->width, cam->height)))
    return cr_error(CR_ENOMEM, "mesh cost: out of memory");
  if (!c->full_xyz && !(c->full_xyz = cr_image_new(cam->width, cam->height, 3)))
    return cr_error(CR_ENOMEM, "mesh cost: out of memory");
  int rc = cr_mesh_rasterize(c->full, c->mesh, cam, pose, NULL);
  if (!rc) rc = cr_mesh_raster_resolve(c->full, c->mesh, pose, NULL, NULL, c->full_xyz, NULL);
  if (rc) return rc;
  double s[3] = {0, 0, 0};
  long n = 0;
  for (int y = 0; y < cam->height; y += 4)
    for (int x = 0; x < cam->width; x += 4) {
      const float *p = cr_image_px(c->full_xyz, x, y);
      if (!isfinite(p[0])) continue;
      for (int k = 0; k < 3; k++) s[k] += p[k];
      n++;
    }
  if (n == 0) return cr_error(CR_EEMPTY, "the initial pose sees no part of the mesh");
  for (int k = 0; k < 3; k++) pivot[k] = s[k] / n;
  return 0;
}

// The ray-casting engine of the ray modes: set-up from the volume and the mode's row
// (parameters, automatic iso level, the mode's preparation, bricked copies, empty-space
// skipping), the camera ray cache, the per-ray set-up, and the frame loop (OpenMP over
// 16x16 pixel tiles) that calls the mode's per-pixel kernel.
#include "render/internal.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---- object ----

// Checks the parameters every ray mode reads and resolves the automatic step.
static int check_params(const cr_volume *vol, cr_render_options *p) {
  double smin = fmin(vol->spacing[0], fmin(vol->spacing[1], vol->spacing[2]));
  if (!(p->step_mm > 0)) p->step_mm = smin;
  if (p->n_tf < 0 || p->n_tf > CR_TF_MAX || !(p->probe_depth_mm >= 0) || !isfinite(p->step_mm) ||
      (p->windowed && !(p->window_hi > p->window_lo)))
    return cr_error(CR_EINVAL, "render: bad parameters (transfer function size, probe depth, "
                               "step or window)");
  if (p->step_mm < smin * 1e-3) p->step_mm = smin * 1e-3;
  for (int i = 1; i < p->n_tf; i++)
    if (p->tf[i].value < p->tf[i - 1].value)
      return cr_error(CR_EINVAL, "render: transfer function values must increase");
  return 0;
}

int cr_ray_create(void **state, const cr_volume *vol, cr_render_options *p,
                  const cr_ray_mode *kind) {
  *state = NULL;
  if (!vol || !vol->data) return cr_error(CR_EINVAL, "render: no volume");
  int rc = check_params(vol, p);
  if (rc) return rc;
  cr_raycaster *r = calloc(1, sizeof *r);
  if (!r) return cr_error(CR_ENOMEM, "render: out of memory");
  r->kind = kind;
  r->vol = r->surf = vol;
  float vmin, vmax;
  cr_volume_minmax(vol, &vmin, &vmax);
  if (isnan(p->iso) && kind->uses_iso) p->iso = cr_render_auto_iso(vol); // else left as given
  r->p = *p;
  r->inv_step = 1.0 / p->step_mm;
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) r->A_inv[a][b] = vol->voxel_from_world[a][b];
  static const int ia[6] = {0, 1, 2, 0, 0, 1}, ib[6] = {0, 1, 2, 1, 2, 2};
  for (int q = 0; q < 6; q++) {
    double g = 0;
    for (int c = 0; c < 3; c++) g += r->A_inv[ia[q]][c] * r->A_inv[ib[q]][c];
    r->grad_metric[q] = (float)g;
  }
  if (kind->prepare && (rc = kind->prepare(r, vmin, vmax))) goto fail;
  // bricked copies: the surface field, and the values when they differ and are read
  const int value_copy = !r->smoothed || kind->reads_values;
  if ((value_copy && cr_vol_fast_make(&r->vf_value, vol)) ||
      (r->smoothed ? cr_vol_fast_make(&r->vf, r->smoothed) : (r->vf = r->vf_value, 0))) {
    rc = CR_ENOMEM;
    goto fail;
  }
  if ((rc = cr_ray_make_bricks(r))) goto fail;
  *p = r->p; // what prepare resolved (the transfer function)
  *state = r;
  return 0;
fail:
  cr_ray_destroy(r);
  return rc < 0 ? rc : CR_ENOMEM;
}

void *cr_ray_fork(const void *state) {
  cr_raycaster *f = malloc(sizeof *f);
  if (!f) return cr_error(CR_ENOMEM, "render: out of memory"), NULL;
  memcpy(f, state, sizeof *f);
  memset(f->cams, 0, sizeof f->cams);
  f->clock = 0, f->is_fork = 1;
  return f;
}

void cr_ray_destroy(void *state) {
  cr_raycaster *r = state;
  if (!r) return;
  for (int i = 0; i < CR_CAMERA_CACHE; i++) free(r->cams[i].rays), free(r->cams[i].tile_samples);
  if (r->is_fork) {
    free(r);
    return;
  }
  if (r->vf.data != r->vf_value.data) cr_vol_fast_free(&r->vf);
  cr_vol_fast_free(&r->vf_value);
  cr_volume_free(r->smoothed);
  free(r->bmax);
  free(r->skip);
  free(r->inner);
  free(r->edist);
  free(r->mmax);
  free(r->mskip);
  free(r);
}

// ---- geometry ----

static size_t tiles_of(const cr_camera *cam) {
  return (size_t)((cam->width + CR_TILE - 1) / CR_TILE) * ((cam->height + CR_TILE - 1) / CR_TILE);
}

// Unit camera-frame rays through the pixel centres of `cam` into c->rays.
static void compute_rays(const cr_raycaster *r, const cr_camera *cam, double *rays) {
  const int undist = r->p.undistorted || !cr_camera_has_distortion(cam);
#pragma omp parallel for schedule(dynamic, 8)
  for (int v = 0; v < cam->height; v++)
    for (int u = 0; u < cam->width; u++) {
      double *d = rays + 3 * ((size_t)v * cam->width + u);
      if (undist)
        d[0] = (u - cam->cx) / cam->fx, d[1] = (v - cam->cy) / cam->fy, d[2] = 1;
      else
        cr_camera_pixel_ray(cam, u, v, d);
      cr_vec3_normalize(d);
    }
}

int cr_ray_camera(cr_raycaster *r, const cr_camera *cam, const ray_cam **out) {
  ray_cam *c = NULL, *lru = &r->cams[0];
  r->clock++;
  for (int i = 0; i < CR_CAMERA_CACHE && !c; i++) {
    ray_cam *e = &r->cams[i];
    if (e->used && !memcmp(&e->cam, cam, sizeof *cam))
      c = e;
    else if (e->used < lru->used)
      lru = e;
  }
  if (c) {
    c->used = r->clock;
    *out = c;
    return 0;
  }
  c = lru; // an empty entry, else the least recently used camera
  c->used = 0;
  const size_t n = (size_t)cam->width * cam->height, nt = tiles_of(cam);
  if (n > c->rays_cap) {
    free(c->rays);
    c->rays_cap = (c->rays = malloc(3 * n * sizeof *c->rays)) ? n : 0;
  }
  if (nt > c->tiles_cap) {
    free(c->tile_samples);
    c->tiles_cap = (c->tile_samples = malloc(nt * sizeof *c->tile_samples)) ? nt : 0;
  }
  if (!c->rays_cap || !c->tiles_cap)
    return cr_error(CR_ENOMEM, "render: out of memory for %dx%d rays", cam->width, cam->height);
  compute_rays(r, cam, c->rays);
  c->cam = *cam;
  c->used = r->clock;
  *out = c;
  return 0;
}

void cr_ray_frame(const cr_raycaster *r, const cr_pose *cam_from_world, frame_geom *g) {
  g->has_light = 0;
  cr_pose_camera_centre(cam_from_world, g->centre_w);
  cr_mat4_apply_point(g->centre_v, r->vol->voxel_from_world, g->centre_w);
  cr_mat3_transpose(g->Rt, cam_from_world->R);
  cr_mat3_mul(g->M, r->A_inv, g->Rt);
}

int cr_render_ray_setup(const cr_raycaster *r, const frame_geom *g, const double dcam[3],
                        ray_t *ray) {
  memcpy(ray->dcam, dcam, sizeof ray->dcam);
  cr_mat3_apply(ray->dw, g->Rt, dcam);
  cr_mat3_apply(ray->dv, g->M, dcam);
  memcpy(ray->o, g->centre_v, sizeof ray->o);
  for (int a = 0; a < 3; a++) ray->inv[a] = fabs(ray->dv[a]) > 1e-15 ? 1.0 / ray->dv[a] : 0.0;
  double tn = 0, tf = INFINITY;
  for (int a = 0; a < 3; a++) {
    double lo = -0.5, hi = r->vol->dim[a] - 0.5, o = ray->o[a], d = ray->dv[a];
    if (fabs(d) < 1e-15) {
      if (o < lo || o > hi) return 0;
      continue;
    }
    double t1 = (lo - o) / d, t2 = (hi - o) / d;
    if (t1 > t2) {
      double s = t1;
      t1 = t2;
      t2 = s;
    }
    if (t1 > tn) tn = t1;
    if (t2 < tf) tf = t2;
  }
  ray->tn = tn, ray->tf = tf;
  // A ray whose entry or exit is not finite (a NaN direction or origin) misses: the
  // kernels turn the chord into sample counts, and cr_render's pose and volume checks
  // keep every real ray finite.
  return isfinite(tn) && isfinite(tf) && tn < tf;
}

// ---- frame ----

void cr_ray_write_miss(const cr_raycaster *r, const cr_render_out *out, int u, int v) {
  float *px = cr_image_px(out->image, u, v);
  for (int k = 0; k < out->image->channels; k++) px[k] = r->p.background;
  if (out->depth) cr_image_px(out->depth, u, v)[0] = 0;
  for (int k = 0; k < 3; k++) {
    if (out->xyz) cr_image_px(out->xyz, u, v)[k] = NAN;
    if (out->normal) cr_image_px(out->normal, u, v)[k] = NAN;
  }
}

int cr_ray_render(void *state, const cr_render_options *p, const cr_camera *cam,
                  const cr_pose *cam_from_world, const cr_render_out *out) {
  cr_raycaster *r = state;
  const ray_cam *c;
  int rc = cr_ray_camera(r, cam, &c);
  if (rc) return rc;
  frame_geom g;
  cr_ray_frame(r, cam_from_world, &g);
  if (out->light_at) { // a point light: camera frame -> world, X_w = R^T X_c + C
    g.has_light = 1;
    cr_mat3_apply(g.light_w, g.Rt, out->light_at);
    for (int a = 0; a < 3; a++) g.light_w[a] += g.centre_w[a];
  }
  long (*const pixel)(const cr_raycaster *, const frame_geom *, const ray_t *, int,
                      const cr_render_out *, int, int, int *) = r->kind->pixel;
  // 16x16 tiles: neighbouring rays of a tile reuse the cache lines of the volume.
  const int w = cam->width, h = cam->height, tw = (w + CR_TILE - 1) / CR_TILE;
  const int ntiles = tw * ((h + CR_TILE - 1) / CR_TILE);
  const double *rays = c->rays;
  double *tile_samples = c->tile_samples;
#pragma omp parallel for schedule(dynamic, 1)
  for (int q = 0; q < ntiles; q++) {
    const int u0 = (q % tw) * CR_TILE, v0 = (q / tw) * CR_TILE;
    const int u1 = u0 + CR_TILE < w ? u0 + CR_TILE : w, v1 = v0 + CR_TILE < h ? v0 + CR_TILE : h;
    long n = 0;
    for (int v = v0; v < v1; v++)
      for (int u = u0; u < u1; u++) {
        const size_t i = (size_t)v * w + u;
        int hit = 0;
        if (out->pixel_mask && !out->pixel_mask[i])
          cr_ray_write_miss(r, out, u, v);
        else {
          ray_t ray;
          const int in_box = cr_render_ray_setup(r, &g, rays + 3 * i, &ray);
          n += pixel(r, &g, &ray, in_box, out, u, v, &hit);
        }
        if (out->hit) out->hit[i] = (unsigned char)hit;
      }
    tile_samples[q] = (double)n;
  }
  double total = 0;
  for (int q = 0; q < ntiles; q++) total += tile_samples[q];
  cr_render_add_samples(total);
  return 0;
}

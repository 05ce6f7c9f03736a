// The renderer object: min/max bricks, transfer-function table, camera ray cache, and
// the frame loop (OpenMP over rows) that calls the per-pixel kernels.
#include "render/internal.h"

#include "core/error.h"
#include "core/mat.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ---- bricks ----

// Min and max over the voxels [8b-1, 8b+9] per axis: every voxel a trilinear or
// nearest sample at a position inside the brick can touch, with a margin of one voxel.
static void brick_range(const cr_volume *v, const int b[3], float *mn, float *mx) {
  int lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = (b[a] << CR_BRICK_SHIFT) - 1;
    hi[a] = (b[a] << CR_BRICK_SHIFT) + (1 << CR_BRICK_SHIFT) + 1;
    if (lo[a] < 0) lo[a] = 0;
    if (hi[a] > v->dim[a] - 1) hi[a] = v->dim[a] - 1;
  }
  float m0 = FLT_MAX, m1 = -FLT_MAX;
  for (int k = lo[2]; k <= hi[2]; k++)
    for (int j = lo[1]; j <= hi[1]; j++) {
      const float *row = v->data + cr_volume_index(v, 0, j, k);
      for (int i = lo[0]; i <= hi[0]; i++) {
        float x = row[i];
        if (x < m0) m0 = x;
        if (x > m1) m1 = x;
      }
    }
  *mn = m0, *mx = m1;
}

static float tf_max_alpha(const cr_renderer *r, float lo, float hi) {
  int i0 = (int)floorf(cr_tf_index(r, lo)), i1 = (int)ceilf(cr_tf_index(r, hi));
  float m = 0;
  for (int i = i0; i <= i1 && i <= CR_TF_LUT; i++)
    if (r->tf_alpha[i] > m) m = r->tf_alpha[i];
  return m;
}

static int brick_skippable(const cr_renderer *r, float mn, float mx) {
  const cr_render_params *p = &r->p;
  switch (p->mode) {
  case CR_RENDER_DRR: return p->windowed ? mx <= p->window_lo : (mn == 0 && mx == 0);
  case CR_RENDER_VOLUME: return tf_max_alpha(r, mn, mx) <= 0;
  case CR_RENDER_SURFACE:
  case CR_RENDER_PROBE: return mx < (float)p->iso;
  default: return 0;
  }
}

// Macro bricks (4^3 bricks): skip flag and max over their bricks.
static int make_macro(cr_renderer *r) {
  const int d = CR_MACRO_SHIFT - CR_BRICK_SHIFT;
  for (int a = 0; a < 3; a++) r->nm[a] = ((r->nb[a] - 1) >> d) + 1;
  size_t nm = (size_t)r->nm[0] * r->nm[1] * r->nm[2];
  r->mmax = malloc(nm * sizeof *r->mmax);
  r->mskip = malloc(nm);
  if (!r->mmax || !r->mskip) return cr_error(CR_ENOMEM, "render: out of memory for %zu macro bricks", nm);
  for (size_t q = 0; q < nm; q++) r->mmax[q] = -FLT_MAX, r->mskip[q] = 1;
  for (int k = 0; k < r->nb[2]; k++)
    for (int j = 0; j < r->nb[1]; j++)
      for (int i = 0; i < r->nb[0]; i++) {
        size_t b = (size_t)i + (size_t)r->nb[0] * ((size_t)j + (size_t)r->nb[1] * k);
        size_t m = (size_t)(i >> d) + (size_t)r->nm[0] * ((size_t)(j >> d) + (size_t)r->nm[1] * (k >> d));
        if (r->bmax[b] > r->mmax[m]) r->mmax[m] = r->bmax[b];
        r->mskip[m] &= r->skip[b];
      }
  return 0;
}

// Empty-space distance: edist[b] = Chebyshev distance in bricks from b to the nearest
// brick that is not skipped (0 for those), capped at CR_EDIST_CAP; every brick within
// edist[b] - 1 of b is skipped. Dilation passes over the 26-neighbourhood.
#define CR_EDIST_CAP 8
static int make_edist(cr_renderer *r) {
  const int nx = r->nb[0], ny = r->nb[1], nz = r->nb[2];
  const size_t nb = (size_t)nx * ny * nz;
  uint8_t *e = malloc(nb);
  if (!e) return cr_error(CR_ENOMEM, "render: out of memory for %zu bricks", nb);
  for (size_t q = 0; q < nb; q++) e[q] = r->skip[q] ? 255 : 0;
  for (int d = 1; d < CR_EDIST_CAP; d++)
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
          uint8_t *c = e + (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * k);
          if (*c != 255) continue;
          int near = 0;
          for (int c2 = k > 0 ? k - 1 : 0; c2 <= k + 1 && c2 < nz && !near; c2++)
            for (int c1 = j > 0 ? j - 1 : 0; c1 <= j + 1 && c1 < ny && !near; c1++)
              for (int c0 = i > 0 ? i - 1 : 0; c0 <= i + 1 && c0 < nx; c0++)
                if (e[(size_t)c0 + (size_t)nx * ((size_t)c1 + (size_t)ny * c2)] == d - 1) near = 1;
          if (near) *c = (uint8_t)d;
        }
  for (size_t q = 0; q < nb; q++)
    if (e[q] == 255) e[q] = CR_EDIST_CAP;
  r->edist = e;
  return 0;
}

static int make_bricks(cr_renderer *r) {
  const cr_volume *v = r->surf;
  for (int a = 0; a < 3; a++) r->nb[a] = ((v->dim[a] - 1) >> CR_BRICK_SHIFT) + 1;
  size_t nb = (size_t)r->nb[0] * r->nb[1] * r->nb[2];
  r->bmax = malloc(nb * sizeof *r->bmax);
  r->skip = malloc(nb);
  r->inner = malloc(nb);
  r->inv_step = 1.0 / r->p.step_mm;
  if (!r->bmax || !r->skip || !r->inner) return cr_error(CR_ENOMEM, "render: out of memory for %zu bricks", nb);
  const int nbx = r->nb[0], nby = r->nb[1];
#pragma omp parallel for schedule(dynamic, 16)
  for (long q = 0; q < (long)nb; q++) {
    int b[3] = {(int)(q % nbx), (int)((q / nbx) % nby), (int)(q / ((long)nbx * nby))};
    float mn, mx;
    brick_range(v, b, &mn, &mx);
    r->skip[q] = (uint8_t)brick_skippable(r, mn, mx);
    r->inner[q] = b[0] >= 1 && b[0] <= nbx - 3 && b[1] >= 1 && b[1] <= nby - 3 && b[2] >= 1 &&
                  b[2] <= r->nb[2] - 3;
    if (r->p.mode == CR_RENDER_MIP && r->p.windowed) {
      mx = mx < r->p.window_lo ? r->p.window_lo : (mx > r->p.window_hi ? r->p.window_hi : mx);
      mx -= r->p.window_lo;
    }
    r->bmax[q] = mx;
  }
  // the box around the bricks not skipped, one voxel wider than their extent (samples
  // are assigned to bricks up to rounding): rays are clipped to it before any walk
  int bl[3] = {INT32_MAX, INT32_MAX, INT32_MAX}, bh[3] = {-1, -1, -1};
  for (long q = 0; q < (long)nb; q++) {
    if (r->skip[q]) continue;
    const int b[3] = {(int)(q % nbx), (int)((q / nbx) % nby), (int)(q / ((long)nbx * nby))};
    for (int a = 0; a < 3; a++) {
      if (b[a] < bl[a]) bl[a] = b[a];
      if (b[a] > bh[a]) bh[a] = b[a];
    }
  }
  for (int a = 0; a < 3; a++) {
    r->active_lo[a] = bh[a] < 0 ? 1.0 : (double)(bl[a] << CR_BRICK_SHIFT) - 1.0;
    r->active_hi[a] = bh[a] < 0 ? 0.0 : (double)((bh[a] + 1) << CR_BRICK_SHIFT) + 1.0;
  }
  return make_macro(r) ? CR_ENOMEM : make_edist(r);
}

// ---- transfer function ----

static void tf_eval(const cr_render_params *p, float v, float *alpha, float rgb[3]) {
  const cr_tf_point *t = p->tf;
  int n = p->n_tf, i = 0;
  if (v <= t[0].value || n == 1) i = -1;
  else if (v >= t[n - 1].value) i = n - 1;
  const cr_tf_point *a, *b;
  float w;
  if (i == -1) a = b = &t[0], w = 0;
  else if (i == n - 1) a = b = &t[n - 1], w = 0;
  else {
    while (v > t[i + 1].value) i++;
    a = &t[i], b = &t[i + 1];
    w = b->value > a->value ? (v - a->value) / (b->value - a->value) : 1;
  }
  *alpha = a->opacity + w * (b->opacity - a->opacity);
  for (int c = 0; c < 3; c++) rgb[c] = a->rgb[c] + w * (b->rgb[c] - a->rgb[c]);
}

static void make_tf(cr_renderer *r, float vmin, float vmax) {
  cr_render_params *p = &r->p;
  if (p->n_tf == 0) { // a ramp from just below the iso level to the maximum
    float iso = (float)p->iso;
    cr_tf_point a = {iso * 0.8f, 0, {0.3f, 0.3f, 0.3f}}, b = {vmax, 0.35f, {1, 1, 1}};
    if (!(b.value > a.value)) b.value = a.value + 1;
    p->tf[0] = a, p->tf[1] = b, p->n_tf = 2;
  }
  float lo = p->tf[0].value < vmin ? p->tf[0].value : vmin;
  float hi = p->tf[p->n_tf - 1].value > vmax ? p->tf[p->n_tf - 1].value : vmax;
  if (!(hi > lo)) hi = lo + 1;
  r->tf_lo = lo;
  r->tf_scale = (float)CR_TF_LUT / (hi - lo);
  for (int i = 0; i <= CR_TF_LUT; i++) {
    float a, rgb[3];
    tf_eval(p, lo + (hi - lo) * (float)i / CR_TF_LUT, &a, rgb);
    a = a < 0 ? 0 : (a > 1 ? 1 : a);
    // opacity per mm -> per step
    r->tf_alpha[i] = a <= 0 ? 0 : (float)(1.0 - pow(1.0 - a, p->step_mm));
    memcpy(r->tf_rgb[i], rgb, sizeof rgb);
  }
}

// ---- object ----

int cr_renderer_new(cr_renderer **out, const cr_volume *vol, const cr_render_params *params) {
  *out = NULL;
  if (!vol || !vol->data) return cr_error(CR_EINVAL, "render: no volume");
  cr_renderer *r = calloc(1, sizeof *r);
  if (!r) return cr_error(CR_ENOMEM, "render: out of memory");
  r->vol = r->surf = vol;
  r->p = params ? *params : cr_render_defaults(CR_RENDER_DRR);
  cr_render_params *p = &r->p;
  if (p->mode < CR_RENDER_DRR || p->mode > CR_RENDER_PROBE) {
    int m = (int)p->mode;
    free(r);
    return cr_error(CR_EINVAL, "render: unknown mode %d", m);
  }
  double smin = fmin(vol->spacing[0], fmin(vol->spacing[1], vol->spacing[2]));
  if (!(p->step_mm > 0)) p->step_mm = smin;
  if (p->n_tf < 0 || p->n_tf > CR_TF_MAX || !(p->probe_depth_mm >= 0) || !isfinite(p->step_mm) ||
      (p->windowed && !(p->window_hi > p->window_lo))) {
    free(r);
    return cr_error(CR_EINVAL, "render: bad parameters (transfer function size, probe depth, "
                               "step or window)");
  }
  if (p->step_mm < smin * 1e-3) p->step_mm = smin * 1e-3;
  for (int i = 1; i < p->n_tf; i++)
    if (p->tf[i].value < p->tf[i - 1].value) {
      free(r);
      return cr_error(CR_EINVAL, "render: transfer function values must increase");
    }
  float vmin, vmax;
  cr_volume_minmax(vol, &vmin, &vmax);
  if (isnan(p->iso) && p->mode != CR_RENDER_DRR && p->mode != CR_RENDER_MIP)
    p->iso = cr_render_auto_iso(vol); // DRR and MIP do not use it: left NaN
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) r->A_inv[a][b] = vol->voxel_from_world[a][b];
  {
    static const int ia[6] = {0, 1, 2, 0, 0, 1}, ib[6] = {0, 1, 2, 1, 2, 2};
    for (int q = 0; q < 6; q++) {
      double g = 0;
      for (int c = 0; c < 3; c++) g += r->A_inv[ia[q]][c] * r->A_inv[ib[q]][c];
      r->grad_metric[q] = (float)g;
    }
  }
  if (p->mode == CR_RENDER_VOLUME) make_tf(r, vmin, vmax);
  if ((p->mode == CR_RENDER_SURFACE || p->mode == CR_RENDER_PROBE) && p->surface_smooth_mm > 0) {
    r->smoothed = cr_render_smoothed_copy(vol, p->surface_smooth_mm);
    if (!r->smoothed) {
      cr_renderer_free(r);
      return CR_ENOMEM;
    }
    r->surf = r->smoothed;
  }
  // bricked copies: the surface field, and the values (probe) when they differ
  int value_copy = !r->smoothed || p->mode == CR_RENDER_PROBE;
  if ((value_copy && cr_vol_fast_make(&r->vf_value, vol)) ||
      (r->smoothed ? cr_vol_fast_make(&r->vf, r->smoothed) : (r->vf = r->vf_value, 0))) {
    cr_renderer_free(r);
    return CR_ENOMEM;
  }
  if (make_bricks(r)) {
    cr_renderer_free(r);
    return CR_ENOMEM;
  }
  *out = r;
  return 0;
}

void cr_renderer_free(cr_renderer *r) {
  if (!r) return;
  if (r->vf.data != r->vf_value.data) cr_vol_fast_free(&r->vf);
  cr_vol_fast_free(&r->vf_value);
  cr_volume_free(r->smoothed);
  free(r->bmax);
  free(r->skip);
  free(r->inner);
  free(r->edist);
  free(r->mmax);
  free(r->mskip);
  free(r->rays);
  free(r->tile_samples);
  free(r);
}

const cr_render_params *cr_renderer_params(const cr_renderer *r) { return &r->p; }
double cr_renderer_last_samples(const cr_renderer *r) { return r->last_samples; }

// ---- geometry ----

static size_t tiles_of(const cr_camera *cam) {
  return (size_t)((cam->width + CR_TILE - 1) / CR_TILE) * ((cam->height + CR_TILE - 1) / CR_TILE);
}

static int ensure_rays(cr_renderer *r, const cr_camera *cam) {
  if (r->have_cam && !memcmp(&r->cam, cam, sizeof *cam)) return 0;
  if (cr_camera_validate(cam)) return CR_EINVAL;
  size_t n = (size_t)cam->width * cam->height;
  if (n > r->rays_cap) {
    free(r->rays);
    free(r->tile_samples);
    r->rays = malloc(3 * n * sizeof *r->rays);
    r->tile_samples = malloc(tiles_of(cam) * sizeof *r->tile_samples);
    r->rays_cap = r->rays && r->tile_samples ? n : 0;
    if (!r->rays_cap) {
      r->have_cam = 0;
      return cr_error(CR_ENOMEM, "render: out of memory for %dx%d rays", cam->width, cam->height);
    }
  } else {
    double *rs = realloc(r->tile_samples, tiles_of(cam) * sizeof *r->tile_samples);
    if (!rs) return cr_error(CR_ENOMEM, "render: out of memory");
    r->tile_samples = rs;
  }
  const int undist = r->p.undistorted || !cr_camera_has_distortion(cam);
#pragma omp parallel for schedule(dynamic, 8)
  for (int v = 0; v < cam->height; v++)
    for (int u = 0; u < cam->width; u++) {
      double *d = r->rays + 3 * ((size_t)v * cam->width + u);
      if (undist) d[0] = (u - cam->cx) / cam->fx, d[1] = (v - cam->cy) / cam->fy, d[2] = 1;
      else cr_camera_pixel_ray(cam, u, v, d);
      cr_vec3_normalize(d);
    }
  r->cam = *cam;
  r->have_cam = 1;
  return 0;
}

static void frame_setup(const cr_renderer *r, const cr_pose *cam_from_world, frame_geom *g) {
  cr_pose_camera_centre(cam_from_world, g->centre_w);
  cr_mat4_apply_point(g->centre_v, r->vol->voxel_from_world, g->centre_w);
  cr_mat3_transpose(g->Rt, cam_from_world->R);
  cr_mat3_mul(g->M, r->A_inv, g->Rt);
}

int cr_render_ray_setup(const cr_renderer *r, const frame_geom *g, const double dcam[3], ray_t *ray) {
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
    if (t1 > t2) { double s = t1; t1 = t2; t2 = s; }
    if (t1 > tn) tn = t1;
    if (t2 < tf) tf = t2;
  }
  ray->tn = tn, ray->tf = tf;
  return tn < tf;
}

// ---- frame ----

static int check_out(const cr_image *img, const cr_camera *cam, int c1, int c2, const char *what) {
  if (!img) return 0;
  if (img->width != cam->width || img->height != cam->height ||
      (img->channels != c1 && img->channels != c2))
    return cr_error(CR_EINVAL, "render: %s image is %dx%dx%d, the camera needs %dx%d with %d channel%s",
                    what, img->width, img->height, img->channels, cam->width, cam->height, c1,
                    c1 > 1 ? "s" : "");
  return 0;
}

// The values of a pixel whose ray finds nothing (or that the pixel mask leaves out).
static void write_miss(const cr_renderer *r, const cr_render_out *out, int u, int v) {
  float *px = cr_image_px(out->image, u, v);
  for (int k = 0; k < out->image->channels; k++) px[k] = r->p.background;
  if (out->depth) cr_image_px(out->depth, u, v)[0] = 0;
  for (int k = 0; k < 3; k++) {
    if (out->xyz) cr_image_px(out->xyz, u, v)[k] = NAN;
    if (out->normal) cr_image_px(out->normal, u, v)[k] = NAN;
  }
}

static long render_pixel(const cr_renderer *r, const frame_geom *g, const double *dcam,
                         const cr_render_out *out, int u, int v) {
  ray_t ray;
  const float bg = r->p.background;
  float *px = cr_image_px(out->image, u, v);
  int hit_box = cr_render_ray_setup(r, g, dcam, &ray);
  long n = 0;
  switch (r->p.mode) {
  case CR_RENDER_DRR:
    if (hit_box) n = cr_kernel_drr(r, &ray, px);
    else px[0] = bg;
    return n;
  case CR_RENDER_MIP:
    if (hit_box) n = cr_kernel_mip(r, &ray, px);
    else px[0] = bg;
    return n;
  case CR_RENDER_VOLUME: {
    float c[4] = {0, 0, 0, 0};
    if (hit_box) n = cr_kernel_volume(r, &ray, c);
    for (int k = 0; k < 3; k++) c[k] += (1 - c[3]) * bg;
    if (out->image->channels == 3) px[0] = c[0], px[1] = c[1], px[2] = c[2];
    else px[0] = 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2];
    return n;
  }
  default: break;
  }
  hit_t hit;
  int found = 0;
  // the normal serves shading (surface, lit), the probe direction (along the normal)
  // and the normal output; a probe along the ray without that output does not need it
  const int need_normal = out->normal || (r->p.mode == CR_RENDER_PROBE ? r->p.probe_along_normal : r->p.lit);
  if (hit_box) n = cr_kernel_surface(r, &ray, need_normal, &hit, &found);
  if (!found) {
    write_miss(r, out, u, v);
    return n;
  }
  if (r->p.mode == CR_RENDER_PROBE) n += cr_kernel_probe(r, &ray, &hit, px);
  else {
    double c = -(hit.n_world[0] * ray.dw[0] + hit.n_world[1] * ray.dw[1] + hit.n_world[2] * ray.dw[2]);
    px[0] = !r->p.lit ? 1.0f : (isnan(c) ? 1.0f : (float)(c > 0 ? c : 0));
  }
  if (out->depth) cr_image_px(out->depth, u, v)[0] = (float)(hit.t * dcam[2]);
  for (int k = 0; k < 3; k++) {
    if (out->xyz) cr_image_px(out->xyz, u, v)[k] = (float)(g->centre_w[k] + hit.t * ray.dw[k]);
    if (out->normal) cr_image_px(out->normal, u, v)[k] = (float)hit.n_world[k];
  }
  return n;
}

int cr_render(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
              const cr_render_out *out) {
  if (!out || !out->image) return cr_error(CR_EINVAL, "render: no output image");
  int rc = ensure_rays(r, cam);
  if (rc) return rc;
  int c2 = r->p.mode == CR_RENDER_VOLUME ? 3 : 1;
  if ((rc = check_out(out->image, cam, 1, c2, "output")) || (rc = check_out(out->depth, cam, 1, 1, "depth")) ||
      (rc = check_out(out->xyz, cam, 3, 3, "xyz")) || (rc = check_out(out->normal, cam, 3, 3, "normal")))
    return rc;
  frame_geom g;
  frame_setup(r, cam_from_world, &g);
  // 16x16 tiles: neighbouring rays of a tile reuse the cache lines of the volume.
  const int w = cam->width, h = cam->height, tw = (w + CR_TILE - 1) / CR_TILE;
  const int ntiles = tw * ((h + CR_TILE - 1) / CR_TILE);
#pragma omp parallel for schedule(dynamic, 1)
  for (int q = 0; q < ntiles; q++) {
    const int u0 = (q % tw) * CR_TILE, v0 = (q / tw) * CR_TILE;
    const int u1 = u0 + CR_TILE < w ? u0 + CR_TILE : w, v1 = v0 + CR_TILE < h ? v0 + CR_TILE : h;
    long n = 0;
    for (int v = v0; v < v1; v++)
      for (int u = u0; u < u1; u++) {
        if (out->pixel_mask && !out->pixel_mask[(size_t)v * w + u]) write_miss(r, out, u, v);
        else n += render_pixel(r, &g, r->rays + 3 * ((size_t)v * w + u), out, u, v);
      }
    r->tile_samples[q] = (double)n;
  }
  double total = 0;
  for (int q = 0; q < ntiles; q++) total += r->tile_samples[q];
  r->last_samples = total;
  return 0;
}

int cr_render_surface_points(cr_renderer *r, const cr_camera *cam, const cr_pose *cam_from_world,
                             int stride_px, double *xyz, int max_points, int *n_points,
                             double centroid[3]) {
  if (r->p.mode != CR_RENDER_SURFACE && r->p.mode != CR_RENDER_PROBE)
    return cr_error(CR_EINVAL, "render: surface points need a surface or probe renderer");
  int rc = ensure_rays(r, cam);
  if (rc) return rc;
  if (stride_px < 1) stride_px = 1;
  frame_geom g;
  frame_setup(r, cam_from_world, &g);
  double sum[3] = {0, 0, 0};
  long n = 0;
  for (int v = 0; v < cam->height; v += stride_px)
    for (int u = 0; u < cam->width; u += stride_px) {
      ray_t ray;
      hit_t hit;
      int found = 0;
      if (!cr_render_ray_setup(r, &g, r->rays + 3 * ((size_t)v * cam->width + u), &ray)) continue;
      cr_kernel_surface(r, &ray, 0, &hit, &found);
      if (!found) continue;
      double p[3];
      for (int a = 0; a < 3; a++) p[a] = g.centre_w[a] + hit.t * ray.dw[a], sum[a] += p[a];
      if (xyz && n < max_points) memcpy(xyz + 3 * n, p, sizeof p);
      n++;
    }
  if (n_points) *n_points = (int)(n < max_points || !xyz ? n : max_points);
  if (n == 0) return cr_error(CR_EEMPTY, "render: no pixel of the view sees the surface (iso %g)", r->p.iso);
  if (centroid)
    for (int a = 0; a < 3; a++) centroid[a] = sum[a] / (double)n;
  return 0;
}

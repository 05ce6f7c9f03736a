// The surface and probe modes: the first hit of the isosurface along each pixel ray
// (found at the sampling step, refined by bisection and a linear step), shaded by a
// headlight, with depth, world xyz and normal; the probe mode's image is the max or mean
// of the volume in a shell below the hit. Also the visible surface points of a view.
#include "render/walk.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/mat.h"

// Surface hit: t (mm) of the refined first crossing of the iso level, its position in
// voxels and the unit outward world normal (NaN if the gradient vanishes or was not
// asked for).
typedef struct hit_t {
  double t;
  double x[3];
  double n_world[3];
} hit_t;

// The first j in [k, e) whose sample (xf at k, stepping by s) is at or above iso, or e.
static inline long first_above(const cr_raycaster *r, int sm, float xf[3], const float s[3], long k,
                               long e, float iso) {
#if defined(__SSE2__)
  if (sm == CR_SM_INNER) {
    __m128 pos = _mm_set_ps(0.0f, xf[2], xf[1], xf[0]);
    const __m128 ds = _mm_set_ps(0.0f, s[2], s[1], s[0]);
    for (long j = k; j < e; j++, pos = _mm_add_ps(pos, ds))
      if (!(cr_sample_nc_v(&r->vf, pos) < iso)) return j;
    return e;
  }
#endif
  for (long j = k; j < e; j++, xf[0] += s[0], xf[1] += s[1], xf[2] += s[2])
    if (!(cr_sample_sm(r, sm, xf) < iso)) return j;
  return e;
}

// Gradient of the interpolated surface field at voxel position x, in world coordinates
// (per mm, up to a constant factor), by central differences of one voxel.
static void surface_gradient(const cr_raycaster *r, const double x[3], double g_world[3]) {
  double gv[3];
  const vol_fast *f = &r->vf;
  if (x[0] >= 1 && x[0] < f->mx - 1 && x[1] >= 1 && x[1] < f->my - 1 && x[2] >= 1 &&
      x[2] < f->mz - 1) {
    // no clamping: the six samples x +- 1 share the cell fractions of x (x +- 1 and
    // their differences with the cell bases are exact in double)
    const int i = (int)x[0], j = (int)x[1], k = (int)x[2];
    const float fx = (float)(x[0] - i), fy = (float)(x[1] - j), fz = (float)(x[2] - k);
    const float *d = f->data;
    const size_t oi = f->ox[i], oj = f->oy[j], ok = f->oz[k];
    gv[0] = (double)cr_cell_lerp_b(d + f->ox[i + 1] + oj + ok, fx, fy, fz) -
            (double)cr_cell_lerp_b(d + f->ox[i - 1] + oj + ok, fx, fy, fz);
    gv[1] = (double)cr_cell_lerp_b(d + oi + f->oy[j + 1] + ok, fx, fy, fz) -
            (double)cr_cell_lerp_b(d + oi + f->oy[j - 1] + ok, fx, fy, fz);
    gv[2] = (double)cr_cell_lerp_b(d + oi + oj + f->oz[k + 1], fx, fy, fz) -
            (double)cr_cell_lerp_b(d + oi + oj + f->oz[k - 1], fx, fy, fz);
  } else {
    for (int a = 0; a < 3; a++) {
      double p[3] = {x[0], x[1], x[2]}, m[3] = {x[0], x[1], x[2]};
      p[a] += 1.0, m[a] -= 1.0;
      gv[a] = (double)cr_sample_fast_d(f, p[0], p[1], p[2]) -
              (double)cr_sample_fast_d(f, m[0], m[1], m[2]);
    }
  }
  cr_mat3_apply_transpose(g_world, r->A_inv, gv); // d/dworld = A_inv^T d/dvoxel
}

static inline float refine_sample(const cr_raycaster *r, const ray_t *ray, double t, int inner) {
  double x[3];
  ray_pos(ray, t, x);
  return inner ? cr_sample_fast_nc(&r->vf, (float)x[0], (float)x[1], (float)x[2]) : cr_sample(r, x);
}

// The crossing in [lo, hi] (value(lo) < iso <= value(hi)): four bisection levels (to
// 1/16 of the step), two per round (the midpoint and both possible next midpoints are
// sampled together: three independent samples instead of a chain of two), then one
// linear interpolation between the end values of the last interval. Along a ray the
// trilinear field is a cubic per cell, so on a 1/16-voxel interval the linear step is
// within microns of the root: further bisection (14 levels before) bought nothing but
// samples, two thirds of a surface render's refinement time.
static double refine(const cr_raycaster *r, const ray_t *ray, double lo, double hi, long *count) {
  const float iso = (float)r->p.iso;
  double a[3], b[3];
  // both ends (so every midpoint) well inside the cells that need no clamps: the same
  // values from the clamp-free sampler
  ray_pos(ray, lo, a);
  ray_pos(ray, hi, b);
  const float lim[3] = {r->vf.mx - 1.01f, r->vf.my - 1.01f, r->vf.mz - 1.01f};
  int inner = r->p.interp == CR_INTERP_LINEAR;
  for (int d = 0; d < 3; d++) inner &= a[d] > 0.01 && b[d] > 0.01 && a[d] < lim[d] && b[d] < lim[d];
  float flo = NAN, fhi = NAN; // values at lo and hi once sampled
  for (int round = 0; round < 2; round++) {
    const double mid = 0.5 * (lo + hi), mlo = 0.5 * (lo + mid), mhi = 0.5 * (mid + hi);
    const float v = refine_sample(r, ray, mid, inner), vl = refine_sample(r, ray, mlo, inner);
    const float vh = refine_sample(r, ray, mhi, inner);
    *count += 3;
    if (v >= iso) {
      hi = mid, fhi = v;
      if (vl >= iso)
        hi = mlo, fhi = vl;
      else
        lo = mlo, flo = vl;
    } else {
      lo = mid, flo = v;
      if (vh >= iso)
        hi = mhi, fhi = vh;
      else
        lo = mhi, flo = vh;
    }
  }
  if (isnan(flo)) flo = refine_sample(r, ray, lo, inner), (*count)++;
  if (isnan(fhi)) fhi = refine_sample(r, ray, hi, inner), (*count)++;
  // the ends come from the bricked sampler at exact positions, so the bracket may be
  // off by rounding: clamp the interpolation weight into the interval
  // off by rounding: clamp the interpolation weight into the interval; infinite end
  // values (inf voxels of an in-memory volume) give inf/inf = NaN: the midpoint
  double w = fhi > flo ? ((double)iso - flo) / ((double)fhi - flo) : 0.5;
  w = w < 0 ? 0 : (w > 1 ? 1 : (w >= 0 ? w : 0.5));
  return lo + w * (hi - lo);
}

// The hit at t; its normal (six more samples) only when the caller needs it, else NaN.
static void fill_hit(const cr_raycaster *r, const ray_t *ray, double t, hit_t *hit,
                     int need_normal) {
  hit->t = t;
  ray_pos(ray, t, hit->x);
  if (!need_normal) {
    hit->n_world[0] = hit->n_world[1] = hit->n_world[2] = NAN;
    return;
  }
  double g[3];
  surface_gradient(r, hit->x, g);
  double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  for (int a = 0; a < 3; a++) hit->n_world[a] = gn > 0 ? -g[a] / gn : NAN;
}

// First sample at or above the iso level (samples at tn + k step and at tf), refined by
// bisection against the previous sample, which is below the level.
static long surface_kernel(const cr_raycaster *r, const ray_t *ray_in, int need_normal, hit_t *hit,
                           int *found) {
  const double step = r->p.step_mm;
  const float iso = (float)r->p.iso;
  long n = (long)floor((ray_in->tf - ray_in->tn) / step) + 1, k0; // samples on the lattice
  ray_t clipped;
  *found = 0;
  if (!clip_to_active_box(r, ray_in, 0.0, n, &clipped, &k0, &n)) return 0;
  // clipped before the ray's end: the piece after the last sample is empty space
  if (clipped.tf < ray_in->tf) clipped.tf = clipped.tn + (double)(n - 1) * step;
  const ray_t *ray = &clipped;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step),
              sz = (float)(ray->dv[2] * step);
  double x[3];
  float xf[3];
  long count = 0;
  *found = 0;
  walk_t w;
  walk_begin(r, ray, &w, 0.0);
  for (long k = 0; k < n;) {
    size_t bi;
    int sm;
    long e = walk_next(r, ray, &w, k, n, 0, &bi, &sm, 0);
    if (e == k) continue;
    if (bi != CR_SKIPPED && !r->skip[bi]) {
      ray_pos_f(ray, ray->tn + (double)k * step, xf);
      const float s3[3] = {sx, sy, sz};
      long j = first_above(r, sm, xf, s3, k, e, iso);
      count += j < e ? j - k + 1 : e - k;
      if (j < e) {
        double t = ray->tn + (double)j * step;
        double th = j == 0 && k0 == 0 ? t : refine(r, ray, t - step, t, &count);
        fill_hit(r, ray, th, hit, need_normal);
        *found = 1;
        return count + (need_normal ? 6 : 0);
      }
    }
    k = e;
  }
  // the last piece of the chord, from the last lattice sample to tf
  double tl = ray->tn + (double)(n - 1) * step;
  if (ray->tf - tl > 1e-9) {
    ray_pos(ray, ray->tf, x);
    count++;
    int b[3]; // a sample in a skipped brick is below the level: no need to read it
    if (!r->skip[cr_brick_of(r, x, b)] && cr_sample(r, x) >= iso) {
      fill_hit(r, ray, refine(r, ray, tl, ray->tf, &count), hit, need_normal);
      *found = 1;
      return count + (need_normal ? 6 : 0);
    }
  }
  return count;
}

// Max or mean of the volume on 0..d mm below the hit, along the ray or the inward
// normal, at the sampling step, stopping at the volume box.
static long probe_kernel(const cr_raycaster *r, const ray_t *ray, const hit_t *hit, float *out) {
  const double step = r->p.step_mm, d = r->p.probe_depth_mm;
  double dir[3];
  if (r->p.probe_along_normal && !isnan(hit->n_world[0])) {
    double inw[3] = {-hit->n_world[0], -hit->n_world[1], -hit->n_world[2]};
    for (int a = 0; a < 3; a++)
      dir[a] = r->A_inv[a][0] * inw[0] + r->A_inv[a][1] * inw[1] + r->A_inv[a][2] * inw[2];
  } else {
    dir[0] = ray->dv[0], dir[1] = ray->dv[1], dir[2] = ray->dv[2];
  }
  const long n = (long)floor(d / step + 1e-9);
  double sum = 0;
  float m = -FLT_MAX;
  long count = 0;
  for (long j = 0; j <= n; j++) {
    double s = (double)j * step, x[3];
    int inside = 1;
    for (int a = 0; a < 3; a++) {
      x[a] = hit->x[a] + s * dir[a];
      if (x[a] < -0.5 || x[a] > r->vol->dim[a] - 0.5) inside = 0;
    }
    if (!inside) break;
    float v = cr_sample_value(r, x);
    sum += v;
    if (v > m) m = v;
    count++;
  }
  if (count == 0) { // the hit itself is on the box face
    *out = cr_sample_value(r, hit->x);
    return 1;
  }
  *out = r->p.probe_mean ? (float)(sum / (double)count) : m;
  return count;
}

// One pixel of the surface (probe = 0) or probe (probe = 1) mode.
static inline long first_hit_pixel(const cr_raycaster *r, const frame_geom *g, const ray_t *ray,
                                   int in_box, const cr_render_out *out, int u, int v, int *hit_out,
                                   const int probe) {
  hit_t hit;
  int found = 0;
  long n = 0;
  // the normal serves shading (surface, lit), the probe direction (along the normal)
  // and the normal output; a probe along the ray without that output does not need it
  const int need_normal = out->normal || (probe ? r->p.probe_along_normal : r->p.lit);
  if (in_box) n = surface_kernel(r, ray, need_normal, &hit, &found);
  *hit_out = found;
  if (!found) {
    cr_ray_write_miss(r, out, u, v);
    return n;
  }
  float *px = cr_image_px(out->image, u, v);
  if (probe)
    n += probe_kernel(r, ray, &hit, px);
  else {
    double c;
    if (g->has_light) { // Lambert: the point light, else the headlight along -ray
      double l[3], n2 = 0;
      for (int k = 0; k < 3; k++)
        l[k] = g->light_w[k] - (g->centre_w[k] + hit.t * ray->dw[k]), n2 += l[k] * l[k];
      c = (hit.n_world[0] * l[0] + hit.n_world[1] * l[1] + hit.n_world[2] * l[2]) / sqrt(n2);
    } else {
      c = -(hit.n_world[0] * ray->dw[0] + hit.n_world[1] * ray->dw[1] +
            hit.n_world[2] * ray->dw[2]);
    }
    px[0] = !r->p.lit ? 1.0f : (isnan(c) ? 1.0f : (float)(c > 0 ? c : 0));
  }
  if (out->depth) cr_image_px(out->depth, u, v)[0] = (float)(hit.t * ray->dcam[2]);
  for (int k = 0; k < 3; k++) {
    if (out->xyz) cr_image_px(out->xyz, u, v)[k] = (float)(g->centre_w[k] + hit.t * ray->dw[k]);
    if (out->normal) cr_image_px(out->normal, u, v)[k] = (float)hit.n_world[k];
  }
  return n;
}

static long surface_pixel(const cr_raycaster *r, const frame_geom *g, const ray_t *ray, int in_box,
                          const cr_render_out *out, int u, int v, int *hit) {
  return first_hit_pixel(r, g, ray, in_box, out, u, v, hit, 0);
}

static long probe_pixel(const cr_raycaster *r, const frame_geom *g, const ray_t *ray, int in_box,
                        const cr_render_out *out, int u, int v, int *hit) {
  return first_hit_pixel(r, g, ray, in_box, out, u, v, hit, 1);
}

// The field whose isosurface is found: the volume smoothed by surface_smooth_mm.
static int surface_prepare(cr_raycaster *r, float vmin, float vmax) {
  if (!(r->p.surface_smooth_mm > 0)) return 0;
  if (!(r->smoothed = cr_render_smoothed_copy(r->vol, r->p.surface_smooth_mm))) return CR_ENOMEM;
  r->surf = r->smoothed;
  return 0;
}

// Bricks entirely below the iso level hold no crossing.
static int surface_skippable(const cr_raycaster *r, float mn, float mx) {
  return mx < (float)r->p.iso;
}

static void surface_defaults(cr_render_options *p) {
  p->surface_smooth_mm = 1.0;
}

// The first hits of every stride_px-th pixel ray (no normals).
static int surface_points(void *state, const cr_render_options *p, const cr_camera *cam,
                          const cr_pose *cam_from_world, int stride_px, double *xyz, int max_points,
                          int *n_points, double centroid[3]) {
  cr_raycaster *r = state;
  const ray_cam *c;
  int rc = cr_ray_camera(r, cam, &c);
  if (rc) return rc;
  if (stride_px < 1) stride_px = 1;
  frame_geom g;
  cr_ray_frame(r, cam_from_world, &g);
  double sum[3] = {0, 0, 0};
  long n = 0;
  for (int v = 0; v < cam->height; v += stride_px)
    for (int u = 0; u < cam->width; u += stride_px) {
      ray_t ray;
      hit_t hit;
      int found = 0;
      if (!cr_render_ray_setup(r, &g, c->rays + 3 * ((size_t)v * cam->width + u), &ray)) continue;
      surface_kernel(r, &ray, 0, &hit, &found);
      if (!found) continue;
      double q[3];
      for (int a = 0; a < 3; a++) q[a] = g.centre_w[a] + hit.t * ray.dw[a], sum[a] += q[a];
      if (xyz && n < max_points) memcpy(xyz + 3 * n, q, sizeof q);
      n++;
    }
  if (n_points) *n_points = (int)(n < max_points || !xyz ? n : max_points);
  if (n == 0)
    return cr_error(CR_EEMPTY, "render: no pixel of the view sees the surface (iso %g)", r->p.iso);
  if (centroid)
    for (int a = 0; a < 3; a++) centroid[a] = sum[a] / (double)n;
  return 0;
}

static const cr_ray_mode surface_kind = {.uses_iso = 1,
                                         .prepare = surface_prepare,
                                         .skippable = surface_skippable,
                                         .pixel = surface_pixel};
static const cr_ray_mode probe_kind = {.uses_iso = 1,
                                       .reads_values = 1,
                                       .prepare = surface_prepare,
                                       .skippable = surface_skippable,
                                       .pixel = probe_pixel};

static int surface_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                          cr_render_options *p) {
  return cr_ray_create(state, vol, p, &surface_kind);
}

static int probe_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                        cr_render_options *p) {
  return cr_ray_create(state, vol, p, &probe_kind);
}

const cr_render_mode_type cr_render_mode_surface = {
    .name = "surface",
    .summary = "first hit of the iso level (--iso, default Otsu): shaded image, depth, xyz, normal",
    .outputs = CR_RENDER_OUT_DEPTH | CR_RENDER_OUT_XYZ | CR_RENDER_OUT_NORMAL,
    .needs_volume = 1,
    .defaults = surface_defaults,
    .point_light = 1,
    .create = surface_create,
    .destroy = cr_ray_destroy,
    .fork = cr_ray_fork,
    .render = cr_ray_render,
    .surface_points = surface_points,
};

const cr_render_mode_type cr_render_mode_probe = {
    .name = "probe",
    .summary = "max (--probe-mean: mean) of the volume 0..--probe-depth mm below the surface: "
               "vessels, sulci",
    .outputs = CR_RENDER_OUT_DEPTH | CR_RENDER_OUT_XYZ | CR_RENDER_OUT_NORMAL,
    .needs_volume = 1,
    .defaults = surface_defaults,
    .create = probe_create,
    .destroy = cr_ray_destroy,
    .fork = cr_ray_fork,
    .render = cr_ray_render,
    .surface_points = surface_points,
};

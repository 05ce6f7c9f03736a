// Per-pixel ray kernels of every mode. Pure functions of (renderer, ray): no
// allocation, no shared writes, so the caller may run them on any thread.
#include "render/internal.h"

#include <float.h>
#include <limits.h>
#include <math.h>

static inline void ray_pos(const ray_t *ray, double t, double x[3]) {
  x[0] = ray->o[0] + t * ray->dv[0];
  x[1] = ray->o[1] + t * ray->dv[1];
  x[2] = ray->o[2] + t * ray->dv[2];
}

static inline void ray_pos_f(const ray_t *ray, double t, float x[3]) {
  x[0] = (float)(ray->o[0] + t * ray->dv[0]);
  x[1] = (float)(ray->o[1] + t * ray->dv[1]);
  x[2] = (float)(ray->o[2] + t * ray->dv[2]);
}

static inline float window_value(const cr_renderer *r, float v) {
  if (!r->p.windowed) return v;
  v = v < r->p.window_lo ? r->p.window_lo : (v > r->p.window_hi ? r->p.window_hi : v);
  return v - r->p.window_lo;
}

// Index of the first sample t0 + (k + offset) * step at or beyond t_exit (> k).
static inline long next_sample(double t_exit, double t0, double step, double offset, long k) {
  double f = ceil((t_exit - t0) / step - offset);
  long kk = f > (double)LONG_MAX / 2 ? LONG_MAX / 2 : (long)f;
  return kk > k ? kk : k + 1;
}

// Samples k in [k, n) at t = tn + (k + off) step are walked brick by brick: returns the
// end of the run of samples inside the brick of sample k (> k), and that brick's index.
static inline long segment_end(const cr_renderer *r, const ray_t *ray, long k, double off, long n,
                               size_t *bi) {
  double x[3];
  int b[3];
  ray_pos(ray, ray->tn + ((double)k + off) * r->p.step_mm, x);
  *bi = cr_brick_of(r, x, b);
  long e = next_sample(cr_brick_exit(r, ray, b), ray->tn, r->p.step_mm, off, k);
  return e < n ? e : n;
}

// Midpoint rule on the clipped chord; the last partial step is weighted by its length,
// so a uniform box integrates exactly to value * chord.
long cr_kernel_drr(const cr_renderer *r, const ray_t *ray, float *out) {
  const double step = r->p.step_mm, L = ray->tf - ray->tn;
  const long n_full = (long)floor(L / step);
  const double rem = L - (double)n_full * step;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
  double acc = 0, x[3];
  float xf[3];
  long count = 0;
  for (long k = 0; k < n_full;) {
    size_t bi;
    long e = segment_end(r, ray, k, 0.5, n_full, &bi);
    if (!r->skip[bi]) {
      ray_pos_f(ray, ray->tn + ((double)k + 0.5) * step, xf);
      count += e - k;
      for (; k < e; k++) {
        acc += window_value(r, cr_sample_f(r, xf));
        xf[0] += sx, xf[1] += sy, xf[2] += sz;
      }
    }
    k = e;
  }
  acc *= step;
  if (rem > 1e-9) {
    ray_pos(ray, ray->tn + (double)n_full * step + 0.5 * rem, x);
    acc += window_value(r, cr_sample(r, x)) * rem;
    count++;
  }
  *out = (float)acc;
  return count;
}

// Maximum over samples at tn + k step, k = 0..n, and tf; bricks whose maximum cannot
// beat the current one are skipped.
long cr_kernel_mip(const cr_renderer *r, const ray_t *ray, float *out) {
  const double step = r->p.step_mm;
  const long n = (long)floor((ray->tf - ray->tn) / step) + 1;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
  float m = -FLT_MAX;
  double x[3];
  float xf[3];
  long count = 0;
  for (long k = 0; k < n;) {
    size_t bi;
    long e = segment_end(r, ray, k, 0.0, n, &bi);
    if (r->bmax[bi] > m) {
      ray_pos_f(ray, ray->tn + (double)k * step, xf);
      count += e - k;
      for (; k < e; k++) {
        float v = window_value(r, cr_sample_f(r, xf));
        if (v > m) m = v;
        xf[0] += sx, xf[1] += sy, xf[2] += sz;
      }
    }
    k = e;
  }
  ray_pos(ray, ray->tf, x);
  float v = window_value(r, cr_sample(r, x));
  *out = v > m ? v : m;
  return count + 1;
}

// Shading factor of a headlight: ambient 0.2 plus 0.8 |cos| between ray and gradient.
static float headlight(const cr_renderer *r, const float xf[3], const ray_t *ray) {
  double g[3], x[3] = {xf[0], xf[1], xf[2]};
  cr_render_gradient(r, x, g);
  double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  if (!(gn > 0)) return 1.0f;
  double c = fabs(g[0] * ray->dw[0] + g[1] * ray->dw[1] + g[2] * ray->dw[2]) / gn;
  return (float)(0.2 + 0.8 * c);
}

// Front-to-back emission-absorption; stops when the accumulated opacity reaches 0.995.
long cr_kernel_volume(const cr_renderer *r, const ray_t *ray, float rgba[4]) {
  const double step = r->p.step_mm;
  const long n = (long)floor((ray->tf - ray->tn) / step);
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
  float A = 0, C[3] = {0, 0, 0};
  float x[3];
  long count = 0;
  for (long k = 0; k < n && A < 0.995f;) {
    size_t bi;
    long e = segment_end(r, ray, k, 0.5, n, &bi);
    if (r->skip[bi]) {
      k = e;
      continue;
    }
    ray_pos_f(ray, ray->tn + ((double)k + 0.5) * step, x);
    for (; k < e && A < 0.995f; k++, x[0] += sx, x[1] += sy, x[2] += sz) {
      float f = cr_tf_index(r, cr_sample_f(r, x));
      int i = (int)f;
      if (i >= CR_TF_LUT) i = CR_TF_LUT - 1;
      float w = f - (float)i;
      float alpha = r->tf_alpha[i] + w * (r->tf_alpha[i + 1] - r->tf_alpha[i]);
      count++;
      if (alpha <= 0) continue;
      float shade = r->p.lit ? headlight(r, x, ray) : 1.0f;
      float wgt = (1 - A) * alpha * shade;
      for (int c = 0; c < 3; c++)
        C[c] += wgt * (r->tf_rgb[i][c] + w * (r->tf_rgb[i + 1][c] - r->tf_rgb[i][c]));
      A += (1 - A) * alpha;
    }
  }
  rgba[0] = C[0], rgba[1] = C[1], rgba[2] = C[2], rgba[3] = A;
  return count;
}

// Bisection of the crossing in [lo, hi] (value(lo) < iso <= value(hi)).
static double refine(const cr_renderer *r, const ray_t *ray, double lo, double hi, long *count) {
  const float iso = (float)r->p.iso;
  double x[3];
  for (int it = 0; it < 14 && hi - lo > 1e-5; it++) {
    double mid = 0.5 * (lo + hi);
    ray_pos(ray, mid, x);
    if (cr_sample(r, x) >= iso) hi = mid;
    else lo = mid;
    (*count)++;
  }
  return 0.5 * (lo + hi);
}

static void fill_hit(const cr_renderer *r, const ray_t *ray, double t, hit_t *hit) {
  hit->t = t;
  ray_pos(ray, t, hit->x);
  double g[3];
  cr_render_gradient(r, hit->x, g);
  double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  for (int a = 0; a < 3; a++) hit->n_world[a] = gn > 0 ? -g[a] / gn : NAN;
}

// First sample at or above the iso level (samples at tn + k step and at tf), refined by
// bisection against the previous sample, which is below the level.
long cr_kernel_surface(const cr_renderer *r, const ray_t *ray, hit_t *hit, int *found) {
  const double step = r->p.step_mm;
  const float iso = (float)r->p.iso;
  const long n = (long)floor((ray->tf - ray->tn) / step) + 1; // samples on the lattice
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
  double x[3];
  float xf[3];
  long count = 0;
  *found = 0;
  for (long k = 0; k < n;) {
    size_t bi;
    long e = segment_end(r, ray, k, 0.0, n, &bi);
    if (!r->skip[bi]) {
      ray_pos_f(ray, ray->tn + (double)k * step, xf);
      for (long j = k; j < e; j++, xf[0] += sx, xf[1] += sy, xf[2] += sz) {
        count++;
        if (cr_sample_f(r, xf) < iso) continue;
        double t = ray->tn + (double)j * step;
        double th = j == 0 ? t : refine(r, ray, t - step, t, &count);
        fill_hit(r, ray, th, hit);
        *found = 1;
        return count + 6;
      }
    }
    k = e;
  }
  // the last piece of the chord, from the last lattice sample to tf
  double tl = ray->tn + (double)(n - 1) * step;
  if (ray->tf - tl > 1e-9) {
    ray_pos(ray, ray->tf, x);
    count++;
    if (cr_sample(r, x) >= iso) {
      fill_hit(r, ray, refine(r, ray, tl, ray->tf, &count), hit);
      *found = 1;
      return count + 6;
    }
  }
  return count;
}

// Max or mean of the volume on 0..d mm below the hit, along the ray or the inward
// normal, at the sampling step, stopping at the volume box.
long cr_kernel_probe(const cr_renderer *r, const ray_t *ray, const hit_t *hit, float *out) {
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

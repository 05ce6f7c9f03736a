// The DRR mode: the line integral of the (optionally windowed) intensity along each
// pixel ray, intensity*mm, by the midpoint rule over the span of non-empty bricks.
#include "render/walk.h"

#include <math.h>

// Sum of the samples xf + j s, j = 0..count-1 (count of them) with sampler sm, in
// order. Each position is formed from j (one rounding of the product, one of the sum),
// not by repeated addition, whose drift over a whole chord reached 1e-3 voxel.
static inline double run_sum(const cr_raycaster *r, int sm, const float xf[3], const float s[3],
                             long count, double acc) {
#if defined(__SSE2__)
  if (sm == CR_SM_INNER && !r->p.windowed) {
    const __m128 x0 = _mm_set_ps(0.0f, xf[2], xf[1], xf[0]),
                 ds = _mm_set_ps(0.0f, s[2], s[1], s[0]);
    __m128 jv = _mm_setzero_ps();
    const __m128 one = _mm_set1_ps(1.0f);
    // two single-precision partial sums (even and odd samples) break the dependency
    // chain of one double accumulator; a run is at most a chord of the volume, so
    // float keeps ~1e-6 relative accuracy
    float a0 = 0, a1 = 0;
    long j = 0;
    for (; j + 1 < count; j += 2) {
      a0 += cr_sample_nc_v(&r->vf, _mm_add_ps(x0, _mm_mul_ps(jv, ds)));
      jv = _mm_add_ps(jv, one);
      a1 += cr_sample_nc_v(&r->vf, _mm_add_ps(x0, _mm_mul_ps(jv, ds)));
      jv = _mm_add_ps(jv, one);
    }
    if (j < count) a0 += cr_sample_nc_v(&r->vf, _mm_add_ps(x0, _mm_mul_ps(jv, ds)));
    return acc + ((double)a0 + (double)a1);
  }
#endif
  for (long j = 0; j < count; j++) {
    const float fj = (float)j, x[3] = {xf[0] + fj * s[0], xf[1] + fj * s[1], xf[2] + fj * s[2]};
    acc += window_value(r, sm == CR_SM_INNER ? cr_sample_fast_nc(&r->vf, x[0], x[1], x[2])
                                             : cr_sample_sm(r, sm, x));
  }
  return acc;
}

// First sample index (of 0..n-1, at t = tn + (k + off) step) in a brick that is not
// skipped, walking from the ray's start; n if none.
static long first_active_sample(const cr_raycaster *r, const ray_t *ray, double off, long n) {
  walk_t w;
  walk_begin(r, ray, &w, off);
  for (long k = 0; k < n;) {
    size_t bi;
    int sm;
    const long e = walk_next(r, ray, &w, k, n, 0, &bi, &sm, 0);
    if (e == k) continue;
    if (bi != CR_SKIPPED && !r->skip[bi]) return k;
    k = e;
  }
  return n;
}

// The samples [*ka, *kb) of 0..n-1 (at t = tn + (k + off) step) between the first and
// the last brick that is not skipped: found by two walks, one from each end of the ray,
// so the empty space outside is skipped at the macro-brick level, while the span itself
// is sampled without a brick-by-brick walk (whose per-brick set-up cost more than the
// few empty samples it saved inside a head). DRR only: samples of the span that lie in
// skipped bricks read exactly 0 (or at most the window's low end). Returns 0 if none.
static int active_span(const cr_raycaster *r, const ray_t *ray, double off, long n, long *ka,
                       long *kb) {
  const double step = r->p.step_mm;
  ray_t rc;
  long k0, n_c;
  if (!clip_to_active_box(r, ray, off, n, &rc, &k0, &n_c)) return 0;
  const double tb = rc.tf;
  *ka = k0 + first_active_sample(r, &rc, off, n_c);
  if (*ka >= n) return 0;
  ray_t rv = rc; // the same line walked from tb back, t' = tb - t
  for (int a = 0; a < 3; a++) {
    rv.o[a] = ray->o[a] + tb * ray->dv[a];
    rv.dv[a] = -ray->dv[a], rv.inv[a] = -ray->inv[a], rv.dw[a] = -ray->dw[a];
  }
  rv.tn = 0, rv.tf = tb - rc.tn;
  const long nb = (long)floor(rv.tf / step) + 1;
  const long m0 = first_active_sample(r, &rv, 0.0, nb);
  // the last active brick begins (seen backwards) after t' = (m0 - 1) step: every
  // sample with t beyond tb - (m0 - 1) step lies in skipped bricks; keep one more
  // sample against rounding
  const double t_end = tb - (double)(m0 - 1) * step;
  const double f = (t_end - ray->tn) / step - off;
  long kb1 = f < (double)n ? (long)floor(f) + 2 : n;
  *kb = kb1 > n ? n : (kb1 < *ka ? *ka : kb1);
  return *kb > *ka;
}

// The sampler for samples k in [ka, kb) (at t = tn + (k + off) step): clamp-free when
// both ends (so the whole segment) lie well inside the cells that need no clamps.
static int span_sampler(const cr_raycaster *r, const ray_t *ray, double off, long ka, long kb) {
  if (r->p.interp == CR_INTERP_NEAREST) return CR_SM_NEAREST;
  const double step = r->p.step_mm;
  double a[3], b[3];
  ray_pos(ray, ray->tn + ((double)ka + off) * step, a);
  ray_pos(ray, ray->tn + ((double)(kb - 1) + off) * step, b);
  const double lim[3] = {r->vf.mx - 1.01, r->vf.my - 1.01, r->vf.mz - 1.01};
  for (int d = 0; d < 3; d++)
    if (!(a[d] > 0.01 && b[d] > 0.01 && a[d] < lim[d] && b[d] < lim[d])) return CR_SM_CLAMP;
  return CR_SM_INNER;
}

// Midpoint rule on the clipped chord; the last partial step is weighted by its length,
// so a uniform box integrates exactly to value * chord.
static long drr_kernel(const cr_raycaster *r, const ray_t *ray, float *out) {
  const double step = r->p.step_mm, L = ray->tf - ray->tn;
  const long n_full = (long)floor(L / step);
  const double rem = L - (double)n_full * step;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step),
              sz = (float)(ray->dv[2] * step);
  double acc = 0, x[3];
  float xf[3];
  long count = 0;
  const float s3[3] = {sx, sy, sz};
  long ka, kb;
  if (active_span(r, ray, 0.5, n_full, &ka, &kb)) {
    ray_pos_f(ray, ray->tn + ((double)ka + 0.5) * step, xf);
    count += kb - ka;
    acc = run_sum(r, span_sampler(r, ray, 0.5, ka, kb), xf, s3, kb - ka, acc);
  }
  acc *= step;
  if (rem > 1e-9) {
    ray_pos(ray, ray->tn + (double)n_full * step + 0.5 * rem, x);
    int b[3]; // a skipped brick's samples are +0 (value 0, or at or below the window)
    if (r->skip[cr_brick_of(r, x, b)])
      acc += 0.0;
    else
      acc += window_value(r, cr_sample(r, x)) * rem;
    count++;
  }
  *out = (float)acc;
  return count;
}

static long drr_pixel(const cr_raycaster *r, const frame_geom *g, const ray_t *ray, int in_box,
                      const cr_render_out *out, int u, int v, int *hit) {
  float *px = cr_image_px(out->image, u, v);
  *hit = in_box;
  if (!in_box) {
    px[0] = r->p.background;
    return 0;
  }
  return drr_kernel(r, ray, px);
}

// Bricks that add nothing: all zero, or at or below the window's low end.
static int drr_skippable(const cr_raycaster *r, float mn, float mx) {
  return r->p.windowed ? mx <= r->p.window_lo : (mn == 0 && mx == 0);
}

static const cr_ray_mode drr_kind = {.skippable = drr_skippable, .pixel = drr_pixel};

static int drr_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                      cr_render_options *p) {
  return cr_ray_create(state, vol, p, &drr_kind);
}

const cr_render_mode_type cr_render_mode_drr = {
    .name = "drr",
    .summary = "line integral of the (--window LO,HI) intensity along the ray, value*mm",
    .outputs = 0,
    .needs_volume = 1,
    .create = drr_create,
    .destroy = cr_ray_destroy,
    .fork = cr_ray_fork,
    .render = cr_ray_render,
};

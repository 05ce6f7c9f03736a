// Per-pixel ray kernels of every mode. Pure functions of (renderer, ray): no
// allocation, no shared writes, so the caller may run them on any thread.
#include "render/internal.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>

#include "core/mat.h"

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

// Index of the first sample t0 + (k + offset) * step at or beyond t (at least k).
// inv_step = 1 / step; ceil without a library call.
static inline long first_sample(double t, double t0, double inv_step, double offset, long k) {
  double f = (t - t0) * inv_step - offset;
  if (!(f < (double)(LONG_MAX / 2))) return LONG_MAX / 2;
  long kk = (long)f;
  kk += (double)kk < f;
  return kk > k ? kk : k;
}

// A 3D DDA over the bricks a ray crosses: the current brick and the ray parameter (mm)
// where the ray leaves it across each axis (INFINITY where the brick is the last one
// along the ray: edge bricks extend to infinity, the ray is clipped to the grid box).
// Exit parameters are (face - o) / dv, so a sample is assigned to the brick it lies in
// up to rounding, which the 1-voxel margin of the brick ranges covers.
typedef struct walk_t {
  int b[3];
  size_t bi;
  double tnext[3];
  double off; // sample k is at t = tn + (k + off) * step
} walk_t;

static inline double face_exit(const cr_renderer *r, const ray_t *ray, int a, int b, int shift, int n) {
  double d = ray->dv[a];
  if (d > 1e-15 && b < n - 1) return ((double)((b + 1) << shift) - ray->o[a]) * ray->inv[a];
  if (d < -1e-15 && b > 0) return ((double)(b << shift) - ray->o[a]) * ray->inv[a];
  return INFINITY;
}

// The position where the walk enters the next brick across a face at ray parameter te,
// taken a hair (1e-6 step) past te: when the ray crosses two or three faces at once
// (an edge or corner, e.g. a diagonal ray from integer coordinates), the axes not forced
// by the caller must also land on the far side. At te itself they would round back into
// the empty macro brick just left, whose exit is again te: the walk alternated between
// the two forever (seen with an LPS copy of Colin27 seen head-on).
static inline void entry_pos(const cr_renderer *r, const ray_t *ray, double te, double x[3]) {
  ray_pos(ray, te + 1e-6 * r->p.step_mm, x);
}

static inline int argmin3(const double t[3]) {
  return t[0] <= t[1] ? (t[0] <= t[2] ? 0 : 2) : (t[1] <= t[2] ? 1 : 2);
}

// Starts the walk in the brick of voxel position x (clamped into the grid); `axis` >= 0
// forces that axis's brick coordinate to b_axis (entering across a known face).
static void walk_init(const cr_renderer *r, const ray_t *ray, walk_t *w, const double x[3], int axis,
                      int b_axis) {
  cr_brick_of(r, x, w->b);
  if (axis >= 0) w->b[axis] = b_axis;
  w->bi = (size_t)w->b[0] + (size_t)r->nb[0] * ((size_t)w->b[1] + (size_t)r->nb[1] * w->b[2]);
  for (int a = 0; a < 3; a++) w->tnext[a] = face_exit(r, ray, a, w->b[a], CR_BRICK_SHIFT, r->nb[a]);
}

static void walk_begin(const cr_renderer *r, const ray_t *ray, walk_t *w, double off) {
  double x[3];
  ray_pos(ray, ray->tn + off * r->p.step_mm, x);
  w->off = off;
  walk_init(r, ray, w, x, -1, 0);
}

// The next run of samples [k, e) (e >= k; e == k when no sample falls in a brick): in
// the walker's brick (*bi, and in *sm the sampler the run may use: a brick away from the
// grid edges needs no clamps), or through a whole macro brick that is empty (mskip; for
// MIP, mmax <= mip_max) with *bi = CR_SKIPPED. Advances the walker past the run.
// `mip` (a constant at each call: the walk is inlined and specialised per kernel) must
// be r->p.mode == CR_RENDER_MIP.
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline long walk_next(const cr_renderer *r, const ray_t *ray, walk_t *w, long k, long n,
                             float mip_max, size_t *bi, int *sm, const int mip) {
  const size_t b = w->bi;
  double te;
  *bi = b;
  *sm = r->p.interp == CR_INTERP_NEAREST ? CR_SM_NEAREST : (r->inner[b] ? CR_SM_INNER : CR_SM_CLAMP);
  if (mip ? r->bmax[b] <= mip_max : r->skip[b]) {
    const int d = CR_MACRO_SHIFT - CR_BRICK_SHIFT;
    int m[3] = {w->b[0] >> d, w->b[1] >> d, w->b[2] >> d};
    size_t mi = (size_t)m[0] + (size_t)r->nm[0] * ((size_t)m[1] + (size_t)r->nm[1] * m[2]);
    if (mip ? r->mmax[mi] <= mip_max : r->mskip[mi]) {
      // a macro-level DDA through the run of empty macro bricks
      double tm[3];
      for (int a = 0; a < 3; a++) tm[a] = face_exit(r, ray, a, m[a], CR_MACRO_SHIFT, r->nm[a]);
      int a;
      for (;;) {
        a = argmin3(tm);
        te = tm[a];
        if (!(te < INFINITY)) break;
        m[a] += ray->dv[a] > 0 ? 1 : -1;
        mi = (size_t)m[0] + (size_t)r->nm[0] * ((size_t)m[1] + (size_t)r->nm[1] * m[2]);
        if (!(mip ? r->mmax[mi] <= mip_max : r->mskip[mi])) break;
        tm[a] = face_exit(r, ray, a, m[a], CR_MACRO_SHIFT, r->nm[a]);
      }
      *bi = CR_SKIPPED;
      long e = first_sample(te, ray->tn, r->inv_step, w->off, k);
      if (e < n) { // enter the macro brick m across face a, in the brick at the entry point
        double x[3];
        entry_pos(r, ray, te, x);
        walk_init(r, ray, w, x, a, ray->dv[a] > 0 ? m[a] << d : ((m[a] + 1) << d) - 1);
      }
      return e < n ? e : n;
    }
    if (!mip && r->edist[b] >= 2) {
      // every brick within rad of this one is skipped: jump to where the ray leaves
      // that cube of bricks, entering the brick across the exit face
      const int rad = r->edist[b] - 1;
      double tc[3];
      for (int a = 0; a < 3; a++)
        tc[a] = face_exit(r, ray, a, ray->dv[a] > 0 ? w->b[a] + rad : w->b[a] - rad, CR_BRICK_SHIFT, r->nb[a]);
      const int a = argmin3(tc);
      te = tc[a];
      *bi = CR_SKIPPED;
      long e = first_sample(te, ray->tn, r->inv_step, w->off, k);
      if (e < n) {
        double x[3];
        entry_pos(r, ray, te, x);
        walk_init(r, ray, w, x, a, ray->dv[a] > 0 ? w->b[a] + rad + 1 : w->b[a] - rad - 1);
      }
      return e < n ? e : n;
    }
  }
  int a = argmin3(w->tnext);
  te = w->tnext[a];
  long e = first_sample(te, ray->tn, r->inv_step, w->off, k);
  if (e < n) { // step to the neighbour brick across face a
    const int s = ray->dv[a] > 0 ? 1 : -1;
    w->b[a] += s;
    w->bi = a == 0 ? w->bi + (size_t)(ptrdiff_t)s
                   : (a == 1 ? w->bi + (size_t)((ptrdiff_t)s * r->nb[0])
                             : w->bi + (size_t)((ptrdiff_t)s * r->nb[0] * r->nb[1]));
    w->tnext[a] = face_exit(r, ray, a, w->b[a], CR_BRICK_SHIFT, r->nb[a]);
  }
  return e < n ? e : n;
}

// Sum of the samples xf + j s, j = 0..count-1 (count of them) with sampler sm, in
// order. Each position is formed from j (one rounding of the product, one of the sum),
// not by repeated addition, whose drift over a whole chord reached 1e-3 voxel.
static inline double run_sum(const cr_renderer *r, int sm, const float xf[3], const float s[3],
                             long count, double acc) {
#if defined(__SSE2__)
  if (sm == CR_SM_INNER && !r->p.windowed) {
    const __m128 x0 = _mm_set_ps(0.0f, xf[2], xf[1], xf[0]), ds = _mm_set_ps(0.0f, s[2], s[1], s[0]);
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
    acc += window_value(r, sm == CR_SM_INNER ? cr_sample_fast_nc(&r->vf, x[0], x[1], x[2]) : cr_sample_sm(r, sm, x));
  }
  return acc;
}

// The first j in [k, e) whose sample (xf at k, stepping by s) is at or above iso, or e.
static inline long first_above(const cr_renderer *r, int sm, float xf[3], const float s[3], long k,
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

// First sample index (of 0..n-1, at t = tn + (k + off) step) in a brick that is not
// skipped, walking from the ray's start; n if none.
static long first_active_sample(const cr_renderer *r, const ray_t *ray, double off, long n) {
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
// The ray clipped to the box around the bricks not skipped (active_lo/hi), keeping the
// sample lattice: sample k of *rc (at rc->tn + (k + off) step) is sample k + *k0 of
// `ray`; samples of `ray` outside the box lie in skipped bricks. *n_c: the samples of
// *rc, up to the box's far face (n - k0 when that is the ray's end). The walks then
// start at the box instead of crossing the volume's empty margin macro brick by macro
// brick. Returns 0 if the ray misses the box.
static int clip_to_active_box(const cr_renderer *r, const ray_t *ray, double off, long n, ray_t *rc,
                              long *k0, long *n_c) {
  const double step = r->p.step_mm;
  double ta = ray->tn, tb = ray->tf;
  for (int a = 0; a < 3; a++) {
    const double lo = r->active_lo[a], hi = r->active_hi[a], o = ray->o[a];
    if (ray->inv[a] == 0) {
      if (o < lo || o > hi) return 0;
      continue;
    }
    double t1 = (lo - o) * ray->inv[a], t2 = (hi - o) * ray->inv[a];
    if (t1 > t2) { const double t = t1; t1 = t2; t2 = t; }
    if (t1 > ta) ta = t1;
    if (t2 < tb) tb = t2;
  }
  if (!(ta < tb)) return 0;
  *k0 = ta > ray->tn ? (long)floor((ta - ray->tn) / step) : 0;
  if (*k0 >= n) return 0;
  *rc = *ray;
  rc->tn = ray->tn + (double)*k0 * step, rc->tf = tb;
  const double f = (tb - rc->tn) / step - off; // the last sample before tb, plus one against rounding
  *n_c = tb < ray->tf && f + 2 < (double)(n - *k0) ? (long)floor(f) + 2 : n - *k0;
  return 1;
}

static int active_span(const cr_renderer *r, const ray_t *ray, double off, long n, long *ka, long *kb) {
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
static int span_sampler(const cr_renderer *r, const ray_t *ray, double off, long ka, long kb) {
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
long cr_kernel_drr(const cr_renderer *r, const ray_t *ray, float *out) {
  const double step = r->p.step_mm, L = ray->tf - ray->tn;
  const long n_full = (long)floor(L / step);
  const double rem = L - (double)n_full * step;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
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
    if (r->skip[cr_brick_of(r, x, b)]) acc += 0.0;
    else acc += window_value(r, cr_sample(r, x)) * rem;
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
  walk_t w;
  walk_begin(r, ray, &w, 0.0);
  for (long k = 0; k < n;) {
    size_t bi;
    int sm;
    long e = walk_next(r, ray, &w, k, n, m, &bi, &sm, 1);
    if (e == k) continue;
    if (bi != CR_SKIPPED && r->bmax[bi] > m) {
      ray_pos_f(ray, ray->tn + (double)k * step, xf);
      count += e - k;
      for (; k < e; k++) {
        float v = window_value(r, cr_sample_sm(r, sm, xf));
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

// The trilinear interpolation of the bricked cell at p (as in cr_sample_fast).
static inline float cell_lerp(const float *p, float fx, float fy, float fz) {
#if defined(__SSE2__)
  return cr_cell_lerp_v(p, _mm_set_ps(0.0f, fz, fy, fx));
#else
  return cr_cell_lerp(p, 1, CR_BA, CR_BA * CR_BA, fx, fy, fz);
#endif
}

// Gradient of the interpolated surface field at voxel position x, in world coordinates
// (per mm, up to a constant factor), by central differences of one voxel.
static void cr_render_gradient(const cr_renderer *r, const double x[3], double g_world[3]) {
  double gv[3];
  const vol_fast *f = &r->vf;
  if (x[0] >= 1 && x[0] < f->mx - 1 && x[1] >= 1 && x[1] < f->my - 1 && x[2] >= 1 && x[2] < f->mz - 1) {
    // no clamping: the six samples x +- 1 share the cell fractions of x (x +- 1 and
    // their differences with the cell bases are exact in double)
    const int i = (int)x[0], j = (int)x[1], k = (int)x[2];
    const float fx = (float)(x[0] - i), fy = (float)(x[1] - j), fz = (float)(x[2] - k);
    const float *d = f->data;
    const size_t oi = f->ox[i], oj = f->oy[j], ok = f->oz[k];
    gv[0] = (double)cell_lerp(d + f->ox[i + 1] + oj + ok, fx, fy, fz) -
            (double)cell_lerp(d + f->ox[i - 1] + oj + ok, fx, fy, fz);
    gv[1] = (double)cell_lerp(d + oi + f->oy[j + 1] + ok, fx, fy, fz) -
            (double)cell_lerp(d + oi + f->oy[j - 1] + ok, fx, fy, fz);
    gv[2] = (double)cell_lerp(d + oi + oj + f->oz[k + 1], fx, fy, fz) -
            (double)cell_lerp(d + oi + oj + f->oz[k - 1], fx, fy, fz);
  } else {
    for (int a = 0; a < 3; a++) {
      double p[3] = {x[0], x[1], x[2]}, m[3] = {x[0], x[1], x[2]};
      p[a] += 1.0, m[a] -= 1.0;
      gv[a] = (double)cr_sample_fast_d(f, p[0], p[1], p[2]) - (double)cr_sample_fast_d(f, m[0], m[1], m[2]);
    }
  }
  cr_mat3_apply_transpose(g_world, r->A_inv, gv); // d/dworld = A_inv^T d/dvoxel
}

// Voxel-space gradient of the shading field at x by forward differences of one voxel:
// f(x + e_a) - f(x), the trilinear interpolation of the voxels' forward differences, so
// as smooth as central differences (which it equals half a voxel further on) for four
// cell interpolations instead of six. Single precision: it runs for every visible
// sample of a lit volume rendering.
// `centre` is f(x) when the caller has it from a trilinear sampler (the same bits as the
// cell interpolation here), NaN otherwise.
static inline void gradient_voxel_f(const vol_fast *f, const float x[3], float centre, float gv[3]) {
  if (x[0] >= 0 && x[0] < f->mx - 1 && x[1] >= 0 && x[1] < f->my - 1 && x[2] >= 0 && x[2] < f->mz - 1) {
    const int i = (int)x[0], j = (int)x[1], k = (int)x[2];
    const float fx = x[0] - (float)i, fy = x[1] - (float)j, fz = x[2] - (float)k;
    const float *d = f->data;
    const size_t oi = f->ox[i], oj = f->oy[j], ok = f->oz[k];
    const float c = isnan(centre) ? cell_lerp(d + oi + oj + ok, fx, fy, fz) : centre;
    gv[0] = cell_lerp(d + f->ox[i + 1] + oj + ok, fx, fy, fz) - c;
    gv[1] = cell_lerp(d + oi + f->oy[j + 1] + ok, fx, fy, fz) - c;
    gv[2] = cell_lerp(d + oi + oj + f->oz[k + 1], fx, fy, fz) - c;
    return;
  }
  const float c = cr_sample_fast(f, x[0], x[1], x[2]);
  for (int a = 0; a < 3; a++) {
    float p[3] = {x[0], x[1], x[2]};
    p[a] += 1.0f;
    gv[a] = cr_sample_fast(f, p[0], p[1], p[2]) - c;
  }
}

// Shading factor of a headlight: ambient 0.2 plus 0.8 |cos| between ray and gradient.
// With g_world = A_inv^T gv: g_world . dw = gv . (A_inv dw) = gv . dv (the ray's voxel
// direction per mm) and |g_world|^2 = gv^T (A_inv A_inv^T) gv, so no world gradient is
// formed; single precision, one square root.
static inline float headlight(const cr_renderer *r, const float xf[3], float centre, const float dvf[3]) {
  float g[3];
  gradient_voxel_f(&r->vf, xf, centre, g);
  const float *G = r->grad_metric;
  const float n2 = G[0] * g[0] * g[0] + G[1] * g[1] * g[1] + G[2] * g[2] * g[2] +
                   2 * (G[3] * g[0] * g[1] + G[4] * g[0] * g[2] + G[5] * g[1] * g[2]);
  if (!(n2 > 0)) return 1.0f;
  const float dot = g[0] * dvf[0] + g[1] * dvf[1] + g[2] * dvf[2];
  return 0.2f + 0.8f * fabsf(dot) / sqrtf(n2);
}

// Front-to-back emission-absorption; stops when the accumulated opacity reaches 0.995.
long cr_kernel_volume(const cr_renderer *r, const ray_t *ray_in, float rgba[4]) {
  const double step = r->p.step_mm;
  long n = (long)floor((ray_in->tf - ray_in->tn) / step), k0;
  ray_t clipped;
  rgba[0] = rgba[1] = rgba[2] = rgba[3] = 0;
  if (!clip_to_active_box(r, ray_in, 0.5, n, &clipped, &k0, &n)) return 0;
  const ray_t *ray = &clipped;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
  float A = 0, C[3] = {0, 0, 0};
  float x[3];
  const float dvf[3] = {(float)ray->dv[0], (float)ray->dv[1], (float)ray->dv[2]};
  long count = 0;
  walk_t w;
  walk_begin(r, ray, &w, 0.5);
  for (long k = 0; k < n && A < 0.995f;) {
    size_t bi;
    int sm;
    long e = walk_next(r, ray, &w, k, n, 0, &bi, &sm, 0);
    if (e == k) continue;
    if (bi == CR_SKIPPED || r->skip[bi]) {
      k = e;
      continue;
    }
    ray_pos_f(ray, ray->tn + ((double)k + 0.5) * step, x);
    // samples in batches of four, taken before any of them is composited: the branches
    // on their opacity then no longer hold back the next samples' loads
    float vb[4];
    int nb = 0, ib = 0;
    for (; k < e && A < 0.995f; k++, x[0] += sx, x[1] += sy, x[2] += sz, ib++) {
      if (ib == nb) {
        nb = e - k < 4 ? (int)(e - k) : 4, ib = 0;
        float xb[3] = {x[0], x[1], x[2]};
        for (int q = 0; q < nb; q++, xb[0] += sx, xb[1] += sy, xb[2] += sz) vb[q] = cr_sample_sm(r, sm, xb);
      }
      const float v = vb[ib];
      float f = cr_tf_index(r, v);
      int i = (int)f;
      if (i >= CR_TF_LUT) i = CR_TF_LUT - 1;
      float w = f - (float)i;
      float alpha = r->tf_alpha[i] + w * (r->tf_alpha[i + 1] - r->tf_alpha[i]);
      count++;
      if (alpha <= 0) continue;
      float shade = r->p.lit ? headlight(r, x, sm == CR_SM_NEAREST ? NAN : v, dvf) : 1.0f;
      float wgt = (1 - A) * alpha * shade;
      for (int c = 0; c < 3; c++)
        C[c] += wgt * (r->tf_rgb[i][c] + w * (r->tf_rgb[i + 1][c] - r->tf_rgb[i][c]));
      A += (1 - A) * alpha;
    }
  }
  rgba[0] = C[0], rgba[1] = C[1], rgba[2] = C[2], rgba[3] = A;
  return count;
}

static inline float refine_sample(const cr_renderer *r, const ray_t *ray, double t, int inner) {
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
static double refine(const cr_renderer *r, const ray_t *ray, double lo, double hi, long *count) {
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
      if (vl >= iso) hi = mlo, fhi = vl;
      else lo = mlo, flo = vl;
    } else {
      lo = mid, flo = v;
      if (vh >= iso) hi = mhi, fhi = vh;
      else lo = mhi, flo = vh;
    }
  }
  if (isnan(flo)) flo = refine_sample(r, ray, lo, inner), (*count)++;
  if (isnan(fhi)) fhi = refine_sample(r, ray, hi, inner), (*count)++;
  // the ends come from the bricked sampler at exact positions, so the bracket may be
  // off by rounding: clamp the interpolation weight into the interval
  double w = fhi > flo ? ((double)iso - flo) / ((double)fhi - flo) : 0.5;
  w = w < 0 ? 0 : (w > 1 ? 1 : w);
  return lo + w * (hi - lo);
}

// The hit at t; its normal (six more samples) only when the caller needs it, else NaN.
static void fill_hit(const cr_renderer *r, const ray_t *ray, double t, hit_t *hit, int need_normal) {
  hit->t = t;
  ray_pos(ray, t, hit->x);
  if (!need_normal) {
    hit->n_world[0] = hit->n_world[1] = hit->n_world[2] = NAN;
    return;
  }
  double g[3];
  cr_render_gradient(r, hit->x, g);
  double gn = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  for (int a = 0; a < 3; a++) hit->n_world[a] = gn > 0 ? -g[a] / gn : NAN;
}

// First sample at or above the iso level (samples at tn + k step and at tf), refined by
// bisection against the previous sample, which is below the level.
long cr_kernel_surface(const cr_renderer *r, const ray_t *ray_in, int need_normal, hit_t *hit, int *found) {
  const double step = r->p.step_mm;
  const float iso = (float)r->p.iso;
  long n = (long)floor((ray_in->tf - ray_in->tn) / step) + 1, k0; // samples on the lattice
  ray_t clipped;
  *found = 0;
  if (!clip_to_active_box(r, ray_in, 0.0, n, &clipped, &k0, &n)) return 0;
  // clipped before the ray's end: the piece after the last sample is empty space
  if (clipped.tf < ray_in->tf) clipped.tf = clipped.tn + (double)(n - 1) * step;
  const ray_t *ray = &clipped;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step), sz = (float)(ray->dv[2] * step);
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

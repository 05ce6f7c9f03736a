// Private to render/: the walk of a ray through the bricks (a 3-D DDA that jumps over
// empty space) and the ray positions the kernels of every ray mode share. Static inline:
// each kernel file gets its own copy, specialised and inlined into its loops.
#ifndef CR_RENDER_WALK_H
#define CR_RENDER_WALK_H
#include "render/internal.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>

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

static inline float window_value(const cr_raycaster *r, float v) {
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

static inline double face_exit(const cr_raycaster *r, const ray_t *ray, int a, int b, int shift,
                               int n) {
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
static inline void entry_pos(const cr_raycaster *r, const ray_t *ray, double te, double x[3]) {
  ray_pos(ray, te + 1e-6 * r->p.step_mm, x);
}

static inline int argmin3(const double t[3]) {
  return t[0] <= t[1] ? (t[0] <= t[2] ? 0 : 2) : (t[1] <= t[2] ? 1 : 2);
}

// Starts the walk in the brick of voxel position x (clamped into the grid); `axis` >= 0
// forces that axis's brick coordinate to b_axis (entering across a known face).
static inline void walk_init(const cr_raycaster *r, const ray_t *ray, walk_t *w, const double x[3],
                             int axis, int b_axis) {
  cr_brick_of(r, x, w->b);
  if (axis >= 0) w->b[axis] = b_axis;
  w->bi = (size_t)w->b[0] + (size_t)r->nb[0] * ((size_t)w->b[1] + (size_t)r->nb[1] * w->b[2]);
  for (int a = 0; a < 3; a++) w->tnext[a] = face_exit(r, ray, a, w->b[a], CR_BRICK_SHIFT, r->nb[a]);
}

static inline void walk_begin(const cr_raycaster *r, const ray_t *ray, walk_t *w, double off) {
  double x[3];
  ray_pos(ray, ray->tn + off * r->p.step_mm, x);
  w->off = off;
  walk_init(r, ray, w, x, -1, 0);
}

// The next run of samples [k, e) (e >= k; e == k when no sample falls in a brick): in
// the walker's brick (*bi, and in *sm the sampler the run may use: a brick away from the
// grid edges needs no clamps), or through a whole macro brick that is empty (mskip; for
// MIP, mmax <= mip_max) with *bi = CR_SKIPPED. Advances the walker past the run.
// `mip` (a constant at each call: the walk is inlined and specialised per kernel) is 1
// for the MIP kernel, whose bricks are skipped by their maximum, not by r->skip.
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline long
walk_next(const cr_raycaster *r, const ray_t *ray, walk_t *w, long k, long n, float mip_max,
          size_t *bi, int *sm, const int mip) {
  const size_t b = w->bi;
  double te;
  *bi = b;
  *sm =
      r->p.interp == CR_INTERP_NEAREST ? CR_SM_NEAREST : (r->inner[b] ? CR_SM_INNER : CR_SM_CLAMP);
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
        tc[a] = face_exit(r, ray, a, ray->dv[a] > 0 ? w->b[a] + rad : w->b[a] - rad, CR_BRICK_SHIFT,
                          r->nb[a]);
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

// The ray clipped to the box around the bricks not skipped (active_lo/hi), keeping the
// sample lattice: sample k of *rc (at rc->tn + (k + off) step) is sample k + *k0 of
// `ray`; samples of `ray` outside the box lie in skipped bricks. *n_c: the samples of
// *rc, up to the box's far face (n - k0 when that is the ray's end). The walks then
// start at the box instead of crossing the volume's empty margin macro brick by macro
// brick. Returns 0 if the ray misses the box.
static inline int clip_to_active_box(const cr_raycaster *r, const ray_t *ray, double off, long n,
                                     ray_t *rc, long *k0, long *n_c) {
  const double step = r->p.step_mm;
  double ta = ray->tn, tb = ray->tf;
  for (int a = 0; a < 3; a++) {
    const double lo = r->active_lo[a], hi = r->active_hi[a], o = ray->o[a];
    if (ray->inv[a] == 0) {
      if (o < lo || o > hi) return 0;
      continue;
    }
    double t1 = (lo - o) * ray->inv[a], t2 = (hi - o) * ray->inv[a];
    if (t1 > t2) {
      const double t = t1;
      t1 = t2;
      t2 = t;
    }
    if (t1 > ta) ta = t1;
    if (t2 < tb) tb = t2;
  }
  if (!(ta < tb)) return 0;
  *k0 = ta > ray->tn ? (long)floor((ta - ray->tn) / step) : 0;
  if (*k0 >= n) return 0;
  *rc = *ray;
  rc->tn = ray->tn + (double)*k0 * step, rc->tf = tb;
  const double f =
      (tb - rc->tn) / step - off; // the last sample before tb, plus one against rounding
  *n_c = tb < ray->tf && f + 2 < (double)(n - *k0) ? (long)floor(f) + 2 : n - *k0;
  return 1;
}

#endif

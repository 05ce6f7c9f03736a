// The MIP mode: the maximum (optionally windowed) intensity along each pixel ray.
#include "render/walk.h"

#include <float.h>
#include <math.h>

// Maximum over samples at tn + k step, k = 0..n, and tf; bricks whose maximum cannot
// beat the current one are skipped.
static long mip_kernel(const cr_raycaster *r, const ray_t *ray, float *out) {
  const double step = r->p.step_mm;
  const long n = (long)floor((ray->tf - ray->tn) / step) + 1;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step),
              sz = (float)(ray->dv[2] * step);
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

static long mip_pixel(const cr_raycaster *r, const frame_geom *g, const ray_t *ray, int in_box,
                      const cr_render_out *out, int u, int v, int *hit) {
  float *px = cr_image_px(out->image, u, v);
  *hit = in_box;
  if (!in_box) {
    px[0] = r->p.background;
    return 0;
  }
  return mip_kernel(r, ray, px);
}

// The walk skips bricks whose maximum (after the window) cannot beat the running one.
static float mip_brick_max(const cr_raycaster *r, float mx) {
  if (!r->p.windowed) return mx;
  mx = mx < r->p.window_lo ? r->p.window_lo : (mx > r->p.window_hi ? r->p.window_hi : mx);
  return mx - r->p.window_lo;
}

static const cr_ray_mode mip_kind = {.brick_max = mip_brick_max, .pixel = mip_pixel};

static int mip_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                      cr_render_options *p) {
  return cr_ray_create(state, vol, p, &mip_kind);
}

const cr_render_mode_type cr_render_mode_mip = {
    .name = "mip",
    .summary = "maximum intensity along the ray (--window LO,HI)",
    .outputs = 0,
    .needs_volume = 1,
    .create = mip_create,
    .destroy = cr_ray_destroy,
    .fork = cr_ray_fork,
    .render = cr_ray_render,
};

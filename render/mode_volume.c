// The volume mode: front-to-back emission-absorption along each pixel ray through a
// piecewise-linear transfer function (a lookup table per step), headlight-lit by the
// gradient or unlit, with early ray termination.
#include "render/walk.h"

#include <math.h>
#include <string.h>

// ---- transfer function ----

static void tf_eval(const cr_render_options *p, float v, float *alpha, float rgb[3]) {
  const cr_tf_point *t = p->tf;
  int n = p->n_tf, i = 0;
  if (v <= t[0].value || n == 1)
    i = -1;
  else if (v >= t[n - 1].value)
    i = n - 1;
  const cr_tf_point *a, *b;
  float w;
  if (i == -1)
    a = b = &t[0], w = 0;
  else if (i == n - 1)
    a = b = &t[n - 1], w = 0;
  else {
    while (v > t[i + 1].value) i++;
    a = &t[i], b = &t[i + 1];
    w = b->value > a->value ? (v - a->value) / (b->value - a->value) : 1;
  }
  *alpha = a->opacity + w * (b->opacity - a->opacity);
  for (int c = 0; c < 3; c++) rgb[c] = a->rgb[c] + w * (b->rgb[c] - a->rgb[c]);
}

// The automatic transfer function (if none is given) and its lookup table.
static int volume_prepare(cr_raycaster *r, float vmin, float vmax) {
  cr_render_options *p = &r->p;
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
  return 0;
}

// Bricks whose values all map to zero opacity.
static int volume_skippable(const cr_raycaster *r, float mn, float mx) {
  int i0 = (int)floorf(cr_tf_index(r, mn)), i1 = (int)ceilf(cr_tf_index(r, mx));
  float m = 0;
  for (int i = i0; i <= i1 && i <= CR_TF_LUT; i++)
    if (r->tf_alpha[i] > m) m = r->tf_alpha[i];
  return m <= 0;
}

// ---- kernel ----

// Voxel-space gradient of the shading field at x by forward differences of one voxel:
// f(x + e_a) - f(x), the trilinear interpolation of the voxels' forward differences, so
// as smooth as central differences (which it equals half a voxel further on) for four
// cell interpolations instead of six. Single precision: it runs for every visible
// sample of a lit volume rendering.
// `centre` is f(x) when the caller has it from a trilinear sampler (the same bits as the
// cell interpolation here), NaN otherwise.
static inline void gradient_voxel_f(const vol_fast *f, const float x[3], float centre,
                                    float gv[3]) {
  if (x[0] >= 0 && x[0] < f->mx - 1 && x[1] >= 0 && x[1] < f->my - 1 && x[2] >= 0 &&
      x[2] < f->mz - 1) {
    const int i = (int)x[0], j = (int)x[1], k = (int)x[2];
    const float fx = x[0] - (float)i, fy = x[1] - (float)j, fz = x[2] - (float)k;
    const float *d = f->data;
    const size_t oi = f->ox[i], oj = f->oy[j], ok = f->oz[k];
    const float c = isnan(centre) ? cr_cell_lerp_b(d + oi + oj + ok, fx, fy, fz) : centre;
    gv[0] = cr_cell_lerp_b(d + f->ox[i + 1] + oj + ok, fx, fy, fz) - c;
    gv[1] = cr_cell_lerp_b(d + oi + f->oy[j + 1] + ok, fx, fy, fz) - c;
    gv[2] = cr_cell_lerp_b(d + oi + oj + f->oz[k + 1], fx, fy, fz) - c;
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
static inline float headlight(const cr_raycaster *r, const float xf[3], float centre,
                              const float dvf[3]) {
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
static long volume_kernel(const cr_raycaster *r, const ray_t *ray_in, float rgba[4]) {
  const double step = r->p.step_mm;
  long n = (long)floor((ray_in->tf - ray_in->tn) / step), k0;
  ray_t clipped;
  rgba[0] = rgba[1] = rgba[2] = rgba[3] = 0;
  if (!clip_to_active_box(r, ray_in, 0.5, n, &clipped, &k0, &n)) return 0;
  const ray_t *ray = &clipped;
  const float sx = (float)(ray->dv[0] * step), sy = (float)(ray->dv[1] * step),
              sz = (float)(ray->dv[2] * step);
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
        for (int q = 0; q < nb; q++, xb[0] += sx, xb[1] += sy, xb[2] += sz)
          vb[q] = cr_sample_sm(r, sm, xb);
      }
      const float v = vb[ib];
      if (v != v) continue; // NaN: missing data, transparent
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

static long volume_pixel(const cr_raycaster *r, const frame_geom *g, const ray_t *ray, int in_box,
                         const cr_render_out *out, int u, int v, int *hit) {
  *hit = in_box;
  if (!in_box) { // the miss values (the grey mix below may round the background)
    cr_ray_write_miss(r, out, u, v);
    return 0;
  }
  float *px = cr_image_px(out->image, u, v);
  const float bg = r->p.background;
  float c[4] = {0, 0, 0, 0};
  const long n = volume_kernel(r, ray, c);
  for (int k = 0; k < 3; k++) c[k] += (1 - c[3]) * bg;
  if (out->image->channels == 3)
    px[0] = c[0], px[1] = c[1], px[2] = c[2];
  else
    px[0] = 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2];
  return n;
}

static const cr_ray_mode volume_kind = {
    .uses_iso = 1, .prepare = volume_prepare, .skippable = volume_skippable, .pixel = volume_pixel};

static int volume_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                         cr_render_options *p) {
  return cr_ray_create(state, vol, p, &volume_kind);
}

const cr_render_mode_type cr_render_mode_volume = {
    .name = "volume",
    .summary =
        "emission-absorption through a transfer function (--tf), lit or --unlit; grey or --colour",
    .outputs = CR_RENDER_OUT_COLOUR,
    .needs_volume = 1,
    .create = volume_create,
    .destroy = cr_ray_destroy,
    .fork = cr_ray_fork,
    .render = cr_ray_render,
};

// Sampling along a curve, its displacement field, the inverse mapping and the panoramic
// projections (render/curved.h).
#include "render/curved.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cr_curve_reslice(const cr_volume *vol, const cr_curve_slices *s, int nearest, float outside,
                     cr_volume **out) {
  *out = NULL;
  cr_volume *st =
      cr_volume_new(s->width, s->height, s->n, (const double(*)[4])s->world_from_pixel[0]);
  if (!st) return cr_last_status();
  const int w = s->width, h = s->height, n = s->n;
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < n; k++) {
    double V[4][4]; // voxel_from_pixel of slice k
    cr_mat4_mul(V, vol->voxel_from_world, (const double(*)[4])s->world_from_pixel[k]);
    for (int v = 0; v < h; v++) {
      float *row = st->data + cr_volume_index(st, 0, v, k);
      for (int u = 0; u < w; u++) {
        double p[3] = {u, v, 0}, x[3];
        cr_mat4_apply_point(x, V, p);
        row[u] = nearest ? cr_volume_sample_nearest_ijk(vol, x[0], x[1], x[2], outside)
                         : cr_volume_sample_linear_ijk(vol, x[0], x[1], x[2], outside);
      }
    }
  }
  *out = st;
  return 0;
}

int cr_curve_displacement(const cr_curve_slices *s, float *disp) {
  const int w = s->width, h = s->height, n = s->n;
  const size_t count = (size_t)w * h * n;
  const double(*M0)[4] = (const double(*)[4])s->world_from_pixel[0];
#pragma omp parallel for schedule(static)
  for (int k = 0; k < n; k++) {
    const double(*M)[4] = (const double(*)[4])s->world_from_pixel[k];
    for (int v = 0; v < h; v++)
      for (int u = 0; u < w; u++) {
        size_t i = (size_t)u + (size_t)w * ((size_t)v + (size_t)h * k);
        for (int a = 0; a < 3; a++) {
          double curved = M[a][0] * u + M[a][1] * v + M[a][3];
          double straight = M0[a][0] * u + M0[a][1] * v + M0[a][2] * k + M0[a][3];
          disp[a * count + i] = (float)(curved - straight);
        }
      }
  }
  return 0;
}

// Per-slice geometry for the inverse mapping.
typedef struct slice_geom {
  double o[3], a[3], b[3], t[3], c[3]; // pixel (0,0), u and v steps, unit tangent, centre
  double r2;                           // squared radius of the slice's bounding sphere
} slice_geom;

static slice_geom *geometry(const cr_curve_slices *s) {
  slice_geom *g = malloc(sizeof *g * (size_t)s->n);
  if (!g) return NULL;
  const double hu = 0.5 * (s->width - 1), hv = 0.5 * (s->height - 1);
  for (int k = 0; k < s->n; k++) {
    const double(*M)[4] = (const double(*)[4])s->world_from_pixel[k];
    for (int a = 0; a < 3; a++) {
      g[k].o[a] = M[a][3], g[k].a[a] = M[a][0], g[k].b[a] = M[a][1], g[k].t[a] = M[a][2];
      g[k].c[a] = M[a][3] + hu * M[a][0] + hv * M[a][1];
    }
    double step = cr_vec3_normalize(g[k].t);
    double ru = (hu + 0.5) * cr_vec3_norm(g[k].a), rv = (hv + 0.5) * cr_vec3_norm(g[k].b);
    double r = sqrt(ru * ru + rv * rv) + step;
    g[k].r2 = r * r;
  }
  return g;
}

static double det3(const double c0[3], const double c1[3], const double c2[3]) {
  return c0[0] * (c1[1] * c2[2] - c1[2] * c2[1]) - c1[0] * (c0[1] * c2[2] - c0[2] * c2[1]) +
         c2[0] * (c0[1] * c1[2] - c0[2] * c1[1]);
}

// Solves x = (1-al) W_k(u,v) + al W_k+1(u,v) for (u, v, al) by Newton from the plane
// projection guess; 1 and the solution if it lies in the slab between the two slices.
static int solve_between(const slice_geom *g0, const slice_geom *g1, const double x[3], double f0,
                         double f1, int w, int h, double uva[3]) {
  double al = f0 / (f0 - f1), d0[3], d1[3];
  cr_vec3_sub(d0, x, g0->o);
  cr_vec3_sub(d1, x, g1->o);
  double u = (1 - al) * cr_vec3_dot(d0, g0->a) / cr_vec3_dot(g0->a, g0->a) +
             al * cr_vec3_dot(d1, g1->a) / cr_vec3_dot(g1->a, g1->a);
  double v = (1 - al) * cr_vec3_dot(d0, g0->b) / cr_vec3_dot(g0->b, g0->b) +
             al * cr_vec3_dot(d1, g1->b) / cr_vec3_dot(g1->b, g1->b);
  double res = INFINITY;
  for (int it = 0; it < 6; it++) {
    double W0[3], W1[3], G[3], Ju[3], Jv[3], Ja[3];
    for (int a = 0; a < 3; a++) {
      W0[a] = g0->o[a] + u * g0->a[a] + v * g0->b[a];
      W1[a] = g1->o[a] + u * g1->a[a] + v * g1->b[a];
      G[a] = (1 - al) * W0[a] + al * W1[a] - x[a];
      Ju[a] = (1 - al) * g0->a[a] + al * g1->a[a];
      Jv[a] = (1 - al) * g0->b[a] + al * g1->b[a];
      Ja[a] = W1[a] - W0[a];
    }
    res = cr_vec3_norm(G);
    if (res < 1e-9) break;
    double D = det3(Ju, Jv, Ja);
    if (fabs(D) < 1e-300) return 0;
    double mG[3] = {-G[0], -G[1], -G[2]};
    u += det3(mG, Jv, Ja) / D;
    v += det3(Ju, mG, Ja) / D;
    al += det3(Ju, Jv, mG) / D;
  }
  if (!(res < 1e-4) || al < -1e-9 || al > 1 + 1e-9 || u < -0.5 || u > w - 0.5 || v < -0.5 ||
      v > h - 0.5)
    return 0;
  uva[0] = u, uva[1] = v, uva[2] = fmin(fmax(al, 0), 1);
  return 1;
}

static int locate(const slice_geom *g, int n, int w, int h, const double x[3], double uvk[3]) {
  const double hu = 0.5 * (w - 1), hv = 0.5 * (h - 1);
  double best = INFINITY, d[3];
  cr_vec3_sub(d, x, g[0].o);
  double f0 = cr_vec3_dot(d, g[0].t);
  for (int k = 0; k + 1 < n; k++) {
    cr_vec3_sub(d, x, g[k + 1].o);
    double f1 = cr_vec3_dot(d, g[k + 1].t);
    if (f0 >= 0 && f1 <= 0 && f0 > f1) {
      double e0[3], e1[3];
      cr_vec3_sub(e0, x, g[k].c);
      cr_vec3_sub(e1, x, g[k + 1].c);
      double uva[3];
      if ((cr_vec3_dot(e0, e0) <= g[k].r2 || cr_vec3_dot(e1, e1) <= g[k + 1].r2) &&
          solve_between(g + k, g + k + 1, x, f0, f1, w, h, uva)) {
        // Where slabs overlap (inside a tight bend) the slice nearest the curve wins.
        double du = (uva[0] - hu) * cr_vec3_norm(g[k].a), dv = (uva[1] - hv) * cr_vec3_norm(g[k].b);
        double r = du * du + dv * dv;
        if (r < best) best = r, uvk[0] = uva[0], uvk[1] = uva[1], uvk[2] = k + uva[2];
      }
    }
    f0 = f1;
  }
  return isfinite(best);
}

int cr_curve_locate(const cr_curve_slices *s, const double x[3], double uvk[3]) {
  slice_geom *g = geometry(s);
  if (!g) return 0;
  int r = locate(g, s->n, s->width, s->height, x, uvk);
  free(g);
  return r;
}

int cr_curve_unreslice(const cr_volume *straight, const cr_curve_slices *s,
                       const cr_volume *reference, int nearest, float outside, cr_volume **out,
                       long *n_inside) {
  *out = NULL;
  if (n_inside) *n_inside = 0;
  if (straight->dim[0] != s->width || straight->dim[1] != s->height || straight->dim[2] != s->n)
    return cr_error(CR_EINVAL,
                    "unreslice: the straightened volume is %d x %d x %d but the slices make %d x "
                    "%d x %d",
                    straight->dim[0], straight->dim[1], straight->dim[2], s->width, s->height,
                    s->n);
  if (s->n < 2) return cr_error(CR_EINVAL, "unreslice: needs at least two slices");
  slice_geom *g = geometry(s);
  cr_volume *o = cr_volume_new(reference->dim[0], reference->dim[1], reference->dim[2],
                               (const double(*)[4])reference->world_from_voxel);
  if (!g || !o) {
    free(g), cr_volume_free(o);
    return cr_error(CR_ENOMEM, "unreslice: out of memory");
  }
  // Box around the swept region (slice corners), to skip the rest of the grid quickly.
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int k = 0; k < s->n; k++)
    for (int cu = 0; cu < 2; cu++)
      for (int cv = 0; cv < 2; cv++) {
        double uu = cu ? s->width - 0.5 : -0.5, vv = cv ? s->height - 0.5 : -0.5;
        for (int a = 0; a < 3; a++) {
          double x = g[k].o[a] + uu * g[k].a[a] + vv * g[k].b[a];
          lo[a] = fmin(lo[a], x), hi[a] = fmax(hi[a], x);
        }
      }
  const int nx = o->dim[0], ny = o->dim[1], nz = o->dim[2];
  long inside = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : inside)
  for (int k = 0; k < nz; k++)
    for (int j = 0; j < ny; j++) {
      float *row = o->data + cr_volume_index(o, 0, j, k);
      for (int i = 0; i < nx; i++) {
        double ijk[3] = {i, j, k}, x[3], uvk[3];
        cr_mat4_apply_point(x, (const double(*)[4])reference->world_from_voxel, ijk);
        int in = x[0] >= lo[0] && x[0] <= hi[0] && x[1] >= lo[1] && x[1] <= hi[1] &&
                 x[2] >= lo[2] && x[2] <= hi[2] && locate(g, s->n, s->width, s->height, x, uvk);
        row[i] = !in       ? outside
                 : nearest ? cr_volume_sample_nearest_ijk(straight, uvk[0], uvk[1], uvk[2], outside)
                           : cr_volume_sample_linear_ijk(straight, uvk[0], uvk[1], uvk[2], outside);
        inside += in;
      }
    }
  free(g);
  if (n_inside) *n_inside = inside;
  *out = o;
  return 0;
}

int cr_curve_panorama(const cr_volume *straight, const cr_curve_slices *s, int axis, int mip,
                      double slab_mm, cr_image **out) {
  *out = NULL;
  if (axis != 0 && axis != 1) return cr_error(CR_EINVAL, "panorama: axis must be u (0) or v (1)");
  const int w = straight->dim[0], h = straight->dim[1], n = straight->dim[2];
  const int across = axis == 0 ? w : h, rows = axis == 0 ? h : w;
  const double centre = 0.5 * (across - 1), sp = s->spacing_mm;
  cr_image *img = cr_image_new(n, rows, 1);
  if (!img) return cr_last_status();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; r++) {
    float *row = cr_image_row(img, r);
    for (int k = 0; k < n; k++) {
      double acc = mip ? -INFINITY : 0;
      for (int a = 0; a < across; a++) {
        if (slab_mm > 0 && fabs(a - centre) * sp > 0.5 * slab_mm) continue;
        float val = axis == 0 ? straight->data[cr_volume_index(straight, a, r, k)]
                              : straight->data[cr_volume_index(straight, r, a, k)];
        acc = mip ? fmax(acc, val) : acc + val * sp;
      }
      row[k] = (float)(isfinite(acc) ? acc : 0);
    }
  }
  *out = img;
  return 0;
}

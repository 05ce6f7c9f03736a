// Flat maps of a surface patch: planar projection along the view direction and
// least-squares conformal maps (Levy et al. 2002), with their distortion, and painting
// a flat map into an image of known pixel size.
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Local 2-D coordinates of triangle t in its own plane (vertex 0 at the origin, edge
// 0->1 along x; `mirror` flips y). Returns the area (0 if degenerate).
static double tri_local(const cr_mesh *m, int t, int mirror, double q[3][2]) {
  double p[3][3], e1[3], e2[3], n[3], y[3];
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[k][a] = m->xyz[3 * (size_t)m->tri[3 * t + k] + a];
  cr_vec3_sub(e1, p[1], p[0]);
  cr_vec3_sub(e2, p[2], p[0]);
  cr_vec3_cross(n, e1, e2);
  double area = 0.5 * cr_vec3_norm(n), len = cr_vec3_norm(e1);
  if (!(area > 1e-12) || !(len > 0)) return 0;
  cr_vec3_normalize(n);
  double x[3];
  cr_vec3_scale(x, e1, 1.0 / len);
  cr_vec3_cross(y, n, x);
  q[0][0] = q[0][1] = 0;
  q[1][0] = len, q[1][1] = 0;
  q[2][0] = cr_vec3_dot(e2, x), q[2][1] = cr_vec3_dot(e2, y) * (mirror ? -1 : 1);
  return area;
}

// Singular values of the 2x2 map J (row-major a b; c d), s1 >= s2 >= 0.
static void sv2(double a, double b, double c, double d, double *s1, double *s2) {
  double E = 0.5 * (a + d), F = 0.5 * (a - d), G = 0.5 * (c + b), H = 0.5 * (c - b);
  double Q = hypot(E, H), R = hypot(F, G);
  *s1 = Q + R, *s2 = fabs(Q - R);
}

void cr_mesh_flat_stats(const cr_mesh *m, const double *uv, cr_flat_stats *st) {
  double a3 = 0, a2 = 0;
  memset(st, 0, sizeof *st);
  st->n_vertices = m->n_vertices, st->n_triangles = m->n_triangles;
  for (int t = 0; t < m->n_triangles; t++) {
    double q[3][2];
    double area = tri_local(m, t, 0, q);
    if (area == 0) continue;
    const int32_t *id = m->tri + 3 * t;
    double f1u = uv[2 * id[1]] - uv[2 * id[0]], f1v = uv[2 * id[1] + 1] - uv[2 * id[0] + 1];
    double f2u = uv[2 * id[2]] - uv[2 * id[0]], f2v = uv[2 * id[2] + 1] - uv[2 * id[0] + 1];
    a3 += area;
    a2 += 0.5 * fabs(f1u * f2v - f1v * f2u);
  }
  st->area_scale = a3 > 0 ? a2 / a3 : 0;
  double wsum = 0;
  for (int t = 0; t < m->n_triangles; t++) {
    double q[3][2];
    double area = tri_local(m, t, 0, q);
    if (area == 0) continue;
    const int32_t *id = m->tri + 3 * t;
    double f1u = uv[2 * id[1]] - uv[2 * id[0]], f1v = uv[2 * id[1] + 1] - uv[2 * id[0] + 1];
    double f2u = uv[2 * id[2]] - uv[2 * id[0]], f2v = uv[2 * id[2] + 1] - uv[2 * id[0] + 1];
    // J = F Q^-1 with Q = [q1 q2] (columns), F = [f1 f2].
    double det = q[1][0] * q[2][1] - q[2][0] * q[1][1];
    double i00 = q[2][1] / det, i01 = -q[2][0] / det, i10 = -q[1][1] / det, i11 = q[1][0] / det;
    double s1, s2;
    sv2(f1u * i00 + f2u * i10, f1u * i01 + f2u * i11, f1v * i00 + f2v * i10, f1v * i01 + f2v * i11,
        &s1, &s2);
    if (!(s2 > 1e-12 * s1)) continue; // collapsed triangle: no finite distortion
    st->area_distortion += area * fabs(log(s1 * s2 / st->area_scale));
    st->angle_distortion += area * log(s1 / s2);
    st->max_angle_ratio = fmax(st->max_angle_ratio, s1 / s2);
    wsum += area;
  }
  if (wsum > 0) st->area_distortion /= wsum, st->angle_distortion /= wsum;
}

typedef struct lscm_sys {
  const cr_mesh *m;
  double *g;          // per triangle: gx[3], gy[3], scaled by sqrt(area)
  const uint8_t *pin; // per vertex
} lscm_sys;

// y = M^T M x over all 2 nv unknowns, with pinned unknowns of x treated as given and
// the rows of pinned unknowns of y set to 0.
static void lscm_apply(const lscm_sys *s, const double *x, double *y) {
  size_t nv = (size_t)s->m->n_vertices;
  memset(y, 0, 2 * nv * sizeof *y);
  for (int t = 0; t < s->m->n_triangles; t++) {
    const double *gx = s->g + 6 * (size_t)t, *gy = gx + 3;
    const int32_t *id = s->m->tri + 3 * t;
    double r1 = 0, r2 = 0; // r1 = u_x - v_y, r2 = u_y + v_x
    for (int k = 0; k < 3; k++) {
      double u = x[2 * id[k]], v = x[2 * id[k] + 1];
      r1 += gx[k] * u - gy[k] * v;
      r2 += gy[k] * u + gx[k] * v;
    }
    for (int k = 0; k < 3; k++) {
      y[2 * id[k]] += gx[k] * r1 + gy[k] * r2;
      y[2 * id[k] + 1] += -gy[k] * r1 + gx[k] * r2;
    }
  }
  for (size_t v = 0; v < nv; v++)
    if (s->pin[v]) y[2 * v] = y[2 * v + 1] = 0;
}

// Preconditioned CG on the free unknowns; x holds pins and the initial guess. Returns
// the iteration count (-1: no memory); *converged when the residual fell by 1e-12.
static int lscm_solve(const lscm_sys *s, double *x, const double *diag, int max_iter,
                      int *converged) {
  size_t n = 2 * (size_t)s->m->n_vertices;
  double *r = malloc(4 * n * sizeof *r + 1);
  if (!r) return -1;
  double *z = r + n, *p = z + n, *q = p + n;
  lscm_apply(s, x, r);
  for (size_t i = 0; i < n; i++) r[i] = -r[i], z[i] = diag[i] > 0 ? r[i] / diag[i] : 0, p[i] = z[i];
  double rz = 0, r0 = 0;
  for (size_t i = 0; i < n; i++) rz += r[i] * z[i], r0 += r[i] * r[i];
  int it = 0;
  *converged = !(rz > 0);
  for (; it < max_iter && rz > 0; it++) {
    double rr = 0;
    for (size_t i = 0; i < n; i++) rr += r[i] * r[i];
    if (rr <= 1e-24 * r0 || rr < 1e-300) {
      *converged = 1;
      break;
    }
    // M^T M p for free unknowns only: apply with pins zeroed in p (they already are 0).
    lscm_apply(s, p, q);
    double pq = 0;
    for (size_t i = 0; i < n; i++) pq += p[i] * q[i];
    if (!(pq > 0)) break;
    double alpha = rz / pq, rz_new = 0;
    for (size_t i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      z[i] = diag[i] > 0 ? r[i] / diag[i] : 0;
      rz_new += r[i] * z[i];
    }
    for (size_t i = 0; i < n; i++) p[i] = z[i] + rz_new / rz * p[i];
    rz = rz_new;
  }
  free(r);
  return it;
}

static int flatten_lscm(const cr_mesh *m, double *uv, int *iterations, int *converged) {
  size_t nv = (size_t)m->n_vertices;
  // Orientation of the planar map relative to the outward winding: mirror the local
  // frames if needed so the conformal map keeps the planar map's handedness.
  double signed_area = 0;
  for (int t = 0; t < m->n_triangles; t++) {
    const int32_t *id = m->tri + 3 * t;
    signed_area += (uv[2 * id[1]] - uv[2 * id[0]]) * (uv[2 * id[2] + 1] - uv[2 * id[0] + 1]) -
                   (uv[2 * id[1] + 1] - uv[2 * id[0] + 1]) * (uv[2 * id[2]] - uv[2 * id[0]]);
  }
  int mirror = signed_area < 0;
  lscm_sys s = {m, malloc((6 * (size_t)m->n_triangles + 1) * sizeof(double)), NULL};
  uint8_t *pin = calloc(nv + 1, 1);
  double *diag = calloc(2 * nv + 1, sizeof *diag);
  if (!s.g || !pin || !diag) {
    free(s.g), free(pin), free(diag);
    return cr_error(CR_ENOMEM, "flat map: out of memory");
  }
  s.pin = pin;
  for (int t = 0; t < m->n_triangles; t++) {
    double q[3][2], *gx = s.g + 6 * (size_t)t, *gy = gx + 3;
    double area = tri_local(m, t, mirror, q), sa = mirror ? -area : area;
    for (int k = 0; k < 3; k++) {
      int k1 = (k + 1) % 3, k2 = (k + 2) % 3;
      gx[k] = area > 0 ? (q[k1][1] - q[k2][1]) / (2 * sa) * sqrt(area) : 0;
      gy[k] = area > 0 ? (q[k2][0] - q[k1][0]) / (2 * sa) * sqrt(area) : 0;
      int32_t v = m->tri[3 * t + k];
      diag[2 * v] += gx[k] * gx[k] + gy[k] * gy[k];
      diag[2 * v + 1] += gx[k] * gx[k] + gy[k] * gy[k];
    }
  }
  // Pins: the two used vertices farthest apart along the planar map's longer axis.
  int32_t lo = -1, hi = -1;
  double lo_u[2] = {INFINITY, INFINITY}, hi_u[2] = {-INFINITY, -INFINITY};
  int32_t lo_i[2] = {-1, -1}, hi_i[2] = {-1, -1};
  for (size_t v = 0; v < nv; v++) {
    if (diag[2 * v] == 0) continue;
    for (int a = 0; a < 2; a++) {
      if (uv[2 * v + a] < lo_u[a]) lo_u[a] = uv[2 * v + a], lo_i[a] = (int32_t)v;
      if (uv[2 * v + a] > hi_u[a]) hi_u[a] = uv[2 * v + a], hi_i[a] = (int32_t)v;
    }
  }
  int axis = hi_u[1] - lo_u[1] > hi_u[0] - lo_u[0];
  lo = lo_i[axis], hi = hi_i[axis];
  if (lo < 0 || lo == hi) {
    free(s.g), free(pin), free(diag);
    return cr_error(CR_EEMPTY, "flat map: no non-degenerate triangle to flatten");
  }
  pin[lo] = pin[hi] = 1;
  diag[2 * lo] = diag[2 * lo + 1] = diag[2 * hi] = diag[2 * hi + 1] = 0;
  int it = lscm_solve(&s, uv, diag, 5000, converged);
  free(s.g), free(pin), free(diag);
  if (it < 0) return cr_error(CR_ENOMEM, "flat map: out of memory");
  *iterations = it;
  return 0;
}

int cr_mesh_flatten(const cr_mesh *m, const cr_pose *cam_from_world, cr_flat_method method,
                    double *uv, cr_flat_stats *stats) {
  if (m->n_triangles == 0) return cr_error(CR_EEMPTY, "flat map: empty mesh");
  for (size_t v = 0; v < (size_t)m->n_vertices; v++) {
    double x[3] = {m->xyz[3 * v], m->xyz[3 * v + 1], m->xyz[3 * v + 2]}, c[3];
    cr_pose_apply(cam_from_world, x, c);
    uv[2 * v] = c[0], uv[2 * v + 1] = c[1];
  }
  int iterations = 0, converged = 1;
  if (method == CR_FLAT_LSCM) {
    double centre0[2] = {0, 0}, centre1[2] = {0, 0};
    for (size_t v = 0; v < (size_t)m->n_vertices; v++)
      centre0[0] += uv[2 * v] / m->n_vertices, centre0[1] += uv[2 * v + 1] / m->n_vertices;
    int rc = flatten_lscm(m, uv, &iterations, &converged);
    if (rc) return rc;
    cr_flat_stats st;
    cr_mesh_flat_stats(m, uv, &st);
    double s = st.area_scale > 0 ? 1.0 / sqrt(st.area_scale) : 1.0;
    for (size_t v = 0; v < (size_t)m->n_vertices; v++)
      centre1[0] += uv[2 * v] / m->n_vertices, centre1[1] += uv[2 * v + 1] / m->n_vertices;
    for (size_t v = 0; v < (size_t)m->n_vertices; v++)
      for (int a = 0; a < 2; a++) uv[2 * v + a] = centre0[a] + s * (uv[2 * v + a] - centre1[a]);
  } else if (method != CR_FLAT_PLANAR) {
    return cr_error(CR_EINVAL, "flat map: unknown method %d", (int)method);
  }
  if (stats) {
    cr_mesh_flat_stats(m, uv, stats);
    stats->iterations = iterations, stats->converged = converged;
  }
  return 0;
}

int cr_mesh_flat_image(const cr_mesh *m, const double *uv, double pixel_mm, cr_image **out,
                       double uv_origin[2]) {
  *out = NULL;
  if (!(pixel_mm > 0)) return cr_error(CR_EINVAL, "flat map: pixel size must be > 0 mm");
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (int t = 0; t < m->n_triangles; t++)
    for (int k = 0; k < 3; k++)
      for (int a = 0; a < 2; a++) {
        double x = uv[2 * m->tri[3 * t + k] + a];
        lo[a] = fmin(lo[a], x), hi[a] = fmax(hi[a], x);
      }
  if (!(hi[0] >= lo[0])) return cr_error(CR_EEMPTY, "flat map: no triangles");
  double w = floor((hi[0] - lo[0]) / pixel_mm) + 1, h = floor((hi[1] - lo[1]) / pixel_mm) + 1;
  if (w > 8192 || h > 8192)
    return cr_error(CR_EINVAL, "flat map: %.0fx%.0f pixels at %g mm (max 8192): use larger pixels",
                    w, h, pixel_mm);
  int ch = m->rgb ? 3 : 1;
  cr_image *img = cr_image_new((int)w, (int)h, ch);
  if (!img) return CR_ENOMEM;
  cr_image_fill(img, NAN);
  for (int t = 0; t < m->n_triangles; t++) {
    const int32_t *id = m->tri + 3 * t;
    double px[3], py[3];
    for (int k = 0; k < 3; k++)
      px[k] = (uv[2 * id[k]] - lo[0]) / pixel_mm, py[k] = (uv[2 * id[k] + 1] - lo[1]) / pixel_mm;
    double area = (px[1] - px[0]) * (py[2] - py[0]) - (py[1] - py[0]) * (px[2] - px[0]);
    if (area == 0) continue;
    int xa = (int)ceil(fmin(px[0], fmin(px[1], px[2]))),
        xb = (int)floor(fmax(px[0], fmax(px[1], px[2])));
    int ya = (int)ceil(fmin(py[0], fmin(py[1], py[2]))),
        yb = (int)floor(fmax(py[0], fmax(py[1], py[2])));
    for (int y = ya < 0 ? 0 : ya; y <= yb && y < img->height; y++)
      for (int x = xa < 0 ? 0 : xa; x <= xb && x < img->width; x++) {
        double l[3];
        for (int k = 0; k < 3; k++) {
          int a = (k + 1) % 3, b = (k + 2) % 3;
          l[k] = ((px[b] - px[a]) * (y - py[a]) - (py[b] - py[a]) * (x - px[a])) / area;
        }
        if (l[0] < -1e-9 || l[1] < -1e-9 || l[2] < -1e-9) continue;
        float *o = cr_image_px(img, x, y);
        for (int c = 0; c < ch; c++) {
          double s = 0;
          for (int k = 0; k < 3; k++)
            s += l[k] * (m->rgb      ? m->rgb[3 * (size_t)id[k] + c]
                         : m->scalar ? m->scalar[id[k]]
                                     : 1.0);
          o[c] = (float)s;
        }
      }
  }
  if (uv_origin) uv_origin[0] = lo[0], uv_origin[1] = lo[1];
  *out = img;
  return 0;
}

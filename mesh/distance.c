// Distances between two surfaces: every vertex of one to the nearest point (on a
// triangle) of the other, through a uniform grid of triangle buckets.
#include "mesh/mesh.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tri_grid {
  double lo[3], cell;
  int n[3];
  int *start; // cells + 1
  int *tri;
} tri_grid;

static void vsub(double o[3], const double a[3], const double b[3]) {
  for (int i = 0; i < 3; i++) o[i] = a[i] - b[i];
}
static double vdot(const double a[3], const double b[3]) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

// Squared distance from p to triangle abc (closest point by Voronoi regions, Ericson,
// Real-Time Collision Detection, 5.1.5).
static double point_tri_d2(const double p[3], const double a[3], const double b[3],
                           const double c[3]) {
  double ab[3], ac[3], ap[3], bp[3], cp[3], q[3];
  vsub(ab, b, a), vsub(ac, c, a), vsub(ap, p, a);
  double d1 = vdot(ab, ap), d2 = vdot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return vdot(ap, ap);
  vsub(bp, p, b);
  double d3 = vdot(ab, bp), d4 = vdot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return vdot(bp, bp);
  double vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) {
    double v = d1 / (d1 - d3);
    for (int i = 0; i < 3; i++) q[i] = a[i] + v * ab[i] - p[i];
    return vdot(q, q);
  }
  vsub(cp, p, c);
  double d5 = vdot(ab, cp), d6 = vdot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return vdot(cp, cp);
  double vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) {
    double w = d2 / (d2 - d6);
    for (int i = 0; i < 3; i++) q[i] = a[i] + w * ac[i] - p[i];
    return vdot(q, q);
  }
  double va = d3 * d6 - d5 * d4;
  if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) {
    double w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
    for (int i = 0; i < 3; i++) q[i] = b[i] + w * (c[i] - b[i]) - p[i];
    return vdot(q, q);
  }
  double den = 1 / (va + vb + vc), v = vb * den, w = vc * den;
  for (int i = 0; i < 3; i++) q[i] = a[i] + ab[i] * v + ac[i] * w - p[i];
  return vdot(q, q);
}

static void tri_corners(const cr_mesh *m, int t, double p[3][3]) {
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[k][a] = m->xyz[3 * (size_t)m->tri[3 * t + k] + a];
}

static int grid_build(const cr_mesh *m, tri_grid *g) {
  memset(g, 0, sizeof *g);
  double hi[3] = {-INFINITY, -INFINITY, -INFINITY}, edge = 0;
  for (int a = 0; a < 3; a++) g->lo[a] = INFINITY;
  for (size_t v = 0; v < (size_t)m->n_vertices; v++)
    for (int a = 0; a < 3; a++)
      g->lo[a] = fmin(g->lo[a], m->xyz[3 * v + a]), hi[a] = fmax(hi[a], m->xyz[3 * v + a]);
  for (int t = 0; t < m->n_triangles; t++) {
    double p[3][3], d[3];
    tri_corners(m, t, p);
    vsub(d, p[1], p[0]);
    edge += sqrt(vdot(d, d)) / m->n_triangles;
  }
  // About two mean edges per cell, at most 256 cells a side.
  double ext = fmax(hi[0] - g->lo[0], fmax(hi[1] - g->lo[1], hi[2] - g->lo[2]));
  g->cell = fmax(2 * edge, ext / 256);
  if (!(g->cell > 0)) g->cell = 1;
  size_t ncell = 1;
  for (int a = 0; a < 3; a++) {
    g->n[a] = (int)floor((hi[a] - g->lo[a]) / g->cell) + 1;
    ncell *= (size_t)g->n[a];
  }
  g->start = calloc(ncell + 1, sizeof *g->start);
  if (!g->start) return CR_ENOMEM;
  for (int pass = 0; pass < 2; pass++) {
    for (int t = 0; t < m->n_triangles; t++) {
      double p[3][3];
      int c0[3], c1[3];
      tri_corners(m, t, p);
      for (int a = 0; a < 3; a++) {
        double l = fmin(p[0][a], fmin(p[1][a], p[2][a])), h = fmax(p[0][a], fmax(p[1][a], p[2][a]));
        c0[a] = (int)floor((l - g->lo[a]) / g->cell), c1[a] = (int)floor((h - g->lo[a]) / g->cell);
        if (c1[a] >= g->n[a]) c1[a] = g->n[a] - 1;
      }
      for (int z = c0[2]; z <= c1[2]; z++)
        for (int y = c0[1]; y <= c1[1]; y++)
          for (int x = c0[0]; x <= c1[0]; x++) {
            size_t c = (size_t)x + (size_t)g->n[0] * ((size_t)y + (size_t)g->n[1] * z);
            if (pass == 0)
              g->start[c + 1]++;
            else
              g->tri[g->start[c]++] = t;
          }
    }
    if (pass == 0) {
      for (size_t c = 0; c < ncell; c++) g->start[c + 1] += g->start[c];
      if (!(g->tri = malloc(((size_t)g->start[ncell] + 1) * sizeof *g->tri))) return CR_ENOMEM;
    } else {
      for (size_t c = ncell; c > 0; c--) g->start[c] = g->start[c - 1];
      g->start[0] = 0;
    }
  }
  return 0;
}

// Distance from p to the nearest triangle of m: cells in growing shells until the best
// distance found is within the shell already searched.
static double nearest(const cr_mesh *m, const tri_grid *g, const double p[3]) {
  int c[3];
  for (int a = 0; a < 3; a++) {
    c[a] = (int)floor((p[a] - g->lo[a]) / g->cell);
    c[a] = c[a] < 0 ? 0 : c[a] >= g->n[a] ? g->n[a] - 1 : c[a];
  }
  // The distance from p to its (clamped) cell: shells start from there.
  double out = 0;
  for (int a = 0; a < 3; a++) {
    double l = g->lo[a] + c[a] * g->cell, h = l + g->cell;
    double d = p[a] < l ? l - p[a] : p[a] > h ? p[a] - h : 0;
    out += d * d;
  }
  out = sqrt(out);
  double best = INFINITY;
  int maxr = g->n[0] + g->n[1] + g->n[2];
  for (int r = 0; r <= maxr; r++) {
    for (int z = c[2] - r; z <= c[2] + r; z++)
      for (int y = c[1] - r; y <= c[1] + r; y++)
        for (int x = c[0] - r; x <= c[0] + r; x++) {
          if (x < 0 || y < 0 || z < 0 || x >= g->n[0] || y >= g->n[1] || z >= g->n[2]) continue;
          if (abs(x - c[0]) != r && abs(y - c[1]) != r && abs(z - c[2]) != r) continue;
          size_t cc = (size_t)x + (size_t)g->n[0] * ((size_t)y + (size_t)g->n[1] * z);
          for (int e = g->start[cc]; e < g->start[cc + 1]; e++) {
            double q[3][3];
            tri_corners(m, g->tri[e], q);
            double d2 = point_tri_d2(p, q[0], q[1], q[2]);
            if (d2 < best) best = d2;
          }
        }
    // Everything beyond shell r is at least out + r * cell away.
    if (best < INFINITY && sqrt(best) <= out + r * g->cell) break;
  }
  return sqrt(best);
}

// Mean, squared mean and max over the vertices of a of the distance to b.
static int one_way(const cr_mesh *a, const cr_mesh *b, double *mean, double *ms, double *max) {
  tri_grid g;
  int rc = grid_build(b, &g);
  double *d = rc ? NULL : malloc(((size_t)a->n_vertices + 1) * sizeof *d);
  if (!rc && !d) rc = CR_ENOMEM;
  if (!rc) {
#pragma omp parallel for schedule(dynamic, 256)
    for (int v = 0; v < a->n_vertices; v++) {
      double p[3] = {a->xyz[3 * (size_t)v], a->xyz[3 * (size_t)v + 1], a->xyz[3 * (size_t)v + 2]};
      d[v] = nearest(b, &g, p);
    }
    double s = 0, s2 = 0, mx = 0;
    for (int v = 0; v < a->n_vertices; v++) s += d[v], s2 += d[v] * d[v], mx = fmax(mx, d[v]);
    *mean = s / a->n_vertices, *ms = s2 / a->n_vertices, *max = mx;
  }
  free(d), free(g.start), free(g.tri);
  return rc ? cr_error(CR_ENOMEM, "mesh distance: out of memory") : 0;
}

int cr_mesh_surface_distance(const cr_mesh *a, const cr_mesh *b, cr_mesh_distance *out) {
  memset(out, 0, sizeof *out);
  if (a->n_vertices == 0 || b->n_vertices == 0 || a->n_triangles == 0 || b->n_triangles == 0)
    return cr_error(CR_EEMPTY, "mesh distance: empty mesh");
  double ms_ab, ms_ba;
  int rc = one_way(a, b, &out->mean_a_to_b, &ms_ab, &out->max_a_to_b);
  if (!rc) rc = one_way(b, a, &out->mean_b_to_a, &ms_ba, &out->max_b_to_a);
  if (rc) return rc;
  out->mean = 0.5 * (out->mean_a_to_b + out->mean_b_to_a);
  out->rms = sqrt(0.5 * (ms_ab + ms_ba));
  out->hausdorff = fmax(out->max_a_to_b, out->max_b_to_a);
  return 0;
}

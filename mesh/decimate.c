// Vertex-clustering decimation (Rossignac & Borrel 1993): one vertex per grid cell.
#include "mesh/mesh.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct key_idx {
  uint64_t key;
  int32_t v;
} key_idx;

static int cmp_key(const void *a, const void *b) {
  const key_idx *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->v - y->v;
}

typedef struct tri_key {
  int32_t s[3]; // sorted vertex ids
  int32_t t;
} tri_key;

static int cmp_tri(const void *a, const void *b) {
  const tri_key *x = a, *y = b;
  for (int k = 0; k < 3; k++)
    if (x->s[k] != y->s[k]) return x->s[k] < y->s[k] ? -1 : 1;
  return x->t - y->t;
}

// Cluster id per vertex (0..n_clusters-1, in key order) and the cluster count.
static int cluster_vertices(const cr_mesh *m, double cell, int32_t *cluster, int32_t *n_out) {
  size_t nv = (size_t)m->n_vertices;
  double lo[3] = {INFINITY, INFINITY, INFINITY};
  for (size_t v = 0; v < nv; v++)
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], m->xyz[3 * v + a]);
  key_idx *k = malloc((nv + 1) * sizeof *k);
  if (!k) return cr_error(CR_ENOMEM, "decimate: out of memory");
  for (size_t v = 0; v < nv; v++) {
    uint64_t c[3];
    for (int a = 0; a < 3; a++)
      c[a] = (uint64_t)floor((m->xyz[3 * v + a] - lo[a]) / cell) & 0x1fffff;
    k[v] = (key_idx){c[0] | c[1] << 21 | c[2] << 42, (int32_t)v};
  }
  qsort(k, nv, sizeof *k, cmp_key);
  int32_t n = -1;
  for (size_t i = 0; i < nv; i++) {
    if (i == 0 || k[i].key != k[i - 1].key) n++;
    cluster[k[i].v] = n;
  }
  free(k);
  *n_out = n + 1;
  return 0;
}

int cr_mesh_decimate_cluster(cr_mesh *m, double cell_mm) {
  if (!(cell_mm > 0)) return cr_error(CR_EINVAL, "decimate: cell size must be > 0 mm");
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  if (nv == 0) return 0;
  int32_t *cl = malloc((nv + 1) * sizeof *cl), nc = 0;
  double *acc = NULL;
  int32_t *count = NULL;
  tri_key *tk = NULL;
  int rc =
      cl ? cluster_vertices(m, cell_mm, cl, &nc) : cr_error(CR_ENOMEM, "decimate: out of memory");
  if (!rc) {
    acc = calloc((size_t)nc * 7 + 1, sizeof *acc); // xyz, scalar, rgb
    count = calloc((size_t)nc + 1, sizeof *count);
    tk = malloc((nt + 1) * sizeof *tk);
    if (!acc || !count || !tk) rc = cr_error(CR_ENOMEM, "decimate: out of memory");
  }
  if (rc) {
    free(cl), free(acc), free(count), free(tk);
    return rc;
  }
  for (size_t v = 0; v < nv; v++) {
    double *a = acc + 7 * (size_t)cl[v];
    for (int c = 0; c < 3; c++) a[c] += m->xyz[3 * v + c];
    if (m->scalar) a[3] += m->scalar[v];
    for (int c = 0; m->rgb && c < 3; c++) a[4 + c] += m->rgb[3 * v + c];
    count[cl[v]]++;
  }
  for (int32_t c = 0; c < nc; c++) {
    double *a = acc + 7 * (size_t)c;
    for (int q = 0; q < 3; q++) m->xyz[3 * (size_t)c + q] = (float)(a[q] / count[c]);
    if (m->scalar) m->scalar[c] = (float)(a[3] / count[c]);
    for (int q = 0; m->rgb && q < 3; q++)
      m->rgb[3 * (size_t)c + q] = (uint8_t)lround(a[4 + q] / count[c]);
  }
  // Remap triangles; drop collapsed ones and repeats (same three vertices).
  size_t n = 0;
  for (size_t t = 0; t < nt; t++) {
    int32_t a = cl[m->tri[3 * t]], b = cl[m->tri[3 * t + 1]], c = cl[m->tri[3 * t + 2]];
    if (a == b || b == c || a == c) continue;
    m->tri[3 * n] = a, m->tri[3 * n + 1] = b, m->tri[3 * n + 2] = c;
    int32_t s0 = a < b ? a : b, s1 = a < b ? b : a, s2 = c;
    if (s2 < s1) {
      int32_t x = s1;
      s1 = s2, s2 = x;
    }
    if (s1 < s0) {
      int32_t x = s0;
      s0 = s1, s1 = x;
    }
    tk[n] = (tri_key){{s0, s1, s2}, (int32_t)n};
    n++;
  }
  qsort(tk, n, sizeof *tk, cmp_tri);
  uint8_t *keep = malloc(n + 1);
  if (!keep) rc = cr_error(CR_ENOMEM, "decimate: out of memory");
  for (size_t i = 0; !rc && i < n; i++)
    keep[tk[i].t] = !(i > 0 && !memcmp(tk[i].s, tk[i - 1].s, sizeof tk[i].s));
  free(cl), free(acc), free(count), free(tk);
  if (rc) return rc;
  m->n_vertices = nc, m->n_triangles = (int)n;
  rc = cr_mesh_keep_triangles(m, keep); // also drops clusters no triangle uses
  free(keep);
  if (!rc && m->normal) rc = cr_mesh_compute_normals(m);
  return rc;
}

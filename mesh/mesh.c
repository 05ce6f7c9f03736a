// The mesh container and clean-up: normals, area/volume, edge checks, largest
// component, Taubin smoothing, affine transforms.
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_mesh *cr_mesh_new(int nv, int nt) {
  if (nv < 0 || nt < 0) {
    cr_error(CR_EINVAL, "mesh: negative size (%d vertices, %d triangles)", nv, nt);
    return NULL;
  }
  cr_mesh *m = calloc(1, sizeof *m);
  if (!m) goto nomem;
  m->n_vertices = nv, m->n_triangles = nt;
  m->xyz = calloc((size_t)nv * 3 + 1, sizeof(float));
  m->tri = calloc((size_t)nt * 3 + 1, sizeof(int32_t));
  if (!m->xyz || !m->tri) goto nomem;
  return m;
nomem:
  cr_mesh_free(m);
  cr_error(CR_ENOMEM, "mesh: out of memory (%d vertices, %d triangles)", nv, nt);
  return NULL;
}

void cr_mesh_free(cr_mesh *m) {
  if (!m) return;
  free(m->xyz), free(m->normal), free(m->scalar), free(m->rgb), free(m->tri);
  free(m);
}

static void *dup_array(const void *src, size_t bytes, int *fail) {
  if (!src) return NULL;
  void *p = malloc(bytes + 1);
  if (!p) {
    *fail = 1;
    return NULL;
  }
  memcpy(p, src, bytes);
  return p;
}

cr_mesh *cr_mesh_clone(const cr_mesh *m) {
  cr_mesh *c = cr_mesh_new(m->n_vertices, m->n_triangles);
  if (!c) return NULL;
  size_t nv = (size_t)m->n_vertices;
  memcpy(c->xyz, m->xyz, nv * 3 * sizeof(float));
  memcpy(c->tri, m->tri, (size_t)m->n_triangles * 3 * sizeof(int32_t));
  int fail = 0;
  c->normal = dup_array(m->normal, nv * 3 * sizeof(float), &fail);
  c->scalar = dup_array(m->scalar, nv * sizeof(float), &fail);
  c->rgb = dup_array(m->rgb, nv * 3, &fail);
  if (fail) {
    cr_mesh_free(c);
    cr_error(CR_ENOMEM, "mesh: out of memory");
    return NULL;
  }
  return c;
}

static int alloc_attr(void **p, size_t bytes) {
  if (*p) return 0;
  *p = calloc(bytes + 1, 1);
  return *p ? 0 : cr_error(CR_ENOMEM, "mesh: out of memory for vertex attributes");
}
int cr_mesh_alloc_normals(cr_mesh *m) {
  return alloc_attr((void **)&m->normal, (size_t)m->n_vertices * 3 * sizeof(float));
}
int cr_mesh_alloc_scalars(cr_mesh *m) {
  return alloc_attr((void **)&m->scalar, (size_t)m->n_vertices * sizeof(float));
}
int cr_mesh_alloc_colours(cr_mesh *m) {
  return alloc_attr((void **)&m->rgb, (size_t)m->n_vertices * 3);
}

int cr_mesh_validate(const cr_mesh *m) {
  for (long t = 0; t < m->n_triangles; t++)
    for (int k = 0; k < 3; k++) {
      int32_t v = m->tri[3 * t + k];
      if (v < 0 || v >= m->n_vertices)
        return cr_error(CR_EFORMAT, "mesh: triangle %ld uses vertex %d of %d", t, (int)v,
                        m->n_vertices);
    }
  return 0;
}

static void tri_points(const cr_mesh *m, long t, double p[3][3]) {
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[k][a] = m->xyz[3 * (size_t)m->tri[3 * t + k] + a];
}

int cr_mesh_compute_normals(cr_mesh *m) {
  int rc = cr_mesh_alloc_normals(m);
  if (rc) return rc;
  size_t nv = (size_t)m->n_vertices;
  double *acc = calloc(nv * 3 + 1, sizeof(double));
  if (!acc) return cr_error(CR_ENOMEM, "mesh: out of memory for normals");
  for (long t = 0; t < m->n_triangles; t++) {
    double p[3][3], e1[3], e2[3], n[3];
    tri_points(m, t, p);
    cr_vec3_sub(e1, p[1], p[0]);
    cr_vec3_sub(e2, p[2], p[0]);
    cr_vec3_cross(n, e1, e2); // length = 2 * area: area weighting
    for (int k = 0; k < 3; k++)
      for (int a = 0; a < 3; a++) acc[3 * (size_t)m->tri[3 * t + k] + a] += n[a];
  }
  for (size_t v = 0; v < nv; v++) {
    cr_vec3_normalize(acc + 3 * v);
    for (int a = 0; a < 3; a++) m->normal[3 * v + a] = (float)acc[3 * v + a];
  }
  free(acc);
  return 0;
}

double cr_mesh_area(const cr_mesh *m) {
  double s = 0;
  for (long t = 0; t < m->n_triangles; t++) {
    double p[3][3], e1[3], e2[3], n[3];
    tri_points(m, t, p);
    cr_vec3_sub(e1, p[1], p[0]);
    cr_vec3_sub(e2, p[2], p[0]);
    cr_vec3_cross(n, e1, e2);
    s += 0.5 * cr_vec3_norm(n);
  }
  return s;
}

double cr_mesh_volume(const cr_mesh *m) {
  double s = 0;
  for (long t = 0; t < m->n_triangles; t++) {
    double p[3][3], c[3];
    tri_points(m, t, p);
    cr_vec3_cross(c, p[1], p[2]);
    s += cr_vec3_dot(p[0], c);
  }
  return s / 6.0;
}

typedef struct edge_rec {
  uint64_t key;
  int dir;
} edge_rec;

static int cmp_edge(const void *a, const void *b) {
  const edge_rec *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->dir - y->dir;
}

int cr_mesh_edge_check(const cr_mesh *m, long *open_or_nonmanifold, long *misoriented) {
  size_t ne = (size_t)m->n_triangles * 3;
  edge_rec *e = malloc((ne + 1) * sizeof *e);
  if (!e) return cr_error(CR_ENOMEM, "mesh: out of memory for the edge check");
  for (size_t t = 0; t < (size_t)m->n_triangles; t++)
    for (int k = 0; k < 3; k++) {
      uint32_t a = (uint32_t)m->tri[3 * t + k], b = (uint32_t)m->tri[3 * t + (k + 1) % 3];
      int dir = a < b;
      uint32_t lo = dir ? a : b, hi = dir ? b : a;
      e[3 * t + k] = (edge_rec){((uint64_t)lo << 32) | hi, dir};
    }
  qsort(e, ne, sizeof *e, cmp_edge);
  long bad = 0, flip = 0;
  for (size_t i = 0; i < ne;) {
    size_t j = i;
    while (j < ne && e[j].key == e[i].key) j++;
    if (j - i != 2)
      bad++;
    else if (e[i].dir == e[i + 1].dir)
      flip++;
    i = j;
  }
  free(e);
  if (open_or_nonmanifold) *open_or_nonmanifold = bad;
  if (misoriented) *misoriented = flip;
  return 0;
}

static int32_t uf_find(int32_t *parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

int cr_mesh_keep_largest_component(cr_mesh *m, int *n_components) {
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  int32_t *parent = malloc((nv + 1) * sizeof *parent);
  int32_t *count = calloc(nv + 1, sizeof *count);
  uint8_t *keep = malloc(nt + 1);
  if (!parent || !count || !keep) {
    free(parent), free(count), free(keep);
    return cr_error(CR_ENOMEM, "mesh: out of memory for components");
  }
  for (size_t v = 0; v < nv; v++) parent[v] = (int32_t)v;
  for (size_t t = 0; t < nt; t++) {
    int32_t a = uf_find(parent, m->tri[3 * t]);
    for (int k = 1; k < 3; k++) {
      int32_t b = uf_find(parent, m->tri[3 * t + k]);
      if (a != b) parent[b] = a;
    }
  }
  int32_t best = -1;
  int ncomp = 0;
  for (size_t t = 0; t < nt; t++) {
    int32_t r = uf_find(parent, m->tri[3 * t]);
    if (count[r]++ == 0) ncomp++;
    if (best < 0 || count[r] > count[best]) best = r;
  }
  for (size_t t = 0; t < nt; t++) keep[t] = uf_find(parent, m->tri[3 * t]) == best;
  free(parent), free(count);
  int rc = cr_mesh_keep_triangles(m, keep);
  free(keep);
  if (n_components) *n_components = ncomp;
  return rc;
}

typedef struct tri_edge {
  uint64_t key; // (lo vertex << 32) | hi vertex
  int32_t tri;
} tri_edge;

static int cmp_tri_edge(const void *a, const void *b) {
  const tri_edge *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->tri > y->tri) - (x->tri < y->tri);
}

static double tri_area(const cr_mesh *m, size_t t) {
  const float *p0 = m->xyz + 3 * (size_t)m->tri[3 * t],
              *p1 = m->xyz + 3 * (size_t)m->tri[3 * t + 1],
              *p2 = m->xyz + 3 * (size_t)m->tri[3 * t + 2];
  double e1[3], e2[3], n[3];
  for (int a = 0; a < 3; a++) e1[a] = p1[a] - p0[a], e2[a] = p2[a] - p0[a];
  cr_vec3_cross(n, e1, e2);
  return 0.5 * cr_vec3_norm(n);
}

int cr_mesh_edge_components(const cr_mesh *m, double min_area_mm2, int32_t *label,
                            int *n_components) {
  size_t nt = (size_t)m->n_triangles;
  tri_edge *e = malloc((3 * nt + 1) * sizeof *e);
  int32_t *parent = malloc((nt + 1) * sizeof *parent),
          *root_id = malloc((nt + 1) * sizeof *root_id);
  if (!e || !parent || !root_id) {
    free(e), free(parent), free(root_id);
    return cr_error(CR_ENOMEM, "mesh: out of memory for components");
  }
  size_t ne = 0;
  for (size_t t = 0; t < nt; t++) {
    parent[t] = (int32_t)t, root_id[t] = -1;
    if (!(tri_area(m, t) > min_area_mm2)) {
      parent[t] = -1;
      continue;
    }
    for (int k = 0; k < 3; k++) {
      uint32_t a = (uint32_t)m->tri[3 * t + k], b = (uint32_t)m->tri[3 * t + (k + 1) % 3];
      uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
      e[ne++] = (tri_edge){((uint64_t)lo << 32) | hi, (int32_t)t};
    }
  }
  qsort(e, ne, sizeof *e, cmp_tri_edge);
  for (size_t i = 1; i < ne; i++)
    if (e[i].key == e[i - 1].key) {
      int32_t a = uf_find(parent, e[i - 1].tri), b = uf_find(parent, e[i].tri);
      if (a != b) parent[a > b ? a : b] = a < b ? a : b; // smaller index wins: deterministic
    }
  int n = 0;
  for (size_t t = 0; t < nt; t++) {
    int32_t l = -1;
    if (parent[t] >= 0) {
      int32_t r = uf_find(parent, (int32_t)t);
      if (root_id[r] < 0) root_id[r] = n++;
      l = root_id[r];
    }
    if (label) label[t] = l;
  }
  free(e), free(parent), free(root_id);
  *n_components = n;
  return 0;
}

int cr_mesh_keep_largest_edge_component(cr_mesh *m, double min_area_mm2, int *n_components) {
  size_t nt = (size_t)m->n_triangles;
  int32_t *label = malloc((nt + 1) * sizeof *label);
  uint8_t *keep = malloc(nt + 1);
  int n = 0, rc = !label || !keep ? cr_error(CR_ENOMEM, "mesh: out of memory for components")
                                  : cr_mesh_edge_components(m, min_area_mm2, label, &n);
  double *area = rc ? NULL : calloc((size_t)n + 1, sizeof *area);
  if (!rc && !area) rc = cr_error(CR_ENOMEM, "mesh: out of memory for components");
  if (!rc && n == 0)
    rc = cr_error(CR_EEMPTY, "mesh: no triangle with an area above %g mm^2", min_area_mm2);
  if (!rc) {
    for (size_t t = 0; t < nt; t++)
      if (label[t] >= 0) area[label[t]] += tri_area(m, t);
    int best = 0;
    for (int c = 1; c < n; c++)
      if (area[c] > area[best]) best = c;
    for (size_t t = 0; t < nt; t++) keep[t] = label[t] == best;
    rc = cr_mesh_keep_triangles(m, keep);
  }
  free(label), free(keep), free(area);
  if (!rc && n_components) *n_components = n;
  return rc;
}

// Marks the vertices on the boundary of the triangle set `in` (edges used once).
static int mark_boundary_vertices(const cr_mesh *m, const uint8_t *in, uint8_t *bv) {
  size_t nt = (size_t)m->n_triangles, ne = 0;
  tri_edge *e = malloc((3 * nt + 1) * sizeof *e);
  if (!e) return cr_error(CR_ENOMEM, "mesh: out of memory");
  memset(bv, 0, (size_t)m->n_vertices);
  for (size_t t = 0; t < nt; t++)
    for (int k = 0; k < 3 && in[t]; k++) {
      uint32_t a = (uint32_t)m->tri[3 * t + k], b = (uint32_t)m->tri[3 * t + (k + 1) % 3];
      uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
      e[ne++] = (tri_edge){((uint64_t)lo << 32) | hi, (int32_t)t};
    }
  qsort(e, ne, sizeof *e, cmp_tri_edge);
  for (size_t i = 0; i < ne;) {
    size_t j = i;
    while (j < ne && e[j].key == e[i].key) j++;
    if (j - i == 1) bv[e[i].key >> 32] = bv[e[i].key & 0xffffffffu] = 1;
    i = j;
  }
  free(e);
  return 0;
}

int cr_mesh_keep_open_patch(cr_mesh *m, int rings, int *n_removed) {
  if (rings < 0 || rings > 100) return cr_error(CR_EINVAL, "mesh: opening rings must be 0..100");
  size_t nt = (size_t)m->n_triangles, nv = (size_t)m->n_vertices;
  uint8_t *in = malloc(nt + 1), *bv = malloc(nv + 1);
  int32_t *label = malloc((nt + 1) * sizeof *label);
  int rc = !in || !bv || !label ? cr_error(CR_ENOMEM, "mesh: out of memory") : 0;
  for (size_t t = 0; !rc && t < nt; t++) in[t] = 1;
  // Erode: drop the triangles touching the boundary, `rings` times, but stop before a
  // ring that would leave nothing (a patch thinner than 2 * rings: open by less).
  uint8_t *prev = rc ? NULL : malloc(nt + 1);
  if (!rc && !prev) rc = cr_error(CR_ENOMEM, "mesh: out of memory");
  int used = 0;
  for (int r = 0; !rc && r < rings; r++) {
    if ((rc = mark_boundary_vertices(m, in, bv))) break;
    memcpy(prev, in, nt);
    size_t left = 0;
    for (size_t t = 0; t < nt; t++) {
      if (in[t] && (bv[m->tri[3 * t]] || bv[m->tri[3 * t + 1]] || bv[m->tri[3 * t + 2]])) in[t] = 0;
      left += in[t];
    }
    if (left == 0) {
      memcpy(in, prev, nt);
      break;
    }
    used++;
  }
  free(prev);
  rings = used;
  // The largest edge-connected piece of what is left (by triangle count).
  if (!rc) {
    cr_mesh sub = *m;
    int32_t *tri = malloc((3 * nt + 1) * sizeof *tri), *map = malloc((nt + 1) * sizeof *map);
    size_t ns = 0;
    if (!tri || !map) rc = cr_error(CR_ENOMEM, "mesh: out of memory");
    for (size_t t = 0; !rc && t < nt; t++)
      if (in[t]) memcpy(tri + 3 * ns, m->tri + 3 * t, 3 * sizeof *tri), map[ns++] = (int32_t)t;
    int nc = 0;
    sub.tri = tri, sub.n_triangles = (int)ns;
    if (!rc && ns == 0) rc = cr_error(CR_EEMPTY, "mesh: empty patch");
    if (!rc) rc = cr_mesh_edge_components(&sub, 0, label, &nc);
    if (!rc) {
      int32_t *count = calloc((size_t)nc + 1, sizeof *count);
      int best = 0;
      if (!count) rc = cr_error(CR_ENOMEM, "mesh: out of memory");
      for (size_t i = 0; !rc && i < ns; i++)
        if (label[i] >= 0) count[label[i]]++;
      for (int c = 1; !rc && c < nc; c++)
        if (count[c] > count[best]) best = c;
      memset(in, 0, nt);
      for (size_t i = 0; !rc && i < ns; i++) in[map[i]] = label[i] == best;
      free(count);
    }
    free(tri), free(map);
  }
  // Dilate back inside the original patch: add triangles sharing a vertex, `rings` times.
  for (int r = 0; !rc && r < rings; r++) {
    memset(bv, 0, nv);
    for (size_t t = 0; t < nt; t++)
      if (in[t])
        for (int k = 0; k < 3; k++) bv[m->tri[3 * t + k]] = 1;
    for (size_t t = 0; t < nt; t++)
      if (!in[t] && (bv[m->tri[3 * t]] || bv[m->tri[3 * t + 1]] || bv[m->tri[3 * t + 2]]))
        in[t] = 1;
  }
  size_t kept = 0;
  for (size_t t = 0; !rc && t < nt; t++) kept += in[t];
  if (!rc) rc = cr_mesh_keep_triangles(m, in);
  if (!rc) rc = cr_mesh_keep_largest_edge_component(m, 0, NULL);
  if (!rc && n_removed) *n_removed = (int)(nt - (size_t)m->n_triangles);
  free(in), free(bv), free(label);
  return rc;
}

int cr_mesh_keep_triangles(cr_mesh *m, const uint8_t *keep) {
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  int32_t *remap = malloc((nv + 1) * sizeof *remap);
  if (!remap) return cr_error(CR_ENOMEM, "mesh: out of memory");
  for (size_t v = 0; v < nv; v++) remap[v] = -1;
  size_t ot = 0;
  for (size_t t = 0; t < nt; t++) {
    if (!keep[t]) continue;
    for (int k = 0; k < 3; k++) {
      int32_t v = m->tri[3 * t + k];
      remap[v] = 0;
      m->tri[3 * ot + k] = v;
    }
    ot++;
  }
  int32_t ov = 0;
  for (size_t v = 0; v < nv; v++) {
    if (remap[v] < 0) continue;
    remap[v] = ov;
    for (int a = 0; a < 3; a++) {
      m->xyz[3 * (size_t)ov + a] = m->xyz[3 * v + a];
      if (m->normal) m->normal[3 * (size_t)ov + a] = m->normal[3 * v + a];
      if (m->rgb) m->rgb[3 * (size_t)ov + a] = m->rgb[3 * v + a];
    }
    if (m->scalar) m->scalar[ov] = m->scalar[v];
    ov++;
  }
  for (size_t i = 0; i < ot * 3; i++) m->tri[i] = remap[m->tri[i]];
  free(remap);
  m->n_vertices = ov, m->n_triangles = (int)ot;
  return 0;
}

// Vertex neighbour lists (CSR) from the triangle edges; duplicates removed.
static int build_adjacency(const cr_mesh *m, int32_t **start_out, int32_t **nbr_out) {
  size_t nv = (size_t)m->n_vertices, nt = (size_t)m->n_triangles;
  int32_t *start = calloc(nv + 2, sizeof *start);
  int32_t *nbr = malloc((nt * 6 + 1) * sizeof *nbr);
  if (!start || !nbr) {
    free(start), free(nbr);
    return cr_error(CR_ENOMEM, "mesh: out of memory for adjacency");
  }
  for (size_t i = 0; i < nt * 3; i++) start[m->tri[i] + 1] += 2;
  for (size_t v = 0; v < nv; v++) start[v + 1] += start[v];
  int32_t *fill = malloc((nv + 1) * sizeof *fill);
  if (!fill) {
    free(start), free(nbr);
    return cr_error(CR_ENOMEM, "mesh: out of memory for adjacency");
  }
  memcpy(fill, start, nv * sizeof *fill);
  for (size_t t = 0; t < nt; t++)
    for (int k = 0; k < 3; k++) {
      int32_t a = m->tri[3 * t + k];
      nbr[fill[a]++] = m->tri[3 * t + (k + 1) % 3];
      nbr[fill[a]++] = m->tri[3 * t + (k + 2) % 3];
    }
  // Compact: drop repeated neighbours (each interior edge appears twice).
  int32_t out = 0;
  for (size_t v = 0; v < nv; v++) {
    int32_t s = start[v], e = start[v + 1];
    start[v] = out;
    for (int32_t i = s; i < e; i++) {
      int dup = 0;
      for (int32_t j = start[v]; j < out && !dup; j++) dup = nbr[j] == nbr[i];
      if (!dup) nbr[out++] = nbr[i];
    }
  }
  start[nv] = out;
  free(fill);
  *start_out = start, *nbr_out = nbr;
  return 0;
}

static void laplacian_step(const cr_mesh *m, const int32_t *start, const int32_t *nbr, float *dst,
                           double factor) {
  for (int32_t v = 0; v < m->n_vertices; v++) {
    int32_t s = start[v], e = start[v + 1];
    for (int a = 0; a < 3; a++) {
      double p = m->xyz[3 * (size_t)v + a];
      if (e == s) {
        dst[3 * (size_t)v + a] = (float)p;
        continue;
      }
      double mean = 0;
      for (int32_t i = s; i < e; i++) mean += m->xyz[3 * (size_t)nbr[i] + a];
      mean /= (e - s);
      dst[3 * (size_t)v + a] = (float)(p + factor * (mean - p));
    }
  }
}

int cr_mesh_smooth_taubin(cr_mesh *m, int iterations, double lambda, double mu) {
  if (iterations < 0 || !(lambda > 0 && lambda < 1) || !(mu < -lambda && mu > -1))
    return cr_error(CR_EINVAL,
                    "taubin: need iterations >= 0, 0 < lambda < 1, -1 < mu < -lambda "
                    "(got %d, %g, %g)",
                    iterations, lambda, mu);
  if (iterations == 0 || m->n_triangles == 0) return 0;
  int32_t *start = NULL, *nbr = NULL;
  int rc = build_adjacency(m, &start, &nbr);
  if (rc) return rc;
  float *tmp = malloc(((size_t)m->n_vertices * 3 + 1) * sizeof(float));
  if (!tmp) {
    free(start), free(nbr);
    return cr_error(CR_ENOMEM, "taubin: out of memory");
  }
  for (int it = 0; it < 2 * iterations; it++) {
    laplacian_step(m, start, nbr, tmp, (it & 1) ? mu : lambda);
    float *sw = m->xyz;
    m->xyz = tmp, tmp = sw;
  }
  free(tmp), free(start), free(nbr);
  return m->normal ? cr_mesh_compute_normals(m) : 0;
}

int cr_mesh_transform(cr_mesh *m, const double M[4][4]) {
  double A[3][3], Ainv[3][3];
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) A[r][c] = M[r][c];
  if (cr_mat3_inverse(Ainv, A)) return cr_error(CR_EINVAL, "mesh: singular transform");
  for (size_t v = 0; v < (size_t)m->n_vertices; v++) {
    double p[3] = {m->xyz[3 * v], m->xyz[3 * v + 1], m->xyz[3 * v + 2]}, q[3];
    cr_mat4_apply_point(q, M, p);
    for (int a = 0; a < 3; a++) m->xyz[3 * v + a] = (float)q[a];
    if (m->normal) {
      double n[3] = {m->normal[3 * v], m->normal[3 * v + 1], m->normal[3 * v + 2]}, o[3];
      cr_mat3_apply_transpose(o, Ainv, n);
      cr_vec3_normalize(o);
      for (int a = 0; a < 3; a++) m->normal[3 * v + a] = (float)o[a];
    }
  }
  if (cr_mat3_det(A) < 0)
    for (size_t t = 0; t < (size_t)m->n_triangles; t++) {
      int32_t s = m->tri[3 * t + 1];
      m->tri[3 * t + 1] = m->tri[3 * t + 2], m->tri[3 * t + 2] = s;
    }
  return 0;
}

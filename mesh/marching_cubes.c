// Marching cubes with welded vertices and a triangle table built from a face rule.
//
// The table (256 cases -> triangles over the 12 cube edges) is generated, not typed
// in: on every cube face the iso-line segments are found from the face's 4 corners
// alone (on an ambiguous face, with two diagonal inside corners, the segments cut off
// the inside corners), oriented so that the inside lies to the right seen from outside
// the cube, chained into closed loops and fan-triangulated. Since two cubes sharing a
// face see the same segments, and vertices are shared per grid edge, the surface is
// closed and consistently wound. Corner c sits at (c & 1, c >> 1 & 1, c >> 2 & 1).
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TRI = 16 };
typedef struct mc_table {
  int8_t n_tri[256];
  int8_t tri[256][MAX_TRI][3]; // cube edge indices
} mc_table;

// Edge e: axis e / 4, from corner edge_corner[e][0] to edge_corner[e][1] (+1 on the axis).
static const int edge_corner[12][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3},
                                       {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};

static int edge_between(int a, int b) {
  for (int e = 0; e < 12; e++)
    if ((edge_corner[e][0] == a && edge_corner[e][1] == b) ||
        (edge_corner[e][0] == b && edge_corner[e][1] == a))
      return e;
  return -1;
}

// Face ids (axis * 2 + side) of the two faces containing edge e.
static void edge_faces(int e, int f[2]) {
  int axis = e / 4, b = edge_corner[e][0], n = 0;
  for (int a = 0; a < 3; a++)
    if (a != axis) f[n++] = a * 2 + ((b >> a) & 1);
}

static int edges_share_face(int e1, int e2) {
  int f1[2], f2[2];
  edge_faces(e1, f1), edge_faces(e2, f2);
  return f1[0] == f2[0] || f1[0] == f2[1] || f1[1] == f2[0] || f1[1] == f2[1];
}

static void corner_pos(int c, double p[3]) {
  p[0] = c & 1, p[1] = (c >> 1) & 1, p[2] = (c >> 2) & 1;
}

static void edge_mid(int e, double p[3]) {
  double a[3], b[3];
  corner_pos(edge_corner[e][0], a);
  corner_pos(edge_corner[e][1], b);
  for (int k = 0; k < 3; k++) p[k] = 0.5 * (a[k] + b[k]);
}

static int edge_inside_corner(int e, int cube_case) {
  int a = edge_corner[e][0];
  return (cube_case >> a & 1) ? a : edge_corner[e][1];
}

// Adds the oriented segment ea -> eb (or eb -> ea) of face normal n to next[].
static int add_segment(int next[12], int ea, int eb, const double n[3], int cube_case) {
  double pa[3], pb[3], ca[3], cb[3], d[3], left[3], mid[3], in[3], rel[3];
  edge_mid(ea, pa), edge_mid(eb, pb);
  corner_pos(edge_inside_corner(ea, cube_case), ca);
  corner_pos(edge_inside_corner(eb, cube_case), cb);
  cr_vec3_sub(d, pb, pa);
  cr_vec3_cross(left, n, d);
  for (int k = 0; k < 3; k++) mid[k] = 0.5 * (pa[k] + pb[k]), in[k] = 0.5 * (ca[k] + cb[k]);
  cr_vec3_sub(rel, in, mid);
  if (cr_vec3_dot(left, rel) > 0) { // inside on the left: reverse
    int s = ea;
    ea = eb, eb = s;
  }
  if (next[ea] >= 0) return -1;
  next[ea] = eb;
  return 0;
}

static int build_case(mc_table *tb, int cc) {
  int next[12];
  for (int e = 0; e < 12; e++) next[e] = -1;
  for (int axis = 0; axis < 3; axis++)
    for (int side = 0; side < 2; side++) {
      // The 4 face corners in cyclic order: vary the two other axes.
      int u = (axis + 1) % 3, w = (axis + 2) % 3, c[4];
      int base = side << axis;
      c[0] = base, c[1] = base | 1 << u, c[2] = base | 1 << u | 1 << w, c[3] = base | 1 << w;
      double n[3] = {0, 0, 0};
      n[axis] = side ? 1 : -1;
      int cross[4], nc = 0;
      for (int i = 0; i < 4; i++)
        if ((cc >> c[i] & 1) != (cc >> c[(i + 1) % 4] & 1)) cross[nc++] = i;
      if (nc == 2) {
        if (add_segment(next, edge_between(c[cross[0]], c[(cross[0] + 1) % 4]),
                        edge_between(c[cross[1]], c[(cross[1] + 1) % 4]), n, cc))
          return -1;
      } else if (nc == 4) {
        for (int i = 0; i < 4; i++) {
          if (!(cc >> c[i] & 1)) continue; // cut off each inside corner
          int e_prev = edge_between(c[(i + 3) % 4], c[i]),
              e_next = edge_between(c[i], c[(i + 1) % 4]);
          if (add_segment(next, e_prev, e_next, n, cc)) return -1;
        }
      }
    }
  int used[12] = {0}, nt = 0;
  for (int e0 = 0; e0 < 12; e0++) {
    if (next[e0] < 0 || used[e0]) continue;
    int loop[12], nl = 0;
    for (int e = e0; !used[e]; e = next[e]) {
      if (next[e] < 0 || nl >= 12) return -1;
      used[e] = 1;
      loop[nl++] = e;
    }
    // Fan from a start whose diagonals join no two vertices on a common cube face:
    // such a pair may be a segment of the neighbour cube, which would use that mesh
    // edge three times.
    int s0 = -1;
    for (int s = 0; s < nl && s0 < 0; s++) {
      int ok = 1;
      for (int i = 2; i + 1 < nl && ok; i++) ok = !edges_share_face(loop[s], loop[(s + i) % nl]);
      if (ok) s0 = s;
    }
    if (s0 < 0) return -1;
    for (int i = 1; i + 1 < nl; i++) {
      if (nt >= MAX_TRI) return -1;
      tb->tri[cc][nt][0] = (int8_t)loop[s0];
      tb->tri[cc][nt][1] = (int8_t)loop[(s0 + i) % nl];
      tb->tri[cc][nt][2] = (int8_t)loop[(s0 + i + 1) % nl];
      nt++;
    }
  }
  tb->n_tri[cc] = (int8_t)nt;
  return 0;
}

typedef struct mc_ctx {
  const cr_volume *vol;
  float iso;
  int border;                  // 1 when the grid is padded by one outside layer
  int gx, gy;                  // grid points per slice (padded)
  int32_t *xe[2], *ye[2], *ze; // vertex id per grid edge: slices k, k+1 and between
  float *xyz;
  int32_t *tri;
  size_t nv, nt, cap_v, cap_t;
  int oom;
} mc_ctx;

// Value at padded grid point (i, j, k); NaN outside the volume (counts as outside).
static inline float mc_value(const mc_ctx *c, int i, int j, int k) {
  i -= c->border, j -= c->border, k -= c->border;
  const cr_volume *v = c->vol;
  if (i < 0 || j < 0 || k < 0 || i >= v->dim[0] || j >= v->dim[1] || k >= v->dim[2]) return NAN;
  return v->data[cr_volume_index(v, i, j, k)];
}

static int32_t mc_vertex(mc_ctx *c, int i, int j, int k, int axis, int32_t *slot) {
  if (*slot >= 0) return *slot;
  if (c->nv == c->cap_v) {
    size_t cap = c->cap_v ? 2 * c->cap_v : 4096;
    float *p = realloc(c->xyz, cap * 3 * sizeof(float));
    if (!p) {
      c->oom = 1;
      return 0;
    }
    c->xyz = p, c->cap_v = cap;
  }
  int o[3] = {0, 0, 0};
  o[axis] = 1;
  float a = mc_value(c, i, j, k), b = mc_value(c, i + o[0], j + o[1], k + o[2]);
  double t = 0.5; // an end outside the grid: the vertex sits on the grid boundary
  if (!isnan(a) && !isnan(b) && a != b) t = (c->iso - a) / (double)(b - a);
  if (t < 0) t = 0;
  if (t > 1) t = 1;
  double ijk[3] = {i - c->border + t * o[0], j - c->border + t * o[1], k - c->border + t * o[2]},
         w[3];
  cr_mat4_apply_point(w, c->vol->world_from_voxel, ijk);
  for (int d = 0; d < 3; d++) c->xyz[3 * c->nv + d] = (float)w[d];
  *slot = (int32_t)c->nv;
  return (int32_t)c->nv++;
}

static int32_t *mc_slot(mc_ctx *c, int i, int j, int e) {
  int a = edge_corner[e][0];
  int di = a & 1, dj = (a >> 1) & 1, dk = (a >> 2) & 1;
  size_t idx = (size_t)(i + di) + (size_t)c->gx * (size_t)(j + dj);
  if (e < 4) return &c->xe[dk][idx];
  if (e < 8) return &c->ye[dk][idx];
  return &c->ze[idx];
}

static void mc_slab(mc_ctx *c, const mc_table *tb, int k, int flip) {
  for (int j = 0; j + 1 < c->gy; j++)
    for (int i = 0; i + 1 < c->gx; i++) {
      int cc = 0;
      for (int q = 0; q < 8; q++)
        if (mc_value(c, i + (q & 1), j + (q >> 1 & 1), k + (q >> 2 & 1)) > c->iso) cc |= 1 << q;
      int n = tb->n_tri[cc];
      if (!n) continue;
      if (c->nt + (size_t)n > c->cap_t) {
        size_t cap = c->cap_t ? 2 * c->cap_t : 8192;
        int32_t *p = realloc(c->tri, cap * 3 * sizeof(int32_t));
        if (!p) {
          c->oom = 1;
          return;
        }
        c->tri = p, c->cap_t = cap;
      }
      for (int t = 0; t < n; t++) {
        int32_t id[3];
        for (int q = 0; q < 3; q++) {
          int e = tb->tri[cc][t][q], a = edge_corner[e][0];
          id[q] = mc_vertex(c, i + (a & 1), j + (a >> 1 & 1), k + (a >> 2 & 1), e / 4,
                            mc_slot(c, i, j, e));
        }
        if (c->oom) return;
        int32_t *dst = c->tri + 3 * c->nt++;
        dst[0] = id[0], dst[1] = flip ? id[2] : id[1], dst[2] = flip ? id[1] : id[2];
      }
    }
}

int cr_mesh_marching_cubes(const cr_volume *vol, float iso, int close_border, cr_mesh **out) {
  *out = NULL;
  if (!isfinite(iso)) return cr_error(CR_EINVAL, "marching cubes: iso level must be finite");
  mc_table *tb = calloc(1, sizeof *tb);
  if (!tb) return cr_error(CR_ENOMEM, "marching cubes: out of memory");
  for (int cc = 0; cc < 256; cc++)
    if (build_case(tb, cc)) {
      free(tb);
      return cr_error(CR_ENUMERIC, "marching cubes: inconsistent table for case %d", cc);
    }
  mc_ctx c = {.vol = vol, .iso = iso, .border = close_border ? 1 : 0};
  c.gx = vol->dim[0] + 2 * c.border, c.gy = vol->dim[1] + 2 * c.border;
  int gz = vol->dim[2] + 2 * c.border;
  size_t slice = (size_t)c.gx * c.gy;
  int32_t *buf = malloc(5 * slice * sizeof(int32_t) + 1);
  if (!buf) {
    free(tb);
    return cr_error(CR_ENOMEM, "marching cubes: out of memory");
  }
  c.xe[0] = buf, c.xe[1] = buf + slice, c.ye[0] = buf + 2 * slice, c.ye[1] = buf + 3 * slice;
  c.ze = buf + 4 * slice;
  memset(buf, 0xff, 5 * slice * sizeof(int32_t));
  double A[3][3];
  for (int r = 0; r < 3; r++)
    for (int q = 0; q < 3; q++) A[r][q] = vol->world_from_voxel[r][q];
  int flip = cr_mat3_det(A) < 0; // a mirrored grid reverses the winding in world space
  for (int k = 0; k + 1 < gz && !c.oom; k++) {
    mc_slab(&c, tb, k, flip);
    int32_t *s = c.xe[0];
    c.xe[0] = c.xe[1], c.xe[1] = s;
    s = c.ye[0], c.ye[0] = c.ye[1], c.ye[1] = s;
    memset(c.xe[1], 0xff, slice * sizeof(int32_t));
    memset(c.ye[1], 0xff, slice * sizeof(int32_t));
    memset(c.ze, 0xff, slice * sizeof(int32_t));
  }
  free(buf), free(tb);
  int rc = 0;
  if (c.oom)
    rc = cr_error(CR_ENOMEM, "marching cubes: out of memory");
  else if (c.nt == 0)
    rc = cr_error(CR_EEMPTY, "marching cubes: no surface at iso level %g", iso);
  else if (c.nv > INT32_MAX / 3 || c.nt > INT32_MAX / 3)
    rc = cr_error(CR_EUNSUPPORTED, "marching cubes: mesh too large");
  if (rc) {
    free(c.xyz), free(c.tri);
    return rc;
  }
  cr_mesh *m = calloc(1, sizeof *m);
  if (!m) {
    free(c.xyz), free(c.tri);
    return cr_error(CR_ENOMEM, "marching cubes: out of memory");
  }
  m->n_vertices = (int)c.nv, m->n_triangles = (int)c.nt, m->xyz = c.xyz, m->tri = c.tri;
  *out = m;
  return 0;
}

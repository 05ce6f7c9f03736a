// Z-buffer rasterizer: vertices projected through the OpenCV camera (with distortion),
// triangles filled in the distorted image with perspective-correct barycentrics. The
// raster keeps, per pixel, the nearest triangle and its barycentrics (a visibility
// buffer); images are resolved from it afterwards.
#include "mesh/mesh.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef __SSE2__
#include <emmintrin.h>
#endif

cr_mesh_raster *cr_mesh_raster_new(int width, int height) {
  if (width <= 0 || height <= 0 || width > 32768 || height > 32768) {
    cr_error(CR_EINVAL, "mesh raster: bad size %dx%d", width, height);
    return NULL;
  }
  cr_mesh_raster *r = calloc(1, sizeof *r);
  size_t n = (size_t)width * height;
  if (r) {
    r->width = width, r->height = height;
    r->depth = malloc(n * sizeof(float));
    r->tri = malloc(n * sizeof(int32_t));
    r->bary = malloc(2 * n * sizeof(float));
  }
  if (!r || !r->depth || !r->tri || !r->bary) {
    cr_mesh_raster_free(r);
    cr_error(CR_ENOMEM, "mesh raster: out of memory");
    return NULL;
  }
  return r;
}

void cr_mesh_raster_free(cr_mesh_raster *r) {
  if (!r) return;
  free(r->depth), free(r->tri), free(r->bary), free(r->proj), free(r->cell);
  free(r->extra_depth), free(r->extra_tri), free(r->extra_bary);
  free(r);
}

cr_mesh_raster_opts cr_mesh_raster_defaults(void) {
  return (cr_mesh_raster_opts){.cull_backfaces = 1, .near_mm = 1.0};
}

// Key of the pixel-centre cell holding coordinate c (centres at integers 0..n-1):
// 2 floor(c) + 1 strictly between centres k and k+1, 2 k exactly on centre k, with c
// first clamped to [-0.5, n - 0.5] (one key for "before centre 0", one for "after
// centre n-1"; NaN lands on the first, harmless as a triangle with a NaN vertex covers
// nothing). If the three vertices of a triangle share a key in u or in v, no pixel
// centre lies in its bounding box (or, for equal even keys, the triangle is flat in
// that axis, area 0), so it covers nothing: the raster loop rejects many triangles of a
// dense mesh on that integer test alone.
static inline int32_t cell_key(float c, int n) {
  float hi = (float)n - 0.5f;
  c = c > -0.5f ? c : -0.5f;
  c = c < hi ? c : hi;
  int32_t t = (int32_t)c;              // truncation: floor for c >= 0, 0 for c in [-0.5, 0)
  int32_t f = t - (c < (float)t);      // floor
  return 2 * f + ((float)f != c);
}

// The camera model of cr_camera_project (OpenCV pinhole + k1 k2 p1 p2 k3) in float.
typedef struct proj_model {
  float R[9], t[3], k1, k2, p1, p2, k3, fx, fy, cx, cy, zn;
  int w, h;
} proj_model;

// One vertex: proj (u, v, z; 0, 0, -1 when nearer than the near plane) and cell keys.
static inline void project_one(const proj_model *c, const float *p, float *o, uint64_t *cell) {
  const float *R = c->R;
  float X = R[0] * p[0] + R[1] * p[1] + R[2] * p[2] + c->t[0];
  float Y = R[3] * p[0] + R[4] * p[1] + R[5] * p[2] + c->t[1];
  float Z = R[6] * p[0] + R[7] * p[1] + R[8] * p[2] + c->t[2];
  float iz = 1.0f / Z, x = X * iz, y = Y * iz, r2 = x * x + y * y;
  float radial = 1 + r2 * (c->k1 + r2 * (c->k2 + r2 * c->k3));
  float xd = x * radial + 2 * c->p1 * x * y + c->p2 * (r2 + 2 * x * x);
  float yd = y * radial + c->p1 * (r2 + 2 * y * y) + 2 * c->p2 * x * y;
  int ok = Z >= c->zn;
  float pu = ok ? c->fx * xd + c->cx : 0, pv = ok ? c->fy * yd + c->cy : 0;
  o[0] = pu, o[1] = pv, o[2] = ok ? Z : -1;
  *cell = (uint64_t)(uint32_t)cell_key(pu, c->w) << 32 | (uint32_t)cell_key(pv, c->h);
}

#ifdef __SSE2__
// cell_key of 4 coordinates, the same operations as the scalar one (max/min_ps return
// their second operand for NaN, as the scalar selects do).
static inline __m128i cell_key4(__m128 c, int n) {
  c = _mm_min_ps(_mm_max_ps(c, _mm_set1_ps(-0.5f)), _mm_set1_ps((float)n - 0.5f));
  __m128i t = _mm_cvttps_epi32(c);
  __m128i f = _mm_add_epi32(t, _mm_castps_si128(_mm_cmplt_ps(c, _mm_cvtepi32_ps(t)))); // t - (c < t)
  __m128i frac = _mm_castps_si128(_mm_cmpneq_ps(_mm_cvtepi32_ps(f), c));
  return _mm_sub_epi32(_mm_add_epi32(f, f), frac); // 2 f + (f != c)
}

// project_one for 4 vertices with SSE2 (the compiler does not vectorize the scalar loop:
// with the default -ftrapping-math it will not turn the near-plane selects into masks).
// Every operation is the scalar one in the same order, so the results are bit-identical.
static inline void project_four(const proj_model *c, const float *p, float *o, uint64_t *cell) {
  __m128 px = _mm_setr_ps(p[0], p[3], p[6], p[9]), py = _mm_setr_ps(p[1], p[4], p[7], p[10]),
         pz = _mm_setr_ps(p[2], p[5], p[8], p[11]);
#define S(a) _mm_set1_ps(a)
#define ADD _mm_add_ps
#define MUL _mm_mul_ps
  const float *R = c->R;
  __m128 X = ADD(ADD(ADD(MUL(S(R[0]), px), MUL(S(R[1]), py)), MUL(S(R[2]), pz)), S(c->t[0]));
  __m128 Y = ADD(ADD(ADD(MUL(S(R[3]), px), MUL(S(R[4]), py)), MUL(S(R[5]), pz)), S(c->t[1]));
  __m128 Z = ADD(ADD(ADD(MUL(S(R[6]), px), MUL(S(R[7]), py)), MUL(S(R[8]), pz)), S(c->t[2]));
  __m128 iz = _mm_div_ps(S(1.0f), Z), x = MUL(X, iz), y = MUL(Y, iz), r2 = ADD(MUL(x, x), MUL(y, y));
  __m128 radial = ADD(S(1.0f), MUL(r2, ADD(S(c->k1), MUL(r2, ADD(S(c->k2), MUL(r2, S(c->k3)))))));
  __m128 two_p1 = S(2 * c->p1), two_p2 = S(2 * c->p2);
  __m128 xd = ADD(ADD(MUL(x, radial), MUL(MUL(two_p1, x), y)), MUL(S(c->p2), ADD(r2, MUL(MUL(S(2.0f), x), x))));
  __m128 yd = ADD(ADD(MUL(y, radial), MUL(S(c->p1), ADD(r2, MUL(MUL(S(2.0f), y), y)))), MUL(MUL(two_p2, x), y));
  __m128 ok = _mm_cmpge_ps(Z, S(c->zn));
  __m128 pu = _mm_and_ps(ok, ADD(MUL(S(c->fx), xd), S(c->cx)));
  __m128 pv = _mm_and_ps(ok, ADD(MUL(S(c->fy), yd), S(c->cy)));
  __m128 pz_out = _mm_or_ps(_mm_and_ps(ok, Z), _mm_andnot_ps(ok, S(-1.0f)));
#undef S
#undef ADD
#undef MUL
  float u4[4], v4[4], z4[4];
  _mm_storeu_ps(u4, pu), _mm_storeu_ps(v4, pv), _mm_storeu_ps(z4, pz_out);
  for (int k = 0; k < 4; k++) o[3 * k] = u4[k], o[3 * k + 1] = v4[k], o[3 * k + 2] = z4[k];
  // Interleaved as 64-bit keys: v key in the low half, u key in the high half.
  __m128i ku = cell_key4(pu, c->w), kv = cell_key4(pv, c->h);
  _mm_storeu_si128((__m128i *)cell, _mm_unpacklo_epi32(kv, ku));
  _mm_storeu_si128((__m128i *)(cell + 2), _mm_unpackhi_epi32(kv, ku));
}
#endif

static proj_model make_model(const cr_mesh_raster *r, const cr_camera *cam, const cr_pose *pose,
                             double near_mm) {
  proj_model c = {.k1 = (float)cam->dist[0], .k2 = (float)cam->dist[1], .p1 = (float)cam->dist[2],
                  .p2 = (float)cam->dist[3], .k3 = (float)cam->dist[4], .fx = (float)cam->fx,
                  .fy = (float)cam->fy, .cx = (float)cam->cx, .cy = (float)cam->cy,
                  .zn = (float)near_mm, .w = r->width, .h = r->height};
  for (int i = 0; i < 9; i++) c.R[i] = (float)pose->R[i / 3][i % 3];
  for (int i = 0; i < 3; i++) c.t[i] = (float)pose->t[i];
  return c;
}

// proj and the cell keys of all vertices, 4 at a time (with SSE2 when available).
// Called inside the parallel region of cr_mesh_rasterize: the loop is shared among its
// threads and ends with a barrier.
static void project_vertices(cr_mesh_raster *r, const cr_mesh *m, const proj_model *c) {
  float *proj = r->proj;
  uint64_t *cell = r->cell;
  const float *xyz = m->xyz;
  int nv = m->n_vertices, nb = (nv + 3) / 4;
#pragma omp for schedule(static)
  for (int b = 0; b < nb; b++) {
    int v = 4 * b;
#ifdef __SSE2__
    if (v + 4 <= nv) {
      project_four(c, xyz + 3 * (size_t)v, proj + 3 * (size_t)v, cell + v);
      continue;
    }
#endif
    for (; v < nv && v < 4 * b + 4; v++) project_one(c, xyz + 3 * (size_t)v, proj + 3 * (size_t)v, cell + v);
  }
}

// Edge (a -> b) owns pixels exactly on it when it points "down" or, if horizontal,
// right; the neighbour triangle walks the shared edge the other way, so exactly one of
// the two covers a pixel centre lying on it.
static inline int edge_owns(double dx, double dy) { return dy > 0 || (dy == 0 && dx > 0); }

static inline float min3f(float a, float b, float c) {
  float m = a < b ? a : b;
  return m < c ? m : c;
}
static inline float max3f(float a, float b, float c) {
  float m = a > b ? a : b;
  return m > c ? m : c;
}
// ceil of a positive float that fits an int.
static inline int ceil_pos(float x) {
  int i = (int)x;
  return (float)i < x ? i + 1 : i;
}

typedef struct zbuf {
  float *depth, *bary;
  int32_t *tri;
} zbuf;

// One edge a -> b of a triangle: w = sgn (A x + B y + C) > 0 inside. The function is
// evaluated in the canonical direction (lower vertex id first), so both triangles of
// an edge compute bit-identical values, with opposite signs; sgn turns it back to
// this triangle's direction. `own`: the edge owns centres exactly on it.
typedef struct edge {
  double A, B, C, sgn;
  int own;
} edge;

static inline void edge_setup(edge *E, double ua, double va, int32_t ia, double ub, double vb, int32_t ib) {
  E->own = edge_owns(ub - ua, vb - va);
  int fwd = ia < ib; // selects, not branches: the id order is random
  double ul = fwd ? ua : ub, vl = fwd ? va : vb, uh = fwd ? ub : ua, vh = fwd ? vb : va;
  E->sgn = fwd ? 1.0 : -1.0;
  E->A = -(vh - vl), E->B = uh - ul, E->C = -(E->A * ul + E->B * vl);
}

// Whether a pixel-sized triangle passes each cheap test is close to random, so a branch
// per test would often be mispredicted. The cheap rejections therefore run first over a
// batch of triangles without branches, each pass appending the survivors to a list
// (out[n] = t; n += keep), and only the survivors (about a quarter with culling on the
// Colin27 cortex at 256x256) reach raster_triangle.
enum { BATCH = 2048 }; // triangles per batch (and per dynamically scheduled chunk)
enum { FRAGS = 512 };  // one-pixel fragments held before they are drawn (stack space)

// Keeps the triangles whose three vertices are not all in one cell in u or in v (see
// cell_key): the others have no pixel centre in their bounding box.
static int filter_cells(const uint64_t *cell, const int32_t *tri, int32_t t0, int32_t t1, int32_t *out) {
  int n = 0;
  for (int32_t t = t0; t < t1; t++) {
    const int32_t *id = tri + 3 * (size_t)t;
    uint64_t k0 = cell[id[0]], k1 = cell[id[1]], k2 = cell[id[2]], d = (k0 ^ k1) | (k1 ^ k2);
    out[n] = t;
    n += ((uint32_t)d != 0) & ((d >> 32) != 0);
  }
  return n;
}

// Keeps the triangles with all vertices in front of the near plane and, when culling,
// not clearly back-facing (a float pre-cull; raster_triangle makes the exact test).
static int filter_front(const float *proj, const int32_t *tri, const int32_t *in, int n_in, int cull,
                        int32_t *out) {
  int n = 0;
  float cull_above = cull ? 1e-3f : INFINITY; // NaN areas are kept, as before
  for (int k = 0; k < n_in; k++) {
    const int32_t *id = tri + 3 * (size_t)in[k];
    const float *p0 = proj + 3 * (size_t)id[0], *p1 = proj + 3 * (size_t)id[1], *p2 = proj + 3 * (size_t)id[2];
    float af = (p1[0] - p0[0]) * (p2[1] - p0[1]) - (p1[1] - p0[1]) * (p2[0] - p0[0]);
    out[n] = in[k];
    n += (p0[2] > 0) & (p1[2] > 0) & (p2[2] > 0) & !(af > cull_above);
  }
  return n;
}

// A pixel centre covered by a triangle: its edge functions w (in the order with
// positive area: 1 and 2 swapped when neg), the area (> 0) and the vertex depths.
typedef struct fragment {
  double w[3], area;
  float z[3];
  int32_t t, i, neg, inside;
} fragment;

// Whether centre (x, y) is inside (top-left rule on the exactly-on-edge case), and w.
static inline int pixel_inside(const edge E[3], int x, int y, double w[3]) {
  int in = 1;
  for (int e = 0; e < 3; e++) { // & rather than &&: no branches
    w[e] = E[e].sgn * (E[e].A * x + E[e].B * y + E[e].C);
    in &= (w[e] > 0) | ((w[e] == 0) & E[e].own);
  }
  return in;
}

// Depth and perspective-correct barycentrics of a fragment; kept if nearest.
static inline void draw_fragment(zbuf zb, const fragment *f) {
  double inv_area = 1.0 / f->area, iz0 = 1.0 / f->z[0], iz1 = 1.0 / f->z[1], iz2 = 1.0 / f->z[2];
  // Screen barycentrics of the original vertices 0, 1, 2.
  double l0 = f->w[0] * inv_area, la = f->w[1] * inv_area, lb = f->w[2] * inv_area;
  double l1 = f->neg ? lb : la, l2 = f->neg ? la : lb;
  double zd = 1.0 / (l0 * iz0 + l1 * iz1 + l2 * iz2);
  float zz = (float)zd;
  size_t i = (size_t)f->i;
  if (zz > zb.depth[i] || (zz == zb.depth[i] && f->t > zb.tri[i])) return;
  zb.depth[i] = zz, zb.tri[i] = f->t;
  zb.bary[2 * i] = (float)(l1 * iz1 * zd);
  zb.bary[2 * i + 1] = (float)(l2 * iz2 * zd);
}

// Draws triangle t, or for a one-pixel box appends its fragment to frags.
static void raster_triangle(const cr_mesh_raster *r, zbuf zb, const cr_mesh *m, int32_t t, int cull,
                            fragment *frags, int *n_frags) {
  const int32_t *id = m->tri + 3 * (size_t)t;
  const float *p0 = r->proj + 3 * (size_t)id[0], *p1 = r->proj + 3 * (size_t)id[1],
              *p2 = r->proj + 3 * (size_t)id[2];
  // Plain comparisons, not fminf/ceilf: those are library calls without -ffast-math.
  float vmin = min3f(p0[1], p1[1], p2[1]), vmax = max3f(p0[1], p1[1], p2[1]);
  float umin = min3f(p0[0], p1[0], p2[0]), umax = max3f(p0[0], p1[0], p2[0]);
  // Reject before any int conversion (also NaN); then the box of pixel centres.
  if (!(vmax >= 0.0f && vmin <= (float)(r->height - 1) && umax >= 0.0f && umin <= (float)(r->width - 1))) return;
  int ya = vmin <= 0.0f ? 0 : ceil_pos(vmin), yb = vmax >= (float)(r->height - 1) ? r->height - 1 : (int)vmax;
  int xa = umin <= 0.0f ? 0 : ceil_pos(umin), xb = umax >= (float)(r->width - 1) ? r->width - 1 : (int)umax;
  if (ya > yb || xa > xb) return; // no pixel centre inside the box
  // Plain scalars rather than indexed arrays, so they stay in registers.
  double u0 = p0[0], v0 = p0[1], u1 = p1[0], v1 = p1[1], u2 = p2[0], v2 = p2[1];
  double area = (u1 - u0) * (v2 - v0) - (v1 - v0) * (u2 - u0);
  if (area == 0 || (cull && area > 0)) return; // area < 0: facing the camera
  int neg = area < 0; // then vertices 1 and 2 swap places: the order with positive area
  int32_t j0 = id[0], j1 = id[1], j2 = id[2];
  if (neg) {
    double tu = u1, tv = v1;
    int32_t tj = j1;
    u1 = u2, v1 = v2, j1 = j2, u2 = tu, v2 = tv, j2 = tj;
    area = -area;
  }
  edge E[3];
  edge_setup(&E[0], u1, v1, j1, u2, v2, j2); // opposite vertex 0
  edge_setup(&E[1], u2, v2, j2, u0, v0, j0); // opposite vertex 1 (2 if swapped)
  edge_setup(&E[2], u0, v0, j0, u1, v1, j1); // opposite vertex 2 (1 if swapped)
  fragment f = {.area = area, .z = {p0[2], p1[2], p2[2]}, .t = t, .neg = neg};
  if (xa == xb && ya == yb) {
    // One candidate centre (most triangles of a dense mesh): whether it is covered is
    // a coin flip, so rather than branch on it the fragment is always written to the
    // list and the list only grows when it is; the list is drawn after the batch.
    f.inside = pixel_inside(E, xa, ya, f.w);
    f.i = (int32_t)((size_t)ya * r->width + (size_t)xa);
    frags[*n_frags] = f;
    *n_frags += f.inside;
    return;
  }
  for (int y = ya; y <= yb; y++) {
    size_t row = (size_t)y * r->width;
    for (int x = xa; x <= xb; x++) {
      if (!pixel_inside(E, x, y, f.w)) continue;
      f.i = (int32_t)(row + (size_t)x);
      draw_fragment(zb, &f);
    }
  }
}

// Room for `n` extra thread z-buffers.
static int reserve_extra(cr_mesh_raster *r, int n) {
  if (n <= r->n_extra) return 0;
  size_t px = (size_t)r->width * r->height * (size_t)n;
  float *d = realloc(r->extra_depth, px * sizeof(float)), *b = d ? realloc(r->extra_bary, 2 * px * sizeof(float)) : NULL;
  if (d) r->extra_depth = d;
  if (b) r->extra_bary = b;
  int32_t *t = b ? realloc(r->extra_tri, px * sizeof(int32_t)) : NULL;
  if (t) r->extra_tri = t;
  if (!d || !b || !t) return cr_error(CR_ENOMEM, "mesh raster: out of memory for thread buffers");
  r->n_extra = n;
  return 0;
}

static zbuf buffer_of(const cr_mesh_raster *r, int k) {
  if (k == 0) return (zbuf){r->depth, r->bary, r->tri};
  size_t off = (size_t)r->width * r->height * (size_t)(k - 1);
  return (zbuf){r->extra_depth + off, r->extra_bary + 2 * off, r->extra_tri + off};
}

int cr_mesh_rasterize(cr_mesh_raster *r, const cr_mesh *m, const cr_camera *cam,
                      const cr_pose *cam_from_world, const cr_mesh_raster_opts *opts) {
  cr_mesh_raster_opts o = opts ? *opts : cr_mesh_raster_defaults();
  if (cam->width != r->width || cam->height != r->height)
    return cr_error(CR_EINVAL, "mesh raster: raster %dx%d but camera %dx%d", r->width, r->height,
                    cam->width, cam->height);
  if (!(o.near_mm > 0)) return cr_error(CR_EINVAL, "mesh raster: near plane must be > 0 mm");
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  if (r->proj_capacity < m->n_vertices) {
    float *p = realloc(r->proj, ((size_t)m->n_vertices * 3 + 1) * sizeof(float));
    if (p) r->proj = p;
    uint64_t *c = p ? realloc(r->cell, ((size_t)m->n_vertices + 1) * sizeof(uint64_t)) : NULL;
    if (c) r->cell = c;
    if (!c) return cr_error(CR_ENOMEM, "mesh raster: out of memory for %d vertices", m->n_vertices);
    r->proj_capacity = m->n_vertices;
  }
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
  if (max_threads > 64) max_threads = 64;
  // Below ~8k triangles per thread, threads cost more than they save.
  if (m->n_triangles < 8192 * max_threads) max_threads = 1 + m->n_triangles / 8192;
  if (max_threads > 64) max_threads = 64;
  if ((rc = reserve_extra(r, max_threads - 1))) return rc;
  proj_model model = make_model(r, cam, cam_from_world, o.near_mm);
  int nt = m->n_triangles;
  long npx = (long)r->width * r->height;
#pragma omp parallel num_threads(max_threads)
  {
    int nth = 1, me = 0;
#ifdef _OPENMP
    nth = omp_get_num_threads(), me = omp_get_thread_num();
#endif
    zbuf zb = buffer_of(r, me);
    for (long i = 0; i < npx; i++) zb.depth[i] = INFINITY, zb.tri[i] = -1;
    project_vertices(r, m, &model); // one parallel region for all: fewer wake-ups
    // Dynamic batches balance the threads (the work per triangle varies a lot across
    // the image); the result does not depend on which thread draws what, as every
    // z-buffer keeps the minimum of (depth, triangle index) per pixel.
    int32_t pass1[BATCH], pass2[BATCH];
    fragment frags[FRAGS];
    int nb = (int)((nt + (long)BATCH - 1) / BATCH);
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < nb; b++) {
      int32_t t0 = (int32_t)((long)b * BATCH), t1 = t0 + BATCH < nt ? t0 + BATCH : nt;
      int n1 = filter_cells(r->cell, m->tri, t0, t1, pass1);
      int n2 = filter_front(r->proj, m->tri, pass1, n1, o.cull_backfaces, pass2);
      int nf = 0;
      for (int k = 0; k < n2; k++) {
        raster_triangle(r, zb, m, pass2[k], o.cull_backfaces, frags, &nf); // adds <= 1
        if (nf == FRAGS) {
          for (int j = 0; j < nf; j++) draw_fragment(zb, &frags[j]);
          nf = 0;
        }
      }
      for (int k = 0; k < nf; k++) draw_fragment(zb, &frags[k]);
    }
    // Merge into buffer 0 (after the barrier of the loop above): per pixel the minimum
    // of (depth, triangle index), as within each buffer.
    if (nth > 1) {
#pragma omp for schedule(static)
      for (long i = 0; i < npx; i++)
        for (int k = 1; k < nth; k++) {
          zbuf zk = buffer_of(r, k);
          float d = zk.depth[i];
          if (d < r->depth[i] || (d == r->depth[i] && zk.tri[i] >= 0 && zk.tri[i] < r->tri[i])) {
            r->depth[i] = d, r->tri[i] = zk.tri[i];
            r->bary[2 * i] = zk.bary[2 * i], r->bary[2 * i + 1] = zk.bary[2 * i + 1];
          }
        }
    }
  }
  return 0;
}

static void resolve_pixel(const cr_mesh_raster *r, const cr_mesh *m, const double centre[3], size_t i,
                          cr_image *shade, cr_image *depth, cr_image *xyz, cr_image *attr, int x, int y) {
  int32_t t = r->tri[i];
  if (t < 0) {
    if (shade) cr_image_px(shade, x, y)[0] = 0;
    if (depth) cr_image_px(depth, x, y)[0] = NAN;
    for (int c = 0; xyz && c < 3; c++) cr_image_px(xyz, x, y)[c] = NAN;
    for (int c = 0; attr && c < attr->channels; c++) cr_image_px(attr, x, y)[c] = NAN;
    return;
  }
  const int32_t *id = m->tri + 3 * (size_t)t;
  double b[3] = {1.0 - r->bary[2 * i] - r->bary[2 * i + 1], r->bary[2 * i], r->bary[2 * i + 1]};
  double p[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[a] += b[k] * m->xyz[3 * (size_t)id[k] + a];
  if (depth) cr_image_px(depth, x, y)[0] = r->depth[i];
  for (int a = 0; xyz && a < 3; a++) cr_image_px(xyz, x, y)[a] = (float)p[a];
  if (attr) {
    float *o = cr_image_px(attr, x, y);
    for (int c = 0; c < attr->channels; c++) {
      double s = 0;
      for (int k = 0; k < 3; k++)
        s += b[k] * (attr->channels == 1 ? m->scalar[id[k]] : m->rgb[3 * (size_t)id[k] + c]);
      o[c] = (float)s;
    }
  }
  if (shade) {
    double n[3] = {0, 0, 0}, d[3];
    if (m->normal) {
      for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++) n[a] += b[k] * m->normal[3 * (size_t)id[k] + a];
    } else {
      double q[3][3], e1[3], e2[3];
      for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++) q[k][a] = m->xyz[3 * (size_t)id[k] + a];
      cr_vec3_sub(e1, q[1], q[0]), cr_vec3_sub(e2, q[2], q[0]);
      cr_vec3_cross(n, e1, e2);
    }
    cr_vec3_normalize(n);
    cr_vec3_sub(d, p, centre);
    cr_vec3_normalize(d);
    cr_image_px(shade, x, y)[0] = (float)fabs(cr_vec3_dot(n, d));
  }
}

static int check_image(const cr_image *img, const cr_mesh_raster *r, int channels, const char *what) {
  if (!img) return 0;
  if (img->width != r->width || img->height != r->height || img->channels != channels)
    return cr_error(CR_EINVAL, "mesh raster: %s image must be %dx%d with %d channel(s)", what,
                    r->width, r->height, channels);
  return 0;
}

int cr_mesh_raster_resolve(const cr_mesh_raster *r, const cr_mesh *m, const cr_pose *cam_from_world,
                           cr_image *shade, cr_image *depth, cr_image *xyz, cr_image *attr) {
  int rc;
  if ((rc = check_image(shade, r, 1, "shade")) || (rc = check_image(depth, r, 1, "depth")) ||
      (rc = check_image(xyz, r, 3, "xyz")))
    return rc;
  if (attr) {
    if (attr->channels == 1 && !m->scalar) return cr_error(CR_EINVAL, "mesh raster: the mesh has no scalars");
    if (attr->channels == 3 && !m->rgb) return cr_error(CR_EINVAL, "mesh raster: the mesh has no colours");
    if ((rc = check_image(attr, r, attr->channels == 3 ? 3 : 1, "attribute"))) return rc;
  }
  double centre[3];
  cr_pose_camera_centre(cam_from_world, centre);
  int w = r->width, h = r->height;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      resolve_pixel(r, m, centre, (size_t)y * w + x, shade, depth, xyz, attr, x, y);
  return 0;
}

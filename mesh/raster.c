// Z-buffer rasterizer: vertices projected through the OpenCV camera (with distortion),
// triangles filled in the distorted image with perspective-correct barycentrics. The
// raster keeps, per pixel, the nearest triangle and its barycentrics (a visibility
// buffer); images are resolved from it afterwards. On CPUs with AVX2, raster_avx2.c
// projects the vertices and draws the triangles whose box spans up to 4 x 4 pixel
// centres (nearly all of a dense mesh) eight at a time, bit-identical to the scalar
// code here, which draws the rest.
#include "mesh/mesh.h"
#include "mesh/raster_internal.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdatomic.h>
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
  free(r->depth), free(r->tri), free(r->bary), free(r->cell), free(r->vtx);
  free(r->extra_depth), free(r->extra_tri), free(r->extra_bary);
  free(r);
}

cr_mesh_raster_options cr_mesh_raster_defaults(void) {
  return (cr_mesh_raster_options){.cull_backfaces = 1, .near_mm = 1.0};
}

// Coverage is decided in fixed point, as GPUs do: every projected vertex is snapped to a
// grid of 1/4096 pixel (FIX_BITS fractional bits) and the edge functions are evaluated
// exactly in integers. Exact arithmetic makes shared edges watertight by construction:
// both triangles of an edge compute the same value with opposite signs, and the top-left
// rule gives a centre exactly on the edge to one of them (no canonical vertex order
// needed). Depth and barycentrics are then computed only for covered centres, in double,
// from the snapped geometry. Snapping moves a vertex by at most 1/8192 px, so coverage
// differs from exact float geometry only for centres that close to an edge. (1/256 px was
// tried: the interpolation error of the snapped geometry then exceeds the exact-plane
// test's 2 um tolerance; 1/4096 px keeps it well below.) Coordinates are clamped to
// +-FIX_LIM (2^17 px, far outside any raster: at most 32768 px), so coordinate
// differences stay below 2^30 and every product and edge value below 2^61 in int64:
// clamping is per vertex, so a clamped (absurdly far) vertex distorts its triangles but
// keeps them watertight. A NaN coordinate (not produced for a valid mesh) clamps to
// -FIX_LIM like the max/min selects below do.
// (FIX_BITS, the vertex record and fix_floor/fix_ceil are in raster_internal.h.)

// Key of the pixel-centre cell holding fixed-point coordinate X: 2 floor(x) + 1 strictly
// between centres k and k + 1, 2 k exactly on centre k. If the three vertices of a
// triangle share a key in u or in v, no pixel centre lies in its bounding box (or, for
// equal even keys, the triangle is flat in that axis, area 0), so it covers nothing: the
// raster loop rejects most triangles of a dense mesh on that integer test alone, loading
// 8 bytes per vertex. Keys are computed once per vertex, in the projection.
static inline uint64_t cell_keys(int32_t X, int32_t Y) {
  uint32_t ku = (uint32_t)(2 * fix_floor(X) + ((X & (FIX_ONE - 1)) != 0));
  uint32_t kv = (uint32_t)(2 * fix_floor(Y) + ((Y & (FIX_ONE - 1)) != 0));
  return (uint64_t)ku << 32 | kv;
}

// Rounds c (pixels) to the nearest 1/4096 px (ties to even, the default rounding mode),
// after clamping; the same operations as the SSE2 path (NaN selects -FIX_LIM).
static inline int32_t snap(float c) {
  c *= (float)FIX_ONE;
  c = c > -FIX_LIM ? c : -FIX_LIM;
  c = c < FIX_LIM ? c : FIX_LIM;
#ifdef __SSE2__
  return _mm_cvtss_si32(_mm_set_ss(c));
#else
  return (int32_t)lrintf(c);
#endif
}

// One vertex: its record (u, v, z: 0, 0, -1 when nearer than the near plane) and keys.
static inline void project_one(const proj_model *c, const float *p, cr_raster_vtx *vx,
                               uint64_t *cell) {
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
  *vx = (cr_raster_vtx){.x = snap(pu), .y = snap(pv), .z = ok ? Z : -1, .iz = ok ? iz : 0};
  *cell = cell_keys(vx->x, vx->y);
}

#ifdef __SSE2__
// snap of 4 coordinates.
static inline __m128i snap4(__m128 c) {
  c = _mm_mul_ps(c, _mm_set1_ps((float)FIX_ONE));
  c = _mm_min_ps(_mm_max_ps(c, _mm_set1_ps(-FIX_LIM)), _mm_set1_ps(FIX_LIM));
  return _mm_cvtps_epi32(c);
}

// The u or v half of cell_keys for 4 coordinates: 2 fix_floor(X) + 1, minus 1 when X is
// on a pixel centre (cmpeq gives -1).
static inline __m128i cell_key4(__m128i X) {
  __m128i f = _mm_sub_epi32(_mm_srai_epi32(_mm_add_epi32(X, _mm_set1_epi32(1 << 30)), FIX_BITS),
                            _mm_set1_epi32(1 << (30 - FIX_BITS)));
  __m128i on = _mm_cmpeq_epi32(_mm_and_si128(X, _mm_set1_epi32(FIX_ONE - 1)), _mm_setzero_si128());
  return _mm_add_epi32(_mm_add_epi32(_mm_add_epi32(f, f), _mm_set1_epi32(1)), on);
}

// project_one for 4 vertices with SSE2 (the compiler does not vectorize the scalar loop:
// with the default -ftrapping-math it will not turn the near-plane selects into masks).
// Every operation is the scalar one in the same order, so the results are bit-identical.
static inline void project_four(const proj_model *c, const float *p, cr_raster_vtx *vx,
                                uint64_t *cell) {
  // x y z of the 4 vertices: 3 loads, transposed by shuffles (a = x0 y0 z0 x1,
  // b = y1 z1 x2 y2, c = z2 x3 y3 z3).
#define SH(a, b, i0, i1, i2, i3) _mm_shuffle_ps(a, b, _MM_SHUFFLE(i3, i2, i1, i0))
  __m128 a = _mm_loadu_ps(p), b = _mm_loadu_ps(p + 4), cc = _mm_loadu_ps(p + 8);
  __m128 px = SH(SH(a, a, 0, 0, 3, 3), SH(b, cc, 2, 2, 1, 1), 0, 2, 0, 2);
  __m128 py = SH(SH(a, b, 1, 1, 0, 0), SH(b, cc, 3, 3, 2, 2), 0, 2, 0, 2);
  __m128 pz = SH(SH(a, b, 2, 2, 1, 1), SH(cc, cc, 0, 0, 3, 3), 0, 2, 0, 2);
#define V __m128
#define S(a) _mm_set1_ps(a)
#define ADD _mm_add_ps
#define MUL _mm_mul_ps
#define DIV _mm_div_ps
  CR_RASTER_CAMERA_MODEL(c, px, py, pz);
  __m128 ok = _mm_cmpge_ps(Z, S(c->zn));
  __m128 pu = _mm_and_ps(ok, pu0), pv = _mm_and_ps(ok, pv0);
  __m128 pz_out = _mm_or_ps(_mm_and_ps(ok, Z), _mm_andnot_ps(ok, S(-1.0f)));
#undef V
#undef S
#undef ADD
#undef MUL
#undef DIV
#undef SH
  // Transposed into 4 records (x, y, z, iz).
  __m128i fu = snap4(pu), fv = snap4(pv), zi = _mm_castps_si128(pz_out),
          izi = _mm_castps_si128(_mm_and_ps(ok, iz));
  __m128i uv_lo = _mm_unpacklo_epi32(fu, fv), uv_hi = _mm_unpackhi_epi32(fu, fv);
  __m128i z_lo = _mm_unpacklo_epi32(zi, izi), z_hi = _mm_unpackhi_epi32(zi, izi);
  _mm_storeu_si128((__m128i *)(vx + 0), _mm_unpacklo_epi64(uv_lo, z_lo));
  _mm_storeu_si128((__m128i *)(vx + 1), _mm_unpackhi_epi64(uv_lo, z_lo));
  _mm_storeu_si128((__m128i *)(vx + 2), _mm_unpacklo_epi64(uv_hi, z_hi));
  _mm_storeu_si128((__m128i *)(vx + 3), _mm_unpackhi_epi64(uv_hi, z_hi));
  // cell_keys of the 4 vertices (the same integer operations).
  __m128i ku = cell_key4(fu), kv = cell_key4(fv);
  _mm_storeu_si128((__m128i *)cell, _mm_unpacklo_epi32(kv, ku));
  _mm_storeu_si128((__m128i *)(cell + 2), _mm_unpackhi_epi32(kv, ku));
}
#endif

static proj_model make_model(const cr_mesh_raster *r, const cr_camera *cam, const cr_pose *pose,
                             double near_mm) {
  proj_model c = {.k1 = (float)cam->dist[0],
                  .k2 = (float)cam->dist[1],
                  .p1 = (float)cam->dist[2],
                  .p2 = (float)cam->dist[3],
                  .k3 = (float)cam->dist[4],
                  .fx = (float)cam->fx,
                  .fy = (float)cam->fy,
                  .cx = (float)cam->cx,
                  .cy = (float)cam->cy,
                  .zn = (float)near_mm,
                  .w = r->width,
                  .h = r->height};
  for (int i = 0; i < 9; i++) c.R[i] = (float)pose->R[i / 3][i % 3];
  for (int i = 0; i < 3; i++) c.t[i] = (float)pose->t[i];
  return c;
}

// The records of all vertices, in blocks of 8: with the AVX2 kernel when it is used,
// else 4 at a time with SSE2 (when available), the rest one by one. Called inside the
// parallel region of cr_mesh_rasterize: the loop is shared among its threads and ends
// with a barrier.
static void project_vertices(cr_mesh_raster *r, const cr_mesh *m, const proj_model *c, int simd) {
  cr_raster_vtx *vx = r->vtx;
  const float *xyz = m->xyz;
  int nv = m->n_vertices, nb = (nv + 7) / 8;
  (void)simd;
#pragma omp for schedule(static)
  for (int b = 0; b < nb; b++) {
    int v = 8 * b, end = v + 8 < nv ? v + 8 : nv;
#ifdef CR_RASTER_AVX2
    if (simd && end == v + 8) {
      cr_raster_project8_avx2(c, xyz + 3 * (size_t)v, vx + v, r->cell + v);
      continue;
    }
#endif
#ifdef __SSE2__
    for (; v + 4 <= end; v += 4) project_four(c, xyz + 3 * (size_t)v, vx + v, r->cell + v);
#endif
    for (; v < end; v++) project_one(c, xyz + 3 * (size_t)v, vx + v, r->cell + v);
  }
}

static inline int32_t min3i(int32_t a, int32_t b, int32_t c) {
  int32_t m = a < b ? a : b;
  return m < c ? m : c;
}
static inline int32_t max3i(int32_t a, int32_t b, int32_t c) {
  int32_t m = a > b ? a : b;
  return m > c ? m : c;
}

// The box of pixel centres inside a triangle's bounding box, clipped to the raster;
// empty when x0 > x1 or y0 > y1.
typedef struct pxbox {
  int32_t x0, x1, y0, y1;
} pxbox;

static inline pxbox box_of(const cr_raster_vtx *a, const cr_raster_vtx *b, const cr_raster_vtx *c,
                           int w, int h) {
  int32_t x0 = fix_ceil(min3i(a->x, b->x, c->x)), x1 = fix_floor(max3i(a->x, b->x, c->x));
  int32_t y0 = fix_ceil(min3i(a->y, b->y, c->y)), y1 = fix_floor(max3i(a->y, b->y, c->y));
  return (pxbox){x0 > 0 ? x0 : 0, x1 < w - 1 ? x1 : w - 1, y0 > 0 ? y0 : 0,
                 y1 < h - 1 ? y1 : h - 1};
}

// Twice the signed area of the snapped triangle (exact; < 0: facing the camera).
static inline int64_t area_of(const cr_raster_vtx *a, const cr_raster_vtx *b,
                              const cr_raster_vtx *c) {
  return (int64_t)(b->x - a->x) * (c->y - a->y) - (int64_t)(b->y - a->y) * (c->x - a->x);
}

// One edge a -> b of a triangle with positive area: w(P) = cross(b - a, P - a), > 0
// inside. `own` (top-left rule): the edge owns centres exactly on it when it points
// "down" or, if horizontal, right; the neighbour triangle walks the shared edge the other
// way, so exactly one of the two covers such a centre. Inside: w + own > 0.
typedef struct edge {
  int64_t dx, dy; // b - a
  int32_t ax, ay;
  int own;
} edge;

static inline edge edge_setup(const cr_raster_vtx *a, const cr_raster_vtx *b) {
  edge E = {.dx = (int64_t)b->x - a->x, .dy = (int64_t)b->y - a->y, .ax = a->x, .ay = a->y};
  E.own = E.dy > 0 || (E.dy == 0 && E.dx > 0);
  return E;
}

// w at pixel centre (x, y).
static inline int64_t edge_at(const edge *E, int32_t x, int32_t y) {
  return E->dx * ((int64_t)y * FIX_ONE - E->ay) - E->dy * ((int64_t)x * FIX_ONE - E->ax);
}

// Whether a pixel-sized triangle passes each cheap test is close to random, so a branch
// per test would often be mispredicted. The cheap rejections therefore run first over a
// batch of triangles without branches, each pass appending the survivors to a list
// (out[n] = t; n += keep), and only the survivors reach raster_triangle.
enum { BATCH = 2048 }; // triangles per batch (and per dynamically scheduled chunk)
enum { FRAGS = 512 };  // one-pixel fragments held before they are drawn (stack space)

// Keeps the triangles whose three vertices are not all in one cell in u or in v (see
// cell_keys): the others have no pixel centre in their bounding box.
static int filter_cells(const uint64_t *cell, const int32_t *tri, int32_t t0, int32_t t1,
                        int32_t *out) {
  int n = 0;
  for (int32_t t = t0; t < t1; t++) {
    const int32_t *id = tri + 3 * (size_t)t;
    uint64_t k0 = cell[id[0]], k1 = cell[id[1]], k2 = cell[id[2]], d = (k0 ^ k1) | (k1 ^ k2);
    out[n] = t;
    n += ((uint32_t)d != 0) & ((d >> 32) != 0);
  }
  return n;
}

// Keeps the triangles with all vertices in front of the near plane, of non-zero area,
// and facing the camera when culling (exact: the snapped area). (Whether the box of
// pixel centres is off the raster is left to raster_triangle: few are, for a mesh in
// view, and the test costs here about as much as the rest.)
static int filter_front(const cr_raster_vtx *vx, const int32_t *tri, const int32_t *in, int n_in,
                        int cull, int32_t *out) {
  int n = 0;
  for (int k = 0; k < n_in; k++) {
    const int32_t *id = tri + 3 * (size_t)in[k];
    const cr_raster_vtx *a = vx + id[0], *b = vx + id[1], *c = vx + id[2];
    int64_t area = area_of(a, b, c);
    out[n] = in[k];
    n += (a->z > 0) & (b->z > 0) & (c->z > 0) & (cull ? area < 0 : area != 0);
  }
  return n;
}

// A pixel centre covered by a triangle: its edge functions w (in the order with
// positive area: 1 and 2 swapped when neg), the area (> 0) and the inverse vertex depths.
typedef struct fragment {
  int64_t w[3], area; // converted to double only when drawn (covered)
  float iz[3];        // 1 / z of the vertices
  int32_t t, i, neg;
} fragment;

// Depth and perspective-correct barycentrics of a fragment; kept if nearest. With the
// screen barycentrics l_k = w_k / area, 1 / z = sum l_k / z_k, so z = area / S and the
// perspective-correct weight of vertex k is l_k z / z_k = w_k iz_k / S, S = sum w_k iz_k:
// one division per fragment.
static inline void draw_fragment(zbuf zb, const fragment *f) {
  // w of the original vertices 0, 1, 2 (1 and 2 were swapped when neg).
  double w0 = (double)f->w[0], wa = (double)f->w[1], wb = (double)f->w[2];
  double w1 = f->neg ? wb : wa, w2 = f->neg ? wa : wb;
  double a1 = w1 * f->iz[1], a2 = w2 * f->iz[2], inv_s = 1.0 / (w0 * f->iz[0] + a1 + a2);
  store_nearest(zb, (size_t)f->i, f->t, (float)((double)f->area * inv_s), (float)(a1 * inv_s),
                (float)(a2 * inv_s));
}

// Whether an edge with direction (dx, dy), in the order with positive area, owns the
// centres exactly on it (see edge).
static inline int owns(int32_t dx, int32_t dy) {
  return (dy > 0) | ((dy == 0) & (dx > 0));
}

// The one candidate centre (cx, cy) (in 1/4096 px) of triangle p0 p1 p2, whose vertices
// all lie within 1 px of it in u and in v: its fragment in *frag, and whether it is
// covered. Relative to the centre the coordinates are below 2^12 in magnitude, so the
// edge functions are exact in int32 (each below 2^25, their sum, the area, below 2^27)
// and take 2 multiplies each: w_k = cross(b - a, 0 - a) = a.x b.y - a.y b.x for the edge
// a -> b opposite vertex k (1 -> 2, 2 -> 0, 0 -> 1). With a negative area the edges run
// the other way in the order with positive area: every w and edge direction flips sign.
static inline int one_candidate(const cr_raster_vtx *p0, const cr_raster_vtx *p1,
                                const cr_raster_vtx *p2, int32_t cx, int32_t cy, fragment *frag) {
  int32_t x0 = p0->x - cx, y0 = p0->y - cy, x1 = p1->x - cx, y1 = p1->y - cy, x2 = p2->x - cx,
          y2 = p2->y - cy;
  int32_t w0 = x1 * y2 - y1 * x2, w1 = x2 * y0 - y2 * x0, w2 = x0 * y1 - y0 * x1,
          area = w0 + w1 + w2;
  int neg = area < 0;
  int32_t sg = neg ? -1 : 1;
  int32_t s0 = sg * w0, s1 = sg * w1, s2 = sg * w2;
  int in = (s0 + owns(sg * (x2 - x1), sg * (y2 - y1)) > 0) &
           (s1 + owns(sg * (x0 - x2), sg * (y0 - y2)) > 0) &
           (s2 + owns(sg * (x1 - x0), sg * (y1 - y0)) > 0);
  // Stored as raster_triangle does: w in the order with positive area (1 and 2 swapped
  // when neg). Field by field: building a struct on the stack and copying it stalls on
  // store forwarding.
  frag->w[0] = s0, frag->w[1] = neg ? s2 : s1, frag->w[2] = neg ? s1 : s2, frag->area = sg * area;
  frag->iz[0] = p0->iz, frag->iz[1] = p1->iz, frag->iz[2] = p2->iz, frag->neg = neg;
  return in;
}

// Draws triangle t (passed both filters), or for a one-centre box writes its fragment
// to *frag; returns 1 when that fragment is covered (then kept), else 0.
static int raster_triangle(const cr_mesh_raster *r, zbuf zb, const cr_mesh *m, int32_t t,
                           fragment *frag) {
  const int32_t *id = m->tri + 3 * (size_t)t;
  const cr_raster_vtx *p0 = r->vtx + id[0], *p1 = r->vtx + id[1], *p2 = r->vtx + id[2];
  int32_t ux0 = fix_ceil(min3i(p0->x, p1->x, p2->x)), ux1 = fix_floor(max3i(p0->x, p1->x, p2->x));
  int32_t vy0 = fix_ceil(min3i(p0->y, p1->y, p2->y)), vy1 = fix_floor(max3i(p0->y, p1->y, p2->y));
  if ((ux0 == ux1) & (vy0 == vy1) & (ux0 >= 0) & (ux0 < r->width) & (vy0 >= 0) &
      (vy0 < r->height)) {
    // One candidate centre, on the raster (most triangles of a dense mesh): whether it
    // is covered is a coin flip, so rather than branch on it the fragment is always
    // written to the list and the list only grows when it is; the list is drawn after
    // the batch.
    frag->t = t, frag->i = (int32_t)((size_t)vy0 * r->width + (size_t)ux0);
    return one_candidate(p0, p1, p2, ux0 * FIX_ONE, vy0 * FIX_ONE, frag);
  }
  pxbox bx = {ux0 > 0 ? ux0 : 0, ux1 < r->width - 1 ? ux1 : r->width - 1, vy0 > 0 ? vy0 : 0,
              vy1 < r->height - 1 ? vy1 : r->height - 1};
  if (bx.x0 > bx.x1 || bx.y0 > bx.y1) return 0; // off the raster
  int64_t area = area_of(p0, p1, p2);
  float iz0 = p0->iz, iz1 = p1->iz, iz2 = p2->iz; // in the original vertex order
  int neg = area < 0; // then vertices 1 and 2 swap places: the order with positive area
  if (neg) {
    const cr_raster_vtx *tp = p1;
    p1 = p2, p2 = tp, area = -area;
  }
  edge E0 = edge_setup(p1, p2), E1 = edge_setup(p2, p0),
       E2 = edge_setup(p0, p1); // opposite 0, 1, 2
  fragment f = {.area = area, .iz = {iz0, iz1, iz2}, .t = t, .neg = neg};
  // Edge values stepped across the box: +1 in x adds -dy * FIX_ONE, +1 in y dx * FIX_ONE.
  int64_t r0 = edge_at(&E0, bx.x0, bx.y0), r1 = edge_at(&E1, bx.x0, bx.y0),
          r2 = edge_at(&E2, bx.x0, bx.y0);
  for (int y = bx.y0; y <= bx.y1; y++) {
    size_t row = (size_t)y * r->width;
    int64_t w0 = r0, w1 = r1, w2 = r2;
    for (int x = bx.x0; x <= bx.x1; x++) {
      if ((w0 + E0.own > 0) & (w1 + E1.own > 0) & (w2 + E2.own > 0)) {
        f.w[0] = w0, f.w[1] = w1, f.w[2] = w2;
        f.i = (int32_t)(row + (size_t)x);
        draw_fragment(zb, &f);
      }
      w0 -= E0.dy * FIX_ONE, w1 -= E1.dy * FIX_ONE, w2 -= E2.dy * FIX_ONE;
    }
    r0 += E0.dx * FIX_ONE, r1 += E1.dx * FIX_ONE, r2 += E2.dx * FIX_ONE;
  }
  return 0;
}

// -1: not yet decided; then whether the AVX2 kernels project and draw (see raster_avx2.c).
static atomic_int simd_state = -1;

int cr_mesh_raster_set_simd(int enable) {
#ifdef CR_RASTER_AVX2
  simd_state = enable && cr_raster_avx2_supported();
#else
  (void)enable;
  simd_state = 0;
#endif
  return simd_state;
}

static int simd_enabled(void) {
  return simd_state < 0 ? cr_mesh_raster_set_simd(1) : simd_state;
}

// Room for `n` extra thread z-buffers.
static int reserve_extra(cr_mesh_raster *r, int n) {
  if (n <= r->n_extra) return 0;
  size_t px = (size_t)r->width * r->height * (size_t)n;
  float *d = realloc(r->extra_depth, px * sizeof(float)),
        *b = d ? realloc(r->extra_bary, 2 * px * sizeof(float)) : NULL;
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
                      const cr_pose *cam_from_world, const cr_mesh_raster_options *opts) {
  cr_mesh_raster_options o = opts ? *opts : cr_mesh_raster_defaults();
  if (cam->width != r->width || cam->height != r->height)
    return cr_error(CR_EINVAL, "mesh raster: raster %dx%d but camera %dx%d", r->width, r->height,
                    cam->width, cam->height);
  if (!(o.near_mm > 0)) return cr_error(CR_EINVAL, "mesh raster: near plane must be > 0 mm");
  int rc = cr_camera_validate(cam);
  if (rc) return rc;
  if (r->vtx_capacity < m->n_vertices) {
    uint64_t *k = realloc(r->cell, ((size_t)m->n_vertices + 1) * sizeof(uint64_t));
    if (k) r->cell = k;
    cr_raster_vtx *c =
        k ? realloc(r->vtx, ((size_t)m->n_vertices + 1) * sizeof(cr_raster_vtx)) : NULL;
    if (c) r->vtx = c;
    if (!c) return cr_error(CR_ENOMEM, "mesh raster: out of memory for %d vertices", m->n_vertices);
    r->vtx_capacity = m->n_vertices;
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
  int simd = simd_enabled();
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
    project_vertices(r, m, &model, simd); // one parallel region for all: fewer wake-ups
    // Dynamic batches balance the threads (the work per triangle varies a lot across
    // the image); the result does not depend on which thread draws what, as every
    // z-buffer keeps the minimum of (depth, triangle index) per pixel.
    int32_t pass1[BATCH], pass2[BATCH];
    fragment frags[FRAGS];
    int nb = (int)((nt + (long)BATCH - 1) / BATCH);
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < nb; b++) {
      int32_t t0 = (int32_t)((long)b * BATCH), t1 = t0 + BATCH < nt ? t0 + BATCH : nt;
      int n1 = filter_cells(r->cell, m->tri, t0, t1, pass1), n2;
#ifdef CR_RASTER_AVX2
      if (simd) { // the kernels draw the small triangles; the others go on in pass1
        n1 = cr_raster_one_candidates_avx2(r->vtx, m->tri, pass1, n1, r->width, r->height,
                                           o.cull_backfaces, zb, pass1);
        n1 = cr_raster_small_boxes_avx2(r->vtx, m->tri, pass1, n1, r->width, r->height,
                                        o.cull_backfaces, zb, pass1);
      }
#endif
      n2 = filter_front(r->vtx, m->tri, pass1, n1, o.cull_backfaces, pass2);
      int nf = 0;
      for (int k = 0; k < n2; k++) {
        nf += raster_triangle(r, zb, m, pass2[k], frags + nf); // adds <= 1
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

void cr_mesh_raster_vertex(const cr_mesh_raster *r, int v, float uvz[3]) {
  const cr_raster_vtx *p = r->vtx + v;
  uvz[0] = (float)p->x / FIX_ONE, uvz[1] = (float)p->y / FIX_ONE, uvz[2] = p->z;
}

long cr_mesh_raster_hit_mask(const cr_mesh_raster *r, unsigned char *hit) {
  const long n = (long)r->width * r->height;
  long covered = 0;
  for (long i = 0; i < n; i++) {
    const int on = r->tri[i] >= 0;
    if (hit) hit[i] = (unsigned char)on;
    covered += on;
  }
  return covered;
}

// The miss values of pixel i (x, y).
static void resolve_miss(const cr_mesh_raster_outputs *o, size_t i, int x, int y) {
  if (o->shade) cr_image_px(o->shade, x, y)[0] = o->miss_shade;
  if (o->depth) cr_image_px(o->depth, x, y)[0] = o->miss_depth;
  for (int c = 0; o->xyz && c < 3; c++) cr_image_px(o->xyz, x, y)[c] = NAN;
  for (int c = 0; o->normal && c < 3; c++) cr_image_px(o->normal, x, y)[c] = NAN;
  for (int c = 0; o->attr && c < o->attr->channels; c++)
    cr_image_px(o->attr, x, y)[c] = o->miss_attr;
  if (o->hit) o->hit[i] = 0;
}

static void resolve_pixel(const cr_mesh_raster *r, const cr_mesh *m, const double centre[3],
                          size_t i, const cr_mesh_raster_outputs *o, int x, int y) {
  int32_t t = r->tri[i];
  if (t < 0 || (o->pixel_mask && !o->pixel_mask[i])) {
    resolve_miss(o, i, x, y);
    return;
  }
  if (o->hit) o->hit[i] = 1;
  const int32_t *id = m->tri + 3 * (size_t)t;
  double b[3] = {1.0 - r->bary[2 * i] - r->bary[2 * i + 1], r->bary[2 * i], r->bary[2 * i + 1]};
  double p[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++)
    for (int a = 0; a < 3; a++) p[a] += b[k] * m->xyz[3 * (size_t)id[k] + a];
  if (o->depth) cr_image_px(o->depth, x, y)[0] = r->depth[i];
  for (int a = 0; o->xyz && a < 3; a++) cr_image_px(o->xyz, x, y)[a] = (float)p[a];
  if (o->attr) {
    float *q = cr_image_px(o->attr, x, y);
    for (int c = 0; c < o->attr->channels; c++) {
      double s = 0;
      for (int k = 0; k < 3; k++)
        s += b[k] * (o->attr->channels == 1 ? m->scalar[id[k]] : m->rgb[3 * (size_t)id[k] + c]);
      q[c] = (float)s;
    }
  }
  if (o->shade || o->normal) {
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
    const double len = cr_vec3_normalize(n);
    if (o->shade) {
      cr_vec3_sub(d, p, centre);
      cr_vec3_normalize(d);
      cr_image_px(o->shade, x, y)[0] = (float)fabs(cr_vec3_dot(n, d));
    }
    for (int a = 0; o->normal && a < 3; a++)
      cr_image_px(o->normal, x, y)[a] = len > 0 ? (float)n[a] : NAN;
  }
}

static int check_image(const cr_image *img, const cr_mesh_raster *r, int channels,
                       const char *what) {
  if (!img) return 0;
  if (img->width != r->width || img->height != r->height || img->channels != channels)
    return cr_error(CR_EINVAL, "mesh raster: %s image must be %dx%d with %d channel(s)", what,
                    r->width, r->height, channels);
  return 0;
}

int cr_mesh_raster_resolve_all(const cr_mesh_raster *r, const cr_mesh *m,
                               const cr_pose *cam_from_world, const cr_mesh_raster_outputs *out) {
  int rc;
  if ((rc = check_image(out->shade, r, 1, "shade")) ||
      (rc = check_image(out->depth, r, 1, "depth")) || (rc = check_image(out->xyz, r, 3, "xyz")) ||
      (rc = check_image(out->normal, r, 3, "normal")))
    return rc;
  const cr_image *attr = out->attr;
  if (attr) {
    if (attr->channels == 1 && !m->scalar)
      return cr_error(CR_EINVAL, "mesh raster: the mesh has no scalars");
    if (attr->channels == 3 && !m->rgb)
      return cr_error(CR_EINVAL, "mesh raster: the mesh has no colours");
    if ((rc = check_image(attr, r, attr->channels == 3 ? 3 : 1, "attribute"))) return rc;
  }
  double centre[3];
  cr_pose_camera_centre(cam_from_world, centre);
  int w = r->width, h = r->height;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) resolve_pixel(r, m, centre, (size_t)y * w + x, out, x, y);
  return 0;
}

int cr_mesh_raster_resolve(const cr_mesh_raster *r, const cr_mesh *m, const cr_pose *cam_from_world,
                           cr_image *shade, cr_image *depth, cr_image *xyz, cr_image *attr) {
  const cr_mesh_raster_outputs o = {.shade = shade,
                                    .attr = attr,
                                    .depth = depth,
                                    .xyz = xyz,
                                    .miss_shade = 0,
                                    .miss_attr = NAN,
                                    .miss_depth = NAN};
  return cr_mesh_raster_resolve_all(r, m, cam_from_world, &o);
}

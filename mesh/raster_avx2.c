// AVX2 kernels of the rasterizer: the vertex projection, the triangles with a single
// candidate pixel centre (most of a dense mesh, whose triangles are about a pixel) and
// those whose box spans up to 4 x 4 centres, eight triangles per step. They do in
// vector lanes what raster.c's filter_front, raster_triangle and one_candidate do one
// triangle at a time, with the same integer and floating-point operations in the same
// order (no FMA), so the raster is bit-identical to the scalar path; a test compares
// the two. Compiled with a target attribute and chosen at run time, so the library
// still runs on x86-64 CPUs without AVX2.
#include "mesh/raster_internal.h"

#ifdef CR_RASTER_AVX2
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

int cr_raster_avx2_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}

// Vertex k (0..2) of 8 triangles, as lanes: x and y (1/4096 px), z and 1/z.
typedef struct lanes {
  __m256i x, y;
  __m256 z, iz;
} lanes;

// One 16-byte load per record, then a 4 x 4 transpose in each 128-bit half (records
// 0-3 in the low half, 4-7 in the high half: lane j is triangle j). Gathers were tried
// for the volume renderer and are slower than loads on this hardware.
AVX2 static inline lanes load_vertex(const cr_raster_vtx *vx, const int32_t *tri,
                                     const int32_t t8[8], int k) {
  __m256i a[4];
  for (int j = 0; j < 4; j++) {
    __m128i lo = _mm_loadu_si128((const __m128i *)(vx + tri[3 * (size_t)t8[j] + k]));
    __m128i hi = _mm_loadu_si128((const __m128i *)(vx + tri[3 * (size_t)t8[j + 4] + k]));
    a[j] = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
  }
  __m256i xy01 = _mm256_unpacklo_epi32(a[0], a[1]), xy23 = _mm256_unpacklo_epi32(a[2], a[3]);
  __m256i zi01 = _mm256_unpackhi_epi32(a[0], a[1]), zi23 = _mm256_unpackhi_epi32(a[2], a[3]);
  return (lanes){.x = _mm256_unpacklo_epi64(xy01, xy23),
                 .y = _mm256_unpackhi_epi64(xy01, xy23),
                 .z = _mm256_castsi256_ps(_mm256_unpacklo_epi64(zi01, zi23)),
                 .iz = _mm256_castsi256_ps(_mm256_unpackhi_epi64(zi01, zi23))};
}

// fix_floor of 8 coordinates.
AVX2 static inline __m256i floor8(__m256i X) {
  return _mm256_sub_epi32(
      _mm256_srai_epi32(_mm256_add_epi32(X, _mm256_set1_epi32(1 << 30)), FIX_BITS),
      _mm256_set1_epi32(1 << (30 - FIX_BITS)));
}

// -v where the mask m is all ones, v elsewhere.
AVX2 static inline __m256i negate_if(__m256i v, __m256i m) {
  return _mm256_sub_epi32(_mm256_xor_si256(v, m), m);
}

// The top-left rule of raster.c's owns(): all ones where an edge with direction
// (dx, dy) owns the centres on it.
AVX2 static inline __m256i owns8(__m256i dx, __m256i dy) {
  __m256i z = _mm256_setzero_si256();
  return _mm256_or_si256(_mm256_cmpgt_epi32(dy, z),
                         _mm256_and_si256(_mm256_cmpeq_epi32(dy, z), _mm256_cmpgt_epi32(dx, z)));
}

// All ones where s + own > 0 (own: 1 where the mask is set): the centre is inside an edge.
AVX2 static inline __m256i inside8(__m256i s, __m256i own) {
  return _mm256_cmpgt_epi32(_mm256_sub_epi32(s, own), _mm256_setzero_si256());
}

// Depth and barycentrics of 4 fragments as raster.c's draw_fragment computes them, in
// double: s0..s2 the edge values in the order with positive area, iz the inverse depths.
AVX2 static inline void depth4(__m128i s0, __m128i s1, __m128i s2, __m128i area, __m128 iz0,
                               __m128 iz1, __m128 iz2, float *zz, float *b1, float *b2) {
  __m256d a1 = _mm256_mul_pd(_mm256_cvtepi32_pd(s1), _mm256_cvtps_pd(iz1));
  __m256d a2 = _mm256_mul_pd(_mm256_cvtepi32_pd(s2), _mm256_cvtps_pd(iz2));
  __m256d sum = _mm256_add_pd(
      _mm256_add_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(s0), _mm256_cvtps_pd(iz0)), a1), a2);
  __m256d inv_s = _mm256_div_pd(_mm256_set1_pd(1.0), sum);
  _mm_storeu_ps(zz, _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtepi32_pd(area), inv_s)));
  _mm_storeu_ps(b1, _mm256_cvtpd_ps(_mm256_mul_pd(a1, inv_s)));
  _mm_storeu_ps(b2, _mm256_cvtpd_ps(_mm256_mul_pd(a2, inv_s)));
}

// snap (raster.c) of 8 coordinates.
AVX2 static inline __m256i snap8(__m256 c) {
  c = _mm256_mul_ps(c, _mm256_set1_ps((float)FIX_ONE));
  c = _mm256_min_ps(_mm256_max_ps(c, _mm256_set1_ps(-FIX_LIM)), _mm256_set1_ps(FIX_LIM));
  return _mm256_cvtps_epi32(c);
}

// The u or v half of raster.c's cell_keys for 8 coordinates.
AVX2 static inline __m256i cell_key8(__m256i X) {
  __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(X, _mm256_set1_epi32(FIX_ONE - 1)),
                                  _mm256_setzero_si256());
  __m256i f = floor8(X);
  return _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(f, f), _mm256_set1_epi32(1)), on);
}

AVX2 void cr_raster_project8_avx2(const proj_model *c, const float *p, cr_raster_vtx *vx,
                                  uint64_t *cell) {
  // Vertices 0-3 in the low halves, 4-7 in the high halves; each half is transposed
  // by the shuffles of project_four (a = x0 y0 z0 x1, b = y1 z1 x2 y2, c = z2 x3 y3 z3).
#define LOAD2(i)                                                                                   \
  _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p + (i))), _mm_loadu_ps(p + 12 + (i)), 1)
#define SH(a, b, i0, i1, i2, i3) _mm256_shuffle_ps(a, b, _MM_SHUFFLE(i3, i2, i1, i0))
  __m256 a = LOAD2(0), b = LOAD2(4), cc = LOAD2(8);
  __m256 px = SH(SH(a, a, 0, 0, 3, 3), SH(b, cc, 2, 2, 1, 1), 0, 2, 0, 2);
  __m256 py = SH(SH(a, b, 1, 1, 0, 0), SH(b, cc, 3, 3, 2, 2), 0, 2, 0, 2);
  __m256 pz = SH(SH(a, b, 2, 2, 1, 1), SH(cc, cc, 0, 0, 3, 3), 0, 2, 0, 2);
#undef SH
#undef LOAD2
#define V __m256
#define S(a) _mm256_set1_ps(a)
#define ADD _mm256_add_ps
#define MUL _mm256_mul_ps
#define DIV _mm256_div_ps
  CR_RASTER_CAMERA_MODEL(c, px, py, pz);
  __m256 ok = _mm256_cmp_ps(Z, S(c->zn), _CMP_GE_OS);
  __m256 pu = _mm256_and_ps(ok, pu0), pv = _mm256_and_ps(ok, pv0);
  __m256 pz_out = _mm256_or_ps(_mm256_and_ps(ok, Z), _mm256_andnot_ps(ok, S(-1.0f)));
#undef V
#undef S
#undef ADD
#undef MUL
#undef DIV
  // Records (x, y, z, iz): unpacking gives records j and j + 4 in one register.
  __m256i fu = snap8(pu), fv = snap8(pv), zi = _mm256_castps_si256(pz_out);
  __m256i izi = _mm256_castps_si256(_mm256_and_ps(ok, iz));
  __m256i uv_lo = _mm256_unpacklo_epi32(fu, fv), uv_hi = _mm256_unpackhi_epi32(fu, fv);
  __m256i z_lo = _mm256_unpacklo_epi32(zi, izi), z_hi = _mm256_unpackhi_epi32(zi, izi);
  __m256i r04 = _mm256_unpacklo_epi64(uv_lo, z_lo), r15 = _mm256_unpackhi_epi64(uv_lo, z_lo);
  __m256i r26 = _mm256_unpacklo_epi64(uv_hi, z_hi), r37 = _mm256_unpackhi_epi64(uv_hi, z_hi);
  _mm256_storeu_si256((__m256i *)(vx + 0), _mm256_permute2x128_si256(r04, r15, 0x20));
  _mm256_storeu_si256((__m256i *)(vx + 2), _mm256_permute2x128_si256(r26, r37, 0x20));
  _mm256_storeu_si256((__m256i *)(vx + 4), _mm256_permute2x128_si256(r04, r15, 0x31));
  _mm256_storeu_si256((__m256i *)(vx + 6), _mm256_permute2x128_si256(r26, r37, 0x31));
  // Cell keys (v low, u high): keys j, j + 1 of each half per unpack.
  __m256i ku = cell_key8(fu), kv = cell_key8(fv);
  __m256i k_lo = _mm256_unpacklo_epi32(kv, ku), k_hi = _mm256_unpackhi_epi32(kv, ku);
  _mm256_storeu_si256((__m256i *)cell, _mm256_permute2x128_si256(k_lo, k_hi, 0x20));
  _mm256_storeu_si256((__m256i *)(cell + 4), _mm256_permute2x128_si256(k_lo, k_hi, 0x31));
}

#define LO(v) _mm256_castsi256_si128(v)
#define HI(v) _mm256_extracti128_si256(v, 1)
#define LOF(v) _mm256_castps256_ps128(v)
#define HIF(v) _mm256_extractf128_ps(v, 1)

// 8 triangles: their vertices and their boxes of pixel centres (raster_triangle's, not
// yet clipped to the raster).
typedef struct tri8 {
  lanes p[3];
  __m256i ux0, ux1, vy0, vy1;
} tri8;

AVX2 static inline tri8 load_tri8(const cr_raster_vtx *vx, const int32_t *tri,
                                  const int32_t t8[8]) {
  tri8 T = {
      .p = {load_vertex(vx, tri, t8, 0), load_vertex(vx, tri, t8, 1), load_vertex(vx, tri, t8, 2)}};
  const lanes *p = T.p;
  __m256i up = _mm256_set1_epi32(FIX_ONE - 1);
  T.ux0 = floor8(_mm256_add_epi32(_mm256_min_epi32(_mm256_min_epi32(p[0].x, p[1].x), p[2].x), up));
  T.ux1 = floor8(_mm256_max_epi32(_mm256_max_epi32(p[0].x, p[1].x), p[2].x));
  T.vy0 = floor8(_mm256_add_epi32(_mm256_min_epi32(_mm256_min_epi32(p[0].y, p[1].y), p[2].y), up));
  T.vy1 = floor8(_mm256_max_epi32(_mm256_max_epi32(p[0].y, p[1].y), p[2].y));
  return T;
}

// Edge values at pixel centre (cx, cy) (in 1/4096 px), computed relative to it as
// one_candidate does: w[k] for the edge opposite vertex k (1 -> 2, 2 -> 0, 0 -> 1), in
// the triangle's own vertex order. Exact in int32 when every vertex lies within 5 px of
// the centre in u and in v: each product is then below 2^30, and so is every edge value
// at a centre inside the triangle's box, and their sum (twice the area).
AVX2 static inline void edge_values(const tri8 *T, __m256i cx, __m256i cy, __m256i w[3]) {
  const lanes *p = T->p;
  __m256i x0 = _mm256_sub_epi32(p[0].x, cx), y0 = _mm256_sub_epi32(p[0].y, cy);
  __m256i x1 = _mm256_sub_epi32(p[1].x, cx), y1 = _mm256_sub_epi32(p[1].y, cy);
  __m256i x2 = _mm256_sub_epi32(p[2].x, cx), y2 = _mm256_sub_epi32(p[2].y, cy);
  w[0] = _mm256_sub_epi32(_mm256_mullo_epi32(x1, y2), _mm256_mullo_epi32(y1, x2));
  w[1] = _mm256_sub_epi32(_mm256_mullo_epi32(x2, y0), _mm256_mullo_epi32(y2, x0));
  w[2] = _mm256_sub_epi32(_mm256_mullo_epi32(x0, y1), _mm256_mullo_epi32(y0, x1));
}

// filter_front: all ones where every vertex is in front of the near plane and the
// triangle faces the camera (area < 0) when culling, or has any non-zero area.
AVX2 static inline __m256i front8(const tri8 *T, __m256i area, int cull) {
  __m256 zf = _mm256_setzero_ps();
  const lanes *p = T->p;
  __m256 z = _mm256_and_ps(
      _mm256_and_ps(_mm256_cmp_ps(p[0].z, zf, _CMP_GT_OQ), _mm256_cmp_ps(p[1].z, zf, _CMP_GT_OQ)),
      _mm256_cmp_ps(p[2].z, zf, _CMP_GT_OQ));
  __m256i zero = _mm256_setzero_si256();
  __m256i facing = cull ? _mm256_cmpgt_epi32(zero, area)
                        : _mm256_xor_si256(_mm256_cmpeq_epi32(area, zero), _mm256_set1_epi32(-1));
  return _mm256_and_si256(facing, _mm256_castps_si256(z));
}

// The top-left ownership of the three edges in the order with positive area (every
// edge direction flips where neg). Edge directions do not depend on the centre.
AVX2 static inline void owns_all(const tri8 *T, __m256i neg, __m256i own[3]) {
  const lanes *p = T->p;
  for (int k = 0; k < 3; k++) {
    const lanes *a = &p[(k + 1) % 3], *b = &p[(k + 2) % 3];
    own[k] = owns8(negate_if(_mm256_sub_epi32(b->x, a->x), neg),
                   negate_if(_mm256_sub_epi32(b->y, a->y), neg));
  }
}

// All ones where the centre with edge values w is covered (top-left rule); s gets the
// edge values in the order with positive area.
AVX2 static inline __m256i covered8(const __m256i w[3], __m256i neg, const __m256i own[3],
                                    __m256i s[3]) {
  for (int k = 0; k < 3; k++) s[k] = negate_if(w[k], neg);
  return _mm256_and_si256(_mm256_and_si256(inside8(s[0], own[0]), inside8(s[1], own[1])),
                          inside8(s[2], own[2]));
}

// Depth and barycentrics of the lanes in `mask` (edge values s, twice the area
// pos_area), kept at pixel index pix if nearest.
AVX2 static inline void draw8(zbuf zb, int mask, const int32_t t8[8], const tri8 *T,
                              const __m256i s[3], __m256i pos_area, __m256i pix) {
  float zz[8], b1[8], b2[8];
  int32_t px[8];
  const lanes *p = T->p;
  depth4(LO(s[0]), LO(s[1]), LO(s[2]), LO(pos_area), LOF(p[0].iz), LOF(p[1].iz), LOF(p[2].iz), zz,
         b1, b2);
  depth4(HI(s[0]), HI(s[1]), HI(s[2]), HI(pos_area), HIF(p[0].iz), HIF(p[1].iz), HIF(p[2].iz),
         zz + 4, b1 + 4, b2 + 4);
  _mm256_storeu_si256((__m256i *)px, pix);
  while (mask) {
    int j = __builtin_ctz((unsigned)mask);
    mask &= mask - 1;
    store_nearest(zb, (size_t)px[j], t8[j], zz[j], b1[j], b2[j]);
  }
}

// Appends the triangles of the lanes in `mask` to out.
static inline int append(int32_t *out, int n, int mask, const int32_t t8[8]) {
  while (mask) {
    int j = __builtin_ctz((unsigned)mask);
    mask &= mask - 1;
    out[n++] = t8[j];
  }
  return n;
}

// The triangles in[j0..j0+8) (the lanes past n repeat a valid one) and the mask of
// the lanes that count.
static inline int group(const int32_t *in, int n, int j0, int32_t t8[8]) {
  for (int j = 0; j < 8; j++) t8[j] = in[j0 + j < n ? j0 + j : j0];
  return n - j0 >= 8 ? 0xff : (1 << (n - j0)) - 1;
}

AVX2 static inline int lane_mask(__m256i m) {
  return _mm256_movemask_ps(_mm256_castsi256_ps(m));
}

AVX2 int cr_raster_one_candidates_avx2(const cr_raster_vtx *vx, const int32_t *tri,
                                       const int32_t *in, int n, int w, int h, int cull, zbuf zb,
                                       int32_t *other) {
  const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi32(-1);
  const __m256i wv = _mm256_set1_epi32(w), hv = _mm256_set1_epi32(h);
  const __m256i wmax = _mm256_set1_epi32(w - 1), hmax = _mm256_set1_epi32(h - 1);
  int n_other = 0;
  for (int j0 = 0; j0 < n; j0 += 8) {
    int32_t t8[8];
    int valid = group(in, n, j0, t8);
    tri8 T = load_tri8(vx, tri, t8);
    // One candidate: the box is a single centre, on the raster.
    __m256i one =
        _mm256_and_si256(_mm256_cmpeq_epi32(T.ux0, T.ux1), _mm256_cmpeq_epi32(T.vy0, T.vy1));
    __m256i on = _mm256_and_si256(
        _mm256_and_si256(_mm256_cmpgt_epi32(T.ux0, ones), _mm256_cmpgt_epi32(wv, T.ux0)),
        _mm256_and_si256(_mm256_cmpgt_epi32(T.vy0, ones), _mm256_cmpgt_epi32(hv, T.vy0)));
    one = _mm256_and_si256(one, on);
    // Boxes wholly off the raster (common when the mesh overflows the image) are dropped
    // here rather than passed on: raster_triangle would reject them.
    __m256i off = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpgt_epi32(zero, T.ux1), _mm256_cmpgt_epi32(T.ux0, wmax)),
        _mm256_or_si256(_mm256_cmpgt_epi32(zero, T.vy1), _mm256_cmpgt_epi32(T.vy0, hmax)));
    n_other = append(other, n_other, ~lane_mask(_mm256_or_si256(one, off)) & valid, t8);
    // The centre's edge values (all vertices within 1 px of it), the near plane and
    // facing tests, then coverage.
    __m256i wk[3], sk[3], own[3];
    edge_values(&T, _mm256_slli_epi32(T.ux0, FIX_BITS), _mm256_slli_epi32(T.vy0, FIX_BITS), wk);
    __m256i area = _mm256_add_epi32(_mm256_add_epi32(wk[0], wk[1]), wk[2]);
    __m256i neg = _mm256_cmpgt_epi32(zero, area);
    owns_all(&T, neg, own);
    __m256i keep =
        _mm256_and_si256(_mm256_and_si256(one, front8(&T, area, cull)), covered8(wk, neg, own, sk));
    int keep_mask = lane_mask(keep) & valid;
    if (keep_mask)
      draw8(zb, keep_mask, t8, &T, sk, negate_if(area, neg),
            _mm256_add_epi32(_mm256_mullo_epi32(T.vy0, wv), T.ux0));
  }
  return n_other;
}

AVX2 int cr_raster_small_boxes_avx2(const cr_raster_vtx *vx, const int32_t *tri, const int32_t *in,
                                    int n, int w, int h, int cull, zbuf zb, int32_t *other) {
  const __m256i zero = _mm256_setzero_si256(), three = _mm256_set1_epi32(3),
                wv = _mm256_set1_epi32(w);
  const __m256i wmax = _mm256_set1_epi32(w - 1), hmax = _mm256_set1_epi32(h - 1);
  int n_other = 0;
  for (int j0 = 0; j0 < n; j0 += 8) {
    int32_t t8[8];
    int valid = group(in, n, j0, t8);
    tri8 T = load_tri8(vx, tri, t8);
    // Small: at most 4 x 4 centres before clipping, so every vertex is within 5 px of
    // every centre of the box (edge values exact in int32). Then the box clipped to the
    // raster, as raster_triangle clips it.
    __m256i small = _mm256_andnot_si256(
        _mm256_cmpgt_epi32(_mm256_sub_epi32(T.ux1, T.ux0), three),
        _mm256_xor_si256(_mm256_cmpgt_epi32(_mm256_sub_epi32(T.vy1, T.vy0), three),
                         _mm256_set1_epi32(-1)));
    __m256i x0 = _mm256_max_epi32(T.ux0, zero), x1 = _mm256_min_epi32(T.ux1, wmax);
    __m256i y0 = _mm256_max_epi32(T.vy0, zero), y1 = _mm256_min_epi32(T.vy1, hmax);
    __m256i bw = _mm256_sub_epi32(x1, x0), bh = _mm256_sub_epi32(y1, y0); // centres - 1
    __m256i empty = _mm256_or_si256(_mm256_cmpgt_epi32(zero, bw), _mm256_cmpgt_epi32(zero, bh));
    n_other = append(other, n_other, ~lane_mask(_mm256_or_si256(small, empty)) & valid, t8);
    // Near plane and facing from the area (the edge values' sum at any centre).
    __m256i wk[3], sk[3], own[3];
    __m256i cx0 = _mm256_slli_epi32(x0, FIX_BITS), cy0 = _mm256_slli_epi32(y0, FIX_BITS);
    edge_values(&T, cx0, cy0, wk);
    __m256i area = _mm256_add_epi32(_mm256_add_epi32(wk[0], wk[1]), wk[2]);
    __m256i neg = _mm256_cmpgt_epi32(zero, area), pos_area = negate_if(area, neg);
    __m256i active = _mm256_andnot_si256(empty, _mm256_and_si256(small, front8(&T, area, cull)));
    int act_mask = lane_mask(active) & valid;
    if (!act_mask) continue;
    owns_all(&T, neg, own);
    int32_t bw8[8], bh8[8];
    _mm256_storeu_si256((__m256i *)bw8, bw), _mm256_storeu_si256((__m256i *)bh8, bh);
    int max_w = 0, max_h = 0;
    for (int j = 0; j < 8; j++)
      if (act_mask >> j & 1)
        max_w = bw8[j] > max_w ? bw8[j] : max_w, max_h = bh8[j] > max_h ? bh8[j] : max_h;
    __m256i pix_row = _mm256_add_epi32(_mm256_mullo_epi32(y0, wv), x0);
    for (int dy = 0; dy <= max_h; dy++) {
      __m256i dyv = _mm256_set1_epi32(dy),
              cy = _mm256_add_epi32(cy0, _mm256_set1_epi32(dy * FIX_ONE));
      __m256i row_on = _mm256_andnot_si256(_mm256_cmpgt_epi32(dyv, bh), active);
      for (int dx = 0; dx <= max_w; dx++) {
        __m256i dxv = _mm256_set1_epi32(dx);
        __m256i lane_on = _mm256_andnot_si256(_mm256_cmpgt_epi32(dxv, bw), row_on);
        edge_values(&T, _mm256_add_epi32(cx0, _mm256_set1_epi32(dx * FIX_ONE)), cy, wk);
        int keep_mask = lane_mask(_mm256_and_si256(lane_on, covered8(wk, neg, own, sk))) & valid;
        if (keep_mask) draw8(zb, keep_mask, t8, &T, sk, pos_area, _mm256_add_epi32(pix_row, dxv));
      }
      pix_row = _mm256_add_epi32(pix_row, wv);
    }
  }
  return n_other;
}
#endif

// AVX2 kernel of the rasterizer: the triangles with a single candidate pixel centre
// (most of a dense mesh, whose triangles are about a pixel), eight per step. It does in
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
AVX2 static inline lanes load_vertex(const cr_raster_vtx *vx, const int32_t *tri, const int32_t t8[8], int k) {
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
  return _mm256_sub_epi32(_mm256_srai_epi32(_mm256_add_epi32(X, _mm256_set1_epi32(1 << 30)), FIX_BITS),
                          _mm256_set1_epi32(1 << (30 - FIX_BITS)));
}

// -v where the mask m is all ones, v elsewhere.
AVX2 static inline __m256i negate_if(__m256i v, __m256i m) { return _mm256_sub_epi32(_mm256_xor_si256(v, m), m); }

// The top-left rule of raster.c's owns(): all ones where an edge with direction
// (dx, dy) owns the centres on it.
AVX2 static inline __m256i owns8(__m256i dx, __m256i dy) {
  __m256i z = _mm256_setzero_si256();
  return _mm256_or_si256(_mm256_cmpgt_epi32(dy, z), _mm256_and_si256(_mm256_cmpeq_epi32(dy, z), _mm256_cmpgt_epi32(dx, z)));
}

// All ones where s + own > 0 (own: 1 where the mask is set): the centre is inside an edge.
AVX2 static inline __m256i inside8(__m256i s, __m256i own) {
  return _mm256_cmpgt_epi32(_mm256_sub_epi32(s, own), _mm256_setzero_si256());
}

// Depth and barycentrics of 4 fragments as raster.c's draw_fragment computes them, in
// double: s0..s2 the edge values in the order with positive area, iz the inverse depths.
AVX2 static inline void depth4(__m128i s0, __m128i s1, __m128i s2, __m128i area, __m128 iz0, __m128 iz1,
                               __m128 iz2, float *zz, float *b1, float *b2) {
  __m256d a1 = _mm256_mul_pd(_mm256_cvtepi32_pd(s1), _mm256_cvtps_pd(iz1));
  __m256d a2 = _mm256_mul_pd(_mm256_cvtepi32_pd(s2), _mm256_cvtps_pd(iz2));
  __m256d sum = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(s0), _mm256_cvtps_pd(iz0)), a1), a2);
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
  __m256i on = _mm256_cmpeq_epi32(_mm256_and_si256(X, _mm256_set1_epi32(FIX_ONE - 1)), _mm256_setzero_si256());
  __m256i f = floor8(X);
  return _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(f, f), _mm256_set1_epi32(1)), on);
}

AVX2 void cr_raster_project8_avx2(const proj_model *c, const float *p, cr_raster_vtx *vx, uint64_t *cell) {
  // Vertices 0-3 in the low halves, 4-7 in the high halves; each half is transposed
  // by the shuffles of project_four (a = x0 y0 z0 x1, b = y1 z1 x2 y2, c = z2 x3 y3 z3).
#define LOAD2(i) _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p + (i))), _mm_loadu_ps(p + 12 + (i)), 1)
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

AVX2 int cr_raster_one_candidates_avx2(const cr_raster_vtx *vx, const int32_t *tri, const int32_t *in, int n,
                                       int w, int h, int cull, zbuf zb, int32_t *other) {
  const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi32(-1);
  const __m256i wv = _mm256_set1_epi32(w), hv = _mm256_set1_epi32(h), up = _mm256_set1_epi32(FIX_ONE - 1);
  int n_other = 0;
  for (int j0 = 0; j0 < n; j0 += 8) {
    // The last step repeats a valid triangle in the lanes past n and ignores them.
    int32_t t8[8];
    for (int j = 0; j < 8; j++) t8[j] = in[j0 + j < n ? j0 + j : j0];
    int valid = n - j0 >= 8 ? 0xff : (1 << (n - j0)) - 1;
    lanes p0 = load_vertex(vx, tri, t8, 0), p1 = load_vertex(vx, tri, t8, 1), p2 = load_vertex(vx, tri, t8, 2);
    // Box of pixel centres (raster_triangle): one candidate when it is a single centre
    // on the raster.
    __m256i ux0 = floor8(_mm256_add_epi32(_mm256_min_epi32(_mm256_min_epi32(p0.x, p1.x), p2.x), up));
    __m256i ux1 = floor8(_mm256_max_epi32(_mm256_max_epi32(p0.x, p1.x), p2.x));
    __m256i vy0 = floor8(_mm256_add_epi32(_mm256_min_epi32(_mm256_min_epi32(p0.y, p1.y), p2.y), up));
    __m256i vy1 = floor8(_mm256_max_epi32(_mm256_max_epi32(p0.y, p1.y), p2.y));
    __m256i one = _mm256_and_si256(_mm256_cmpeq_epi32(ux0, ux1), _mm256_cmpeq_epi32(vy0, vy1));
    __m256i on = _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi32(ux0, ones), _mm256_cmpgt_epi32(wv, ux0)),
                                  _mm256_and_si256(_mm256_cmpgt_epi32(vy0, ones), _mm256_cmpgt_epi32(hv, vy0)));
    one = _mm256_and_si256(one, on);
    // Edge values relative to the candidate centre (one_candidate): below 2^25, exact.
    __m256i cx = _mm256_slli_epi32(ux0, FIX_BITS), cy = _mm256_slli_epi32(vy0, FIX_BITS);
    __m256i x0 = _mm256_sub_epi32(p0.x, cx), y0 = _mm256_sub_epi32(p0.y, cy);
    __m256i x1 = _mm256_sub_epi32(p1.x, cx), y1 = _mm256_sub_epi32(p1.y, cy);
    __m256i x2 = _mm256_sub_epi32(p2.x, cx), y2 = _mm256_sub_epi32(p2.y, cy);
    __m256i w0 = _mm256_sub_epi32(_mm256_mullo_epi32(x1, y2), _mm256_mullo_epi32(y1, x2));
    __m256i w1 = _mm256_sub_epi32(_mm256_mullo_epi32(x2, y0), _mm256_mullo_epi32(y2, x0));
    __m256i w2 = _mm256_sub_epi32(_mm256_mullo_epi32(x0, y1), _mm256_mullo_epi32(y0, x1));
    __m256i area = _mm256_add_epi32(_mm256_add_epi32(w0, w1), w2);
    // filter_front: every vertex in front of the near plane; facing (area < 0) when
    // culling, else any non-zero area.
    __m256 zf = _mm256_setzero_ps();
    __m256 front_z = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(p0.z, zf, _CMP_GT_OQ), _mm256_cmp_ps(p1.z, zf, _CMP_GT_OQ)),
                                   _mm256_cmp_ps(p2.z, zf, _CMP_GT_OQ));
    __m256i neg = _mm256_cmpgt_epi32(zero, area);
    __m256i facing = cull ? neg : _mm256_xor_si256(_mm256_cmpeq_epi32(area, zero), ones);
    __m256i keep = _mm256_and_si256(_mm256_and_si256(one, facing), _mm256_castps_si256(front_z));
    // Coverage with the top-left rule, in the order with positive area.
    __m256i s0 = negate_if(w0, neg), s1 = negate_if(w1, neg), s2 = negate_if(w2, neg);
    __m256i own0 = owns8(negate_if(_mm256_sub_epi32(x2, x1), neg), negate_if(_mm256_sub_epi32(y2, y1), neg));
    __m256i own1 = owns8(negate_if(_mm256_sub_epi32(x0, x2), neg), negate_if(_mm256_sub_epi32(y0, y2), neg));
    __m256i own2 = owns8(negate_if(_mm256_sub_epi32(x1, x0), neg), negate_if(_mm256_sub_epi32(y1, y0), neg));
    keep = _mm256_and_si256(keep, _mm256_and_si256(_mm256_and_si256(inside8(s0, own0), inside8(s1, own1)),
                                                   inside8(s2, own2)));
    int keep_mask = _mm256_movemask_ps(_mm256_castsi256_ps(keep)) & valid;
    int other_mask = ~_mm256_movemask_ps(_mm256_castsi256_ps(one)) & valid;
    while (other_mask) {
      int j = __builtin_ctz((unsigned)other_mask);
      other_mask &= other_mask - 1;
      other[n_other++] = t8[j];
    }
    if (!keep_mask) continue;
    __m256i pos_area = negate_if(area, neg);
    float zz[8], b1[8], b2[8];
    int32_t px[8];
    depth4(LO(s0), LO(s1), LO(s2), LO(pos_area), LOF(p0.iz), LOF(p1.iz), LOF(p2.iz), zz, b1, b2);
    depth4(HI(s0), HI(s1), HI(s2), HI(pos_area), HIF(p0.iz), HIF(p1.iz), HIF(p2.iz), zz + 4, b1 + 4, b2 + 4);
    _mm256_storeu_si256((__m256i *)px, _mm256_add_epi32(_mm256_mullo_epi32(vy0, wv), ux0));
    while (keep_mask) {
      int j = __builtin_ctz((unsigned)keep_mask);
      keep_mask &= keep_mask - 1;
      store_nearest(zb, (size_t)px[j], t8[j], zz[j], b1[j], b2[j]);
    }
  }
  return n_other;
}
#endif

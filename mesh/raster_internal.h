// Private to mesh/.
// Shared by the rasterizer's scalar path (raster.c) and its AVX2 kernel (raster_avx2.c):
// the fixed-point vertex record, the z-buffer view and the store of a fragment.
#ifndef CR_MESH_RASTER_INTERNAL_H
#define CR_MESH_RASTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

// Fixed point: 1/4096 px (see raster.c for why that grid).
enum { FIX_BITS = 12, FIX_ONE = 1 << FIX_BITS };
#define FIX_LIM 536870912.0f // 2^29 in 1/4096 px: 2^17 px

// Per-vertex record of the raster loop, 16 bytes so a triangle's vertex costs one load:
// u and v in 1/4096 px, z (the proj z: <= 0 marks a vertex behind the near plane) and
// iz = 1 / z (0 when behind), which spares the fragments 3 divisions each.
typedef struct cr_raster_vtx {
  int32_t x, y;
  float z, iz;
} cr_raster_vtx;

// Floor and ceil of a fixed-point coordinate in whole pixels (pixel centres at integer
// coordinates). The offset keeps the shifted value non-negative (>> of a negative int
// is implementation-defined): |X| <= 2^29, so X + 2^30 + FIX_ONE - 1 < 2^31.
static inline int32_t fix_floor(int32_t X) {
  return ((X + (1 << 30)) >> FIX_BITS) - (1 << (30 - FIX_BITS));
}
static inline int32_t fix_ceil(int32_t X) {
  return fix_floor(X + FIX_ONE - 1);
}

// The camera model of cr_camera_project (OpenCV pinhole + k1 k2 p1 p2 k3) in float.
typedef struct proj_model {
  float R[9], t[3], k1, k2, p1, p2, k3, fx, fy, cx, cy, zn;
  int w, h;
} proj_model;

// The camera model's arithmetic on a vector of vertices (px, py, pz: world mm), written
// once for raster.c's SSE2 and raster_avx2.c's AVX2 projections so that both do
// project_one's operations in the same order (bit-identical results). The caller
// defines V (the vector type), S (broadcast), ADD, MUL and DIV; this declares Z, iz and
// pu0, pv0: the distorted pixel coordinates before the near-plane test.
#define CR_RASTER_CAMERA_MODEL(c, px, py, pz)                                                      \
  const float *R = (c)->R;                                                                         \
  V X = ADD(ADD(ADD(MUL(S(R[0]), px), MUL(S(R[1]), py)), MUL(S(R[2]), pz)), S((c)->t[0]));         \
  V Y = ADD(ADD(ADD(MUL(S(R[3]), px), MUL(S(R[4]), py)), MUL(S(R[5]), pz)), S((c)->t[1]));         \
  V Z = ADD(ADD(ADD(MUL(S(R[6]), px), MUL(S(R[7]), py)), MUL(S(R[8]), pz)), S((c)->t[2]));         \
  V iz = DIV(S(1.0f), Z), x = MUL(X, iz), y = MUL(Y, iz), r2 = ADD(MUL(x, x), MUL(y, y));          \
  V radial =                                                                                       \
      ADD(S(1.0f), MUL(r2, ADD(S((c)->k1), MUL(r2, ADD(S((c)->k2), MUL(r2, S((c)->k3)))))));       \
  V two_p1 = S(2 * (c)->p1), two_p2 = S(2 * (c)->p2);                                              \
  V xd = ADD(ADD(MUL(x, radial), MUL(MUL(two_p1, x), y)),                                          \
             MUL(S((c)->p2), ADD(r2, MUL(MUL(S(2.0f), x), x))));                                   \
  V yd = ADD(ADD(MUL(y, radial), MUL(S((c)->p1), ADD(r2, MUL(MUL(S(2.0f), y), y)))),               \
             MUL(MUL(two_p2, x), y));                                                              \
  V pu0 = ADD(MUL(S((c)->fx), xd), S((c)->cx)), pv0 = ADD(MUL(S((c)->fy), yd), S((c)->cy))

// One thread's z-buffer.
typedef struct zbuf {
  float *depth, *bary;
  int32_t *tri;
} zbuf;

// Keeps fragment (depth zz, barycentrics b1 b2) of triangle t at pixel i if it is
// nearer than what is there; equal depths go to the lower triangle index, so the
// result does not depend on the drawing order.
static inline void store_nearest(zbuf zb, size_t i, int32_t t, float zz, float b1, float b2) {
  if (zz > zb.depth[i] || (zz == zb.depth[i] && t > zb.tri[i])) return;
  zb.depth[i] = zz, zb.tri[i] = t;
  zb.bary[2 * i] = b1, zb.bary[2 * i + 1] = b2;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define CR_RASTER_AVX2 1
// Whether this CPU runs the AVX2 kernels.
int cr_raster_avx2_supported(void);
// raster.c's project_four for 8 vertices (xyz: 24 floats), bit-identical.
void cr_raster_project8_avx2(const proj_model *c, const float *xyz, cr_raster_vtx *vx,
                             uint64_t *cell);
// The one-candidate triangles among in[0..n) (triangles that passed the cell filter:
// see raster.c), eight at a time: those whose box holds exactly one pixel centre, on a
// w x h raster, are tested (near plane, facing when cull, coverage) and their covered
// fragments drawn into zb, with results bit-identical to the scalar path. Boxes wholly
// off the raster are dropped; the others are appended to `other` (which may be `in`)
// for the next stage; returns their count.
int cr_raster_one_candidates_avx2(const cr_raster_vtx *vx, const int32_t *tri, const int32_t *in,
                                  int n, int w, int h, int cull, zbuf zb, int32_t *other);
// The same for the triangles among in[0..n) whose box of pixel centres spans at most
// 4 x 4 centres (most of the rest at moderate zoom): eight triangles per step, one
// centre of each box per step. Returns the count of the others, appended to `other`.
int cr_raster_small_boxes_avx2(const cr_raster_vtx *vx, const int32_t *tri, const int32_t *in,
                               int n, int w, int h, int cull, zbuf zb, int32_t *other);
#endif

#endif

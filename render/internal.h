// Private to render/: the ray-casting engine shared by the ray modes (drr, mip, volume,
// surface, probe), the per-ray set-up, the samplers and the per-mode table of the engine.
#ifndef CR_RENDER_INTERNAL_H
#define CR_RENDER_INTERNAL_H
#include "render/render.h"

#include <math.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CR_BRICK_SHIFT 3        // skip bricks of 8^3 voxels (min/max, empty-space skipping)
#define CR_DATA_SHIFT 3         // data bricks of 8^3 cells (the bricked copy behind the sampler)
#define CR_MACRO_SHIFT 5        // macro bricks of 4^3 bricks (32^3 voxels) for skipping empty space
#define CR_SKIPPED ((size_t)-1) // segment_end: a run in an empty macro brick
#define CR_TF_LUT 1024
#define CR_TILE 16 // pixels per side of the tiles that threads take

// Bricked copy of a volume for the hot trilinear sampler: bricks of 8^3 cells stored
// with a one-voxel apron (9^3 floats, edge values replicated past the grid), so the 8
// corners of any trilinear cell lie in one contiguous 2.9 KB block. Voxel (i, j, k)
// (cell base) is at data[ox[i] + oy[j] + oz[k]]; its +x, +y, +z neighbours follow at
// +1, +CR_BA, +CR_BA^2.
#define CR_BA ((1 << CR_DATA_SHIFT) + 1)
#define CR_BVOX (CR_BA * CR_BA * CR_BA)
typedef struct vol_fast {
  float *data;          // bricked values (owned)
  size_t *ox, *oy, *oz; // offsets per voxel index along each axis (one owned block at ox)
  float mx, my, mz;     // largest voxel index per axis (clamp bound)
  int ix, iy, iz;       // largest base index of a trilinear cell
} vol_fast;

typedef struct cr_raycaster cr_raycaster;
typedef struct cr_ray_mode cr_ray_mode;

// The per-camera work of the ray modes: unit pixel rays in the camera frame (3 per
// pixel) and the per-tile sample counts of the last frame.
#define CR_CAMERA_CACHE 8 // distinct cameras whose rays a renderer keeps
typedef struct ray_cam {
  cr_camera cam;
  double *rays;
  size_t rays_cap; // pixels the rays buffer holds
  double *tile_samples;
  size_t tiles_cap;
  unsigned long used; // last use (renderer clock); 0: empty
} ray_cam;

// The ray-casting engine shared by the ray modes (raycast.c): the volume, the bricked
// copies behind the samplers, the empty-space skipping structures of the mode, and the
// camera cache. The mode's pieces come from its cr_ray_mode row.
struct cr_raycaster {
  const cr_ray_mode *kind;
  const cr_volume *vol;  // the caller's volume: values of DRR, MIP, volume and probe
  const cr_volume *surf; // the field whose isosurface is found: vol, or `smoothed`
  cr_volume *smoothed;   // owned Gaussian-smoothed copy (surface_smooth_mm > 0), else NULL
  vol_fast vf;           // fast sampler of `surf` (the same as vf_value without smoothing)
  vol_fast vf_value;     // fast sampler of `vol`
  cr_render_options p;
  int nb[3];      // bricks per axis
  float *bmax;    // max over the voxels a sample inside the brick can touch
  uint8_t *skip;  // 1: every sample in the brick contributes nothing (mode-specific)
  uint8_t *inner; // 1: the brick is away from the grid edges (no clamps needed)
  double active_lo[3], active_hi[3]; // voxel-space box around every brick not skipped
                                     // (lo > hi: none)
  uint8_t *edist;        // Chebyshev distance (bricks, capped) to the nearest brick not skipped
  double inv_step;       // 1 / p.step_mm
  int nm[3];             // macro bricks per axis
  float *mmax;           // max of bmax over the bricks of a macro brick
  uint8_t *mskip;        // 1: every brick of the macro brick is skipped
  float tf_lo, tf_scale; // transfer-function LUT: index = (v - lo) * scale
  float tf_alpha[CR_TF_LUT + 1]; // opacity per step
  float tf_rgb[CR_TF_LUT + 1][3];
  double A_inv[3][3];   // voxel_from_world 3x3
  float grad_metric[6]; // G = A_inv A_inv^T (xx yy zz xy xz yz): |world gradient|^2 = gv^T G gv
  ray_cam cams[CR_CAMERA_CACHE];
  unsigned long clock; // counts camera look-ups (least recently used camera goes first)
  int is_fork;         // 1: everything above the camera cache is the parent's (cr_ray_fork)
};

// The per-frame geometry shared by all pixels.
typedef struct frame_geom {
  double centre_w[3]; // camera centre, world
  double centre_v[3]; // camera centre, voxel
  double Rt[3][3];    // world_from_cam rotation
  double M[3][3];     // voxel direction from camera direction: A_inv * R^T
  int has_light;      // 1: lit by the point light at light_w, else by a headlight
  double light_w[3];  // the point light, world mm (cr_render_out.light_at)
} frame_geom;

// One pixel's ray: position(t) = o + t * dv in voxels, t in mm along the world ray.
typedef struct ray_t {
  double o[3], dv[3], dw[3], dcam[3];
  double inv[3]; // 1 / dv per axis (0 where |dv| <= 1e-15: the ray never leaves a brick along it)
  double tn, tf; // clipped interval, mm
} ray_t;

// Sets up the ray of camera direction dcam (unit); returns 0 if it misses the box.
int cr_render_ray_setup(const cr_raycaster *r, const frame_geom *g, const double dcam[3],
                        ray_t *ray);

static inline double clampd(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// Trilinear interpolation in a cell whose corner p has neighbours at offsets sx, sy, sz
// (0 along an axis of size 1), with fractions fx, fy, fz: one evaluation order for
// every sampler, so they all give the same bits.
static inline float cr_cell_lerp(const float *p, size_t sx, size_t sy, size_t sz, float fx,
                                 float fy, float fz) {
  float c00 = p[0] + fx * (p[sx] - p[0]);
  float c10 = p[sy] + fx * (p[sy + sx] - p[sy]);
  float c01 = p[sz] + fx * (p[sz + sx] - p[sz]);
  float c11 = p[sz + sy] + fx * (p[sz + sy + sx] - p[sz + sy]);
  float c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
  return c0 + fz * (c1 - c0);
}

// Trilinear sample at continuous voxel index (x, y, z); positions up to half a voxel
// outside the centres take the edge value (callers clip rays to that box).
static inline float cr_sample_linear(const cr_volume *v, double x, double y, double z) {
  const int nx = v->dim[0], ny = v->dim[1], nz = v->dim[2];
  x = clampd(x, 0, nx - 1), y = clampd(y, 0, ny - 1), z = clampd(z, 0, nz - 1);
  int i = (int)x, j = (int)y, k = (int)z;
  if (i > nx - 2) i = nx > 1 ? nx - 2 : 0;
  if (j > ny - 2) j = ny > 1 ? ny - 2 : 0;
  if (k > nz - 2) k = nz > 1 ? nz - 2 : 0;
  const float fx = (float)(x - i), fy = (float)(y - j), fz = (float)(z - k);
  const size_t sx = nx > 1, sy = ny > 1 ? (size_t)nx : 0, sz = nz > 1 ? (size_t)nx * ny : 0;
  const float *p = v->data + (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * k);
  return cr_cell_lerp(p, sx, sy, sz, fx, fy, fz);
}

static inline float cr_sample_nearest(const cr_volume *v, double x, double y, double z) {
  int i = (int)floor(clampd(x, 0, v->dim[0] - 1) + 0.5);
  int j = (int)floor(clampd(y, 0, v->dim[1] - 1) + 0.5);
  int k = (int)floor(clampd(z, 0, v->dim[2] - 1) + 0.5);
  return v->data[(size_t)i + (size_t)v->dim[0] * ((size_t)j + (size_t)v->dim[1] * k)];
}

// The same trilinear interpolation in single precision on the bricked copy.
static inline float cr_sample_fast(const vol_fast *f, float x, float y, float z) {
  x = x < 0 ? 0 : (x > f->mx ? f->mx : x);
  y = y < 0 ? 0 : (y > f->my ? f->my : y);
  z = z < 0 ? 0 : (z > f->mz ? f->mz : z);
  int i = (int)x, j = (int)y, k = (int)z;
  i = i > f->ix ? f->ix : i, j = j > f->iy ? f->iy : j, k = k > f->iz ? f->iz : k;
  const float fx = x - (float)i, fy = y - (float)j, fz = z - (float)k;
  const float *p = f->data + f->ox[i] + f->oy[j] + f->oz[k];
  enum { sx = 1, sy = CR_BA, sz = CR_BA * CR_BA };
  return cr_cell_lerp(p, sx, sy, sz, fx, fy, fz);
}

// cr_sample_linear (double positions, the same rounding) on the bricked copy.
static inline float cr_sample_fast_d(const vol_fast *f, double x, double y, double z) {
  x = clampd(x, 0, f->mx), y = clampd(y, 0, f->my), z = clampd(z, 0, f->mz);
  int i = (int)x, j = (int)y, k = (int)z;
  i = i > f->ix ? f->ix : i, j = j > f->iy ? f->iy : j, k = k > f->iz ? f->iz : k;
  const float fx = (float)(x - i), fy = (float)(y - j), fz = (float)(z - k);
  const float *p = f->data + f->ox[i] + f->oy[j] + f->oz[k];
  enum { sx = 1, sy = CR_BA, sz = CR_BA * CR_BA };
  return cr_cell_lerp(p, sx, sy, sz, fx, fy, fz);
}

// cr_sample_fast without the clamps, for positions proven inside [0, ix] x [0, iy] x
// [0, iz] cells (bricks away from the grid's upper edges): the same value there. With
// SSE2 the three axes and the four x-lerps run in packed single precision: every lane
// does the same IEEE operations as the scalar code, so the values are identical.
#if defined(__SSE2__)
// Trilinear interpolation of the bricked cell at p with fractions fr = (fx, fy, fz, 0).
static inline float cr_cell_lerp_v(const float *p, const __m128 fr) {
  enum { sy = CR_BA, sz = CR_BA * CR_BA };
  // (p0, p1, py0, py1) and (pz0, pz1, pzy0, pzy1): x-neighbour pairs are adjacent
  const __m128 q0 = _mm_castsi128_ps(_mm_unpacklo_epi64(
      _mm_loadl_epi64((const __m128i *)p), _mm_loadl_epi64((const __m128i *)(p + sy))));
  const __m128 q1 = _mm_castsi128_ps(_mm_unpacklo_epi64(
      _mm_loadl_epi64((const __m128i *)(p + sz)), _mm_loadl_epi64((const __m128i *)(p + sz + sy))));
  const __m128 lo = _mm_shuffle_ps(q0, q1, _MM_SHUFFLE(2, 0, 2, 0)); // p[0], p[sy], p[sz], p[sz+sy]
  const __m128 hi = _mm_shuffle_ps(q0, q1, _MM_SHUFFLE(3, 1, 3, 1)); // their +x neighbours
  const __m128 c =
      _mm_add_ps(lo, _mm_mul_ps(_mm_shuffle_ps(fr, fr, 0), _mm_sub_ps(hi, lo))); // c00 c10 c01 c11
  const __m128 c_lo = _mm_shuffle_ps(c, c, _MM_SHUFFLE(2, 0, 2, 0));             // c00, c01
  const __m128 c_hi = _mm_shuffle_ps(c, c, _MM_SHUFFLE(3, 1, 3, 1));             // c10, c11
  const __m128 d =
      _mm_add_ps(c_lo, _mm_mul_ps(_mm_shuffle_ps(fr, fr, 0x55), _mm_sub_ps(c_hi, c_lo))); // c0, c1
  const __m128 d1 = _mm_shuffle_ps(d, d, 1);
  const __m128 fz = _mm_shuffle_ps(fr, fr, 0xAA);
  return _mm_cvtss_f32(_mm_add_ss(d, _mm_mul_ss(fz, _mm_sub_ss(d1, d))));
}

// pos = (x, y, z, 0)
static inline float cr_sample_nc_v(const vol_fast *f, const __m128 pos) {
  const __m128i ii = _mm_cvttps_epi32(pos);
  const __m128 fr = _mm_sub_ps(pos, _mm_cvtepi32_ps(ii)); // fx, fy, fz, 0
  const int i = _mm_cvtsi128_si32(ii), j = _mm_cvtsi128_si32(_mm_shuffle_epi32(ii, 1));
  const int k = _mm_cvtsi128_si32(_mm_shuffle_epi32(ii, 2));
  return cr_cell_lerp_v(f->data + f->ox[i] + f->oy[j] + f->oz[k], fr);
}
#endif

static inline float cr_sample_fast_nc(const vol_fast *f, float x, float y, float z) {
#if defined(__SSE2__)
  return cr_sample_nc_v(f, _mm_set_ps(0.0f, z, y, x));
#else
  int i = (int)x, j = (int)y, k = (int)z;
  const float fx = x - (float)i, fy = y - (float)j, fz = z - (float)k;
  const float *p = f->data + f->ox[i] + f->oy[j] + f->oz[k];
  enum { sx = 1, sy = CR_BA, sz = CR_BA * CR_BA };
  return cr_cell_lerp(p, sx, sy, sz, fx, fy, fz);
#endif
}

// Fills f with a bricked copy of vol (bricks.c); frees it with cr_vol_fast_free.
int cr_vol_fast_make(vol_fast *f, const cr_volume *vol);
void cr_vol_fast_free(vol_fast *f);

static inline float cr_sample(const cr_raycaster *r, const double x[3]) {
  return r->p.interp == CR_INTERP_NEAREST
             ? cr_sample_nearest(r->vol, x[0], x[1], x[2])
             : cr_sample_fast(&r->vf, (float)x[0], (float)x[1], (float)x[2]);
}

// Brick index of a voxel position (clamped into the grid).
static inline size_t cr_brick_of(const cr_raycaster *r, const double x[3], int b[3]) {
  for (int a = 0; a < 3; a++) {
    b[a] = (int)clampd(x[a], 0, r->vol->dim[a] - 1) >> CR_BRICK_SHIFT;
  }
  return (size_t)b[0] + (size_t)r->nb[0] * ((size_t)b[1] + (size_t)r->nb[1] * b[2]);
}

// Sampler of a run of samples: nearest, clamped trilinear, or trilinear without clamps
// (the run's brick is away from the grid edges).
enum { CR_SM_NEAREST = 0, CR_SM_CLAMP, CR_SM_INNER };
static inline float cr_sample_sm(const cr_raycaster *r, int sm, const float x[3]) {
  if (sm == CR_SM_INNER) return cr_sample_fast_nc(&r->vf, x[0], x[1], x[2]);
  if (sm == CR_SM_CLAMP) return cr_sample_fast(&r->vf, x[0], x[1], x[2]);
  return cr_sample_nearest(r->vol, x[0], x[1], x[2]);
}

// Trilinear sample of the unsmoothed volume (probe values).
static inline float cr_sample_value(const cr_raycaster *r, const double x[3]) {
  return r->p.interp == CR_INTERP_NEAREST
             ? cr_sample_nearest(r->vol, x[0], x[1], x[2])
             : cr_sample_fast(&r->vf_value, (float)x[0], (float)x[1], (float)x[2]);
}

// Transfer function lookup (linear between LUT entries).
static inline float cr_tf_index(const cr_raycaster *r, float v) {
  float f = (v - r->tf_lo) * r->tf_scale;
  return f > 0 ? (f < CR_TF_LUT ? f : CR_TF_LUT) : 0; // NaN (a NaN voxel) -> 0
}

// The trilinear interpolation of the bricked cell at p (as in cr_sample_fast).
static inline float cr_cell_lerp_b(const float *p, float fx, float fy, float fz) {
#if defined(__SSE2__)
  return cr_cell_lerp_v(p, _mm_set_ps(0.0f, fz, fy, fx));
#else
  return cr_cell_lerp(p, 1, CR_BA, CR_BA * CR_BA, fx, fy, fz);
#endif
}

// A copy of `vol` smoothed by a separable Gaussian of standard deviation sigma_mm
// (in each axis's own voxel units), edges clamped (smooth.c). NULL on lack of memory.
cr_volume *cr_render_smoothed_copy(const cr_volume *vol, double sigma_mm);

// ---- the engine's per-mode table ----

// What a ray mode adds to the engine: one row per mode (mode_<name>.c), read by the
// engine's set-up (raycast.c, empty_space.c) and frame loop. Adding a ray mode is a row,
// its kernel and a public cr_render_mode_type whose create calls cr_ray_create.
struct cr_ray_mode {
  int uses_iso;     // resolves the automatic iso level (the surface, or the TF's ramp)
  int reads_values; // samples the unsmoothed volume besides a smoothed surface field
  // Mode data set up after the common part (parameters checked, step and iso
  // resolved) and before the bricks: the transfer function, the smoothed field. vmin,
  // vmax: the volume's range. NULL: none. 0 or a negative status.
  int (*prepare)(cr_raycaster *r, float vmin, float vmax);
  // 1 if no sample in a brick whose voxels span [mn, mx] contributes (the walks skip
  // such bricks). NULL: no brick is skipped.
  int (*skippable)(const cr_raycaster *r, float mn, float mx);
  // The brick maximum as the mode compares it (MIP: after the window). NULL: mx.
  float (*brick_max)(const cr_raycaster *r, float mx);
  // One pixel: its ray (in_box: the ray meets the volume box) -> every output of
  // (u, v); *hit as cr_render_out.hit. Returns the samples taken. Runs on any thread.
  long (*pixel)(const cr_raycaster *r, const frame_geom *g, const ray_t *ray, int in_box,
                const cr_render_out *out, int u, int v, int *hit);
};

// The public mode functions of every ray mode (raycast.c): create with the mode's row,
// destroy, render (OpenMP over 16x16 pixel tiles).
int cr_ray_create(void **state, const cr_volume *vol, cr_render_options *p,
                  const cr_ray_mode *kind);
void cr_ray_destroy(void *state);
// A state sharing everything of `state` but the camera cache (cr_render_mode_type.fork).
void *cr_ray_fork(const void *state);
int cr_ray_render(void *state, const cr_render_options *p, const cr_camera *cam,
                  const cr_pose *cam_from_world, const cr_render_out *out);
// The cached rays of `cam` (computed and cached if new: the least recently used of the
// CR_CAMERA_CACHE cameras goes). 0 or CR_ENOMEM.
int cr_ray_camera(cr_raycaster *r, const cr_camera *cam, const ray_cam **out);
// The geometry of one frame at cam_from_world.
void cr_ray_frame(const cr_raycaster *r, const cr_pose *cam_from_world, frame_geom *g);
// The miss values of pixel (u, v): background, depth 0, xyz and normal NaN.
void cr_ray_write_miss(const cr_raycaster *r, const cr_render_out *out, int u, int v);
// Min/max bricks, macro bricks and empty-space distances of the mode (empty_space.c).
int cr_ray_make_bricks(cr_raycaster *r);

// Adds n to the samples cr_renderer_last_samples reports for the cr_render call in
// progress on this thread (renderer.c); call it outside parallel regions.
void cr_render_add_samples(double n);

#endif

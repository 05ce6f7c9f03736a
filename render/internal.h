// Private to render/: the renderer object, the per-ray set-up and the samplers.
#ifndef CR_RENDER_INTERNAL_H
#define CR_RENDER_INTERNAL_H
#include "render/render.h"

#include <math.h>
#include <stdint.h>

#define CR_BRICK_SHIFT 3 // bricks of 8^3 voxels
#define CR_TF_LUT 1024
#define CR_TILE 16 // pixels per side of the tiles that threads take

// Grid constants for the hot trilinear sampler.
typedef struct vol_fast {
  const float *data;
  float mx, my, mz;      // largest voxel index per axis (clamp bound)
  int ix, iy, iz;        // largest base index of a trilinear cell
  size_t row, slice;     // index strides: nx, nx * ny
  size_t sx, sy, sz;     // neighbour offsets (0 along an axis of size 1)
} vol_fast;

struct cr_renderer {
  const cr_volume *vol;  // the caller's volume: values of DRR, MIP, volume and probe
  const cr_volume *surf; // the field whose isosurface is found: vol, or `smoothed`
  cr_volume *smoothed;   // owned Gaussian-smoothed copy (surface_smooth_mm > 0), else NULL
  vol_fast vf;           // fast sampler of `surf` (the same as vf_value without smoothing)
  vol_fast vf_value;     // fast sampler of `vol`
  cr_render_params p;
  int nb[3];             // bricks per axis
  float *bmax;           // max over the voxels a sample inside the brick can touch
  uint8_t *skip;         // 1: every sample in the brick contributes nothing (mode-specific)
  float tf_lo, tf_scale; // transfer-function LUT: index = (v - lo) * scale
  float tf_alpha[CR_TF_LUT + 1]; // opacity per step
  float tf_rgb[CR_TF_LUT + 1][3];
  double A_inv[3][3];    // voxel_from_world 3x3
  // cached camera rays (unit, camera frame), 3 per pixel
  cr_camera cam;
  int have_cam;
  double *rays;
  size_t rays_cap;
  double *tile_samples;  // samples per tile of the last frame
  double last_samples;
};

// The per-frame geometry shared by all pixels.
typedef struct frame_geom {
  double centre_w[3];  // camera centre, world
  double centre_v[3];  // camera centre, voxel
  double Rt[3][3];     // world_from_cam rotation
  double M[3][3];      // voxel direction from camera direction: A_inv * R^T
} frame_geom;

// One pixel's ray: position(t) = o + t * dv in voxels, t in mm along the world ray.
typedef struct ray_t {
  double o[3], dv[3], dw[3], dcam[3];
  double tn, tf; // clipped interval, mm
} ray_t;

// Sets up the ray of camera direction dcam (unit); returns 0 if it misses the box.
int cr_render_ray_setup(const cr_renderer *r, const frame_geom *g, const double dcam[3], ray_t *ray);

static inline double clampd(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
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
  float c00 = p[0] + fx * (p[sx] - p[0]);
  float c10 = p[sy] + fx * (p[sy + sx] - p[sy]);
  float c01 = p[sz] + fx * (p[sz + sx] - p[sz]);
  float c11 = p[sz + sy] + fx * (p[sz + sy + sx] - p[sz + sy]);
  float c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
  return c0 + fz * (c1 - c0);
}

static inline float cr_sample_nearest(const cr_volume *v, double x, double y, double z) {
  int i = (int)floor(clampd(x, 0, v->dim[0] - 1) + 0.5);
  int j = (int)floor(clampd(y, 0, v->dim[1] - 1) + 0.5);
  int k = (int)floor(clampd(z, 0, v->dim[2] - 1) + 0.5);
  return v->data[(size_t)i + (size_t)v->dim[0] * ((size_t)j + (size_t)v->dim[1] * k)];
}

// The same trilinear interpolation in single precision with precomputed constants.
static inline float cr_sample_fast(const vol_fast *f, float x, float y, float z) {
  x = x < 0 ? 0 : (x > f->mx ? f->mx : x);
  y = y < 0 ? 0 : (y > f->my ? f->my : y);
  z = z < 0 ? 0 : (z > f->mz ? f->mz : z);
  int i = (int)x, j = (int)y, k = (int)z;
  i = i > f->ix ? f->ix : i, j = j > f->iy ? f->iy : j, k = k > f->iz ? f->iz : k;
  const float fx = x - (float)i, fy = y - (float)j, fz = z - (float)k;
  const float *p = f->data + (size_t)i + (size_t)j * f->row + (size_t)k * f->slice;
  const size_t sx = f->sx, sy = f->sy, sz = f->sz;
  float c00 = p[0] + fx * (p[sx] - p[0]);
  float c10 = p[sy] + fx * (p[sy + sx] - p[sy]);
  float c01 = p[sz] + fx * (p[sz + sx] - p[sz]);
  float c11 = p[sz + sy] + fx * (p[sz + sy + sx] - p[sz + sy]);
  float c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
  return c0 + fz * (c1 - c0);
}

static inline float cr_sample_f(const cr_renderer *r, const float x[3]) {
  return r->p.interp == CR_INTERP_NEAREST ? cr_sample_nearest(r->vol, x[0], x[1], x[2])
                                          : cr_sample_fast(&r->vf, x[0], x[1], x[2]);
}

static inline float cr_sample(const cr_renderer *r, const double x[3]) {
  return r->p.interp == CR_INTERP_NEAREST ? cr_sample_nearest(r->vol, x[0], x[1], x[2])
                                          : cr_sample_fast(&r->vf, (float)x[0], (float)x[1], (float)x[2]);
}

// Brick index of a voxel position (clamped into the grid).
static inline size_t cr_brick_of(const cr_renderer *r, const double x[3], int b[3]) {
  for (int a = 0; a < 3; a++) {
    b[a] = (int)clampd(x[a], 0, r->vol->dim[a] - 1) >> CR_BRICK_SHIFT;
  }
  return (size_t)b[0] + (size_t)r->nb[0] * ((size_t)b[1] + (size_t)r->nb[1] * b[2]);
}

// Ray parameter (mm) where the ray leaves brick b (edge bricks extend to infinity).
double cr_brick_exit(const cr_renderer *r, const ray_t *ray, const int b[3]);

// Trilinear sample of the unsmoothed volume (probe values).
static inline float cr_sample_value(const cr_renderer *r, const double x[3]) {
  return r->p.interp == CR_INTERP_NEAREST ? cr_sample_nearest(r->vol, x[0], x[1], x[2])
                                          : cr_sample_fast(&r->vf_value, (float)x[0], (float)x[1], (float)x[2]);
}

// Gradient of the interpolated surface field at voxel position x, in world coordinates
// (per mm, up to a constant factor), by central differences of one voxel.
void cr_render_gradient(const cr_renderer *r, const double x[3], double g_world[3]);

// Transfer function lookup (linear between LUT entries).
static inline float cr_tf_index(const cr_renderer *r, float v) {
  float f = (v - r->tf_lo) * r->tf_scale;
  return f < 0 ? 0 : (f > CR_TF_LUT ? CR_TF_LUT : f);
}

// A copy of `vol` smoothed by a separable Gaussian of standard deviation sigma_mm
// (in each axis's own voxel units), edges clamped (smooth.c). NULL on lack of memory.
cr_volume *cr_render_smoothed_copy(const cr_volume *vol, double sigma_mm);

// Per-pixel kernels (kernels.c). Each returns the number of samples taken.
long cr_kernel_drr(const cr_renderer *r, const ray_t *ray, float *out);
long cr_kernel_mip(const cr_renderer *r, const ray_t *ray, float *out);
long cr_kernel_volume(const cr_renderer *r, const ray_t *ray, float rgba[4]);

// Surface hit: t (mm) of the refined first crossing of the iso level; returns 1 on a
// hit (t_hit, position in voxels, outward world normal), 0 otherwise.
typedef struct hit_t {
  double t;
  double x[3];      // voxel position
  double n_world[3];// unit outward normal (NaN if the gradient vanishes)
} hit_t;
long cr_kernel_surface(const cr_renderer *r, const ray_t *ray, hit_t *hit, int *found);
long cr_kernel_probe(const cr_renderer *r, const ray_t *ray, const hit_t *hit, float *out);

#endif

#include "core/volume.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_volume *cr_volume_new(int nx, int ny, int nz, const double world_from_voxel[4][4]) {
  if (nx <= 0 || ny <= 0 || nz <= 0) {
    cr_error(CR_EINVAL, "volume size %dx%dx%d has a zero or negative dimension", nx, ny, nz);
    return NULL;
  }
  size_t n = (size_t)nx * ny * nz;
  if (n > ((size_t)1 << 34)) {
    cr_error(CR_EINVAL, "volume size %dx%dx%d is too large", nx, ny, nz);
    return NULL;
  }
  cr_volume *v = calloc(1, sizeof *v);
  if (!v) goto oom;
  v->data = calloc(n, sizeof(float));
  if (!v->data) goto oom;
  v->dim[0] = nx, v->dim[1] = ny, v->dim[2] = nz;
  double I[4][4];
  cr_mat4_identity(I);
  if (cr_volume_set_affine(v, world_from_voxel ? world_from_voxel : (const double(*)[4])I)) {
    cr_volume_free(v);
    return NULL;
  }
  return v;
oom:
  if (v) free(v->data);
  free(v);
  cr_error(CR_ENOMEM, "out of memory for a %dx%dx%d volume", nx, ny, nz);
  return NULL;
}

void cr_volume_free(cr_volume *vol) {
  if (!vol) return;
  free(vol->data);
  free(vol);
}

int cr_volume_set_affine(cr_volume *vol, const double world_from_voxel[4][4]) {
  double inv[4][4];
  if (cr_mat4_affine_inverse(inv, world_from_voxel))
    return cr_error(CR_EINVAL, "voxel-to-world matrix is singular");
  memcpy(vol->world_from_voxel, world_from_voxel, sizeof vol->world_from_voxel);
  memcpy(vol->voxel_from_world, inv, sizeof inv);
  for (int j = 0; j < 3; j++) {
    double c[3] = {world_from_voxel[0][j], world_from_voxel[1][j], world_from_voxel[2][j]};
    vol->spacing[j] = cr_vec3_norm(c);
  }
  return CR_OK;
}

int cr_volume_check_geometry(const cr_volume *vol, const char *path) {
  const char *pre = path ? path : "volume", *sep = ": ";
  const double(*A)[4] = (const double(*)[4])vol->world_from_voxel;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      if (!isfinite(A[i][j]))
        return cr_error(CR_EINVAL, "%s%svoxel-to-world matrix element [%d][%d] = %g is not finite",
                        pre, sep, i, j, A[i][j]);
  double prod = 1;
  for (int c = 0; c < 3; c++) {
    if (!(vol->spacing[c] >= 1e-5 && vol->spacing[c] <= 1e5))
      return cr_error(CR_EINVAL,
                      "%s%svoxel size %g mm along axis %d is out of range (1e-5..1e5 mm)", pre, sep,
                      vol->spacing[c], c + 1);
    if (!(fabs(A[c][3]) <= 1e7))
      return cr_error(CR_EINVAL, "%s%sorigin %g mm (axis %d) is out of range (|x| <= 1e7 mm)", pre,
                      sep, A[c][3], c + 1);
    prod *= vol->spacing[c];
  }
  double L[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) L[i][j] = A[i][j];
  const double skew = fabs(cr_mat3_det(L)) / prod;
  if (!(skew >= 1e-3))
    return cr_error(CR_EINVAL,
                    "%s%svoxel axes are (nearly) parallel: |det| / product of voxel sizes = %g "
                    "(at least 1e-3)",
                    pre, sep, skew);
  return CR_OK;
}

void cr_volume_voxel_to_world(const cr_volume *vol, const double ijk[3], double xyz[3]) {
  cr_mat4_apply_point(xyz, vol->world_from_voxel, ijk);
}

void cr_volume_world_to_voxel(const cr_volume *vol, const double xyz[3], double ijk[3]) {
  cr_mat4_apply_point(ijk, vol->voxel_from_world, xyz);
}

// Clamps a coordinate that lies within half a voxel outside the centre range; returns
// 0 if it is further out.
static inline int clamp_axis(double *x, int n) {
  if (!(*x >= -0.5 && *x <= n - 0.5)) return 0;
  if (*x < 0) *x = 0;
  if (*x > n - 1) *x = n - 1;
  return 1;
}

float cr_volume_sample_linear_ijk(const cr_volume *vol, double i, double j, double k,
                                  float outside) {
  const int nx = vol->dim[0], ny = vol->dim[1], nz = vol->dim[2];
  if (!clamp_axis(&i, nx) || !clamp_axis(&j, ny) || !clamp_axis(&k, nz)) return outside;
  int i0 = (int)i, j0 = (int)j, k0 = (int)k;
  if (i0 > nx - 2) i0 = nx > 1 ? nx - 2 : 0;
  if (j0 > ny - 2) j0 = ny > 1 ? ny - 2 : 0;
  if (k0 > nz - 2) k0 = nz > 1 ? nz - 2 : 0;
  double fx = i - i0, fy = j - j0, fz = k - k0;
  size_t sx = nx > 1, sy = ny > 1 ? (size_t)nx : 0, sz = nz > 1 ? (size_t)nx * ny : 0;
  const float *p = vol->data + cr_volume_index(vol, i0, j0, k0);
  double c00 = p[0] + fx * (p[sx] - p[0]);
  double c10 = p[sy] + fx * (p[sy + sx] - p[sy]);
  double c01 = p[sz] + fx * (p[sz + sx] - p[sz]);
  double c11 = p[sz + sy] + fx * (p[sz + sy + sx] - p[sz + sy]);
  double c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
  return (float)(c0 + fz * (c1 - c0));
}

float cr_volume_sample_nearest_ijk(const cr_volume *vol, double i, double j, double k,
                                   float outside) {
  if (!clamp_axis(&i, vol->dim[0]) || !clamp_axis(&j, vol->dim[1]) || !clamp_axis(&k, vol->dim[2]))
    return outside;
  // Round half up: floor(x + 0.5) is deterministic and cheap.
  int ii = (int)floor(i + 0.5), jj = (int)floor(j + 0.5), kk = (int)floor(k + 0.5);
  if (ii > vol->dim[0] - 1) ii = vol->dim[0] - 1;
  if (jj > vol->dim[1] - 1) jj = vol->dim[1] - 1;
  if (kk > vol->dim[2] - 1) kk = vol->dim[2] - 1;
  return vol->data[cr_volume_index(vol, ii, jj, kk)];
}

float cr_volume_sample_linear(const cr_volume *vol, const double xyz[3], float outside) {
  double ijk[3];
  cr_volume_world_to_voxel(vol, xyz, ijk);
  return cr_volume_sample_linear_ijk(vol, ijk[0], ijk[1], ijk[2], outside);
}

float cr_volume_sample_nearest(const cr_volume *vol, const double xyz[3], float outside) {
  double ijk[3];
  cr_volume_world_to_voxel(vol, xyz, ijk);
  return cr_volume_sample_nearest_ijk(vol, ijk[0], ijk[1], ijk[2], outside);
}

void cr_volume_minmax(const cr_volume *vol, float *min, float *max) {
  float lo = INFINITY, hi = -INFINITY;
  size_t n = cr_volume_count(vol);
  for (size_t i = 0; i < n; i++) {
    float x = vol->data[i];
    if (!isfinite(x)) continue; // NaN (missing) and inf (refused by the reader) ignored
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo > hi) lo = hi = 0;
  *min = lo, *max = hi;
}

int cr_volume_check_contrast(const cr_volume *vol, const char *path) {
  float lo = INFINITY, hi = -INFINITY;
  size_t n = cr_volume_count(vol), finite = 0;
  for (size_t i = 0; i < n; i++) {
    float x = vol->data[i];
    if (!isfinite(x)) continue;
    finite++;
    lo = x < lo ? x : lo, hi = x > hi ? x : hi;
  }
  if (!finite)
    return cr_error(CR_EINVAL, "%s: the volume has no finite voxel (all NaN): nothing to render",
                    path);
  if (!(hi > lo))
    return cr_error(CR_EINVAL,
                    "%s: the volume is constant (every voxel is %g): nothing to render or "
                    "register",
                    path, lo);
  return CR_OK;
}

float cr_volume_otsu_level(const cr_volume *vol) {
  float lo, hi;
  cr_volume_minmax(vol, &lo, &hi);
  if (!(hi > lo)) return lo;
  enum { NB = 256 };
  double hist[NB] = {0};
  const size_t n = cr_volume_count(vol);
  const double scale = NB / ((double)hi - lo);
  for (size_t i = 0; i < n; i++) {
    float v = vol->data[i];
    if (!isfinite(v)) continue;
    int b = (int)(((double)v - lo) * scale); // double: v - lo may overflow a float
    hist[b >= NB ? NB - 1 : b] += 1;
  }
  double total = 0, sum_all = 0;
  for (int b = 0; b < NB; b++) total += hist[b], sum_all += b * hist[b];
  double w0 = 0, sum0 = 0, best = -1;
  int best_b = NB / 2;
  for (int b = 0; b < NB - 1; b++) { // class 0 = bins 0..b
    w0 += hist[b], sum0 += b * hist[b];
    double w1 = total - w0;
    if (w0 <= 0 || w1 <= 0) continue;
    double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) best = between, best_b = b;
  }
  return (float)(lo + (best_b + 1) / scale);
}

static void corner_bounds(const cr_volume *vol, double margin, double lo[3], double hi[3]) {
  for (int a = 0; a < 3; a++) lo[a] = INFINITY, hi[a] = -INFINITY;
  for (int c = 0; c < 8; c++) {
    double ijk[3] = {(c & 1) ? vol->dim[0] - 1 + margin : -margin,
                     (c & 2) ? vol->dim[1] - 1 + margin : -margin,
                     (c & 4) ? vol->dim[2] - 1 + margin : -margin},
           xyz[3];
    cr_volume_voxel_to_world(vol, ijk, xyz);
    for (int a = 0; a < 3; a++) lo[a] = fmin(lo[a], xyz[a]), hi[a] = fmax(hi[a], xyz[a]);
  }
}

void cr_volume_world_bounds(const cr_volume *vol, double lo[3], double hi[3]) {
  corner_bounds(vol, 0.5, lo, hi);
}

void cr_volume_centre_bounds(const cr_volume *vol, double lo[3], double hi[3]) {
  corner_bounds(vol, 0.0, lo, hi);
}

void cr_volume_orientation(const cr_volume *vol, char code[8]) {
  static const char pos[3] = {'R', 'A', 'S'}, neg[3] = {'L', 'P', 'I'};
  int used[3] = {0, 0, 0};
  for (int j = 0; j < 3; j++) {
    double c[3] = {vol->world_from_voxel[0][j], vol->world_from_voxel[1][j],
                   vol->world_from_voxel[2][j]};
    cr_vec3_normalize(c);
    int best = 0;
    for (int a = 1; a < 3; a++)
      if (fabs(c[a]) > fabs(c[best])) best = a;
    // cos(1e-4 rad) ~ 1 - 5e-9: anything less aligned is called oblique.
    if (fabs(c[best]) < 1 - 5e-9 || used[best]) {
      strcpy(code, "oblique");
      return;
    }
    used[best] = 1;
    code[j] = c[best] > 0 ? pos[best] : neg[best];
  }
  code[3] = '\0';
}

// The forward model of one scan: its voxels' point-spread functions sampled on a fine
// grid in the scan's voxel frame, each sample a trilinear interpolation of the output
// grid; and its exact adjoint (the same weights, scattered), for least squares.
#include "recon/internal.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FWHM_TO_SIGMA 0.42466090014400953 // 1 / (2 sqrt(2 ln 2))

static int axis_list_init(fz_axis_list *l, int n, int r, int T, const float *w) {
  int nf = (n - 1) * r + T;
  l->start = calloc((size_t)nf + 1, sizeof *l->start);
  l->m = malloc(((size_t)n * T + 1) * sizeof *l->m);
  l->w = malloc(((size_t)n * T + 1) * sizeof *l->w);
  if (!l->start || !l->m || !l->w) return CR_ENOMEM;
  int e = 0;
  for (int p = 0; p < nf; p++) {
    l->start[p] = e;
    // m r + j = p with 0 <= j < T, 0 <= m < n; m descending keeps j ascending.
    int mlo = p - T + 1 <= 0 ? 0 : (p - T + 1 + r - 1) / r, mhi = p / r < n - 1 ? p / r : n - 1;
    for (int mm = mlo; mm <= mhi; mm++) l->m[e] = mm, l->w[e] = w[p - mm * r], e++;
  }
  l->start[nf] = e;
  return 0;
}

void fz_model_set_motion(fz_model *m, const cr_volume *hr, const double motion[4][4]) {
  double S[4][4] = {{0}}, A[4][4], B[4][4];
  for (int a = 0; a < 3; a++) S[a][a] = 1.0 / m->r[a], S[a][3] = -(m->T[a] - 1) / (2.0 * m->r[a]);
  S[3][3] = 1;
  cr_mat4_mul(A, m->scan->world_from_voxel, S);
  if (motion) {
    cr_mat4_mul(B, motion, A);
    memcpy(A, B, sizeof A);
  }
  cr_mat4_mul(B, hr->voxel_from_world, A);
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 4; c++) m->hr_from_fine[a][c] = B[a][c];
  // Chunks of fine k-slices two apart touch disjoint output voxels: the k index changes
  // by |row 2 of fine_from_hr|_1 per output voxel step, and a trilinear stencil spans 2.
  double M3[3][3], inv[3][3];
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 3; c++) M3[a][c] = B[a][c];
  double l1 = 1e9;
  if (cr_mat3_inverse(inv, M3) == 0) l1 = fabs(inv[2][0]) + fabs(inv[2][1]) + fabs(inv[2][2]);
  double wk = ceil(2 * l1 + 1e-9);
  m->chunk = wk < 1 ? 1 : wk > m->nf[2] ? m->nf[2] : (int)wk;
  // Aligned: every column of the 3x3 part is +-1 on one output axis, 0 on the others.
  int used[3] = {0, 0, 0};
  m->aligned = 1;
  for (int c = 0; c < 3 && m->aligned; c++) {
    int ax = -1;
    for (int a = 0; a < 3; a++)
      if (fabs(B[a][c]) > 1e-9) ax = ax < 0 ? a : 3;
    if (ax < 0 || ax > 2 || used[ax] || fabs(fabs(B[ax][c]) - 1) > 1e-9) {
      m->aligned = 0;
      break;
    }
    used[ax] = 1, m->hr_axis[c] = ax, m->sign[c] = B[ax][c] > 0 ? 1 : -1;
  }
  if (!m->aligned) return;
  long stride[3] = {1, hr->dim[0], (long)hr->dim[0] * hr->dim[1]};
  double frac[3];
  for (int a = 0; a < 3; a++) m->base[a] = floor(B[a][3] + 1e-9), frac[a] = B[a][3] - m->base[a];
  for (int a = 0; a < 3; a++)
    if (frac[a] < 1e-9) frac[a] = 0;
  for (int c = 0; c < 3; c++) m->step[c] = m->sign[c] * stride[m->hr_axis[c]];
  m->ncorner = 0;
  for (int c = 0; c < 8; c++) {
    int hi[3] = {c & 1, (c >> 1) & 1, c >> 2};
    double w = 1;
    for (int a = 0; a < 3; a++) w *= hi[a] ? frac[a] : 1 - frac[a];
    if (w < 1e-12) continue;
    int k = m->ncorner++;
    m->corner_w[k] = (float)w;
    m->corner_off[k] = hi[0] * stride[0] + hi[1] * stride[1] + hi[2] * stride[2];
    for (int a = 0; a < 3; a++) m->corner_hi[k][a] = hi[a];
  }
}

// Aligned case: the output index (per output axis) of the floor corner of fine point p.
static inline void aligned_index(const fz_model *m, int p0, int p1, int p2, long q[3]) {
  int p[3] = {p0, p1, p2};
  for (int a = 0; a < 3; a++) q[a] = (long)m->base[a];
  for (int c = 0; c < 3; c++) q[m->hr_axis[c]] += (long)m->sign[c] * p[c];
}

// Aligned case, one fine row (p1, p2): the range [*lo, *hi) of p0 whose non-zero corners
// are all inside the output grid, and the floor-corner array index of p0 = 0.
static void aligned_row(const fz_model *m, const int *D, int p1, int p2, int *lo, int *hi,
                        long *index0) {
  long q[3];
  aligned_index(m, 0, p1, p2, q);
  const long stride[3] = {1, D[0], (long)D[0] * D[1]};
  *index0 = q[0] * stride[0] + q[1] * stride[1] + q[2] * stride[2];
  int a0 = m->hr_axis[0], ok = 1;
  int need[3] = {0, 0, 0}; // the +1 neighbour is used along that axis
  for (int k = 0; k < m->ncorner; k++)
    for (int a = 0; a < 3; a++) need[a] |= m->corner_hi[k][a];
  for (int a = 0; a < 3 && ok; a++)
    if (a != a0) ok = q[a] >= 0 && q[a] + need[a] < D[a];
  if (!ok) {
    *lo = *hi = 0;
    return;
  }
  // Along a0: q = q0 + sign p0 must lie in [0, D - 1 - need].
  long q0 = q[a0], top = D[a0] - 1 - need[a0];
  long l, h;
  if (m->sign[0] > 0)
    l = -q0, h = top - q0;
  else
    l = q0 - top, h = q0;
  if (l < 0) l = 0;
  if (h > m->nf[0] - 1) h = m->nf[0] - 1;
  *lo = (int)l, *hi = h >= l ? (int)h + 1 : (int)l;
}

// Whether all non-zero corners of the floor corner q are inside the output grid.
static inline int aligned_inside(const fz_model *m, const int *D, const long q[3]) {
  for (int k = 0; k < m->ncorner; k++)
    for (int a = 0; a < 3; a++) {
      long v = q[a] + m->corner_hi[k][a];
      if (v < 0 || v >= D[a]) return 0;
    }
  return 1;
}

int fz_model_init(fz_model *m, const cr_volume *scan, const cr_volume *hr, double fwhm_factor) {
  memset(m, 0, sizeof *m);
  m->scan = scan;
  double h = fmin(hr->spacing[0], fmin(hr->spacing[1], hr->spacing[2]));
  double smin = fmin(scan->spacing[0], fmin(scan->spacing[1], scan->spacing[2]));
  int sa = 0;
  for (int a = 1; a < 3; a++)
    if (scan->spacing[a] > scan->spacing[sa]) sa = a;
  m->slice_axis = scan->spacing[sa] > 1.01 * smin ? sa : -1;
  for (int a = 0; a < 3; a++) {
    m->n[a] = scan->dim[a];
    double s = scan->spacing[a];
    int r = (int)ceil(s / h - 1e-6);
    m->r[a] = r < 1 ? 1 : r > 64 ? 64 : r;
    if (a == m->slice_axis) {
      // Gaussian slice profile sampled every s / r out to 3 sigma.
      double sig = fwhm_factor * s * FWHM_TO_SIGMA / s; // in scan voxels
      int J = (int)ceil(3 * sig * m->r[a]);
      m->T[a] = 2 * J + 1;
      m->fwhm_mm = fwhm_factor * s;
      m->w[a] = malloc(sizeof(float) * m->T[a]);
      if (!m->w[a]) return CR_ENOMEM;
      double sum = 0;
      for (int j = 0; j < m->T[a]; j++) sum += exp(-0.5 * pow((j - J) / (m->r[a] * sig), 2));
      for (int j = 0; j < m->T[a]; j++)
        m->w[a][j] = (float)(exp(-0.5 * pow((j - J) / (m->r[a] * sig), 2)) / sum);
    } else {
      // The voxel's box, sampled at r points.
      m->T[a] = m->r[a];
      m->w[a] = malloc(sizeof(float) * m->T[a]);
      if (!m->w[a]) return CR_ENOMEM;
      for (int j = 0; j < m->T[a]; j++) m->w[a][j] = 1.0f / m->r[a];
    }
    m->nf[a] = (m->n[a] - 1) * m->r[a] + m->T[a];
    if (axis_list_init(&m->list[a], m->n[a], m->r[a], m->T[a], m->w[a])) return CR_ENOMEM;
  }
  fz_model_set_motion(m, hr, NULL);
  return 0;
}

void fz_model_free(fz_model *m) {
  for (int a = 0; a < 3; a++) {
    free(m->w[a]);
    free(m->list[a].start), free(m->list[a].m), free(m->list[a].w);
  }
  memset(m, 0, sizeof *m);
}

// Trilinear interpolation of the output grid at continuous index (x, y, z); 0 outside.
// Up to half a voxel beyond the outer voxel centres the edge value extends (as in
// cr_volume_sample_linear); the scan voxels whose PSF reaches further are left out of
// the data term (fz_model.valid), so nothing else is ever sampled.
static inline double clamp_half(double x, int n) {
  return x < 0 && x >= -0.5 ? 0 : x > n - 1 && x <= n - 0.5 ? n - 1 : x;
}

static inline float gather(const float *f, const int *D, double x, double y, double z) {
  x = clamp_half(x, D[0]), y = clamp_half(y, D[1]), z = clamp_half(z, D[2]);
  if (!(x > -1 && y > -1 && z > -1 && x < D[0] && y < D[1] && z < D[2])) return 0;
  double fx = floor(x), fy = floor(y), fz = floor(z);
  int i = (int)fx, j = (int)fy, k = (int)fz;
  float ax = (float)(x - fx), ay = (float)(y - fy), az = (float)(z - fz);
  size_t sx = 1, sy = (size_t)D[0], sz = (size_t)D[0] * D[1];
  if (i >= 0 && j >= 0 && k >= 0 && i + 1 < D[0] && j + 1 < D[1] && k + 1 < D[2]) {
    const float *p = f + i + sy * j + sz * k;
    float c00 = p[0] + ax * (p[sx] - p[0]), c10 = p[sy] + ax * (p[sy + sx] - p[sy]);
    float c01 = p[sz] + ax * (p[sz + sx] - p[sz]),
          c11 = p[sz + sy] + ax * (p[sz + sy + sx] - p[sz + sy]);
    float c0 = c00 + ay * (c10 - c00), c1 = c01 + ay * (c11 - c01);
    return c0 + az * (c1 - c0);
  }
  float v = 0;
  for (int c = 0; c < 8; c++) {
    int ii = i + (c & 1), jj = j + ((c >> 1) & 1), kk = k + (c >> 2);
    if (ii < 0 || jj < 0 || kk < 0 || ii >= D[0] || jj >= D[1] || kk >= D[2]) continue;
    float wgt = ((c & 1) ? ax : 1 - ax) * (((c >> 1) & 1) ? ay : 1 - ay) * ((c >> 2) ? az : 1 - az);
    v += wgt * f[ii + sy * jj + sz * kk];
  }
  return v;
}

// The adjoint of gather: adds val times the trilinear weights.
static inline void scatter(float *f, const int *D, double x, double y, double z, float val) {
  x = clamp_half(x, D[0]), y = clamp_half(y, D[1]), z = clamp_half(z, D[2]);
  if (!(x > -1 && y > -1 && z > -1 && x < D[0] && y < D[1] && z < D[2]) || val == 0) return;
  double fx = floor(x), fy = floor(y), fz = floor(z);
  int i = (int)fx, j = (int)fy, k = (int)fz;
  float ax = (float)(x - fx), ay = (float)(y - fy), az = (float)(z - fz);
  size_t sy = (size_t)D[0], sz = (size_t)D[0] * D[1];
  for (int c = 0; c < 8; c++) {
    int ii = i + (c & 1), jj = j + ((c >> 1) & 1), kk = k + (c >> 2);
    if (ii < 0 || jj < 0 || kk < 0 || ii >= D[0] || jj >= D[1] || kk >= D[2]) continue;
    float wgt = ((c & 1) ? ax : 1 - ax) * (((c >> 1) & 1) ? ay : 1 - ay) * ((c >> 2) ? az : 1 - az);
    f[ii + sy * jj + sz * kk] += wgt * val;
  }
}

void fz_forward(const fz_model *m, const cr_volume *hr, float *fine, float *y) {
  const int *nf = m->nf, *D = hr->dim;
  const double(*M)[4] = m->hr_from_fine;
#pragma omp parallel for schedule(static)
  for (int p2 = 0; p2 < nf[2]; p2++)
    for (int p1 = 0; p1 < nf[1]; p1++) {
      if (m->aligned) {
        float *row = fine + (size_t)nf[0] * (p1 + (size_t)nf[1] * p2);
        int lo, hi;
        long idx0;
        aligned_row(m, D, p1, p2, &lo, &hi, &idx0);
        for (int p0 = 0; p0 < nf[0]; p0++) {
          if (p0 >= lo && p0 < hi) {
            const float *f = hr->data + idx0 + m->step[0] * p0;
            float v = 0;
            for (int k = 0; k < m->ncorner; k++) v += m->corner_w[k] * f[m->corner_off[k]];
            row[p0] = v;
          } else {
            row[p0] = gather(hr->data, D, M[0][0] * p0 + M[0][1] * p1 + M[0][2] * p2 + M[0][3],
                             M[1][0] * p0 + M[1][1] * p1 + M[1][2] * p2 + M[1][3],
                             M[2][0] * p0 + M[2][1] * p1 + M[2][2] * p2 + M[2][3]);
          }
        }
        continue;
      }
      double x = M[0][1] * p1 + M[0][2] * p2 + M[0][3], yy = M[1][1] * p1 + M[1][2] * p2 + M[1][3],
             z = M[2][1] * p1 + M[2][2] * p2 + M[2][3];
      float *row = fine + (size_t)nf[0] * (p1 + (size_t)nf[1] * p2);
      for (int p0 = 0; p0 < nf[0]; p0++)
        row[p0] = gather(hr->data, D, x + M[0][0] * p0, yy + M[1][0] * p0, z + M[2][0] * p0);
    }
  const int *n = m->n, *r = m->r, *T = m->T;
  int ident0 = r[0] == 1 && T[0] == 1; // axis 0 not oversampled: rows add up directly
#pragma omp parallel for schedule(static)
  for (int k = 0; k < n[2]; k++)
    for (int j = 0; j < n[1]; j++) {
      float *yr = y + (size_t)n[0] * ((size_t)j + (size_t)n[1] * k);
      for (int i = 0; i < n[0]; i++) yr[i] = 0;
      for (int t2 = 0; t2 < T[2]; t2++)
        for (int t1 = 0; t1 < T[1]; t1++) {
          const float *row = fine + (size_t)nf[0] * ((size_t)(j * r[1] + t1) +
                                                     (size_t)nf[1] * (size_t)(k * r[2] + t2));
          float wt = m->w[2][t2] * m->w[1][t1];
          if (ident0) {
            for (int i = 0; i < n[0]; i++) yr[i] += wt * row[i];
          } else {
            for (int i = 0; i < n[0]; i++) {
              float s0 = 0;
              for (int t0 = 0; t0 < T[0]; t0++) s0 += m->w[0][t0] * row[(size_t)i * r[0] + t0];
              yr[i] += wt * s0;
            }
          }
        }
    }
}

void fz_adjoint_add(const fz_model *m, const float *y, float *fine, cr_volume *hr) {
  const int *nf = m->nf, *n = m->n, *D = hr->dim;
  const fz_axis_list *L = m->list;
  int ident0 = m->r[0] == 1 && m->T[0] == 1;
#pragma omp parallel for schedule(static)
  for (int p2 = 0; p2 < nf[2]; p2++)
    for (int p1 = 0; p1 < nf[1]; p1++) {
      float *row = fine + (size_t)nf[0] * (p1 + (size_t)nf[1] * p2);
      for (int p0 = 0; p0 < nf[0]; p0++) row[p0] = 0;
      for (int e2 = L[2].start[p2]; e2 < L[2].start[p2 + 1]; e2++)
        for (int e1 = L[1].start[p1]; e1 < L[1].start[p1 + 1]; e1++) {
          const float *yr = y + (size_t)n[0] * ((size_t)L[1].m[e1] + (size_t)n[1] * L[2].m[e2]);
          float wt = L[2].w[e2] * L[1].w[e1];
          if (ident0) {
            for (int p0 = 0; p0 < nf[0]; p0++) row[p0] += wt * yr[p0];
          } else {
            for (int p0 = 0; p0 < nf[0]; p0++) {
              float s0 = 0;
              for (int e0 = L[0].start[p0]; e0 < L[0].start[p0 + 1]; e0++)
                s0 += L[0].w[e0] * yr[L[0].m[e0]];
              row[p0] += wt * s0;
            }
          }
        }
    }
  // Scatter in two passes of every other chunk: chunks of one pass touch disjoint
  // output voxels, so no two threads write one voxel and the sums' order is fixed.
  const double(*M)[4] = m->hr_from_fine;
  int nchunk = (nf[2] + m->chunk - 1) / m->chunk;
  for (int pass = 0; pass < 2; pass++) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = pass; c < nchunk; c += 2)
      for (int p2 = c * m->chunk; p2 < (c + 1) * m->chunk && p2 < nf[2]; p2++)
        for (int p1 = 0; p1 < nf[1]; p1++) {
          double x = M[0][1] * p1 + M[0][2] * p2 + M[0][3],
                 yy = M[1][1] * p1 + M[1][2] * p2 + M[1][3],
                 z = M[2][1] * p1 + M[2][2] * p2 + M[2][3];
          const float *row = fine + (size_t)nf[0] * (p1 + (size_t)nf[1] * p2);
          int lo = 0, hi = 0;
          long idx0 = 0;
          if (m->aligned) aligned_row(m, D, p1, p2, &lo, &hi, &idx0);
          for (int p0 = 0; p0 < nf[0]; p0++) {
            if (p0 >= lo && p0 < hi) {
              float *f = hr->data + idx0 + m->step[0] * p0;
              for (int k = 0; k < m->ncorner; k++) f[m->corner_off[k]] += m->corner_w[k] * row[p0];
            } else {
              scatter(hr->data, D, x + M[0][0] * p0, yy + M[1][0] * p0, z + M[2][0] * p0, row[p0]);
            }
          }
        }
  }
}

int fz_voxel_valid(const fz_model *m, const int *D, int i, int j, int k) {
  const double(*M)[4] = m->hr_from_fine;
  for (int c = 0; c < 8; c++) {
    double p[3] = {(double)i * m->r[0] + ((c & 1) ? m->T[0] - 1 : 0),
                   (double)j * m->r[1] + (((c >> 1) & 1) ? m->T[1] - 1 : 0),
                   (double)k * m->r[2] + ((c >> 2) ? m->T[2] - 1 : 0)};
    for (int a = 0; a < 3; a++) {
      double q = M[a][0] * p[0] + M[a][1] * p[1] + M[a][2] * p[2] + M[a][3];
      if (!(q >= -0.5 - 1e-9 && q <= D[a] - 0.5 + 1e-9)) return 0;
    }
  }
  return 1;
}

double fz_sample_voxel(const fz_model *m, const cr_volume *hr, int i, int j, int k) {
  const double(*M)[4] = m->hr_from_fine;
  if (!fz_voxel_valid(m, hr->dim, i, j, k)) return NAN;
  double s = 0;
  for (int t2 = 0; t2 < m->T[2]; t2++)
    for (int t1 = 0; t1 < m->T[1]; t1++)
      for (int t0 = 0; t0 < m->T[0]; t0++) {
        double p[3] = {(double)i * m->r[0] + t0, (double)j * m->r[1] + t1,
                       (double)k * m->r[2] + t2};
        double q[3];
        for (int a = 0; a < 3; a++)
          q[a] = M[a][0] * p[0] + M[a][1] * p[1] + M[a][2] * p[2] + M[a][3];
        s += m->w[0][t0] * m->w[1][t1] * m->w[2][t2] * gather(hr->data, hr->dim, q[0], q[1], q[2]);
      }
  return s;
}

double fz_dot(const float *a, const float *b, size_t n) {
  enum { BLOCK = 65536 };
  size_t nb = (n + BLOCK - 1) / BLOCK;
  double *part = malloc((nb + 1) * sizeof *part), total = 0;
  if (!part) { // no memory for the partial sums: the same blocks, one after the other
    for (size_t bI = 0; bI < nb; bI++) {
      double s = 0;
      size_t end = (bI + 1) * BLOCK < n ? (bI + 1) * BLOCK : n;
      for (size_t i = bI * BLOCK; i < end; i++) s += (double)a[i] * b[i];
      total += s;
    }
    return total;
  }
#pragma omp parallel for schedule(static)
  for (size_t bI = 0; bI < nb; bI++) {
    double s = 0;
    size_t end = (bI + 1) * BLOCK < n ? (bI + 1) * BLOCK : n;
    for (size_t i = bI * BLOCK; i < end; i++) s += (double)a[i] * b[i];
    part[bI] = s;
  }
  for (size_t bI = 0; bI < nb; bI++) total += part[bI];
  free(part);
  return total;
}

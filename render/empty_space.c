// Empty-space skipping for the ray modes: min/max per brick of 8^3 voxels, the mode's
// verdict on each brick (its cr_ray_mode.skippable), macro bricks of 4^3 bricks, the
// Chebyshev distance to the nearest brick not skipped, and the box around those bricks.
#include "render/internal.h"

#include "core/error.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

// Min and max over the voxels [8b-1, 8b+9] per axis: every voxel a trilinear or
// nearest sample at a position inside the brick can touch, with a margin of one voxel.
static void brick_range(const cr_volume *v, const int b[3], float *mn, float *mx) {
  int lo[3], hi[3];
  for (int a = 0; a < 3; a++) {
    lo[a] = (b[a] << CR_BRICK_SHIFT) - 1;
    hi[a] = (b[a] << CR_BRICK_SHIFT) + (1 << CR_BRICK_SHIFT) + 1;
    if (lo[a] < 0) lo[a] = 0;
    if (hi[a] > v->dim[a] - 1) hi[a] = v->dim[a] - 1;
  }
  float m0 = FLT_MAX, m1 = -FLT_MAX;
  for (int k = lo[2]; k <= hi[2]; k++)
    for (int j = lo[1]; j <= hi[1]; j++) {
      const float *row = v->data + cr_volume_index(v, 0, j, k);
      for (int i = lo[0]; i <= hi[0]; i++) {
        float x = row[i];
        if (x < m0) m0 = x;
        if (x > m1) m1 = x;
      }
    }
  *mn = m0, *mx = m1;
}

// Macro bricks (4^3 bricks): skip flag and max over their bricks.
static int make_macro(cr_raycaster *r) {
  const int d = CR_MACRO_SHIFT - CR_BRICK_SHIFT;
  for (int a = 0; a < 3; a++) r->nm[a] = ((r->nb[a] - 1) >> d) + 1;
  size_t nm = (size_t)r->nm[0] * r->nm[1] * r->nm[2];
  r->mmax = malloc(nm * sizeof *r->mmax);
  r->mskip = malloc(nm);
  if (!r->mmax || !r->mskip)
    return cr_error(CR_ENOMEM, "render: out of memory for %zu macro bricks", nm);
  for (size_t q = 0; q < nm; q++) r->mmax[q] = -FLT_MAX, r->mskip[q] = 1;
  for (int k = 0; k < r->nb[2]; k++)
    for (int j = 0; j < r->nb[1]; j++)
      for (int i = 0; i < r->nb[0]; i++) {
        size_t b = (size_t)i + (size_t)r->nb[0] * ((size_t)j + (size_t)r->nb[1] * k);
        size_t m =
            (size_t)(i >> d) + (size_t)r->nm[0] * ((size_t)(j >> d) + (size_t)r->nm[1] * (k >> d));
        if (r->bmax[b] > r->mmax[m]) r->mmax[m] = r->bmax[b];
        r->mskip[m] &= r->skip[b];
      }
  return 0;
}

// Empty-space distance: edist[b] = Chebyshev distance in bricks from b to the nearest
// brick that is not skipped (0 for those), capped at CR_EDIST_CAP; every brick within
// edist[b] - 1 of b is skipped. Dilation passes over the 26-neighbourhood.
#define CR_EDIST_CAP 8
static int make_edist(cr_raycaster *r) {
  const int nx = r->nb[0], ny = r->nb[1], nz = r->nb[2];
  const size_t nb = (size_t)nx * ny * nz;
  uint8_t *e = malloc(nb);
  if (!e) return cr_error(CR_ENOMEM, "render: out of memory for %zu bricks", nb);
  for (size_t q = 0; q < nb; q++) e[q] = r->skip[q] ? 255 : 0;
  for (int d = 1; d < CR_EDIST_CAP; d++)
    for (int k = 0; k < nz; k++)
      for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
          uint8_t *c = e + (size_t)i + (size_t)nx * ((size_t)j + (size_t)ny * k);
          if (*c != 255) continue;
          int near = 0;
          for (int c2 = k > 0 ? k - 1 : 0; c2 <= k + 1 && c2 < nz && !near; c2++)
            for (int c1 = j > 0 ? j - 1 : 0; c1 <= j + 1 && c1 < ny && !near; c1++)
              for (int c0 = i > 0 ? i - 1 : 0; c0 <= i + 1 && c0 < nx; c0++)
                if (e[(size_t)c0 + (size_t)nx * ((size_t)c1 + (size_t)ny * c2)] == d - 1) near = 1;
          if (near) *c = (uint8_t)d;
        }
  for (size_t q = 0; q < nb; q++)
    if (e[q] == 255) e[q] = CR_EDIST_CAP;
  r->edist = e;
  return 0;
}

int cr_ray_make_bricks(cr_raycaster *r) {
  const cr_volume *v = r->surf;
  for (int a = 0; a < 3; a++) r->nb[a] = ((v->dim[a] - 1) >> CR_BRICK_SHIFT) + 1;
  size_t nb = (size_t)r->nb[0] * r->nb[1] * r->nb[2];
  r->bmax = malloc(nb * sizeof *r->bmax);
  r->skip = malloc(nb);
  r->inner = malloc(nb);
  if (!r->bmax || !r->skip || !r->inner)
    return cr_error(CR_ENOMEM, "render: out of memory for %zu bricks", nb);
  const int nbx = r->nb[0], nby = r->nb[1];
  int (*const skippable)(const cr_raycaster *, float, float) = r->kind->skippable;
  float (*const brick_max)(const cr_raycaster *, float) = r->kind->brick_max;
#pragma omp parallel for schedule(dynamic, 16)
  for (long q = 0; q < (long)nb; q++) {
    int b[3] = {(int)(q % nbx), (int)((q / nbx) % nby), (int)(q / ((long)nbx * nby))};
    float mn, mx;
    brick_range(v, b, &mn, &mx);
    r->skip[q] = (uint8_t)(skippable && skippable(r, mn, mx));
    r->inner[q] = b[0] >= 1 && b[0] <= nbx - 3 && b[1] >= 1 && b[1] <= nby - 3 && b[2] >= 1 &&
                  b[2] <= r->nb[2] - 3;
    r->bmax[q] = brick_max ? brick_max(r, mx) : mx;
  }
  // the box around the bricks not skipped, one voxel wider than their extent (samples
  // are assigned to bricks up to rounding): rays are clipped to it before any walk
  int bl[3] = {INT32_MAX, INT32_MAX, INT32_MAX}, bh[3] = {-1, -1, -1};
  for (long q = 0; q < (long)nb; q++) {
    if (r->skip[q]) continue;
    const int b[3] = {(int)(q % nbx), (int)((q / nbx) % nby), (int)(q / ((long)nbx * nby))};
    for (int a = 0; a < 3; a++) {
      if (b[a] < bl[a]) bl[a] = b[a];
      if (b[a] > bh[a]) bh[a] = b[a];
    }
  }
  for (int a = 0; a < 3; a++) {
    r->active_lo[a] = bh[a] < 0 ? 1.0 : (double)(bl[a] << CR_BRICK_SHIFT) - 1.0;
    r->active_hi[a] = bh[a] < 0 ? 0.0 : (double)((bh[a] + 1) << CR_BRICK_SHIFT) + 1.0;
  }
  return make_macro(r) ? CR_ENOMEM : make_edist(r);
}

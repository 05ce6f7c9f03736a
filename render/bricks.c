// The bricked copy of a volume behind the fast trilinear sampler (see vol_fast in
// internal.h): 8^3 cells per brick with a one-voxel apron, so a ray segment inside a
// brick reads one contiguous 2.9 KB block instead of rows and slices megabytes apart.
#include "render/internal.h"

#include "core/error.h"

#include <stdlib.h>

static void make_offsets(size_t *o, int n, size_t brick_stride, size_t voxel_stride) {
  for (int i = 0; i < n; i++)
    o[i] = (size_t)(i >> CR_DATA_SHIFT) * brick_stride +
           (size_t)(i & ((1 << CR_DATA_SHIFT) - 1)) * voxel_stride;
}

int cr_vol_fast_make(vol_fast *f, const cr_volume *vol) {
  const int nx = vol->dim[0], ny = vol->dim[1], nz = vol->dim[2];
  const int bx = ((nx - 1) >> CR_DATA_SHIFT) + 1, by = ((ny - 1) >> CR_DATA_SHIFT) + 1;
  const int bz = ((nz - 1) >> CR_DATA_SHIFT) + 1;
  const size_t nb = (size_t)bx * by * bz;
  f->data = malloc(nb * CR_BVOX * sizeof *f->data);
  f->ox = malloc(((size_t)nx + ny + nz) * sizeof *f->ox);
  if (!f->data || !f->ox) {
    cr_vol_fast_free(f);
    return cr_error(CR_ENOMEM, "render: out of memory for the bricked volume (%zu bricks)", nb);
  }
  f->oy = f->ox + nx, f->oz = f->oy + ny;
  make_offsets(f->ox, nx, CR_BVOX, 1);
  make_offsets(f->oy, ny, (size_t)bx * CR_BVOX, CR_BA);
  make_offsets(f->oz, nz, (size_t)bx * by * CR_BVOX, (size_t)CR_BA * CR_BA);
  f->mx = (float)(nx - 1), f->my = (float)(ny - 1), f->mz = (float)(nz - 1);
  f->ix = nx > 1 ? nx - 2 : 0, f->iy = ny > 1 ? ny - 2 : 0, f->iz = nz > 1 ? nz - 2 : 0;
  const float *src = vol->data;
  float *dst = f->data;
#pragma omp parallel for schedule(static)
  for (long q = 0; q < (long)nb; q++) {
    const int b0 = (int)(q % bx) << CR_DATA_SHIFT, b1 = (int)((q / bx) % by) << CR_DATA_SHIFT;
    const int b2 = (int)(q / ((long)bx * by)) << CR_DATA_SHIFT;
    float *d = dst + (size_t)q * CR_BVOX;
    for (int c = 0; c < CR_BA; c++) {
      const int k = b2 + c < nz ? b2 + c : nz - 1; // past the grid: the edge value
      for (int b = 0; b < CR_BA; b++) {
        const int j = b1 + b < ny ? b1 + b : ny - 1;
        const float *row = src + (size_t)nx * ((size_t)j + (size_t)ny * k);
        for (int a = 0; a < CR_BA; a++) *d++ = row[b0 + a < nx ? b0 + a : nx - 1];
      }
    }
  }
  return 0;
}

void cr_vol_fast_free(vol_fast *f) {
  free(f->data);
  free(f->ox);
  f->data = NULL, f->ox = f->oy = f->oz = NULL;
}

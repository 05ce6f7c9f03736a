// Gaussian smoothing of the field whose isosurface the surface and probe modes find.
// Skull-stripped MRIs are cut by a binary mask; without smoothing their isosurface
// follows the voxel staircase and shading shows terraces.
#include "render/internal.h"

#include "core/error.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RADIUS 32

// Convolves every line of the volume along `axis` with the symmetric kernel w[0..radius];
// clamped edges keep the volume's extent. `work` holds one padded line per thread.
static void smooth_axis(float *data, const int dim[3], int axis, const float *w, int radius,
                        float *work, size_t work_len) {
  const size_t stride = axis == 0 ? 1 : axis == 1 ? (size_t)dim[0] : (size_t)dim[0] * dim[1];
  const int n = dim[axis];
  const int other1 = axis == 0 ? dim[1] : dim[0], other2 = axis == 2 ? dim[1] : dim[2];
#pragma omp parallel
  {
    float *line = work + (size_t)omp_get_thread_num() * work_len;
#pragma omp for schedule(static)
    for (long q = 0; q < (long)other1 * other2; q++) {
      int a = (int)(q % other1), b = (int)(q / other1);
      size_t base;
      if (axis == 0)
        base = (size_t)dim[0] * ((size_t)a + (size_t)dim[1] * b);
      else if (axis == 1)
        base = (size_t)a + (size_t)dim[0] * dim[1] * b;
      else
        base = (size_t)a + (size_t)dim[0] * b;
      float *p = data + base;
      for (int i = -radius; i < n + radius; i++) {
        int c = i < 0 ? 0 : i >= n ? n - 1 : i;
        line[i + radius] = p[(size_t)c * stride];
      }
      for (int i = 0; i < n; i++) {
        const float *l = line + i + radius;
        float acc = w[0] * l[0];
        for (int k = 1; k <= radius; k++) acc += w[k] * (l[k] + l[-k]);
        p[(size_t)i * stride] = acc;
      }
    }
  }
}

cr_volume *cr_render_smoothed_copy(const cr_volume *vol, double sigma_mm) {
  cr_volume *s = cr_volume_new(vol->dim[0], vol->dim[1], vol->dim[2], vol->world_from_voxel);
  if (!s) return NULL;
  memcpy(s->data, vol->data, sizeof(float) * cr_volume_count(vol));
  int nmax = vol->dim[0] > vol->dim[1] ? vol->dim[0] : vol->dim[1];
  nmax = nmax > vol->dim[2] ? nmax : vol->dim[2];
  size_t work_len = (size_t)nmax + 2 * MAX_RADIUS;
  float *work = malloc(sizeof(float) * work_len * (size_t)omp_get_max_threads());
  if (!work) {
    cr_volume_free(s);
    cr_error(CR_ENOMEM, "render: out of memory for smoothing");
    return NULL;
  }
  for (int a = 0; a < 3; a++) {
    double sigma = sigma_mm / vol->spacing[a];
    if (!(sigma >= 0.2) || vol->dim[a] < 2) continue; // narrower than a voxel: nothing to do
    // Clamped as a double: a tiny voxel size makes sigma huge, and its int cast overflow.
    int radius = (int)fmin(ceil(3 * sigma), MAX_RADIUS);
    float w[MAX_RADIUS + 1];
    double sum = 0;
    for (int k = 0; k <= radius; k++) sum += (k ? 2 : 1) * exp(-0.5 * k * k / (sigma * sigma));
    for (int k = 0; k <= radius; k++) w[k] = (float)(exp(-0.5 * k * k / (sigma * sigma)) / sum);
    smooth_axis(s->data, vol->dim, a, w, radius, work, work_len);
  }
  free(work);
  return s;
}

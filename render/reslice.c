// Resampling the volume on an arbitrary plane.
#include "render/internal.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>

int cr_render_reslice(const cr_volume *vol, const double centre[3], const double normal[3],
                      const double up[3], double spacing_mm, cr_render_interp interp, float outside,
                      cr_image *out, double world_from_pixel[4][4]) {
  if (!out || out->channels != 1 || out->width < 1 || out->height < 1)
    return cr_error(CR_EINVAL, "reslice: the output must be a 1-channel image");
  if (!(spacing_mm > 0) || !isfinite(spacing_mm))
    return cr_error(CR_EINVAL, "reslice: spacing must be positive");
  double n[3] = {normal[0], normal[1], normal[2]}, ev[3], eu[3];
  if (!(cr_vec3_normalize(n) > 1e-12)) return cr_error(CR_EINVAL, "reslice: the normal is zero");
  // v axis: -up projected onto the plane; u = v x n, so (u, v, n) is right-handed.
  double un = cr_vec3_dot(up, n);
  for (int a = 0; a < 3; a++) ev[a] = -(up[a] - un * n[a]);
  if (!(cr_vec3_normalize(ev) > 1e-9))
    return cr_error(CR_EINVAL, "reslice: the up vector is parallel to the normal");
  cr_vec3_cross(eu, ev, n);
  const double hu = 0.5 * (out->width - 1), hv = 0.5 * (out->height - 1);
  double M[4][4] = {{0}};
  for (int a = 0; a < 3; a++) {
    M[a][0] = eu[a] * spacing_mm;
    M[a][1] = ev[a] * spacing_mm;
    M[a][2] = n[a] * spacing_mm;
    M[a][3] = centre[a] - hu * M[a][0] - hv * M[a][1];
  }
  M[3][3] = 1;
  // voxel_from_pixel
  double V[4][4];
  cr_mat4_mul(V, vol->voxel_from_world, M);
  const int w = out->width, h = out->height;
#pragma omp parallel for schedule(dynamic, 8)
  for (int v = 0; v < h; v++) {
    float *row = cr_image_row(out, v);
    for (int u = 0; u < w; u++) {
      double p[3] = {u, v, 0}, x[3];
      cr_mat4_apply_point(x, V, p);
      int inside = 1;
      for (int a = 0; a < 3; a++)
        if (!(x[a] >= -0.5 && x[a] <= vol->dim[a] - 0.5)) inside = 0;
      row[u] = !inside                       ? outside
               : interp == CR_INTERP_NEAREST ? cr_sample_nearest(vol, x[0], x[1], x[2])
                                             : cr_sample_linear(vol, x[0], x[1], x[2]);
    }
  }
  if (world_from_pixel)
    for (int a = 0; a < 4; a++)
      for (int b = 0; b < 4; b++) world_from_pixel[a][b] = M[a][b];
  return 0;
}

// Photo consistency of two views (see consistency.h).
#include "registration/consistency.h"

#include <math.h>

#define MIN_TILE_PIXELS 16

long cr_reg_consistency_tiles(int width, int height, int tile_px) {
  if (width < 1 || height < 1 || tile_px < 1) return 0;
  return (long)((width + tile_px - 1) / tile_px) * ((height + tile_px - 1) / tile_px);
}

// B's photo at the projection of world point w, or NaN where the point is not matched.
static inline float matched_value(const cr_reg_consistency_in *in, const float *w) {
  const double x[3] = {w[0], w[1], w[2]};
  double xc[3], uv[2];
  cr_pose_apply(&in->b_from_world, x, xc);
  if (!(xc[2] > 0)) return NAN;
  const cr_camera *cam = in->cam_b; // cr_camera_project, inline
  const double xn[2] = {xc[0] / xc[2], xc[1] / xc[2]};
  double xd[2];
  cr_camera_distort_inline(cam, xn, xd);
  uv[0] = cam->fx * xd[0] + cam->cx, uv[1] = cam->fy * xd[1] + cam->cy;
  const long iu = lround(uv[0]), iv = lround(uv[1]);
  if (iu < 0 || iv < 0 || iu >= in->cam_b->width || iv >= in->cam_b->height) return NAN;
  if (in->mask_b && *cr_image_px(in->mask_b, (int)iu, (int)iv) == 0) return NAN;
  if (in->depth_b) { // hidden: B sees another surface in front of the point
    const float d = *cr_image_px(in->depth_b, (int)iu, (int)iv);
    if (!(xc[2] <= (double)d + CR_REG_CONSISTENCY_HIDDEN_MM)) return NAN;
  }
  return cr_image_sample(in->photo_b, uv[0], uv[1], 0, NAN);
}

// The tile of side t at (x0, y0): its matched pixels into ws[0] and their correlation times that
// count into ws[1] (0 below MIN_TILE_PIXELS); its mask pixels are returned.
static long tile(const cr_reg_consistency_in *in, int x0, int y0, int t, double ws[2]) {
  const cr_image *X = in->xyz;
  const int x1 = x0 + t < X->width ? x0 + t : X->width;
  const int y1 = y0 + t < X->height ? y0 + t : X->height;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  long n = 0, inside = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      if (in->mask_a && *cr_image_px(in->mask_a, x, y) == 0) continue;
      inside++;
      const float *w = cr_image_px(X, x, y);
      if (!isfinite(w[0]) || !isfinite(w[1]) || !isfinite(w[2])) continue;
      const float b = matched_value(in, w);
      if (!isfinite(b)) continue;
      const double a = *cr_image_px(in->photo_a, x, y);
      sa += a, sb += b, saa += a * a, sbb += (double)b * b, sab += a * b, n++;
    }
  ws[0] = 0, ws[1] = 0;
  if (n < MIN_TILE_PIXELS) return inside;
  const double va = saa - sa * sa / (double)n, vb = sbb - sb * sb / (double)n;
  const double cab = sab - sa * sb / (double)n;
  ws[0] = (double)n;
  if (va > 0 && vb > 0) ws[1] = (double)n * cab / sqrt(va * vb); // flat tiles: unrelated
  return inside;
}

double cr_reg_consistency(const cr_reg_consistency_in *in, double *ws, long *n_matched) {
  const int w = in->xyz->width, h = in->xyz->height, t = in->tile_px > 1 ? in->tile_px : 1;
  const int tx = (w + t - 1) / t, ty = (h + t - 1) / t;
  long inside = 0;
#pragma omp parallel for schedule(static) reduction(+ : inside) if ((long)w * h >= 16384)
  for (int j = 0; j < ty; j++)
    for (int i = 0; i < tx; i++) inside += tile(in, i * t, j * t, t, ws + 2 * ((long)j * tx + i));
  double n = 0, sum = 0; // in tile order: the same value for any thread count
  for (long k = 0; k < (long)tx * ty; k++) n += ws[2 * k], sum += ws[2 * k + 1];
  if (n_matched) *n_matched = (long)n;
  return inside > 0 ? 1 - sum / (double)inside : 1;
}

#include "registration/overlay.h"

#include "core/error.h"
#include "core/imgproc.h"

#include <math.h>
#include <stdlib.h>

int cr_reg_overlay(const cr_image *photo, const cr_image *render, cr_image *rgb) {
  const int w = photo->width, h = photo->height;
  if (render->width != w || render->height != h || rgb->width != w || rgb->height != h ||
      rgb->channels != 3 || photo->channels != 1 || render->channels != 1)
    return cr_error(CR_EINVAL, "overlay: photo, render and output must share one size");
  cr_image *r = cr_image_clone(render);
  unsigned char *edges = malloc((size_t)w * h);
  int rc = r && edges ? 0 : cr_error(CR_ENOMEM, "overlay: out of memory");
  if (!rc) {
    float lo = INFINITY, hi = -INFINITY;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = *cr_image_px(r, x, y);
        if (isfinite(v)) lo = fminf(lo, v), hi = fmaxf(hi, v);
      }
    // Misses take the lowest value, so the silhouette of the surface is an edge too.
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float *p = cr_image_px(r, x, y);
        *p = isfinite(*p) ? *p - lo : 0;
      }
    rc = cr_canny(r, hi > lo ? 255.0 / (hi - lo) : 1, 30, 90, edges);
  }
  for (int y = 0; !rc && y < h; y++)
    for (int x = 0; x < w; x++) {
      float g = *cr_image_px(photo, x, y);
      g = isfinite(g) ? 255 * fminf(1, fmaxf(0, g)) : 0;
      float *o = cr_image_px(rgb, x, y);
      int e = edges[(size_t)y * w + x];
      o[0] = e ? 255 : g, o[1] = e ? 0 : g, o[2] = e ? 0 : g;
    }
  free(edges);
  cr_image_free(r);
  return rc;
}

// Feature correspondences (see features.h): the images to 8 bits here, the OpenCV calls in
// cv_calib.cpp.
#include "calib/features.h"

#include "calib/cv_calib.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_calib_feature_options cr_calib_feature_defaults(void) {
  cr_calib_feature_options o;
  o.threshold = 0.0005, o.ratio = 0.85, o.max_matches = 2000;
  return o;
}

static int cmp_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

// `im` to 8 bits between its 1st and 99th percentile over the pixels used (finite and in
// the mask); use[i] = 255 where used, else 0. CR_EEMPTY when no pixel is used.
static int to_u8(const cr_image *im, const cr_image *mask, unsigned char *u8, unsigned char *use) {
  const int w = im->width, h = im->height;
  float *v = malloc((size_t)w * h * sizeof *v);
  if (!v) return cr_error(CR_ENOMEM, "feature matches: out of memory");
  long n = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float f = *cr_image_px(im, x, y);
      const int in = isfinite(f) && (!mask || *cr_image_px(mask, x, y) != 0);
      use[(size_t)y * w + x] = in ? 255 : 0;
      if (in) v[n++] = f;
    }
  if (n == 0) return free(v), cr_error(CR_EEMPTY, "feature matches: an image has no pixel to use");
  qsort(v, (size_t)n, sizeof *v, cmp_float);
  const float lo = v[(long)(0.01 * (double)(n - 1))], hi = v[(long)(0.99 * (double)(n - 1))];
  free(v);
  const float s = hi > lo ? 255.0f / (hi - lo) : 0.0f;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const size_t i = (size_t)y * w + x;
      const float f = use[i] ? (*cr_image_px(im, x, y) - lo) * s : 0.0f;
      u8[i] = (unsigned char)(f < 0 ? 0 : (f > 255 ? 255 : lrintf(f)));
    }
  return 0;
}

int cr_calib_feature_matches(const cr_image *a, const cr_image *amask, const cr_image *b,
                             const cr_image *bmask, const cr_calib_feature_options *o, double **pa,
                             double **pb, int *n) {
  *pa = *pb = NULL, *n = 0;
  if (!a || !b || a->channels != 1 || b->channels != 1 ||
      (amask && (amask->width != a->width || amask->height != a->height)) ||
      (bmask && (bmask->width != b->width || bmask->height != b->height)))
    return cr_error(CR_EINVAL, "feature matches: one-channel images, masks of their size");
  if (!o || !(o->threshold > 0) || !(o->ratio > 0 && o->ratio <= 1) || o->max_matches < 1)
    return cr_error(CR_EINVAL, "feature matches: threshold > 0, ratio in (0, 1], max_matches >= 1");
  const size_t na = (size_t)a->width * a->height, nb = (size_t)b->width * b->height;
  unsigned char *buf = malloc(2 * (na + nb));
  double *qa = malloc(2 * (size_t)o->max_matches * sizeof *qa),
         *qb = malloc(2 * (size_t)o->max_matches * sizeof *qb);
  int rc = buf && qa && qb ? 0 : cr_error(CR_ENOMEM, "feature matches: out of memory");
  unsigned char *a8 = buf, *am = buf + na, *b8 = buf + 2 * na, *bm = buf + 2 * na + nb;
  if (!rc) rc = to_u8(a, amask, a8, am);
  if (!rc) rc = to_u8(b, bmask, b8, bm);
  char msg[256] = "";
  if (!rc &&
      cvw_feature_matches(a8, am, a->width, a->height, b8, bm, b->width, b->height, o->threshold,
                          o->ratio, o->max_matches, qa, qb, n, msg, sizeof msg))
    rc = cr_error(CR_ENUMERIC, "feature matches: OpenCV: %s", msg);
  free(buf);
  if (rc) {
    free(qa), free(qb), *n = 0;
    return rc;
  }
  *pa = qa, *pb = qb;
  return 0;
}

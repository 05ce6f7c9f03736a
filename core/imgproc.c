#include "core/imgproc.h"

#include "core/cvwrap.h"
#include "core/error.h"

#define CHECK_GREY(img)                                                                            \
  if ((img)->channels != 1) return cr_error(CR_EINVAL, "%s needs a 1-channel image", __func__)

int cr_canny(const cr_image *img, double scale, double low, double high, unsigned char *edges) {
  CHECK_GREY(img);
  char err[512];
  if (cvw_canny(img->data, img->width, img->height, img->stride, scale, low, high, edges, err,
                sizeof err))
    return cr_error(CR_EINVAL, "canny: %s", err);
  return CR_OK;
}

int cr_distance_to_features(const unsigned char *features, int width, int height, float *dist) {
  char err[512];
  if (cvw_distance_to_features(features, width, height, dist, err, sizeof err))
    return cr_error(CR_EINVAL, "distance transform: %s", err);
  return CR_OK;
}

int cr_clahe(cr_image *img, double scale, double clip, int tiles) {
  CHECK_GREY(img);
  char err[512];
  if (cvw_clahe(img->data, img->width, img->height, img->stride, scale, clip, tiles, img->data, err,
                sizeof err))
    return cr_error(CR_EINVAL, "CLAHE: %s", err);
  return CR_OK;
}

int cr_gaussian_blur(cr_image *img, double sigma) {
  if (sigma <= 0) return CR_OK;
  char err[512];
  if (cvw_gaussian_blur(img->data, img->width, img->height, img->channels, img->stride, sigma,
                        img->data, err, sizeof err))
    return cr_error(CR_EINVAL, "blur: %s", err);
  return CR_OK;
}

cr_image *cr_image_resize_area(const cr_image *img, int dst_w, int dst_h) {
  cr_image *out = cr_image_new(dst_w, dst_h, img->channels);
  if (!out) return NULL;
  char err[512];
  if (cvw_resize_area(img->data, img->width, img->height, img->channels, img->stride, out->data,
                      dst_w, dst_h, err, sizeof err)) {
    cr_image_free(out);
    cr_error(CR_EINVAL, "resize: %s", err);
    return NULL;
  }
  return out;
}

int cr_jpeg_roundtrip(cr_image *img, int quality) {
  char err[512];
  if (cvw_jpeg_roundtrip(img->data, img->width, img->height, img->channels, img->stride, quality,
                         err, sizeof err))
    return cr_error(CR_EINVAL, "jpeg: %s", err);
  return CR_OK;
}

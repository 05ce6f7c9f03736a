#include "core/image.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_image *cr_image_new(int width, int height, int channels) {
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4) {
    cr_error(CR_EINVAL, "image size %dx%dx%d is invalid", width, height, channels);
    return NULL;
  }
  cr_image *img = malloc(sizeof *img);
  float *data = calloc((size_t)width * height * channels, sizeof(float));
  if (!img || !data) {
    free(img), free(data);
    cr_error(CR_ENOMEM, "out of memory for a %dx%dx%d image", width, height, channels);
    return NULL;
  }
  *img = (cr_image){width, height, channels, (size_t)width * channels, data, 1};
  return img;
}

cr_image *cr_image_clone(const cr_image *src) {
  cr_image *img = cr_image_new(src->width, src->height, src->channels);
  if (!img) return NULL;
  for (int y = 0; y < src->height; y++)
    memcpy(cr_image_row(img, y), cr_image_row(src, y), sizeof(float) * src->width * src->channels);
  return img;
}

void cr_image_free(cr_image *img) {
  if (!img) return;
  if (img->owns_data) free(img->data);
  free(img);
}

cr_image cr_image_view(const cr_image *img, int x, int y, int w, int h) {
  if (x < 0) w += x, x = 0;
  if (y < 0) h += y, y = 0;
  if (x + w > img->width) w = img->width - x;
  if (y + h > img->height) h = img->height - y;
  if (w < 0) w = 0;
  if (h < 0) h = 0;
  cr_image v = *img;
  v.width = w, v.height = h, v.owns_data = 0;
  v.data = (w > 0 && h > 0) ? cr_image_px(img, x, y) : img->data;
  return v;
}

void cr_image_fill(cr_image *img, float v) {
  for (int y = 0; y < img->height; y++) {
    float *r = cr_image_row(img, y);
    for (int i = 0; i < img->width * img->channels; i++) r[i] = v;
  }
}

float cr_image_sample(const cr_image *img, double u, double v, int c, float outside) {
  if (!(u >= -0.5 && v >= -0.5 && u <= img->width - 0.5 && v <= img->height - 0.5)) return outside;
  double fu = floor(u), fv = floor(v);
  int x0 = (int)fu, y0 = (int)fv;
  double ax = u - fu, ay = v - fv;
  int x1 = x0 + 1, y1 = y0 + 1;
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 > img->width - 1) x1 = img->width - 1;
  if (y1 > img->height - 1) y1 = img->height - 1;
  float a = cr_image_px(img, x0, y0)[c], b = cr_image_px(img, x1, y0)[c];
  float d = cr_image_px(img, x0, y1)[c], e = cr_image_px(img, x1, y1)[c];
  return (float)((1 - ay) * ((1 - ax) * a + ax * b) + ay * ((1 - ax) * d + ax * e));
}

void cr_image_minmax(const cr_image *img, float *min, float *max) {
  float lo = INFINITY, hi = -INFINITY;
  for (int y = 0; y < img->height; y++) {
    const float *r = cr_image_row(img, y);
    for (int i = 0; i < img->width * img->channels; i++) {
      if (r[i] < lo) lo = r[i];
      if (r[i] > hi) hi = r[i];
    }
  }
  if (lo > hi) lo = hi = 0;
  *min = lo, *max = hi;
}

cr_image *cr_image_to_grey(const cr_image *img, int c, const float *weights) {
  if (c >= img->channels) {
    cr_error(CR_EINVAL, "channel %d requested from a %d-channel image", c, img->channels);
    return NULL;
  }
  cr_image *g = cr_image_new(img->width, img->height, 1);
  if (!g) return NULL;
  float bt601[3] = {0.299f, 0.587f, 0.114f};
  const float *w = weights ? weights : bt601;
  for (int y = 0; y < img->height; y++) {
    const float *s = cr_image_row(img, y);
    float *d = cr_image_row(g, y);
    for (int x = 0; x < img->width; x++, s += img->channels) {
      if (img->channels == 1)
        d[x] = s[0];
      else if (c >= 0)
        d[x] = s[c];
      else if (img->channels >= 3)
        d[x] = w[0] * s[0] + w[1] * s[1] + w[2] * s[2];
      else
        d[x] = s[0]; // grey + alpha
    }
  }
  return g;
}

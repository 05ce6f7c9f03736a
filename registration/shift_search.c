// In-plane shift scores of a wide render against a photo (see shift_search.h).
#include "registration/shift_search.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>

struct cr_reg_shift_photo {
  int width, height;
  double eta;
  long n;             // pixels that count
  float *a, *b2, *c;  // their terms f_x^2, 2 f_x f_y, f_y^2 as images (0 elsewhere)
  int x0, x1, y0, y1; // bounding box of the pixels that count
  float *p, *q, *r;   // workspace: the render's m_x^2, m_x m_y, m_y^2
  size_t cap;         // floats in each workspace array
};

// Sobel gradient / 8 at (x, y) of a one-channel image (the 3x3 neighbourhood inside).
static inline void sobel(const cr_image *im, int x, int y, float *gx, float *gy) {
  const float *a = cr_image_row(im, y - 1), *b = cr_image_row(im, y), *d = cr_image_row(im, y + 1);
  *gx = ((a[x + 1] - a[x - 1]) + 2.0f * (b[x + 1] - b[x - 1]) + (d[x + 1] - d[x - 1])) * 0.125f;
  *gy = ((d[x - 1] - a[x - 1]) + 2.0f * (d[x] - a[x]) + (d[x + 1] - a[x + 1])) * 0.125f;
}

static int in_mask3(const cr_image *mask, int x, int y) {
  if (!mask) return 1;
  for (int dy = -1; dy <= 1; dy++)
    for (int dx = -1; dx <= 1; dx++)
      if (*cr_image_px(mask, x + dx, y + dy) == 0) return 0;
  return 1;
}

void cr_reg_shift_photo_free(cr_reg_shift_photo *p) {
  if (!p) return;
  free(p->p), free(p->q), free(p->r);
  free(p->a), free(p->b2), free(p->c);
  free(p);
}

cr_reg_shift_photo *cr_reg_shift_photo_new(const cr_image *photo, const cr_image *mask,
                                           double eta) {
  if (!photo || photo->channels != 1 ||
      (mask && (mask->width != photo->width || mask->height != photo->height)))
    return cr_error_status(cr_error(CR_EINVAL, "shift search: photo and mask must be one-channel "
                                               "images of one size")),
           NULL;
  if (!(eta > 0))
    return cr_error_status(cr_error(CR_EINVAL, "shift search: eta must be > 0")), NULL;
  cr_reg_shift_photo *p = calloc(1, sizeof *p);
  const int w = photo->width, h = photo->height;
  if (p) {
    p->a = calloc((size_t)w * h, sizeof *p->a), p->b2 = calloc((size_t)w * h, sizeof *p->b2);
    p->c = calloc((size_t)w * h, sizeof *p->c);
  }
  if (!p || !p->a || !p->b2 || !p->c) {
    cr_reg_shift_photo_free(p);
    return cr_error_status(cr_error(CR_ENOMEM, "shift search: out of memory")), NULL;
  }
  p->width = w, p->height = h, p->eta = eta;
  // First the gradients of the pixels that count (a = g_x, b2 = g_y), their mean magnitude
  // and bounding box; then, with the edge parameter, their terms in place.
  p->x0 = w, p->y0 = h, p->x1 = p->y1 = -1;
  double mag = 0;
  for (int y = 1; y < h - 1; y++)
    for (int x = 1; x < w - 1; x++) {
      if (!in_mask3(mask, x, y)) continue;
      float gx, gy;
      sobel(photo, x, y, &gx, &gy);
      if (!isfinite(gx) || !isfinite(gy)) continue;
      const size_t j = (size_t)y * w + x;
      p->a[j] = gx, p->b2[j] = gy, p->n++;
      mag += sqrt((double)gx * gx + (double)gy * gy);
      if (x < p->x0) p->x0 = x;
      if (x > p->x1) p->x1 = x;
      if (y < p->y0) p->y0 = y;
      if (y > p->y1) p->y1 = y;
    }
  if (p->n == 0) {
    cr_reg_shift_photo_free(p);
    return cr_error_status(cr_error(CR_EEMPTY, "shift search: no photo pixel with its 3x3 "
                                               "neighbourhood inside the mask")),
           NULL;
  }
  double e = eta * mag / (double)p->n;
  const float e2 = (float)(e > 0 ? e * e : 1.0);
  for (size_t j = 0; j < (size_t)w * h; j++) { // elsewhere 0 stays 0
    const float gx = p->a[j], gy = p->b2[j], s = 1.0f / (gx * gx + gy * gy + e2);
    p->a[j] = gx * gx * s, p->b2[j] = 2.0f * gx * gy * s, p->c[j] = gy * gy * s;
  }
  return p;
}

void cr_reg_shift_canvas(const cr_reg_shift_photo *p, int mx, int my, int *x0, int *y0, int *width,
                         int *height) {
  *x0 = p->x0 - 1, *y0 = p->y0 - 1;
  *width = p->x1 - p->x0 + 2 * mx + 3, *height = p->y1 - p->y0 + 2 * my + 3;
}

int cr_reg_shift_scores(cr_reg_shift_photo *p, const cr_image *wide, int mx, int my,
                        float *scores) {
  if (mx < 0 || my < 0)
    return cr_error(CR_EINVAL, "shift search: margins %d, %d must be >= 0", mx, my);
  int cx0, cy0, cw, ch;
  cr_reg_shift_canvas(p, mx, my, &cx0, &cy0, &cw, &ch);
  if (!wide || wide->channels != 1 || wide->width != cw || wide->height != ch)
    return cr_error(CR_EINVAL, "shift search: the render must be %dx%d for margins %d, %d", cw, ch,
                    mx, my);
  const int W = wide->width, H = wide->height;
  const size_t n = (size_t)W * H;
  if (n > p->cap) {
    free(p->p), free(p->q), free(p->r);
    p->p = malloc(n * sizeof *p->p), p->q = malloc(n * sizeof *p->q),
    p->r = malloc(n * sizeof *p->r);
    p->cap = p->p && p->q && p->r ? n : 0;
    if (!p->cap) return cr_error(CR_ENOMEM, "shift search: out of memory");
  }
  // The render's gradients where its 3x3 neighbourhood hit the surface (NaN-free), and
  // their mean magnitude; 0 elsewhere (a miss is unrelated to the photo).
  double mag = 0;
  long cnt = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const size_t i = (size_t)y * W + x;
      float gx = 0, gy = 0;
      if (x > 0 && y > 0 && x < W - 1 && y < H - 1) sobel(wide, x, y, &gx, &gy);
      if (!isfinite(gx) || !isfinite(gy))
        gx = gy = 0; // a NaN in the 3x3 neighbourhood
      else if (x > 0 && y > 0 && x < W - 1 && y < H - 1)
        mag += sqrt((double)gx * gx + (double)gy * gy), cnt++;
      p->p[i] = gx, p->q[i] = gy;
    }
  double e = cnt ? p->eta * mag / (double)cnt : 1;
  const float e2 = (float)(e > 0 ? e * e : 1.0);
  for (size_t i = 0; i < n; i++) {
    const float gx = p->p[i], gy = p->q[i], s = 1.0f / (gx * gx + gy * gy + e2);
    p->p[i] = gx * gx * s, p->q[i] = gx * gy * s, p->r[i] = gy * gy * s;
  }
  const int nx = 2 * mx + 1, ny = 2 * my + 1, w = p->width;
  const float *A = p->a, *B = p->b2, *C = p->c, *P = p->p, *Q = p->q, *R = p->r;
  const int y0 = p->y0, y1 = p->y1, x0 = p->x0, x1 = p->x1;
  // Photo pixel (x, y) at shift offset (ox, oy) reads full-canvas pixel (x + ox, y + oy),
  // pixel (x + ox - cx0, y + oy - cy0) of the part rendered. Dense rows over the bounding
  // box of the pixels that count (zero terms elsewhere): contiguous, so the inner loop
  // vectorizes; a float sum per row, double over rows.
#pragma omp parallel for schedule(static)
  for (int k = 0; k < nx * ny; k++) {
    const int ox = k % nx, oy = k / nx; // canvas offset of photo pixel 0: (mx + dx, my + dy)
    double acc = 0;
    for (int y = y0; y <= y1; y++) {
      const size_t j = (size_t)y * w + (size_t)x0;
      const float *a = A + j, *b = B + j, *c = C + j;
      const size_t o = (size_t)(y + oy - cy0) * W + (size_t)(x0 + ox - cx0);
      const float *pp = P + o, *qq = Q + o, *rr = R + o;
      float row = 0;
#pragma omp simd reduction(+ : row)
      for (int x = 0; x <= x1 - x0; x++) row += a[x] * pp[x] + b[x] * qq[x] + c[x] * rr[x];
      acc += row;
    }
    scores[k] = (float)(acc / (double)p->n);
  }
  return 0;
}

// Photo preparation and Frangi vesselness (see prepare.h).
#include "registration/prepare.h"

#include "core/error.h"
#include "core/imgproc.h"

#include <math.h>
#include <stdlib.h>

cr_reg_prep_options cr_reg_prep_defaults(void) {
  cr_reg_prep_options o = {1, 2.0, 8, 0, 1.5, 4.0, 3, 0, 1};
  return o;
}

static inline float at(const cr_image *im, int x, int y) {
  x = x < 0 ? 0 : x >= im->width ? im->width - 1 : x;
  y = y < 0 ? 0 : y >= im->height ? im->height - 1 : y;
  return *cr_image_px(im, x, y);
}

// Vesselness of one pixel of the blurred image b at scale s; c2 = 2 c^2.
static float vessel_px(const cr_image *b, int x, int y, double s, double c2, int bright) {
  double s2 = s * s;
  double f = at(b, x, y);
  double dxx = s2 * (at(b, x + 1, y) - 2 * f + at(b, x - 1, y));
  double dyy = s2 * (at(b, x, y + 1) - 2 * f + at(b, x, y - 1));
  double dxy =
      s2 * 0.25 *
      (at(b, x + 1, y + 1) - at(b, x + 1, y - 1) - at(b, x - 1, y + 1) + at(b, x - 1, y - 1));
  double gx = 0.5 * s * (at(b, x + 1, y) - at(b, x - 1, y));
  double gy = 0.5 * s * (at(b, x, y + 1) - at(b, x, y - 1));
  double tr = 0.5 * (dxx + dyy), det = sqrt(0.25 * (dxx - dyy) * (dxx - dyy) + dxy * dxy);
  double e1 = tr + det, e2 = tr - det; // order by magnitude: |l1| <= |l2|
  double l1 = fabs(e1) <= fabs(e2) ? e1 : e2, l2 = fabs(e1) <= fabs(e2) ? e2 : e1;
  if ((bright && !(l2 < 0)) || (!bright && !(l2 > 0))) return 0;
  double rb = l1 / l2, S2 = l1 * l1 + l2 * l2;
  double g = hypot(gx, gy) / fabs(l2);
  const double beta = 0.5, kappa = 0.25;
  double v =
      exp(-rb * rb / (2 * beta * beta)) * (1 - exp(-S2 / c2)) * exp(-g * g / (2 * kappa * kappa));
  return (float)v;
}

int cr_reg_vesselness(const cr_image *img, double sigma_min_px, double sigma_max_px, int n_sigma,
                      int bright, cr_image *out) {
  if (img->channels != 1 || out->channels != 1 || out->width != img->width ||
      out->height != img->height)
    return cr_error(CR_EINVAL, "vesselness: needs 1-channel input and output of the same size");
  if (!(sigma_min_px > 0) || !(sigma_max_px >= sigma_min_px) || n_sigma < 1)
    return cr_error(CR_EINVAL, "vesselness: bad scales %g..%g (%d)", sigma_min_px, sigma_max_px,
                    n_sigma);
  float lo, hi;
  cr_image_minmax(img, &lo, &hi);
  double c = 0.1 * (hi - lo);
  cr_image_fill(out, 0);
  if (!(c > 0)) return 0; // flat image: no structure at all
  for (int k = 0; k < n_sigma; k++) {
    double s = n_sigma == 1
                   ? sigma_min_px
                   : sigma_min_px * pow(sigma_max_px / sigma_min_px, (double)k / (n_sigma - 1));
    cr_image *b = cr_image_clone(img);
    if (!b) return cr_error(CR_ENOMEM, "vesselness: out of memory");
    int rc = cr_gaussian_blur(b, s);
    if (rc) {
      cr_image_free(b);
      return rc;
    }
    for (int y = 0; y < img->height; y++)
      for (int x = 0; x < img->width; x++) {
        float v = vessel_px(b, x, y, s, 2 * c * c, bright);
        float *o = cr_image_px(out, x, y);
        if (v > *o) *o = v;
      }
    cr_image_free(b);
  }
  return 0;
}

static int check_mask(const cr_image *img, const cr_image *mask) {
  if (!mask) return 0;
  if (mask->width != img->width || mask->height != img->height || mask->channels != 1)
    return cr_error(CR_EINVAL, "mask %dx%dx%d does not match the image %dx%d (1 channel)",
                    mask->width, mask->height, mask->channels, img->width, img->height);
  for (int y = 0; y < mask->height; y++)
    for (int x = 0; x < mask->width; x++)
      if (*cr_image_px(mask, x, y) != 0) return 0;
  return cr_error(CR_EEMPTY, "mask is empty (no non-zero pixel)");
}

// Maps [min, max] inside the mask to [0, 1]; zero outside.
static void normalize_in_mask(cr_image *g, const cr_image *mask, int normalize) {
  double lo = INFINITY, hi = -INFINITY;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++)
      if (!mask || *cr_image_px(mask, x, y) != 0) {
        double v = *cr_image_px(g, x, y);
        if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
      }
  double scale = hi > lo ? 1.0 / (hi - lo) : 0;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) {
      float *p = cr_image_px(g, x, y);
      if (mask && *cr_image_px(mask, x, y) == 0)
        *p = 0;
      else if (normalize)
        *p = isfinite(*p) ? (float)((*p - lo) * scale) : 0;
    }
}

int cr_reg_prepare(const cr_image *img, const cr_image *mask, const cr_reg_prep_options *opt,
                   cr_image **out) {
  *out = NULL;
  cr_reg_prep_options o = opt ? *opt : cr_reg_prep_defaults();
  int rc = check_mask(img, mask);
  if (rc) return rc;
  if (img->channels > 1 && (o.channel >= img->channels || o.channel < -1))
    return cr_error(CR_EINVAL, "channel %d: the image has %d channel(s)", o.channel, img->channels);
  int c = img->channels == 1 ? 0 : (o.channel == -1 && img->channels < 3 ? 0 : o.channel);
  cr_image *g = cr_image_to_grey(img, c, NULL);
  if (!g) return CR_ENOMEM;
  float lo, hi;
  cr_image_minmax(g, &lo, &hi);
  if (o.clahe_clip > 0 && hi > lo) {
    for (int y = 0; y < g->height; y++)
      for (int x = 0; x < g->width; x++)
        *cr_image_px(g, x, y) = (*cr_image_px(g, x, y) - lo) / (hi - lo);
    if ((rc = cr_clahe(g, 65535.0, o.clahe_clip, o.clahe_tiles > 0 ? o.clahe_tiles : 8))) goto fail;
  }
  if (o.vesselness) {
    cr_image *v = cr_image_new(g->width, g->height, 1);
    if (!v) {
      rc = CR_ENOMEM;
      goto fail;
    }
    rc = cr_reg_vesselness(g, o.sigma_min_px, o.sigma_max_px, o.n_sigma > 0 ? o.n_sigma : 3,
                           o.bright_vessels, v);
    cr_image_free(g);
    g = v;
    if (rc) goto fail;
  }
  normalize_in_mask(g, mask, o.normalize);
  *out = g;
  return 0;
fail:
  cr_image_free(g);
  return rc;
}

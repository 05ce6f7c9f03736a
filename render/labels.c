// Label projection along the pixel rays below a surface render's hits, and the overlay
// drawing (fill for surface labels, fading contours for deep ones).
#include "render/labels.h"

#include "core/error.h"

#include <math.h>
#include <string.h>

cr_label_options cr_label_defaults(void) {
  return (cr_label_options){.surface_mm = 2.0, .below_mm = 0.0, .step_mm = 0.0};
}

cr_label_draw_options cr_label_draw_defaults(void) {
  return (cr_label_draw_options){.fill_alpha = 0.45, .surface_mm = 2.0, .below_mm = 0.0};
}

int cr_label_volume_check(const cr_volume *labels) {
  const size_t n = cr_volume_count(labels);
  for (size_t i = 0; i < n; i++) {
    const float v = labels->data[i];
    if (!(v >= 0 && v <= 16777216.0f && v == floorf(v))) {
      const size_t nx = (size_t)labels->dim[0], ny = (size_t)labels->dim[1];
      return cr_error(CR_EFORMAT,
                      "not a label map: voxel (%zu, %zu, %zu) holds %g (labels are whole numbers "
                      "0..16777216)",
                      i % nx, i / nx % ny, i / (nx * ny), (double)v);
    }
  }
  return 0;
}

// The label at world point x: the nearest voxel's value, 0 outside the grid.
static inline long label_at(const cr_volume *L, const double x[3]) {
  const double(*A)[4] = L->voxel_from_world;
  long ijk[3];
  for (int a = 0; a < 3; a++) {
    double c = A[a][0] * x[0] + A[a][1] * x[1] + A[a][2] * x[2] + A[a][3];
    c = floor(c + 0.5);
    if (!(c >= 0 && c < L->dim[a])) return 0;
    ijk[a] = (long)c;
  }
  return (long)L->data[cr_volume_index(L, (int)ijk[0], (int)ijk[1], (int)ijk[2])];
}

static int check_out(const cr_image *img, const cr_image *xyz, const char *what) {
  if (img && (img->width != xyz->width || img->height != xyz->height || img->channels != 1))
    return cr_error(CR_EINVAL, "labels: the %s image must be 1 channel of %dx%d", what, xyz->width,
                    xyz->height);
  return 0;
}

int cr_label_project(const cr_volume *labels, const cr_pose *cam_from_world, const cr_image *xyz,
                     const cr_label_options *opt, const cr_label_out *out) {
  cr_label_options o = opt ? *opt : cr_label_defaults();
  if (!labels || !xyz || !out || !out->surface || xyz->channels != 3)
    return cr_error(CR_EINVAL, "labels: need a label map, a 3-channel xyz image and a surface "
                               "label image");
  int rc = check_out(out->surface, xyz, "surface label");
  if (!rc) rc = check_out(out->deep, xyz, "deep label");
  if (!rc) rc = check_out(out->deep_mm, xyz, "deep depth");
  if (rc) return rc;
  if (!(o.surface_mm >= 0) || !(o.below_mm >= 0) || (o.below_mm > 0 && o.below_mm < o.surface_mm))
    return cr_error(CR_EINVAL,
                    "labels: need surface_mm >= 0 and below_mm 0 (none) or >= surface_mm (%g, %g)",
                    o.surface_mm, o.below_mm);
  if (!(o.step_mm > 0)) {
    double s = labels->spacing[0];
    for (int a = 1; a < 3; a++) s = fmin(s, labels->spacing[a]);
    o.step_mm = s / 4;
  }
  double C[3];
  cr_pose_camera_centre(cam_from_world, C);
  const double limit = fmax(o.surface_mm, o.below_mm);
  const long n_steps = (long)ceil(limit / o.step_mm - 1e-9);
  const int W = xyz->width, H = xyz->height;
#pragma omp parallel for schedule(dynamic, 4)
  for (int v = 0; v < H; v++)
    for (int u = 0; u < W; u++) {
      const float *p = cr_image_px(xyz, u, v);
      long surf = 0, deep = 0;
      double deep_mm = NAN;
      if (isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2])) {
        double d[3] = {p[0] - C[0], p[1] - C[1], p[2] - C[2]};
        const double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        for (int a = 0; a < 3 && len > 0; a++) d[a] /= len;
        for (long k = 0; k <= n_steps; k++) {
          const double s = k == n_steps ? limit : (double)k * o.step_mm;
          const double x[3] = {p[0] + s * d[0], p[1] + s * d[1], p[2] + s * d[2]};
          const long l = label_at(labels, x);
          if (!l) continue;
          if (s <= o.surface_mm) {
            if (!surf) surf = l;
            if (o.below_mm <= 0) break; // nothing deeper asked for
          } else if (l != surf) {
            deep = l, deep_mm = s;
            break;
          }
        }
      }
      cr_image_px(out->surface, u, v)[0] = (float)surf;
      if (out->deep) cr_image_px(out->deep, u, v)[0] = (float)deep;
      if (out->deep_mm) cr_image_px(out->deep_mm, u, v)[0] = (float)deep_mm;
    }
  return 0;
}

// Is (u, v) on the border of its region in img (a 4-neighbour inside the image differs)?
static inline int border(const cr_image *img, int u, int v) {
  const float c = cr_image_px(img, u, v)[0];
  const int du[4] = {1, -1, 0, 0}, dv[4] = {0, 0, 1, -1};
  for (int k = 0; k < 4; k++) {
    int x = u + du[k], y = v + dv[k];
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) continue;
    if (cr_image_px(img, x, y)[0] != c) return 1;
  }
  return 0;
}

static inline void blend(float *dst, const unsigned char rgb[3], double a, double shade) {
  for (int k = 0; k < 3; k++) dst[k] = (float)((1 - a) * dst[k] + a * shade * rgb[k]);
}

int cr_label_draw(const cr_image *background, const cr_label_out *labels, const cr_label_table *t,
                  const cr_label_draw_options *opt, cr_image *rgb) {
  cr_label_draw_options o = opt ? *opt : cr_label_draw_defaults();
  const cr_image *S = labels ? labels->surface : NULL;
  if (!background || !S || !rgb || rgb->channels != 3 || background->width != S->width ||
      background->height != S->height || rgb->width != S->width || rgb->height != S->height ||
      (background->channels != 1 && background->channels < 3))
    return cr_error(CR_EINVAL, "labels: the background (1 or 3 channels), the label images and "
                               "the RGB output must have one size");
  const cr_image *D = labels->deep, *Dmm = labels->deep_mm;
  if ((D && (D->width != S->width || D->height != S->height)) ||
      (Dmm && (Dmm->width != S->width || Dmm->height != S->height)))
    return cr_error(CR_EINVAL, "labels: the deep label images must have the surface's size");
  const int W = S->width, H = S->height;
#pragma omp parallel for schedule(static)
  for (int v = 0; v < H; v++)
    for (int u = 0; u < W; u++) {
      const float *b = cr_image_px(background, u, v);
      float *dst = cr_image_px(rgb, u, v);
      for (int k = 0; k < 3; k++) dst[k] = background->channels == 1 ? b[0] : b[k];
      unsigned char c[3];
      const long s = (long)cr_image_px(S, u, v)[0];
      if (s) {
        cr_label_table_colour(t, s, c);
        if (border(S, u, v))
          blend(dst, c, 1.0, 0.6); // borders between labels: opaque, darker
        else
          blend(dst, c, o.fill_alpha, 1.0);
      }
      const long d = D ? (long)cr_image_px(D, u, v)[0] : 0;
      if (d && border(D, u, v)) {
        // depth cue: opaque just below the surface, 25 % at below_mm
        double mm = Dmm ? cr_image_px(Dmm, u, v)[0] : o.surface_mm;
        double span = o.below_mm - o.surface_mm, f = span > 0 ? (mm - o.surface_mm) / span : 0;
        f = f < 0 ? 0 : (f > 1 ? 1 : f);
        cr_label_table_colour(t, d, c);
        blend(dst, c, 1.0 - 0.75 * f, 1.0);
      }
    }
  return 0;
}

// A render moved to a nearby pose (see warp.h).
#include "registration/warp.h"

#include "core/error.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>

// A pixel of A's render: world point, normal, image value; one 32-byte record, so a
// bilinear sample reads four records.
enum { REC = 8 };

struct cr_reg_warp {
  cr_camera cam;
  int shaded; // 1: the image is the shading of (xyz, normal)
  float *g;   // REC floats per pixel, row-major
  size_t cap; // floats allocated
};

cr_reg_warp *cr_reg_warp_new(void) {
  cr_reg_warp *w = calloc(1, sizeof *w);
  if (!w) cr_error(CR_ENOMEM, "render warp: out of memory");
  return w;
}

void cr_reg_warp_free(cr_reg_warp *w) {
  if (!w) return;
  free(w->g);
  free(w);
}

static int fits(const cr_image *img, const cr_camera *cam, int channels) {
  return img && img->width == cam->width && img->height == cam->height && img->channels == channels;
}

int cr_reg_warp_set(cr_reg_warp *w, const cr_camera *cam, const cr_image *image,
                    const cr_image *xyz, const cr_image *normal) {
  if (!fits(image, cam, 1) || !fits(xyz, cam, 3) || (normal && !fits(normal, cam, 3)))
    return cr_error(CR_EINVAL, "render warp: the render's images differ from the camera's %dx%d",
                    cam->width, cam->height);
  const size_t n = (size_t)REC * cam->width * cam->height;
  if (n > w->cap) {
    float *g = realloc(w->g, n * sizeof *g);
    if (!g) return cr_error(CR_ENOMEM, "render warp: out of memory");
    w->g = g, w->cap = n;
  }
  w->cam = *cam, w->shaded = normal != NULL;
  const int W = cam->width;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < cam->height; y++) {
    const float *p = cr_image_row(xyz, y), *im = cr_image_row(image, y);
    const float *nr = normal ? cr_image_row(normal, y) : NULL;
    float *g = w->g + (size_t)REC * W * y;
    for (int x = 0; x < W; x++, g += REC) {
      const int hit = isfinite(p[3 * x] + p[3 * x + 1] + p[3 * x + 2]) && isfinite(im[x]);
      for (int i = 0; i < 3; i++) {
        g[i] = hit ? p[3 * x + i] : NAN;
        g[3 + i] = nr && hit ? nr[3 * x + i] : NAN;
      }
      g[6] = hit ? im[x] : NAN, g[7] = 0;
    }
  }
  return 0;
}

// Where the world point X lands in B's image; 0 when behind the camera.
static inline int project(const cr_camera *cam, const cr_pose *B, const float X[3], double uv[2]) {
  double xc[3];
  for (int i = 0; i < 3; i++)
    xc[i] = B->R[i][0] * X[0] + B->R[i][1] * X[1] + B->R[i][2] * X[2] + B->t[i];
  if (!(xc[2] > 0)) return 0;
  const double iz = 1 / xc[2];
  double xn[2] = {xc[0] * iz, xc[1] * iz}, xd[2];
  cr_camera_distort_inline(cam, xn, xd);
  uv[0] = cam->fx * xd[0] + cam->cx, uv[1] = cam->fy * xd[1] + cam->cy;
  return 1;
}

// The first `nc` channels of A's render at (u, v), bilinear (the border pixels' values up
// to half a pixel beyond them); 0 outside. Where a neighbour missed (a miss does not blend in) the
// nearest pixel's values (NaN if it missed too): the render's hits next to a miss stay hits.
static inline int sample(const cr_reg_warp *w, double u, double v, int nc, float out[REC]) {
  const int W = w->cam.width, H = w->cam.height;
  if (!(u >= -0.5 && v >= -0.5 && u <= W - 0.5 && v <= H - 0.5)) return 0;
  u = u < 0 ? 0 : (u > W - 1 ? W - 1 : u), v = v < 0 ? 0 : (v > H - 1 ? H - 1 : v);
  const int x0 = (int)u, y0 = (int)v;
  const int dx = x0 + 1 < W ? REC : 0, dy = y0 + 1 < H ? REC * W : 0;
  const float ax = (float)(u - x0), ay = (float)(v - y0);
  const float w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
  const float *g = w->g + (size_t)REC * ((size_t)W * y0 + x0);
  for (int i = 0; i < nc; i++)
    out[i] = w00 * g[i] + w10 * g[dx + i] + w01 * g[dy + i] + w11 * g[dx + dy + i];
  if (isnan(out[0] + out[nc - 1])) {
    const float *n = g + (ax < 0.5f ? 0 : dx) + (ay < 0.5f ? 0 : dy);
    for (int i = 0; i < nc; i++) out[i] = n[i];
  }
  return 1;
}

int cr_reg_warp_to(const cr_reg_warp *w, const cr_pose *cam_from_world, const double light_world[3],
                   const unsigned char *pixels, cr_image *image, cr_image *xyz, cr_image *depth) {
  const cr_camera *cam = &w->cam;
  if (!w->g) return cr_error(CR_EINVAL, "render warp: no render kept (cr_reg_warp_set first)");
  if (!fits(image, cam, 1) || (xyz && !fits(xyz, cam, 3)) || (depth && !fits(depth, cam, 1)))
    return cr_error(CR_EINVAL, "render warp: output images differ from the camera's %dx%d",
                    cam->width, cam->height);
  const int W = cam->width, H = cam->height;
  const cr_pose B = *cam_from_world;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < H; y++) {
    float *o = cr_image_row(image, y), *ox = xyz ? cr_image_row(xyz, y) : NULL;
    float *od = depth ? cr_image_row(depth, y) : NULL;
    const unsigned char *want = pixels ? pixels + (size_t)W * y : NULL;
    const float *gy = w->g + (size_t)REC * W * y;
    for (int x = 0; x < W; x++) {
      float s[REC] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN}, v = NAN;
      double uv[2];
      const float *g = gy + (size_t)REC * x;
      if ((!want || want[x]) && project(cam, &B, g, uv)) {
        const double su = 2.0 * x - uv[0], sv = 2.0 * y - uv[1]; // s = y - d(y)
        if (sample(w, su, sv, 7, s))
          v = w->shaded ? cr_render_surface_shade(s + 3, s, light_world) : s[6];
        if (!isfinite(v) || !isfinite(s[0] + s[1] + s[2])) v = NAN, s[0] = s[1] = s[2] = NAN;
      }
      o[x] = v;
      if (ox) ox[3 * x] = s[0], ox[3 * x + 1] = s[1], ox[3 * x + 2] = s[2];
      if (od)
        od[x] = isfinite(s[0])
                    ? (float)(B.R[2][0] * s[0] + B.R[2][1] * s[1] + B.R[2][2] * s[2] + B.t[2])
                    : 0.0f;
    }
  }
  return 0;
}

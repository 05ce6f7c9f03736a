// The toy render mode of toy_mode.h: the depth where each pixel ray enters the volume
// box, by a slab test in voxel coordinates. Only the public render API is used.
#include "toy_mode.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct toy_state {
  const cr_volume *vol;
} toy_state;

static void toy_defaults(cr_render_options *p) {
  p->background = -1;
}

static int toy_create(void **state, const cr_volume *vol, const struct cr_mesh *mesh,
                      cr_render_options *p) {
  (void)mesh;
  if (!vol) return cr_error(CR_EINVAL, "toy: no volume");
  toy_state *s = malloc(sizeof *s);
  if (!s) return CR_ENOMEM;
  s->vol = vol;
  *state = s;
  return 0;
}

static void toy_destroy(void *state) {
  free(state);
}

// Camera z where the point z * (x, y, 1) of the pixel ray enters the box, or NAN.
static double entry_z(const toy_state *s, const cr_camera *cam, const cr_pose *cam_from_world,
                      int undistorted, int u, int v) {
  double ray[3], dw[3], C[3], o[3], d[3];
  if (undistorted)
    ray[0] = (u - cam->cx) / cam->fx, ray[1] = (v - cam->cy) / cam->fy, ray[2] = 1;
  else
    cr_camera_pixel_ray(cam, u, v, ray);
  cr_mat3_apply_transpose(dw, cam_from_world->R, ray); // world direction per mm of camera z
  cr_pose_camera_centre(cam_from_world, C);
  cr_mat4_apply_point(o, s->vol->voxel_from_world, C);
  for (int a = 0; a < 3; a++)
    d[a] = s->vol->voxel_from_world[a][0] * dw[0] + s->vol->voxel_from_world[a][1] * dw[1] +
           s->vol->voxel_from_world[a][2] * dw[2];
  double tn = 0, tf = INFINITY;
  for (int a = 0; a < 3; a++) {
    const double lo = -0.5, hi = s->vol->dim[a] - 0.5;
    if (d[a] == 0) {
      if (o[a] < lo || o[a] > hi) return NAN;
      continue;
    }
    double t1 = (lo - o[a]) / d[a], t2 = (hi - o[a]) / d[a];
    tn = fmax(tn, fmin(t1, t2)), tf = fmin(tf, fmax(t1, t2));
  }
  return tn < tf ? tn : NAN;
}

static int toy_render(void *state, const cr_render_options *p, const cr_camera *cam,
                      const cr_pose *cam_from_world, const cr_render_out *out) {
  const toy_state *s = state;
  for (int v = 0; v < cam->height; v++)
    for (int u = 0; u < cam->width; u++) {
      const size_t i = (size_t)v * cam->width + u;
      const int keep = !out->pixel_mask || out->pixel_mask[i];
      const double z = keep ? entry_z(s, cam, cam_from_world, p->undistorted, u, v) : NAN;
      const int hit = !isnan(z);
      cr_image_px(out->image, u, v)[0] = hit ? (float)z : p->background;
      if (out->depth) cr_image_px(out->depth, u, v)[0] = hit ? (float)z : 0.0f;
      if (out->hit) out->hit[i] = (unsigned char)hit;
    }
  return 0;
}

const cr_render_mode_type toy_render_mode = {
    .name = "toy",
    .summary = "test mode: camera depth (mm) where each pixel ray enters the volume box",
    .outputs = CR_RENDER_OUT_DEPTH,
    .needs_volume = 1,
    .defaults = toy_defaults,
    .create = toy_create,
    .destroy = toy_destroy,
    .render = toy_render,
};

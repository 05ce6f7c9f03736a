// Render parameters (defaults, transfer functions), the automatic iso level, image-plane
// geometry and orbit poses.
#include "render/render.h"

#include "core/error.h"
#include "core/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cr_render_options cr_render_defaults(const cr_render_mode_type *mode) {
  cr_render_options p;
  memset(&p, 0, sizeof p);
  p.mode = mode ? mode : &cr_render_mode_drr;
  p.step_mm = 0;
  p.interp = CR_INTERP_LINEAR;
  p.iso = NAN;
  p.probe_depth_mm = 3.0;
  p.surface_smooth_mm = 0.0;
  p.lit = 1;
  p.mesh_smooth_iterations = 5;
  p.mesh_probe = 0;
  if (p.mode->defaults) p.mode->defaults(&p);
  return p;
}

int cr_render_tf_parse(const char *text, cr_render_options *params) {
  int n = 0;
  const char *s = text;
  while (*s) {
    double v[5];
    int k = 0;
    char *end;
    for (;;) {
      if (k == 5)
        return cr_error(CR_EINVAL, "transfer function '%s': more than 5 numbers in a knot", text);
      v[k++] = strtod(s, &end);
      if (end == s || !isfinite(v[k - 1]))
        return cr_error(CR_EINVAL, "transfer function '%s': bad number at '%s'", text, s);
      s = end;
      if (*s != ':') break;
      s++;
    }
    if (k != 3 && k != 5)
      return cr_error(CR_EINVAL,
                      "transfer function '%s': a knot is value:opacity:grey or "
                      "value:opacity:r:g:b",
                      text);
    if (n == CR_TF_MAX)
      return cr_error(CR_EINVAL, "transfer function '%s': more than %d knots", text, CR_TF_MAX);
    if (v[1] < 0 || v[1] > 1)
      return cr_error(CR_EINVAL, "transfer function '%s': opacity must be in 0..1", text);
    if (n > 0 && v[0] < params->tf[n - 1].value)
      return cr_error(CR_EINVAL, "transfer function '%s': values must increase", text);
    cr_tf_point *t = &params->tf[n++];
    t->value = (float)v[0], t->opacity = (float)v[1];
    for (int c = 0; c < 3; c++) t->rgb[c] = (float)(k == 3 ? v[2] : v[2 + c]);
    if (*s == ',')
      s++;
    else if (*s)
      return cr_error(CR_EINVAL, "transfer function '%s': unexpected '%c'", text, *s);
  }
  if (n == 0) return cr_error(CR_EINVAL, "transfer function is empty");
  params->n_tf = n;
  return 0;
}

float cr_render_auto_iso(const cr_volume *vol) {
  return cr_volume_otsu_level(vol);
}

void cr_render_image_plane(const cr_camera *cam, const cr_pose *cam_from_world, double depth_mm,
                           double world_from_pixel[4][4]) {
  // x_cam = depth * ((u - cx)/fx, (v - cy)/fy, 1); world = R^T (x_cam - t)
  double Rt[3][3];
  cr_mat3_transpose(Rt, cam_from_world->R);
  double cu[3] = {depth_mm / cam->fx, 0, 0}, cv[3] = {0, depth_mm / cam->fy, 0};
  double p0[3] = {-depth_mm * cam->cx / cam->fx - cam_from_world->t[0],
                  -depth_mm * cam->cy / cam->fy - cam_from_world->t[1],
                  depth_mm - cam_from_world->t[2]};
  double ez[3] = {0, 0, depth_mm / cam->fx}, col[4][3];
  cr_mat3_apply(col[0], Rt, cu);
  cr_mat3_apply(col[1], Rt, cv);
  cr_mat3_apply(col[2], Rt, ez);
  cr_mat3_apply(col[3], Rt, p0);
  for (int a = 0; a < 3; a++)
    for (int c = 0; c < 4; c++) world_from_pixel[a][c] = col[c][a];
  world_from_pixel[3][0] = world_from_pixel[3][1] = world_from_pixel[3][2] = 0;
  world_from_pixel[3][3] = 1;
}

void cr_render_pixel_size(const cr_camera *cam, double depth_mm, double size_mm[2]) {
  size_mm[0] = depth_mm / cam->fx;
  size_mm[1] = depth_mm / cam->fy;
}

cr_pose cr_render_orbit_pose(const cr_pose *start, const double pivot[3], const double axis[3],
                             double angle_deg) {
  double ax[3] = {axis[0], axis[1], axis[2]};
  cr_vec3_normalize(ax);
  double rv[3];
  cr_vec3_scale(rv, ax, angle_deg * M_PI / 180.0);
  // world_from_world' = rotation by angle about the axis through the pivot
  cr_pose turn;
  cr_rotation_from_rvec(turn.R, rv);
  double rp[3];
  cr_mat3_apply(rp, turn.R, pivot);
  cr_vec3_sub(turn.t, pivot, rp);
  // cam' = cam o turn^-1: the camera centre moves by `turn`
  cr_pose inv = cr_pose_inverse(&turn);
  return cr_pose_compose(start, &inv);
}

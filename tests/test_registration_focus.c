// The focus distance (registration/focus.h) against ray-sphere intersections, its window
// fallback, its errors, the mesh mode as a second path, and the focus prior of the cost:
// zero at the reported distance, weight * (2 mm / sigma)^2 after a 2 mm move along the
// optical axis.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "registration/cost.h"
#include "registration/focus.h"

#include <math.h>
#include <string.h>

#define R_MM 30.0

static cr_volume *sphere;

// A ball of radius R_MM at the world origin, 1 mm voxels, whose value falls linearly from
// 1000 to 0 over 4 mm across the sphere: the 500 level is the sphere itself.
static int setup(void **state) {
  cr_gsl_quiet();
  const int n = 81;
  double A[4][4] = {{1, 0, 0, -40}, {0, 1, 0, -40}, {0, 0, 1, -40}, {0, 0, 0, 1}};
  sphere = cr_volume_new(n, n, n, A);
  if (!sphere) return -1;
  for (int k = 0; k < n; k++)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) {
        double r = sqrt(pow(i - 40.0, 2) + pow(j - 40.0, 2) + pow(k - 40.0, 2));
        double v = 0.5 - (r - R_MM) / 4;
        sphere->data[cr_volume_index(sphere, i, j, k)] = (float)(1000 * (v < 0   ? 0
                                                                         : v > 1 ? 1
                                                                                 : v));
      }
  return 0;
}
static int teardown(void **state) {
  cr_volume_free(sphere);
  return 0;
}

static cr_renderer *surface_renderer(const cr_render_mode_type *mode) {
  cr_render_options p = cr_render_defaults(mode);
  p.iso = 500;
  p.surface_smooth_mm = 0; // the ramp is smooth already
  cr_renderer *r = cr_renderer_new(sphere, NULL, &p);
  assert_non_null(r);
  return r;
}

// Distance along the unit ray x = c + t d to the sphere |x| = R_MM (first hit).
static double ray_sphere(const double c[3], const double d[3]) {
  double b = cr_vec3_dot(c, d), q = cr_vec3_dot(c, c) - R_MM * R_MM;
  return -b - sqrt(b * b - q);
}

// A camera with distortion and a principal point off the pixel grid: the principal ray is
// the optical axis whatever the lens, so the focus distance is the ray-sphere distance
// along the camera's +z.
static void test_principal_ray_hits(void **state) {
  cr_camera cam = cr_camera_from_fov(320, 240, 30);
  cam.cx = 157.3, cam.cy = 121.8, cam.dist[0] = -0.2, cam.dist[1] = 0.05;
  cr_renderer *r = surface_renderer(&cr_render_mode_surface);
  const double tilt_deg[3] = {0, 5, 9}; // principal rays that hit the sphere
  for (int i = 0; i < 3; i++) {
    double a = tilt_deg[i] * M_PI / 180, eye[3] = {0, 0, 150}, target[3] = {0, 150 * tan(a), 0},
           up[3] = {1, 0, 0};
    cr_pose pose;
    assert_int_equal(cr_pose_look_at(&pose, eye, target, up), 0);
    double axis[3] = {pose.R[2][0], pose.R[2][1], pose.R[2][2]}, want = ray_sphere(eye, axis), got;
    assert_int_equal(cr_reg_focus_distance(r, &cam, &pose, &got), 0);
    print_message("tilt %2.0f deg: focus %.4f mm, ray-sphere %.4f mm\n", tilt_deg[i], got, want);
    assert_true(fabs(got - want) < 0.05);
  }
  cr_renderer_free(r);
}

// The principal ray passes 0.8 mm outside the sphere: the median over the central window
// takes over; a view of nothing is CR_EEMPTY.
static void test_window_and_misses(void **state) {
  cr_camera cam = cr_camera_from_fov(320, 240, 30);
  cr_renderer *r = surface_renderer(&cr_render_mode_surface);
  double eye[3] = {0, 0, 150}, target[3] = {31.5, 0, 0}, up[3] = {0, 1, 0}, d;
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, target, up), 0);
  double axis[3] = {pose.R[2][0], pose.R[2][1], pose.R[2][2]}, cross[3];
  cr_vec3_cross(cross, eye, axis);
  assert_true(cr_vec3_norm(cross) > R_MM); // the principal ray misses the sphere
  assert_int_equal(cr_reg_focus_distance(r, &cam, &pose, &d), 0);
  print_message("window median %.3f mm (sphere front %.1f mm)\n", d, 150 - R_MM);
  assert_true(d > 150 - R_MM && d < 155);
  double away[3] = {0, 0, 400};
  assert_int_equal(cr_pose_look_at(&pose, eye, away, up), 0);
  assert_int_equal(cr_reg_focus_distance(r, &cam, &pose, &d), CR_EEMPTY);
  assert_non_null(strstr(cr_last_error(), "focus"));
  cr_renderer_free(r);
  cr_render_options p = cr_render_defaults(&cr_render_mode_drr);
  cr_renderer *drr = cr_renderer_new(sphere, NULL, &p);
  assert_non_null(drr);
  assert_int_equal(cr_reg_focus_distance(drr, &cam, &pose, &d), CR_EINVAL);
  cr_renderer_free(drr);
}

// Two paths: the mesh raster of the same sphere gives the same focus distance.
static void test_mesh_mode_agrees(void **state) {
  cr_camera cam = cr_camera_from_fov(320, 240, 30);
  cr_renderer *rs = surface_renderer(&cr_render_mode_surface),
              *rm = surface_renderer(&cr_render_mode_mesh);
  double eye[3] = {20, -10, 140}, target[3] = {5, 3, 0}, up[3] = {0, 1, 0}, ds, dm;
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, target, up), 0);
  assert_int_equal(cr_reg_focus_distance(rs, &cam, &pose, &ds), 0);
  assert_int_equal(cr_reg_focus_distance(rm, &cam, &pose, &dm), 0);
  print_message("surface %.3f mm, mesh %.3f mm\n", ds, dm);
  assert_true(fabs(ds - dm) < 0.3); // a fraction of the 1 mm voxel (mesh facets, smoothing)
  cr_renderer_free(rs), cr_renderer_free(rm);
}

// The focus prior of the cost: 0 at the reported distance; moving the camera 2 mm back
// along its axis adds focus_weight * (2 / sigma)^2; bad distances and sigmas are refused.
static void test_cost_focus_prior(void **state) {
  cr_camera cam = cr_camera_from_fov(96, 80, 30);
  double eye[3] = {5, 0, 160}, target[3] = {0, 0, 0}, up[3] = {0, 1, 0};
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, target, up), 0);
  cr_image *photo = cr_image_new(96, 80, 1);
  for (int y = 0; y < 80; y++)
    for (int x = 0; x < 96; x++) *cr_image_px(photo, x, y) = (float)((x / 8 + y / 8) % 2);
  cr_reg_method m = cr_reg_method_defaults();
  m.iso = 500, m.surface_smooth_mm = 0, m.levels = 1;
  cr_reg_view v = cr_reg_view_mono(&cam, photo, NULL);
  cr_reg_cost *c = cr_reg_cost_new(&m, sphere, NULL, &v, 1);
  assert_non_null(c);
  double d0, plain, with, pen, dist;
  assert_int_equal(cr_reg_cost_focus_distance(c, &pose, &d0), 0);
  assert_true(fabs(d0 - (cr_vec3_norm(eye) - R_MM)) < 0.05);
  assert_int_equal(cr_reg_cost_eval(0, &pose, c, &plain), 0);
  assert_int_equal(cr_reg_cost_focus_penalty(c, &pose, &dist, &pen), 0);
  assert_true(isnan(dist) && pen == 0); // off until a focus distance is set
  assert_int_equal(cr_reg_cost_set_focus(c, -5, 1), CR_EINVAL);
  assert_int_equal(cr_reg_cost_set_focus(c, d0, 0), CR_EINVAL);
  assert_int_equal(cr_reg_cost_set_focus(c, d0, 0.5), 0);
  assert_int_equal(cr_reg_cost_eval(0, &pose, c, &with), 0);
  assert_true(with == plain); // the penalty is exactly 0 at the reported distance
  cr_pose back = pose;
  back.t[2] += 2; // x_cam = R x + t: the camera moves 2 mm back along its axis
  assert_int_equal(cr_reg_cost_focus_penalty(c, &back, &dist, &pen), 0);
  print_message("2 mm back: focus %.4f mm (reported %.4f), penalty %.6f\n", dist, d0, pen);
  assert_true(fabs(dist - d0 - 2) < 1e-3);
  assert_true(fabs(pen - m.focus_weight * 16) < 1e-4 * m.focus_weight * 16 + 1e-6);
  cr_reg_cost_free(c);
  cr_image_free(photo);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_principal_ray_hits),
      cmocka_unit_test(test_window_and_misses),
      cmocka_unit_test(test_mesh_mode_agrees),
      cmocka_unit_test(test_cost_focus_prior),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

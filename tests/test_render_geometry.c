// Renderer geometry: a bright sphere lands where the projection formula and OpenCV's
// projectPoints say (with and without distortion); image-plane header; orbit poses;
// reslicing of a linear field.
// test-links: cvref
#include "cv_reference.h"
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static cr_volume *sphere_volume(const double X[3], double R) {
  double A[4][4] = {{1, 0, 0, -31.5}, {0, 1, 0, -31.5}, {0, 0, 1, -31.5}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(64, 64, 64, A);
  assert_non_null(v);
  for (int k = 0; k < 64; k++)
    for (int j = 0; j < 64; j++)
      for (int i = 0; i < 64; i++) {
        double ijk[3] = {i, j, k}, x[3], d[3];
        cr_volume_voxel_to_world(v, ijk, x);
        cr_vec3_sub(d, x, X);
        double s = R + 0.5 - cr_vec3_norm(d);
        v->data[cr_volume_index(v, i, j, k)] = (float)(s < 0 ? 0 : (s > 1 ? 1 : s));
      }
  return v;
}

// Intensity-weighted centroid of the pixels above half the maximum.
static void blob_centroid(const cr_image *img, double uv[2]) {
  float lo, hi;
  cr_image_minmax(img, &lo, &hi);
  double s = 0, su = 0, sv = 0;
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      double w = cr_image_px(img, x, y)[0] - 0.5 * hi;
      if (w > 0) s += w, su += w * x, sv += w * y;
    }
  uv[0] = su / s, uv[1] = sv / s;
}

static void test_sphere_projects_where_formula_says(void **state) {
  (void)state;
  const double X[3] = {20, -14, 17};
  cr_volume *v = sphere_volume(X, 2.0);
  double eye[3] = {10, -80, 20}, target[3] = {0, 0, 0}, up[3] = {0, 0, 1};
  cr_pose P;
  assert_int_equal(cr_pose_look_at(&P, eye, target, up), 0);
  cr_render_options p = cr_render_defaults(&cr_render_mode_mip);
  p.step_mm = 0.25;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  for (int distorted = 0; distorted < 2; distorted++) {
    cr_camera cam = {200, 150, 150, 148, 97.3, 78.6, {0}};
    if (distorted)
      cam.dist[0] = -0.45, cam.dist[1] = 0.15, cam.dist[2] = 0.004, cam.dist[3] = -0.003;
    cr_image *img = cr_image_new(cam.width, cam.height, 1);
    cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(cr_render(r, &cam, &P, &out), 0);
    double uv[2], want[2], xc[3], cv[2];
    blob_centroid(img, uv);
    cr_pose_apply(&P, X, xc);
    assert_int_equal(cr_camera_project(&cam, xc, want), 0);
    double rvec[3], K[9] = {cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1};
    char err[256];
    cr_rvec_from_rotation(rvec, P.R);
    assert_int_equal(cvref_project_points(X, 1, rvec, P.t, K, cam.dist, cv, err, sizeof err), 0);
    print_message("distortion %d: blob (%.3f, %.3f), formula (%.3f, %.3f), OpenCV (%.3f, %.3f)\n",
                  distorted, uv[0], uv[1], want[0], want[1], cv[0], cv[1]);
    assert_near(uv[0], want[0], 0.5);
    assert_near(uv[1], want[1], 0.5);
    assert_near(uv[0], cv[0], 0.5);
    assert_near(uv[1], cv[1], 0.5);
    if (distorted) { // the distortion moves the point by several pixels: the test has teeth
      cr_camera und = cam;
      memset(und.dist, 0, sizeof und.dist);
      double u0[2];
      cr_camera_project(&und, xc, u0);
      assert_true(hypot(u0[0] - want[0], u0[1] - want[1]) > 2);
      // the undistorted flag renders the pinhole view
      cr_render_options pu = p;
      pu.undistorted = 1;
      cr_renderer *ru;
      assert_int_equal(cr_status_of(ru = cr_renderer_new(v, NULL, &pu)), 0);
      assert_int_equal(cr_render(ru, &cam, &P, &out), 0);
      blob_centroid(img, uv);
      assert_near(uv[0], u0[0], 0.5);
      assert_near(uv[1], u0[1], 0.5);
      cr_renderer_free(ru);
    }
    cr_image_free(img);
  }
  cr_renderer_free(r);
  cr_volume_free(v);
}

static void test_image_plane_and_pixel_size(void **state) {
  (void)state;
  cr_camera cam = {120, 90, 300, 310, 61.2, 40.7, {0}};
  double eye[3] = {10, -200, 30}, target[3] = {5, 0, 0}, up[3] = {0, 0, 1};
  cr_pose P;
  assert_int_equal(cr_pose_look_at(&P, eye, target, up), 0);
  double M[4][4], sz[2];
  cr_render_image_plane(&cam, &P, 180, M);
  cr_render_pixel_size(&cam, 180, sz);
  assert_near(sz[0], 0.6, 1e-12);
  const double pix[3][2] = {{0, 0}, {119, 0}, {37.5, 80}};
  for (int q = 0; q < 3; q++) {
    double p3[3] = {pix[q][0], pix[q][1], 0}, w[3], xc[3], uv[2];
    cr_mat4_apply_point(w, M, p3);
    cr_pose_apply(&P, w, xc);
    assert_near(xc[2], 180, 1e-9);
    cr_camera_project(&cam, xc, uv);
    assert_near(uv[0], pix[q][0], 1e-9);
    assert_near(uv[1], pix[q][1], 1e-9);
  }
  // neighbouring pixels are one pixel size apart in world space
  double a[3] = {10, 10, 0}, b[3] = {11, 10, 0}, wa[3], wb[3], d[3];
  cr_mat4_apply_point(wa, M, a);
  cr_mat4_apply_point(wb, M, b);
  cr_vec3_sub(d, wb, wa);
  assert_near(cr_vec3_norm(d), sz[0], 1e-9);
}

static void test_orbit_pose(void **state) {
  (void)state;
  double eye[3] = {0, -150, 20}, pivot[3] = {5, 3, 10}, up[3] = {0, 0, 1}, axis[3] = {0, 0, 2};
  cr_pose P;
  assert_int_equal(cr_pose_look_at(&P, eye, pivot, up), 0);
  cr_pose Q = cr_render_orbit_pose(&P, pivot, axis, 90);
  double pc0[3], pc1[3], c0[3], c1[3];
  cr_pose_apply(&P, pivot, pc0);
  cr_pose_apply(&Q, pivot, pc1);
  for (int a = 0; a < 3; a++) assert_near(pc0[a], pc1[a], 1e-9); // pivot fixed in the view
  cr_pose_camera_centre(&P, c0);
  cr_pose_camera_centre(&Q, c1);
  // +90 deg about +z through the pivot: (x, y) - p -> (-(y - py), x - px)
  assert_near(c1[0] - pivot[0], -(c0[1] - pivot[1]), 1e-9);
  assert_near(c1[1] - pivot[1], c0[0] - pivot[0], 1e-9);
  assert_near(c1[2], c0[2], 1e-9);
}

// Trilinear reslicing of a linear field is exact; the header maps pixels to world.
static void test_reslice_linear_field(void **state) {
  (void)state;
  double A[4][4] = {{0, -2, 0, 30}, {1.5, 0, 0, -20}, {0, 0, -1.2, 15}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(30, 28, 26, A);
  assert_non_null(v);
  const double g[3] = {0.7, -0.4, 1.3};
  for (int k = 0; k < 26; k++)
    for (int j = 0; j < 28; j++)
      for (int i = 0; i < 30; i++) {
        double ijk[3] = {i, j, k}, x[3];
        cr_volume_voxel_to_world(v, ijk, x);
        v->data[cr_volume_index(v, i, j, k)] = (float)(cr_vec3_dot(g, x) + 5);
      }
  double c[3] = {2, 5, -3}, n[3] = {0.3, 1, 0.2}, up[3] = {0, 0, 1}, M[4][4];
  cr_image *img = cr_image_new(41, 33, 1);
  assert_int_equal(cr_render_reslice(v, c, n, up, 1.6, CR_INTERP_LINEAR, -999, img, M), 0);
  int inside = 0, outside = 0;
  for (int y = 0; y < 33; y++)
    for (int x = 0; x < 41; x++) {
      double p3[3] = {x, y, 0}, w[3], ijk[3];
      cr_mat4_apply_point(w, M, p3);
      cr_volume_world_to_voxel(v, w, ijk);
      int in = 1;
      for (int a = 0; a < 3; a++) in &= ijk[a] >= 0 && ijk[a] <= v->dim[a] - 1;
      float got = cr_image_px(img, x, y)[0];
      if (in) {
        assert_near(got, cr_vec3_dot(g, w) + 5, 1e-3);
        inside++;
      } else if (got == -999) {
        outside++;
      }
    }
  assert_true(inside > 600);
  assert_true(outside > 0);
  // centre pixel at the centre, v axis along -up
  double mid[3] = {20, 16, 0}, wm[3];
  cr_mat4_apply_point(wm, M, mid);
  for (int a = 0; a < 3; a++) assert_near(wm[a], c[a], 1e-9);
  assert_true(M[2][1] < 0);
  assert_int_equal(cr_render_reslice(v, c, n, n, 0.8, CR_INTERP_LINEAR, 0, img, M), CR_EINVAL);
  cr_image_free(img);
  cr_volume_free(v);
}

static void test_auto_iso_between_classes(void **state) {
  (void)state;
  cr_volume *v = cr_volume_new(20, 20, 20, NULL);
  for (size_t i = 0; i < cr_volume_count(v); i++)
    v->data[i] = (i % 3 == 0) ? 100.0f + (float)(i % 7) : (float)(i % 5);
  float iso = cr_render_auto_iso(v);
  assert_true(iso > 4 && iso <= 100);
  cr_volume_free(v);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sphere_projects_where_formula_says),
      cmocka_unit_test(test_image_plane_and_pixel_size),
      cmocka_unit_test(test_orbit_pose),
      cmocka_unit_test(test_reslice_linear_field),
      cmocka_unit_test(test_auto_iso_between_classes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

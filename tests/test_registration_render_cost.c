// The render + metric cost on the phantom: half-resolution renders agree with the
// downsampled full-resolution render; the cost prefers the true pose of a synthetic
// photo; bad input fails clearly.
#include "testutil.h"

#include "core/error.h"
#include "core/imgproc.h"
#include "registration/pyramid.h"
#include "registration/render_cost.h"

#include <math.h>
#include <string.h>

static cr_volume *vol;

static int setup(void **state) {
  cr_gsl_quiet();
  vol = cr_test_small_phantom("RAS", 0);
  return vol ? 0 : -1;
}
static int teardown(void **state) {
  cr_volume_free(vol);
  return 0;
}

static cr_pose view(void) {
  double eye[3] = {10, 20, 230}, target[3] = {10, 20, 50}, up[3] = {0, 1, 0};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}

// Pearson correlation and intensity-centroid distance (px) of two 1-channel images.
static void compare(const cr_image *a, const cr_image *b, double *corr, double *centroid_px) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0, ca[3] = {0}, cb[3] = {0};
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double u = *cr_image_px(a, x, y), v = *cr_image_px(b, x, y);
      sa += u, sb += v, saa += u * u, sbb += v * v, sab += u * v, n++;
      ca[0] += u * x, ca[1] += u * y, ca[2] += u, cb[0] += v * x, cb[1] += v * y, cb[2] += v;
    }
  *corr = (sab - sa * sb / n) / sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
  *centroid_px = hypot(ca[0] / ca[2] - cb[0] / cb[2], ca[1] / ca[2] - cb[1] / cb[2]);
}

static void test_half_resolution_render(void **state) {
  cr_camera cam = cr_camera_from_fov(160, 120, 40);
  cam.cx += 2.7;
  cr_pose pose = view();
  for (int mode = 0; mode < 2; mode++) {
    cr_render_params p = cr_render_defaults(mode ? &cr_render_mode_probe : &cr_render_mode_surface);
    cr_renderer *r;
    assert_int_equal(cr_renderer_new(&r, vol, NULL, &p), 0);
    cr_camera half = cr_camera_scaled(&cam, 0.5);
    cr_image *full = cr_image_new(cam.width, cam.height, 1), *hr = cr_image_new(half.width, half.height, 1);
    cr_render_out of = {full, NULL, NULL, NULL, NULL, NULL}, oh = {hr, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(cr_render(r, &cam, &pose, &of), 0);
    assert_int_equal(cr_render(r, &half, &pose, &oh), 0);
    cr_image *down = cr_image_resize_area(full, half.width, half.height);
    double corr, dc;
    compare(down, hr, &corr, &dc);
    // The same render with the principal point not rescaled (c' = c / 2) is off by 0.25 px.
    print_message("%s: correlation %.4f, centroid offset %.4f px\n", mode ? "probe" : "surface", corr, dc);
    assert_true(corr > 0.97);
    assert_true(dc < 0.1);
    cr_image_free(full), cr_image_free(hr), cr_image_free(down);
    cr_renderer_free(r);
  }
}

static void test_cost_prefers_truth(void **state) {
  cr_camera cam = cr_camera_from_fov(128, 128, 30);
  cr_pose truth = view();
  double target[3] = {10, 20, 50};
  // The "photo": a lit surface render (another appearance than the probe render the
  // cost uses) inside a round opening.
  cr_image *photo = cr_image_new(128, 128, 1), *mask = cr_image_new(128, 128, 1);
  cr_render_params sp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *sr;
  assert_int_equal(cr_renderer_new(&sr, vol, NULL, &sp), 0);
  cr_render_out so = {photo, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(sr, &cam, &truth, &so), 0);
  cr_renderer_free(sr);
  for (int y = 0; y < 128; y++)
    for (int x = 0; x < 128; x++) *cr_image_px(mask, x, y) = hypot(x - 60, y - 66) < 45;
  (void)target;
  cr_reg_render_cost_options o = cr_reg_render_cost_defaults();
  o.render = cr_render_defaults(&cr_render_mode_probe), o.metric = cr_metric_mi, o.levels = 2;
  cr_reg_render_cost *c;
  assert_int_equal(cr_reg_render_cost_new(&c, vol, &cam, photo, mask, &o), 0);
  double at_truth, shifted;
  for (int level = 0; level < 2; level++) {
    cr_camera lc = cr_reg_level_camera(&cam, level);
    assert_int_equal(cr_reg_render_cost_eval(&lc, level, &truth, c, &at_truth), 0);
    for (int axis = 0; axis < 2; axis++) { // in-plane shifts of 4 mm are clearly worse
      cr_pose p = truth;
      p.t[axis] += 4;
      assert_int_equal(cr_reg_render_cost_eval(&lc, level, &p, c, &shifted), 0);
      print_message("level %d axis %d: cost %.4f at truth, %.4f shifted\n", level, axis, at_truth, shifted);
      assert_true(at_truth < shifted);
    }
  }
  double pivot[3];
  assert_int_equal(cr_reg_render_cost_pivot(c, &truth, pivot), 0);
  assert_true(pivot[2] > 20 && pivot[2] < 80); // on the top of the brain
  // Looking away from the head: nothing valid, a wall cost, and the pivot fails.
  cr_pose away = truth;
  for (int i = 0; i < 3; i++) away.R[1][i] = -away.R[1][i], away.R[2][i] = -away.R[2][i];
  away.t[1] = -away.t[1], away.t[2] = -away.t[2];
  long n_valid = -1;
  assert_int_equal(cr_reg_render_cost_render(c, 0, &away, NULL, &n_valid), 0);
  assert_int_equal(n_valid, 0);
  assert_int_equal(cr_reg_render_cost_eval(&cam, 0, &away, c, &shifted), 0);
  assert_true(shifted >= 1e10);
  assert_int_equal(cr_reg_render_cost_pivot(c, &away, pivot), CR_EEMPTY);
  cr_reg_render_cost_free(c);
  // Bad input: photo of another size, empty mask.
  cr_camera wrong = cr_camera_from_fov(100, 128, 30);
  assert_int_equal(cr_reg_render_cost_new(&c, vol, &wrong, photo, NULL, &o), CR_EINVAL);
  assert_null(c);
  cr_image_fill(mask, 0);
  assert_int_equal(cr_reg_render_cost_new(&c, vol, &cam, photo, mask, &o), CR_EEMPTY);
  cr_image_free(photo), cr_image_free(mask);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_half_resolution_render),
      cmocka_unit_test(test_cost_prefers_truth),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

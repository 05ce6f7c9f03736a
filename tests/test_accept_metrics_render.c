// The issue-6 landscape acceptance on phantom renders: for each metric, a render of the
// phantom at the true pose (with a gain change, noise and a mask) is the fixed image;
// renders with each of the six pose parameters stepped around the truth are the moving
// images. Every metric must have its optimum within one step of the truth.
// test-links: metrics render
#include "testutil.h"

#include "core/camera.h"
#include "core/error.h"
#include "core/pose.h"
#include "core/rng.h"
#include "metrics/metric.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>

#define W 96
#define H 72
#define NS 7 // steps -3..3

// cam_from_world composed with a rotation (param 0..2, degrees about world axes) or a
// translation (param 3..5, mm) applied about the pivot P in world coordinates.
static cr_pose perturb(const cr_pose *cam_from_world, const double P[3], int param, double v) {
  double rv[3] = {0, 0, 0}, tv[3] = {0, 0, 0};
  if (param < 3)
    rv[param] = v * M_PI / 180;
  else
    tv[param - 3] = v;
  cr_pose d = cr_pose_from_rvec_tvec(rv, tv); // x -> R (x - P) + P + t
  for (int i = 0; i < 3; i++)
    d.t[i] += P[i] - (d.R[i][0] * P[0] + d.R[i][1] * P[1] + d.R[i][2] * P[2]);
  return cr_pose_compose(cam_from_world, &d);
}

static void landscape_for_mode(const cr_render_mode_type *mode) {
  cr_volume *vol = cr_test_small_phantom("LPS", 10);
  assert_non_null(vol);
  cr_render_options rp = cr_render_defaults(mode);
  rp.background = NAN; // misses are excluded by every metric
  cr_renderer *r = NULL;
  assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &rp)), 0);
  cr_camera cam = cr_camera_from_fov(W, H, 40);
  cr_pose truth;
  double eye[3] = {30, 20, 260}, P[3] = {0, 0, 40}, up[3] = {0, 1, 0};
  assert_int_equal(cr_pose_look_at(&truth, eye, P, up), 0);
  cr_image *f = cr_image_new(W, H, 1), *mask = cr_image_new(W, H, 1);
  assert_int_equal(
      cr_render(r, &cam, &truth, &(cr_render_out){f, NULL, NULL, NULL, NULL, NULL, NULL}), 0);
  float lo, hi;
  cr_image_minmax(f, &lo, &hi);
  assert_true(hi > lo);
  long seen = 0;
  cr_rng rng = cr_rng_make(1, 0);
  for (int i = 0; i < W * H; i++) { // a "photo": gain, offset, noise; an opening mask
    int x = i % W, y = i / W;
    float u = (float)cr_rng_uniform(&rng);
    if (!isnan(f->data[i])) f->data[i] = 0.9f * f->data[i] + 0.05f * (hi - lo) * u;
    mask->data[i] = (x - 48) * (x - 48) + (y - 36) * (y - 36) < 34 * 34 ? 1.0f : 0.0f;
    seen += !isnan(f->data[i]) && mask->data[i] != 0;
  }
  assert_true(seen > W * H / 4);
  const double step[6] = {2, 2, 2, 2, 2, 8}; // deg, deg, deg, mm, mm, mm (z along the view)
  cr_image *mv[6][NS];
  for (int p = 0; p < 6; p++)
    for (int i = 0; i < NS; i++) {
      cr_pose q = perturb(&truth, P, p, step[p] * (i - NS / 2));
      mv[p][i] = cr_image_new(W, H, 1);
      assert_int_equal(
          cr_render(r, &cam, &q, &(cr_render_out){mv[p][i], NULL, NULL, NULL, NULL, NULL, NULL}),
          0);
    }
  cr_metric_options o = cr_metric_defaults();
  o.dice_threshold = 0.5 * (lo + hi);
  for (int k = 0; cr_metric_types[k]; k++) {
    cr_metric *m = cr_metric_new(cr_metric_types[k], f, mask, &o);
    assert_non_null(m);
    for (int p = 0; p < 6; p++) {
      double v[NS];
      assert_int_equal(cr_metric_eval_many(m, (const cr_image *const *)mv[p], NS, v), 0);
      int best = cr_metric_best_index(cr_metric_types[k], v, NS) - NS / 2;
      if (abs(best) > 1) {
        print_error("%s mode %s: parameter %d optimum at step %d\n", cr_metric_types[k]->name,
                    mode->name, p, best);
        fail();
      }
    }
    cr_metric_free(m);
  }
  for (int p = 0; p < 6; p++)
    for (int i = 0; i < NS; i++) cr_image_free(mv[p][i]);
  cr_image_free(f), cr_image_free(mask);
  cr_renderer_free(r);
  cr_volume_free(vol);
}

static void test_surface_render_landscape(void **state) {
  (void)state;
  landscape_for_mode(&cr_render_mode_surface);
}

static void test_probe_render_landscape(void **state) {
  (void)state;
  landscape_for_mode(&cr_render_mode_probe);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_surface_render_landscape),
      cmocka_unit_test(test_probe_render_landscape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

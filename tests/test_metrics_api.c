// The metric interface: lookup, direction, errors, the cost convention and batch helpers.
#include "testutil.h"

#include "core/error.h"
#include "metrics/metric.h"
#include "metrics/pattern.h"

#include <math.h>
#include <string.h>

static const char *const names[] = {"ssd", "ncc", "lncc", "mi",   "nmi", "gc",
                                    "gd",  "pi",  "ngf",  "edge", "dice"};

static void test_find_all_names(void **state) {
  (void)state;
  int n = 0;
  while (cr_metric_types[n]) n++;
  assert_int_equal(n, 11);
  for (int i = 0; i < 11; i++) {
    const cr_metric_type *t = cr_metric_find(names[i]);
    assert_non_null(t);
    assert_string_equal(t->name, names[i]);
    assert_ptr_equal(t, cr_metric_types[i]);
    // only the distance-like metrics are minimized
    int smaller = !strcmp(names[i], "ssd") || !strcmp(names[i], "edge");
    assert_int_equal(t->larger_is_better, !smaller);
  }
  assert_null(cr_metric_find("NCC"));
  assert_null(cr_metric_find("nope"));
  assert_null(cr_metric_find(NULL));
}

static void test_bad_inputs(void **state) {
  (void)state;
  cr_image *f = cr_metrics_pattern(32, 24, 0, 0, 0, 1);
  cr_image *rgb = cr_image_new(32, 24, 3);
  cr_image *small = cr_image_new(31, 24, 1);
  cr_image *zero_mask = cr_image_new(32, 24, 1);
  assert_null(cr_metric_new(cr_metric_ncc, rgb, NULL, NULL));
  assert_null(cr_metric_new(cr_metric_ncc, f, small, NULL));
  assert_null(cr_metric_new(cr_metric_ncc, f, zero_mask, NULL));
  assert_non_null(strstr(cr_last_error(), "no valid pixel"));
  cr_metric_options o = cr_metric_defaults();
  o.bins = 2;
  assert_null(cr_metric_new(cr_metric_mi, f, NULL, &o));
  assert_non_null(strstr(cr_last_error(), "bins"));
  cr_metric *m = cr_metric_new(cr_metric_ncc, f, NULL, NULL);
  assert_non_null(m);
  double v = 0;
  assert_int_equal(cr_metric_eval(m, small, &v), CR_EINVAL);
  assert_true(isnan(v));
  assert_int_equal(cr_metric_eval(m, rgb, &v), CR_EINVAL);
  cr_image *nan = cr_image_new(32, 24, 1);
  cr_image_fill(nan, NAN);
  assert_int_equal(cr_metric_eval(m, nan, &v), CR_EEMPTY);
  cr_metric_free(m);
  cr_metric_free(NULL);
  cr_image_free(f), cr_image_free(rgb), cr_image_free(small), cr_image_free(zero_mask);
  cr_image_free(nan);
}

static void test_cost_convention(void **state) {
  (void)state;
  assert_true(cr_metric_cost(cr_metric_ncc, 0.9) == -0.9);
  assert_true(cr_metric_cost(cr_metric_ssd, 2.5) == 2.5);
  double vals[5] = {0.1, NAN, 0.7, 0.3, 0.7};
  assert_int_equal(cr_metric_best_index(cr_metric_ncc, vals, 5), 2);
  assert_int_equal(cr_metric_best_index(cr_metric_ssd, vals, 5), 0);
  double all_nan[2] = {NAN, NAN};
  assert_int_equal(cr_metric_best_index(cr_metric_ssd, all_nan, 2), -1);
  // eval_cost = the sign-adjusted eval, for every metric
  cr_image *f = cr_metrics_pattern(40, 40, 0, 0, 0, 1);
  cr_image *g = cr_metrics_pattern(40, 40, 1.5, 0, 0.05, 1);
  for (int i = 0; cr_metric_types[i]; i++) {
    cr_metric *m = cr_metric_new(cr_metric_types[i], f, NULL, NULL);
    assert_non_null(m);
    double v, c;
    assert_int_equal(cr_metric_eval(m, g, &v), 0);
    assert_int_equal(cr_metric_eval_cost(m, g, &c), 0);
    assert_true(c == (cr_metric_types[i]->larger_is_better ? -v : v));
    cr_metric_free(m);
  }
  cr_image_free(f), cr_image_free(g);
}

typedef struct gen_ctx {
  int made, released;
} gen_ctx;

static int make_img(void *ctx, int i, cr_image **img) {
  ((gen_ctx *)ctx)->made++;
  *img = cr_metrics_pattern(40, 40, i - 2, 0, 0, 1);
  if (i == 1) cr_image_fill(*img, NAN); // a render that misses everything
  return *img ? 0 : CR_ENOMEM;
}
static void release_img(void *ctx, cr_image *img) {
  ((gen_ctx *)ctx)->released++;
  cr_image_free(img);
}

static void test_batch_helpers(void **state) {
  (void)state;
  cr_image *f = cr_metrics_pattern(40, 40, 0, 0, 0, 1);
  cr_metric *m = cr_metric_new(cr_metric_ssd, f, NULL, NULL);
  gen_ctx ctx = {0, 0};
  double vals[5];
  assert_int_equal(cr_metric_eval_generated(m, 5, make_img, release_img, &ctx, vals), 0);
  assert_int_equal(ctx.made, 5);
  assert_int_equal(ctx.released, 5);
  assert_true(isnan(vals[1]));
  assert_true(vals[2] == 0.0);
  assert_int_equal(cr_metric_best_index(cr_metric_ssd, vals, 5), 2);
  // eval_many agrees with single evaluations
  cr_image *imgs[3];
  double many[3];
  for (int i = 0; i < 3; i++) imgs[i] = cr_metrics_pattern(40, 40, i, 0, 0, 1);
  assert_int_equal(cr_metric_eval_many(m, (const cr_image *const *)imgs, 3, many), 0);
  for (int i = 0; i < 3; i++) {
    double v;
    assert_int_equal(cr_metric_eval(m, imgs[i], &v), 0);
    assert_true(v == many[i]);
    cr_image_free(imgs[i]);
  }
  assert_true(many[0] == 0 && many[1] > 0 && many[2] > many[1]);
  cr_metric_free(m);
  cr_image_free(f);
}

// Colour moving images: channel choice and grey conversion agree with cr_image_to_grey.
static void test_eval_channel(void **state) {
  (void)state;
  cr_image *f = cr_metrics_pattern(40, 30, 0, 0, 0, 1), *g = cr_metrics_pattern(40, 30, 1, 0, 0, 1);
  cr_image *rgb = cr_image_new(40, 30, 3);
  for (int i = 0; i < 40 * 30; i++) {
    rgb->data[3 * i] = 2.0f * g->data[i];
    rgb->data[3 * i + 1] = g->data[i] + 0.1f;
    rgb->data[3 * i + 2] = i == 77 ? NAN : 0.5f;
  }
  const float wts[3] = {0.2f, 0.5f, 0.3f};
  for (int k = 0; cr_metric_types[k]; k++) {
    cr_metric *m = cr_metric_new(cr_metric_types[k], f, NULL, NULL);
    for (int c = -1; c < 3; c++)
      for (int use_w = 0; use_w < 2; use_w++) {
        cr_image *ref = cr_image_to_grey(rgb, c, use_w ? wts : NULL);
        double a, b;
        assert_int_equal(cr_metric_eval_channel(m, rgb, c, use_w ? wts : NULL, &a), 0);
        assert_int_equal(cr_metric_eval(m, ref, &b), 0);
        assert_true(a == b || (isnan(a) && isnan(b)));
        cr_image_free(ref);
      }
    double v;
    assert_int_equal(cr_metric_eval_channel(m, rgb, 3, NULL, &v), CR_EINVAL);
    assert_int_equal(cr_metric_eval_channel(m, g, 2, NULL, &v), 0); // 1-channel: as is
    cr_metric_free(m);
  }
  cr_image_free(f), cr_image_free(g), cr_image_free(rgb);
}

// Degenerate inputs: constant images, large values (1e15), a single valid pixel give
// a finite value (or CR_EEMPTY), never a crash or NaN.
static void test_degenerate_inputs(void **state) {
  (void)state;
  cr_image *f = cr_metrics_pattern(24, 24, 0, 0, 0, 1), *flat = cr_image_new(24, 24, 1);
  cr_image *huge = cr_image_new(24, 24, 1), *one = cr_image_new(24, 24, 1);
  cr_image_fill(flat, 3.0f);
  cr_image_fill(one, NAN);
  for (int i = 0; i < 24 * 24; i++) huge->data[i] = (i % 3 ? 1e15f : -1e15f) * (float)(i % 5);
  cr_image_row(one, 12)[12] = 1.0f;
  const cr_image *fixed[3] = {f, flat, huge}, *moving[4] = {f, flat, huge, one};
  for (int k = 0; cr_metric_types[k]; k++)
    for (int a = 0; a < 3; a++) {
      cr_metric *m = cr_metric_new(cr_metric_types[k], fixed[a], NULL, NULL);
      if (!m) print_error("%s, fixed %d: %s\n", cr_metric_types[k]->name, a, cr_last_error());
      assert_non_null(m);
      for (int b = 0; b < 4; b++) {
        double v;
        int rc = cr_metric_eval(m, moving[b], &v);
        if (rc == CR_EEMPTY) continue; // one pixel has no valid 3x3 neighbourhood or pair
        assert_int_equal(rc, 0);
        if (!isfinite(v)) {
          print_error("%s: fixed %d moving %d gives %g\n", cr_metric_types[k]->name, a, b, v);
          fail();
        }
      }
      cr_metric_free(m);
    }
  cr_image_free(f), cr_image_free(flat), cr_image_free(huge), cr_image_free(one);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find_all_names),  cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_cost_convention), cmocka_unit_test(test_batch_helpers),
      cmocka_unit_test(test_eval_channel),    cmocka_unit_test(test_degenerate_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

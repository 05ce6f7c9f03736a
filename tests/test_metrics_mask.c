// Masks, NaN pixels and threads: pixels outside the mask never change a value, a NaN in
// the moving image counts as masked out, and 1 and 2 OpenMP threads give identical bits.
#include "testutil.h"

#include "core/error.h"
#include "metrics/metric.h"
#include "metrics/pattern.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define W 72
#define H 60

static int in_mask(int x, int y) { // an ellipse, off-centre
  double u = (x - 38.0) / 26.0, v = (y - 28.0) / 22.0;
  return u * u + v * v < 1.0;
}

static cr_image *ellipse_mask(int (*inside)(int, int)) {
  cr_image *k = cr_image_new(W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) cr_image_row(k, y)[x] = inside(x, y) ? 1.0f : 0.0f;
  return k;
}

// Overwrites the pixels outside the mask with garbage (values, NaN, infinities).
static void scramble_outside(cr_image *img, float scale) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (!in_mask(x, y)) {
        int k = (x * 31 + y * 17) % 7;
        cr_image_row(img, y)[x] = k == 0 ? NAN : k == 1 ? INFINITY : scale * (float)((x * y) % 13);
      }
}

static double eval_metric(const cr_metric_type *t, const cr_image *f, const cr_image *mask,
                          const cr_image *mv) {
  cr_metric *m = cr_metric_new(t, f, mask, NULL);
  assert_non_null(m);
  double v;
  int rc = cr_metric_eval(m, mv, &v);
  if (rc) print_error("%s: %s\n", t->name, cr_last_error());
  assert_int_equal(rc, 0);
  cr_metric_free(m);
  return v;
}

static void test_outside_mask_changes_nothing(void **state) {
  (void)state;
  cr_image *mask = ellipse_mask(in_mask);
  cr_image *f = cr_metrics_pattern(W, H, 0, 0, 0, 1),
           *g = cr_metrics_pattern(W, H, 1.5, -1, 0.05, 1);
  cr_image *f2 = cr_image_clone(f), *g2 = cr_image_clone(g);
  scramble_outside(f2, 3.0f);
  scramble_outside(g2, -5.0f);
  for (int k = 0; cr_metric_types[k]; k++) {
    const cr_metric_type *t = cr_metric_types[k];
    double v = eval_metric(t, f, mask, g);
    double v_m = eval_metric(t, f, mask, g2), v_f = eval_metric(t, f2, mask, g);
    double v_full = eval_metric(t, f, NULL, g);
    if (!(v == v_m && v == v_f)) {
      print_error("%s: %.17g vs %.17g (moving scrambled) %.17g (fixed scrambled)\n", t->name, v,
                  v_m, v_f);
      fail();
    }
    assert_true(isfinite(v));
    assert_true(v != v_full || !strcmp(t->name, "dice")); // the mask does select something
  }
  cr_image_free(mask), cr_image_free(f), cr_image_free(g), cr_image_free(f2), cr_image_free(g2);
}

static int in_hole(int x, int y) {
  return x >= 30 && x < 45 && y >= 20 && y < 32;
}
static int in_mask_not_hole(int x, int y) {
  return in_mask(x, y) && !in_hole(x, y);
}

static void test_nan_equals_masked_out(void **state) {
  (void)state;
  cr_image *mask = ellipse_mask(in_mask), *mask_hole = ellipse_mask(in_mask_not_hole);
  cr_image *f = cr_metrics_pattern(W, H, 0, 0, 0, 1),
           *g = cr_metrics_pattern(W, H, -1, 1, -0.04, 1);
  cr_image *g_nan = cr_image_clone(g);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (in_hole(x, y)) cr_image_row(g_nan, y)[x] = NAN;
  for (int k = 0; cr_metric_types[k]; k++) {
    const cr_metric_type *t = cr_metric_types[k];
    double a = eval_metric(t, f, mask, g_nan), b = eval_metric(t, f, mask_hole, g);
    double c = eval_metric(t, f, mask, g);
    assert_true(isfinite(a) && a != c); // the hole is excluded and changes the value
    // mi, nmi, pi, gd and ngf keep fixed-image normalizers (fixed range, gradient variance,
    // eps) computed once over the mask, so a moving NaN removes the pixels from the sums
    // but not from those normalizers: the values then differ slightly from a smaller mask.
    int exact = strstr("ssd ncc lncc gc dice edge", t->name) != NULL;
    if (!exact) {
      assert_near(a, b, 0.05 * fabs(b));
      continue;
    }
    if (!(a == b)) {
      print_error("%s: NaN hole %.17g, masked hole %.17g\n", t->name, a, b);
      fail();
    }
  }
  cr_image_free(mask), cr_image_free(mask_hole), cr_image_free(f), cr_image_free(g);
  cr_image_free(g_nan);
}

static void test_threads_bit_identical(void **state) {
  (void)state;
  cr_image *mask = ellipse_mask(in_mask);
  cr_image *f = cr_metrics_pattern(W, H, 0, 0, 0, 1),
           *g = cr_metrics_pattern(W, H, 2, 0.5, 0.08, 1.03);
  for (int k = 0; cr_metric_types[k]; k++) {
    for (int use_mask = 0; use_mask < 2; use_mask++) {
      omp_set_num_threads(2);
      cr_metric_options o = cr_metric_defaults();
      o.parallel_min_px = 0; // run the OpenMP paths even for this small image
      cr_metric *m = cr_metric_new(cr_metric_types[k], f, use_mask ? mask : NULL, &o);
      assert_non_null(m);
      double v[3];
      assert_int_equal(cr_metric_eval(m, g, &v[0]), 0);
      omp_set_num_threads(1);
      assert_int_equal(cr_metric_eval(m, g, &v[1]), 0);
      omp_set_num_threads(3);
      assert_int_equal(cr_metric_eval(m, g, &v[2]), 0);
      if (memcmp(&v[0], &v[1], sizeof(double)) || memcmp(&v[0], &v[2], sizeof(double))) {
        print_error("%s: 2 threads %.17g, 1 thread %.17g, 3 threads %.17g\n",
                    cr_metric_types[k]->name, v[0], v[1], v[2]);
        fail();
      }
      cr_metric_free(m);
    }
  }
  omp_set_num_threads(2);
  cr_image_free(mask), cr_image_free(f), cr_image_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outside_mask_changes_nothing),
      cmocka_unit_test(test_nan_equals_masked_out),
      cmocka_unit_test(test_threads_bit_identical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

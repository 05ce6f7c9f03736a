// Photo preparation: vesselness on synthetic images, channel choice, mask normalization.
#include "testutil.h"

#include "core/error.h"
#include "registration/prepare.h"

#include <math.h>
#include <string.h>

#define W 96
#define H 80

// A Gaussian line profile (width w px, amplitude a) along direction angle `deg`
// through the image centre, on a background of 0.3.
static cr_image *line_image(double deg, double w, double a) {
  cr_image *img = cr_image_new(W, H, 1);
  double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double d = -(x - W / 2.0) * s + (y - H / 2.0) * c; // distance to the line
      *cr_image_px(img, x, y) = (float)(0.3 + a * exp(-d * d / (2 * w * w)));
    }
  return img;
}

static float max_in(const cr_image *img, int x0, int y0, int x1, int y1) {
  float m = -1;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) m = fmaxf(m, *cr_image_px(img, x, y));
  return m;
}

static void test_vesselness_line(void **state) {
  for (int bright = 0; bright <= 1; bright++) {
    cr_image *img = line_image(30, 2.0, bright ? 0.5 : -0.2), *v = cr_image_new(W, H, 1);
    assert_int_equal(cr_reg_vesselness(img, 1.5, 4, 3, bright, v), 0);
    // On the centre line (image centre) strong; far from it nothing.
    float on = max_in(v, W / 2 - 1, H / 2 - 1, W / 2 + 2, H / 2 + 2);
    float off = *cr_image_px(v, W / 2 + 30, H / 2 - 30); // ~41 px from the line
    print_message("bright=%d: on line %.3f, off %.3g\n", bright, on, off);
    assert_true(on > 0.5);
    assert_true(off < 1e-3);
    // The other polarity does not respond on the centre line.
    assert_int_equal(cr_reg_vesselness(img, 1.5, 4, 3, !bright, v), 0);
    assert_true(max_in(v, W / 2 - 1, H / 2 - 1, W / 2 + 2, H / 2 + 2) < 0.05);
    cr_image_free(img);
    cr_image_free(v);
  }
}

static void test_vesselness_flat_and_step(void **state) {
  cr_image *flat = cr_image_new(W, H, 1), *step = cr_image_new(W, H, 1), *v = cr_image_new(W, H, 1);
  cr_image_fill(flat, 0.4f);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(step, x, y) = x + 0.3 * y < 50 ? 0.2f : 0.9f;
  assert_int_equal(cr_reg_vesselness(flat, 1.5, 4, 3, 1, v), 0);
  float lo, hi;
  cr_image_minmax(v, &lo, &hi);
  assert_true(hi == 0);
  for (int bright = 0; bright <= 1; bright++) {
    assert_int_equal(cr_reg_vesselness(step, 1.5, 4, 3, bright, v), 0);
    cr_image_minmax(v, &lo, &hi);
    print_message("step edge, bright=%d: max vesselness %.3f\n", bright, hi);
    assert_true(hi < 0.15);
  }
  cr_image_free(flat);
  cr_image_free(step);
  cr_image_free(v);
}

static void test_prepare_channel_and_mask(void **state) {
  cr_image *rgb = cr_image_new(W, H, 3), *mask = cr_image_new(W, H, 1), *out;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float *p = cr_image_px(rgb, x, y);
      p[0] = 200, p[1] = (float)(10 + x), p[2] = 7; // only green varies
      *cr_image_px(mask, x, y) = x >= 20 && x < 60;
    }
  cr_reg_prep_options o = cr_reg_prep_defaults();
  o.clahe_clip = 0;
  assert_int_equal(cr_reg_prepare(rgb, mask, &o, &out), 0);
  assert_int_equal(out->channels, 1);
  // Green 30..69 inside the mask maps linearly to 0..1; outside is 0.
  assert_near(*cr_image_px(out, 20, 3), 0, 1e-6);
  assert_near(*cr_image_px(out, 59, 3), 1, 1e-6);
  assert_near(*cr_image_px(out, 40, 7), 20.0 / 39, 1e-6);
  assert_true(*cr_image_px(out, 70, 3) == 0 && *cr_image_px(out, 5, 3) == 0);
  cr_image_free(out);
  // With CLAHE and vesselness the output stays in [0, 1].
  o = cr_reg_prep_defaults();
  o.vesselness = 1;
  assert_int_equal(cr_reg_prepare(rgb, NULL, &o, &out), 0);
  float lo, hi;
  cr_image_minmax(out, &lo, &hi);
  assert_true(lo >= 0 && hi <= 1);
  cr_image_free(out);
  cr_image_free(rgb);
  cr_image_free(mask);
}

static void test_prepare_vessel_photo(void **state) {
  // A dark vessel on a bright photo: after preparation its centre is the maximum.
  cr_image *img = line_image(-60, 2.0, -0.25), *out;
  cr_reg_prep_options o = cr_reg_prep_defaults();
  o.vesselness = 1, o.bright_vessels = 0;
  assert_int_equal(cr_reg_prepare(img, NULL, &o, &out), 0);
  assert_near(max_in(out, W / 2 - 1, H / 2 - 1, W / 2 + 2, H / 2 + 2), 1.0, 0.05);
  cr_image_free(out);
  cr_image_free(img);
}

static void test_prepare_bad_input(void **state) {
  cr_image *img = cr_image_new(W, H, 1), *mask = cr_image_new(W, H, 1),
           *small = cr_image_new(8, 8, 1);
  cr_image *out = NULL;
  assert_int_equal(cr_reg_prepare(img, mask, NULL, &out), CR_EEMPTY);
  assert_int_equal(cr_reg_prepare(img, small, NULL, &out), CR_EINVAL);
  cr_reg_prep_options o = cr_reg_prep_defaults();
  o.channel = 2;
  cr_image *rgb = cr_image_new(W, H, 2);
  assert_int_equal(cr_reg_prepare(rgb, NULL, &o, &out), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "channel 2"));
  assert_null(out);
  cr_image_free(img), cr_image_free(mask), cr_image_free(small), cr_image_free(rgb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vesselness_line),
      cmocka_unit_test(test_vesselness_flat_and_step),
      cmocka_unit_test(test_prepare_channel_and_mask),
      cmocka_unit_test(test_prepare_vessel_photo),
      cmocka_unit_test(test_prepare_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

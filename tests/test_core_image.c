// Image files: 8-bit, 16-bit (stays 16-bit) and float round trips, colour order,
// NIfTI images, and bad input leaving no partial file.
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image.h"
#include "core/imgproc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static cr_image *ramp(int w, int h, int c, float scale) {
  cr_image *img = cr_image_new(w, h, c);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < c; k++)
        cr_image_px(img, x, y)[k] = (float)(((x * 7 + y * 13 + k * 101) % 256) * scale);
  return img;
}

static void assert_images_equal(const cr_image *a, const cr_image *b, float tol) {
  assert_int_equal(a->width, b->width);
  assert_int_equal(a->height, b->height);
  assert_int_equal(a->channels, b->channels);
  for (int y = 0; y < a->height; y++)
    for (int i = 0; i < a->width * a->channels; i++)
      assert_near(cr_image_row(a, y)[i], cr_image_row(b, y)[i], tol);
}

static void test_png8_rgb_round_trip(void **state) {
  cr_image *img = ramp(33, 17, 3, 1), *back;
  int bits;
  assert_int_equal(cr_image_write(cr_test_path("rgb.png"), img, 8), 0);
  assert_int_equal(cr_image_read(cr_test_path("rgb.png"), &back, &bits), 0);
  assert_int_equal(bits, 8);
  assert_images_equal(img, back, 0);
  cr_image_free(img), cr_image_free(back);
}

static void test_png16_stays_16(void **state) {
  cr_image *img = ramp(20, 11, 1, 257), *back; // values up to 65535
  cr_image_px(img, 3, 4)[0] = 65535;
  cr_image_px(img, 4, 4)[0] = 1;
  int bits;
  assert_int_equal(cr_image_write(cr_test_path("deep.png"), img, 16), 0);
  assert_int_equal(cr_image_read(cr_test_path("deep.png"), &back, &bits), 0);
  assert_int_equal(bits, 16);
  assert_images_equal(img, back, 0);
  assert_true(cr_image_px(back, 4, 4)[0] == 1);
  cr_image_free(img), cr_image_free(back);
}

static void test_float_tiff_round_trip(void **state) {
  for (int c = 1; c <= 3; c += 2) { // grey and RGB (OpenCV's default for RGB float is lossy)
    cr_image *img = ramp(9, 8, c, 0.001f), *back;
    cr_image_px(img, 0, 0)[0] = -3.25e-7f;
    cr_image_px(img, 1, 0)[0] = 1000.0f;
    int bits;
    assert_int_equal(cr_image_write(cr_test_path("f.tif"), img, 32), 0);
    assert_int_equal(cr_image_read(cr_test_path("f.tif"), &back, &bits), 0);
    assert_int_equal(bits, 32);
    assert_images_equal(img, back, 0);
    cr_image_free(img), cr_image_free(back);
  }
}

static void test_views_and_grey(void **state) {
  cr_image *img = ramp(10, 10, 3, 1);
  cr_image v = cr_image_view(img, 2, 3, 4, 5);
  assert_int_equal(v.width, 4);
  assert_true(cr_image_px(&v, 0, 0)[1] == cr_image_px(img, 2, 3)[1]);
  cr_image_free(NULL);
  cr_image *g = cr_image_to_grey(img, -1, NULL), *c1 = cr_image_to_grey(img, 1, NULL);
  const float *p = cr_image_px(img, 5, 6);
  assert_near(cr_image_px(g, 5, 6)[0], 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2], 1e-4);
  assert_true(cr_image_px(c1, 5, 6)[0] == p[1]);
  assert_null(cr_image_to_grey(img, 3, NULL));
  // Bilinear sampling is exact at pixel centres and linear between them.
  assert_near(cr_image_sample(g, 5, 6, 0, -1), cr_image_px(g, 5, 6)[0], 1e-6);
  assert_near(cr_image_sample(g, 5.5, 6, 0, -1),
              0.5 * (cr_image_px(g, 5, 6)[0] + cr_image_px(g, 6, 6)[0]), 1e-4);
  assert_true(cr_image_sample(g, -0.6, 0, 0, -1) == -1);
  cr_image_free(img), cr_image_free(g), cr_image_free(c1);
}

static void test_resize_area_halves(void **state) {
  cr_image *img = cr_image_new(8, 6, 1);
  for (int y = 0; y < 6; y++)
    for (int x = 0; x < 8; x++) cr_image_px(img, x, y)[0] = (float)(x + 10 * y);
  cr_image *half = cr_image_resize_area(img, 4, 3);
  // Each output pixel is the mean of a 2x2 block.
  assert_near(cr_image_px(half, 1, 2)[0], (2 + 3 + 2 + 3) / 4.0 + 10 * (4 + 5) / 2.0, 1e-4);
  cr_image_free(img), cr_image_free(half);
}

static void test_nifti_image(void **state) {
  cr_image *img = ramp(12, 7, 3, 0.5f);
  assert_int_equal(cr_image_write(cr_test_path("img.nii.gz"), img, 32), 0);
  cr_volume *v;
  // A 3-channel image is a vector (dim 5) NIfTI: read channel-volume 0 of it as 4-D
  // is refused by the scalar loader, which says why.
  assert_int_not_equal(cr_volume_load(cr_test_path("img.nii.gz"), -1, &v, NULL), 0);
  cr_image *g = cr_image_to_grey(img, 2, NULL);
  assert_int_equal(cr_image_write(cr_test_path("grey.nii"), g, 32), 0);
  assert_int_equal(cr_volume_load(cr_test_path("grey.nii"), -1, &v, NULL), 0);
  assert_int_equal(v->dim[0], 12);
  assert_int_equal(v->dim[1], 7);
  assert_true(v->data[cr_volume_index(v, 5, 4, 0)] == cr_image_px(g, 5, 4)[0]);
  cr_volume_free(v);
  cr_image_free(img), cr_image_free(g);
}

static void test_bad_input(void **state) {
  cr_image *img = NULL;
  assert_int_equal(cr_image_read(cr_test_path("none.png"), &img, NULL), CR_EIO);
  assert_non_null(strstr(cr_last_error(), "none.png"));
  FILE *f = fopen(cr_test_path("fake.png"), "w");
  fputs("not a png", f);
  fclose(f);
  assert_int_equal(cr_image_read(cr_test_path("fake.png"), &img, NULL), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "fake.png"));
  assert_null(img);
  cr_image *r = ramp(4, 4, 1, 1);
  assert_int_equal(cr_image_write("/nonexistent-dir/x.png", r, 8), CR_EIO);
  assert_int_equal(cr_image_write(cr_test_path("x.png"), r, 32), CR_EINVAL);
  assert_int_equal(cr_image_write(cr_test_path("x.jpg"), r, 16), CR_EINVAL);
  assert_int_equal(cr_image_write(cr_test_path("x.unknownext"), r, 8), CR_EIO);
  assert_false(cr_file_exists(cr_test_path("x.png")));
  assert_false(cr_file_exists(cr_test_path("x.unknownext")));
  assert_int_equal(cr_test_system("ls -a '%s' | grep -q crtmp", cr_test_dir()), 1);
  assert_null(cr_image_new(0, 5, 1));
  cr_image_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_png8_rgb_round_trip),
      cmocka_unit_test(test_png16_stays_16),
      cmocka_unit_test(test_float_tiff_round_trip),
      cmocka_unit_test(test_views_and_grey),
      cmocka_unit_test(test_resize_area_halves),
      cmocka_unit_test(test_nifti_image),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

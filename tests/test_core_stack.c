// Volumes from image stacks (core/stack.h) and colour-map inversion (core/colormap.h):
// Colin27 cut to every 5th axial slice as 16-bit PNGs rebuilds better by linear and
// cubic interpolation than by nearest-slice copying, a sphere mask from 10 slices comes
// back by shape-based interpolation, colour-mapped ramps invert to their scalar, bad
// input is refused.
#include "testutil.h"

#include "core/colormap.h"
#include "core/error.h"
#include "core/image.h"
#include "core/stack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double rmse(const cr_volume *a, const cr_volume *b) {
  double s = 0;
  size_t n = cr_volume_count(a);
  for (size_t i = 0; i < n; i++) s += (a->data[i] - b->data[i]) * (double)(a->data[i] - b->data[i]);
  return sqrt(s / n);
}

static void test_colin27_every_5th_slice(void **state) {
  const char *path = cr_test_dataset("colin27/ch2.nii.gz");
  if (!path) skip();
  cr_volume *v;
  assert_int_equal(cr_volume_load(path, -1, &v, NULL), 0);
  const int w = v->dim[0], h = v->dim[1], nz = v->dim[2], step = 5;
  const int n = (nz - 1) / step + 1; // 0, 5, ..., 180: 37 slices
  cr_image **sl = calloc(n, sizeof *sl);
  double *pos = malloc(sizeof(double) * n);
  for (int s = 0; s < n; s++) {
    cr_image *img = cr_image_new(w, h, 1);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        cr_image_row(img, y)[x] = v->data[cr_volume_index(v, x, y, s * step)] * 257.0f;
    char name[64];
    snprintf(name, sizeof name, "slice_%d.png", s);
    assert_int_equal(cr_image_write(cr_test_path(name), img, 16), 0);
    cr_image_free(img);
    int bits;
    assert_int_equal(cr_image_read(cr_test_path(name), &sl[s], &bits), 0);
    assert_int_equal(bits, 16); // 16-bit stays 16-bit
    pos[s] = s * step * v->spacing[2];
  }
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] *= 257.0f;
  double err[3];
  for (int m = 0; m < 3; m++) {
    cr_stack_options o = cr_stack_defaults();
    o.slice_mm = 1;
    o.interp = (cr_stack_interp[]){CR_STACK_NEAREST, CR_STACK_LINEAR, CR_STACK_CUBIC}[m];
    cr_volume *r;
    assert_int_equal(cr_stack_build((const cr_image *const *)sl, n, pos, &o, &r), 0);
    assert_int_equal(r->dim[2], nz);
    err[m] = rmse(r, v);
    if (m == 2) { // the volume keeps 16 bits
      cr_volume *back;
      const char *dt;
      assert_int_equal(cr_volume_save_as(cr_test_path("stack16.nii.gz"), r, 16), 0);
      assert_int_equal(cr_volume_load(cr_test_path("stack16.nii.gz"), -1, &back, &dt), 0);
      assert_string_equal(dt, "uint16");
      cr_volume_free(back);
    }
    cr_volume_free(r);
  }
  print_message("Colin27 every 5th slice, RMSE (16-bit units): nearest %.1f, linear %.1f, cubic "
                "%.1f\n",
                err[0], err[1], err[2]);
  assert_true(err[1] < err[0]);
  assert_true(err[2] < err[0]);
  for (int s = 0; s < n; s++) cr_image_free(sl[s]);
  free(sl), free(pos);
  cr_volume_free(v);
}

// A sphere of radius 20 mm cut by 10 slices 5 mm apart (the outer two miss it).
static void test_sphere_shape_based(void **state) {
  const int w = 64, n = 10;
  const double R = 20, c = 31.5;
  cr_image *sl[10];
  double pos[10];
  for (int s = 0; s < n; s++) {
    pos[s] = -22.5 + 5 * s;
    sl[s] = cr_image_new(w, w, 1);
    for (int y = 0; y < w; y++)
      for (int x = 0; x < w; x++)
        cr_image_row(sl[s], y)[x] =
            (x - c) * (x - c) + (y - c) * (y - c) + pos[s] * pos[s] <= R * R ? 1.0f : 0.0f;
  }
  double dice[2];
  for (int m = 0; m < 2; m++) {
    cr_stack_options o = cr_stack_defaults();
    o.slice_mm = 0.5;
    o.interp = m ? CR_STACK_SHAPE : CR_STACK_NEAREST;
    cr_volume *r;
    assert_int_equal(cr_stack_build((const cr_image *const *)sl, n, pos, &o, &r), 0);
    long inter = 0, a = 0, b = 0;
    for (int k = 0; k < r->dim[2]; k++)
      for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++) {
          double z = pos[0] + k * 0.5;
          int truth = (x - c) * (x - c) + (y - c) * (y - c) + z * z <= R * R;
          int got = r->data[cr_volume_index(r, x, y, k)] > 0.5f;
          inter += truth && got, a += truth, b += got;
        }
    dice[m] = 2.0 * inter / (a + b);
    cr_volume_free(r);
  }
  print_message("sphere from 10 slices: Dice nearest %.4f, shape-based %.4f\n", dice[0], dice[1]);
  assert_true(dice[1] >= 0.97);
  assert_true(dice[1] > dice[0]);
  for (int s = 0; s < n; s++) cr_image_free(sl[s]);
}

// A ramp drawn with a colour map, saved as an 8-bit PNG, inverts to its scalar.
static void test_colormap_inversion(void **state) {
  const char *names[] = {"jet", "parula", "viridis", "gray"};
  for (int m = 0; m < 4; m++) {
    const cr_colormap *map = cr_colormap_find(names[m]);
    assert_non_null(map);
    const int w = 512, h = 4;
    cr_image *img = cr_image_new(w, h, 3);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double rgb[3];
        cr_colormap_apply(map, x / (w - 1.0), rgb);
        for (int k = 0; k < 3; k++) cr_image_px(img, x, y)[k] = (float)(rgb[k] * 255);
      }
    cr_image *back, *s;
    int bits;
    assert_int_equal(cr_image_write(cr_test_path("map.png"), img, 8), 0);
    assert_int_equal(cr_image_read(cr_test_path("map.png"), &back, &bits), 0);
    double dist, worst = 0;
    assert_non_null(s = cr_colormap_to_scalar(back, map, 255, 10, 110, &dist));
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        worst = fmax(worst, fabs(cr_image_row(s, y)[x] - (10 + 100 * x / (w - 1.0))));
    print_message("%s: worst inversion error %.3f %% of the range\n", names[m], worst);
    assert_true(worst <= 1.0); // 1 % of the range 10..110
    assert_true(dist < 0.01);
    cr_image_free(img), cr_image_free(back), cr_image_free(s);
  }
}

static void test_bad_input(void **state) {
  cr_image *a = cr_image_new(8, 8, 1), *b = cr_image_new(9, 8, 1), *rgb = cr_image_new(8, 8, 3);
  const cr_image *two[2] = {a, b};
  double pos[2] = {0, 1};
  cr_stack_options o = cr_stack_defaults();
  cr_volume *v = (cr_volume *)1;
  assert_int_equal(cr_stack_build(two, 2, pos, &o, &v), CR_EINVAL);
  assert_null(v);
  assert_non_null(strstr(cr_last_error(), "slice 2 is 9 x 8"));
  const cr_image *same[2] = {a, a};
  double unsorted[2] = {1, 1};
  assert_int_equal(cr_stack_build(same, 2, unsorted, &o, &v), CR_EINVAL);
  const cr_image *col[2] = {a, rgb};
  assert_int_equal(cr_stack_build(col, 2, pos, &o, &v), CR_EINVAL);
  assert_null(cr_colormap_find("rainbow"));
  assert_non_null(strstr(cr_last_error(), "unknown colour map \"rainbow\""));
  assert_null(cr_colormap_to_scalar(a, cr_colormap_find("jet"), 255, 0, 1, NULL));
  cr_stack_interp it;
  assert_int_equal(cr_stack_interp_parse("spline", &it), CR_EINVAL);
  cr_image_free(a), cr_image_free(b), cr_image_free(rgb);
}

static void test_natural_order(void **state) {
  assert_true(cr_natural_compare("s2.png", "s10.png") < 0);
  assert_true(cr_natural_compare("s10.png", "s9.png") > 0);
  assert_true(cr_natural_compare("a_007", "a_7") == 0);
  assert_true(cr_natural_compare("a1b2", "a1b10") < 0);
  assert_true(cr_natural_compare("b", "a9") > 0);
  assert_true(cr_natural_compare("img", "img1") < 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_colin27_every_5th_slice), cmocka_unit_test(test_sphere_shape_based),
      cmocka_unit_test(test_colormap_inversion),      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_natural_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

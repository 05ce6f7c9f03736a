// Photo consistency of two views (registration/consistency.h) on an analytic scene: view
// A's surface points lie on the plane z = 100 mm in front of camera B (identity pose), so
// each projects to a known pixel of B. A's photo takes B's texture at those pixels: the
// photos agree (0), also after a gain and an offset per tile; a correspondence 2 px off
// does not; unmatched pixels count as unrelated (exactly the unmatched fraction);
// points behind B, outside its image or mask, or more than 2 mm behind the surface B sees
// are unmatched; the value does not depend on the thread count.
#include "testutil.h"

#include "registration/consistency.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define W 160 // A's size: tiles of 16 px, 10 x 8 of them (the last row 8 px high)
#define H 120
#define Z 100.0

static cr_camera cam_b;
static cr_image *photo_b, *xyz, *photo_a;
static double ws[2 * 80];

// B's texture: smooth but not flat in any 16 px tile.
static double texture(double u, double v) {
  return 100 + 40 * sin(0.37 * u) * cos(0.23 * v) + 0.3 * u - 0.2 * v;
}

// A's pixel (x, y) sees the world point that B sees at pixel (x + 20 + du, y + 30): an
// integer pixel of B, so B's bilinear sample is its texture value there.
static void scene(double du) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const double u = x + 20 + du, v = y + 30;
      float *p = cr_image_px(xyz, x, y);
      p[0] = (float)((u - cam_b.cx) * Z / cam_b.fx);
      p[1] = (float)((v - cam_b.cy) * Z / cam_b.fy);
      p[2] = (float)Z;
    }
}

static void photo_a_from_b(double gain_per_tile) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const int t = (y / 16) * 10 + x / 16;
      const double g = 1 + gain_per_tile * t, o = 7.0 * t;
      *cr_image_px(photo_a, x, y) = (float)(g * texture(x + 20, y + 30) + o);
    }
}

static cr_reg_consistency_in input(void) {
  cr_reg_consistency_in in;
  memset(&in, 0, sizeof in);
  in.xyz = xyz, in.photo_a = photo_a, in.cam_b = &cam_b;
  in.b_from_world = cr_pose_identity();
  in.photo_b = photo_b;
  in.tile_px = 16;
  return in;
}

static int setup(void **state) {
  cam_b = (cr_camera){.width = 240, .height = 160, .fx = 150, .fy = 150, .cx = 119.5, .cy = 79.5};
  photo_b = cr_image_new(240, 160, 1), xyz = cr_image_new(W, H, 3), photo_a = cr_image_new(W, H, 1);
  if (!photo_b || !xyz || !photo_a) return -1;
  for (int v = 0; v < 160; v++)
    for (int u = 0; u < 240; u++) *cr_image_px(photo_b, u, v) = (float)texture(u, v);
  return 0;
}

static int teardown(void **state) {
  cr_image_free(photo_b), cr_image_free(xyz), cr_image_free(photo_a);
  return 0;
}

static void test_tiles(void **state) {
  assert_int_equal(cr_reg_consistency_tiles(W, H, 16), 80);
  assert_int_equal(cr_reg_consistency_tiles(16, 16, 16), 1);
  assert_int_equal(cr_reg_consistency_tiles(17, 1, 16), 2);
  assert_int_equal(cr_reg_consistency_tiles(0, 5, 16), 0);
}

// The photos agree where the correspondence is right, with any gain and offset per tile;
// a correspondence 2 px off (a depth error, seen as disparity) does not.
static void test_agreement(void **state) {
  scene(0);
  photo_a_from_b(0);
  cr_reg_consistency_in in = input();
  long n = 0;
  assert_near(cr_reg_consistency(&in, ws, &n), 0, 1e-6);
  assert_int_equal(n, W * H);
  photo_a_from_b(0.05); // gain 1..3.95 and offset 0..413 over the tiles
  assert_near(cr_reg_consistency(&in, ws, NULL), 0, 1e-6);
  scene(2); // A's points are 2 px further right in B than its photo says
  const double off = cr_reg_consistency(&in, ws, NULL);
  print_message("consistency: 0 at the correspondence, %.3f 2 px off\n", off);
  assert_true(off > 0.1);
  scene(0);
  in.tile_px = 1000; // one tile: a gain and offset per tile no longer cancel
  assert_true(cr_reg_consistency(&in, ws, NULL) > 0.05);
}

// Unmatched pixels count as unrelated: with whole tiles unmatched the value is exactly
// their fraction of A's mask pixels; outside A's mask nothing counts.
static void test_unmatched(void **state) {
  scene(0);
  photo_a_from_b(0);
  cr_reg_consistency_in in = input();
  for (int y = 0; y < H; y++) // the left 4 tile columns (64 of 160 px) see nothing
    for (int x = 0; x < 64; x++) cr_image_px(xyz, x, y)[0] = NAN;
  long n = 0;
  assert_near(cr_reg_consistency(&in, ws, &n), 64.0 / 160.0, 1e-6);
  assert_int_equal(n, (W - 64) * H);
  cr_image *mask_a = cr_image_new(W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *cr_image_px(mask_a, x, y) = x >= 64; // only the seen part
  in.mask_a = mask_a;
  assert_near(cr_reg_consistency(&in, ws, NULL), 0, 1e-6);
  // a tile with fewer than 16 matched pixels counts as unrelated: 15 pixels in one tile
  for (int y = 0; y < H; y++)
    for (int x = 64; x < W; x++) *cr_image_px(mask_a, x, y) = x < 79 && y == 0;
  assert_near(cr_reg_consistency(&in, ws, &n), 1, 1e-12);
  assert_int_equal(n, 0);
  cr_image_free(mask_a);
  // B's mask: its left part (B's columns < 116, A's x < 96) is outside
  scene(0);
  in.mask_a = NULL;
  cr_image *mask_b = cr_image_new(240, 160, 1);
  for (int v = 0; v < 160; v++)
    for (int u = 0; u < 240; u++) *cr_image_px(mask_b, u, v) = u >= 116;
  in.mask_b = mask_b; // A's x >= 96 is inside: 4 of 10 tile columns match
  assert_near(cr_reg_consistency(&in, ws, &n), 0.6, 1e-6);
  assert_int_equal(n, 64 * H);
  cr_image_free(mask_b);
  in.mask_b = NULL;
  // B behind the plane (the points behind its camera), or turned away: nothing matched
  in.b_from_world.t[2] = -200;
  assert_near(cr_reg_consistency(&in, ws, &n), 1, 1e-12);
  assert_int_equal(n, 0);
  in.b_from_world.t[2] = 0;
  in.b_from_world.t[0] = 1000; // far outside B's image
  assert_near(cr_reg_consistency(&in, ws, NULL), 1, 1e-12);
}

// Hidden points: B sees a surface at depth d; a point more than 2 mm behind it is hidden.
static void test_hidden(void **state) {
  scene(0);
  photo_a_from_b(0);
  cr_reg_consistency_in in = input();
  cr_image *depth_b = cr_image_new(240, 160, 1);
  in.depth_b = depth_b;
  const double d[4] = {Z, Z - 1.9, Z - 2.1, Z - 50};
  const double want[4] = {0, 0, 1, 1};
  for (int k = 0; k < 4; k++) {
    for (int v = 0; v < 160; v++)
      for (int u = 0; u < 240; u++) *cr_image_px(depth_b, u, v) = (float)d[k];
    assert_near(cr_reg_consistency(&in, ws, NULL), want[k], 1e-6);
  }
  // B's render sees nothing there (the renderer's miss depth 0, or NaN): the point is not
  // on the surface B sees, so it is unmatched
  const float miss[2] = {0.0f, NAN};
  for (int k = 0; k < 2; k++) {
    for (int v = 0; v < 160; v++)
      for (int u = 0; u < 240; u++) *cr_image_px(depth_b, u, v) = miss[k];
    assert_near(cr_reg_consistency(&in, ws, NULL), 1, 1e-12);
  }
  cr_image_free(depth_b);
}

// The same value, bit for bit, on 1 and 2 threads (A has enough pixels to run in parallel).
static void test_threads(void **state) {
  scene(0.3);
  photo_a_from_b(0.01);
  cr_reg_consistency_in in = input();
  omp_set_num_threads(1);
  const double one = cr_reg_consistency(&in, ws, NULL);
  omp_set_num_threads(2);
  const double two = cr_reg_consistency(&in, ws, NULL);
  assert_true(one == two);
  assert_true(one > 1e-4); // a 0.3 px offset: not 0, so the check can fail
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiles),     cmocka_unit_test(test_agreement),
      cmocka_unit_test(test_unmatched), cmocka_unit_test(test_hidden),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

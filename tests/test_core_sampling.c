// Trilinear and nearest sampling: exact at voxel centres, exact on linear fields,
// world and voxel paths agree on oblique grids, and the outside value beyond the box.
#include "testutil.h"

#include "core/mat.h"
#include "core/rng.h"
#include "core/volume.h"

#include <math.h>

static cr_volume *oblique_volume(void) {
  double rvec[3] = {0.4, 0.1, -0.3}, R[3][3], A[4][4];
  cr_rotation_from_rvec(R, rvec);
  double sp[3] = {1.25, 0.75, 2.0};
  cr_mat4_identity(A);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) A[i][j] = R[i][j] * sp[j] * (j == 1 ? -1 : 1); // a flipped axis too
    A[i][3] = 10.0 * (i + 1);
  }
  return cr_volume_new(9, 7, 6, (const double(*)[4])A);
}

static double linear_field(const double x[3]) {
  return 3.0 + 0.5 * x[0] - 1.25 * x[1] + 2.0 * x[2];
}

static void test_exact_at_centres(void **state) {
  cr_volume *v = oblique_volume();
  for (size_t n = 0; n < cr_volume_count(v); n++) v->data[n] = (float)((n * 7919) % 1000);
  for (int k = 0; k < 6; k++)
    for (int j = 0; j < 7; j++)
      for (int i = 0; i < 9; i++) {
        float want = v->data[cr_volume_index(v, i, j, k)];
        assert_true(cr_volume_sample_linear_ijk(v, i, j, k, -1) == want);
        assert_true(cr_volume_sample_nearest_ijk(v, i + 0.49, j - 0.49, k + 0.2, -1) == want);
        double ijk[3] = {i, j, k}, xyz[3];
        cr_volume_voxel_to_world(v, ijk, xyz);
        assert_near(cr_volume_sample_linear(v, xyz, -1), want, 1e-3);
      }
  cr_volume_free(v);
}

static void test_exact_on_linear_field(void **state) {
  cr_volume *v = oblique_volume();
  for (int k = 0; k < 6; k++)
    for (int j = 0; j < 7; j++)
      for (int i = 0; i < 9; i++) {
        double ijk[3] = {i, j, k}, xyz[3];
        cr_volume_voxel_to_world(v, ijk, xyz);
        v->data[cr_volume_index(v, i, j, k)] = (float)linear_field(xyz);
      }
  // Random points strictly inside the box of voxel centres, sampled in world space.
  cr_rng rng = cr_rng_make(12345, 0);
  for (int n = 0; n < 2000; n++) {
    double ijk[3], xyz[3];
    for (int a = 0; a < 3; a++) ijk[a] = (v->dim[a] - 1) * cr_rng_uniform(&rng);
    cr_volume_voxel_to_world(v, ijk, xyz);
    assert_near(cr_volume_sample_linear(v, xyz, NAN), linear_field(xyz), 2e-4 * 50);
  }
  cr_volume_free(v);
}

static void test_outside(void **state) {
  cr_volume *v = cr_volume_new(4, 4, 4, NULL);
  for (size_t n = 0; n < cr_volume_count(v); n++) v->data[n] = 5;
  // Within half a voxel of the centre box the edge value extends.
  assert_true(cr_volume_sample_linear_ijk(v, -0.49, 0, 0, -1) == 5);
  assert_true(cr_volume_sample_linear_ijk(v, 3.49, 3.49, 3.49, -1) == 5);
  assert_true(cr_volume_sample_linear_ijk(v, -0.51, 0, 0, -1) == -1);
  assert_true(cr_volume_sample_nearest_ijk(v, 0, 3.6, 0, -7) == -7);
  assert_true(isnan(cr_volume_sample_linear_ijk(v, 1, 1, 100, NAN)));
  cr_volume_free(v);
}

static void test_orientation_codes(void **state) {
  cr_volume *v = cr_test_small_phantom("LPI", 0);
  char code[8];
  cr_volume_orientation(v, code);
  assert_string_equal(code, "LPI");
  cr_volume_free(v);
  v = cr_test_small_phantom("ASL", 0);
  cr_volume_orientation(v, code);
  assert_string_equal(code, "ASL");
  cr_volume_free(v);
  v = cr_test_small_phantom("RAS", 12);
  cr_volume_orientation(v, code);
  assert_string_equal(code, "oblique");
  cr_volume_free(v);
}

// The phantom is defined in world space: the same world point has the same value
// whatever the voxel grid (within interpolation error of the smooth phantom).
static void test_phantom_grid_invariance(void **state) {
  cr_volume *a = cr_test_small_phantom("RAS", 0), *b = cr_test_small_phantom("PIR", 0),
            *c = cr_test_small_phantom("LAS", 17);
  cr_phantom_options p = cr_phantom_defaults();
  double worst_b = 0, worst_c = 0;
  int n = 0;
  for (double x = -50; x <= 50; x += 7.3)
    for (double y = -60; y <= 60; y += 9.1)
      for (double z = -40; z <= 40; z += 8.7) {
        double xyz[3] = {x, y, z};
        // Compare only where the phantom is smooth over a voxel (away from edges).
        double d = cr_phantom_surface_distance(&p, xyz);
        // (13 mm: the vessels lie on the unfolded envelope, up to fold_depth above d = 0)
        if (fabs(d) < 20) continue; // d is not 1-Lipschitz across sulci: keep a wide margin
        float va = cr_volume_sample_linear(a, xyz, 0);
        worst_b = fmax(worst_b, fabs(va - cr_volume_sample_linear(b, xyz, 0)));
        double dc = fabs(va - cr_volume_sample_linear(c, xyz, 0));
        if (dc > worst_c) {
          worst_c = dc;
          print_message("oblique grid differs by %g at (%g, %g, %g), d = %g\n", dc, x, y, z, d);
        }
        n++;
      }
  assert_true(n > 100);
  assert_true(worst_b < 1.0);
  assert_true(worst_c < 1.0);
  // And the anatomy is where the parameters say: white matter at the centre.
  double centre[3] = {0, 0, 0}, far[3] = {0, 0, 80};
  assert_near(cr_volume_sample_linear(c, centre, -1), p.wm, 1e-3);
  assert_near(cr_volume_sample_linear(b, far, -1), p.background, 1e-3);
  cr_volume_free(a), cr_volume_free(b), cr_volume_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_at_centres),
      cmocka_unit_test(test_exact_on_linear_field),
      cmocka_unit_test(test_outside),
      cmocka_unit_test(test_orientation_codes),
      cmocka_unit_test(test_phantom_grid_invariance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

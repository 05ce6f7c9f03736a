// Surface distances: zero to itself, the gap between concentric spheres, and the mean
// |cos| of a sphere shifted along an axis.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Marching-cubes sphere of radius r about c, 0.5 mm voxels.
static cr_mesh *sphere(double r, const double c[3]) {
  int n = 64;
  cr_volume *v = cr_test_sphere_sdf(c, r, n, 0.5);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  cr_volume_free(v);
  return m;
}

static void test_sphere_distances(void **state) {
  double c[3] = {3, -2, 5}, c2[3] = {4, -2, 5};
  cr_mesh *a = sphere(10, c), *b = sphere(12, c), *s = sphere(10, c2);
  cr_mesh_distance d;
  assert_int_equal(cr_mesh_surface_distance(a, a, &d), 0);
  assert_true(d.mean < 1e-6 && d.hausdorff < 1e-6);
  assert_int_equal(cr_mesh_surface_distance(a, b, &d), 0);
  print_message("spheres 10/12: mean %.4f (2), hausdorff %.4f\n", d.mean, d.hausdorff);
  assert_near(d.mean, 2.0, 0.02);
  assert_near(d.mean_a_to_b, d.mean_b_to_a, 0.02);
  assert_near(d.rms, 2.0, 0.02);
  // Shifted by 1 mm: the distance at a point with normal n is about |n_x|, mean 1/2.
  assert_int_equal(cr_mesh_surface_distance(a, s, &d), 0);
  print_message("shifted sphere: mean %.4f (0.5), hausdorff %.4f (1)\n", d.mean, d.hausdorff);
  assert_near(d.mean, 0.5, 0.03);
  assert_near(d.hausdorff, 1.0, 0.05);
  cr_mesh *e = cr_mesh_new(0, 0);
  assert_int_equal(cr_mesh_surface_distance(a, e, &d), CR_EEMPTY);
  cr_mesh_free(e), cr_mesh_free(a), cr_mesh_free(b), cr_mesh_free(s);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sphere_distances)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

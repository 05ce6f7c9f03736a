// Marching cubes, components, Taubin smoothing and normals on analytic spheres.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"
#include "mesh/mesh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const double R = 12.3; // mm; also voxels for the 1 mm grids

// Volume of n^3 voxels with world_from_voxel M, filled with r - |x - centre| (signed
// distance, positive inside) of a sphere of radius r, or a 0/1 mask when `mask`.
static cr_volume *sphere_volume(int n, const double M[4][4], const double centre[3], double r,
                                int mask) {
  cr_volume *v = cr_volume_new(n, n, n, M);
  assert_non_null(v);
  for (int k = 0; k < n; k++)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++) {
        double ijk[3] = {i, j, k}, w[3], d[3];
        cr_volume_voxel_to_world(v, ijk, w);
        cr_vec3_sub(d, w, centre);
        double f = r - cr_vec3_norm(d);
        v->data[cr_volume_index(v, i, j, k)] = mask ? (f > 0) : (float)f;
      }
  return v;
}

static double max_radial_error(const cr_mesh *m, const double c[3], double r) {
  double e = 0;
  for (int v = 0; v < m->n_vertices; v++) {
    double p[3] = {m->xyz[3 * v] - c[0], m->xyz[3 * v + 1] - c[1], m->xyz[3 * v + 2] - c[2]};
    e = fmax(e, fabs(cr_vec3_norm(p) - r));
  }
  return e;
}

static void assert_closed_outward(const cr_mesh *m, double expect_volume, double rel_tol) {
  long open = -1, flipped = -1;
  assert_int_equal(cr_mesh_edge_check(m, &open, &flipped), 0);
  assert_int_equal(open, 0);
  assert_int_equal(flipped, 0);
  assert_near(cr_mesh_volume(m), expect_volume, rel_tol * expect_volume); // > 0: outward
}

static void test_sphere_accuracy_and_closed(void **state) {
  double M[4][4], c[3] = {16.2, 15.7, 16.4};
  cr_mat4_identity(M);
  cr_volume *v = sphere_volume(33, M, c, R, 0);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  assert_true(m->n_triangles > 1000);
  assert_true(max_radial_error(m, c, R) < 0.1); // voxels (1 mm)
  assert_closed_outward(m, 4.0 / 3.0 * M_PI * R * R * R, 0.01);
  double area = cr_mesh_area(m), exact = 4 * M_PI * R * R;
  print_message("sphere r=%.1f: %d triangles, area %.2f vs %.2f (%.3f%%)\n", R, m->n_triangles,
                area, exact, 100 * (area / exact - 1));
  assert_near(area, exact, 0.01 * exact);
  cr_mesh_free(m);
  cr_volume_free(v);
}

// Mirrored (det < 0), anisotropic and oblique grids: still closed, outward, on the sphere.
static void test_flipped_oblique_grid(void **state) {
  double Rz[3][3], rv[3] = {0.3, -0.2, 0.5};
  cr_rotation_from_rvec(Rz, rv);
  const double diag[3] = {-1.1, 0.9, 1.0}; // x mirrored
  double M[4][4];
  cr_mat4_identity(M);
  for (int r = 0; r < 3; r++)
    for (int q = 0; q < 3; q++) M[r][q] = Rz[r][q] * diag[q];
  M[0][3] = 5, M[1][3] = -7, M[2][3] = 3;
  cr_volume *v = cr_volume_new(40, 40, 40, M);
  double centre_ijk[3] = {19.6, 20.3, 19.9}, c[3];
  cr_volume_voxel_to_world(v, centre_ijk, c);
  cr_volume_free(v);
  v = sphere_volume(40, M, c, R, 0);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  assert_true(max_radial_error(m, c, R) < 0.1);
  assert_closed_outward(m, 4.0 / 3.0 * M_PI * R * R * R, 0.01);
  // Normals from the winding point away from the centre.
  assert_int_equal(cr_mesh_compute_normals(m), 0);
  double worst = 1;
  for (int i = 0; i < m->n_vertices; i++) {
    double d[3] = {m->xyz[3 * i] - c[0], m->xyz[3 * i + 1] - c[1], m->xyz[3 * i + 2] - c[2]};
    double n[3] = {m->normal[3 * i], m->normal[3 * i + 1], m->normal[3 * i + 2]};
    worst = fmin(worst, cr_vec3_dot(d, n) / cr_vec3_norm(d));
  }
  assert_true(worst > 0.95);
  cr_mesh_free(m);
  cr_volume_free(v);
}

// A surface touching the grid border is closed with close_border, open without.
static void test_border_closing(void **state) {
  double M[4][4], c[3] = {10, 10, 10};
  cr_mat4_identity(M);
  cr_volume *v = sphere_volume(16, M, c, 8, 0); // sphere cut by the far faces
  cr_mesh *m = NULL;
  long open;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  assert_int_equal(cr_mesh_edge_check(m, &open, NULL), 0);
  assert_true(open > 0);
  cr_mesh_free(m);
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 1, &m), 0);
  long flipped;
  assert_int_equal(cr_mesh_edge_check(m, &open, &flipped), 0);
  assert_int_equal(open, 0);
  assert_int_equal(flipped, 0);
  assert_true(cr_mesh_volume(m) > 0);
  cr_mesh_free(m);
  // Nothing above the level: CR_EEMPTY, no mesh.
  assert_int_equal(cr_mesh_marching_cubes(v, 100.0f, 0, &m), CR_EEMPTY);
  assert_null(m);
  cr_volume_free(v);
}

// Random fields exercise every table case: closed and consistently wound.
static void test_random_field_closed(void **state) {
  cr_volume *v = cr_volume_new(14, 13, 12, NULL);
  cr_rng rng = cr_rng_make(7, 0);
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = (float)cr_rng_uniform(&rng);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.5f, 1, &m), 0);
  long open, flipped;
  assert_int_equal(cr_mesh_edge_check(m, &open, &flipped), 0);
  assert_int_equal(open, 0);
  assert_int_equal(flipped, 0);
  assert_true(cr_mesh_volume(m) > 0);
  cr_mesh_free(m);
  cr_volume_free(v);
}

static void test_largest_component(void **state) {
  double M[4][4], c1[3] = {10, 10, 10}, c2[3] = {30, 10, 10};
  cr_mat4_identity(M);
  cr_volume *v = cr_volume_new(42, 22, 22, M), *b = sphere_volume(42, M, c2, 4, 0);
  for (int k = 0; k < 22; k++)
    for (int j = 0; j < 22; j++)
      for (int i = 0; i < 42; i++) {
        double d1 = 7 - sqrt(pow(i - c1[0], 2) + pow(j - c1[1], 2) + pow(k - c1[2], 2));
        double d2 = b->data[cr_volume_index(b, i, j, k)];
        v->data[cr_volume_index(v, i, j, k)] = (float)fmax(d1, d2);
      }
  cr_volume_free(b);
  cr_mesh *m = NULL;
  int ncomp = 0;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  double both = cr_mesh_volume(m);
  assert_int_equal(cr_mesh_keep_largest_component(m, &ncomp), 0);
  assert_int_equal(ncomp, 2);
  assert_near(cr_mesh_volume(m), 4.0 / 3.0 * M_PI * 343, 0.02 * 4.0 / 3.0 * M_PI * 343);
  assert_true(both > cr_mesh_volume(m) + 200);
  assert_true(max_radial_error(m, c1, 7) < 0.1);
  assert_int_equal(cr_mesh_validate(m), 0);
  cr_mesh_free(m);
  cr_volume_free(v);
}

// Taubin smoothing of a staircase (binary mask) sphere: no shrinkage, area within 1 %.
static void test_taubin_no_shrink(void **state) {
  double M[4][4], c[3] = {16.2, 15.7, 16.4};
  cr_mat4_identity(M);
  cr_volume *v = sphere_volume(33, M, c, R, 1);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.5f, 0, &m), 0);
  double exact = 4 * M_PI * R * R, a0 = cr_mesh_area(m), v0 = cr_mesh_volume(m);
  assert_int_equal(cr_mesh_smooth_taubin(m, 30, 0.5, -0.53), 0);
  double a1 = cr_mesh_area(m), v1 = cr_mesh_volume(m);
  double mean_r = 0;
  for (int i = 0; i < m->n_vertices; i++) {
    double p[3] = {m->xyz[3 * i] - c[0], m->xyz[3 * i + 1] - c[1], m->xyz[3 * i + 2] - c[2]};
    mean_r += cr_vec3_norm(p) / m->n_vertices;
  }
  print_message("mask sphere: area %.1f -> %.1f (exact %.1f), volume %.1f -> %.1f, mean r %.3f\n",
                a0, a1, exact, v0, v1, mean_r);
  assert_near(a1, exact, 0.01 * exact);
  assert_near(mean_r, R, 0.01 * R);
  assert_near(v1, v0, 0.02 * v0);
  assert_true(fabs(a1 - exact) < fabs(a0 - exact)); // smoothing removed the staircase
  assert_int_equal(cr_mesh_smooth_taubin(m, 1, 0.5, -0.4), CR_EINVAL);
  cr_mesh_free(m);
  cr_volume_free(v);
}

static void test_transform_mirror_keeps_outward(void **state) {
  double M[4][4], c[3] = {10, 10, 10};
  cr_mat4_identity(M);
  cr_volume *v = sphere_volume(21, M, c, 6, 0);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  double vol0 = cr_mesh_volume(m);
  double F[4][4];
  cr_mat4_identity(F);
  F[0][0] = -1, F[1][1] = -1; // RAS <-> LPS: a rotation
  assert_int_equal(cr_mesh_transform(m, F), 0);
  assert_near(cr_mesh_volume(m), vol0, 1e-6 * vol0);
  F[1][1] = 1; // a true mirror
  assert_int_equal(cr_mesh_transform(m, F), 0);
  assert_near(cr_mesh_volume(m), vol0, 1e-6 * vol0);
  cr_mesh_free(m);
  cr_volume_free(v);
}

// Vertex clustering keeps the shape: far fewer triangles, vertices near the sphere,
// volume within a few percent, and no collapsed or repeated triangles.
static void test_decimate_cluster(void **state) {
  double M[4][4], c[3] = {16.2, 15.7, 16.4};
  cr_mat4_identity(M);
  cr_volume *v = sphere_volume(33, M, c, R, 0);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  int nt0 = m->n_triangles;
  double vol0 = cr_mesh_volume(m);
  assert_int_equal(cr_mesh_decimate_cluster(m, 2.0), 0);
  print_message("decimate 2 mm: %d -> %d triangles\n", nt0, m->n_triangles);
  assert_true(m->n_triangles < nt0 / 3 && m->n_triangles > 100);
  assert_true(max_radial_error(m, c, R) < 1.0);
  assert_near(cr_mesh_volume(m), vol0, 0.05 * vol0);
  assert_int_equal(cr_mesh_validate(m), 0);
  for (int t = 0; t < m->n_triangles; t++) {
    int32_t *q = m->tri + 3 * t;
    assert_true(q[0] != q[1] && q[1] != q[2] && q[0] != q[2]);
  }
  assert_int_equal(cr_mesh_decimate_cluster(m, 0), CR_EINVAL);
  cr_mesh_free(m);
  cr_volume_free(v);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sphere_accuracy_and_closed),
      cmocka_unit_test(test_flipped_oblique_grid),
      cmocka_unit_test(test_border_closing),
      cmocka_unit_test(test_random_field_closed),
      cmocka_unit_test(test_largest_component),
      cmocka_unit_test(test_taubin_no_shrink),
      cmocka_unit_test(test_transform_mirror_keeps_outward),
      cmocka_unit_test(test_decimate_cluster),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// Mesh files: round trips for every format and space, Slicer's LPS default, bad input.
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/error.h"
#include "mesh/mesh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// A small closed sphere mesh with normals, scalars and colours.
static cr_mesh *sample_mesh(void) {
  cr_volume *v = cr_volume_new(14, 14, 14, NULL);
  for (int k = 0; k < 14; k++)
    for (int j = 0; j < 14; j++)
      for (int i = 0; i < 14; i++)
        v->data[cr_volume_index(v, i, j, k)] =
            (float)(5.2 - sqrt(pow(i - 6.6, 2) + pow(j - 7.1, 2) + pow(k - 6.3, 2)));
  double M[4][4] = {{1, 0, 0, 30}, {0, 1, 0, -20}, {0, 0, 1, 10}, {0, 0, 0, 1}};
  cr_volume_set_affine(v, M);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  cr_volume_free(v);
  assert_int_equal(cr_mesh_compute_normals(m), 0);
  assert_int_equal(cr_mesh_alloc_scalars(m), 0);
  assert_int_equal(cr_mesh_alloc_colours(m), 0);
  for (int i = 0; i < m->n_vertices; i++) {
    m->scalar[i] = 0.25f * i - 3;
    for (int c = 0; c < 3; c++) m->rgb[3 * i + c] = (uint8_t)((i * 7 + c * 50) % 256);
  }
  return m;
}

// Same triangles (corner by corner) at the same places; attributes as asked.
static void assert_same_mesh(const cr_mesh *a, const cr_mesh *b, int normals, int scalars,
                             int colours) {
  assert_int_equal(a->n_triangles, b->n_triangles);
  for (int t = 0; t < a->n_triangles; t++)
    for (int k = 0; k < 3; k++) {
      int va = a->tri[3 * t + k], vb = b->tri[3 * t + k];
      for (int c = 0; c < 3; c++) {
        assert_near(a->xyz[3 * va + c], b->xyz[3 * vb + c], 1e-4);
        if (normals) assert_near(a->normal[3 * va + c], b->normal[3 * vb + c], 1e-5);
        if (colours) assert_int_equal(a->rgb[3 * va + c], b->rgb[3 * vb + c]);
      }
      if (scalars) assert_near(a->scalar[va], b->scalar[vb], 1e-5);
    }
  if (normals) assert_non_null(b->normal);
  if (scalars) assert_non_null(b->scalar);
  if (colours) assert_non_null(b->rgb);
}

static void test_round_trips(void **state) {
  cr_mesh *m = sample_mesh();
  const struct {
    const char *name;
    int ascii, normals, scalars, colours;
  } f[] = {{"m.ply", 0, 1, 1, 1},
           {"ma.ply", 1, 1, 1, 1},
           {"m.stl", 0, 0, 0, 0},
           {"m.obj", 0, 1, 0, 1},
           {"m.vtk", 0, 1, 1, 1}};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    for (int space = 0; space < 2; space++) {
      const char *path = cr_test_path(f[i].name);
      assert_int_equal(cr_mesh_write(path, m, (cr_mesh_space)space, f[i].ascii), 0);
      cr_mesh *r = NULL;
      cr_mesh_space found;
      assert_int_equal(cr_mesh_read(path, &r, &found), 0);
      assert_int_equal((int)found, space);
      assert_same_mesh(m, r, f[i].normals, f[i].scalars, f[i].colours);
      if (strstr(f[i].name, "stl")) { // welded back to a closed mesh
        long open;
        assert_int_equal(cr_mesh_edge_check(r, &open, NULL), 0);
        assert_int_equal(open, 0);
        assert_int_equal(r->n_vertices, m->n_vertices);
      }
      cr_mesh_free(r);
    }
  cr_mesh_free(m);
}

// The LPS file holds negated x and y, says so, and reads back to the RAS place.
static void test_lps_file_content(void **state) {
  cr_mesh *m = sample_mesh();
  const char *path = cr_test_path("lps.ply");
  assert_int_equal(cr_mesh_write(path, m, CR_MESH_LPS, 1), 0);
  FILE *fp = fopen(path, "r");
  char line[256];
  int tagged = 0;
  while (fgets(line, sizeof line, fp) && strncmp(line, "end_header", 10))
    if (strstr(line, "comment SPACE=LPS")) tagged = 1;
  double x, y, z;
  assert_int_equal(fscanf(fp, "%lf %lf %lf", &x, &y, &z), 3);
  fclose(fp);
  assert_true(tagged);
  assert_near(x, -m->xyz[0], 1e-5);
  assert_near(y, -m->xyz[1], 1e-5);
  assert_near(z, m->xyz[2], 1e-5);
  cr_mesh_free(m);
}

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

// Files without a SPACE tag are LPS (as 3D Slicer assumes); polygons are fanned.
static void test_untagged_is_lps_and_polygons(void **state) {
  const char *path = cr_test_path("quad.obj");
  write_text(path, "v 1 2 3\nv 2 2 3\nv 2 3 3\nv 1 3 3\nf 1 2 3 4\n");
  cr_mesh *m = NULL;
  cr_mesh_space sp;
  assert_int_equal(cr_mesh_read(path, &m, &sp), 0);
  assert_int_equal(sp, CR_MESH_LPS);
  assert_int_equal(m->n_triangles, 2);
  assert_near(m->xyz[0], -1, 0);
  assert_near(m->xyz[1], -2, 0);
  assert_near(m->xyz[2], 3, 0);
  cr_mesh_free(m);
  path = cr_test_path("tri.stl");
  write_text(path, "solid SPACE=RAS\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n"
                   "vertex 0 1 0\nendloop\nendfacet\nendsolid\n");
  assert_int_equal(cr_mesh_read(path, &m, &sp), 0);
  assert_int_equal(sp, CR_MESH_RAS);
  assert_int_equal(m->n_vertices, 3);
  assert_near(m->xyz[3 * m->tri[1]], 1, 0); // RAS kept as is
  cr_mesh_free(m);
}

static void test_bad_input(void **state) {
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_read(cr_test_path("missing.ply"), &m, NULL), CR_EIO);
  assert_int_equal(cr_mesh_read(cr_test_path("x.off"), &m, NULL), CR_EINVAL);
  const char *p = cr_test_path("badidx.ply");
  write_text(
      p, "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
         "property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
         "0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n");
  assert_int_equal(cr_mesh_read(p, &m, NULL), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "badidx.ply"));
  assert_null(m);
  // An absurd vertex count is refused before any allocation.
  p = cr_test_path("huge.ply");
  write_text(p, "ply\nformat binary_little_endian 1.0\nelement vertex 700000000\nproperty float x\n"
                "property float y\nproperty float z\nend_header\n");
  assert_int_equal(cr_mesh_read(p, &m, NULL), CR_EFORMAT);
  // A truncated binary PLY.
  cr_mesh *s = sample_mesh();
  p = cr_test_path("trunc.ply");
  assert_int_equal(cr_mesh_write(p, s, CR_MESH_LPS, 0), 0);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(truncate(p, st.st_size - 10), 0);
  assert_int_equal(cr_mesh_read(p, &m, NULL), CR_EFORMAT);
  p = cr_test_path("garbage.vtk");
  write_text(p,
             "# vtk DataFile Version 3.0\nx\nASCII\nDATASET POLYDATA\nPOINTS 2 float\n0 0 0 1 1\n");
  assert_int_equal(cr_mesh_read(p, &m, NULL), CR_EFORMAT);
  // Unwritable destination: an error and no file.
  assert_true(cr_mesh_write("/nonexistent-dir/m.ply", s, CR_MESH_LPS, 0) < 0);
  assert_int_equal(cr_mesh_write(cr_test_path("m.off"), s, CR_MESH_LPS, 0), CR_EINVAL);
  assert_false(cr_file_exists(cr_test_path("m.off")));
  // A mesh with a bad index is refused before any file is made.
  s->tri[5] = s->n_vertices + 3;
  assert_int_equal(cr_mesh_write(cr_test_path("bad.ply"), s, CR_MESH_LPS, 0), CR_EFORMAT);
  assert_false(cr_file_exists(cr_test_path("bad.ply")));
  cr_mesh_free(s);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_lps_file_content),
      cmocka_unit_test(test_untagged_is_lps_and_polygons),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

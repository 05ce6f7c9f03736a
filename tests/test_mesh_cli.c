// The camreg mesh, texture, flatmap and bench-mesh commands end to end, and their
// handling of bad input (exit status, message, no partial output).
#include "testutil.h"

#include "core/atomic_file.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "mesh/mesh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int camreg(const char *args) {
  return cr_test_system("%s %s > %s 2>&1", cr_test_camreg(), args, cr_test_path("log.txt"));
}

static int log_has(const char *text) {
  FILE *fp = fopen(cr_test_path("log.txt"), "r");
  if (!fp) return 0;
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = 0;
  fclose(fp);
  return strstr(buf, text) != NULL;
}

static char cmd[8192];
#define RUN(...) (snprintf(cmd, sizeof cmd, __VA_ARGS__), camreg(cmd))

static int setup(void **state) {
  const char *d = cr_test_dir();
  if (RUN("phantom -o %s/ph.nii.gz --size 48,56,48 --spacing 3.5 --orientation LPI", d)) return -1;
  cr_camera cam = cr_camera_from_fov(96, 80, 45);
  cam.dist[0] = -0.05;
  cr_pose pose;
  double eye[3] = {-260, 40, 120}, target[3] = {0, 0, 0}, up[3] = {0, 0, 1};
  if (cr_pose_look_at(&pose, eye, target, up) || cr_camera_write(cr_test_path("cam.yml"), &cam) ||
      cr_pose_write(cr_test_path("pose.txt"), &pose, NULL))
    return -1;
  double away_t[3] = {-2000, 0, 0};
  for (int a = 0; a < 3; a++) eye[a] = away_t[a], target[a] = away_t[a] - 100 * (a == 0);
  cr_pose away;
  if (cr_pose_look_at(&away, eye, target, up) ||
      cr_pose_write(cr_test_path("away.txt"), &away, NULL))
    return -1;
  cr_image *photo = cr_image_new(96, 80, 3);
  for (int y = 0; y < 80; y++)
    for (int x = 0; x < 96; x++)
      for (int c = 0; c < 3; c++)
        cr_image_px(photo, x, y)[c] = (float)((x * (c + 1) + 2 * y) % 256);
  int rc = cr_image_write(cr_test_path("photo.png"), photo, 8);
  cr_image_free(photo);
  return rc;
}

static void test_mesh_command(void **state) {
  const char *d = cr_test_dir();
  assert_int_equal(
      RUN("mesh -i %s/ph.nii.gz -o %s/brain.ply --iso 300 --largest --smooth 5 --probe-depth 2 "
          "--render %s/r.png --camera %s/cam.yml --pose %s/pose.txt --depth %s/depth.nii.gz",
          d, d, d, d, d, d),
      0);
  cr_mesh *m = NULL, *s = NULL;
  cr_mesh_space sp;
  assert_int_equal(cr_mesh_read(cr_test_path("brain.ply"), &m, &sp), 0);
  assert_int_equal(sp, CR_MESH_LPS);
  assert_non_null(m->normal);
  assert_non_null(m->scalar);
  long open, flipped;
  assert_int_equal(cr_mesh_edge_check(m, &open, &flipped), 0);
  assert_int_equal(open, 0);
  assert_int_equal(flipped, 0);
  assert_true(cr_mesh_volume(m) > 0);
  assert_true(cr_file_exists(cr_test_path("r.png")) &&
              cr_file_exists(cr_test_path("depth.nii.gz")));
  // Conversion of a mesh file: RAS STL lands at the same place.
  assert_int_equal(RUN("mesh -i %s/brain.ply -o %s/brain.stl --space ras", d, d), 0);
  assert_int_equal(cr_mesh_read(cr_test_path("brain.stl"), &s, &sp), 0);
  assert_int_equal(sp, CR_MESH_RAS);
  assert_int_equal(s->n_triangles, m->n_triangles);
  for (int k = 0; k < 3 * m->n_triangles; k += 997)
    for (int a = 0; a < 3; a++)
      assert_near(s->xyz[3 * s->tri[k] + a], m->xyz[3 * m->tri[k] + a], 1e-4);
  cr_mesh_free(s);
  cr_mesh_free(m);
  assert_int_equal(RUN("mesh -i %s/ph.nii.gz -o %s/dec.obj --iso 300 --decimate 5", d, d), 0);
  assert_true(log_has("triangles"));
}

static void test_texture_and_flatmap(void **state) {
  const char *d = cr_test_dir();
  if (!cr_file_exists(cr_test_path("brain.ply")))
    assert_int_equal(RUN("mesh -i %s/ph.nii.gz -o %s/brain.ply --iso 300 --largest", d, d), 0);
  assert_int_equal(
      RUN("texture -m %s/brain.ply --photo %s/photo.png --camera %s/cam.yml --pose %s/pose.txt "
          "-o %s/tex.ply",
          d, d, d, d, d),
      0);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_read(cr_test_path("tex.ply"), &m, NULL), 0);
  assert_non_null(m->rgb);
  int coloured = 0;
  for (int v = 0; v < m->n_vertices; v++)
    coloured += m->rgb[3 * v] != 128 || m->rgb[3 * v + 1] != 128 || m->rgb[3 * v + 2] != 128;
  assert_true(coloured > 100 && coloured < m->n_vertices * 0.7);
  cr_mesh_free(m);
  for (int k = 0; k < 2; k++) {
    assert_int_equal(
        RUN("flatmap -m %s/tex.ply --camera %s/cam.yml --pose %s/pose.txt -o %s/flat%d.png "
            "--method %s --pixel-mm 1 --mesh-out %s/flat%d.ply",
            d, d, d, d, k, k ? "lscm" : "planar", d, k),
        0);
    assert_true(log_has("area_scale") && log_has("angle_distortion"));
    cr_image *img = NULL;
    assert_int_equal(cr_image_read(cr_test_path(k ? "flat1.png" : "flat0.png"), &img, NULL), 0);
    assert_true(img->width > 20 && img->height > 20);
    cr_image_free(img);
  }
}

static void test_bad_input(void **state) {
  const char *d = cr_test_dir();
  assert_int_equal(RUN("mesh"), 2);
  assert_int_equal(RUN("mesh -i %s/none.nii.gz -o %s/x.ply --iso 3", d, d), 1);
  assert_true(log_has("none.nii.gz"));
  assert_false(cr_file_exists(cr_test_path("x.ply")));
  assert_int_equal(RUN("mesh -i %s/ph.nii.gz -o %s/x.ply --iso abc", d, d), 2);
  assert_int_equal(RUN("mesh -i %s/ph.nii.gz -o %s/x.off --iso 300", d, d), 2);
  assert_int_equal(RUN("mesh -i %s/ph.nii.gz -o %s/x.ply", d, d), 2);           // no --iso
  assert_int_equal(RUN("mesh -i %s/ph.nii.gz -o %s/x.ply --iso 1e9", d, d), 1); // nothing above
  assert_false(cr_file_exists(cr_test_path("x.ply")));
  assert_int_equal(RUN("texture -m %s/brain.ply -o %s/t.ply", d, d), 2);
  assert_int_equal(
      RUN("texture -m %s/brain.ply --photo %s/none.png --camera %s/cam.yml --pose %s/pose.txt "
          "-o %s/t.ply",
          d, d, d, d, d),
      1);
  assert_false(cr_file_exists(cr_test_path("t.ply")));
  assert_int_equal(
      RUN("flatmap -m %s/brain.ply --camera %s/cam.yml --pose %s/away.txt -o %s/f.png", d, d, d, d),
      1);
  assert_true(log_has("not visible"));
  assert_false(cr_file_exists(cr_test_path("f.png")));
  assert_int_equal(
      RUN("flatmap -m %s/brain.ply --camera %s/cam.yml --pose %s/pose.txt -o %s/f.png --method x",
          d, d, d, d),
      2);
  for (int k = 0; k < 4; k++) {
    static const char *names[] = {"mesh", "texture", "flatmap", "bench-mesh"};
    assert_int_equal(RUN("%s --help", names[k]), 0);
    assert_true(log_has("usage: camreg"));
  }
}

static void test_bench_runs(void **state) {
  const char *d = cr_test_dir();
  assert_int_equal(
      RUN("bench-mesh --volume %s/ph.nii.gz --iso 300 --size 64 --repeat 2 --smooth 2", d), 0);
  assert_true(log_has("marching_cubes") && log_has("raster 64x64"));
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mesh_command),
      cmocka_unit_test(test_texture_and_flatmap),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_bench_runs),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

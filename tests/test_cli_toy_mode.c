// Acceptance (issue 13): a render mode added through the mode table alone (tests/
// toy_mode.c: one cr_render_mode_type row and its kernel) is rendered by the command
// line (`camreg render -m toy`, run in-process through cr_cli_main) and listed by
// `camreg render --help`; the written pixels are the analytic answer: the camera depth
// where each pixel's ray enters the volume's box.
#include "testutil.h"

#include "cli/cli.h"
#include "core/error.h"
#include "core/mat.h"
#include "toy_mode.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Runs cr_cli_main on the given arguments with stdout going to the file `out_path`.
static int cli(const char *out_path, int argc, char **argv) {
  fflush(stdout);
  int saved = dup(1), fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 1);
  close(fd);
  int rc = cr_cli_main(argc, argv);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  return rc;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

// Camera z of the entry of the world ray (from the camera centre C along the camera
// z-scaled direction dz, i.e. C + z dz is at camera depth z) into the box [lo, hi]; NaN
// on a miss. The box is axis-aligned in world: a world-space slab test.
static double box_entry_z(const double C[3], const double dz[3], const double lo[3],
                          const double hi[3]) {
  double tn = 0, tf = INFINITY;
  for (int a = 0; a < 3; a++) {
    if (dz[a] == 0) {
      if (C[a] < lo[a] || C[a] > hi[a]) return NAN;
      continue;
    }
    double t1 = (lo[a] - C[a]) / dz[a], t2 = (hi[a] - C[a]) / dz[a];
    tn = fmax(tn, fmin(t1, t2)), tf = fmin(tf, fmax(t1, t2));
  }
  return tn < tf ? tn : NAN;
}

static void test_toy_mode_through_the_cli(void **state) {
  (void)state;
  // The mode joins the table: once, and found by name.
  const int n0 = cr_render_mode_count();
  assert_int_equal(cr_render_mode_register(&toy_render_mode), 0);
  assert_int_equal(cr_render_mode_register(&toy_render_mode), CR_EINVAL);
  assert_int_equal(cr_render_mode_count(), n0 + 1);
  assert_ptr_equal(cr_render_mode_find("toy"), &toy_render_mode);
  assert_ptr_equal(cr_render_mode_at(n0), &toy_render_mode);

  // An axis-aligned volume with flipped axes (world box = its world bounds) and a
  // bright ball, a distorted camera outside it.
  double A[4][4] = {{-1.5, 0, 0, 40}, {0, 2.0, 0, -30}, {0, 0, -2.5, 35}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(40, 32, 24, A);
  assert_non_null(v);
  double lo[3], hi[3], c[3];
  cr_volume_world_bounds(v, lo, hi);
  for (int a = 0; a < 3; a++) c[a] = 0.5 * (lo[a] + hi[a]);
  for (int k = 0; k < 24; k++)
    for (int j = 0; j < 32; j++)
      for (int i = 0; i < 40; i++) {
        double ijk[3] = {i, j, k}, x[3], d[3];
        cr_volume_voxel_to_world(v, ijk, x);
        cr_vec3_sub(d, x, c);
        v->data[cr_volume_index(v, i, j, k)] = cr_vec3_norm(d) < 20 ? 100.0f : 0.0f;
      }
  cr_camera cam = cr_camera_from_fov(64, 48, 60);
  cam.dist[0] = -0.12, cam.dist[1] = 0.02, cam.cx += 1.3;
  double eye[3] = {c[0] + 70, c[1] - 90, c[2] + 55}, up[3] = {0, 0, 1};
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, c, up), 0);
  char vol[4096], cp[4096], pp[4096], out[4096], dep[4096], log[4096];
  snprintf(vol, sizeof vol, "%s", cr_test_path("toy_vol.nii.gz"));
  snprintf(cp, sizeof cp, "%s", cr_test_path("toy_cam.yml"));
  snprintf(pp, sizeof pp, "%s", cr_test_path("toy_pose.txt"));
  snprintf(out, sizeof out, "%s", cr_test_path("toy.tif"));
  snprintf(dep, sizeof dep, "%s", cr_test_path("toy_depth.tif"));
  snprintf(log, sizeof log, "%s", cr_test_path("stdout.txt"));
  assert_int_equal(cr_volume_save(vol, v), 0);
  assert_int_equal(cr_camera_write(cp, &cam), 0);
  assert_int_equal(cr_pose_write(pp, &pose, NULL), 0);

  char *argv[] = {"camreg", "render", "-v", vol, "-c",      cp,  "-p", pp,
                  "-m",     "toy",    "-o", out, "--depth", dep, NULL};
  assert_int_equal(cli(log, 14, argv), 0);
  assert_non_null(strstr(slurp(log), "pivot"));
  cr_image *img = NULL, *dimg = NULL;
  assert_int_equal(cr_image_read(out, &img, NULL), 0);
  assert_int_equal(cr_image_read(dep, &dimg, NULL), 0);
  assert_int_equal(img->width, 64);
  assert_int_equal(img->height, 48);
  // The analytic answer, pixel by pixel (the toy's defaults make the background -1).
  double C[3];
  cr_pose_camera_centre(&pose, C);
  int hits = 0, misses = 0;
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++) {
      double rc[3], dz[3];
      cr_camera_pixel_ray(&cam, x, y, rc); // (x, y, 1): camera z per unit
      cr_mat3_apply_transpose(dz, pose.R, rc);
      const double z = box_entry_z(C, dz, lo, hi);
      const float got = cr_image_px(img, x, y)[0], gd = cr_image_px(dimg, x, y)[0];
      if (isnan(z)) {
        assert_near(got, -1, 0);
        assert_near(gd, 0, 0);
        misses++;
      } else {
        assert_near(got, z, 1e-4 * z);
        assert_near(gd, z, 1e-4 * z);
        hits++;
      }
    }
  print_message("toy mode via the CLI: %d pixels enter the box, %d miss it\n", hits, misses);
  assert_true(hits > 500 && misses > 100);
  cr_image_free(img), cr_image_free(dimg);

  // The toy makes no normals: a usage error naming the mode, and no output.
  char nrm[4096];
  snprintf(nrm, sizeof nrm, "%s", cr_test_path("toy_n.tif"));
  char *argv_n[] = {"camreg", "render", "-v", vol, "-c",       cp,  "-p", pp,
                    "-m",     "toy",    "-o", out, "--normal", nrm, NULL};
  assert_int_equal(cli(log, 14, argv_n), 2);
  assert_int_equal(access(nrm, F_OK), -1);

  // --help of render (and orbit) lists it with its summary from the table.
  char *argv_h[] = {"camreg", "render", "--help", NULL};
  assert_int_equal(cli(log, 3, argv_h), 0);
  const char *help = slurp(log);
  assert_non_null(strstr(help, "  toy "));
  assert_non_null(strstr(help, toy_render_mode.summary));
  assert_non_null(strstr(help, "  mesh "));
  char *argv_o[] = {"camreg", "orbit", "--help", NULL};
  assert_int_equal(cli(log, 3, argv_o), 0);
  assert_non_null(strstr(slurp(log), toy_render_mode.summary));
  cr_volume_free(v);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_toy_mode_through_the_cli),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

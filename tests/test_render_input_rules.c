// The renderer's input rules (issue 17, fuzz findings of fuzz_render): a pose or a
// volume affine that would make rays with infinite or meaningless chords is refused
// with a message, and the mesh probe of a surface closed on the volume's border gives
// finite values (no NaN pixels in a render of a finite volume).
// test-links: mesh
#include "testutil.h"

#include "core/error.h"
#include "core/pose.h"
#include "mesh/mesh.h"
#include "render/render.h"

#include <math.h>
#include <string.h>

// A 5x5x5 volume of 100 with the spacing of the fuzz finding (float vertices of 11.3 mm
// voxels round to just outside the footprint).
static cr_volume *box_volume(void) {
  double A[4][4] = {{5.5, 0, 0, 0}, {0, 0.1, 0, 0}, {0, 0, 11.3, 0}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(5, 5, 5, A);
  assert_non_null(v);
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = 100;
  return v;
}

static cr_pose looking_at_centre(const cr_volume *v, double dist) {
  double lo[3], hi[3], c[3], eye[3], up[3] = {0, 0, 1};
  cr_volume_world_bounds(v, lo, hi);
  for (int a = 0; a < 3; a++) c[a] = 0.5 * (lo[a] + hi[a]);
  eye[0] = c[0] + dist * 0.6, eye[1] = c[1] - dist * 0.8, eye[2] = c[2] + dist * 0.1;
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, c, up), 0);
  return p;
}

static void expect_error(int rc, const char *text) {
  if (rc == 0 || !strstr(cr_last_error(), text))
    print_error("status %d, message '%s'; expected '%s'\n", rc, cr_last_error(), text);
  assert_int_not_equal(rc, 0);
  assert_non_null(strstr(cr_last_error(), text));
}

// A NaN or far-away pose: was an infinite chord cast to long in the DRR kernel.
static void test_pose_refused(void **state) {
  cr_volume *v = box_volume();
  cr_renderer *r = cr_renderer_new(v, NULL, NULL); // DRR
  assert_non_null(r);
  cr_camera cam = cr_camera_from_fov(32, 32, 40);
  cr_image *img = cr_image_new(32, 32, 1);
  cr_render_out out = {.image = img};
  cr_pose p = looking_at_centre(v, 300);
  assert_int_equal(cr_render(r, &cam, &p, &out), 0);
  for (int i = 0; i < 32 * 32; i++) assert_true(isfinite(img->data[i]));
  cr_pose bad = p;
  bad.t[1] = NAN;
  expect_error(cr_render(r, &cam, &bad, &out), "render: cam_from_world: pose: t[1] = nan");
  bad = p, bad.t[0] = 1e38;
  expect_error(cr_render(r, &cam, &bad, &out), "|t| = 1e+38 mm is out of range (at most 1e9 mm)");
  bad = p, bad.R[0][0] *= 2;
  expect_error(cr_render(r, &cam, &bad, &out), "pose: R is not a rotation");
  bad = p, bad.R[2][1] = INFINITY;
  expect_error(cr_render(r, &cam, &bad, &out), "R[2][1] = inf is not finite");
  assert_int_equal(cr_pose_check(&p), 0);
  cr_renderer_free(r);
  cr_image_free(img);
  cr_volume_free(v);
}

// Affines no NIfTI file passes (the reader's ranges) but a program can build.
static void test_volume_geometry_refused(void **state) {
  double A[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  struct {
    int i, j;
    double value;
    const char *text;
  } cases[] = {
      {0, 0, 1e30, "render: volume: voxel size 1e+30 mm along axis 1 is out of range"},
      {1, 1, 1e-30, "voxel size 1e-30 mm along axis 2 is out of range (1e-5..1e5 mm)"},
      {2, 3, 1e20, "origin 1e+20 mm (axis 3) is out of range"},
      {0, 3, NAN, "voxel-to-world matrix element [0][3] = nan is not finite"},
      {0, 1, 1e4, "voxel axes are (nearly) parallel"}, // column 2 nearly along column 1
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    double B[4][4];
    memcpy(B, A, sizeof B);
    B[cases[c].i][cases[c].j] = cases[c].value;
    if (c == 4) B[0][0] = 1e4; // columns (1e4, 0, 0) and (1e4, 1, 0)
    cr_volume *v = cr_volume_new(4, 4, 4, B);
    assert_non_null(v);
    for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = (float)(i % 5);
    assert_null(cr_renderer_new(v, NULL, NULL));
    expect_error(cr_last_status(), cases[c].text);
    assert_int_equal(cr_volume_check_geometry(v, "x.nii"), CR_EINVAL);
    assert_non_null(strstr(cr_last_error(), "x.nii: "));
    cr_volume_free(v);
  }
}

// The cortex mesh of a volume whose foreground fills it closes on the footprint
// (voxel centres - 0.5); float vertices land just outside, where the probe sampled
// nothing: NaN scalars, drawn as NaN pixels by the mesh probe render.
static void test_mesh_probe_on_border(void **state) {
  cr_volume *v = box_volume();
  cr_mesh_cortex_options o = cr_mesh_cortex_defaults();
  o.iso = 50, o.smooth_iterations = 0, o.probe_depth_mm = 0;
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_build_cortex(v, &o, &m, NULL), 0);
  assert_int_equal(cr_mesh_probe(m, v, 0, 0.25, CR_PROBE_MAX), 0);
  int outside = 0;
  for (int i = 0; i < m->n_vertices; i++) {
    double w[3] = {m->xyz[3 * i], m->xyz[3 * i + 1], m->xyz[3 * i + 2]}, ijk[3];
    cr_volume_world_to_voxel(v, w, ijk);
    for (int a = 0; a < 3; a++) outside |= ijk[a] < -0.5 || ijk[a] > v->dim[a] - 0.5;
    assert_true(m->scalar[i] == 100.0f); // constant volume: the boundary value
  }
  assert_true(outside); // the case of the finding: some vertex beyond the footprint
  cr_mesh_free(m);

  cr_render_options ro = cr_render_defaults(&cr_render_mode_mesh);
  ro.mesh_probe = 1, ro.probe_depth_mm = 0, ro.iso = 50, ro.mesh_smooth_iterations = 2;
  cr_renderer *r = cr_renderer_new(v, NULL, &ro);
  assert_non_null(r);
  cr_camera cam = cr_camera_from_fov(32, 32, 40);
  cr_image *img = cr_image_new(32, 32, 1);
  unsigned char hit[32 * 32];
  cr_render_out out = {.image = img, .hit = hit};
  cr_pose p = looking_at_centre(v, 120);
  assert_int_equal(cr_render(r, &cam, &p, &out), 0);
  int n_hit = 0;
  for (int i = 0; i < 32 * 32; i++) {
    assert_true(isfinite(img->data[i]));
    n_hit += hit[i] != 0;
  }
  assert_true(n_hit > 50);
  cr_renderer_free(r);
  cr_image_free(img);
  cr_volume_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pose_refused),
      cmocka_unit_test(test_volume_geometry_refused),
      cmocka_unit_test(test_mesh_probe_on_border),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// The empty-space walk on rays that cross brick faces exactly at an edge: a diagonal
// ray from integer voxel coordinates reaches the faces x = 32 and z = 32 at the same
// parameter. The walk once entered the next macro brick across one face and, placing
// the other axis at the crossing point itself, rounded back into the empty macro brick
// it had just left, then alternated between the two forever (seen on an LPS copy of
// Colin27 rendered head-on). Every mode must finish, and the DRR must match the chord.
#include "testutil.h"

#include "core/error.h"

#include "core/mat.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>

// 128^3 voxels, world = voxel indices (identity affine); value 1 on x, z in [4, 27] and
// y in [4, 70], 0 elsewhere: only the macro bricks with x, z < 32 hold anything.
static cr_volume *slab_volume(void) {
  double A[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(128, 128, 128, A);
  assert_non_null(v);
  for (int k = 0; k < 128; k++)
    for (int j = 0; j < 128; j++)
      for (int i = 0; i < 128; i++)
        v->data[cr_volume_index(v, i, j, k)] =
            i >= 4 && i <= 27 && k >= 4 && k <= 27 && j >= 4 && j <= 70;
  return v;
}

// Camera at (100, 60, 100) looking along (-1, 0, -1) / sqrt 2, rows written with one
// constant so the ray's x and z steps are bit-identical (the crossings tie exactly).
static cr_pose diagonal_pose(void) {
  const double s = sqrt(0.5), c[3] = {100, 60, 100};
  cr_pose p;
  const double R[3][3] = {{s, 0, -s}, {0, -1, 0}, {-s, 0, -s}};
  for (int a = 0; a < 3; a++) {
    for (int b = 0; b < 3; b++) p.R[a][b] = R[a][b];
    p.t[a] = -(R[a][0] * c[0] + R[a][1] * c[1] + R[a][2] * c[2]);
  }
  return p;
}

static void test_diagonal_rays_finish(void **state) {
  (void)state;
  cr_volume *v = slab_volume();
  cr_camera cam = cr_camera_from_fov(9, 9, 20); // principal point at pixel (4, 4)
  cr_pose pose = diagonal_pose();
  const cr_render_mode_type *modes[] = {&cr_render_mode_drr, &cr_render_mode_mip,
                                        &cr_render_mode_volume, &cr_render_mode_surface,
                                        &cr_render_mode_probe};
  for (int m = 0; m < 5; m++) {
    cr_render_options p = cr_render_defaults(modes[m]);
    if (modes[m] != &cr_render_mode_drr && modes[m] != &cr_render_mode_mip) p.iso = 0.5;
    p.surface_smooth_mm = 0;
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    cr_image *img = cr_image_new(9, 9, 1);
    cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(cr_render(r, &cam, &pose, &out), 0); // returns at all: the point
    if (modes[m] == &cr_render_mode_drr) {
      // centre ray: x = z along it, field g(x)^2 with g the trilinear ramp of the slab
      // (1 on [4, 27], linear to 0 over one voxel each side): integral sqrt 2 (23 + 2/3)
      const double expect = sqrt(2.0) * (23.0 + 2.0 / 3.0);
      assert_near(cr_image_px(img, 4, 4)[0], expect, 0.02 * expect);
    }
    if (modes[m] == &cr_render_mode_mip) assert_near(cr_image_px(img, 4, 4)[0], 1.0, 1e-6);
    cr_image_free(img);
    cr_renderer_free(r);
  }
  cr_volume_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_diagonal_rays_finish)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

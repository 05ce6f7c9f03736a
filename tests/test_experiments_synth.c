// Synthetic photos: deterministic for a seed, the mask marks the opening, vessels are
// coloured where the phantom has vessels, and bad input is refused.
#include "testutil.h"

#include "core/error.h"
#include "core/phantom.h"
#include "experiments/synth.h"
#include "render/render.h"

#include <math.h>
#include <string.h>

static cr_volume *phantom;
static cr_camera cam;
static cr_pose pose;
static double target[3] = {0, 0, 58};

static int setup(void **state) {
  // Fine enough (1.25 mm) that the 0.9 mm-radius vessels keep their contrast.
  cr_phantom_options pp = cr_phantom_defaults();
  pp.dim[0] = 112, pp.dim[1] = 136, pp.dim[2] = 100;
  pp.spacing_mm[0] = pp.spacing_mm[1] = pp.spacing_mm[2] = 1.25;
  if (cr_phantom_make(&pp, &phantom)) return -1;
  cam = cr_camera_from_fov(160, 120, 25);
  cam.dist[0] = -0.05;
  double eye[3] = {0, 0, 300}, up[3] = {0, 1, 0};
  cr_pose_look_at(&pose, eye, target, up);
  return phantom ? 0 : -1;
}

static int teardown(void **state) {
  cr_volume_free(phantom);
  return 0;
}

static cr_image *photo_of(const cr_synth_options *p, cr_image *mask) {
  cr_image *ph = cr_image_new(cam.width, cam.height, 3);
  assert_int_equal(cr_synth_photo(phantom, &cam, &pose, target, p, ph, mask), 0);
  return ph;
}

static void test_deterministic_for_a_seed(void **state) {
  cr_synth_options p = cr_synth_defaults();
  cr_image *a = photo_of(&p, NULL), *b = photo_of(&p, NULL);
  assert_memory_equal(a->data, b->data, sizeof(float) * 3 * cam.width * cam.height);
  p.seed = 2;
  cr_image *c = photo_of(&p, NULL);
  assert_memory_not_equal(a->data, c->data, sizeof(float) * 3 * cam.width * cam.height);
  cr_image_free(a), cr_image_free(b), cr_image_free(c);
}

static void test_mask_is_the_opening(void **state) {
  cr_synth_options p = cr_synth_defaults();
  p.n_occluders = 0;
  p.opening_mm = 12;
  cr_image *mask = cr_image_new(cam.width, cam.height, 1);
  cr_image *ph = photo_of(&p, mask);
  // The opening is centred on the target's projection (the image centre here)...
  assert_true(cr_image_px(mask, cam.width / 2, cam.height / 2)[0] == 1);
  assert_true(cr_image_px(mask, 0, 0)[0] == 0);
  // ...and its area is that of an ellipse with semi-axes between 0.75 and 1.25 radii.
  double r_px = 12 * cam.fx / (300 - 58), area = 0;
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) area += cr_image_px(mask, x, y)[0];
  assert_true(area > 0.6 * M_PI * r_px * r_px && area < 1.3 * M_PI * r_px * r_px);
  // Outside the opening: bone or drape colours (not the pink cortex: red not dominant).
  const float *corner = cr_image_px(ph, 2, 2);
  assert_true(corner[0] < corner[1] + 40);
  cr_image_free(mask), cr_image_free(ph);
}

// Vessels in the photo are where the phantom has vessels: redder than the cortex.
static void test_vessels_are_red_where_the_phantom_has_them(void **state) {
  cr_synth_options p = cr_synth_defaults();
  p.n_occluders = 0, p.opening_mm = 0, p.noise_sigma = 0, p.illumination = 0, p.colour_cast = 0;
  p.specular = 0, p.jpeg_quality = 0, p.blur_px = 0;
  cr_image *ph = photo_of(&p, NULL);
  cr_render_options rp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(phantom, NULL, &rp)), 0);
  cr_image *img = cr_image_new(cam.width, cam.height, 1),
           *xyz = cr_image_new(cam.width, cam.height, 3);
  cr_render_out out = {img, NULL, xyz, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &pose, &out), 0);
  cr_phantom_options pp = cr_phantom_defaults();
  double ratio_vessel = 0, ratio_cortex = 0;
  int nv = 0, nc = 0;
  for (int y = 2; y < cam.height - 2; y++)
    for (int x = 2; x < cam.width - 2; x++) {
      const float *X = cr_image_px(xyz, x, y), *c = cr_image_px(ph, x, y);
      if (isnan(X[0])) continue;
      double P[3] = {X[0], X[1], X[2]};
      float v = cr_phantom_value(&pp, P, 0);
      double ratio = c[0] / (c[1] + 1.0);
      if (v >= pp.vessel - 1)
        ratio_vessel += ratio, nv++;
      else if (fabs(v - pp.gm) < 1)
        ratio_cortex += ratio, nc++;
    }
  assert_true(nv > 20 && nc > 200);
  print_message("red/green: vessels %.2f (%d px), cortex %.2f (%d px)\n", ratio_vessel / nv, nv,
                ratio_cortex / nc, nc);
  assert_true(ratio_vessel / nv > 1.5 * ratio_cortex / nc);
  cr_renderer_free(r);
  cr_image_free(ph), cr_image_free(img), cr_image_free(xyz);
}

static void test_bad_input(void **state) {
  cr_synth_options p = cr_synth_defaults();
  cr_image *small = cr_image_new(10, 10, 3);
  assert_int_equal(cr_synth_photo(phantom, &cam, &pose, target, &p, small, NULL), CR_EINVAL);
  cr_image *ph = cr_image_new(cam.width, cam.height, 3);
  p.jpeg_quality = 101;
  assert_int_equal(cr_synth_photo(phantom, &cam, &pose, target, &p, ph, NULL), CR_EINVAL);
  p = cr_synth_defaults();
  double eye[3] = {0, 0, 300}, away[3] = {0, 0, 600}, up[3] = {0, 1, 0};
  cr_pose off;
  cr_pose_look_at(&off, eye, away, up);
  assert_int_equal(cr_synth_photo(phantom, &cam, &off, target, &p, ph, NULL), CR_EEMPTY);
  cr_image_free(small), cr_image_free(ph);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic_for_a_seed),
      cmocka_unit_test(test_mask_is_the_opening),
      cmocka_unit_test(test_vessels_are_red_where_the_phantom_has_them),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

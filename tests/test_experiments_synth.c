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
  cr_render_out out = {img, NULL, xyz, NULL, NULL, NULL, NULL};
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

// Median of |photo1(x) - photo0(projection of x's world point)| (grey levels, mean over
// channels) over the pixels of view 1 inside both masks whose world point view 0 sees
// unoccluded (depth check), with view 0 sampled bilinearly `shift_px` to the right of the
// projection (0: the true correspondence).
static double cross_view_difference(const cr_synth_view *v, const cr_synth_options *p,
                                    double shift_px, int *n_out) {
  cr_image *ph[2], *mk[2];
  for (int i = 0; i < 2; i++) {
    ph[i] = cr_image_new(v[i].camera.width, v[i].camera.height, 3);
    mk[i] = cr_image_new(v[i].camera.width, v[i].camera.height, 1);
  }
  assert_int_equal(cr_synth_photos(phantom, v, 2, target, p, ph, mk), 0);
  cr_render_options rp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(phantom, NULL, &rp)), 0);
  const cr_camera *c0 = &v[0].camera, *c1 = &v[1].camera;
  cr_image *img = cr_image_new(c1->width, c1->height, 1),
           *xyz = cr_image_new(c1->width, c1->height, 3);
  cr_image *img0 = cr_image_new(c0->width, c0->height, 1),
           *dep0 = cr_image_new(c0->width, c0->height, 1);
  cr_render_out out = {img, NULL, xyz, NULL, NULL, NULL, NULL},
                out0 = {img0, dep0, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, c1, &v[1].cam_from_world, &out), 0);
  assert_int_equal(cr_render(r, c0, &v[0].cam_from_world, &out0), 0);
  static double diffs[160 * 120];
  int n = 0;
  for (int y = 0; y < c1->height; y++)
    for (int x = 0; x < c1->width; x++) {
      const float *X = cr_image_px(xyz, x, y);
      if (isnan(X[0]) || cr_image_px(mk[1], x, y)[0] == 0) continue;
      double Xw[3] = {X[0], X[1], X[2]}, xc[3], uv[2];
      cr_pose_apply(&v[0].cam_from_world, Xw, xc);
      if (cr_camera_project(c0, xc, uv)) continue;
      uv[0] += shift_px;
      if (uv[0] < 1 || uv[1] < 1 || uv[0] > c0->width - 2 || uv[1] > c0->height - 2) continue;
      int u0 = (int)floor(uv[0]), v0 = (int)floor(uv[1]);
      int ok = 1;
      for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++)
          ok &= cr_image_px(mk[0], u0 + dx, v0 + dy)[0] != 0 &&
                fabs(cr_image_px(dep0, u0 + dx, v0 + dy)[0] - xc[2]) < 1.0;
      if (!ok) continue;
      double fu = uv[0] - u0, fv = uv[1] - v0, d = 0;
      for (int c = 0; c < 3; c++) {
        double s0 = (1 - fu) * (1 - fv) * cr_image_px(ph[0], u0, v0)[c] +
                    fu * (1 - fv) * cr_image_px(ph[0], u0 + 1, v0)[c] +
                    (1 - fu) * fv * cr_image_px(ph[0], u0, v0 + 1)[c] +
                    fu * fv * cr_image_px(ph[0], u0 + 1, v0 + 1)[c];
        d += fabs(s0 - cr_image_px(ph[1], x, y)[c]) / 3;
      }
      diffs[n++] = d;
    }
  // Median by partial selection (insertion sort is enough for a test).
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && diffs[j - 1] > diffs[j]; j--) {
      double t = diffs[j];
      diffs[j] = diffs[j - 1], diffs[j - 1] = t;
    }
  *n_out = n;
  double med = n ? diffs[n / 2] : INFINITY;
  cr_renderer_free(r);
  cr_image_free(img), cr_image_free(xyz), cr_image_free(img0), cr_image_free(dep0);
  for (int i = 0; i < 2; i++) cr_image_free(ph[i]), cr_image_free(mk[i]);
  return med;
}

// Two views of one scene: a surface point has the same colour in both (albedo, vessels,
// occlusion, the light on the reference camera and its spot are attached to the world),
// once the effects that belong to each camera (highlights, vignetting, noise) are off.
// The texture is fine enough that a correspondence 2 px off differs clearly, and the
// highlights (which follow each camera) and a light moved with the camera do too.
static void test_views_agree_on_the_surface(void **state) {
  cr_synth_view v[2];
  memset(v, 0, sizeof v);
  v[0].camera = cam, v[0].cam_from_world = pose;
  // The second camera 20 deg around the target, with its own size and distortion.
  v[1].camera = cr_camera_from_fov(144, 112, 27);
  v[1].camera.dist[0] = 0.04, v[1].camera.dist[1] = -0.01;
  double a = 20 * M_PI / 180, r = 300 - target[2], up[3] = {0, 1, 0};
  double eye[3] = {r * sin(a), 0, target[2] + r * cos(a)};
  cr_pose_look_at(&v[1].cam_from_world, eye, target, up);
  cr_synth_options p = cr_synth_defaults();
  p.supersample = 1, p.n_occluders = 0, p.noise_sigma = 0, p.blur_px = 0, p.jpeg_quality = 0;
  p.specular = 0, p.vignetting = 0, p.opening_mm = 30;
  int n;
  double same = cross_view_difference(v, &p, 0, &n);
  print_message("median colour difference at shared surface points: %.2f grey (%d px)\n", same, n);
  assert_true(n > 2000);
  assert_true(same < 1.5);
  double off = cross_view_difference(v, &p, 2, &n);
  p.specular = 1;
  double spec = cross_view_difference(v, &p, 0, &n);
  print_message("2 px off: %.2f grey; with highlights: %.2f grey\n", off, spec);
  assert_true(off > 3 * same);
  assert_true(spec > 2 * same);
  // A tracked microscope moved 20 deg with its light: the shading changes, the albedo not.
  p.specular = 0, v[1].own_light = 1;
  double moved = cross_view_difference(v, &p, 0, &n);
  print_message("light moved with the second camera: %.2f grey\n", moved);
  assert_true(moved > 2 * same);
}

// View 0 of a list is the mono photo; a list checks every view's size and visibility.
static void test_view_list(void **state) {
  cr_synth_options p = cr_synth_defaults();
  cr_synth_view v[2] = {{cam, pose, 0}, {cam, pose, 0}};
  cr_image *a = photo_of(&p, NULL), *ph[2], *small = cr_image_new(10, 10, 3);
  for (int i = 0; i < 2; i++) ph[i] = cr_image_new(cam.width, cam.height, 3);
  assert_int_equal(cr_synth_photos(phantom, v, 2, target, &p, ph, NULL), 0);
  assert_memory_equal(a->data, ph[0]->data, sizeof(float) * 3 * cam.width * cam.height);
  // Same pose, own noise: the second photo differs only by noise.
  assert_memory_not_equal(ph[0]->data, ph[1]->data, sizeof(float) * 3 * cam.width * cam.height);
  cr_image *bad[2] = {ph[0], small};
  assert_int_equal(cr_synth_photos(phantom, v, 2, target, &p, bad, NULL), CR_EINVAL);
  assert_int_equal(cr_synth_photos(phantom, v, 0, target, &p, ph, NULL), CR_EINVAL);
  double eye[3] = {0, 0, 300}, away[3] = {0, 0, 600}, up[3] = {0, 1, 0};
  cr_pose_look_at(&v[1].cam_from_world, eye, away, up);
  assert_int_equal(cr_synth_photos(phantom, v, 2, target, &p, ph, NULL), CR_EEMPTY);
  assert_non_null(strstr(cr_last_error(), "view 1"));
  cr_image_free(a), cr_image_free(small), cr_image_free(ph[0]), cr_image_free(ph[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic_for_a_seed),
      cmocka_unit_test(test_mask_is_the_opening),
      cmocka_unit_test(test_vessels_are_red_where_the_phantom_has_them),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_views_agree_on_the_surface),
      cmocka_unit_test(test_view_list),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

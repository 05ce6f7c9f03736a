// Rendering modes against analytic answers: DRR chord of a uniform box, isosurface
// depth of a sphere, probe shell, volume compositing, degenerate cameras, voxel orders
// and thread-count independence; a fork renders what its parent renders, at the same time.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "render/render.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A volume with the given spacing and flips (diag affine), centred at the origin.
static cr_volume *grid(int nx, int ny, int nz, const double sp[3], const int flip[3]) {
  double A[4][4] = {{0}};
  const int n[3] = {nx, ny, nz};
  for (int a = 0; a < 3; a++) {
    A[a][a] = flip[a] ? -sp[a] : sp[a];
    A[a][3] = -A[a][a] * 0.5 * (n[a] - 1);
  }
  A[3][3] = 1;
  cr_volume *v = cr_volume_new(nx, ny, nz, A);
  assert_non_null(v);
  return v;
}

// Sphere of radius R at c: value 1 inside, 0 outside, linear ramp of width w across
// the surface (0.5 on it), so the iso level 0.5 is at radius R.
static void fill_sphere(cr_volume *v, const double c[3], double R, double w) {
  for (int k = 0; k < v->dim[2]; k++)
    for (int j = 0; j < v->dim[1]; j++)
      for (int i = 0; i < v->dim[0]; i++) {
        double ijk[3] = {i, j, k}, x[3], d[3];
        cr_volume_voxel_to_world(v, ijk, x);
        cr_vec3_sub(d, x, c);
        double s = 0.5 - (cr_vec3_norm(d) - R) / w;
        v->data[cr_volume_index(v, i, j, k)] = (float)(s < 0 ? 0 : (s > 1 ? 1 : s));
      }
}

static cr_pose look(double ex, double ey, double ez, double tx, double ty, double tz) {
  double eye[3] = {ex, ey, ez}, target[3] = {tx, ty, tz}, up[3] = {0, 0, 1};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}

// World ray (unit direction) of pixel (u, v) and its camera-frame z per mm.
static void world_ray(const cr_camera *cam, const cr_pose *P, double u, double v, double C[3],
                      double d[3], double *zpm) {
  double rc[3];
  cr_camera_pixel_ray(cam, u, v, rc);
  double n = cr_vec3_norm(rc);
  *zpm = 1.0 / n;
  cr_vec3_scale(rc, rc, 1.0 / n);
  cr_mat3_apply_transpose(d, P->R, rc);
  cr_pose_camera_centre(P, C);
}

// Chord of a ray with an axis-aligned world box (slab test, t >= 0).
static double box_chord(const double C[3], const double d[3], const double lo[3],
                        const double hi[3]) {
  double tn = 0, tf = 1e300;
  for (int a = 0; a < 3; a++) {
    if (fabs(d[a]) < 1e-14) {
      if (C[a] < lo[a] || C[a] > hi[a]) return 0;
      continue;
    }
    double t1 = (lo[a] - C[a]) / d[a], t2 = (hi[a] - C[a]) / d[a];
    tn = fmax(tn, fmin(t1, t2));
    tf = fmin(tf, fmax(t1, t2));
  }
  return tf > tn ? tf - tn : 0;
}

static void test_drr_uniform_box(void **state) {
  (void)state;
  const double sp[3] = {1.5, 2.0, 2.5};
  const int flip[3] = {1, 0, 1};
  cr_volume *v = grid(40, 30, 20, sp, flip);
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = 3.0f;
  double lo[3], hi[3];
  cr_volume_world_bounds(v, lo, hi);
  cr_camera cam = cr_camera_from_fov(64, 48, 50);
  cr_pose P = look(120, -90, 70, 3, 2, -1);
  cr_render_options p = cr_render_defaults(&cr_render_mode_drr);
  p.step_mm = 0.7;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  cr_image *img = cr_image_new(cam.width, cam.height, 1);
  cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &P, &out), 0);
  int checked = 0;
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) {
      double C[3], d[3], zpm;
      world_ray(&cam, &P, x, y, C, d, &zpm);
      double L = box_chord(C, d, lo, hi), got = cr_image_px(img, x, y)[0];
      if (L > 2) {
        assert_near(got, 3.0 * L, 0.005 * 3.0 * L);
        checked++;
      } else if (L == 0) {
        assert_near(got, 0, 1e-6);
      }
    }
  assert_true(checked > 500);
  cr_image_free(img);
  cr_renderer_free(r);
  cr_volume_free(v);
}

// A smooth field on an oblique grid: the DRR equals a fine Riemann sum of core's
// independent world-space trilinear sampler along the same pixel rays.
static void test_drr_smooth_field_vs_core_sampler(void **state) {
  (void)state;
  double A[4][4] = {{1.2, 0.3, 0, -20}, {-0.2, 1.1, 0.4, -25}, {0.1, -0.3, 1.3, -18}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(36, 40, 30, A);
  assert_non_null(v);
  for (int k = 0; k < 30; k++)
    for (int j = 0; j < 40; j++)
      for (int i = 0; i < 36; i++) {
        double ijk[3] = {i, j, k}, x[3];
        cr_volume_voxel_to_world(v, ijk, x);
        v->data[cr_volume_index(v, i, j, k)] =
            (float)(2 + sin(0.15 * x[0]) * cos(0.1 * x[1]) + 0.01 * x[2]);
      }
  cr_camera cam = cr_camera_from_fov(16, 12, 18);
  cam.dist[0] = 0.08;
  cr_pose P = look(60, -110, 50, 0, 0, 0);
  cr_render_options p = cr_render_defaults(&cr_render_mode_drr);
  p.step_mm = 0.5;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  cr_image *img = cr_image_new(16, 12, 1);
  cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &P, &out), 0);
  int checked = 0;
  for (int y = 0; y < 12; y += 3)
    for (int x = 0; x < 16; x += 3) {
      double C[3], d[3], zpm, ref = 0, h = 0.02;
      world_ray(&cam, &P, x, y, C, d, &zpm);
      for (double t = 0.5 * h; t < 400; t += h) {
        double X[3] = {C[0] + t * d[0], C[1] + t * d[1], C[2] + t * d[2]};
        ref += cr_volume_sample_linear(v, X, 0) * h;
      }
      float got = cr_image_px(img, x, y)[0];
      if (ref > 20) {
        assert_near(got, ref, 0.005 * ref);
        checked++;
      }
    }
  print_message("smooth field: %d pixels checked\n", checked);
  assert_true(checked > 10);
  cr_image_free(img);
  cr_renderer_free(r);
  cr_volume_free(v);
}

// Camera inside the box: the DRR is value * distance to the exit face.
static void test_camera_inside_and_away(void **state) {
  (void)state;
  const double sp[3] = {2, 2, 2};
  const int flip[3] = {0, 0, 0};
  cr_volume *v = grid(30, 30, 30, sp, flip);
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = 2.0f;
  double lo[3], hi[3];
  cr_volume_world_bounds(v, lo, hi);
  cr_camera cam = cr_camera_from_fov(33, 25, 70);
  cr_image *img = cr_image_new(cam.width, cam.height, 1);
  cr_image *depth = cr_image_new(cam.width, cam.height, 1);
  const cr_render_mode_type *modes[5] = {&cr_render_mode_drr, &cr_render_mode_mip,
                                         &cr_render_mode_volume, &cr_render_mode_surface,
                                         &cr_render_mode_probe};
  for (int m = 0; m < 5; m++) {
    const cr_render_mode_type *mode = modes[m];
    cr_render_out out = {
        img, mode->outputs & CR_RENDER_OUT_DEPTH ? depth : NULL, NULL, NULL, NULL, NULL, NULL};
    cr_render_options p = cr_render_defaults(mode);
    p.iso = 1.0;
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    cr_pose inside = look(5, -3, 2, 40, 10, 5);
    assert_int_equal(cr_render(r, &cam, &inside, &out), 0);
    for (int y = 0; y < cam.height; y++)
      for (int x = 0; x < cam.width; x++) {
        float g = cr_image_px(img, x, y)[0];
        assert_true(isfinite(g));
        if (mode == &cr_render_mode_drr) {
          double C[3], d[3], zpm;
          world_ray(&cam, &inside, x, y, C, d, &zpm);
          assert_near(g, 2.0 * box_chord(C, d, lo, hi), 0.005 * 2.0 * box_chord(C, d, lo, hi));
        }
        if (mode == &cr_render_mode_surface) assert_near(cr_image_px(depth, x, y)[0], 0, 1e-9);
      }
    // Facing away from the volume from outside: background everywhere.
    cr_pose away = look(0, -200, 0, 0, -400, 0);
    assert_int_equal(cr_render(r, &cam, &away, &out), 0);
    for (int y = 0; y < cam.height; y++)
      for (int x = 0; x < cam.width; x++) assert_near(cr_image_px(img, x, y)[0], 0, 0);
    cr_renderer_free(r);
  }
  cr_image_free(img);
  cr_image_free(depth);
  cr_volume_free(v);
}

// The isosurface of the exact field (no smoothing) within 0.1 voxel of the analytic
// sphere; with the default 1 mm Gaussian smoothing (against mask staircases) within 0.2.
static void sphere_surface_depth(double smooth_mm, double tol_vox) {
  const double sp[3] = {1.5, 1.5, 1.5}, c[3] = {3, -2, 4}, R = 30;
  const int flip[3] = {0, 1, 0};
  cr_volume *v = grid(64, 64, 64, sp, flip);
  fill_sphere(v, c, R, 3.0);
  cr_camera cam = cr_camera_from_fov(80, 60, 40);
  cam.dist[0] = -0.15, cam.dist[1] = 0.03, cam.dist[2] = 0.002;
  cr_pose P = look(-60, -150, 90, 3, -2, 4);
  cr_render_options p = cr_render_defaults(&cr_render_mode_surface);
  p.iso = 0.5;
  p.surface_smooth_mm = smooth_mm;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  cr_image *img = cr_image_new(cam.width, cam.height, 1),
           *depth = cr_image_new(cam.width, cam.height, 1);
  cr_image *xyz = cr_image_new(cam.width, cam.height, 3),
           *nrm = cr_image_new(cam.width, cam.height, 3);
  cr_render_out out = {img, depth, xyz, nrm, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &P, &out), 0);
  int hits = 0;
  double maxerr = 0;
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) {
      double C[3], d[3], zpm, oc[3];
      world_ray(&cam, &P, x, y, C, d, &zpm);
      cr_vec3_sub(oc, C, c);
      double b = cr_vec3_dot(oc, d), disc = b * b - (cr_vec3_dot(oc, oc) - R * R);
      float z = cr_image_px(depth, x, y)[0];
      if (disc < 2.0 * R) { // misses (or grazes: skip the silhouette)
        if (disc < 0) assert_near(z, 0, 0);
        continue;
      }
      double t = -b - sqrt(disc);
      assert_near(z, t * zpm, tol_vox * sp[0]);
      maxerr = fmax(maxerr, fabs(z - t * zpm));
      const float *X = cr_image_px(xyz, x, y), *N = cr_image_px(nrm, x, y);
      double rel[3] = {X[0] - c[0], X[1] - c[1], X[2] - c[2]};
      assert_near(cr_vec3_norm(rel), R, tol_vox * sp[0]);
      double cosn = (N[0] * rel[0] + N[1] * rel[1] + N[2] * rel[2]) / cr_vec3_norm(rel);
      assert_true(cosn > 0.995);
      assert_true(cr_image_px(img, x, y)[0] > 0);
      hits++;
    }
  assert_true(hits > 400);
  print_message("sphere depth: %d hits, max error %.4f mm (voxel %.2f mm)\n", hits, maxerr, sp[0]);
  // Surface points of the view lie on the sphere; their centroid is on the camera side.
  double pts[3 * 64], cen[3], eye[3];
  int n = 0;
  assert_int_equal(cr_render_surface_points(r, &cam, &P, 4, pts, 64, &n, cen), 0);
  assert_int_equal(n, 64);
  for (int i = 0; i < n; i++) {
    double rel[3] = {pts[3 * i] - c[0], pts[3 * i + 1] - c[1], pts[3 * i + 2] - c[2]};
    assert_near(cr_vec3_norm(rel), R, tol_vox * sp[0]);
  }
  cr_pose_camera_centre(&P, eye);
  double ce[3], cc[3];
  cr_vec3_sub(ce, eye, c);
  cr_vec3_sub(cc, cen, c);
  assert_true(cr_vec3_dot(ce, cc) > 0.5 * cr_vec3_norm(ce) * cr_vec3_norm(cc));
  cr_image_free(img), cr_image_free(depth), cr_image_free(xyz), cr_image_free(nrm);
  cr_renderer_free(r);
  cr_volume_free(v);
}

static void test_sphere_surface_depth(void **state) {
  (void)state;
  sphere_surface_depth(0, 0.1);
  sphere_surface_depth(1.0, 0.2);
}

// A point light (cr_render_out.light_at) on a sphere: every lit pixel is Lambert's
// n . (L - x) / |L - x| with the analytic normal n = (x - c) / |x - c| at the hit x; a light
// at the camera centre is the headlight; modes without a point light refuse one.
static void test_point_light_on_sphere(void **state) {
  (void)state;
  const double sp[3] = {1.5, 1.5, 1.5}, c[3] = {3, -2, 4}, R = 30;
  const int flip[3] = {0, 1, 0};
  cr_volume *v = grid(64, 64, 64, sp, flip);
  fill_sphere(v, c, R, 3.0);
  cr_camera cam = cr_camera_from_fov(80, 60, 40);
  cr_pose P = look(-60, -150, 90, 3, -2, 4);
  cr_render_options p = cr_render_defaults(&cr_render_mode_surface);
  p.iso = 0.5, p.surface_smooth_mm = 0;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  cr_image *head = cr_image_new(80, 60, 1), *img = cr_image_new(80, 60, 1),
           *xyz = cr_image_new(80, 60, 3), *nrm = cr_image_new(80, 60, 3);
  cr_render_out oh = {head, NULL, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &P, &oh), 0);
  // at the camera centre: the headlight
  const double at_centre[3] = {0, 0, 0}, at_side[3] = {60, -40, 20};
  cr_render_out o0 = {img, NULL, NULL, NULL, NULL, NULL, at_centre};
  assert_int_equal(cr_render(r, &cam, &P, &o0), 0);
  for (int i = 0; i < 80 * 60; i++) assert_near(img->data[i], head->data[i], 1e-6);
  // 60 mm right, 40 mm up, 20 mm forward of the camera
  cr_render_out o1 = {img, NULL, xyz, nrm, NULL, NULL, at_side};
  assert_int_equal(cr_render(r, &cam, &P, &o1), 0);
  double Lw[3], maxerr = 0, maxown = 0, maxdiff = 0;
  cr_pose W = cr_pose_inverse(&P);
  cr_pose_apply(&W, at_side, Lw);
  int hits = 0;
  for (int y = 0; y < 60; y++)
    for (int x = 0; x < 80; x++) {
      const float *X = cr_image_px(xyz, x, y);
      if (isnan(X[0])) continue;
      double n[3] = {X[0] - c[0], X[1] - c[1], X[2] - c[2]},
             l[3] = {Lw[0] - X[0], Lw[1] - X[1], Lw[2] - X[2]};
      cr_vec3_scale(n, n, 1 / cr_vec3_norm(n));
      cr_vec3_scale(l, l, 1 / cr_vec3_norm(l));
      const float *N = cr_image_px(nrm, x, y);
      const double own = fmax(0, N[0] * l[0] + N[1] * l[1] + N[2] * l[2]);
      const double want = fmax(0, cr_vec3_dot(n, l)), got = cr_image_px(img, x, y)[0];
      maxerr = fmax(maxerr, fabs(got - want)), maxown = fmax(maxown, fabs(got - own));
      maxdiff = fmax(maxdiff, fabs(got - cr_image_px(head, x, y)[0]));
      hits++;
    }
  print_message("point light: %d hits, max |shading - analytic| %.4f (with the render's own "
                "normal %.1e), max change from the headlight %.3f\n",
                hits, maxerr, maxown, maxdiff);
  assert_true(hits > 1000);
  assert_true(maxown < 1e-5); // Lambert with the render's normal and hit
  assert_true(maxerr < 0.1);  // the normal is the field's gradient: within 6 deg of the sphere's
  assert_true(maxdiff > 0.1); // the light moved: the check can fail
  // modes that light from their camera only, and a position that is not finite
  cr_render_options pd = cr_render_defaults(&cr_render_mode_drr);
  cr_renderer *d;
  assert_int_equal(cr_status_of(d = cr_renderer_new(v, NULL, &pd)), 0);
  cr_render_out od = {img, NULL, NULL, NULL, NULL, NULL, at_side};
  assert_int_equal(cr_render(d, &cam, &P, &od), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "drr mode takes no light position"));
  const double bad[3] = {0, NAN, 1};
  cr_render_out ob = {img, NULL, NULL, NULL, NULL, NULL, bad};
  assert_int_equal(cr_render(r, &cam, &P, &ob), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "not finite"));
  cr_renderer_free(d);
  cr_image_free(head), cr_image_free(img), cr_image_free(xyz), cr_image_free(nrm);
  cr_renderer_free(r);
  cr_volume_free(v);
}

// A sphere with a bright shell 2..3 mm below its surface: the probe over 4 mm sees it,
// the probe over 1 mm does not.
static void test_probe_shell(void **state) {
  (void)state;
  const double sp[3] = {1, 1, 1}, c[3] = {0, 0, 0}, R = 20;
  const int flip[3] = {0, 0, 0};
  cr_volume *v = grid(56, 56, 56, sp, flip);
  fill_sphere(v, c, R, 2.0);
  for (int k = 0; k < 56; k++)
    for (int j = 0; j < 56; j++)
      for (int i = 0; i < 56; i++) {
        double ijk[3] = {i, j, k}, x[3];
        cr_volume_voxel_to_world(v, ijk, x);
        double rr = cr_vec3_norm(x);
        if (rr > R - 3.5 && rr < R - 1.5) v->data[cr_volume_index(v, i, j, k)] = 5.0f;
      }
  cr_camera cam = cr_camera_from_fov(31, 31, 20);
  cr_pose P = look(0, -120, 0, 0, 0, 0);
  cr_image *img = cr_image_new(31, 31, 1);
  cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
  const double depths[2] = {4.5, 0.5};
  const int along_normal[2] = {0, 1};
  for (int a = 0; a < 2; a++)
    for (int q = 0; q < 2; q++) {
      cr_render_options p = cr_render_defaults(&cr_render_mode_probe);
      p.iso = 0.5, p.probe_depth_mm = depths[q], p.probe_along_normal = along_normal[a];
      p.step_mm = 0.5;
      cr_renderer *r;
      assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
      assert_int_equal(cr_render(r, &cam, &P, &out), 0);
      float centre = cr_image_px(img, 15, 15)[0];
      if (q == 0)
        assert_near(centre, 5.0, 0.01);
      else
        assert_true(centre < 1.01);
      cr_renderer_free(r);
    }
  cr_image_free(img);
  cr_volume_free(v);
}

// Uniform box, constant opacity a per mm and grey g: 1 - (1 - a)^L of g.
static void test_volume_compositing(void **state) {
  (void)state;
  const double sp[3] = {1, 1, 1};
  const int flip[3] = {0, 0, 0};
  cr_volume *v = grid(40, 40, 40, sp, flip);
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = 10.0f;
  double lo[3], hi[3];
  cr_volume_world_bounds(v, lo, hi);
  cr_render_options p = cr_render_defaults(&cr_render_mode_volume);
  assert_int_equal(cr_render_tf_parse("0:0.02:0.8,100:0.02:0.8", &p), 0);
  p.lit = 0, p.step_mm = 0.25;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  cr_camera cam = cr_camera_from_fov(40, 30, 40);
  cr_pose P = look(70, -80, 30, 0, 0, 0);
  cr_image *img = cr_image_new(40, 30, 1);
  cr_render_out out = {img, NULL, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &P, &out), 0);
  int checked = 0;
  for (int y = 0; y < 30; y++)
    for (int x = 0; x < 40; x++) {
      double C[3], d[3], zpm;
      world_ray(&cam, &P, x, y, C, d, &zpm);
      double L = box_chord(C, d, lo, hi);
      double want = 0.8 * (1 - pow(0.98, L));
      assert_near(cr_image_px(img, x, y)[0], want, 0.004);
      checked += L > 5;
    }
  assert_true(checked > 300);
  cr_image_free(img);
  cr_renderer_free(r);
  cr_volume_free(v);
}

// The same analytic phantom on other voxel grids renders the same (within
// interpolation tolerance): flipped, permuted and oblique.
static void test_voxel_orders_agree(void **state) {
  (void)state;
  const char *orient[4] = {"RAS", "LPI", "ASL", "RAS"};
  const double oblique[4] = {0, 0, 0, 25};
  cr_camera cam = cr_camera_from_fov(48, 40, 35);
  cr_pose P = look(90, -160, 110, 0, 0, 0);
  cr_image *ref_d = NULL, *ref_s = NULL;
  for (int q = 0; q < 4; q++) {
    cr_phantom_options pp = cr_phantom_defaults();
    pp.dim[0] = pp.dim[1] = pp.dim[2] = 64;
    pp.spacing_mm[0] = pp.spacing_mm[1] = pp.spacing_mm[2] = 2.5;
    pp.radius_mm[0] = 55, pp.radius_mm[1] = 62, pp.radius_mm[2] = 50;
    snprintf(pp.orientation, sizeof pp.orientation, "%s", orient[q]);
    pp.oblique_deg = oblique[q];
    cr_volume *v;
    assert_int_equal(cr_phantom_make(&pp, &v), 0);
    cr_image *drr = cr_image_new(48, 40, 1), *img = cr_image_new(48, 40, 1),
             *dep = cr_image_new(48, 40, 1);
    cr_render_options p = cr_render_defaults(&cr_render_mode_drr);
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    cr_render_out o1 = {drr, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(cr_render(r, &cam, &P, &o1), 0);
    cr_renderer_free(r);
    p = cr_render_defaults(&cr_render_mode_surface);
    p.iso = 300;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    cr_render_out o2 = {img, dep, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(cr_render(r, &cam, &P, &o2), 0);
    cr_renderer_free(r);
    cr_volume_free(v);
    cr_image_free(img);
    if (q == 0) {
      ref_d = drr, ref_s = dep;
      continue;
    }
    double sum_ref = 0, sum_diff = 0, dd = 0;
    int n = 0, both = 0, one = 0;
    for (int y = 0; y < 40; y++)
      for (int x = 0; x < 48; x++) {
        float a = cr_image_px(ref_d, x, y)[0], b = cr_image_px(drr, x, y)[0];
        sum_ref += a, sum_diff += fabs(a - b);
        float za = cr_image_px(ref_s, x, y)[0], zb = cr_image_px(dep, x, y)[0];
        if (za > 0 && zb > 0)
          dd += fabs(za - zb), both++;
        else if (za > 0 || zb > 0)
          one++;
        n++;
      }
    print_message("%s oblique %g: DRR mean |diff| %.3f%%, depth mean |diff| %.3f mm over %d px, "
                  "%d px hit in one only\n",
                  orient[q], oblique[q], 100 * sum_diff / sum_ref, dd / both, both, one);
    assert_true(sum_diff / sum_ref < (q == 3 ? 0.02 : 0.002));
    assert_true(both > n / 3);
    assert_true(dd / both < (q == 3 ? 0.5 : 0.05) * 2.5);
    assert_true(one < n / 50 + 2);
    cr_image_free(drr);
    cr_image_free(dep);
  }
  cr_image_free(ref_d);
  cr_image_free(ref_s);
}

static void test_threads_identical(void **state) {
  (void)state;
  cr_volume *v = cr_test_small_phantom("LPI", 10);
  assert_non_null(v);
  cr_camera cam = cr_camera_from_fov(64, 48, 55);
  cam.dist[0] = 0.1;
  cr_pose P = look(-80, -170, 60, 0, 0, 0);
  for (int m = 0; m < cr_render_mode_count(); m++) { // every mode, the mesh raster too
    const cr_render_mode_type *mode = cr_render_mode_at(m);
    cr_render_options p = cr_render_defaults(mode);
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    int ch = mode->outputs & CR_RENDER_OUT_COLOUR ? 3 : 1,
        has_depth = (mode->outputs & CR_RENDER_OUT_DEPTH) != 0;
    cr_image *a[2], *d[2];
    for (int t = 0; t < 2; t++) {
      a[t] = cr_image_new(64, 48, ch), d[t] = cr_image_new(64, 48, 1);
      omp_set_num_threads(t + 1);
      cr_render_out out = {a[t], has_depth ? d[t] : NULL, NULL, NULL, NULL, NULL, NULL};
      assert_int_equal(cr_render(r, &cam, &P, &out), 0);
    }
    float lo, hi;
    cr_image_minmax(a[0], &lo, &hi);
    assert_true(hi > lo); // a non-trivial image
    assert_memory_equal(a[0]->data, a[1]->data, sizeof(float) * 64 * 48 * ch);
    assert_memory_equal(d[0]->data, d[1]->data, sizeof(float) * 64 * 48);
    for (int t = 0; t < 2; t++) cr_image_free(a[t]), cr_image_free(d[t]);
    cr_renderer_free(r);
  }
  omp_set_num_threads(2);
  cr_volume_free(v);
}

// A fork (cr_renderer_fork) and its parent render at the same time on two threads, each
// through two cameras in the other's order (their camera caches are their own): every
// image is the parent's render made alone. The mesh raster has no fork: a clear error.
static void test_fork_renders_alike(void **state) {
  (void)state;
  cr_volume *v = cr_test_small_phantom("LPI", 10);
  assert_non_null(v);
  cr_camera cams[2] = {cr_camera_from_fov(64, 48, 55), cr_camera_from_fov(40, 30, 40)};
  cams[0].dist[0] = 0.1;
  cr_pose P = look(-80, -170, 60, 0, 0, 0);
  int forked = 0;
  for (int m = 0; m < cr_render_mode_count(); m++) {
    const cr_render_mode_type *mode = cr_render_mode_at(m);
    cr_render_options p = cr_render_defaults(mode);
    cr_renderer *r, *f;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    if (!(f = cr_renderer_fork(r))) {
      assert_int_equal(cr_last_status(), CR_EINVAL);
      assert_non_null(strstr(cr_last_error(), "has no fork"));
      assert_string_equal(mode->name, "mesh");
      cr_renderer_free(r);
      continue;
    }
    forked++;
    const int ch = mode->outputs & CR_RENDER_OUT_COLOUR ? 3 : 1;
    cr_image *ref[2], *img[2][2];
    for (int c = 0; c < 2; c++) {
      ref[c] = cr_image_new(cams[c].width, cams[c].height, ch);
      cr_render_out out = {ref[c], NULL, NULL, NULL, NULL, NULL, NULL};
      assert_int_equal(cr_render(r, &cams[c], &P, &out), 0);
      for (int t = 0; t < 2; t++) img[t][c] = cr_image_new(cams[c].width, cams[c].height, ch);
    }
    int rc[2] = {0, 0};
#pragma omp parallel num_threads(2)
    {
      const int t = omp_get_thread_num();
      for (int k = 0; k < 2 && t < 2; k++) {
        const int c = t ? 1 - k : k;
        cr_render_out out = {img[t][c], NULL, NULL, NULL, NULL, NULL, NULL};
        rc[t] |= cr_render(t ? f : r, &cams[c], &P, &out);
      }
    }
    assert_int_equal(rc[0] | rc[1], 0);
    float lo, hi;
    cr_image_minmax(ref[0], &lo, &hi);
    assert_true(hi > lo); // a non-trivial image
    for (int c = 0; c < 2; c++) {
      const size_t bytes = sizeof(float) * (size_t)cams[c].width * cams[c].height * ch;
      for (int t = 0; t < 2; t++) assert_memory_equal(ref[c]->data, img[t][c]->data, bytes);
      cr_image_free(ref[c]), cr_image_free(img[0][c]), cr_image_free(img[1][c]);
    }
    assert_true(cr_renderer_options(f)->iso == cr_renderer_options(r)->iso ||
                (isnan(cr_renderer_options(f)->iso) && isnan(cr_renderer_options(r)->iso)));
    cr_renderer_free(f);
    cr_renderer_free(r);
  }
  assert_int_equal(forked, 5); // drr, mip, volume, surface, probe
  cr_volume_free(v);
}

// A one-voxel-thick slab seen face on: the DRR is value * thickness / cos(angle), the
// surface is hit on its face.
static void test_single_slice_volume(void **state) {
  (void)state;
  const double sp[3] = {1, 1, 2};
  const int flip[3] = {0, 0, 0};
  cr_volume *v = grid(20, 20, 1, sp, flip);
  for (size_t i = 0; i < cr_volume_count(v); i++) v->data[i] = 4.0f;
  cr_camera cam = cr_camera_from_fov(9, 9, 10);
  cr_pose P = look(0, 0.001, 100, 0, 0, 0);
  cr_image *img = cr_image_new(9, 9, 1), *depth = cr_image_new(9, 9, 1);
  for (int m = 0; m < 2; m++) {
    const cr_render_mode_type *mode = m ? &cr_render_mode_surface : &cr_render_mode_drr;
    cr_render_out out = {img, m ? depth : NULL, NULL, NULL, NULL, NULL, NULL};
    cr_render_options p = cr_render_defaults(mode);
    p.iso = 2;
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
    assert_int_equal(cr_render(r, &cam, &P, &out), 0);
    double C[3], d[3], zpm;
    world_ray(&cam, &P, 4, 4, C, d, &zpm);
    if (mode == &cr_render_mode_drr)
      assert_near(cr_image_px(img, 4, 4)[0], 4.0 * 2.0 / fabs(d[2]), 1e-3);
    else
      assert_near(cr_image_px(depth, 4, 4)[0], 99.0, 1e-3); // face at z = +1
    cr_renderer_free(r);
  }
  cr_image_free(img);
  cr_image_free(depth);
  cr_volume_free(v);
}

static void test_bad_input(void **state) {
  (void)state;
  const double sp[3] = {1, 1, 1};
  const int flip[3] = {0, 0, 0};
  cr_volume *v = grid(8, 8, 8, sp, flip);
  cr_render_options p = cr_render_defaults(&cr_render_mode_drr);
  p.windowed = 1, p.window_lo = 5, p.window_hi = 1;
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), CR_EINVAL);
  assert_null(r);
  p = cr_render_defaults(&cr_render_mode_drr);
  assert_int_equal(cr_status_of(r = cr_renderer_new(v, NULL, &p)), 0);
  cr_camera cam = cr_camera_from_fov(10, 10, 50);
  cr_pose P = look(0, -50, 0, 0, 0, 0);
  cr_image *wrong = cr_image_new(9, 10, 1);
  cr_render_out out = {wrong, NULL, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(r, &cam, &P, &out), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "9x10"));
  cam.fx = -1;
  assert_int_equal(cr_render(r, &cam, &P, &out), CR_EINVAL);
  assert_int_equal(cr_render_tf_parse("1:0.5", &p), CR_EINVAL);
  assert_int_equal(cr_render_tf_parse("1:0.5:1,0:0.1:1", &p), CR_EINVAL);
  assert_int_equal(cr_render_tf_parse("1:2:1", &p), CR_EINVAL);
  cr_image_free(wrong);
  cr_renderer_free(r);
  cr_volume_free(v);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_drr_uniform_box),
      cmocka_unit_test(test_drr_smooth_field_vs_core_sampler),
      cmocka_unit_test(test_camera_inside_and_away),
      cmocka_unit_test(test_sphere_surface_depth),
      cmocka_unit_test(test_point_light_on_sphere),
      cmocka_unit_test(test_probe_shell),
      cmocka_unit_test(test_volume_compositing),
      cmocka_unit_test(test_voxel_orders_agree),
      cmocka_unit_test(test_threads_identical),
      cmocka_unit_test(test_fork_renders_alike),
      cmocka_unit_test(test_single_slice_volume),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

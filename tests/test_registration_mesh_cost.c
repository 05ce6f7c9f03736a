// The mesh raster cost on the phantom: its prepared raster looks like the volume
// renderer's surface render; it prefers the true pose of a synthetic photo at every
// pyramid level; it orders poses like the surface render cost; bad input fails clearly.
#include "testutil.h"

#include "core/error.h"
#include "registration/mesh_cost.h"
#include "registration/pyramid.h"
#include "registration/render_cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cr_volume *vol;
static cr_camera cam;
static cr_image *photo, *mask;
static cr_pose truth;

// The "photo": a lit volume surface render with the renderer's default 1 mm field
// smoothing (another renderer than the mesh raster) inside a round opening.
static int setup(void **state) {
  cr_gsl_quiet();
  vol = cr_test_small_phantom("RAS", 0);
  if (!vol) return -1;
  cam = cr_camera_from_fov(128, 128, 30);
  double eye[3] = {10, 20, 230}, target[3] = {10, 20, 50}, up[3] = {0, 1, 0};
  if (cr_pose_look_at(&truth, eye, target, up)) return -1;
  photo = cr_image_new(128, 128, 1), mask = cr_image_new(128, 128, 1);
  cr_render_params sp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *sr = NULL;
  if (cr_renderer_new(&sr, vol, NULL, &sp)) return -1;
  cr_render_out so = {photo, NULL, NULL, NULL, NULL, NULL};
  int rc = cr_render(sr, &cam, &truth, &so);
  cr_renderer_free(sr);
  for (int y = 0; y < 128; y++)
    for (int x = 0; x < 128; x++) *cr_image_px(mask, x, y) = hypot(x - 60, y - 66) < 45;
  return rc;
}
static int teardown(void **state) {
  cr_volume_free(vol);
  cr_image_free(photo), cr_image_free(mask);
  return 0;
}

static cr_reg_mesh_cost_options mesh_opts(void) {
  cr_reg_mesh_cost_options o = cr_reg_mesh_cost_defaults();
  o.metric = cr_metric_ngf, o.levels = 3;
  return o;
}

// Pearson correlation over the pixels finite in both images.
static double correlation(const cr_image *a, const cr_image *b, long *n_out) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double u = *cr_image_px(a, x, y), v = *cr_image_px(b, x, y);
      if (!isfinite(u) || !isfinite(v)) continue;
      sa += u, sb += v, saa += u * u, sbb += v * v, sab += u * v, n++;
    }
  *n_out = (long)n;
  return (sab - sa * sb / n) / sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
}

// The prepared level-0 raster and the prepared surface render (same prep) agree.
static void test_raster_matches_surface_render(void **state) {
  cr_reg_mesh_cost_options mo = mesh_opts();
  cr_reg_render_cost_options ro = cr_reg_render_cost_defaults();
  ro.levels = 3;
  cr_reg_mesh_cost *mc;
  cr_reg_render_cost *rc;
  assert_int_equal(cr_reg_mesh_cost_new(&mc, NULL, vol, &cam, photo, mask, &mo), 0);
  assert_int_equal(cr_reg_render_cost_new(&rc, vol, &cam, photo, mask, &ro), 0);
  const cr_mesh *m = cr_reg_mesh_cost_mesh(mc);
  assert_non_null(m->normal);
  long open = -1;
  assert_int_equal(cr_mesh_edge_check(m, &open, NULL), 0);
  assert_int_equal(open, 0); // closed: back-face culling is safe
  for (int level = 0; level < 3; level++) {
    const cr_image *a, *b;
    long na, nb, n;
    assert_int_equal(cr_reg_mesh_cost_render(mc, level, &truth, &a, &na), 0);
    assert_int_equal(cr_reg_render_cost_render(rc, level, &truth, &b, &nb), 0);
    assert_true(labs(na - nb) <= na / 50 + 2); // the same silhouette within the mask
    double r = correlation(a, b, &n);
    // Against the surface render of a pose 3 mm off (b is overwritten: a copy of a first).
    cr_image *a0 = cr_image_clone(a);
    cr_pose off = truth;
    off.t[0] += 3;
    assert_int_equal(cr_reg_render_cost_render(rc, level, &off, &b, &nb), 0);
    double r_off = correlation(a0, b, &n);
    cr_image_free(a0);
    print_message("level %d: %ld valid pixels, correlation %.4f with the surface render (%.4f 3 mm off)\n",
                  level, na, r, r_off);
    assert_true(r > 0.6);
    assert_true(r > r_off + 0.2);
  }
  cr_reg_mesh_cost_free(mc);
  cr_reg_render_cost_free(rc);
}

static void check_prefers_truth(int coarse_decimate) {
  cr_reg_mesh_cost_options o = mesh_opts();
  o.coarse_decimate = coarse_decimate;
  cr_reg_mesh_cost *c;
  assert_int_equal(cr_reg_mesh_cost_new(&c, NULL, vol, &cam, photo, mask, &o), 0);
  for (int level = 0; level < 3; level++) {
    cr_camera lc = cr_reg_level_camera(&cam, level);
    double at_truth, shifted;
    assert_int_equal(cr_reg_mesh_cost_eval(&lc, level, &truth, c, &at_truth), 0);
    for (int axis = 0; axis < 2; axis++)
      for (int sign = -1; sign <= 1; sign += 2) {
        cr_pose p = truth;
        p.t[axis] += 4 * sign;
        assert_int_equal(cr_reg_mesh_cost_eval(&lc, level, &p, c, &shifted), 0);
        print_message("decimate %d, level %d axis %d %+d mm: cost %.4f at truth, %.4f shifted\n",
                      coarse_decimate, level, axis, 4 * sign, at_truth, shifted);
        assert_true(at_truth < shifted);
      }
  }
  double pivot[3];
  assert_int_equal(cr_reg_mesh_cost_pivot(c, &truth, pivot), 0);
  assert_true(pivot[2] > 20 && pivot[2] < 80); // on the top of the brain
  // Looking away from the head: nothing valid, a wall cost, and the pivot fails.
  cr_pose away = truth;
  for (int i = 0; i < 3; i++) away.R[1][i] = -away.R[1][i], away.R[2][i] = -away.R[2][i];
  away.t[1] = -away.t[1], away.t[2] = -away.t[2];
  long n_valid = -1;
  double wall;
  assert_int_equal(cr_reg_mesh_cost_render(c, 0, &away, NULL, &n_valid), 0);
  assert_int_equal(n_valid, 0);
  assert_int_equal(cr_reg_mesh_cost_eval(&cam, 0, &away, c, &wall), 0);
  assert_true(wall >= 1e10);
  assert_int_equal(cr_reg_mesh_cost_pivot(c, &away, pivot), CR_EEMPTY);
  cr_reg_mesh_cost_free(c);
}

static void test_cost_prefers_truth(void **state) { check_prefers_truth(0); }
static void test_cost_prefers_truth_decimated(void **state) { check_prefers_truth(1); }

// Poses at growing distances from the truth: both costs rank them alike (Kendall tau).
static void test_ordering_matches_render_cost(void **state) {
  cr_reg_mesh_cost_options mo = mesh_opts();
  cr_reg_render_cost_options ro = cr_reg_render_cost_defaults();
  ro.levels = 1, mo.levels = 1;
  cr_reg_mesh_cost *mc;
  cr_reg_render_cost *rc;
  assert_int_equal(cr_reg_mesh_cost_new(&mc, NULL, vol, &cam, photo, mask, &mo), 0);
  assert_int_equal(cr_reg_render_cost_new(&rc, vol, &cam, photo, mask, &ro), 0);
  enum { N = 7 };
  const double shift[N][3] = {{0, 0, 0}, {1, 0, 0}, {0, -2, 0}, {3, 1, 0}, {-4, 3, 0}, {6, -5, 0}, {-9, -7, 0}};
  double cm[N], cr[N];
  for (int i = 0; i < N; i++) {
    cr_pose p = truth;
    for (int k = 0; k < 3; k++) p.t[k] += shift[i][k];
    assert_int_equal(cr_reg_mesh_cost_eval(&cam, 0, &p, mc, &cm[i]), 0);
    assert_int_equal(cr_reg_render_cost_eval(&cam, 0, &p, rc, &cr[i]), 0);
    print_message("shift %+.0f %+.0f mm: mesh cost %.4f, surface cost %.4f\n", shift[i][0], shift[i][1], cm[i], cr[i]);
  }
  int concordant = 0, pairs = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++, pairs++) concordant += (cm[i] < cm[j]) == (cr[i] < cr[j]);
  print_message("%d of %d pairs ordered alike\n", concordant, pairs);
  assert_true(concordant >= pairs - 1);
  for (int i = 1; i < N; i++) assert_true(cm[0] < cm[i]); // the truth is the best for both
  for (int i = 1; i < N; i++) assert_true(cr[0] < cr[i]);
  cr_reg_mesh_cost_free(mc);
  cr_reg_render_cost_free(rc);
}

static void test_bad_input(void **state) {
  cr_reg_mesh_cost_options o = mesh_opts();
  cr_reg_mesh_cost *c = (cr_reg_mesh_cost *)1;
  cr_camera wrong = cr_camera_from_fov(100, 128, 30);
  assert_int_equal(cr_reg_mesh_cost_new(&c, NULL, vol, &wrong, photo, NULL, &o), CR_EINVAL);
  assert_null(c);
  assert_int_equal(cr_reg_mesh_cost_new(&c, NULL, NULL, &cam, photo, NULL, &o), CR_EINVAL);
  assert_null(c);
  cr_image *empty = cr_image_new(128, 128, 1); // zero everywhere
  assert_int_equal(cr_reg_mesh_cost_new(&c, NULL, vol, &cam, photo, empty, &o), CR_EEMPTY);
  assert_null(c);
  cr_image_free(empty);
  // A given mesh without scalars cannot be probe-shaded.
  cr_reg_mesh_build_options bo = cr_reg_mesh_build_defaults();
  bo.probe_depth_mm = 0;
  cr_mesh *m = NULL;
  double iso = 0;
  assert_int_equal(cr_reg_mesh_build(vol, &bo, &m, &iso), 0);
  assert_null(m->scalar);
  assert_near(iso, cr_render_auto_iso(vol), 1e-3);
  o.probe = 1;
  assert_int_equal(cr_reg_mesh_cost_new(&c, m, NULL, &cam, photo, mask, &o), CR_EINVAL);
  assert_null(c);
  // An iso level above every voxel: no surface.
  bo.iso = 1e9;
  cr_mesh *none = (cr_mesh *)1;
  assert_int_equal(cr_reg_mesh_build(vol, &bo, &none, NULL), CR_EEMPTY);
  assert_null(none);
  // Probe shading with a built mesh works and differs from the headlight shading.
  assert_int_equal(cr_reg_mesh_cost_new(&c, NULL, vol, &cam, photo, mask, &o), 0);
  assert_non_null(cr_reg_mesh_cost_mesh(c)->scalar);
  const cr_image *img;
  long n;
  assert_int_equal(cr_reg_mesh_cost_render(c, 0, &truth, &img, &n), 0);
  assert_true(n > 1000);
  cr_reg_mesh_cost_free(c);
  cr_reg_mesh_cost_free(NULL);
  cr_mesh_free(m);
}

// Distance (mm) between the images of world point X under two poses, in the camera frame.
static double point_error(const cr_pose *a, const cr_pose *b, const double X[3]) {
  double xa[3], xb[3];
  cr_pose_apply(a, X, xa), cr_pose_apply(b, X, xb);
  return sqrt(pow(xa[0] - xb[0], 2) + pow(xa[1] - xb[1], 2) + pow(xa[2] - xb[2], 2));
}

// camreg register --mode mesh on a synthetic photo: runs, writes the pose and report,
// and moves towards the truth; a level without surface fails without output.
static void test_cli_register_mesh(void **state) {
  char vp[4096], cp[4096], tp[4096], sp[4096], out[4096], rep[4096], run[20000];
  snprintf(vp, sizeof vp, "%s", cr_test_path("ph.nii.gz"));
  snprintf(cp, sizeof cp, "%s", cr_test_path("cam.yml"));
  snprintf(tp, sizeof tp, "%s", cr_test_path("truth.txt"));
  snprintf(sp, sizeof sp, "%s", cr_test_path("start.txt"));
  snprintf(out, sizeof out, "%s", cr_test_path("pose.txt"));
  snprintf(rep, sizeof rep, "%s", cr_test_path("report.json"));
  cr_camera c = cr_camera_from_fov(128, 96, 30);
  cr_pose start = truth;
  start.t[0] += 1.5, start.t[1] -= 1.0;
  assert_int_equal(cr_volume_save(vp, vol), 0);
  assert_int_equal(cr_camera_write(cp, &c), 0);
  assert_int_equal(cr_pose_write(tp, &truth, NULL), 0);
  assert_int_equal(cr_pose_write(sp, &start, NULL), 0);
  const char *exe = cr_test_camreg(), *q = ">/dev/null 2>&1";
  assert_int_equal(cr_test_system("%s synth --volume %s --camera %s --pose %s -o %s --mask %s %s", exe, vp, cp, tp,
                                  cr_test_path("photo.png"), cr_test_path("mask.png"), q), 0);
  snprintf(run, sizeof run, "%s register -v %s -c %s -p %s --mask %s --init %s --levels 2 --max-evals 60", exe, vp,
           cp, cr_test_path("photo.png"), cr_test_path("mask.png"), sp);
  assert_int_equal(cr_test_system("%s --mode mesh -o %s --report %s %s", run, out, rep, q), 0);
  cr_pose final;
  assert_int_equal(cr_pose_read(out, &final), 0);
  double X[3] = {10, 20, 45}, e0 = point_error(&start, &truth, X), e1 = point_error(&final, &truth, X);
  print_message("register --mode mesh: error at (10, 20, 45) %.2f mm -> %.2f mm\n", e0, e1);
  assert_true(e1 < e0);
  assert_int_equal(cr_test_system("grep -q '\"mode\":[[:space:]]*\"mesh\"' %s", rep), 0);
  remove(out);
  assert_int_equal(cr_test_system("%s --mode mesh --iso 1e9 -o %s %s", run, out, q), 1);
  assert_int_equal(cr_test_system("%s --mode meshy -o %s %s", run, out, q), 2);
  assert_int_equal(cr_test_system("test -e %s", out), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_raster_matches_surface_render),
      cmocka_unit_test(test_cost_prefers_truth),
      cmocka_unit_test(test_cost_prefers_truth_decimated),
      cmocka_unit_test(test_ordering_matches_render_cost),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_cli_register_mesh),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

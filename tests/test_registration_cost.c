// The registration cost over a list of views (registration/cost.h) on the phantom, for
// a ray-cast mode and the mesh raster: half-resolution renders agree with downsampled
// full-resolution ones; the mesh raster looks like the surface render; the cost prefers
// the true pose at every level and orders poses like the surface cost; two identical
// views cost exactly twice one view; two views add their photo consistency; a fork evaluated on
// another thread at the same time gives exactly the parent's values; linearized at a pose,
// the warped renders and cost are close to the rendered ones; bad input fails clearly;
// camreg register --mode mesh runs end to end.
#include "testutil.h"

#include "core/error.h"
#include "core/imgproc.h"
#include "registration/cost.h"
#include "registration/pyramid.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cr_volume *vol;
static cr_camera cam;
static cr_image *photo, *mask;
static cr_pose truth;

// The "photo": a lit volume surface render with the renderer's default 1 mm field
// smoothing (another appearance than the probe and mesh renders the costs use) inside a
// round opening.
static int setup(void **state) {
  cr_gsl_quiet();
  vol = cr_test_small_phantom("RAS", 0);
  if (!vol) return -1;
  cam = cr_camera_from_fov(128, 128, 30);
  double eye[3] = {10, 20, 230}, target[3] = {10, 20, 50}, up[3] = {0, 1, 0};
  if (cr_pose_look_at(&truth, eye, target, up)) return -1;
  photo = cr_image_new(128, 128, 1), mask = cr_image_new(128, 128, 1);
  cr_render_options sp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *sr = NULL;
  if (cr_status_of(sr = cr_renderer_new(vol, NULL, &sp))) return -1;
  cr_render_out so;
  memset(&so, 0, sizeof so);
  so.image = photo;
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

// A method of `mode` with `levels` levels and NGF (MI for the probe: its render has
// another polarity than the photo).
static cr_reg_method method_of(const char *mode, int levels) {
  cr_reg_method m = cr_reg_method_defaults();
  assert_int_equal(cr_reg_method_set(&m, "mode", mode), 0);
  m.levels = levels;
  if (!strcmp(mode, "probe")) m.metric = cr_metric_mi;
  return m;
}

static cr_reg_cost *cost_of(const char *mode, int levels) {
  cr_reg_method m = method_of(mode, levels);
  cr_reg_view v = cr_reg_view_mono(&cam, photo, mask);
  cr_reg_cost *c = NULL;
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &v, 1)), 0);
  return c;
}

// Pearson correlation and intensity-centroid distance (px) of two 1-channel images.
static void compare(const cr_image *a, const cr_image *b, double *corr, double *centroid_px) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0, ca[3] = {0}, cb[3] = {0};
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double u = *cr_image_px(a, x, y), v = *cr_image_px(b, x, y);
      sa += u, sb += v, saa += u * u, sbb += v * v, sab += u * v, n++;
      ca[0] += u * x, ca[1] += u * y, ca[2] += u, cb[0] += v * x, cb[1] += v * y, cb[2] += v;
    }
  *corr = (sab - sa * sb / n) / sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
  *centroid_px = hypot(ca[0] / ca[2] - cb[0] / cb[2], ca[1] / ca[2] - cb[1] / cb[2]);
}

// A render at half the camera's resolution (principal point rescaled about pixel
// centres) is the area-downsampled full-resolution render.
static void test_half_resolution_render(void **state) {
  cr_camera c = cr_camera_from_fov(160, 120, 40);
  c.cx += 2.7;
  const cr_render_mode_type *modes[2] = {&cr_render_mode_surface, &cr_render_mode_probe};
  for (int mode = 0; mode < 2; mode++) {
    cr_render_options p = cr_render_defaults(modes[mode]);
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), 0);
    cr_camera half = cr_camera_scaled(&c, 0.5);
    cr_image *full = cr_image_new(c.width, c.height, 1),
             *hr = cr_image_new(half.width, half.height, 1);
    cr_render_out of, oh;
    memset(&of, 0, sizeof of), memset(&oh, 0, sizeof oh);
    of.image = full, oh.image = hr;
    assert_int_equal(cr_render(r, &c, &truth, &of), 0);
    assert_int_equal(cr_render(r, &half, &truth, &oh), 0);
    cr_image *down = cr_image_resize_area(full, half.width, half.height);
    double corr, dc;
    compare(down, hr, &corr, &dc);
    // The same render with the principal point not rescaled (c' = c / 2) is off by 0.25 px.
    print_message("%s: correlation %.4f, centroid offset %.4f px\n", modes[mode]->name, corr, dc);
    assert_true(corr > 0.97);
    assert_true(dc < 0.1);
    cr_image_free(full), cr_image_free(hr), cr_image_free(down);
    cr_renderer_free(r);
  }
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

// The prepared mesh raster and the prepared surface render (same preparation) agree
// at every level.
static void test_raster_matches_surface_render(void **state) {
  cr_reg_cost *mc = cost_of("mesh", 3), *rc = cost_of("surface", 3);
  for (int level = 0; level < 3; level++) {
    const cr_image *a, *b;
    long na, nb, n;
    assert_int_equal(cr_reg_cost_render(mc, 0, level, &truth, &a, &na), 0);
    assert_int_equal(cr_reg_cost_render(rc, 0, level, &truth, &b, &nb), 0);
    assert_true(labs(na - nb) <= na / 50 + 2); // the same silhouette within the mask
    double r = correlation(a, b, &n);
    // Against the surface render of a pose 3 mm off (b is overwritten: a copy of a first).
    cr_image *a0 = cr_image_clone(a);
    cr_pose off = truth;
    off.t[0] += 3;
    assert_int_equal(cr_reg_cost_render(rc, 0, level, &off, &b, &nb), 0);
    double r_off = correlation(a0, b, &n);
    cr_image_free(a0);
    print_message(
        "level %d: %ld valid pixels, correlation %.4f with the surface render (%.4f 3 mm off)\n",
        level, na, r, r_off);
    assert_true(r > 0.6);
    assert_true(r > r_off + 0.2);
  }
  cr_reg_cost_free(mc);
  cr_reg_cost_free(rc);
}

static void check_prefers_truth(const char *mode) {
  cr_reg_cost *c = cost_of(mode, 3);
  for (int level = 0; level < 3; level++) {
    double at_truth, shifted;
    assert_int_equal(cr_reg_cost_eval(level, &truth, c, &at_truth), 0);
    for (int axis = 0; axis < 2; axis++)
      for (int sign = -1; sign <= 1; sign += 2) {
        cr_pose p = truth;
        p.t[axis] += 4 * sign;
        assert_int_equal(cr_reg_cost_eval(level, &p, c, &shifted), 0);
        print_message("%s, level %d axis %d %+d mm: cost %.4f at truth, %.4f shifted\n", mode,
                      level, axis, 4 * sign, at_truth, shifted);
        assert_true(at_truth < shifted);
      }
  }
  double pivot[3];
  assert_int_equal(cr_reg_cost_pivot(c, &truth, pivot), 0);
  assert_true(pivot[2] > 20 && pivot[2] < 80); // on the top of the brain
  // Looking away from the head: nothing valid, a wall cost, and the pivot fails.
  cr_pose away = truth;
  for (int i = 0; i < 3; i++) away.R[1][i] = -away.R[1][i], away.R[2][i] = -away.R[2][i];
  away.t[1] = -away.t[1], away.t[2] = -away.t[2];
  long n_valid = -1;
  double wall;
  assert_int_equal(cr_reg_cost_render(c, 0, 0, &away, NULL, &n_valid), 0);
  assert_int_equal(n_valid, 0);
  assert_int_equal(cr_reg_cost_eval(0, &away, c, &wall), 0);
  assert_true(wall >= 1e10);
  // A pose the renderer refuses (NaN, 1e12 mm away: cr_pose_check) is a wall too, not an
  // error that would end a search whose step went astray.
  cr_pose lost = truth;
  lost.t[0] = NAN;
  wall = 0;
  assert_int_equal(cr_reg_cost_eval(0, &lost, c, &wall), 0);
  assert_true(wall >= 1e10);
  lost = truth, lost.t[2] = 1e12, wall = 0;
  assert_int_equal(cr_reg_cost_eval(0, &lost, c, &wall), 0);
  assert_true(wall >= 1e10);
  assert_int_equal(cr_reg_cost_pivot(c, &away, pivot), CR_EEMPTY);
  cr_reg_cost_free(c);
}

static void test_cost_prefers_truth_mesh(void **state) {
  check_prefers_truth("mesh");
}
static void test_cost_prefers_truth_probe(void **state) {
  check_prefers_truth("probe");
}

// Poses at growing distances from the truth along three in-plane directions: the mesh
// and the surface cost both grow with the distance along each direction, and the truth
// is the best pose for both (poses of equal distance along different directions may
// cost about the same: their order is not a property of either cost).
static void test_ordering_matches_surface_cost(void **state) {
  cr_reg_cost *mc = cost_of("mesh", 1), *rc = cost_of("surface", 1);
  const double dir[3][2] = {{1, 0}, {0.6, -0.8}, {-0.8, -0.6}}, mag[4] = {1, 3, 6, 9};
  double c0m, c0r;
  assert_int_equal(cr_reg_cost_eval(0, &truth, mc, &c0m), 0);
  assert_int_equal(cr_reg_cost_eval(0, &truth, rc, &c0r), 0);
  for (int d = 0; d < 3; d++) {
    double pm = c0m, pr = c0r;
    for (int i = 0; i < 4; i++) {
      cr_pose p = truth;
      p.t[0] += mag[i] * dir[d][0], p.t[1] += mag[i] * dir[d][1];
      double cm, cr;
      assert_int_equal(cr_reg_cost_eval(0, &p, mc, &cm), 0);
      assert_int_equal(cr_reg_cost_eval(0, &p, rc, &cr), 0);
      print_message("direction %d, %.0f mm: mesh cost %.4f, surface cost %.4f\n", d, mag[i], cm,
                    cr);
      assert_true(cm > pm);
      assert_true(cr > pr);
      pm = cm, pr = cr;
    }
  }
  cr_reg_cost_free(mc);
  cr_reg_cost_free(rc);
}

// A two-view cost whose second view is the first (identity transform, same photo and
// mask) costs exactly twice the one-view cost, bit for bit, at every level and pose; a
// second view that is a rigidly moved camera with the pose moved back costs the same as
// the first view.
static void test_two_identical_views(void **state) {
  const char *modes[2] = {"surface", "mesh"};
  for (int k = 0; k < 2; k++) {
    cr_reg_method m = method_of(modes[k], 2);
    m.consistency_weight = 0; // the views alone (the photo consistency: its own test)
    cr_reg_view v[2] = {cr_reg_view_mono(&cam, photo, mask), cr_reg_view_mono(&cam, photo, mask)};
    cr_reg_cost *one, *two;
    assert_int_equal(cr_status_of(one = cr_reg_cost_new(&m, vol, NULL, v, 1)), 0);
    assert_int_equal(cr_status_of(two = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
    assert_int_equal(cr_reg_cost_n_views(two), 2);
    for (int level = 0; level < 2; level++)
      for (int i = 0; i < 4; i++) {
        cr_pose p = truth;
        p.t[0] += 1.5 * i, p.t[2] -= 0.7 * i;
        double c1, c2, v0, v1;
        assert_int_equal(cr_reg_cost_eval(level, &p, one, &c1), 0);
        assert_int_equal(cr_reg_cost_eval(level, &p, two, &c2), 0);
        assert_int_equal(cr_reg_cost_eval_view(two, 0, level, &p, &v0), 0);
        assert_int_equal(cr_reg_cost_eval_view(two, 1, level, &p, &v1), 0);
        assert_true(c2 == 2 * c1); // exactly: the same render and metric twice
        assert_true(v0 == c1 && v1 == c1);
      }
    cr_reg_cost_free(one);
    cr_reg_cost_free(two);
  }
  // View 1 is camera 0 moved by T (cam_from_ref = T); at reference pose P it sees the
  // world at T P: the cost of view 1 at P equals the one-view cost at T P.
  cr_reg_method m = method_of("surface", 1);
  m.consistency_weight = 0;
  cr_pose T =
      cr_pose_from_rvec_tvec((const double[3]){0.05, -0.1, 0.02}, (const double[3]){-25, 3, 1});
  cr_reg_view v[2] = {cr_reg_view_mono(&cam, photo, mask), cr_reg_view_mono(&cam, photo, mask)};
  v[1].cam_from_ref = T, v[1].weight = 0.5;
  cr_reg_cost *one, *two;
  assert_int_equal(cr_status_of(one = cr_reg_cost_new(&m, vol, NULL, v, 1)), 0);
  assert_int_equal(cr_status_of(two = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
  cr_pose moved = cr_pose_compose(&T, &truth);
  double c_one, c_view;
  assert_int_equal(cr_reg_cost_eval(0, &moved, one, &c_one), 0);
  assert_int_equal(cr_reg_cost_eval_view(two, 1, 0, &truth, &c_view), 0);
  assert_true(c_view == 0.5 * c_one);
  cr_reg_cost_free(one);
  cr_reg_cost_free(two);
}

// A fork (cr_reg_cost_fork) evaluated on another thread while its parent evaluates gives
// exactly the parent's values: two views, the focus prior, every level; the parent's
// values are those of a cost evaluated alone. The mesh mode has no fork: a clear error.
static void test_fork_gives_the_same_values(void **state) {
  cr_reg_method m = method_of("surface", 2);
  cr_pose T =
      cr_pose_from_rvec_tvec((const double[3]){0.05, -0.1, 0.02}, (const double[3]){-25, 3, 1});
  cr_reg_view v[2] = {cr_reg_view_mono(&cam, photo, mask), cr_reg_view_mono(&cam, photo, mask)};
  v[1].cam_from_ref = T, v[1].weight = 0.5;
  cr_reg_cost *alone, *parent, *fork;
  assert_int_equal(cr_status_of(alone = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
  assert_int_equal(cr_status_of(parent = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
  double d;
  assert_int_equal(cr_reg_cost_focus_distance(parent, &truth, &d), 0);
  assert_int_equal(cr_reg_cost_set_focus(alone, d + 1.5, 2.0), 0);
  assert_int_equal(cr_reg_cost_set_focus(parent, d + 1.5, 2.0), 0);
  assert_int_equal(cr_status_of(fork = cr_reg_cost_fork(parent)), 0);
  enum { N = 8 };
  cr_pose poses[N];
  for (int i = 0; i < N; i++) {
    poses[i] = truth;
    poses[i].t[0] += 1.5 * (i % 4), poses[i].t[2] -= 0.7 * i;
  }
  double ref[2][N], a[2][N], b[2][N];
  for (int level = 0; level < 2; level++)
    for (int i = 0; i < N; i++)
      assert_int_equal(cr_reg_cost_eval(level, &poses[i], alone, &ref[level][i]), 0);
  int rc[2] = {0, 0};
#pragma omp parallel num_threads(2)
  { // each thread its own cost, every pose in another order, at the same time
    const int t = omp_get_thread_num();
    for (int k = 0; k < 2 * N && t < 2; k++) {
      const int level = k / N, i = t ? N - 1 - k % N : k % N;
      rc[t] |=
          cr_reg_cost_eval(level, &poses[i], t ? fork : parent, t ? &b[level][i] : &a[level][i]);
    }
  }
  assert_int_equal(rc[0], 0);
  assert_int_equal(rc[1], 0);
  for (int level = 0; level < 2; level++)
    for (int i = 0; i < N; i++) {
      assert_true(a[level][i] == ref[level][i]);
      assert_true(b[level][i] == ref[level][i]);
    }
  assert_true(ref[0][0] != ref[0][N - 1]); // the poses differ in cost: the check can fail
  cr_reg_cost_free(fork);
  // the parent goes on alone after its fork is freed
  double again;
  assert_int_equal(cr_reg_cost_eval(0, &poses[3], parent, &again), 0);
  assert_true(again == ref[0][3]);
  cr_reg_cost_free(parent);
  cr_reg_cost_free(alone);

  cr_reg_method mm = method_of("mesh", 1);
  cr_reg_cost *mesh;
  assert_int_equal(cr_status_of(mesh = cr_reg_cost_new(&mm, vol, NULL, v, 1)), 0);
  assert_null(cr_reg_cost_fork(mesh));
  assert_int_equal(cr_last_status(), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "mesh mode has no fork"));
  cr_reg_cost_free(mesh);
}

// A photo of the phantom by camera `c` at cam_from_world `p`, lit by a point light at
// `light` (camera frame, mm): with the light fixed in the world, the shading is on the
// surface and two cameras' photos agree point by point.
static cr_image *lit_photo(const cr_camera *c, const cr_pose *p, const double light[3]) {
  cr_image *img = cr_image_new(c->width, c->height, 1);
  cr_render_options sp = cr_render_defaults(&cr_render_mode_surface);
  cr_renderer *sr = NULL;
  assert_int_equal(cr_status_of(sr = cr_renderer_new(vol, NULL, &sp)), 0);
  cr_render_out so;
  memset(&so, 0, sizeof so);
  so.image = img, so.light_at = light;
  assert_int_equal(cr_render(sr, c, p, &so), 0);
  cr_renderer_free(sr);
  return img;
}

// The photo consistency term of two views (registration/consistency.h): the cost is the
// views' metric costs plus weight * the consistency, to the bit (two paths); a stereo pair
// whose photos share the light agrees best at the truth, less 3 mm along the optical axis;
// the term is added at the method's levels, not at the coarser ones of the global stage;
// (the phantom fills a third of the opening: the rest counts as unrelated, ~0.65 at best);
// weight 0, one view, a mode without surface points: no term, and asking for it is a
// clear error.
static void test_photo_consistency(void **state) {
  cr_pose T =
      cr_pose_from_rvec_tvec((const double[3]){0.0, -0.1, 0.0}, (const double[3]){-18, 0, 1});
  const double light0[3] = {0, 0, 0};
  cr_pose truth1 = cr_pose_compose(&T, &truth);
  cr_image *p0 = lit_photo(&cam, &truth, light0), *p1 = lit_photo(&cam, &truth1, T.t);
  cr_reg_view v[2] = {cr_reg_view_mono(&cam, p0, mask), cr_reg_view_mono(&cam, p1, mask)};
  v[1].cam_from_ref = T;
  cr_reg_method m = method_of("surface", 2);
  cr_reg_cost *c;
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
  cr_pose deeper = cr_pose_move_along_axis(&truth, 3.0), aside = truth;
  aside.t[0] += 1.0;
  const cr_pose *poses[3] = {&truth, &deeper, &aside};
  double at[2][3];
  for (int level = 0; level < 2; level++)
    for (int i = 0; i < 3; i++) {
      double sum, v0, v1, pc;
      assert_int_equal(cr_reg_cost_eval(level, poses[i], c, &sum), 0);
      assert_int_equal(cr_reg_cost_eval_view(c, 0, level, poses[i], &v0), 0);
      assert_int_equal(cr_reg_cost_eval_view(c, 1, level, poses[i], &v1), 0);
      assert_int_equal(cr_reg_cost_consistency(c, 1, level, poses[i], &pc), 0);
      assert_true(sum == v0 + v1 + m.consistency_weight * pc);
      at[level][i] = pc;
    }
  print_message("consistency at the truth, 3 mm along the axis, 1 mm aside: level 0 %.4f "
                "%.4f %.4f, level 1 %.4f %.4f %.4f\n",
                at[0][0], at[0][1], at[0][2], at[1][0], at[1][1], at[1][2]);
  for (int level = 0; level < 2; level++) {
    assert_true(at[level][0] < at[level][1]);
    assert_true(at[level][0] < at[level][2]);
  }
  // the weight scales the term
  cr_reg_method m2 = m;
  m2.consistency_weight = 2.5;
  cr_reg_cost *c2;
  assert_int_equal(cr_status_of(c2 = cr_reg_cost_new(&m2, vol, NULL, v, 2)), 0);
  double s1, s2;
  assert_int_equal(cr_reg_cost_eval(0, &deeper, c, &s1), 0);
  assert_int_equal(cr_reg_cost_eval(0, &deeper, c2, &s2), 0);
  assert_near(s2 - s1, 1.5 * at[0][1], 1e-12);
  cr_reg_cost_free(c2);
  // not at the coarser levels the global stage adds to the method's (here 1 level)
  cr_reg_method mg = method_of("surface", 1);
  mg.global = 1;
  cr_reg_cost *cg;
  assert_int_equal(cr_status_of(cg = cr_reg_cost_new(&mg, vol, NULL, v, 2)), 0);
  assert_true(cr_reg_cost_levels(cg) >= 2);
  double gs, g0, g1, gpc;
  assert_int_equal(cr_reg_cost_eval(1, &deeper, cg, &gs), 0);
  assert_int_equal(cr_reg_cost_eval_view(cg, 0, 1, &deeper, &g0), 0);
  assert_int_equal(cr_reg_cost_eval_view(cg, 1, 1, &deeper, &g1), 0);
  assert_int_equal(cr_reg_cost_consistency(cg, 1, 1, &deeper, &gpc), 0); // asked for: given
  assert_true(gs == g0 + g1 && gpc > 0);
  assert_true(gpc == at[1][1]); // the same level 1 as the two-level cost's
  assert_int_equal(cr_reg_cost_eval(0, &deeper, cg, &gs), 0);
  assert_int_equal(cr_reg_cost_eval_view(cg, 0, 0, &deeper, &g0), 0);
  assert_int_equal(cr_reg_cost_eval_view(cg, 1, 0, &deeper, &g1), 0);
  assert_true(gs == g0 + g1 + at[0][1]); // the method's level: with the term
  cr_reg_cost_free(cg);
  double pc;
  assert_int_equal(cr_reg_cost_consistency(c, 0, 0, &truth, &pc), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "view 0 is not paired"));
  cr_reg_cost_free(c);
  // no term: weight 0, one view, the DRR (no surface points)
  const char *mode[3] = {"surface", "surface", "drr"};
  const double weight[3] = {0, 1, 1};
  const int n[3] = {2, 1, 2};
  for (int k = 0; k < 3; k++) {
    cr_reg_method mk = method_of(mode[k], 1);
    mk.consistency_weight = weight[k];
    assert_int_equal(cr_status_of(c = cr_reg_cost_new(&mk, vol, NULL, v, n[k])), 0);
    double sum, v0, v1 = 0;
    assert_int_equal(cr_reg_cost_eval(0, &deeper, c, &sum), 0);
    assert_int_equal(cr_reg_cost_eval_view(c, 0, 0, &deeper, &v0), 0);
    if (n[k] == 2) assert_int_equal(cr_reg_cost_eval_view(c, 1, 0, &deeper, &v1), 0);
    assert_true(sum == v0 + v1);
    assert_int_equal(cr_reg_cost_consistency(c, 1, 0, &truth, &pc), CR_EINVAL);
    assert_non_null(strstr(cr_last_error(), n[k] == 2 ? "photo consistency is off" : "no view 1"));
    cr_reg_cost_free(c);
  }
  cr_image_free(p0), cr_image_free(p1);
}

// Pearson correlation of two renders and their largest difference over the pixels both
// hit (*n of them).
static double render_agreement(const cr_image *a, const cr_image *b, double *max_diff, long *n) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, k = 0;
  *max_diff = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      const double u = *cr_image_px(a, x, y), v = *cr_image_px(b, x, y);
      if (!isfinite(u) || !isfinite(v)) continue;
      sa += u, sb += v, saa += u * u, sbb += v * v, sab += u * v, k++;
      if (fabs(u - v) > *max_diff) *max_diff = fabs(u - v);
    }
  *n = (long)k;
  return (sab - sa * sb / k) / sqrt((saa - sa * sa / k) * (sbb - sb * sb / k));
}

// The cost linearized at a pose (cr_reg_cost_linearize: the renders there warped,
// registration/warp.h) on a stereo pair lit by one light on the rig: at the linearization
// pose it is the cost (the warp of no motion is the render); ~0.5 mm and 0.2 deg away each
// view's warped render is close to the render there (shading recomputed for the moved
// light), far closer than the unmoved render, and so is the cost; only the linearized
// level is warped; ending it gives the rendered cost to the bit; levels the method does
// not run, the DRR and the probe are not linearized (1).
static void test_linearized_cost(void **state) {
  cr_pose T =
      cr_pose_from_rvec_tvec((const double[3]){0.0, -0.1, 0.0}, (const double[3]){-18, 0, 1});
  const double light[3] = {6, -4, 0};
  cr_pose truth1 = cr_pose_compose(&T, &truth);
  double light1[3];
  cr_pose_apply(&T, light, light1);
  cr_image *p0 = lit_photo(&cam, &truth, light), *p1 = lit_photo(&cam, &truth1, light1);
  cr_reg_view v[2] = {cr_reg_view_mono(&cam, p0, mask), cr_reg_view_mono(&cam, p1, mask)};
  v[1].cam_from_ref = T;
  cr_reg_method m = method_of("surface", 2);
  cr_reg_cost *c;
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
  assert_int_equal(cr_reg_cost_set_light(c, light), 0);
  cr_pose moved = cr_pose_compose(
      &(const cr_pose){{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {0.4, -0.2, 0.3}}, &truth);
  {
    const cr_pose turn =
        cr_pose_from_rvec_tvec((const double[3]){0.003, 0.004, 0.0}, (const double[3]){0, 0, 0});
    moved = cr_pose_compose(&turn, &moved);
  }
  double at_truth, at_moved, level1;
  assert_int_equal(cr_reg_cost_eval(0, &truth, c, &at_truth), 0);
  assert_int_equal(cr_reg_cost_eval(0, &moved, c, &at_moved), 0);
  assert_int_equal(cr_reg_cost_eval(1, &moved, c, &level1), 0);
  cr_image *rendered[2], *unmoved[2];
  for (int k = 0; k < 2; k++) {
    const cr_image *img;
    long n;
    for (int j = 0; j < 2; j++) {
      assert_int_equal(cr_reg_cost_render(c, k, 0, j ? &truth : &moved, &img, &n), 0);
      cr_image *copy = cr_image_new(img->width, img->height, 1);
      memcpy(copy->data, img->data, sizeof(float) * img->stride * img->height);
      *(j ? &unmoved[k] : &rendered[k]) = copy;
    }
  }
  assert_int_equal(cr_reg_cost_linearize(0, &truth, c), 0);
  double w_truth, w_moved, w_level1;
  assert_int_equal(cr_reg_cost_eval(0, &truth, c, &w_truth), 0);
  assert_int_equal(cr_reg_cost_eval(0, &moved, c, &w_moved), 0);
  assert_int_equal(cr_reg_cost_eval(1, &moved, c, &w_level1), 0);
  print_message("linearized at the truth: cost there %.6f (rendered %.6f), moved %.6f "
                "(rendered %.6f)\n",
                w_truth, at_truth, w_moved, at_moved);
  assert_near(w_truth, at_truth, 1e-4);
  assert_near(w_moved, at_moved, 0.1 * fabs(at_moved - at_truth));
  assert_true(w_truth < w_moved);
  assert_true(w_level1 == level1); // another level: rendered
  for (int k = 0; k < 2; k++) {
    const cr_image *img;
    long n;
    double worst, worst0;
    long n0;
    assert_int_equal(cr_reg_cost_render(c, k, 0, &moved, &img, &n), 0);
    const double r = render_agreement(img, rendered[k], &worst, &n);
    const double r0 = render_agreement(unmoved[k], rendered[k], &worst0, &n0);
    print_message("view %d, the render 0.5 mm and 0.3 deg away against the warped render %.4f "
                  "(largest difference %.3f), against the unmoved one %.4f (%.3f)\n",
                  k, r, worst, r0, worst0);
    // the phantom's 2.5 mm voxels shade in steps that bilinear resampling smooths: the
    // warped render explains far more than the unmoved one, not all (measured view 0:
    // 0.95 against 0.59)
    assert_true(1 - r < 0.25 * (1 - r0));
    assert_true(n > 2000);
    cr_image_free(rendered[k]), cr_image_free(unmoved[k]);
  }
  assert_int_equal(cr_reg_cost_linearize(0, NULL, c), 0);
  double again;
  assert_int_equal(cr_reg_cost_eval(0, &moved, c, &again), 0);
  assert_true(again == at_moved);
  cr_reg_cost_free(c);
  // not linearized: a level the method does not run (the global stage's), DRR, probe
  cr_reg_method mg = method_of("surface", 1);
  mg.global = 1;
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&mg, vol, NULL, v, 1)), 0);
  assert_true(cr_reg_cost_levels(c) >= 2);
  assert_int_equal(cr_reg_cost_linearize(1, &truth, c), 1);
  assert_int_equal(cr_reg_cost_linearize(0, &truth, c), 0);
  cr_reg_cost_free(c);
  const char *modes[2] = {"drr", "probe"};
  for (int k = 0; k < 2; k++) {
    cr_reg_method mk = method_of(modes[k], 1);
    assert_int_equal(cr_status_of(c = cr_reg_cost_new(&mk, vol, NULL, v, 1)), 0);
    assert_int_equal(cr_reg_cost_linearize(0, &truth, c), 1);
    cr_reg_cost_free(c);
  }
  cr_image_free(p0), cr_image_free(p1);
}

// One point light for every view (cr_reg_cost_set_light): view 1 of a rig, lit by a light
// at the reference camera, costs what one camera at its place costs with the light at
// cam_from_ref * 0 in its own frame; the reference view lit from its own centre costs what
// its headlight gives; the light changes view 1's cost; bad lights fail clearly.
static void test_light_on_the_rig(void **state) {
  cr_reg_method m = method_of("surface", 1);
  cr_pose T =
      cr_pose_from_rvec_tvec((const double[3]){0.02, -0.1, 0.01}, (const double[3]){-25, 3, 1});
  cr_reg_view v[2] = {cr_reg_view_mono(&cam, photo, mask), cr_reg_view_mono(&cam, photo, mask)};
  v[1].cam_from_ref = T;
  cr_reg_cost *two, *one;
  assert_int_equal(cr_status_of(two = cr_reg_cost_new(&m, vol, NULL, v, 2)), 0);
  assert_int_equal(cr_status_of(one = cr_reg_cost_new(&m, vol, NULL, v, 1)), 0);
  cr_pose moved = cr_pose_compose(&T, &truth);
  double head0, head1, lit0, lit1, alone, alone_head;
  assert_int_equal(cr_reg_cost_eval_view(two, 0, 0, &truth, &head0), 0);
  assert_int_equal(cr_reg_cost_eval_view(two, 1, 0, &truth, &head1), 0);
  const double at_ref[3] = {0, 0, 0};
  assert_int_equal(cr_reg_cost_set_light(two, at_ref), 0);
  assert_int_equal(cr_reg_cost_eval_view(two, 0, 0, &truth, &lit0), 0);
  assert_int_equal(cr_reg_cost_eval_view(two, 1, 0, &truth, &lit1), 0);
  assert_int_equal(cr_reg_cost_eval(0, &moved, one, &alone_head), 0);
  assert_true(alone_head == head1);                     // without a light: its own headlight
  assert_int_equal(cr_reg_cost_set_light(one, T.t), 0); // the reference camera, seen from T
  assert_int_equal(cr_reg_cost_eval(0, &moved, one, &alone), 0);
  print_message("view 1: headlight %.6f, light at the reference camera %.6f\n", head1, lit1);
  assert_true(alone == lit1);
  assert_near(lit0, head0, 1e-6); // a light at the camera centre is the headlight
  assert_true(fabs(lit1 - head1) > 1e-4);
  // a fork keeps the light
  cr_reg_cost *f;
  double forked;
  assert_int_equal(cr_status_of(f = cr_reg_cost_fork(two)), 0);
  assert_int_equal(cr_reg_cost_eval_view(f, 1, 0, &truth, &forked), 0);
  assert_true(forked == lit1);
  cr_reg_cost_free(f);
  // back to the headlights
  assert_int_equal(cr_reg_cost_set_light(two, NULL), 0);
  assert_int_equal(cr_reg_cost_eval_view(two, 1, 0, &truth, &lit1), 0);
  assert_true(lit1 == head1);
  const double bad[3] = {0, INFINITY, 0};
  assert_int_equal(cr_reg_cost_set_light(two, bad), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "must be finite"));
  cr_reg_cost_free(two);
  cr_reg_cost_free(one);
  cr_reg_method mm = method_of("probe", 1);
  cr_reg_cost *probe;
  assert_int_equal(cr_status_of(probe = cr_reg_cost_new(&mm, vol, NULL, v, 1)), 0);
  assert_int_equal(cr_reg_cost_set_light(probe, at_ref), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "needs the surface render mode"));
  cr_reg_cost_free(probe);
}

static void test_bad_input(void **state) {
  cr_reg_method m = method_of("mesh", 3);
  cr_reg_cost *c = (cr_reg_cost *)1;
  cr_reg_view v = cr_reg_view_mono(&cam, photo, NULL);
  cr_reg_view wrong = v;
  wrong.camera = cr_camera_from_fov(100, 128, 30);
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &wrong, 1)), CR_EINVAL);
  assert_null(c);
  assert_non_null(strstr(cr_last_error(), "100x128"));
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, NULL, NULL, &v, 1)),
                   CR_EINVAL); // no volume, no mesh
  assert_null(c);
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &v, 0)), CR_EINVAL); // no view
  assert_null(c);
  cr_reg_view bad_weight = v;
  bad_weight.weight = 0;
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &bad_weight, 1)), CR_EINVAL);
  assert_null(c);
  cr_image *empty = cr_image_new(128, 128, 1); // zero everywhere
  cr_reg_view empty_mask = cr_reg_view_mono(&cam, photo, empty);
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &empty_mask, 1)), CR_EEMPTY);
  assert_null(c);
  cr_image_free(empty);
  // An iso level above every voxel: no surface to build a mesh from.
  m.iso = 1e9;
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &v, 1)), CR_EEMPTY);
  assert_null(c);
  // Probe shading of the built mesh works and differs from the headlight shading.
  m = method_of("mesh", 1);
  cr_reg_cost *shaded = cost_of("mesh", 1);
  m.mesh_probe = 1;
  cr_reg_view vm = cr_reg_view_mono(&cam, photo, mask);
  assert_int_equal(cr_status_of(c = cr_reg_cost_new(&m, vol, NULL, &vm, 1)), 0);
  const cr_image *img, *img_shaded;
  long n;
  assert_int_equal(cr_reg_cost_render(c, 0, 0, &truth, &img, &n), 0);
  assert_true(n > 1000);
  assert_int_equal(cr_reg_cost_render(shaded, 0, 0, &truth, &img_shaded, &n), 0);
  double corr = correlation(img, img_shaded, &n);
  print_message("mesh probe vs headlight shading: correlation %.3f over %ld pixels\n", corr, n);
  assert_true(n > 1000 && corr < 0.99);
  cr_reg_cost_free(c);
  cr_reg_cost_free(shaded);
  cr_reg_cost_free(NULL);
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
  assert_int_equal(cr_test_system("%s synth --volume %s --camera %s --pose %s -o %s --mask %s %s",
                                  exe, vp, cp, tp, cr_test_path("photo.png"),
                                  cr_test_path("mask.png"), q),
                   0);
  snprintf(run, sizeof run,
           "%s register -v %s -c %s -p %s --mask %s --init %s --levels 2 --max-evals 60", exe, vp,
           cp, cr_test_path("photo.png"), cr_test_path("mask.png"), sp);
  assert_int_equal(cr_test_system("%s --mode mesh -o %s --report %s %s", run, out, rep, q), 0);
  cr_pose final;
  assert_int_equal(cr_pose_read(out, &final), 0);
  double X[3] = {10, 20, 45}, e0 = point_error(&start, &truth, X),
         e1 = point_error(&final, &truth, X);
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
      cmocka_unit_test(test_half_resolution_render),
      cmocka_unit_test(test_raster_matches_surface_render),
      cmocka_unit_test(test_cost_prefers_truth_mesh),
      cmocka_unit_test(test_cost_prefers_truth_probe),
      cmocka_unit_test(test_ordering_matches_surface_cost),
      cmocka_unit_test(test_two_identical_views),
      cmocka_unit_test(test_fork_gives_the_same_values),
      cmocka_unit_test(test_photo_consistency),
      cmocka_unit_test(test_light_on_the_rig),
      cmocka_unit_test(test_linearized_cost),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_cli_register_mesh),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

// Curved reslicing (render/curved.h): a bright tube along a helix straightens into a
// straight cylinder; frames of a planar curve do not twist; the inverse mapping undoes
// the forward one; slice matrices place every pixel where the volume has its value;
// reslice -> unreslice of Colin27 reproduces it within trilinear interpolation error;
// bad curves are refused.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "core/rng.h"
#include "render/curved.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static const double HR = 20, HC = 30 / (2 * M_PI), TUBE = 3; // helix radius, pitch/2pi, tube

static void helix(double th, double p[3]) {
  p[0] = HR * cos(th), p[1] = HR * sin(th), p[2] = HC * th;
}

// Distance from x to the helix: Newton on the angle from the nearest turn.
static double helix_distance(const double x[3]) {
  double th0 = atan2(x[1], x[0]);
  double best = INFINITY;
  for (int m = -1; m <= 1; m++) {
    double th = th0 + 2 * M_PI * (round((x[2] / HC - th0) / (2 * M_PI)) + m);
    for (int it = 0; it < 20; it++) { // minimize |x - h(th)|^2
      double d1 = HR * x[0] * sin(th) - HR * x[1] * cos(th) + HC * (HC * th - x[2]);
      double d2 = HR * x[0] * cos(th) + HR * x[1] * sin(th) + HC * HC;
      th -= d1 / d2;
    }
    double p[3], d[3];
    helix(th, p);
    cr_vec3_sub(d, x, p);
    best = fmin(best, cr_vec3_norm(d));
  }
  return best;
}

static void test_helix_straightens(void **state) {
  const int N = 72;
  double A[4][4] = {{1, 0, 0, -35.5}, {0, 1, 0, -35.5}, {0, 0, 1, -35.5}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(N, N, N, (const double(*)[4])A);
  for (int k = 0; k < N; k++)
    for (int j = 0; j < N; j++)
      for (int i = 0; i < N; i++) {
        double ijk[3] = {i, j, k}, x[3];
        cr_volume_voxel_to_world(v, ijk, x);
        double rho = hypot(x[0], x[1]);
        if (fabs(rho - HR) > TUBE + 2) continue;
        double d = helix_distance(x); // anti-aliased edge, one voxel wide
        v->data[cr_volume_index(v, i, j, k)] = (float)(1000 * fmin(1, fmax(0, TUBE - d + 0.5)));
      }
  // Control points every 30 degrees over 1.5 turns.
  double pts[3 * 19];
  for (int i = 0; i < 19; i++) helix(-1.5 * M_PI + i * M_PI / 6, pts + 3 * i);
  cr_curve_slices_options o = cr_curve_slices_defaults();
  o.width = o.height = 25, o.spacing_mm = 0.5, o.step_mm = 1;
  cr_curve_slices *s;
  assert_int_equal(cr_curve_slices_build(pts, 19, &o, &s), 0);
  const double L = 3 * M_PI * sqrt(HR * HR + HC * HC);
  print_message("helix: length %.3f mm (analytic %.3f), %d slices\n", s->length_mm, L, s->n);
  assert_near(s->length_mm, L, 0.002 * L);
  cr_volume *st;
  assert_int_equal(cr_curve_reslice(v, s, 0, 0, &st), 0);
  double worst = 0, mass0 = 0, mass_lo = INFINITY, mass_hi = 0;
  for (int k = 0; k < s->n; k++) {
    double m = 0, cu = 0, cv = 0;
    for (int y = 0; y < 25; y++)
      for (int x = 0; x < 25; x++) {
        double val = st->data[cr_volume_index(st, x, y, k)];
        m += val, cu += val * x, cv += val * y;
      }
    assert_true(m > 0);
    double off = hypot(cu / m - 12, cv / m - 12) * o.spacing_mm; // mm = voxels here
    worst = fmax(worst, off);
    if (!mass0) mass0 = m;
    mass_lo = fmin(mass_lo, m), mass_hi = fmax(mass_hi, m);
  }
  print_message("helix tube: worst centre offset %.3f voxel, cross-section %.4f..%.4f of slice 0\n",
                worst, mass_lo / mass0, mass_hi / mass0);
  assert_true(worst <= 0.5);
  assert_true(mass_lo > 0.95 * mass0 && mass_hi < 1.05 * mass0); // a cylinder: same section
  cr_volume_free(st);
  cr_curve_slices_free(s);
  cr_volume_free(v);
}

// A planar curve (a circular arc in z = 5) with up along +z: rotation-minimizing frames
// keep up = +z on every slice (no twist), and slices are step_mm apart along the arc.
static void test_planar_curve_no_twist(void **state) {
  double pts[3 * 9];
  for (int i = 0; i < 9; i++)
    pts[3 * i] = 40 * cos(i * M_PI / 8), pts[3 * i + 1] = 40 * sin(i * M_PI / 8),
            pts[3 * i + 2] = 5;
  cr_curve_slices_options o = cr_curve_slices_defaults();
  o.width = 11, o.height = 7, o.step_mm = 2;
  cr_curve_slices *s;
  assert_int_equal(cr_curve_slices_build(pts, 9, &o, &s), 0);
  assert_near(s->length_mm, 40 * M_PI, 0.002 * 40 * M_PI);
  for (int k = 0; k < s->n; k++) {
    const double(*M)[4] = (const double(*)[4])s->world_from_pixel[k];
    assert_near(M[2][1], -1, 1e-9); // e_v = -up = -z
    assert_near(M[0][1], 0, 1e-9);
    // The slice centre lies on the arc.
    double c[3] = {M[0][3] + 5 * M[0][0] + 3 * M[0][1], M[1][3] + 5 * M[1][0] + 3 * M[1][1],
                   M[2][3] + 5 * M[2][0] + 3 * M[2][1]};
    assert_near(hypot(c[0], c[1]), 40, 0.05);
    assert_near(c[2], 5, 1e-9);
    if (k > 0) { // arc length between neighbouring centres ~ chord for 2 mm steps
      const double(*P)[4] = (const double(*)[4])s->world_from_pixel[k - 1];
      double pc[3] = {P[0][3] + 5 * P[0][0] + 3 * P[0][1], P[1][3] + 5 * P[1][0] + 3 * P[1][1], 5};
      assert_near(hypot(c[0] - pc[0], c[1] - pc[1]), 2 * 40 * sin(1.0 / 40), 0.01);
    }
  }
  cr_curve_slices_free(s);
}

static cr_curve_slices *s_curve(int w, int h) {
  // An S-shaped curve through the middle of Colin27 (world RAS mm).
  double pts[] = {-30, -60, 10, -10, -30, 25, 10, 0, 15, 20, 30, 30, 5, 55, 20};
  cr_curve_slices_options o = cr_curve_slices_defaults();
  o.width = w, o.height = h;
  cr_curve_slices *s;
  assert_int_equal(cr_curve_slices_build(pts, 5, &o, &s), 0);
  return s;
}

static void test_locate_inverts_the_mapping(void **state) {
  cr_curve_slices *s = s_curve(61, 41);
  cr_rng rng = cr_rng_make(7, 0x637572766564); // "curved"
  for (int t = 0; t < 2000; t++) {
    double u = cr_rng_uniform(&rng) * 60, v = cr_rng_uniform(&rng) * 40,
           kk = cr_rng_uniform(&rng) * (s->n - 1.001);
    int k = (int)kk;
    double al = kk - k, x[3], uvk[3];
    for (int a = 0; a < 3; a++) {
      const double(*M0)[4] = (const double(*)[4])s->world_from_pixel[k];
      const double(*M1)[4] = (const double(*)[4])s->world_from_pixel[k + 1];
      x[a] = (1 - al) * (M0[a][0] * u + M0[a][1] * v + M0[a][3]) +
             al * (M1[a][0] * u + M1[a][1] * v + M1[a][3]);
    }
    assert_true(cr_curve_locate(s, x, uvk));
    // Where the slabs of a bend overlap, another (u, v, k) may map to x too: then it must
    // be nearer the curve.
    double r0 = hypot(u - 30, v - 20), r1 = hypot(uvk[0] - 30, uvk[1] - 20);
    if (fabs(uvk[2] - kk) > 1e-6) {
      assert_true(r1 <= r0 + 1e-9);
      continue;
    }
    assert_near(uvk[0], u, 1e-6);
    assert_near(uvk[1], v, 1e-6);
  }
  double far[3] = {500, 0, 0}, uvk[3];
  assert_false(cr_curve_locate(s, far, uvk));
  cr_curve_slices_free(s);
}

static void test_slice_matrices_place_pixels(void **state) {
  cr_volume *v = cr_test_small_phantom("LPI", 10);
  cr_curve_slices *s = s_curve(40, 30);
  cr_volume *st;
  assert_int_equal(cr_curve_reslice(v, s, 0, 0, &st), 0);
  float lo, hi;
  cr_volume_minmax(v, &lo, &hi);
  double worst = 0;
  for (int k = 0; k < s->n; k += 3)
    for (int y = 0; y < 30; y += 7)
      for (int x = 0; x < 40; x += 5) {
        double p[3] = {x, y, 0}, w[3];
        cr_mat4_apply_point(w, (const double(*)[4])s->world_from_pixel[k], p);
        double ref = cr_volume_sample_linear(v, w, 0);
        worst = fmax(worst, fabs(ref - st->data[cr_volume_index(st, x, y, k)]) / (hi - lo));
      }
  assert_true(worst <= 1e-4);
  // The displacement field moves each straightened voxel onto its slice pixel.
  size_t count = cr_volume_count(st);
  float *d = malloc(sizeof(float) * 3 * count);
  assert_int_equal(cr_curve_displacement(s, d), 0);
  for (int k = 0; k < s->n; k += 5) {
    double p[3] = {7, 11, k}, q[3] = {7, 11, 0}, a[3], b[3];
    cr_volume_voxel_to_world(st, p, a);
    cr_mat4_apply_point(b, (const double(*)[4])s->world_from_pixel[k], q);
    size_t i = cr_volume_index(st, 7, 11, k);
    for (int c = 0; c < 3; c++) assert_near(a[c] + d[c * count + i], b[c], 1e-4);
  }
  free(d);
  cr_volume_free(st);
  cr_curve_slices_free(s);
  cr_volume_free(v);
}

static void test_colin27_round_trip(void **state) {
  const char *path = cr_test_dataset("colin27/ch2.nii.gz");
  if (!path) skip();
  cr_volume *v, *st, *back, *shift, *shift_back;
  assert_int_equal(cr_volume_load(path, -1, &v, NULL), 0);
  cr_curve_slices *s = s_curve(100, 100);
  assert_int_equal(cr_curve_reslice(v, s, 0, 0, &st), 0);
  long inside;
  assert_int_equal(cr_curve_unreslice(st, s, v, 0, NAN, &back, &inside), 0);
  // Reference: the same two trilinear resamplings on a grid shifted by half a voxel along
  // every axis and back (their largest smoothing).
  shift = cr_volume_new(v->dim[0], v->dim[1], v->dim[2], (const double(*)[4])v->world_from_voxel);
  shift_back =
      cr_volume_new(v->dim[0], v->dim[1], v->dim[2], (const double(*)[4])v->world_from_voxel);
  for (int k = 0; k < v->dim[2]; k++)
    for (int j = 0; j < v->dim[1]; j++)
      for (int i = 0; i < v->dim[0]; i++)
        shift->data[cr_volume_index(v, i, j, k)] =
            cr_volume_sample_linear_ijk(v, i + 0.5, j + 0.5, k + 0.5, 0);
  for (int k = 0; k < v->dim[2]; k++)
    for (int j = 0; j < v->dim[1]; j++)
      for (int i = 0; i < v->dim[0]; i++)
        shift_back->data[cr_volume_index(v, i, j, k)] =
            cr_volume_sample_linear_ijk(shift, i - 0.5, j - 0.5, k - 0.5, 0);
  double e = 0, eb = 0, range = 254;
  long n = 0;
  for (size_t i = 0; i < cr_volume_count(v); i++) {
    if (isnan(back->data[i])) continue;
    e += (back->data[i] - v->data[i]) * (double)(back->data[i] - v->data[i]);
    eb += (shift_back->data[i] - v->data[i]) * (double)(shift_back->data[i] - v->data[i]);
    n++;
  }
  e = sqrt(e / n), eb = sqrt(eb / n);
  print_message("Colin27 reslice -> unreslice: %ld voxels swept, RMSE %.2f (%.2f %% of range); "
                "half-voxel shift and back: %.2f\n",
                inside, e, 100 * e / range, eb);
  assert_int_equal(n, inside);
  assert_true(inside > 200000);
  assert_true(e <= eb);
  // A label map comes back by nearest neighbour almost everywhere.
  cr_volume *lab =
      cr_volume_new(v->dim[0], v->dim[1], v->dim[2], (const double(*)[4])v->world_from_voxel);
  for (size_t i = 0; i < cr_volume_count(v); i++) lab->data[i] = v->data[i] > 90 ? 2.0f : 1.0f;
  cr_volume *lst, *lback;
  assert_int_equal(cr_curve_reslice(lab, s, 1, 0, &lst), 0);
  assert_int_equal(cr_curve_unreslice(lst, s, lab, 1, 0, &lback, NULL), 0);
  long agree = 0;
  for (size_t i = 0; i < cr_volume_count(v); i++)
    if (lback->data[i] != 0) agree += lback->data[i] == lab->data[i];
  print_message("labels back by nearest neighbour: %.2f %% agree\n", 100.0 * agree / inside);
  assert_true(agree >= 0.95 * inside);
  cr_volume_free(lab), cr_volume_free(lst), cr_volume_free(lback);
  cr_volume_free(shift), cr_volume_free(shift_back);
  cr_volume_free(back), cr_volume_free(st), cr_volume_free(v);
  cr_curve_slices_free(s);
}

// Reslice and unreslice give the same bytes with 1 and 2 threads.
static void test_thread_count_independent(void **state) {
  cr_volume *v = cr_test_small_phantom("RAS", 5);
  cr_curve_slices *s = s_curve(30, 24);
  cr_volume *st[2], *back[2];
  for (int t = 0; t < 2; t++) {
    omp_set_num_threads(t + 1);
    assert_int_equal(cr_curve_reslice(v, s, 0, 0, &st[t]), 0);
    assert_int_equal(cr_curve_unreslice(st[t], s, v, 0, -1, &back[t], NULL), 0);
  }
  omp_set_num_threads(2);
  assert_memory_equal(st[0]->data, st[1]->data, sizeof(float) * cr_volume_count(st[0]));
  assert_memory_equal(back[0]->data, back[1]->data, sizeof(float) * cr_volume_count(back[0]));
  for (int t = 0; t < 2; t++) cr_volume_free(st[t]), cr_volume_free(back[t]);
  cr_curve_slices_free(s);
  cr_volume_free(v);
}

static void test_bad_curves(void **state) {
  cr_curve_slices_options o = cr_curve_slices_defaults();
  cr_curve_slices *s = (cr_curve_slices *)1;
  double one[3] = {1, 2, 3};
  assert_int_equal(cr_curve_slices_build(one, 1, &o, &s), CR_EINVAL);
  assert_null(s);
  assert_non_null(strstr(cr_last_error(), "at least two"));
  double dup[9] = {0, 0, 0, 10, 0, 0, 10, 0, 0};
  assert_int_equal(cr_curve_slices_build(dup, 3, &o, &s), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "zero-length segment"));
  double nan[6] = {0, 0, 0, NAN, 1, 1};
  assert_int_equal(cr_curve_slices_build(nan, 2, &o, &s), CR_EINVAL);
  double two[6] = {0, 0, 0, 0, 0, 10};
  o.spacing_mm = -1;
  assert_int_equal(cr_curve_slices_build(two, 2, &o, &s), CR_EINVAL);
  // A straight line along z with up along z falls back to another up direction.
  o = cr_curve_slices_defaults();
  assert_int_equal(cr_curve_slices_build(two, 2, &o, &s), 0);
  assert_int_equal(s->n, 11);
  assert_near(s->world_from_pixel[0][1][1], -1, 1e-12); // up = A: e_v = -A
  cr_curve_slices_free(s);
  double along_y[6] = {0, 0, 0, 0, 10, 0}; // up A along the tangent: falls back to S
  o.up[0] = 0, o.up[1] = 1, o.up[2] = 0;
  assert_int_equal(cr_curve_slices_build(along_y, 2, &o, &s), 0);
  assert_near(s->world_from_pixel[3][2][1], -1, 1e-12); // e_v = -S
  cr_curve_slices_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_helix_straightens),
      cmocka_unit_test(test_planar_curve_no_twist),
      cmocka_unit_test(test_locate_inverts_the_mapping),
      cmocka_unit_test(test_slice_matrices_place_pixels),
      cmocka_unit_test(test_colin27_round_trip),
      cmocka_unit_test(test_thread_count_independent),
      cmocka_unit_test(test_bad_curves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

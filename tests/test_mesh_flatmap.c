// Flat maps: zero distortion for a plane, the analytic distortion of a hemisphere, the
// conformal map of a disc and of a spherical cap, pieces and strips of ragged patches,
// the local/global (ARAP / hybrid) steps: exact on a disc, trading angle for area on a
// cap, independent of the thread count.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

// The triangles of a patch of nr rings of np vertices around a centre vertex: vertex 0
// is the centre, vertex 1 + (i - 1) * np + j is step j of ring i (1..nr); a fan joins
// the centre to ring 1, two triangles join each ring to the next. The triangles are
// counter-clockwise (normals towards the viewer) seen from the side where the steps run
// counter-clockwise. The caller places the vertices.
static cr_mesh *ring_patch(int nr, int np) {
  cr_mesh *m = cr_mesh_new(1 + nr * np, np + 2 * np * (nr - 1));
  int t = 0;
  for (int j = 0; j < np; j++) {
    int32_t q[3] = {0, 1 + j, 1 + (j + 1) % np};
    memcpy(m->tri + 3 * t++, q, sizeof q);
  }
  for (int i = 1; i < nr; i++)
    for (int j = 0; j < np; j++) {
      int a = 1 + (i - 1) * np + j, b = 1 + (i - 1) * np + (j + 1) % np, c = a + np, d = b + np;
      int32_t q[6] = {a, c, d, a, d, b};
      memcpy(m->tri + 3 * t, q, sizeof q);
      t += 2;
    }
  return m;
}

// Hemisphere z >= 0 of radius r: rings at polar angles i * (pi/2) / nt, outward wound.
static cr_mesh *hemisphere(double r, int nt, int np) {
  cr_mesh *m = ring_patch(nt, np);
  m->xyz[0] = m->xyz[1] = 0, m->xyz[2] = (float)r;
  for (int i = 1; i <= nt; i++)
    for (int j = 0; j < np; j++) {
      double th = i * M_PI / 2 / nt, ph = 2 * M_PI * j / np;
      float *p = m->xyz + 3 * (1 + (i - 1) * np + j);
      p[0] = (float)(r * sin(th) * cos(ph)), p[1] = (float)(r * sin(th) * sin(ph)),
      p[2] = (float)(r * cos(th));
    }
  return m;
}

// A (g+1) x (g+1) vertex grid, two triangles per cell; the caller places the vertices.
static cr_mesh *grid_patch(int g) {
  cr_mesh *m = cr_mesh_new((g + 1) * (g + 1), 2 * g * g);
  for (int j = 0, t = 0; j < g; j++)
    for (int i = 0; i < g; i++, t += 2) {
      int a = j * (g + 1) + i, b = a + 1, c = a + g + 1, d = c + 1;
      int32_t q[6] = {a, b, d, a, d, c};
      memcpy(m->tri + 3 * t, q, sizeof q);
    }
  return m;
}

static cr_pose top_view(void) {
  double eye[3] = {0, 0, 200}, target[3] = {0, 0, 0}, up[3] = {0, 1, 0};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}

static void test_hemisphere_outward(void **state) {
  cr_mesh *m = hemisphere(10, 8, 16);
  long open, flipped;
  assert_int_equal(cr_mesh_edge_check(m, &open, &flipped), 0);
  assert_int_equal(flipped, 0);
  assert_int_equal(open, 16); // the rim
  cr_mesh_compute_normals(m);
  assert_true(m->normal[2] > 0.99); // pole normal points up (out)
  cr_mesh_free(m);
}

// A planar patch (tilted towards the camera, irregular triangles): the planar map of a
// patch facing the camera and the LSCM of any planar patch have no distortion.
static void test_planar_patch_zero_distortion(void **state) {
  int g = 10;
  cr_mesh *m = grid_patch(g);
  for (int j = 0; j <= g; j++)
    for (int i = 0; i <= g; i++) {
      float *p = m->xyz + 3 * (j * (g + 1) + i);
      double x = 3.0 * i + 0.7 * sin(j * 1.3 + i), y = 2.5 * j + 0.6 * cos(i * 2.1);
      p[0] = (float)x, p[1] = (float)y, p[2] = 0;
    }
  double *uv = malloc(sizeof(double) * 2 * m->n_vertices);
  cr_flat_stats st;
  cr_pose pose = top_view();
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_PLANAR, uv, &st), 0);
  assert_near(st.area_scale, 1, 1e-9);
  assert_near(st.area_distortion, 0, 1e-9);
  assert_near(st.angle_distortion, 0, 1e-9);
  // Tilt the patch by 35 degrees: the planar map shrinks it, LSCM does not distort it.
  double rv[3] = {0.61, 0, 0}, R[3][3], M[4][4];
  cr_rotation_from_rvec(R, rv);
  cr_mat4_identity(M);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) M[r][c] = R[r][c];
  assert_int_equal(cr_mesh_transform(m, M), 0);
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_PLANAR, uv, &st), 0);
  assert_near(st.area_scale, cos(0.61), 1e-6);
  assert_true(st.angle_distortion > 0.1);
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_LSCM, uv, &st), 0);
  print_message("planar patch LSCM: area %.2e angle %.2e after %d iterations\n", st.area_distortion,
                st.angle_distortion, st.iterations);
  assert_true(st.converged);
  assert_int_equal(st.n_flipped, 0);
  assert_near(st.area_scale, 1, 1e-6);
  assert_near(st.area_distortion, 0, 1e-6);
  assert_near(st.angle_distortion, 0, 1e-6);
  free(uv);
  cr_mesh_free(m);
}

// Planar projection of a hemisphere along its axis: at polar angle theta the map
// scales radially by cos(theta) and tangentially by 1, so area_scale = 1/2,
// area distortion = int_0^1 |ln(2c)| dc = ln 2 and angle distortion = int_0^1 -ln c dc = 1.
static void test_hemisphere_analytic(void **state) {
  cr_mesh *m = hemisphere(30, 90, 360);
  double *uv = malloc(sizeof(double) * 2 * m->n_vertices);
  cr_flat_stats st;
  cr_pose pose = top_view();
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_PLANAR, uv, &st), 0);
  print_message(
      "hemisphere planar: area scale %.4f (0.5), area %.4f (ln2 = 0.6931), angle %.4f (1)\n",
      st.area_scale, st.area_distortion, st.angle_distortion);
  assert_near(st.area_scale, 0.5, 0.025);
  assert_near(st.area_distortion, log(2.0), 0.05 * log(2.0));
  assert_near(st.angle_distortion, 1.0, 0.05);
  // LSCM: (nearly) conformal, far less angle distortion than the projection.
  cr_mesh *small = hemisphere(30, 24, 96);
  double *uv2 = malloc(sizeof(double) * 2 * small->n_vertices);
  assert_int_equal(cr_mesh_flatten(small, &pose, CR_FLAT_LSCM, uv2, &st), 0);
  print_message("hemisphere LSCM: area scale %.4f, area %.4f, angle %.4f, %d iterations\n",
                st.area_scale, st.area_distortion, st.angle_distortion, st.iterations);
  assert_true(st.converged);
  assert_near(st.area_scale, 1, 1e-6);
  assert_true(st.angle_distortion < 0.1);
  free(uv2);
  cr_mesh_free(small);
  free(uv);
  cr_mesh_free(m);
}

// The flat image has the asked pixel size: a 20 x 10 mm rectangle at 0.5 mm is 41 x 21
// pixels, fully covered, with the scalar (linear in x) interpolated exactly.
static void test_flat_image(void **state) {
  cr_mesh *m = cr_mesh_new(4, 2);
  float xyz[12] = {0, 0, 0, 20, 0, 0, 20, 10, 0, 0, 10, 0};
  int32_t tri[6] = {0, 1, 2, 0, 2, 3};
  memcpy(m->xyz, xyz, sizeof xyz), memcpy(m->tri, tri, sizeof tri);
  cr_mesh_alloc_scalars(m);
  for (int v = 0; v < 4; v++) m->scalar[v] = 3 * m->xyz[3 * v];
  double uv[8], origin[2];
  cr_pose pose = top_view(); // camera x = world x, camera y = -world y
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_PLANAR, uv, NULL), 0);
  cr_image *img = NULL;
  assert_int_equal(cr_mesh_flat_image(m, uv, 0.5, &img, origin), 0);
  assert_int_equal(img->width, 41);
  assert_int_equal(img->height, 21);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      double u = origin[0] + 0.5 * x, v = origin[1] + 0.5 * y;
      double world_x = u - pose.t[0]; // camera x axis = world x here
      (void)v;
      assert_near(cr_image_px(img, x, y)[0], 3 * world_x, 1e-3);
    }
  cr_image_free(img);
  assert_int_equal(cr_mesh_flat_image(m, uv, 0.001, &img, NULL), CR_EINVAL);
  assert_null(img);
  cr_mesh_free(m);
}

// Procrustes residual of uv against reference points ref (2 per vertex): the RMS
// distance after the best similarity (rotation, scale, shift; no mirror), relative to
// the reference's RMS radius.
static double similarity_residual(const double *uv, const double *ref, int n) {
  double cu[2] = {0, 0}, cr[2] = {0, 0};
  for (int i = 0; i < n; i++)
    for (int a = 0; a < 2; a++) cu[a] += uv[2 * i + a] / n, cr[a] += ref[2 * i + a] / n;
  double sxx = 0, dot = 0, cross = 0, rr = 0;
  for (int i = 0; i < n; i++) {
    double ax = uv[2 * i] - cu[0], ay = uv[2 * i + 1] - cu[1];
    double bx = ref[2 * i] - cr[0], by = ref[2 * i + 1] - cr[1];
    sxx += ax * ax + ay * ay, dot += ax * bx + ay * by, cross += ax * by - ay * bx;
    rr += bx * bx + by * by;
  }
  double a = dot / sxx, b = cross / sxx, e = 0; // ref ~ (a + ib) uv
  for (int i = 0; i < n; i++) {
    double ax = uv[2 * i] - cu[0], ay = uv[2 * i + 1] - cu[1];
    double ex = a * ax - b * ay - (ref[2 * i] - cr[0]),
           ey = b * ax + a * ay - (ref[2 * i + 1] - cr[1]);
    e += ex * ex + ey * ey;
  }
  return sqrt(e / rr);
}

// A flat disc of irregular triangles, turned and tilted in space, maps onto itself up to
// a similarity (the conformal map of a planar domain is the identity, whatever its
// boundary), without flips.
static void test_disc_maps_to_itself(void **state) {
  int nr = 12, np = 40;
  cr_mesh *m = ring_patch(nr, np);
  double *ref = malloc(sizeof(double) * 2 * m->n_vertices);
  m->xyz[0] = m->xyz[1] = m->xyz[2] = 0, ref[0] = ref[1] = 0;
  for (int i = 1; i <= nr; i++)
    for (int j = 0; j < np; j++) {
      double ph = 2 * M_PI * (j + 0.3 * (i % 2)) / np, r = 2.0 * i * (1 + 0.15 * sin(3 * ph));
      int v = 1 + (i - 1) * np + j;
      ref[2 * v] = r * cos(ph), ref[2 * v + 1] = r * sin(ph);
      m->xyz[3 * v] = (float)ref[2 * v], m->xyz[3 * v + 1] = (float)ref[2 * v + 1],
                 m->xyz[3 * v + 2] = 0;
    }
  for (int v = 0; v < m->n_vertices; v++)
    ref[2 * v] = m->xyz[3 * v], ref[2 * v + 1] = m->xyz[3 * v + 1];
  double rv[3] = {0.5, -0.3, 1.1}, R[3][3], M[4][4];
  cr_rotation_from_rvec(R, rv);
  cr_mat4_identity(M);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) M[r][c] = R[r][c];
  M[0][3] = 7, M[1][3] = -3, M[2][3] = 20;
  assert_int_equal(cr_mesh_transform(m, M), 0);
  double *uv = malloc(sizeof(double) * 2 * m->n_vertices);
  cr_flat_stats st;
  cr_pose pose = top_view();
  // The map keeps the handedness of the camera's view: mirror the reference if the
  // view (planar projection) mirrors the disc.
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_PLANAR, uv, &st), 0);
  double sa = 0, sb = 0;
  for (int k = 0; k < m->n_triangles; k++) {
    const int32_t *id = m->tri + 3 * k;
    double *u[2] = {uv, ref};
    for (int w = 0; w < 2; w++) {
      const double *x = u[w];
      double a = (x[2 * id[1]] - x[2 * id[0]]) * (x[2 * id[2] + 1] - x[2 * id[0] + 1]) -
                 (x[2 * id[1] + 1] - x[2 * id[0] + 1]) * (x[2 * id[2]] - x[2 * id[0]]);
      *(w ? &sb : &sa) += a;
    }
  }
  if (sa * sb < 0)
    for (int v = 0; v < m->n_vertices; v++) ref[2 * v + 1] = -ref[2 * v + 1];
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_LSCM, uv, &st), 0);
  double res = similarity_residual(uv, ref, m->n_vertices);
  print_message("disc LSCM: similarity residual %.2e, flipped %d, angle %.2e, %d iterations\n", res,
                st.n_flipped, st.angle_distortion, st.iterations);
  assert_true(res < 1e-5);
  assert_int_equal(st.n_flipped, 0);
  assert_near(st.area_scale, 1, 1e-6);
  // ARAP (and the hybrid) of a planar domain: the disc itself up to a rigid motion, at
  // its own size (the area scale is the map's own, not forced: the rescale to the
  // surface area would be a no-op).
  for (int k = 0; k < 2; k++) {
    cr_flat_options o = cr_flat_defaults();
    o.method = CR_FLAT_ARAP, o.arap_lambda = k ? 0.1 : INFINITY;
    assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, uv, &st), 0);
    res = similarity_residual(uv, ref, m->n_vertices);
    print_message("disc %s: residual %.2e, area %.2e angle %.2e, flipped %d, %d steps\n",
                  k ? "hybrid 0.1" : "ARAP", res, st.area_distortion, st.angle_distortion,
                  st.n_flipped, st.arap_iterations);
    assert_true(res < 1e-5);
    assert_int_equal(st.n_flipped, 0);
    assert_true(st.area_distortion < 1e-5 && st.angle_distortion < 1e-5);
    // Rigid: the distance between two far vertices is the surface's.
    int a = 1, b = 1 + (nr - 1) * np + np / 2;
    double d3 = 0;
    for (int c = 0; c < 3; c++) d3 += pow(m->xyz[3 * a + c] - m->xyz[3 * b + c], 2);
    assert_near(hypot(uv[2 * a] - uv[2 * b], uv[2 * a + 1] - uv[2 * b + 1]), sqrt(d3), 1e-4);
  }
  free(uv), free(ref);
  cr_mesh_free(m);
}

// A spherical cap of half-angle 60 degrees: its rotationally symmetric conformal map is
// the stereographic projection, radius proportional to tan(theta / 2). The spectral map
// (no pins to break the symmetry) finds it.
static cr_mesh *cap(double R, double half_angle, int nt, int np) {
  cr_mesh *m = hemisphere(R, nt, np);
  // Squash the hemisphere's rings onto 0..half_angle.
  for (int v = 1; v < m->n_vertices; v++) {
    float *p = m->xyz + 3 * v;
    int i = 1 + (v - 1) / np, j = (v - 1) % np;
    double th = i * half_angle / nt, ph = 2 * M_PI * j / np;
    p[0] = (float)(R * sin(th) * cos(ph)), p[1] = (float)(R * sin(th) * sin(ph)),
    p[2] = (float)(R * cos(th));
  }
  return m;
}

static void test_cap_stereographic(void **state) {
  double R = 40;
  cr_mesh *m = cap(R, M_PI / 3, 40, 160);
  double *uv = malloc(sizeof(double) * 2 * m->n_vertices),
         *ref = malloc(sizeof(double) * 2 * m->n_vertices);
  for (int v = 0; v < m->n_vertices; v++) {
    const float *p = m->xyz + 3 * v;
    double th = acos(fmin(1, p[2] / R)), ph = atan2(p[1], p[0]), r = tan(th / 2);
    ref[2 * v] = r * cos(ph), ref[2 * v + 1] = -r * sin(ph); // the camera's y is -world y
  }
  cr_flat_stats st;
  cr_pose pose = top_view();
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_LSCM, uv, &st), 0);
  double res = similarity_residual(uv, ref, m->n_vertices);
  print_message("cap LSCM: stereographic residual %.2e, angle %.4f, area %.4f, flipped %d\n", res,
                st.angle_distortion, st.area_distortion, st.n_flipped);
  assert_true(res < 2e-3);
  assert_true(st.angle_distortion < 0.01);
  assert_int_equal(st.n_flipped, 0);
  // Planar projection of the same cap is far from conformal.
  cr_flat_stats pl;
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_PLANAR, uv, &pl), 0);
  assert_true(pl.angle_distortion > 10 * st.angle_distortion);
  free(uv), free(ref);
  cr_mesh_free(m);
}

// The 60 degree cap again: the conformal map's scale grows as 1/cos^2(theta/2) from the
// pole to the rim; the hybrid steps (lambda 0.1) and ARAP even it out, each lowering the
// area distortion and raising the angle distortion in that order, without flips. The
// hybrid stays close to conformal. 0 steps or lambda 0 give the conformal map itself.
static void test_cap_hybrid_trades_angle_for_area(void **state) {
  cr_mesh *m = cap(40, M_PI / 3, 20, 80);
  double *uv = malloc(sizeof(double) * 2 * m->n_vertices),
         *uv0 = malloc(sizeof(double) * 2 * m->n_vertices);
  cr_pose pose = top_view();
  cr_flat_stats st[3];
  double lambda[3] = {0, 0.1, INFINITY};
  for (int k = 0; k < 3; k++) {
    cr_flat_options o = cr_flat_defaults();
    o.method = k ? CR_FLAT_ARAP : CR_FLAT_LSCM, o.arap_lambda = lambda[k];
    assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, k ? uv : uv0, &st[k]), 0);
    print_message("cap lambda %g: area %.4f angle %.4f flipped %d, %d steps\n", lambda[k],
                  st[k].area_distortion, st[k].angle_distortion, st[k].n_flipped,
                  st[k].arap_iterations);
    assert_int_equal(st[k].n_flipped, 0);
    if (k) assert_true(st[k].arap_iterations > 0);
  }
  // Conformal scale 1/cos^2(theta/2) varies by 4/3 over the cap (mean |ln| about the
  // total-area scale 0.14): the hybrid lowers it, ARAP halves it. By symmetry the
  // conformal map's rotations are ARAP's: one step reaches the ARAP map.
  assert_true(st[0].area_distortion > 0.1);
  assert_true(st[1].area_distortion < 0.9 * st[0].area_distortion);
  assert_true(st[2].area_distortion < 0.6 * st[1].area_distortion);
  assert_true(st[2].arap_iterations <= 3);
  assert_true(st[0].angle_distortion < st[1].angle_distortion);
  assert_true(st[1].angle_distortion < st[2].angle_distortion);
  assert_true(st[1].angle_distortion < 0.05);
  // No steps: the conformal map, bit for bit.
  for (int k = 0; k < 2; k++) {
    cr_flat_options o = cr_flat_defaults();
    o.method = CR_FLAT_ARAP, o.arap_lambda = k ? 0 : INFINITY, o.arap_iterations = k ? 100 : 0;
    assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, uv, NULL), 0);
    assert_memory_equal(uv, uv0, sizeof(double) * 2 * m->n_vertices);
  }
  // Bad options.
  cr_flat_options o = cr_flat_defaults();
  o.method = CR_FLAT_ARAP, o.arap_lambda = -1;
  assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, uv, NULL), CR_EINVAL);
  o.arap_lambda = NAN;
  assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, uv, NULL), CR_EINVAL);
  free(uv), free(uv0);
  cr_mesh_free(m);
}

// A patch large enough for the parallel local step (> 50000 triangles): the map does
// not depend on the thread count.
static void test_arap_threads(void **state) {
  cr_mesh *m = cap(40, M_PI / 3, 90, 300);
  for (int v = 0; v < m->n_vertices; v++) // break the symmetry: ARAP takes many steps
    m->xyz[3 * v + 2] += (float)(2 * sin(0.2 * m->xyz[3 * v]) * cos(0.15 * m->xyz[3 * v + 1]));
  size_t bytes = sizeof(double) * 2 * m->n_vertices;
  double *uv[2] = {malloc(bytes), malloc(bytes)};
  cr_pose pose = top_view();
  cr_flat_options o = cr_flat_defaults();
  o.method = CR_FLAT_ARAP, o.arap_lambda = 0.1, o.arap_iterations = 5;
  int saved = omp_get_max_threads();
  cr_flat_stats st;
  for (int t = 0; t < 2; t++) {
    omp_set_num_threads(t + 1);
    assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, uv[t], &st), 0);
  }
  omp_set_num_threads(saved);
  assert_true(m->n_triangles > 50000);
  assert_int_equal(st.arap_iterations, 5);
  assert_memory_equal(uv[0], uv[1], bytes);
  free(uv[0]), free(uv[1]);
  cr_mesh_free(m);
}

// A saddle z = k (x^2 - y^2) has more circumference than a disc of its radius: ARAP,
// keeping triangle sizes, has to buckle the rim. No step may fold a triangle: on the
// steepest saddle the first full step would, so steps are shortened (fold stop) and
// still lower the area distortion of the conformal map, without flips.
static void test_saddle_no_fold(void **state) {
  int g = 30;
  for (int kk = 0; kk < 4; kk++) {
    double k = 0.02 * (1 << kk);
    cr_mesh *m = grid_patch(g);
    for (int j = 0; j <= g; j++)
      for (int i = 0; i <= g; i++) {
        float *p = m->xyz + 3 * (j * (g + 1) + i);
        double x = i - g / 2.0, y = j - g / 2.0;
        p[0] = (float)x, p[1] = (float)y, p[2] = (float)(k * (x * x - y * y));
      }
    double *uv = malloc(sizeof(double) * 2 * m->n_vertices);
    cr_pose pose = top_view();
    cr_flat_options o = cr_flat_defaults();
    o.method = CR_FLAT_ARAP;
    cr_flat_stats st;
    assert_int_equal(cr_mesh_flatten_opt(m, &pose, &o, uv, &st), 0);
    print_message("saddle k %.2f: area %.4f angle %.4f flipped %d, %d steps, fold stop %d\n", k,
                  st.area_distortion, st.angle_distortion, st.n_flipped, st.arap_iterations,
                  st.arap_fold_stop);
    assert_int_equal(st.n_flipped, 0);
    if (kk == 3) {
      cr_flat_stats conformal;
      assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_LSCM, uv, &conformal), 0);
      print_message("saddle k %.2f conformal: area %.4f angle %.4f\n", k, conformal.area_distortion,
                    conformal.angle_distortion);
      assert_int_equal(st.arap_fold_stop, 1);
      assert_true(st.arap_iterations > 0);
      assert_true(st.area_distortion < conformal.area_distortion);
    }
    free(uv);
    cr_mesh_free(m);
  }
}

// Two triangles that share only a vertex are two edge-connected pieces: LSCM refuses
// them (each would turn freely about the vertex), and keeping the larger piece works.
static void test_bowtie_pieces(void **state) {
  cr_mesh *m = cr_mesh_new(5, 2);
  float xyz[15] = {0, 0, 0, 10, 0, 0, 0, 10, 0, -3, 0, 0, 0, -3, 0};
  int32_t tri[6] = {0, 1, 2, 0, 3, 4};
  memcpy(m->xyz, xyz, sizeof xyz), memcpy(m->tri, tri, sizeof tri);
  int n = 0;
  int32_t label[2];
  assert_int_equal(cr_mesh_edge_components(m, 0, label, &n), 0);
  assert_int_equal(n, 2);
  assert_true(label[0] != label[1]);
  double uv[10];
  cr_pose pose = top_view();
  assert_int_equal(cr_mesh_flatten(m, &pose, CR_FLAT_LSCM, uv, NULL), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "pieces"));
  assert_int_equal(cr_mesh_keep_largest_edge_component(m, 0, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(m->n_triangles, 1);
  assert_int_equal(m->n_vertices, 3);
  assert_near(m->xyz[3], 10, 0); // the big triangle
  cr_mesh_free(m);
}

// A square grid with a one-triangle-wide strip hanging off it: opening by 2 rings cuts
// the strip and gives back (nearly) the whole square.
static void test_open_patch_cuts_strip(void **state) {
  int g = 12, ls = 10;
  int nv = (g + 1) * (g + 1) + 2 * ls, ntri = 2 * g * g + 2 * ls;
  cr_mesh *m = cr_mesh_new(nv, ntri);
  for (int j = 0; j <= g; j++)
    for (int i = 0; i <= g; i++) {
      float *p = m->xyz + 3 * (j * (g + 1) + i);
      p[0] = (float)i, p[1] = (float)j, p[2] = 0;
    }
  int t = 0;
  for (int j = 0; j < g; j++)
    for (int i = 0; i < g; i++, t += 2) {
      int a = j * (g + 1) + i, b = a + 1, c = a + g + 1, d = c + 1;
      int32_t q[6] = {a, b, d, a, d, c};
      memcpy(m->tri + 3 * t, q, sizeof q);
    }
  // The strip leaves the right edge at y = 6..7 and runs to x = g + ls.
  int prev_lo = 6 * (g + 1) + g, prev_hi = 7 * (g + 1) + g, base = (g + 1) * (g + 1);
  for (int k = 0; k < ls; k++) {
    int lo = base + 2 * k, hi = lo + 1;
    float *p = m->xyz + 3 * lo, *q = m->xyz + 3 * hi;
    p[0] = q[0] = (float)(g + 1 + k), p[1] = 6, q[1] = 7, p[2] = q[2] = 0;
    int32_t tr[6] = {prev_lo, lo, hi, prev_lo, hi, prev_hi};
    memcpy(m->tri + 3 * t, tr, sizeof tr);
    t += 2;
    prev_lo = lo, prev_hi = hi;
  }
  int removed = -1;
  assert_int_equal(cr_mesh_keep_open_patch(m, 2, &removed), 0);
  print_message("opening: %d triangles removed (strip %d)\n", removed, 2 * ls);
  assert_true(removed >= 2 * ls && removed <= 2 * ls + 8);
  for (int v = 0; v < m->n_vertices; v++) assert_true(m->xyz[3 * v] <= g + 1e-6);
  cr_mesh_free(m);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hemisphere_outward),
      cmocka_unit_test(test_planar_patch_zero_distortion),
      cmocka_unit_test(test_hemisphere_analytic),
      cmocka_unit_test(test_flat_image),
      cmocka_unit_test(test_disc_maps_to_itself),
      cmocka_unit_test(test_cap_stereographic),
      cmocka_unit_test(test_cap_hybrid_trades_angle_for_area),
      cmocka_unit_test(test_arap_threads),
      cmocka_unit_test(test_saddle_no_fold),
      cmocka_unit_test(test_bowtie_pieces),
      cmocka_unit_test(test_open_patch_cuts_strip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// The z-buffer rasterizer against analytic ray casts of planes and spheres.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static const double C[3] = {3.2, -4.1, 7.7}, RS = 20.0;

// MC sphere of radius RS on a grid of `h` mm voxels.
static cr_mesh *sphere_mesh_h(double h) {
  int n = (int)ceil(47 / h) + 1;
  cr_volume *v = cr_test_sphere_sdf(C, RS, n, h);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  cr_volume_free(v);
  assert_int_equal(cr_mesh_compute_normals(m), 0);
  return m;
}

static cr_mesh *sphere_mesh(void) {
  return sphere_mesh_h(1.0);
}

static cr_pose view_pose(double dist, double az) {
  double eye[3] = {C[0] + dist * sin(az), C[1] - dist * cos(az), C[2] + 0.3 * dist},
         up[3] = {0, 0, 1};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, C, up), 0);
  return p;
}

// Depth of the analytic sphere along the ray of pixel (u, v), or NAN if missed.
static double sphere_depth(const cr_camera *cam, const cr_pose *pose, double u, double v) {
  double ray[3], c[3];
  cr_camera_pixel_ray(cam, u, v, ray);
  cr_pose_apply(pose, C, c);
  double a = cr_vec3_dot(ray, ray), b = -2 * cr_vec3_dot(ray, c), cc = cr_vec3_dot(c, c) - RS * RS;
  double disc = b * b - 4 * a * cc;
  if (disc < 0) return NAN;
  return (-b - sqrt(disc)) / (2 * a); // z, since ray has z = 1
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Depth against the analytic sphere, with lens distortion; no holes inside.
static void test_sphere_depth_with_distortion(void **state) {
  cr_mesh *m = sphere_mesh();
  cr_camera cam = cr_camera_from_fov(160, 120, 50);
  cam.dist[0] = -0.25, cam.dist[1] = 0.08, cam.dist[2] = 0.002, cam.dist[3] = -0.001;
  cr_pose pose = view_pose(90, 0.4);
  cr_mesh_raster *r = cr_mesh_raster_new(cam.width, cam.height);
  assert_int_equal(cr_mesh_rasterize(r, m, &cam, &pose, NULL), 0);
  double *err = malloc(sizeof(double) * cam.width * cam.height);
  int n = 0, holes = 0;
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) {
      double z = sphere_depth(&cam, &pose, x, y);
      float zr = r->depth[y * cam.width + x];
      // Well inside the silhouette (the ray stays 1 mm inside the sphere's rim).
      int inside = !isnan(z) && !isnan(sphere_depth(&cam, &pose, x + 1.5, y)) &&
                   !isnan(sphere_depth(&cam, &pose, x - 1.5, y)) &&
                   !isnan(sphere_depth(&cam, &pose, x, y + 1.5)) &&
                   !isnan(sphere_depth(&cam, &pose, x, y - 1.5));
      if (inside && !isfinite(zr)) holes++;
      if (inside && isfinite(zr)) err[n++] = fabs(zr - z);
      if (isnan(z) && isnan(sphere_depth(&cam, &pose, x + 2, y)) &&
          isnan(sphere_depth(&cam, &pose, x - 2, y)) &&
          isnan(sphere_depth(&cam, &pose, x, y + 2)) && isnan(sphere_depth(&cam, &pose, x, y - 2)))
        assert_int_equal(r->tri[y * cam.width + x], -1); // clearly outside: background
    }
  qsort(err, n, sizeof *err, cmp_double);
  print_message(
      "sphere depth |error| (mm, 1 mm voxels): median %.4f, p95 %.4f, max %.4f over %d px\n",
      err[n / 2], err[(int)(0.95 * n)], err[n - 1], n);
  assert_true(n > 3000);
  assert_int_equal(holes, 0);
  assert_true(err[n / 2] < 0.05);
  assert_true(err[(int)(0.95 * n)] < 0.15);
  assert_true(err[n - 1] < 0.5);
  free(err);
  cr_mesh_raster_free(r);
  cr_mesh_free(m);
}

// A tessellated tilted plane without distortion: depth and xyz exact (perspective-correct).
static void test_plane_exact(void **state) {
  int g = 12;
  cr_mesh *m = cr_mesh_new((g + 1) * (g + 1), 2 * g * g);
  double o[3] = {-30, -25, 5}, e1[3] = {5.0, 0.5, 1.5}, e2[3] = {-0.8, 4.5, 2.0};
  for (int j = 0; j <= g; j++)
    for (int i = 0; i <= g; i++)
      for (int a = 0; a < 3; a++)
        m->xyz[3 * (j * (g + 1) + i) + a] = (float)(o[a] + i * e1[a] + j * e2[a]);
  for (int j = 0, t = 0; j < g; j++)
    for (int i = 0; i < g; i++, t += 2) {
      int a = j * (g + 1) + i, b = a + 1, c = a + g + 1, d = c + 1;
      int32_t q[6] = {a, b, d, a, d, c};
      memcpy(m->tri + 3 * t, q, sizeof q);
    }
  assert_int_equal(cr_mesh_alloc_scalars(m), 0);
  for (int v = 0; v < m->n_vertices; v++) m->scalar[v] = m->xyz[3 * v] * 2 + 1; // linear in x
  cr_camera cam = cr_camera_from_fov(120, 100, 60);
  double eye[3] = {10, 5, 120}, target[3] = {0, 0, 30}, up[3] = {0, 1, 0};
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, target, up), 0);
  cr_mesh_raster *r = cr_mesh_raster_new(cam.width, cam.height);
  cr_mesh_raster_options opts = cr_mesh_raster_defaults();
  opts.cull_backfaces = 0;
  assert_int_equal(cr_mesh_rasterize(r, m, &cam, &pose, &opts), 0);
  cr_image *depth = cr_image_new(cam.width, cam.height, 1),
           *xyz = cr_image_new(cam.width, cam.height, 3),
           *attr = cr_image_new(cam.width, cam.height, 1);
  assert_int_equal(cr_mesh_raster_resolve(r, m, &pose, NULL, depth, xyz, attr), 0);
  double n[3], nc[3], p0c[3];
  cr_vec3_cross(n, e1, e2);
  cr_mat3_apply(nc, pose.R, n);
  cr_pose_apply(&pose, o, p0c);
  int covered = 0;
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) {
      float z = cr_image_px(depth, x, y)[0];
      if (isnan(z)) continue;
      covered++;
      double ray[3];
      cr_camera_pixel_ray(&cam, x, y, ray);
      double zt = cr_vec3_dot(nc, p0c) / cr_vec3_dot(nc, ray);
      assert_near(z, zt, 1e-4 * zt);
      double pc[3] = {ray[0] * zt, ray[1] * zt, zt}, d[3], w[3];
      cr_vec3_sub(d, pc, pose.t);
      cr_mat3_apply_transpose(w, pose.R, d);
      for (int a = 0; a < 3; a++) assert_near(cr_image_px(xyz, x, y)[a], w[a], 2e-3);
      assert_near(cr_image_px(attr, x, y)[0], 2 * w[0] + 1, 5e-3);
    }
  assert_true(covered > 1000);
  cr_image_free(depth), cr_image_free(xyz), cr_image_free(attr);
  cr_mesh_raster_free(r);
  cr_mesh_free(m);
}

// Same buffers for 1, 2 and 3 threads; culling does not change a closed mesh's image.
static void test_deterministic_and_culling(void **state) {
  cr_mesh *m = sphere_mesh_h(0.5); // enough triangles for 3 threads (8192 each)
  assert_true(m->n_triangles > 3 * 8192);
  cr_camera cam = cr_camera_from_fov(97, 83, 45);
  cr_pose pose = view_pose(80, 1.1);
  cr_mesh_raster *r[3];
  for (int k = 0; k < 3; k++) {
    omp_set_num_threads(k + 1);
    r[k] = cr_mesh_raster_new(cam.width, cam.height);
    assert_int_equal(cr_mesh_rasterize(r[k], m, &cam, &pose, NULL), 0);
  }
  size_t n = (size_t)cam.width * cam.height;
  for (int k = 1; k < 3; k++) {
    assert_memory_equal(r[0]->depth, r[k]->depth, n * sizeof(float));
    assert_memory_equal(r[0]->tri, r[k]->tri, n * sizeof(int32_t));
  }
  cr_mesh_raster_options o = cr_mesh_raster_defaults();
  o.cull_backfaces = 0;
  assert_int_equal(cr_mesh_rasterize(r[1], m, &cam, &pose, &o), 0);
  assert_memory_equal(r[0]->depth, r[1]->depth, n * sizeof(float));
  omp_set_num_threads(2);
  // Shading: the pixel at the sphere's centre sees it head-on.
  cr_image *shade = cr_image_new(cam.width, cam.height, 1);
  assert_int_equal(cr_mesh_raster_resolve(r[0], m, &pose, shade, NULL, NULL, NULL), 0);
  double cc[3], uv[2];
  cr_pose_apply(&pose, C, cc);
  assert_int_equal(cr_camera_project(&cam, cc, uv), 0);
  assert_true(cr_image_px(shade, (int)lround(uv[0]), (int)lround(uv[1]))[0] > 0.98);
  assert_int_equal(cr_image_px(shade, 0, 0)[0], 0);
  cr_image_free(shade);
  for (int k = 0; k < 3; k++) cr_mesh_raster_free(r[k]);
  cr_mesh_free(m);
}

// The AVX2 kernel against the scalar path: bit-identical rasters over views that mix
// sub-pixel and large triangles, lens distortion, a near plane cutting the mesh, a
// mesh partly off the image and both culling modes. Skipped on CPUs without AVX2.
static void test_simd_matches_scalar(void **state) {
  if (!cr_mesh_raster_set_simd(1)) skip();
  cr_mesh *m = sphere_mesh_h(0.5);
  struct {
    int w, h, cull;
    double dist, az, near, k1, p1, shift;
  } views[] = {
      {256, 256, 1, 400, 0.3, 1, -0.1, 0, 0},     // triangles below a pixel
      {97, 83, 0, 400, 1.9, 1, 0.05, 0.01, 0},    // odd size, no cull
      {200, 150, 1, 60, 2.5, 1, -0.3, -0.005, 0}, // close: several pixels per triangle
      {128, 96, 0, 30, 4.0, 15, 0, 0, 0},         // near plane through the sphere
      {160, 120, 1, 150, 5.1, 1, 0.1, 0, 70},     // sphere half off the image
  };
  for (size_t k = 0; k < sizeof views / sizeof views[0]; k++) {
    cr_camera cam = cr_camera_from_fov(views[k].w, views[k].h, 40);
    cam.dist[0] = views[k].k1, cam.dist[2] = views[k].p1, cam.cx += views[k].shift;
    cr_pose pose = view_pose(views[k].dist, views[k].az);
    cr_mesh_raster_options o = cr_mesh_raster_defaults();
    o.cull_backfaces = views[k].cull, o.near_mm = views[k].near;
    cr_mesh_raster *r[2];
    for (int simd = 0; simd < 2; simd++) {
      cr_mesh_raster_set_simd(simd);
      r[simd] = cr_mesh_raster_new(cam.width, cam.height);
      assert_int_equal(cr_mesh_rasterize(r[simd], m, &cam, &pose, &o), 0);
    }
    size_t n = (size_t)cam.width * cam.height, covered = 0;
    assert_memory_equal(r[0]->depth, r[1]->depth, n * sizeof(float));
    assert_memory_equal(r[0]->tri, r[1]->tri, n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
      if (r[0]->tri[i] < 0) continue;
      covered++;
      assert_memory_equal(r[0]->bary + 2 * i, r[1]->bary + 2 * i, 2 * sizeof(float));
    }
    assert_true(covered > 100);
    // The vertex positions the raster used, against the double-precision projection.
    for (int v = 0; v < m->n_vertices; v += 97) {
      float uvz[2][3];
      double w[3] = {m->xyz[3 * v], m->xyz[3 * v + 1], m->xyz[3 * v + 2]}, pc[3], uv[2];
      for (int s = 0; s < 2; s++) cr_mesh_raster_vertex(r[s], v, uvz[s]);
      assert_memory_equal(uvz[0], uvz[1], sizeof uvz[0]);
      cr_pose_apply(&pose, w, pc);
      if (fabs(pc[2] - o.near_mm) < 1e-3) continue; // float and double may disagree
      if (pc[2] < o.near_mm) {
        assert_true(uvz[0][2] <= 0);
        continue;
      }
      assert_int_equal(cr_camera_project(&cam, pc, uv), 0);
      assert_near(uvz[0][0], uv[0], 2e-3);
      assert_near(uvz[0][1], uv[1], 2e-3);
      assert_near(uvz[0][2], pc[2], 1e-5 * pc[2]);
    }
    cr_mesh_raster_free(r[0]), cr_mesh_raster_free(r[1]);
  }
  cr_mesh_raster_set_simd(1);
  cr_mesh_free(m);
}

// A flat grid of half-pixel (then 3/4-pixel) squares seen head-on, every vertex exactly
// on the 1/4096 px grid: most pixel centres lie on vertices and edges, so the top-left
// rule decides them. No centre inside the grid may be missed, and both paths must
// agree bit for bit.
static void test_pixel_aligned_grid(void **state) {
  for (int pass = 0; pass < 2; pass++) {
    double s = pass ? 0.75 : 0.5; // mm, = px at this camera
    int g = pass ? 80 : 120;
    cr_mesh *m = cr_mesh_new((g + 1) * (g + 1), 2 * g * g);
    for (int j = 0; j <= g; j++)
      for (int i = 0; i <= g; i++) {
        float *p = m->xyz + 3 * (j * (g + 1) + i);
        p[0] = (float)(i * s), p[1] = (float)(j * s), p[2] = 0;
      }
    for (int j = 0, t = 0; j < g; j++)
      for (int i = 0; i < g; i++, t += 2) {
        int a = j * (g + 1) + i, b = a + 1, c = a + g + 1, d = c + 1;
        int32_t q[2][6] = {{a, d, b, a, c, d}, {a, c, b, b, c, d}}; // both diagonals
        memcpy(m->tri + 3 * t, q[(i + j) % 2], sizeof q[0]);
      }
    cr_camera cam = {.width = 80, .height = 80, .fx = 100, .fy = 100, .cx = 10, .cy = 10};
    cr_pose pose = {.R = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, .t = {0, 0, 100}}; // 1 mm = 1 px
    cr_mesh_raster_options o = cr_mesh_raster_defaults();
    o.cull_backfaces = pass; // the grid faces the camera (negative area)
    cr_mesh_raster *r[2];
    for (int simd = 0; simd < 2; simd++) {
      r[simd] = cr_mesh_raster_new(cam.width, cam.height);
      if (cr_mesh_raster_set_simd(simd) != simd) { // no AVX2: the scalar path twice
        cr_mesh_raster_set_simd(0);
      }
      assert_int_equal(cr_mesh_rasterize(r[simd], m, &cam, &pose, &o), 0);
    }
    size_t n = (size_t)cam.width * cam.height;
    for (int simd = 0; simd < 2; simd++)
      for (int y = 0; y < cam.height; y++)
        for (int x = 0; x < cam.width; x++) {
          int inside = x >= 10 && y >= 10 && x <= 10 + g * s && y <= 10 + g * s;
          int edge = x == 10 || y == 10 || x == 10 + g * s || y == 10 + g * s;
          if (!edge) assert_int_equal(r[simd]->tri[(size_t)y * cam.width + x] >= 0, inside);
        }
    assert_memory_equal(r[0]->depth, r[1]->depth, n * sizeof(float));
    assert_memory_equal(r[0]->tri, r[1]->tri, n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++)
      if (r[0]->tri[i] >= 0)
        assert_memory_equal(r[0]->bary + 2 * i, r[1]->bary + 2 * i, 2 * sizeof(float));
    cr_mesh_raster_free(r[0]), cr_mesh_raster_free(r[1]);
    cr_mesh_free(m);
  }
  cr_mesh_raster_set_simd(1);
}

static void test_bad_arguments(void **state) {
  cr_mesh *m = sphere_mesh();
  cr_camera cam = cr_camera_from_fov(64, 48, 45);
  cr_pose pose = view_pose(80, 0);
  cr_mesh_raster *r = cr_mesh_raster_new(32, 48);
  assert_int_equal(cr_mesh_rasterize(r, m, &cam, &pose, NULL), CR_EINVAL);
  cr_mesh_raster_free(r);
  r = cr_mesh_raster_new(64, 48);
  assert_int_equal(cr_mesh_rasterize(r, m, &cam, &pose, NULL), 0);
  cr_image *attr = cr_image_new(64, 48, 1);
  assert_int_equal(cr_mesh_raster_resolve(r, m, &pose, NULL, NULL, NULL, attr),
                   CR_EINVAL); // no scalars
  cr_image_free(attr);
  assert_null(cr_mesh_raster_new(0, 10));
  // Camera behind the mesh: nothing drawn, no error.
  cr_pose away;
  double eye[3], target[3], up[3] = {0, 0, 1};
  cr_pose_camera_centre(&pose, eye);
  for (int a = 0; a < 3; a++) target[a] = 2 * eye[a] - C[a];
  assert_int_equal(cr_pose_look_at(&away, eye, target, up), 0);
  assert_int_equal(cr_mesh_rasterize(r, m, &cam, &away, NULL), 0);
  for (int i = 0; i < 64 * 48; i++) assert_int_equal(r->tri[i], -1);
  unsigned char hit[64 * 48];
  memset(hit, 7, sizeof hit);
  assert_int_equal(cr_mesh_raster_hit_mask(r, hit), 0);
  for (int i = 0; i < 64 * 48; i++) assert_int_equal(hit[i], 0);
  cr_mesh_raster_free(r);
  cr_mesh_free(m);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sphere_depth_with_distortion),
      cmocka_unit_test(test_plane_exact),
      cmocka_unit_test(test_deterministic_and_culling),
      cmocka_unit_test(test_simd_matches_scalar),
      cmocka_unit_test(test_pixel_aligned_grid),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// Photo texture (z-buffer visibility) and the volume probe along the inward normals.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double C[3] = {-5, 8, 12}, RS = 20.0;

static cr_mesh *sphere_mesh(void) {
  int n = 48;
  cr_volume *v = cr_test_sphere_sdf(C, RS, n, 1.0);
  cr_mesh *m = NULL;
  assert_int_equal(cr_mesh_marching_cubes(v, 0.0f, 0, &m), 0);
  cr_volume_free(v);
  return m;
}

static double correlation(const double *a, const double *b, int n) {
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; i++) ma += a[i] / n, mb += b[i] / n;
  for (int i = 0; i < n; i++)
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma),
        sbb += (b[i] - mb) * (b[i] - mb);
  return sab / sqrt(saa * sbb);
}

// Texture a synthetic photo, re-render the coloured mesh through the same camera: the
// photo comes back inside the visible area; hidden vertices keep the default grey.
static void test_texture_rerender(void **state) {
  cr_mesh *m = sphere_mesh();
  cr_camera cam = cr_camera_from_fov(128, 96, 50);
  cam.dist[0] = -0.15, cam.dist[1] = 0.05;
  double eye[3] = {C[0] + 60, C[1] - 50, C[2] + 20}, up[3] = {0, 0, 1};
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, C, up), 0);
  cr_image *photo = cr_image_new(cam.width, cam.height, 3);
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) {
      float *p = cr_image_px(photo, x, y);
      p[0] = (float)(128 + 100 * sin(x / 6.0) * cos(y / 8.0));
      p[1] = (float)(128 + 90 * cos((x + y) / 9.0));
      p[2] = (float)(60 + 0.8 * x + 0.5 * y);
    }
  int visible = 0;
  assert_int_equal(cr_mesh_texture(m, photo, &cam, &pose, 1.0, &visible), 0);
  assert_true(visible > 300 && visible < m->n_vertices * 0.6);
  // Hidden (far side) vertices stay grey.
  double dir[3];
  cr_vec3_sub(dir, eye, C);
  cr_vec3_normalize(dir);
  for (int v = 0; v < m->n_vertices; v++) {
    double d[3] = {m->xyz[3 * v] - C[0], m->xyz[3 * v + 1] - C[1], m->xyz[3 * v + 2] - C[2]};
    if (cr_vec3_dot(d, dir) < -0.2 * RS)
      for (int c = 0; c < 3; c++) assert_int_equal(m->rgb[3 * v + c], 128);
  }
  cr_mesh_raster *r = cr_mesh_raster_new(cam.width, cam.height);
  assert_int_equal(cr_mesh_rasterize(r, m, &cam, &pose, NULL), 0);
  cr_image *attr = cr_image_new(cam.width, cam.height, 3);
  unsigned char *hit = malloc((size_t)cam.width * cam.height);
  assert_int_equal(cr_mesh_raster_resolve(r, m, &pose, NULL, NULL, NULL, attr), 0);
  assert_true(cr_mesh_raster_hit_mask(r, hit) > 0);
  int n = 0;
  double *a = malloc(sizeof(double) * 3 * cam.width * cam.height), *b = a + cam.width * cam.height;
  for (int c = 0; c < 3; c++) {
    n = 0;
    for (int y = 0; y < cam.height; y++)
      for (int x = 0; x < cam.width; x++)
        if (hit[y * cam.width + x]) {
          a[n] = cr_image_px(attr, x, y)[c];
          b[n++] = cr_image_px(photo, x, y)[c];
        }
    double rho = correlation(a, b, n);
    print_message("texture channel %d: correlation %.4f over %d pixels\n", c, rho, n);
    assert_true(rho > 0.95);
  }
  free(a), free(hit);
  cr_image_free(attr), cr_image_free(photo);
  cr_mesh_raster_free(r);
  cr_mesh_free(m);
}

// Probe a linear field a.x + b: mean over 0..d of the inward normal is f(p) - d/2 a.n,
// max is the larger end value (trilinear sampling is exact on linear fields).
static void test_probe_linear_field(void **state) {
  cr_mesh *m = sphere_mesh();
  assert_int_equal(cr_mesh_compute_normals(m), 0);
  double M[4][4];
  cr_mat4_identity(M);
  for (int a = 0; a < 3; a++) M[a][0] = M[a][1] = M[a][2] = 0, M[a][a] = 1.5, M[a][3] = C[a] - 30;
  cr_volume *v = cr_volume_new(41, 41, 41, M);
  const double g[3] = {0.7, -1.2, 2.0}, b0 = 5;
  for (int k = 0; k < 41; k++)
    for (int j = 0; j < 41; j++)
      for (int i = 0; i < 41; i++) {
        double ijk[3] = {i, j, k}, w[3];
        cr_volume_voxel_to_world(v, ijk, w);
        v->data[cr_volume_index(v, i, j, k)] = (float)(cr_vec3_dot(g, w) + b0);
      }
  const double d = 3.0;
  assert_int_equal(cr_mesh_probe(m, v, d, 0.5, CR_PROBE_MEAN), 0);
  for (int i = 0; i < m->n_vertices; i++) {
    double p[3] = {m->xyz[3 * i], m->xyz[3 * i + 1], m->xyz[3 * i + 2]};
    double n[3] = {m->normal[3 * i], m->normal[3 * i + 1], m->normal[3 * i + 2]};
    assert_near(m->scalar[i], cr_vec3_dot(g, p) + b0 - d / 2 * cr_vec3_dot(g, n), 2e-3);
  }
  assert_int_equal(cr_mesh_probe(m, v, d, 0.5, CR_PROBE_MAX), 0);
  for (int i = 0; i < m->n_vertices; i++) {
    double p[3] = {m->xyz[3 * i], m->xyz[3 * i + 1], m->xyz[3 * i + 2]};
    double n[3] = {m->normal[3 * i], m->normal[3 * i + 1], m->normal[3 * i + 2]};
    double f0 = cr_vec3_dot(g, p) + b0;
    assert_near(m->scalar[i], fmax(f0, f0 - d * cr_vec3_dot(g, n)), 2e-3);
  }
  assert_int_equal(cr_mesh_probe(m, v, -1, 0.5, CR_PROBE_MAX), CR_EINVAL);
  cr_volume_free(v);
  cr_mesh_free(m);
}

// A bright layer 0.7..2.2 mm under the upper half of the surface (a stand-in for
// cortical vessels): the max probe over 0..3 mm finds it there, and only there.
static void test_probe_subsurface_layer(void **state) {
  cr_mesh *m = sphere_mesh();
  cr_volume *v = cr_volume_new(50, 50, 50, NULL);
  double M[4][4];
  cr_mat4_identity(M);
  for (int a = 0; a < 3; a++) M[a][3] = C[a] - 24.5;
  cr_volume_set_affine(v, M);
  for (int k = 0; k < 50; k++)
    for (int j = 0; j < 50; j++)
      for (int i = 0; i < 50; i++) {
        double ijk[3] = {i, j, k}, w[3], d[3];
        cr_volume_voxel_to_world(v, ijk, w);
        cr_vec3_sub(d, w, C);
        double r = cr_vec3_norm(d);
        v->data[cr_volume_index(v, i, j, k)] =
            (r > RS - 2.2 && r < RS - 0.7 && d[2] > 4) ? 1000.0f : 500.0f;
      }
  assert_int_equal(cr_mesh_probe(m, v, 3.0, 0.25, CR_PROBE_MAX), 0);
  int over = 0, under = 0;
  for (int i = 0; i < m->n_vertices; i++) {
    double dz = m->xyz[3 * i + 2] - C[2];
    if (dz > 9) {
      over++;
      assert_true(m->scalar[i] > 800);
    }
    if (dz < 0) {
      under++;
      assert_near(m->scalar[i], 500, 1e-3);
    }
  }
  assert_true(over > 100 && under > 100);
  cr_volume_free(v);
  cr_mesh_free(m);
}

// With a mask, only vertices that project onto its non-zero pixels take the photo's
// colour: a photo that is red outside the mask leaves no red on the mesh, and the
// vertices inside take the photo's green.
static void test_texture_mask(void **state) {
  cr_mesh *m = sphere_mesh();
  cr_camera cam = cr_camera_from_fov(128, 96, 50);
  double eye[3] = {C[0], C[1] - 80, C[2]}, up[3] = {0, 0, 1};
  cr_pose pose;
  assert_int_equal(cr_pose_look_at(&pose, eye, C, up), 0);
  cr_image *photo = cr_image_new(cam.width, cam.height, 3),
           *mask = cr_image_new(cam.width, cam.height, 1);
  for (int y = 0; y < cam.height; y++)
    for (int x = 0; x < cam.width; x++) {
      int in = (x - 64) * (x - 64) + (y - 48) * (y - 48) < 20 * 20;
      float *p = cr_image_px(photo, x, y);
      p[0] = in ? 0 : 250, p[1] = in ? 200 : 0, p[2] = 0;
      cr_image_px(mask, x, y)[0] = in ? 255 : 0;
    }
  int all = 0, inside = 0;
  cr_mesh *m2 = cr_mesh_new(m->n_vertices, m->n_triangles);
  memcpy(m2->xyz, m->xyz, sizeof(float) * 3 * m->n_vertices);
  memcpy(m2->tri, m->tri, sizeof(int32_t) * 3 * m->n_triangles);
  assert_int_equal(cr_mesh_texture(m2, photo, &cam, &pose, 1.0, &all), 0);
  assert_int_equal(cr_mesh_texture_masked(m, photo, mask, &cam, &pose, 1.0, &inside), 0);
  print_message("texture mask: %d of %d visible vertices inside the mask\n", inside, all);
  assert_true(inside > 50 && inside < all / 2);
  int red = 0, green = 0;
  for (int v = 0; v < m->n_vertices; v++) {
    red += m->rgb[3 * v] > 128;
    green += m->rgb[3 * v + 1] > 150;
  }
  assert_int_equal(red, 0);
  assert_true(green >= inside * 9 / 10);
  cr_image *small = cr_image_new(10, 10, 1);
  assert_int_equal(cr_mesh_texture_masked(m, photo, small, &cam, &pose, 1.0, NULL), CR_EINVAL);
  cr_image_free(small), cr_image_free(photo), cr_image_free(mask);
  cr_mesh_free(m2);
  cr_mesh_free(m);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_texture_rerender),
      cmocka_unit_test(test_texture_mask),
      cmocka_unit_test(test_probe_linear_field),
      cmocka_unit_test(test_probe_subsurface_layer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// Labels on the photo (render/labels.h) in a geometry with analytic answers: a flat
// "brain" whose surface is the plane z = 0 (the iso level crosses exactly there), seen
// from straight above by a pinhole camera whose image plane is parallel to it.
//  - A labelled sphere centred on the surface shows as a disc centred where
//    cr_camera_project puts the sphere's centre (a disc in a plane parallel to the image
//    plane projects to a disc around the projection of its centre).
//  - A label whose top lies 5 mm below the surface appears as a deep label only when the
//    search reaches 5 mm, and then at a depth of at least 5 mm.
// Also the lookup-table formats, the label-map check and the drawing's colours.
#include "testutil.h"

#include "core/camera.h"
#include "core/error.h"
#include "core/pose.h"
#include "render/labels.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Intensity: 1 mm voxels, x, y in -40..39, voxel centres z = -29.5 .. 9.5; 100 below z = 0.
static cr_volume *flat_brain(void) {
  double A[4][4] = {{1, 0, 0, -40}, {0, 1, 0, -40}, {0, 0, 1, -29.5}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(80, 80, 40, A);
  assert_non_null(v);
  for (int k = 0; k < 40; k++)
    for (int j = 0; j < 80; j++)
      for (int i = 0; i < 80; i++) v->data[cr_volume_index(v, i, j, k)] = k - 29.5 < 0 ? 100 : 0;
  return v;
}

// Label grid: 0.5 mm voxels, centres x, y = -20 .. 20, z = -14.75 .. 4.75.
static cr_volume *label_grid(void) {
  double A[4][4] = {{0.5, 0, 0, -20}, {0, 0.5, 0, -20}, {0, 0, 0.5, -14.75}, {0, 0, 0, 1}};
  cr_volume *v = cr_volume_new(81, 81, 40, A);
  assert_non_null(v);
  return v;
}

static void voxel_world(const cr_volume *v, int i, int j, int k, double x[3]) {
  const double ijk[3] = {i, j, k};
  cr_volume_voxel_to_world(v, ijk, x);
}

// A 200x200 camera 150 mm above the plane, looking down (-z), no distortion.
static void camera_above(cr_camera *cam, cr_pose *P) {
  *cam = cr_camera_from_fov(200, 200, 30);
  const double eye[3] = {0, 0, 150}, target[3] = {0, 0, 0}, up[3] = {0, 1, 0};
  assert_int_equal(cr_pose_look_at(P, eye, target, up), 0);
}

// The surface render's world xyz (iso 50, no smoothing: the hit is the plane z = 0).
static cr_image *surface_xyz(const cr_volume *vol, const cr_camera *cam, const cr_pose *P) {
  cr_render_options o = cr_render_defaults(&cr_render_mode_surface);
  o.iso = 50, o.surface_smooth_mm = 0, o.step_mm = 0.5;
  cr_renderer *r = cr_renderer_new(vol, NULL, &o);
  assert_non_null(r);
  cr_image *img = cr_image_new(cam->width, cam->height, 1),
           *xyz = cr_image_new(cam->width, cam->height, 3);
  cr_render_out out = {.image = img, .xyz = xyz};
  assert_int_equal(cr_render(r, cam, P, &out), 0);
  cr_renderer_free(r);
  cr_image_free(img);
  return xyz;
}

static void test_sphere_lands_on_its_projection(void **state) {
  (void)state;
  cr_volume *vol = flat_brain(), *lab = label_grid();
  const double C[3] = {8, -6, 0}, R = 6; // on the surface, off the optical axis
  for (int k = 0; k < lab->dim[2]; k++)
    for (int j = 0; j < lab->dim[1]; j++)
      for (int i = 0; i < lab->dim[0]; i++) {
        double x[3];
        voxel_world(lab, i, j, k, x);
        double d2 = (x[0] - C[0]) * (x[0] - C[0]) + (x[1] - C[1]) * (x[1] - C[1]) + x[2] * x[2];
        lab->data[cr_volume_index(lab, i, j, k)] = d2 <= R * R ? 5 : 0;
      }
  assert_int_equal(cr_label_volume_check(lab), 0);
  cr_camera cam;
  cr_pose P;
  camera_above(&cam, &P);
  cr_image *xyz = surface_xyz(vol, &cam, &P);
  double Cc[3], uv[2];
  cr_pose_apply(&P, C, Cc);
  assert_int_equal(cr_camera_project(&cam, Cc, uv), 0);
  const double surface_mm[2] = {0, 2};
  for (int t = 0; t < 2; t++) {
    cr_image *S = cr_image_new(cam.width, cam.height, 1);
    cr_label_options o = cr_label_defaults();
    o.surface_mm = surface_mm[t];
    cr_label_out out = {.surface = S};
    assert_int_equal(cr_label_project(lab, &P, xyz, &o, &out), 0);
    double su = 0, sv = 0;
    long n = 0;
    for (int v = 0; v < cam.height; v++)
      for (int u = 0; u < cam.width; u++) {
        float l = cr_image_px(S, u, v)[0];
        assert_true(l == 0 || l == 5);
        if (l == 5) su += u, sv += v, n++;
      }
    // the disc of radius R at depth 150 mm: pi (R f / 150)^2 pixels
    const double f = cam.fx, area = M_PI * pow(R * f / 150, 2);
    print_message("surface_mm %g: %ld label pixels (disc %.0f), centroid (%.3f, %.3f), "
                  "projected centre (%.3f, %.3f)\n",
                  surface_mm[t], n, area, su / n, sv / n, uv[0], uv[1]);
    // the label voxels (0.5 mm) make the disc's edge: its area within 10 %
    assert_true(fabs(n - area) < 0.1 * area);
    assert_near(su / n, uv[0], 0.5);
    assert_near(sv / n, uv[1], 0.5);
    cr_image_free(S);
  }
  cr_image_free(xyz);
  cr_volume_free(vol);
  cr_volume_free(lab);
}

static void test_deep_label_needs_its_depth(void **state) {
  (void)state;
  cr_volume *vol = flat_brain(), *lab = label_grid();
  // label 3 in the top millimetre (the surface label), label 9 from 5 mm down
  for (int k = 0; k < lab->dim[2]; k++)
    for (int j = 0; j < lab->dim[1]; j++)
      for (int i = 0; i < lab->dim[0]; i++) {
        double x[3];
        voxel_world(lab, i, j, k, x);
        float l = 0;
        if (fabs(x[0]) < 10 && fabs(x[1]) < 10) l = x[2] < -5 ? 9 : (x[2] > -1 ? 3 : 0);
        lab->data[cr_volume_index(lab, i, j, k)] = l;
      }
  cr_camera cam;
  cr_pose P;
  camera_above(&cam, &P);
  cr_image *xyz = surface_xyz(vol, &cam, &P);
  const double below[4] = {4.5, 4.9, 5.1, 8};
  for (int t = 0; t < 4; t++) {
    cr_image *S = cr_image_new(cam.width, cam.height, 1),
             *D = cr_image_new(cam.width, cam.height, 1),
             *Dmm = cr_image_new(cam.width, cam.height, 1);
    cr_label_options o = cr_label_defaults();
    o.surface_mm = 2, o.below_mm = below[t];
    cr_label_out out = {S, D, Dmm};
    assert_int_equal(cr_label_project(lab, &P, xyz, &o, &out), 0);
    long n_surface = 0, n_deep = 0, n_inner = 0, n_inner_deep = 0;
    double min_mm = INFINITY, max_mm = -INFINITY;
    for (int v = 0; v < cam.height; v++)
      for (int u = 0; u < cam.width; u++) {
        n_surface += cr_image_px(S, u, v)[0] == 3;
        float d = cr_image_px(D, u, v)[0], mm = cr_image_px(Dmm, u, v)[0];
        assert_true(d == 0 || d == 9);
        const float *x = cr_image_px(xyz, u, v);
        if (fabs(x[0]) < 9 && fabs(x[1]) < 9) n_inner++, n_inner_deep += d == 9;
        if (d == 9) {
          n_deep++;
          min_mm = fmin(min_mm, mm), max_mm = fmax(max_mm, mm);
        } else
          assert_true(isnan(mm));
      }
    print_message("below %g mm: %ld surface pixels, %ld deep pixels at %.3f..%.3f mm\n", below[t],
                  n_surface, n_deep, min_mm, max_mm);
    assert_true(n_surface > 1000);
    if (below[t] < 5) {
      assert_int_equal(n_deep, 0);
    } else {
      assert_true(n_inner > 1000);
      assert_int_equal(n_inner_deep, n_inner); // under every pixel well inside the square
      assert_true(min_mm >= 5.0 - 1e-3);       // never shallower than the label's top
      assert_true(max_mm <= 5.0 + 0.2);        // found at its top
    }
    cr_image_free(S), cr_image_free(D), cr_image_free(Dmm);
  }
  cr_image_free(xyz);
  cr_volume_free(vol);
  cr_volume_free(lab);
}

static const char *write_file(const char *name, const void *data, size_t n) {
  const char *path = cr_test_path(name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
  return path;
}

static void test_lookup_tables(void **state) {
  (void)state;
  cr_label_table *t = cr_label_table_new();
  assert_non_null(t);
  // MRIcron atlas list (names only), then its palette, then a FreeSurfer/Slicer table
  const char aal[] =
      "1 Precentral_L 2001\n2 Precentral_R 2002\n\n# comment\n7 Frontal_Mid_L 2201\n";
  assert_int_equal(cr_label_table_read(t, write_file("aal.nii.txt", aal, strlen(aal))), 0);
  assert_int_equal(t->n, 3);
  assert_string_equal(cr_label_table_find(t, 2)->name, "Precentral_R");
  assert_false(cr_label_table_find(t, 2)->has_rgb);
  unsigned char pal[768];
  for (int i = 0; i < 256; i++) pal[i] = (unsigned char)i, pal[256 + i] = 0, pal[512 + i] = 255;
  assert_int_equal(cr_label_table_read(t, write_file("aal.nii.lut", pal, sizeof pal)), 0);
  assert_int_equal(t->n, 3); // colours the named labels only
  unsigned char c[3];
  cr_label_table_colour(t, 7, c);
  assert_int_equal(c[0], 7);
  assert_int_equal(c[1], 0);
  assert_int_equal(c[2], 255);
  const char fs[] = "#$Id: FreeSurferColorLUT.txt\n0   Unknown      0   0   0   0\n"
                    "2   Left-Cerebral-White-Matter  245 245 245 0\n"
                    "1000 ctx-lh-unknown 25 5 25 0\n";
  assert_int_equal(cr_label_table_read(t, write_file("fs.txt", fs, strlen(fs))), 0);
  assert_string_equal(cr_label_table_find(t, 2)->name, "Left-Cerebral-White-Matter");
  cr_label_table_colour(t, 1000, c);
  assert_int_equal(c[0], 25);
  assert_int_equal(c[1], 5);
  assert_int_equal(c[2], 25);
  assert_null(cr_label_table_find(t, 3));
  // a label without a colour gets a fixed, saturated one
  unsigned char c1[3], c2[3];
  cr_label_table_colour(t, 12345, c1);
  cr_label_table_colour(t, 12345, c2);
  assert_memory_equal(c1, c2, 3);
  assert_true(abs((int)c1[0] - (int)c1[1]) + abs((int)c1[1] - (int)c1[2]) > 100);
  // bad tables name the file and line; nothing is half-read into the caller's sight
  const char bad1[] = "1 a 0 0 0\nlabel two\n", bad2[] = "1 a 300 0 0\n";
  assert_int_equal(cr_label_table_read(t, write_file("bad1.txt", bad1, strlen(bad1))), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "bad1.txt:2"));
  assert_int_equal(cr_label_table_read(t, write_file("bad2.txt", bad2, strlen(bad2))), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "0..255"));
  unsigned char bin[100] = {0, 1, 2};
  assert_int_equal(cr_label_table_read(t, write_file("bad.lut", bin, sizeof bin)), CR_EFORMAT);
  assert_int_equal(cr_label_table_read(t, cr_test_path("missing.txt")), CR_EIO);
  cr_label_table_free(t);
  cr_label_table_free(NULL);
}

static void test_label_map_check(void **state) {
  (void)state;
  cr_volume *lab = label_grid();
  assert_int_equal(cr_label_volume_check(lab), 0);
  lab->data[cr_volume_index(lab, 3, 4, 5)] = 12.5f; // an intensity, not a label
  assert_int_equal(cr_label_volume_check(lab), CR_EFORMAT);
  assert_non_null(strstr(cr_last_error(), "(3, 4, 5)"));
  lab->data[cr_volume_index(lab, 3, 4, 5)] = -1;
  assert_int_equal(cr_label_volume_check(lab), CR_EFORMAT);
  cr_volume_free(lab);
}

static void test_draw(void **state) {
  (void)state;
  cr_image *bg = cr_image_new(8, 6, 1), *S = cr_image_new(8, 6, 1), *rgb = cr_image_new(8, 6, 3);
  for (int i = 0; i < 48; i++) bg->data[i] = 100, S->data[i] = i % 8 >= 4 ? 2 : 0;
  cr_label_table *t = cr_label_table_new();
  const char lut[] = "2 two 200 0 50\n";
  assert_int_equal(cr_label_table_read(t, write_file("two.txt", lut, strlen(lut))), 0);
  cr_label_draw_options o = cr_label_draw_defaults();
  o.fill_alpha = 0.5;
  cr_label_out lo = {.surface = S};
  assert_int_equal(cr_label_draw(bg, &lo, t, &o, rgb), 0);
  const float *p = cr_image_px(rgb, 6, 3), *q = cr_image_px(rgb, 1, 3), *b = cr_image_px(rgb, 4, 3);
  assert_near(p[0], 150, 1e-4);
  assert_near(p[1], 50, 1e-4);
  assert_near(p[2], 75, 1e-4);
  assert_near(q[0], 100, 0);
  assert_near(q[1], 100, 0);
  assert_near(q[2], 100, 0); // no label
  assert_near(b[0], 120, 1e-4);
  assert_near(b[2], 30, 1e-4); // border: opaque, 0.6 x colour
  cr_image *small = cr_image_new(4, 6, 3);
  assert_int_equal(cr_label_draw(bg, &lo, t, &o, small), CR_EINVAL);
  cr_image_free(small);
  cr_label_table_free(t);
  cr_image_free(bg), cr_image_free(S), cr_image_free(rgb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sphere_lands_on_its_projection),
      cmocka_unit_test(test_deep_label_needs_its_depth),
      cmocka_unit_test(test_lookup_tables),
      cmocka_unit_test(test_label_map_check),
      cmocka_unit_test(test_draw),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

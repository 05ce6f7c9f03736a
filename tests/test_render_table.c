// The renderer's one interface: the mode table (lookup, registration errors), the
// outputs a mode declares (asking for another is a clear error), the hit mask and the
// miss values of every mode, the per-camera caches (alternating cameras gives the bytes
// of fresh renderers) and the mesh mode against the surface mode through the table.
#include "testutil.h"

#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"
#include "render/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cr_pose look(double ex, double ey, double ez, double tx, double ty, double tz) {
  double eye[3] = {ex, ey, ez}, target[3] = {tx, ty, tz}, up[3] = {0, 0, 1};
  cr_pose p;
  assert_int_equal(cr_pose_look_at(&p, eye, target, up), 0);
  return p;
}

static cr_volume *vol;

static int setup(void **state) {
  (void)state;
  vol = cr_test_small_phantom("LPI", 10);
  return vol ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  cr_volume_free(vol);
  return 0;
}

static void test_table_lookup(void **state) {
  (void)state;
  const char *names[6] = {"drr", "mip", "volume", "surface", "probe", "mesh"};
  const cr_render_mode_type *rows[6] = {&cr_render_mode_drr,    &cr_render_mode_mip,
                                        &cr_render_mode_volume, &cr_render_mode_surface,
                                        &cr_render_mode_probe,  &cr_render_mode_mesh};
  assert_true(cr_render_mode_count() >= 6);
  for (int i = 0; i < 6; i++) {
    assert_ptr_equal(cr_render_mode_find(names[i]), rows[i]);
    assert_ptr_equal(cr_render_mode_at(i), rows[i]);
    assert_string_equal(rows[i]->name, names[i]);
    assert_non_null(rows[i]->summary);
    assert_int_equal(cr_render_defaults(rows[i]).mode == rows[i], 1);
  }
  assert_null(cr_render_mode_at(-1));
  assert_null(cr_render_mode_at(cr_render_mode_count()));
  assert_null(cr_render_mode_find("xray"));
  assert_non_null(strstr(cr_last_error(), "xray"));
  assert_non_null(strstr(cr_last_error(), "mesh")); // lists the known names
  // Mode defaults after the common ones: surface smoothing for surface and probe only.
  assert_near(cr_render_defaults(&cr_render_mode_surface).surface_smooth_mm, 1.0, 0);
  assert_near(cr_render_defaults(&cr_render_mode_drr).surface_smooth_mm, 0.0, 0);
  assert_int_equal(cr_render_defaults(&cr_render_mode_mesh).mesh_smooth_iterations, 5);
  // A duplicate name or an incomplete row is refused; the table is unchanged.
  const int n = cr_render_mode_count();
  assert_int_equal(cr_render_mode_register(&cr_render_mode_surface), CR_EINVAL);
  cr_render_mode_type incomplete = cr_render_mode_drr;
  incomplete.name = "incomplete", incomplete.render = NULL;
  assert_int_equal(cr_render_mode_register(&incomplete), CR_EINVAL);
  assert_int_equal(cr_render_mode_count(), n);
}

// A drr renderer asked for depth (or xyz, normal, colour) fails clearly; so do surface
// points of a mode without them, and renderers without the input they need.
static void test_outputs_bits(void **state) {
  (void)state;
  cr_camera cam = cr_camera_from_fov(32, 24, 50);
  cr_pose P = look(0, -250, 0, 0, 0, 0);
  cr_image *img = cr_image_new(32, 24, 1), *rgb = cr_image_new(32, 24, 3),
           *one = cr_image_new(32, 24, 1);
  cr_image *three = cr_image_new(32, 24, 3);
  cr_render_options p = cr_render_defaults(&cr_render_mode_drr);
  cr_renderer *r;
  assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), 0);
  const cr_render_out asks[4] = {{img, one, NULL, NULL, NULL, NULL, NULL},
                                 {img, NULL, three, NULL, NULL, NULL, NULL},
                                 {img, NULL, NULL, three, NULL, NULL, NULL},
                                 {rgb, NULL, NULL, NULL, NULL, NULL, NULL}};
  const char *what[4] = {"depth", "xyz", "normal", "channel"};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(cr_render(r, &cam, &P, &asks[i]), CR_EINVAL);
    print_message("drr asked for %s: %s\n", what[i], cr_last_error());
    if (i < 3) assert_non_null(strstr(cr_last_error(), "drr")); // names the mode
    assert_non_null(strstr(cr_last_error(), what[i]));          // and the output
  }
  assert_int_equal(cr_render_surface_points(r, &cam, &P, 4, NULL, 0, NULL, NULL), CR_EINVAL);
  assert_non_null(strstr(cr_last_error(), "drr"));
  cr_renderer_free(r);
  // The modes that make them accept them: volume colour, surface and mesh geometry.
  const cr_render_mode_type *geo[3] = {&cr_render_mode_surface, &cr_render_mode_probe,
                                       &cr_render_mode_mesh};
  for (int m = 0; m < 3; m++) {
    p = cr_render_defaults(geo[m]);
    assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), 0);
    cr_render_out all = {img, one, three, cr_image_new(32, 24, 3), NULL, NULL, NULL};
    assert_int_equal(cr_render(r, &cam, &P, &all), 0);
    cr_image_free(all.normal);
    cr_renderer_free(r);
  }
  p = cr_render_defaults(&cr_render_mode_volume);
  assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), 0);
  assert_int_equal(cr_render(r, &cam, &P, &asks[3]), 0);
  cr_renderer_free(r);
  // Inputs: every mode needs a volume or (mesh mode) a mesh; no mode in the params.
  p = cr_render_defaults(&cr_render_mode_mesh);
  assert_int_equal(cr_status_of(r = cr_renderer_new(NULL, NULL, &p)), CR_EINVAL);
  assert_null(r);
  p = cr_render_defaults(&cr_render_mode_surface);
  assert_int_equal(cr_status_of(r = cr_renderer_new(NULL, NULL, &p)), CR_EINVAL);
  p.mode = NULL;
  assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), CR_EINVAL);
  cr_image_free(img), cr_image_free(rgb), cr_image_free(one), cr_image_free(three);
}

// Every mode's hit mask: surface, probe and mesh hit where depth > 0; drr, mip and volume
// where the ray meets the volume box. Misses and masked-out pixels get the miss values.
static void test_hit_mask_and_misses(void **state) {
  (void)state;
  const int W = 48, H = 40;
  cr_camera cam = cr_camera_from_fov(W, H, 60);
  cam.dist[0] = -0.08;
  cr_pose P = look(-60, -190, 50, 0, 0, 0);
  unsigned char *mask = malloc((size_t)W * H), *hit = malloc((size_t)W * H);
  for (int i = 0; i < W * H; i++) mask[i] = (i * 7) % 5 != 0; // one pixel in five left out
  double C[3]; // the grid is oblique: the box test below is done in voxels
  cr_pose_camera_centre(&P, C);
  for (int m = 0; m < 6; m++) {
    const cr_render_mode_type *t = cr_render_mode_at(m);
    cr_render_options p = cr_render_defaults(t);
    p.background = -7;
    cr_renderer *r;
    assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), 0);
    const int geo = (t->outputs & CR_RENDER_OUT_DEPTH) != 0;
    cr_image *img = cr_image_new(W, H, 1), *depth = geo ? cr_image_new(W, H, 1) : NULL;
    cr_image *xyz = geo ? cr_image_new(W, H, 3) : NULL, *nrm = geo ? cr_image_new(W, H, 3) : NULL;
    cr_render_out out = {img, depth, xyz, nrm, mask, hit, NULL};
    assert_int_equal(cr_render(r, &cam, &P, &out), 0);
    long n_hit = 0, n_box = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        const int i = y * W + x, h = hit[i];
        n_hit += h;
        assert_true(h == 0 || h == 1);
        if (!mask[i]) assert_int_equal(h, 0);
        if (!h) { // the miss values
          assert_near(cr_image_px(img, x, y)[0], -7, 0);
          if (geo) {
            assert_near(cr_image_px(depth, x, y)[0], 0, 0);
            for (int k = 0; k < 3; k++)
              assert_true(isnan(cr_image_px(xyz, x, y)[k]) && isnan(cr_image_px(nrm, x, y)[k]));
          }
        }
        if (geo) {
          assert_int_equal(h, cr_image_px(depth, x, y)[0] > 0);
          if (h) assert_false(isnan(cr_image_px(xyz, x, y)[0]));
        } else if (mask[i]) { // the ray meets the box of the voxel centres +- half a voxel
          double rc[3], dw[3], o[3], d[3], tn = 0, tf = INFINITY;
          cr_camera_pixel_ray(&cam, x, y, rc);
          cr_mat3_apply_transpose(dw, P.R, rc);
          cr_mat4_apply_point(o, vol->voxel_from_world, C);
          for (int a = 0; a < 3; a++)
            d[a] = vol->voxel_from_world[a][0] * dw[0] + vol->voxel_from_world[a][1] * dw[1] +
                   vol->voxel_from_world[a][2] * dw[2];
          for (int a = 0; a < 3; a++) {
            double t1 = (-0.5 - o[a]) / d[a], t2 = (vol->dim[a] - 0.5 - o[a]) / d[a];
            tn = fmax(tn, fmin(t1, t2)), tf = fmin(tf, fmax(t1, t2));
          }
          if (fabs(tf - tn) > 1e-6) assert_int_equal(h, tf > tn); // not a grazing ray
          n_box += tf > tn;
        }
      }
    print_message("%-8s %ld pixels hit of %d\n", t->name, n_hit, W * H);
    if (!geo) assert_int_equal(n_hit, n_box);
    assert_true(n_hit > W * H / 8 && n_hit < W * H);
    cr_image_free(img), cr_image_free(depth), cr_image_free(xyz), cr_image_free(nrm);
    cr_renderer_free(r);
  }
  free(mask), free(hit);
}

// One renderer rendering alternating cameras (two views, two sizes: a registration's
// views and pyramid levels), then more cameras than its cache holds, then the first
// again: every frame has the bytes of a fresh renderer's.
static void test_camera_cache(void **state) {
  (void)state;
  enum { NCAM = 12 };
  cr_camera cams[NCAM];
  cr_pose poses[NCAM];
  for (int i = 0; i < NCAM; i++) {
    cams[i] = cr_camera_from_fov(i % 2 ? 40 : 56, i % 2 ? 30 : 44, 45 + i);
    cams[i].dist[0] = 0.01 * (i % 3);
    poses[i] = look(-60 + 9 * i, -200, 40 - 3 * i, 0, 0, 0);
  }
  const int order[] = {0, 1, 0, 1, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1};
  const int n_order = (int)(sizeof order / sizeof order[0]);
  for (int m = 0; m < 6; m++) {
    const cr_render_mode_type *t = cr_render_mode_at(m);
    cr_render_options p = cr_render_defaults(t);
    cr_renderer *shared;
    assert_int_equal(cr_status_of(shared = cr_renderer_new(vol, NULL, &p)), 0);
    for (int q = 0; q < n_order; q++) {
      const cr_camera *cam = &cams[order[q]];
      const int W = cam->width, H = cam->height, geo = (t->outputs & CR_RENDER_OUT_DEPTH) != 0;
      cr_image *a[2], *d[2] = {NULL, NULL};
      unsigned char *h[2];
      for (int k = 0; k < 2; k++) {
        cr_renderer *r = shared;
        if (k == 1) assert_int_equal(cr_status_of(r = cr_renderer_new(vol, NULL, &p)), 0);
        a[k] = cr_image_new(W, H, 1), h[k] = malloc((size_t)W * H);
        if (geo) d[k] = cr_image_new(W, H, 1);
        cr_render_out out = {a[k], d[k], NULL, NULL, NULL, h[k], NULL};
        assert_int_equal(cr_render(r, cam, &poses[order[q]], &out), 0);
        if (k == 1) cr_renderer_free(r);
      }
      assert_memory_equal(a[0]->data, a[1]->data, sizeof(float) * W * H);
      assert_memory_equal(h[0], h[1], (size_t)W * H);
      if (geo) assert_memory_equal(d[0]->data, d[1]->data, sizeof(float) * W * H);
      for (int k = 0; k < 2; k++) cr_image_free(a[k]), cr_image_free(d[k]), free(h[k]);
    }
    // Surface points of a known camera after all that: the same as a fresh renderer's.
    if (t->surface_points) {
      double c0[3], c1[3];
      int n0 = 0, n1 = 0;
      cr_renderer *fresh;
      assert_int_equal(cr_status_of(fresh = cr_renderer_new(vol, NULL, &p)), 0);
      assert_int_equal(cr_render_surface_points(shared, &cams[1], &poses[1], 3, NULL, 0, &n0, c0),
                       0);
      assert_int_equal(cr_render_surface_points(fresh, &cams[1], &poses[1], 3, NULL, 0, &n1, c1),
                       0);
      assert_int_equal(n0, n1);
      assert_memory_equal(c0, c1, sizeof c0);
      cr_renderer_free(fresh);
    }
    cr_renderer_free(shared);
  }
}

// The mesh mode through the table (mesh built from the volume without smoothing) and the
// surface mode (no smoothing, half-voxel steps) see the same surface: depths agree to a
// fraction of a voxel where both hit; a given mesh renders without the volume.
static void test_mesh_mode_vs_surface(void **state) {
  (void)state;
  const int W = 96, H = 80;
  cr_camera cam = cr_camera_from_fov(W, H, 40);
  cam.dist[0] = -0.1;
  cr_pose P = look(40, -60, 230, 5, 10, 40);
  cr_render_options ps = cr_render_defaults(cr_render_mode_find("surface"));
  ps.surface_smooth_mm = 0, ps.step_mm = 0.5 * vol->spacing[0];
  cr_render_options pm = cr_render_defaults(cr_render_mode_find("mesh"));
  pm.mesh_smooth_iterations = 0;
  cr_renderer *rs, *rm;
  assert_int_equal(cr_status_of(rs = cr_renderer_new(vol, NULL, &ps)), 0);
  assert_int_equal(cr_status_of(rm = cr_renderer_new(vol, NULL, &pm)), 0);
  assert_near(cr_renderer_options(rm)->iso, cr_renderer_options(rs)->iso,
              1e-3); // both automatic (Otsu)
  assert_near(cr_renderer_options(rs)->iso, cr_volume_otsu_level(vol), 1e-3);
  cr_image *img = cr_image_new(W, H, 1), *ds = cr_image_new(W, H, 1), *dm = cr_image_new(W, H, 1);
  cr_image *nm = cr_image_new(W, H, 3), *ns = cr_image_new(W, H, 3);
  cr_render_out os = {img, ds, NULL, ns, NULL, NULL, NULL},
                om = {img, dm, NULL, nm, NULL, NULL, NULL};
  assert_int_equal(cr_render(rs, &cam, &P, &os), 0);
  assert_int_equal(cr_render(rm, &cam, &P, &om), 0);
  long both = 0, one = 0, close = 0;
  double cos_sum = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const float s = cr_image_px(ds, x, y)[0], m = cr_image_px(dm, x, y)[0];
      if (s > 0 && m > 0) {
        both++;
        close += fabs(s - m) < 0.5 * vol->spacing[0];
        const float *a = cr_image_px(ns, x, y), *b = cr_image_px(nm, x, y);
        cos_sum += a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
      } else
        one += s > 0 || m > 0;
    }
  print_message(
      "mesh vs surface mode: %ld pixels both hit, %ld within half a voxel, %ld in one only, "
      "mean normal cosine %.3f\n",
      both, close, one, cos_sum / both);
  assert_true(both > W * H / 4);
  assert_true(close > 0.95 * both);
  assert_true(one < both / 20);
  assert_true(cos_sum / both > 0.9);
  // The same mesh given to the mesh mode without a volume: the same raster.
  cr_mesh_cortex_options co = cr_mesh_cortex_defaults();
  co.smooth_iterations = 0, co.probe_depth_mm = 0;
  cr_mesh *mesh;
  assert_int_equal(cr_mesh_build_cortex(vol, &co, &mesh, NULL), 0);
  cr_renderer *rg;
  assert_int_equal(cr_status_of(rg = cr_renderer_new(NULL, mesh, &pm)), 0);
  assert_true(isnan(cr_renderer_options(rg)->iso)); // given a mesh: iso left as given
  cr_image *dg = cr_image_new(W, H, 1);
  cr_render_out og = {img, dg, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(cr_render(rg, &cam, &P, &og), 0);
  assert_memory_equal(dg->data, dm->data, sizeof(float) * W * H);
  // Probe scalars need a volume or the mesh's own scalars; both give the same image.
  cr_render_options pp = pm;
  pp.mesh_probe = 1;
  cr_renderer *rp;
  assert_null(mesh->scalar);
  assert_int_equal(cr_status_of(rp = cr_renderer_new(NULL, mesh, &pp)), CR_EINVAL);
  assert_int_equal(cr_status_of(rp = cr_renderer_new(vol, mesh, &pp)), 0);
  cr_image *probe_a = cr_image_new(W, H, 1), *probe_b = cr_image_new(W, H, 1);
  assert_int_equal(
      cr_render(rp, &cam, &P, &(cr_render_out){probe_a, NULL, NULL, NULL, NULL, NULL, NULL}), 0);
  cr_renderer_free(rp);
  assert_int_equal(cr_mesh_probe(mesh, vol, pp.probe_depth_mm, 0.25, CR_PROBE_MAX), 0);
  assert_int_equal(cr_status_of(rp = cr_renderer_new(NULL, mesh, &pp)), 0);
  assert_int_equal(
      cr_render(rp, &cam, &P, &(cr_render_out){probe_b, NULL, NULL, NULL, NULL, NULL, NULL}), 0);
  assert_memory_equal(probe_a->data, probe_b->data, sizeof(float) * W * H);
  float plo, phi;
  cr_image_minmax(probe_a, &plo, &phi);
  assert_true(phi > cr_renderer_options(rm)->iso); // the probe sees the bright cortex
  cr_renderer_free(rp), cr_image_free(probe_a), cr_image_free(probe_b);
  cr_renderer_free(rg), cr_mesh_free(mesh);
  cr_image_free(img), cr_image_free(ds), cr_image_free(dm), cr_image_free(dg), cr_image_free(nm),
      cr_image_free(ns);
  cr_renderer_free(rs), cr_renderer_free(rm);
}

int main(void) {
  cr_gsl_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_lookup),         cmocka_unit_test(test_outputs_bits),
      cmocka_unit_test(test_hit_mask_and_misses),  cmocka_unit_test(test_camera_cache),
      cmocka_unit_test(test_mesh_mode_vs_surface),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

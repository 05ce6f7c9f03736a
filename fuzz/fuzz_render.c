// Renders a fuzzed volume seen by a fuzzed camera at 32x32 pixels in every built-in
// mode (drr, mip, volume, surface, probe, mesh) with every output the mode makes. The
// input is a small header (sizes, flags, affine, camera, pose, options; see the reads
// below) followed by voxel values as raw float32 (NaN, inf and huge values included),
// repeated when short. A render that succeeds on a volume of moderate finite values must
// give finite image values.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "render/render.h"
#include "fuzz/fuzz_common.h"

typedef struct reader {
  const uint8_t *d;
  size_t n, at;
} reader;

static uint8_t u8(reader *r) {
  return r->at < r->n ? r->d[r->at++] : 0;
}
static float f32(reader *r) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = u8(r);
  float f;
  memcpy(&f, b, 4);
  return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cr_fuzz_quiet();
  if (size < 8) return 0;
  reader r = {data, size, 0};
  int nx = 1 + u8(&r) % 8, ny = 1 + u8(&r) % 8, nz = 1 + u8(&r) % 8;
  uint8_t flags = u8(&r), geo = u8(&r);
  double A[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  if (geo & 1) { // a fuzzed 3x4 affine; else diagonal spacing from bytes (0.1..25.6 mm)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 4; j++) A[i][j] = f32(&r);
  } else {
    for (int i = 0; i < 3; i++) A[i][i] = (1 + u8(&r)) / 10.0;
  }
  cr_camera cam = cr_camera_from_fov(32, 32, 10 + u8(&r) % 120);
  if (geo & 2) { // fuzzed intrinsics and distortion
    cam.fx = f32(&r);
    cam.fy = f32(&r);
    cam.cx = f32(&r);
    cam.cy = f32(&r);
    for (int i = 0; i < 5; i++) cam.dist[i] = f32(&r);
  }
  cr_pose pose;
  // The camera looks at the volume's centre from a fuzzed direction and distance, so that
  // most inputs see the volume; or (geo & 4) a raw fuzzed rvec/tvec.
  double rv[3], tv[3];
  for (int i = 0; i < 3; i++) rv[i] = (geo & 4) ? f32(&r) : (u8(&r) - 128) / 40.0;
  for (int i = 0; i < 3; i++) tv[i] = (geo & 4) ? f32(&r) : 0;
  cr_render_options o = cr_render_defaults(NULL);
  double step = u8(&r) / 25.5, iso = (flags & 8) ? f32(&r) : NAN;
  double smooth = u8(&r) / 50.0, probe = u8(&r) / 25.5, dist = 20 + 4 * (double)u8(&r);
  cr_volume *vol = cr_volume_new(nx, ny, nz, A);
  if (!vol) return 0;
  size_t nv = cr_volume_count(vol), left = r.n - r.at;
  int tame = 1; // every voxel finite and moderate: the image must then be finite
  for (size_t i = 0; i < nv; i++) {
    if (left >= 4) {
      size_t k = r.at + (4 * i) % (left - left % 4);
      memcpy(&vol->data[i], data + k, 4);
    } else {
      vol->data[i] = (float)(i % 7);
    }
    if (!(fabsf(vol->data[i]) < 1e6f)) tame = 0;
  }
  if (!(geo & 4)) {
    double lo[3], hi[3], c[3], d = dist;
    cr_volume_world_bounds(vol, lo, hi);
    for (int i = 0; i < 3; i++) c[i] = 0.5 * (lo[i] + hi[i]);
    cr_pose rot = cr_pose_from_rvec_tvec(rv, (double[3]){0, 0, 0});
    // camera centre at c - d * (R^T z): t = -R (c - d R^T z) = d z - R c
    double Rc[3];
    cr_pose_apply(&rot, c, Rc);
    for (int i = 0; i < 3; i++) tv[i] = (i == 2 ? d : 0) - Rc[i];
  }
  pose = cr_pose_from_rvec_tvec(rv, tv);
  cr_image *img = cr_image_new(32, 32, 1), *depth = cr_image_new(32, 32, 1);
  cr_image *xyz = cr_image_new(32, 32, 3), *nrm = cr_image_new(32, 32, 3);
  unsigned char hit[32 * 32];
  for (int m = 0; m < 6; m++) {
    const cr_render_mode_type *mode = cr_render_mode_at(m);
    o = cr_render_defaults(mode);
    o.step_mm = step;
    o.iso = iso;
    o.interp = (flags & 1) ? CR_INTERP_NEAREST : CR_INTERP_LINEAR;
    o.lit = (flags & 2) != 0;
    o.undistorted = (flags & 4) != 0;
    if (flags & 16) o.surface_smooth_mm = smooth;
    o.probe_depth_mm = probe;
    o.probe_mean = (flags & 32) != 0;
    o.probe_along_normal = (flags & 64) != 0;
    o.mesh_probe = (flags & 128) != 0;
    o.mesh_smooth_iterations = flags % 3;
    cr_renderer *ren = cr_renderer_new(vol, NULL, &o);
    if (!ren) continue;
    cr_render_out out = {.image = img, .hit = hit};
    if (mode->outputs & CR_RENDER_OUT_DEPTH) out.depth = depth;
    if (mode->outputs & CR_RENDER_OUT_XYZ) out.xyz = xyz;
    if (mode->outputs & CR_RENDER_OUT_NORMAL) out.normal = nrm;
    if (cr_render(ren, &cam, &pose, &out) == 0 && tame) {
      for (int i = 0; i < 32 * 32; i++)
        if (!isfinite(img->data[i]))
          abort(); // a silent wrong answer: a rendered image with NaN or inf pixels
    }
    cr_renderer_free(ren);
  }
  cr_image_free(img);
  cr_image_free(depth);
  cr_image_free(xyz);
  cr_image_free(nrm);
  cr_volume_free(vol);
  return 0;
}

// camreg info FILE...: what a volume, image, camera or pose file holds.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/mat.h"
#include "core/pose.h"
#include "core/volume.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg info FILE...\n\n"
    "Prints what each file holds:\n"
    "  volume (.nii, .nii.gz, .hdr): dims, voxel size, orientation code (RAS, LPI, oblique),\n"
    "      number of volumes (a multi-volume file is described by volume 0),\n"
    "      world bounding box (voxel centres and outer faces, RAS mm), intensity range, datatype, "
    "voxel->world matrix\n"
    "  image (.png, .jpg, .tif, ...): size, channels, bit depth, value range\n"
    "  camera (.yml, .yaml, .xml, .json: OpenCV FileStorage): size, K, distortion, field of view\n"
    "  pose (.txt): the 4x4 cam_from_world matrix, rvec/tvec, camera centre in world\n"
    "options:\n"
    "  --volume-index N   which volume of a 4-D NIfTI file to describe\n"
    "  -h, --help         this text\n";

static int info_volume(const char *path, int vol_index) {
  cr_volume *vol;
  const char *dt;
  long n_vol = 1;
  if (cr_volume_file_count(path, &n_vol)) return cli_fail_last();
  // A multi-volume file (time series, or a vector image such as a camreg xyz map) is
  // described by its first volume unless one is chosen.
  if (vol_index < 0 && n_vol > 1) vol_index = 0;
  if (cr_volume_load(path, vol_index, &vol, &dt)) return cli_fail_last();
  char orient[8];
  cr_volume_orientation(vol, orient);
  double lo[3], hi[3];
  cr_volume_centre_bounds(vol, lo, hi);
  float vmin, vmax;
  cr_volume_minmax(vol, &vmin, &vmax);
  printf("%s: NIfTI volume\n", path);
  if (n_vol > 1)
    printf("  volumes      %ld (described: volume %d; --volume-index K for another)\n", n_vol,
           vol_index);
  printf("  dims         %d x %d x %d\n", vol->dim[0], vol->dim[1], vol->dim[2]);
  printf("  voxel size   %g x %g x %g mm\n", vol->spacing[0], vol->spacing[1], vol->spacing[2]);
  printf("  orientation  %s\n", orient);
  printf("  datatype     %s (loaded as float32, scl_slope/inter applied)\n", dt);
  printf("  range        %g .. %g\n", vmin, vmax);
  printf("  world bounds x %g .. %g, y %g .. %g, z %g .. %g mm (RAS, voxel centres)\n", lo[0],
         hi[0], lo[1], hi[1], lo[2], hi[2]);
  cr_volume_world_bounds(vol, lo, hi);
  printf("  outer faces  x %g .. %g, y %g .. %g, z %g .. %g mm\n", lo[0], hi[0], lo[1], hi[1],
         lo[2], hi[2]);
  printf("  world_from_voxel\n");
  for (int i = 0; i < 4; i++)
    printf("    %10.5g %10.5g %10.5g %10.5g\n", vol->world_from_voxel[i][0],
           vol->world_from_voxel[i][1], vol->world_from_voxel[i][2], vol->world_from_voxel[i][3]);
  cr_volume_free(vol);
  return 0;
}

static int info_image(const char *path) {
  cr_image *img;
  int bits;
  if (cr_image_read(path, &img, &bits)) return cli_fail_last();
  float lo, hi;
  cr_image_minmax(img, &lo, &hi);
  printf("%s: image\n  size         %d x %d\n  channels     %d%s\n  bit depth    %d%s\n"
         "  range        %g .. %g\n",
         path, img->width, img->height, img->channels,
         img->channels == 3   ? " (RGB)"
         : img->channels == 4 ? " (RGBA)"
                              : "",
         bits, bits == 32 ? " (float)" : "", lo, hi);
  cr_image_free(img);
  return 0;
}

static int info_camera(const char *path) {
  cr_camera c;
  if (cr_camera_read(path, &c)) return cli_fail_last();
  double fovx = 2 * atan(0.5 * c.width / c.fx) * 180 / M_PI;
  double fovy = 2 * atan(0.5 * c.height / c.fy) * 180 / M_PI;
  printf(
      "%s: camera (OpenCV pinhole)\n  size         %d x %d\n  fx, fy       %.6g, %.6g px\n"
      "  cx, cy       %.6g, %.6g px\n  distortion   k1 %.6g  k2 %.6g  p1 %.6g  p2 %.6g  k3 %.6g\n"
      "  field of view %.3f x %.3f deg\n",
      path, c.width, c.height, c.fx, c.fy, c.cx, c.cy, c.dist[0], c.dist[1], c.dist[2], c.dist[3],
      c.dist[4], fovx, fovy);
  return 0;
}

static int info_pose(const char *path) {
  cr_pose p;
  if (cr_pose_read(path, &p)) return cli_fail_last();
  double rvec[3], tvec[3], centre[3];
  cr_pose_to_rvec_tvec(&p, rvec, tvec);
  cr_pose_camera_centre(&p, centre);
  printf("%s: pose cam_from_world\n", path);
  for (int i = 0; i < 3; i++)
    printf("    %12.8f %12.8f %12.8f %12.6f\n", p.R[i][0], p.R[i][1], p.R[i][2], p.t[i]);
  printf("  rvec         %.8g %.8g %.8g (rad; angle %.4f deg)\n", rvec[0], rvec[1], rvec[2],
         cr_vec3_norm(rvec) * 180 / M_PI);
  printf("  tvec         %.6g %.6g %.6g mm\n", tvec[0], tvec[1], tvec[2]);
  printf("  camera centre %.6g %.6g %.6g mm (world RAS)\n", centre[0], centre[1], centre[2]);
  printf("  view direction %.6f %.6f %.6f (world)\n", p.R[2][0], p.R[2][1], p.R[2][2]);
  return 0;
}

static int run(int argc, char **argv) {
  int vol_index = -1, status = 0, nfiles = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage, stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--volume-index")) {
      if (i + 1 >= argc) return cli_usage_error("info", "--volume-index needs a value");
      int rc = cli_parse_int("info", "--volume-index", argv[++i], 0, 1 << 30, &vol_index);
      if (rc) return rc;
    }
  }
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i];
    if (!strcmp(f, "--volume-index")) {
      i++;
      continue;
    }
    if (f[0] == '-') return cli_usage_error("info", "unknown option '%s'", f);
    nfiles++;
    int rc;
    if (cr_path_has_suffix(f, ".nii") || cr_path_has_suffix(f, ".nii.gz") ||
        cr_path_has_suffix(f, ".hdr"))
      rc = info_volume(f, vol_index);
    else if (cr_path_has_suffix(f, ".yml") || cr_path_has_suffix(f, ".yaml") ||
             cr_path_has_suffix(f, ".xml") || cr_path_has_suffix(f, ".json"))
      rc = info_camera(f);
    else if (cr_path_has_suffix(f, ".txt"))
      rc = info_pose(f);
    else
      rc = info_image(f);
    if (rc) status = rc;
  }
  if (nfiles == 0) return cli_usage_error("info", "no file given");
  return status;
}

const cr_command cr_command_info = {"info", "describe a volume, image, camera or pose file", run};

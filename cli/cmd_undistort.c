// camreg undistort: remove lens distortion from a photo with its camera file.
#include "calib/undistort.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg undistort -c CAMERA.yml -o OUT PHOTO\n\n"
    "Removes lens distortion (k1,k2,p1,p2,k3): each output pixel samples the photo bilinearly\n"
    "at the distorted position of its ray. The output keeps the photo's bit depth (8-bit\n"
    "stays 8-bit, 16-bit stays 16-bit; choose a format that holds it, e.g. .png or .tif)\n"
    "and the matching camera file (new K, zero distortion) is written too.\n\n"
    "options:\n"
    "  -c, --camera FILE      camera file of the photo (OpenCV YAML)\n"
    "  -o, --out FILE         undistorted image\n"
    "      --alpha A          new camera matrix from cv::getOptimalNewCameraMatrix: 0 keeps only\n"
    "                         valid pixels, 1 keeps all photo pixels (default: same K)\n"
    "      --out-camera FILE  camera file of the output (default: OUT with extension .yml)\n"
    "  -h, --help             this text\n";

static int run(int argc, char **argv) {
  static const struct option opts[] = {
      {"camera", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
      {"alpha", required_argument, 0, 'a'},  {"out-camera", required_argument, 0, 'O'},
      {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  const char *camf = NULL, *out = NULL, *outcam = NULL;
  double alpha = -1;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': camf = optarg; break;
    case 'o': out = optarg; break;
    case 'O': outcam = optarg; break;
    case 'a':
      if ((rc = cli_parse_double("undistort", "--alpha", optarg, &alpha))) return rc;
      if (alpha < 0 || alpha > 1)
        return cli_usage_error("undistort", "--alpha must be in [0, 1], got '%s'", optarg);
      break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("undistort", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!camf || !out)
    return cli_usage_error("undistort", "a camera file (-c) and an output (-o) are required");
  if (optind != argc - 1) return cli_usage_error("undistort", "exactly one photo expected");
  const char *photo = argv[optind];
  char campath[4096];
  if (!outcam) {
    snprintf(campath, sizeof campath, "%s", out);
    char *dot = strrchr(campath, '.'), *slash = strrchr(campath, '/');
    if (dot && (!slash || dot > slash)) *dot = 0;
    if (strlen(campath) + 5 >= sizeof campath)
      return cli_usage_error("undistort", "output path too long");
    strcat(campath, ".yml");
    outcam = campath;
  }
  cr_camera cam, nc;
  if (cr_camera_read(camf, &cam)) return cli_fail_last();
  cr_image *img, *dst = NULL;
  int bits;
  if (cr_image_read(photo, &img, &bits)) return cli_fail_last();
  if (img->width != cam.width || img->height != cam.height) {
    rc = cli_fail("undistort", "%s is %dx%d but camera file %s is for %dx%d", photo, img->width,
                  img->height, camf, cam.width, cam.height);
    cr_image_free(img);
    return rc;
  }
  rc = cr_calib_undistorted_camera(&cam, alpha, &nc) || cr_calib_undistort(img, &cam, &nc, &dst) ||
       cr_image_write(out, dst, bits) || cr_camera_write(outcam, &nc);
  cr_image_free(img), cr_image_free(dst);
  if (rc) return cli_fail_last();
  fprintf(stderr, "wrote %s (%d-bit) and %s (fx %.3f fy %.3f cx %.3f cy %.3f)\n", out, bits, outcam,
          nc.fx, nc.fy, nc.cx, nc.cy);
  return 0;
}

const cr_command cr_command_undistort = {"undistort", "remove lens distortion from a photo", run};

// camreg pnp: camera pose from 2-D/3-D landmarks with known intrinsics.
#include "calib/landmarks.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: camreg pnp -c CAMERA.yml --points3d FILE --points2d FILE -o POSE.txt [options]\n\n"
    "Estimates the pose (cam_from_world) of a calibrated camera from >= 4 landmark pairs:\n"
    "OpenCV solvePnP (SQPnP), or solvePnPRansac, then Levenberg-Marquardt refinement.\n"
    "3-D points: Slicer .mrk.json (LPS or RAS), .fcsv, or CSV x,y,z / label,x,y,z (RAS mm).\n"
    "2-D points: CSV u,v / label,u,v in pixels (OpenCV: pixel centres at integers).\n"
    "Points are paired by label when both files have labels, else by order.\n\n"
    "options:\n"
    "  -c, --camera FILE    intrinsics (OpenCV YAML)\n"
    "      --points3d FILE  world landmarks\n"
    "      --points2d FILE  pixel landmarks\n"
    "  -o, --out FILE       pose file (4x4 matrix + rvec/tvec comments)\n"
    "      --ransac PX      RANSAC with this inlier threshold in pixels\n"
    "  -h, --help           this text\n";

static void print_point_errors(const cr_landmarks *l3, const double *err, const unsigned char *in,
                               int n) {
  printf("point  label                 error_px\n");
  for (int i = 0; i < n; i++)
    printf("%5d  %-20s  %8.3f%s\n", i + 1, l3->has_labels ? l3->label[i] : "-", err[i],
           in && !in[i] ? "  outlier" : "");
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"camera", required_argument, 0, 'c'},
                                       {"points3d", required_argument, 0, '3'},
                                       {"points2d", required_argument, 0, '2'},
                                       {"out", required_argument, 0, 'o'},
                                       {"ransac", required_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *camf = NULL, *f3 = NULL, *f2 = NULL, *out = NULL;
  double ransac = 0;
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': camf = optarg; break;
    case '3': f3 = optarg; break;
    case '2': f2 = optarg; break;
    case 'o': out = optarg; break;
    case 'r':
      if ((rc = cli_parse_double("pnp", "--ransac", optarg, &ransac))) return rc;
      if (!(ransac > 0)) return cli_usage_error("pnp", "--ransac must be positive (pixels)");
      break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_usage_error("pnp", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("pnp", "unexpected argument '%s'", argv[optind]);
  if (!camf || !f3 || !f2 || !out)
    return cli_usage_error("pnp", "-c, --points3d, --points2d and -o are all required");
  cr_camera cam;
  cr_landmarks *l3 = NULL, *l2 = NULL;
  double *X = NULL, *uv = NULL, *err = NULL, rms;
  unsigned char *in = NULL;
  int n = 0;
  cr_pose pose;
  char ctx[8300];
  snprintf(ctx, sizeof ctx, "%s and %s", f3, f2);
  rc = cr_camera_read(camf, &cam) || cr_landmarks_read3d(f3, &l3) || cr_landmarks_read2d(f2, &l2);
  if (!rc && (rc = cr_landmarks_match(l3, l2, &X, &uv, &n))) cr_error_prefix(ctx);
  if (!rc) {
    err = malloc(sizeof(double) * n), in = malloc(n);
    rc = !err || !in ? cr_error(CR_ENOMEM, "out of memory") : 0;
    if (!rc && (rc = cr_calib_pnp(X, uv, n, &cam, ransac, &pose, err, in, &rms)))
      cr_error_prefix(ctx);
    if (!rc) rc = cr_pose_write(out, &pose, "camreg pnp: cam_from_world");
  }
  if (rc) {
    rc = cli_fail_last();
  } else {
    print_point_errors(l3, err, in, n);
    int m = 0;
    for (int i = 0; i < n; i++) m += in[i];
    printf("inliers %d of %d, RMS %.4f px\n", m, n, rms);
    double s3[3], s2[3];
    if (!cr_calib_point_spread(X, n, 3, in, s3) && !cr_calib_point_spread(uv, n, 2, in, s2))
      printf("conditioning: inlier spread %.3g, %.3g, %.3g mm (3-D principal axes), %.3g, %.3g px "
             "(image)\n",
             s3[0], s3[1], s3[2], s2[0], s2[1]);
    fprintf(stderr, "wrote %s\n", out);
  }
  cr_landmarks_free(l3), cr_landmarks_free(l2);
  free(X), free(uv), free(err), free(in);
  return rc;
}

const cr_command cr_command_pnp = {"pnp", "camera pose from 2-D/3-D landmarks (known intrinsics)",
                                   run};

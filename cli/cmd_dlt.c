// camreg dlt: full camera (intrinsics and pose) from 2-D/3-D landmarks.
#include "calib/landmarks.h"
#include "cli/command.h"
#include "cli/common.h"
#include "core/error.h"
#include "core/image.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
    "usage: camreg dlt --points3d FILE --points2d FILE (--size WxH | --image PHOTO)\n"
    "                  -o CAMERA.yml --pose POSE.txt [--distortion]\n\n"
    "Estimates the whole camera from >= 6 non-coplanar landmark pairs: normalized DLT, RQ\n"
    "decomposition (positive focal lengths, proper rotation), then Levenberg-Marquardt\n"
    "refinement of fx, fy, cx, cy and the pose (and k1, k2 with --distortion, >= 8 pairs).\n"
    "Point files as for 'camreg pnp'.\n\n"
    "options:\n"
    "      --points3d FILE  world landmarks (RAS mm)\n"
    "      --points2d FILE  pixel landmarks\n"
    "      --size WxH       image size for the camera file\n"
    "      --image PHOTO    take the image size from this photo\n"
    "  -o, --out FILE       camera file (OpenCV YAML)\n"
    "      --pose FILE      pose file (cam_from_world)\n"
    "      --distortion     also estimate k1, k2\n"
    "  -h, --help           this text\n";

static void print_point_errors(const cr_landmarks *l3, const double *err, int n) {
  printf("point  label                 error_px\n");
  for (int i = 0; i < n; i++)
    printf("%5d  %-20s  %8.3f\n", i + 1, l3->has_labels ? l3->label[i] : "-", err[i]);
}

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"points3d", required_argument, 0, '3'},
                                       {"points2d", required_argument, 0, '2'},
                                       {"size", required_argument, 0, 's'},
                                       {"image", required_argument, 0, 'i'},
                                       {"out", required_argument, 0, 'o'},
                                       {"pose", required_argument, 0, 'p'},
                                       {"distortion", no_argument, 0, 'd'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *f3 = NULL, *f2 = NULL, *out = NULL, *posef = NULL, *image = NULL;
  int c, rc, distortion = 0;
  cr_camera cam = {0};
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    char tail;
    switch (c) {
    case '3': f3 = optarg; break;
    case '2': f2 = optarg; break;
    case 'i': image = optarg; break;
    case 's':
      if (sscanf(optarg, "%dx%d%c", &cam.width, &cam.height, &tail) != 2 || cam.width < 1 ||
          cam.height < 1)
        return cli_usage_error("dlt", "--size expects WxH like 1920x1080, got '%s'", optarg);
      break;
    case 'o': out = optarg; break;
    case 'p': posef = optarg; break;
    case 'd': distortion = 1; break;
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_usage_error("dlt", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("dlt", "unexpected argument '%s'", argv[optind]);
  if (!f3 || !f2 || !out || !posef)
    return cli_usage_error("dlt", "--points3d, --points2d, -o and --pose are required");
  if (!image && !cam.width)
    return cli_usage_error("dlt", "the image size is required (--size WxH or --image PHOTO)");
  if (image) {
    cr_image *img;
    if (cr_image_read(image, &img, NULL)) return cli_fail_last();
    cam.width = img->width, cam.height = img->height;
    cr_image_free(img);
  }
  cr_landmarks *l3 = NULL, *l2 = NULL;
  double *X = NULL, *uv = NULL, *err = NULL, rms;
  int n = 0;
  cr_pose pose;
  char ctx[8300];
  snprintf(ctx, sizeof ctx, "%s and %s", f3, f2);
  rc = cr_landmarks_read3d(f3, &l3) || cr_landmarks_read2d(f2, &l2);
  if (!rc && (rc = cr_landmarks_match(l3, l2, &X, &uv, &n))) cr_error_prefix(ctx);
  if (!rc) {
    err = malloc(sizeof(double) * (n > 0 ? n : 1));
    rc = !err ? cr_error(CR_ENOMEM, "out of memory") : 0;
    if (!rc && (rc = cr_calib_dlt(X, uv, n, distortion, &cam, &pose, err, &rms)))
      cr_error_prefix(ctx);
    if (!rc)
      rc = cr_camera_write(out, &cam) || cr_pose_write(posef, &pose, "camreg dlt: cam_from_world");
  }
  if (rc) {
    rc = cli_fail_last();
  } else {
    print_point_errors(l3, err, n);
    printf("fx %.3f fy %.3f cx %.3f cy %.3f k1 %.5f k2 %.5f, RMS %.4f px over %d points\n", cam.fx,
           cam.fy, cam.cx, cam.cy, cam.dist[0], cam.dist[1], rms, n);
    double s3[3], s2[3];
    if (!cr_calib_point_spread(X, n, 3, NULL, s3) && !cr_calib_point_spread(uv, n, 2, NULL, s2))
      printf("conditioning: point spread %.3g, %.3g, %.3g mm (3-D principal axes; DLT needs the "
             "third > 1%% of the first), %.3g, %.3g px (image)\n",
             s3[0], s3[1], s3[2], s2[0], s2[1]);
    fprintf(stderr, "wrote %s and %s\n", out, posef);
  }
  cr_landmarks_free(l3), cr_landmarks_free(l2);
  free(X), free(uv), free(err);
  return rc;
}

const cr_command cr_command_dlt = {"dlt", "full camera (intrinsics + pose) from 2-D/3-D landmarks",
                                   run};

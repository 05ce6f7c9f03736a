// camreg texture: colour the mesh vertices seen in a photo with the photo's pixels.
#include "cli/command.h"
#include "cli/common.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "mesh/mesh.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg texture -m MESH --photo IMG --camera CAM.yml --pose POSE.txt -o OUT.ply "
    "[options]\n\n"
    "Projects a photo onto the mesh: every vertex visible from the camera (z-buffer test\n"
    "through the same camera model and pose as the renderer, lens distortion included)\n"
    "gets the photo's colour at its projection; hidden vertices keep their colour (grey\n"
    "128 if the mesh had none). The photo must have the camera's size. With --mask, only\n"
    "vertices that project onto the mask's non-zero pixels are coloured (the cortex seen\n"
    "through the opening, not the bone, drapes or instruments around it).\n\n"
    "options:\n"
    "  -m, --mesh FILE     mesh (.ply .stl .obj .vtk)\n"
    "      --photo FILE    photo (PNG/JPEG/TIFF; 8-bit, 16-bit scaled to 0..255)\n"
    "      --camera FILE   OpenCV camera YAML of the photo\n"
    "      --pose FILE     cam_from_world pose of the photo\n"
    "      --mask FILE     colour only where this image (the photo's size) is non-zero\n"
    "  -o, --out FILE      coloured mesh (.ply recommended; .obj .vtk keep colours too)\n"
    "      --tol MM        depth tolerance of the visibility test (default 1.0)\n"
    "      --space SPACE   lps or ras in the output file (default lps)\n"
    "      --ascii         ASCII PLY\n"
    "  -h, --help          this text\n";

static int run(int argc, char **argv) {
  static const struct option opts[] = {{"mesh", required_argument, 0, 'm'},
                                       {"photo", required_argument, 0, 'P'},
                                       {"camera", required_argument, 0, 'c'},
                                       {"pose", required_argument, 0, 'p'},
                                       {"out", required_argument, 0, 'o'},
                                       {"tol", required_argument, 0, 't'},
                                       {"space", required_argument, 0, 's'},
                                       {"ascii", no_argument, 0, 'a'},
                                       {"mask", required_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *mesh_path = NULL, *photo_path = NULL, *cam_path = NULL, *pose_path = NULL,
             *out = NULL, *mask_path = NULL;
  double tol = 1.0;
  int ascii = 0, c, rc;
  cr_mesh_space space = CR_MESH_LPS;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': mesh_path = optarg; break;
    case 'P': photo_path = optarg; break;
    case 'c': cam_path = optarg; break;
    case 'p': pose_path = optarg; break;
    case 'o': out = optarg; break;
    case 't':
      if ((rc = cli_parse_double("texture", "--tol", optarg, &tol))) return rc;
      if (!(tol > 0)) return cli_usage_error("texture", "--tol must be > 0 mm");
      break;
    case 's':
      if (!strcmp(optarg, "lps") || !strcmp(optarg, "LPS"))
        space = CR_MESH_LPS;
      else if (!strcmp(optarg, "ras") || !strcmp(optarg, "RAS"))
        space = CR_MESH_RAS;
      else
        return cli_usage_error("texture", "--space must be lps or ras, not '%s'", optarg);
      break;
    case 'a': ascii = 1; break;
    case 'k': mask_path = optarg; break;
    case 'h': fputs(usage, stdout); return 0;
    default:
      return cli_usage_error("texture", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("texture", "unexpected argument '%s'", argv[optind]);
  if (!mesh_path || !photo_path || !cam_path || !pose_path || !out)
    return cli_usage_error("texture", "-m, --photo, --camera, --pose and -o are required");
  cr_camera cam;
  cr_pose pose;
  if (cr_camera_read(cam_path, &cam) || cr_pose_read(pose_path, &pose)) return cli_fail_last();
  cr_image *photo = NULL;
  int bits = 8;
  if (cr_image_read(photo_path, &photo, &bits)) return cli_fail_last();
  if (bits == 16)
    for (int y = 0; y < photo->height; y++)
      for (int x = 0; x < photo->width * photo->channels; x++) cr_image_row(photo, y)[x] /= 257.0f;
  cr_image *mask = NULL;
  if (mask_path && cr_image_read(mask_path, &mask, NULL)) {
    cr_image_free(photo);
    return cli_fail_last();
  }
  cr_mesh *m = NULL;
  int visible = 0;
  rc = cr_mesh_read(mesh_path, &m, NULL);
  if (!rc) {
    rc = cr_mesh_texture_masked(m, photo, mask, &cam, &pose, tol, &visible);
    if (rc)
      cr_error_prefix(mask && (mask->width != photo->width || mask->height != photo->height)
                          ? mask_path
                          : photo_path);
  }
  if (!rc) rc = cr_mesh_write(out, m, space, ascii);
  if (!rc)
    fprintf(stderr, "wrote %s: %d of %d vertices coloured from %s\n", out, visible, m->n_vertices,
            photo_path);
  cr_mesh_free(m);
  cr_image_free(photo);
  cr_image_free(mask);
  return rc ? cli_fail_last() : 0;
}

const cr_command cr_command_texture = {"texture", "colour a mesh with a photo (visible vertices)",
                                       run};

// camreg mesh: extract a surface mesh from a volume (or convert a mesh file), clean it,
// probe a volume along its normals, write it, and optionally render it.
#include "cli/command.h"
#include "cli/common.h"
#include "core/camera.h"
#include "core/error.h"
#include "core/image.h"
#include "core/pose.h"
#include "core/volume.h"
#include "core/atomic_file.h"
#include "mesh/mesh.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg mesh -i IN -o OUT [options]\n\n"
    "Extracts the iso-surface of a volume by marching cubes (vertices in world RAS mm,\n"
    "closed, outward-wound), or reads a mesh file, then optionally keeps the largest\n"
    "component, smooths without shrinking (Taubin), probes a volume along the inward\n"
    "normals, and writes the mesh. Files are written in LPS with a SPACE=LPS header tag\n"
    "(what 3D Slicer expects; files without a tag are read as LPS, as Slicer does).\n\n"
    "options:\n"
    "  -i, --in FILE           volume (.nii, .nii.gz) or mesh (.ply .stl .obj .vtk)\n"
    "  -o, --out FILE          mesh to write: .ply .stl .obj .vtk\n"
    "      --iso VALUE         iso level; a voxel is inside when its value > VALUE\n"
    "      --mask              the volume is a mask: inside where value > 0\n"
    "      --close-border      close the surface where it leaves the grid\n"
    "      --largest           keep only the largest connected component\n"
    "      --smooth N          Taubin smoothing iterations (default 0)\n"
    "      --lambda L          Taubin lambda (default 0.5)\n"
    "      --mu M              Taubin mu (default -0.53)\n"
    "      --decimate MM       vertex clustering on an MM grid after smoothing (for fast "
    "rendering)\n"
    "      --probe-depth MM    per-vertex scalar: volume sampled 0..MM along the inward normal\n"
    "      --probe-mode MODE   max or mean (default max)\n"
    "      --probe-step MM     sampling step (default 0.25)\n"
    "      --probe-volume FILE volume to probe (default: the input volume)\n"
    "      --space SPACE       lps or ras coordinates in the output file (default lps)\n"
    "      --ascii             ASCII PLY instead of binary\n"
    "      --render PNG        also render the mesh (shaded) through --camera and --pose\n"
    "      --camera FILE       OpenCV camera YAML for --render\n"
    "      --pose FILE         cam_from_world pose file for --render\n"
    "      --depth FILE        with --render: depth map (.nii.gz or .tif, mm, NaN background)\n"
    "  -h, --help              this text\n";

typedef struct mesh_args {
  const char *in, *out, *probe_volume, *render, *camera, *pose, *depth;
  double iso, lambda, mu, probe_depth, probe_step, decimate;
  int have_iso, mask, close_border, largest, smooth, probe_mode, ascii;
  cr_mesh_space space;
} mesh_args;

static int parse(int argc, char **argv, mesh_args *a) {
  static const struct option opts[] = {{"in", required_argument, 0, 'i'},
                                       {"out", required_argument, 0, 'o'},
                                       {"iso", required_argument, 0, 'I'},
                                       {"mask", no_argument, 0, 'M'},
                                       {"close-border", no_argument, 0, 'B'},
                                       {"largest", no_argument, 0, 'L'},
                                       {"smooth", required_argument, 0, 's'},
                                       {"lambda", required_argument, 0, 'l'},
                                       {"mu", required_argument, 0, 'm'},
                                       {"probe-depth", required_argument, 0, 'd'},
                                       {"probe-mode", required_argument, 0, 'P'},
                                       {"probe-step", required_argument, 0, 'S'},
                                       {"probe-volume", required_argument, 0, 'V'},
                                       {"space", required_argument, 0, 'x'},
                                       {"ascii", no_argument, 0, 'a'},
                                       {"render", required_argument, 0, 'r'},
                                       {"camera", required_argument, 0, 'c'},
                                       {"pose", required_argument, 0, 'p'},
                                       {"depth", required_argument, 0, 'D'},
                                       {"decimate", required_argument, 0, 'C'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c, rc;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': a->in = optarg; break;
    case 'o': a->out = optarg; break;
    case 'I':
      if ((rc = cli_parse_double("mesh", "--iso", optarg, &a->iso))) return rc;
      a->have_iso = 1;
      break;
    case 'M': a->mask = 1; break;
    case 'B': a->close_border = 1; break;
    case 'L': a->largest = 1; break;
    case 's':
      if ((rc = cli_parse_int("mesh", "--smooth", optarg, 0, 10000, &a->smooth))) return rc;
      break;
    case 'l':
      if ((rc = cli_parse_double("mesh", "--lambda", optarg, &a->lambda))) return rc;
      break;
    case 'm':
      if ((rc = cli_parse_double("mesh", "--mu", optarg, &a->mu))) return rc;
      break;
    case 'd':
      if ((rc = cli_parse_double("mesh", "--probe-depth", optarg, &a->probe_depth))) return rc;
      break;
    case 'S':
      if ((rc = cli_parse_double("mesh", "--probe-step", optarg, &a->probe_step))) return rc;
      break;
    case 'V': a->probe_volume = optarg; break;
    case 'P':
      if (!strcmp(optarg, "max"))
        a->probe_mode = CR_PROBE_MAX;
      else if (!strcmp(optarg, "mean"))
        a->probe_mode = CR_PROBE_MEAN;
      else
        return cli_usage_error("mesh", "--probe-mode must be max or mean, not '%s'", optarg);
      break;
    case 'x':
      if (!strcmp(optarg, "lps") || !strcmp(optarg, "LPS"))
        a->space = CR_MESH_LPS;
      else if (!strcmp(optarg, "ras") || !strcmp(optarg, "RAS"))
        a->space = CR_MESH_RAS;
      else
        return cli_usage_error("mesh", "--space must be lps or ras, not '%s'", optarg);
      break;
    case 'a': a->ascii = 1; break;
    case 'r': a->render = optarg; break;
    case 'c': a->camera = optarg; break;
    case 'p': a->pose = optarg; break;
    case 'D': a->depth = optarg; break;
    case 'C':
      if ((rc = cli_parse_double("mesh", "--decimate", optarg, &a->decimate))) return rc;
      if (!(a->decimate > 0)) return cli_usage_error("mesh", "--decimate must be > 0 mm");
      break;
    case 'h': fputs(usage, stdout); return -1;
    default: return cli_usage_error("mesh", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("mesh", "unexpected argument '%s'", argv[optind]);
  if (!a->in || !a->out)
    return cli_usage_error("mesh", "an input (-i) and an output (-o) are required");
  if (a->have_iso && a->mask) return cli_usage_error("mesh", "--iso and --mask exclude each other");
  if (a->probe_depth < 0) return cli_usage_error("mesh", "--probe-depth must be >= 0");
  if (!(a->probe_step > 0)) return cli_usage_error("mesh", "--probe-step must be > 0");
  if (a->render && (!a->camera || !a->pose))
    return cli_usage_error("mesh", "--render needs --camera and --pose");
  if (a->depth && !a->render) return cli_usage_error("mesh", "--depth needs --render");
  if (!(a->lambda > 0 && a->lambda < 1 && a->mu < -a->lambda && a->mu > -1))
    return cli_usage_error("mesh", "need 0 < --lambda < 1 and -1 < --mu < -lambda");
  return 0;
}

static int is_mesh_file(const char *p) {
  return cr_path_has_suffix(p, ".ply") || cr_path_has_suffix(p, ".stl") ||
         cr_path_has_suffix(p, ".obj") || cr_path_has_suffix(p, ".vtk");
}

// Mesh from the input: read it, or marching cubes on the volume (kept in *vol).
static int load_or_extract(const mesh_args *a, cr_mesh **m, cr_volume **vol) {
  if (is_mesh_file(a->in)) {
    if (a->have_iso || a->mask)
      return cli_usage_error("mesh", "--iso/--mask apply to a volume input");
    return cr_mesh_read(a->in, m, NULL) ? cli_fail_last() : 0;
  }
  if (!a->have_iso && !a->mask)
    return cli_usage_error("mesh", "a volume input needs --iso VALUE or --mask");
  if (cr_volume_load(a->in, -1, vol, NULL)) return cli_fail_last();
  float iso = (float)a->iso;
  if (a->mask) {
    for (size_t i = 0; i < cr_volume_count(*vol); i++) (*vol)->data[i] = (*vol)->data[i] > 0;
    iso = 0.5f;
  }
  if (cr_mesh_marching_cubes(*vol, iso, a->close_border, m)) {
    cr_error_prefix(a->in);
    return cli_fail_last();
  }
  return 0;
}

static int render(const mesh_args *a, const cr_mesh *m) {
  cr_camera cam;
  cr_pose pose;
  if (cr_camera_read(a->camera, &cam) || cr_pose_read(a->pose, &pose)) return cli_fail_last();
  cr_mesh_raster *r = cr_mesh_raster_new(cam.width, cam.height);
  cr_image *shade = cr_image_new(cam.width, cam.height, 1), *depth = NULL;
  if (a->depth) depth = cr_image_new(cam.width, cam.height, 1);
  int rc = !r || !shade || (a->depth && !depth);
  if (!rc)
    rc = cr_mesh_rasterize(r, m, &cam, &pose, NULL) ||
         cr_mesh_raster_resolve(r, m, &pose, shade, depth, NULL, NULL);
  if (!rc) rc = cr_image_write_preview(a->render, shade, 0, 1);
  if (!rc && depth) rc = cr_image_write(a->depth, depth, 32);
  long covered = rc ? 0 : cr_mesh_raster_hit_mask(r, NULL);
  cr_mesh_raster_free(r);
  cr_image_free(shade), cr_image_free(depth);
  if (rc) return cli_fail_last();
  fprintf(stderr, "rendered %s (%dx%d, %ld pixels on the mesh)\n", a->render, cam.width, cam.height,
          covered);
  return 0;
}

static int run(int argc, char **argv) {
  mesh_args a = {.lambda = 0.5, .mu = -0.53, .probe_step = 0.25, .space = CR_MESH_LPS};
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  if (!is_mesh_file(a.out))
    return cli_usage_error("mesh", "%s: output must end in .ply .stl .obj or .vtk", a.out);
  cr_mesh *m = NULL;
  cr_volume *vol = NULL, *probe = NULL;
  if ((rc = load_or_extract(&a, &m, &vol))) goto done;
  int ncomp = 0;
  if (a.largest && cr_mesh_keep_largest_component(m, &ncomp)) goto fail;
  if (cr_mesh_smooth_taubin(m, a.smooth, a.lambda, a.mu)) goto fail;
  if (a.decimate > 0 && cr_mesh_decimate_cluster(m, a.decimate)) goto fail;
  if (cr_mesh_compute_normals(m)) goto fail;
  if (a.probe_depth > 0) {
    const cr_volume *pv = vol;
    if (a.probe_volume) {
      if (cr_volume_load(a.probe_volume, -1, &probe, NULL)) goto fail;
      pv = probe;
    } else if (!vol || a.mask) {
      rc = cli_usage_error("mesh", "--probe-depth needs --probe-volume for a mesh or mask input");
      goto done;
    }
    if (cr_mesh_probe(m, pv, a.probe_depth, a.probe_step, (cr_mesh_probe_mode)a.probe_mode))
      goto fail;
  }
  if (cr_mesh_write(a.out, m, a.space, a.ascii)) goto fail;
  fprintf(stderr, "wrote %s: %d vertices, %d triangles", a.out, m->n_vertices, m->n_triangles);
  if (a.largest) fprintf(stderr, " (largest of %d components)", ncomp);
  fprintf(stderr, ", area %.1f mm^2, volume %.1f mm^3, %s\n", cr_mesh_area(m), cr_mesh_volume(m),
          a.space == CR_MESH_LPS ? "LPS" : "RAS");
  rc = a.render ? render(&a, m) : 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  cr_mesh_free(m);
  cr_volume_free(vol), cr_volume_free(probe);
  return rc;
}

const cr_command cr_command_mesh = {"mesh", "extract, clean, probe and write a surface mesh", run};

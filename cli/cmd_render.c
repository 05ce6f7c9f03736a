// camreg render: render a volume (or a mesh) through a calibrated camera at a pose, in
// any mode of the renderer's mode table.
#include "cli/command.h"
#include "cli/common.h"
#include "cli/labels.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"
#include "render/render.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
    "usage: camreg render --volume V.nii.gz --camera cam.yml --pose pose.txt --mode M --out IMAGE\n"
    "                     [--depth D] [--xyz XYZ] [--normal N] [--preview P.png] [options]\n\n"
    "Renders the volume seen by the camera (OpenCV pinhole with lens distortion) at the pose\n"
    "(cam_from_world, x_cam = R x_world + t). Ray modes cast a ray from the camera centre\n"
    "through each pixel centre, clipped to the volume box and sampled every --step mm.\n\n"
    "modes:\n";

static const char usage_tail[] =
    "\nOutputs by extension: .nii/.nii.gz float NIfTI placed as the camera's image plane at\n"
    "the pivot depth; .tif float; .png 16-bit (the value mapping is printed). --depth (z in\n"
    "the camera frame, mm, 0 = no hit), --xyz (world mm of the hit) and --normal (unit\n"
    "outward normal, world) come from the modes that make them (surface, probe, mesh).\n\n"
    "mode mesh: instead of casting rays, builds the cortex mesh from the volume (marching\n"
    "cubes at the iso level, automatic like the surface mode; largest component; --smooth\n"
    "Taubin iterations) or reads --mesh FILE, and rasterizes it with a z-buffer through the\n"
    "same camera model (lens distortion applied to the vertices). The image is the headlight\n"
    "shading |n . view| (1 with --unlit), or with --probe the per-vertex probe: the max\n"
    "(--probe-mean: mean) of the volume 0..--probe-depth mm along the inward normal,\n"
    "interpolated over the triangles (the mesh's own scalars if it has them). --depth,\n"
    "--xyz and --normal (interpolated vertex normals) as in surface mode. --volume is\n"
    "optional with --mesh unless --probe needs it.\n\n"
    "options:\n"
    "  -v, --volume FILE        NIfTI volume\n"
    "      --volume-index N     volume N (0-based) of a 4-D file (time points, vector\n"
    "                           components)\n"
    "  -c, --camera FILE        OpenCV camera YAML (camera_matrix, distortion, size)\n"
    "  -p, --pose FILE          cam_from_world 4x4 pose file\n"
    "  -m, --mode M             one of the modes above (default surface)\n"
    "  -o, --out FILE           rendered image\n"
    "      --depth FILE         depth map (surface, probe, mesh)\n"
    "      --xyz FILE           world xyz of each hit, 3 channels (surface, probe, mesh)\n"
    "      --normal FILE        outward world normal of each hit (surface, probe, mesh)\n"
    "      --preview FILE       8-bit PNG quick look of the image\n"
    "      --step MM            sampling step (default: smallest voxel size; mesh --probe: 0.25)\n"
    "      --nearest            nearest-neighbour instead of trilinear interpolation\n"
    "      --window LO,HI       drr/mip: clamp values to [LO,HI] and subtract LO\n"
    "      --iso LEVEL          surface level (default: automatic, Otsu)\n"
    "      --tf SPEC            volume transfer function v:opacity_per_mm:grey,... or\n"
    "                           v:opacity:r:g:b,... (default: ramp from the iso level)\n"
    "      --colour             volume mode: write RGB instead of grey\n"
    "      --unlit              no headlight shading (volume, surface, mesh)\n"
    "      --probe-depth MM     probe shell thickness (default 3)\n"
    "      --probe-mean         probe mean instead of max\n"
    "      --probe-normal       probe along the inward normal instead of the ray\n"
    "      --surface-smooth MM  surface/probe: Gaussian sigma of the field whose isosurface\n"
    "                           is found (default 1; 0 = the raw volume, as mesh mode)\n"
    "      --mesh FILE          mesh mode: rasterize this mesh (.ply .stl .obj .vtk; files\n"
    "                           without a SPACE=RAS tag are read as LPS) instead of building one\n"
    "      --smooth N           mesh mode: Taubin smoothing iterations of the built mesh\n"
    "                           (default 5; 0 = raw marching cubes)\n"
    "      --probe              mesh mode: image = per-vertex probe scalar instead of shading\n"
    "      --undistorted        render the undistorted view (ignore lens distortion)\n"
    "      --scale S            render at S times the camera resolution (default 1)\n"
    "      --background V       value of pixels whose ray finds nothing (default 0)\n"
    "      --pivot X,Y,Z        world point whose depth places the NIfTI image plane and\n"
    "                           the printed pixel size (default: centroid of the visible\n"
    "                           surface, or the volume centre)\n"
    "  -h, --help               this text\n";

// The help text: the modes come from the mode table (built-in and registered).
static void print_usage(void) {
  fputs(usage_head, stdout);
  for (int i = 0; i < cr_render_mode_count(); i++) {
    const cr_render_mode_type *t = cr_render_mode_at(i);
    printf("  %-9s %s\n", t->name, t->summary ? t->summary : "");
  }
  printf("  %-9s %s\n", "label",
         "a label map (--labels) projected below the surface hits onto the photo; its own "
         "options: 'camreg render -m label --help'");
  fputs(usage_tail, stdout);
}

typedef struct render_args {
  const char *volume, *camera, *pose, *out, *depth, *xyz, *normal, *preview, *mesh;
  cr_render_options p;
  int colour, have_pivot, smooth_given, volume_index;
  double scale, pivot[3];
} render_args;

static const struct option opts[] = {{"volume", required_argument, 0, 'v'},
                                     {"camera", required_argument, 0, 'c'},
                                     {"pose", required_argument, 0, 'p'},
                                     {"mode", required_argument, 0, 'm'},
                                     {"out", required_argument, 0, 'o'},
                                     {"depth", required_argument, 0, 'D'},
                                     {"xyz", required_argument, 0, 'X'},
                                     {"normal", required_argument, 0, 'N'},
                                     {"preview", required_argument, 0, 'P'},
                                     {"step", required_argument, 0, 's'},
                                     {"nearest", no_argument, 0, 'n'},
                                     {"window", required_argument, 0, 'w'},
                                     {"iso", required_argument, 0, 'i'},
                                     {"tf", required_argument, 0, 't'},
                                     {"colour", no_argument, 0, 'C'},
                                     {"unlit", no_argument, 0, 'u'},
                                     {"probe-depth", required_argument, 0, 'd'},
                                     {"probe-mean", no_argument, 0, 'M'},
                                     {"probe-normal", no_argument, 0, 'K'},
                                     {"undistorted", no_argument, 0, 'U'},
                                     {"scale", required_argument, 0, 'S'},
                                     {"background", required_argument, 0, 'b'},
                                     {"pivot", required_argument, 0, 'V'},
                                     {"help", no_argument, 0, 'h'},
                                     {"mesh", required_argument, 0, 'E'},
                                     {"smooth", required_argument, 0, 'k'},
                                     {"probe", no_argument, 0, 'R'},
                                     {"surface-smooth", required_argument, 0, 'G'},
                                     {"volume-index", required_argument, 0, 'Y'},
                                     {0, 0, 0, 0}};
static const char short_opts[] = "v:c:p:m:o:h";

static int check_args(const render_args *a);

// The mode first (its defaults are what the other options change), then the rest.
static int parse_mode(int argc, char **argv, const cr_render_mode_type **mode) {
  int c;
  *mode = &cr_render_mode_surface;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, short_opts, opts, NULL)) != -1) {
    if (c == 'h') {
      print_usage();
      return -1;
    }
    if (c == 'm' && !(*mode = cr_render_mode_find(optarg)))
      return cli_usage_error("render", "--mode: %s", cr_last_error());
  }
  return 0;
}

static int parse(int argc, char **argv, render_args *a) {
  int c, rc;
  double w[2], bg;
  const cr_render_mode_type *mode;
  memset(a, 0, sizeof *a);
  if ((rc = parse_mode(argc, argv, &mode))) return rc;
  a->p = cr_render_defaults(mode);
  a->scale = 1;
  a->volume_index = -1;
  cr_render_options tfp = a->p;
  optind = 1;
  while ((c = getopt_long(argc, argv, short_opts, opts, NULL)) != -1) {
    switch (c) {
    case 'v': a->volume = optarg; break;
    case 'Y':
      if ((rc = cli_parse_int("render", "--volume-index", optarg, 0, 1 << 30, &a->volume_index)))
        return rc;
      break;
    case 'c': a->camera = optarg; break;
    case 'p': a->pose = optarg; break;
    case 'm': break; // read first
    case 'o': a->out = optarg; break;
    case 'D': a->depth = optarg; break;
    case 'X': a->xyz = optarg; break;
    case 'N': a->normal = optarg; break;
    case 'P': a->preview = optarg; break;
    case 's':
      if ((rc = cli_parse_double("render", "--step", optarg, &a->p.step_mm))) return rc;
      break;
    case 'n': a->p.interp = CR_INTERP_NEAREST; break;
    case 'w':
      if ((rc = cli_parse_doubles("render", "--window", optarg, 2, w))) return rc;
      if (!(w[1] > w[0])) return cli_usage_error("render", "--window needs LO < HI");
      a->p.windowed = 1, a->p.window_lo = (float)w[0], a->p.window_hi = (float)w[1];
      break;
    case 'i':
      if ((rc = cli_parse_double("render", "--iso", optarg, &a->p.iso))) return rc;
      break;
    case 't':
      if (cr_render_tf_parse(optarg, &tfp))
        return cli_usage_error("render", "--tf: %s", cr_last_error());
      break;
    case 'C': a->colour = 1; break;
    case 'u': a->p.lit = 0; break;
    case 'd':
      if ((rc = cli_parse_double("render", "--probe-depth", optarg, &a->p.probe_depth_mm)))
        return rc;
      break;
    case 'M': a->p.probe_mean = 1; break;
    case 'K': a->p.probe_along_normal = 1; break;
    case 'U': a->p.undistorted = 1; break;
    case 'S':
      if ((rc = cli_parse_double("render", "--scale", optarg, &a->scale))) return rc;
      break;
    case 'b':
      if ((rc = cli_parse_double("render", "--background", optarg, &bg))) return rc;
      a->p.background = (float)bg;
      break;
    case 'V':
      if ((rc = cli_parse_doubles("render", "--pivot", optarg, 3, a->pivot))) return rc;
      a->have_pivot = 1;
      break;
    case 'E': a->mesh = optarg; break;
    case 'k':
      if ((rc =
               cli_parse_int("render", "--smooth", optarg, 0, 10000, &a->p.mesh_smooth_iterations)))
        return rc;
      break;
    case 'R': a->p.mesh_probe = 1; break;
    case 'G':
      if ((rc = cli_parse_double("render", "--surface-smooth", optarg, &a->p.surface_smooth_mm)))
        return rc;
      if (!(a->p.surface_smooth_mm >= 0))
        return cli_usage_error("render", "--surface-smooth must be >= 0");
      a->smooth_given = 1;
      break;
    default:
      return cli_usage_error("render", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  a->p.n_tf = tfp.n_tf;
  memcpy(a->p.tf, tfp.tf, sizeof tfp.tf);
  if (optind < argc) return cli_usage_error("render", "unexpected argument '%s'", argv[optind]);
  return check_args(a);
}

// The names of the modes that draw a mesh (!needs_volume), for messages.
static const char *mesh_modes(void) {
  static char names[256];
  size_t len = 0;
  names[0] = 0;
  for (int i = 0; i < cr_render_mode_count() && len < sizeof names; i++)
    if (!cr_render_mode_at(i)->needs_volume)
      len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
                              cr_render_mode_at(i)->name);
  return names;
}

// Required options, ranges, outputs the mode makes and output types once all options are read.
static int check_args(const render_args *a) {
  const cr_render_mode_type *t = a->p.mode;
  if ((!a->volume && (t->needs_volume || !a->mesh)) || !a->camera || !a->pose || !a->out)
    return cli_usage_error(
        "render", "--volume (or --mesh in mesh mode), --camera, --pose and --out are required");
  if (t->needs_volume && (a->mesh || a->p.mesh_probe))
    return cli_usage_error("render",
                           "--mesh and --probe need a mode that draws a mesh (%s; for the volume "
                           "probe use --mode probe)",
                           mesh_modes());
  const char *opt_name[3] = {"--depth", "--xyz", "--normal"},
             *opt_file[3] = {a->depth, a->xyz, a->normal};
  const unsigned bit[3] = {CR_RENDER_OUT_DEPTH, CR_RENDER_OUT_XYZ, CR_RENDER_OUT_NORMAL};
  for (int i = 0; i < 3; i++)
    if (opt_file[i] && !(t->outputs & bit[i]))
      return cli_usage_error("render", "%s: the %s mode makes no such output", opt_name[i],
                             t->name);
  if (!(a->scale > 0 && a->scale <= 8))
    return cli_usage_error("render", "--scale must be in (0, 8]");
  if (a->p.step_mm < 0) return cli_usage_error("render", "--step must be positive");
  if (!(a->p.probe_depth_mm >= 0)) return cli_usage_error("render", "--probe-depth must be >= 0");
  const char *outs[4] = {a->out, a->depth, a->xyz, a->normal};
  for (int i = 0; i < 4; i++)
    if (outs[i] && cr_render_output_check(outs[i]))
      return cli_usage_error("render", "%s", cr_last_error());
  if (a->preview && !cr_path_has_suffix(a->preview, ".png"))
    return cli_usage_error("render", "--preview %s: must be a .png file", a->preview);
  return 0;
}

static int write_all(const render_args *a, cr_image *const img[4], const cr_camera *cam,
                     const cr_pose *P, double depth_mm) {
  const char *paths[4] = {a->out, a->depth, a->xyz, a->normal};
  for (int i = 0; i < 4; i++) {
    if (!paths[i] || !img[i]) continue;
    double map[2];
    if (cr_render_write(paths[i], img[i], cam, P, depth_mm, map)) return -1;
    if (cr_path_has_suffix(paths[i], ".png"))
      fprintf(stderr, "wrote %s (16-bit: value = %g + %g * pixel)\n", paths[i], map[0], map[1]);
    else
      fprintf(stderr, "wrote %s\n", paths[i]);
  }
  if (a->preview) {
    if (cr_image_write_preview(a->preview, img[0], 0, 0)) return -1;
    fprintf(stderr, "wrote %s\n", a->preview);
  }
  return 0;
}

// The default pivot: the centroid of the visible surface (every 4th pixel) of the mode
// when it has surface points, else of a surface render with the surface mode's default
// smoothing (unless given); else the volume's centre, or the mesh's box centre.
static void default_pivot(const render_args *a, cr_renderer *r, const cr_volume *vol,
                          const cr_mesh *mesh, const cr_camera *cam, const cr_pose *P,
                          double pivot[3]) {
  const cr_render_options *rp = cr_renderer_options(r);
  int ok = !cr_render_surface_points(r, cam, P, 4, NULL, 0, NULL, pivot);
  if (!ok && vol && !rp->mode->surface_points) {
    cr_render_options sp = *rp;
    sp.mode = &cr_render_mode_surface;
    if (!a->smooth_given)
      sp.surface_smooth_mm = cr_render_defaults(&cr_render_mode_surface).surface_smooth_mm;
    cr_renderer *rs = NULL;
    ok = !cr_status_of(rs = cr_renderer_new(vol, NULL, &sp)) &&
         !cr_render_surface_points(rs, cam, P, 4, NULL, 0, NULL, pivot);
    cr_renderer_free(rs);
  }
  cr_error_clear();
  if (ok) return;
  double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  if (vol)
    cr_volume_world_bounds(vol, lo, hi);
  else if (mesh && mesh->n_vertices) {
    for (int k = 0; k < 3; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
    for (int i = 0; i < mesh->n_vertices; i++)
      for (int k = 0; k < 3; k++)
        lo[k] = fmin(lo[k], mesh->xyz[3 * i + k]), hi[k] = fmax(hi[k], mesh->xyz[3 * i + k]);
  }
  for (int k = 0; k < 3; k++) pivot[k] = 0.5 * (lo[k] + hi[k]);
}

// -m label is not a row of the mode table (it reads a second volume): cli/labels.c.
static int wants_labels(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--mode")) && i + 1 < argc)
      return !strcmp(argv[i + 1], "label");
    if (!strcmp(argv[i], "--mode=label") || !strcmp(argv[i], "-mlabel")) return 1;
  }
  return 0;
}

static int run(int argc, char **argv) {
  if (wants_labels(argc, argv)) return cli_labels_run("render", argc, argv, 0);
  render_args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cr_camera cam;
  cr_pose P;
  cr_volume *vol = NULL;
  cr_mesh *mesh = NULL;
  cr_renderer *r = NULL;
  cr_image *img[4] = {NULL, NULL, NULL, NULL};
  unsigned char *hit = NULL;
  if (cr_camera_read(a.camera, &cam) || cr_pose_read(a.pose, &P)) return cli_fail_last();
  if (a.scale != 1) cam = cr_camera_scaled(&cam, a.scale);
  if (a.volume && (cr_volume_load(a.volume, a.volume_index, &vol, NULL) ||
                   cr_volume_check_contrast(vol, a.volume)))
    goto fail;
  if (a.mesh && cr_mesh_read(a.mesh, &mesh, NULL)) goto fail;
  if (cr_status_of(r = cr_renderer_new(vol, mesh, &a.p))) {
    if (!a.mesh && a.volume) cr_error_prefix(a.volume);
    goto fail;
  }
  const cr_render_options *rp = cr_renderer_options(r);
  const cr_render_mode_type *t = rp->mode;
  const char *paths[4] = {a.out, a.depth, a.xyz, a.normal};
  const int channels[4] = {a.colour && (t->outputs & CR_RENDER_OUT_COLOUR) ? 3 : 1, 1, 3, 3};
  for (int i = 0; i < 4; i++)
    if ((i == 0 || paths[i]) && !(img[i] = cr_image_new(cam.width, cam.height, channels[i])))
      goto fail;
  if (!(hit = malloc((size_t)cam.width * cam.height))) goto fail;
  cr_render_out out = {img[0], img[1], img[2], img[3], NULL, hit, NULL};
  double t0 = omp_get_wtime();
  if (cr_render(r, &cam, &P, &out)) goto fail;
  double ms = 1e3 * (omp_get_wtime() - t0);
  long n_hit = 0;
  for (size_t i = 0; i < (size_t)cam.width * cam.height; i++) n_hit += hit[i];
  fprintf(stderr, "rendered %s %dx%d in %.1f ms (%ld pixels hit", t->name, cam.width, cam.height,
          ms, n_hit);
  if (cr_renderer_last_samples(r) > 0)
    fprintf(stderr, ", %.3g samples, step %.3g mm", cr_renderer_last_samples(r), rp->step_mm);
  if (!isnan(rp->iso)) fprintf(stderr, ", iso %g", rp->iso);
  fprintf(stderr, ")\n");
  double pivot[3], xc[3];
  if (a.have_pivot)
    memcpy(pivot, a.pivot, sizeof pivot);
  else
    default_pivot(&a, r, vol, mesh, &cam, &P, pivot);
  cr_pose_apply(&P, pivot, xc);
  double depth_mm = xc[2] > 0 ? xc[2] : 100.0, px[2];
  cr_render_pixel_size(&cam, depth_mm, px);
  fprintf(stdout, "pivot %.2f %.2f %.2f mm at depth %.2f mm: pixel size %.4f x %.4f mm\n", pivot[0],
          pivot[1], pivot[2], depth_mm, px[0], px[1]);
  if (write_all(&a, img, &cam, &P, depth_mm)) goto fail;
  rc = 0;
  goto done;
fail:
  rc = cli_fail_last();
done:
  for (int i = 0; i < 4; i++) cr_image_free(img[i]);
  free(hit);
  cr_renderer_free(r);
  cr_mesh_free(mesh);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_render = {
    "render", "render a volume or its mesh through a camera (any render mode)", run};

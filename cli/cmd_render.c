// camreg render: render a volume through a calibrated camera at a pose.
#include "cli/command.h"
#include "cli/common.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/mat.h"
#include "mesh/mesh.h"
#include "registration/mesh_cost.h"
#include "render/render.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: camreg render --volume V.nii.gz --camera cam.yml --pose pose.txt --mode M --out IMAGE\n"
    "                     [--depth D] [--xyz XYZ] [--normal N] [--preview P.png] [options]\n\n"
    "Renders the volume seen by the camera (OpenCV pinhole with lens distortion) at the pose\n"
    "(cam_from_world, x_cam = R x_world + t). Rays start at the camera centre, pass through\n"
    "each pixel centre, are clipped to the volume box and sampled every --step mm.\n\n"
    "modes: drr (line integral, value*mm), mip (maximum), volume (emission-absorption with a\n"
    "transfer function), surface (first hit of the iso level: shaded image, depth, xyz,\n"
    "normal), probe (max or mean of the volume 0..d mm below the surface: vessels, sulci).\n\n"
    "Outputs by extension: .nii/.nii.gz float NIfTI placed as the camera's image plane at\n"
    "the pivot depth; .tif float; .png 16-bit (the value mapping is printed). --depth (z in\n"
    "the camera frame, mm, 0 = no hit), --xyz (world mm of the hit) and --normal are written\n"
    "in surface and probe modes.\n\n"
    "mode mesh: instead of casting rays, builds the cortex mesh from the volume (marching\n"
    "cubes at the iso level, automatic like the surface mode; largest component; --smooth\n"
    "Taubin iterations) or reads --mesh FILE, and rasterizes it with a z-buffer through the\n"
    "same camera model (lens distortion applied to the vertices). The image is the headlight\n"
    "shading |n . view| (1 with --unlit), or with --probe the per-vertex probe: the max\n"
    "(--probe-mean: mean) of the volume 0..--probe-depth mm along the inward normal,\n"
    "interpolated over the triangles. --depth and --xyz as in surface mode (--normal is not\n"
    "available). --volume is optional with --mesh unless --probe needs it.\n\n"
    "options:\n"
    "  -v, --volume FILE        NIfTI volume\n"
    "  -c, --camera FILE        OpenCV camera YAML (camera_matrix, distortion, size)\n"
    "  -p, --pose FILE          cam_from_world 4x4 pose file\n"
    "  -m, --mode M             drr, mip, volume, surface, probe, mesh (default surface)\n"
    "  -o, --out FILE           rendered image\n"
    "      --depth FILE         depth map (surface, probe, mesh)\n"
    "      --xyz FILE           world xyz of each hit, 3 channels (surface, probe, mesh)\n"
    "      --normal FILE        outward world normal of each hit (surface, probe)\n"
    "      --preview FILE       8-bit PNG quick look of the image\n"
    "      --step MM            sampling step (default: smallest voxel size)\n"
    "      --nearest            nearest-neighbour instead of trilinear interpolation\n"
    "      --window LO,HI       drr/mip: clamp values to [LO,HI] and subtract LO\n"
    "      --iso LEVEL          surface level (default: automatic, Otsu)\n"
    "      --tf SPEC            volume transfer function v:opacity_per_mm:grey,... or\n"
    "                           v:opacity:r:g:b,... (default: ramp from the iso level)\n"
    "      --colour             volume mode: write RGB instead of grey\n"
    "      --unlit              no headlight shading (volume, surface)\n"
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

typedef struct render_args {
  const char *volume, *camera, *pose, *out, *depth, *xyz, *normal, *preview;
  cr_render_params p;
  int colour, have_pivot, mesh_mode, smooth, probe;
  const char *mesh;
  double scale, pivot[3];
} render_args;

static int check_args(const render_args *a);

static int parse(int argc, char **argv, render_args *a) {
  static const struct option opts[] = {
      {"volume", required_argument, 0, 'v'}, {"camera", required_argument, 0, 'c'},
      {"pose", required_argument, 0, 'p'},   {"mode", required_argument, 0, 'm'},
      {"out", required_argument, 0, 'o'},    {"depth", required_argument, 0, 'D'},
      {"xyz", required_argument, 0, 'X'},    {"normal", required_argument, 0, 'N'},
      {"preview", required_argument, 0, 'P'}, {"step", required_argument, 0, 's'},
      {"nearest", no_argument, 0, 'n'},      {"window", required_argument, 0, 'w'},
      {"iso", required_argument, 0, 'i'},    {"tf", required_argument, 0, 't'},
      {"colour", no_argument, 0, 'C'},       {"unlit", no_argument, 0, 'u'},
      {"probe-depth", required_argument, 0, 'd'}, {"probe-mean", no_argument, 0, 'M'},
      {"probe-normal", no_argument, 0, 'K'}, {"undistorted", no_argument, 0, 'U'},
      {"scale", required_argument, 0, 'S'},  {"background", required_argument, 0, 'b'},
      {"pivot", required_argument, 0, 'V'},  {"help", no_argument, 0, 'h'},
      {"mesh", required_argument, 0, 'E'},   {"smooth", required_argument, 0, 'k'},
      {"probe", no_argument, 0, 'R'},        {"surface-smooth", required_argument, 0, 'G'},
      {0, 0, 0, 0}};
  int c, rc;
  double w[2], bg;
  memset(a, 0, sizeof *a);
  a->p = cr_render_defaults(CR_RENDER_SURFACE);
  a->scale = 1, a->smooth = 5;
  cr_render_params tfp = a->p;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "v:c:p:m:o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'v': a->volume = optarg; break;
    case 'c': a->camera = optarg; break;
    case 'p': a->pose = optarg; break;
    case 'm':
      if ((a->mesh_mode = strcmp(optarg, "mesh") == 0)) break;
      if (cr_render_mode_parse(optarg, &a->p.mode)) return cli_usage_error("render", "--mode: %s", cr_last_error());
      break;
    case 'o': a->out = optarg; break;
    case 'D': a->depth = optarg; break;
    case 'X': a->xyz = optarg; break;
    case 'N': a->normal = optarg; break;
    case 'P': a->preview = optarg; break;
    case 's': if ((rc = cli_parse_double("render", "--step", optarg, &a->p.step_mm))) return rc; break;
    case 'n': a->p.interp = CR_INTERP_NEAREST; break;
    case 'w':
      if ((rc = cli_parse_doubles("render", "--window", optarg, 2, w))) return rc;
      if (!(w[1] > w[0])) return cli_usage_error("render", "--window needs LO < HI");
      a->p.windowed = 1, a->p.window_lo = (float)w[0], a->p.window_hi = (float)w[1];
      break;
    case 'i': if ((rc = cli_parse_double("render", "--iso", optarg, &a->p.iso))) return rc; break;
    case 't':
      if (cr_render_tf_parse(optarg, &tfp)) return cli_usage_error("render", "--tf: %s", cr_last_error());
      break;
    case 'C': a->colour = 1; break;
    case 'u': a->p.lit = 0; break;
    case 'd': if ((rc = cli_parse_double("render", "--probe-depth", optarg, &a->p.probe_depth_mm))) return rc; break;
    case 'M': a->p.probe_mean = 1; break;
    case 'K': a->p.probe_along_normal = 1; break;
    case 'U': a->p.undistorted = 1; break;
    case 'S': if ((rc = cli_parse_double("render", "--scale", optarg, &a->scale))) return rc; break;
    case 'b':
      if ((rc = cli_parse_double("render", "--background", optarg, &bg))) return rc;
      a->p.background = (float)bg;
      break;
    case 'V':
      if ((rc = cli_parse_doubles("render", "--pivot", optarg, 3, a->pivot))) return rc;
      a->have_pivot = 1;
      break;
    case 'E': a->mesh = optarg; break;
    case 'k': if ((rc = cli_parse_int("render", "--smooth", optarg, 0, 10000, &a->smooth))) return rc; break;
    case 'R': a->probe = 1; break;
    case 'G':
      if ((rc = cli_parse_double("render", "--surface-smooth", optarg, &a->p.surface_smooth_mm))) return rc;
      if (!(a->p.surface_smooth_mm >= 0)) return cli_usage_error("render", "--surface-smooth must be >= 0");
      break;
    case 'h': fputs(usage, stdout); return -1;
    default: return cli_usage_error("render", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  a->p.n_tf = tfp.n_tf;
  memcpy(a->p.tf, tfp.tf, sizeof tfp.tf);
  if (optind < argc) return cli_usage_error("render", "unexpected argument '%s'", argv[optind]);
  return check_args(a);
}

// Required options, ranges and output types once all options are read.
static int check_args(const render_args *a) {
  if ((!a->volume && !(a->mesh_mode && a->mesh)) || !a->camera || !a->pose || !a->out)
    return cli_usage_error("render", "--volume (or --mesh in mesh mode), --camera, --pose and --out are required");
  if (!a->mesh_mode && (a->mesh || a->probe))
    return cli_usage_error("render", "--mesh and --probe need --mode mesh (for the volume probe use --mode probe)");
  if (a->mesh_mode && a->normal) return cli_usage_error("render", "--normal is not available in mesh mode");
  if (!(a->scale > 0 && a->scale <= 8)) return cli_usage_error("render", "--scale must be in (0, 8]");
  if (a->p.step_mm < 0) return cli_usage_error("render", "--step must be positive");
  if (!(a->p.probe_depth_mm >= 0)) return cli_usage_error("render", "--probe-depth must be >= 0");
  const char *outs[5] = {a->out, a->depth, a->xyz, a->normal, NULL};
  for (int i = 0; i < 4; i++)
    if (outs[i] && cr_render_output_check(outs[i])) return cli_usage_error("render", "%s", cr_last_error());
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
    else fprintf(stderr, "wrote %s\n", paths[i]);
  }
  if (a->preview) {
    if (cr_image_write_preview(a->preview, img[0], 0, 0)) return -1;
    fprintf(stderr, "wrote %s\n", a->preview);
  }
  return 0;
}

// The mesh of mesh mode: read (normals computed if absent) or built from the volume,
// then probed when the image is the probe.
static int mesh_prepare(const render_args *a, const cr_volume *vol, cr_mesh **m, double *iso) {
  *iso = NAN;
  if (a->mesh) {
    if (cr_mesh_read(a->mesh, m, NULL)) return -1;
    if (!(*m)->normal && cr_mesh_compute_normals(*m)) return -1;
  } else {
    cr_reg_mesh_build_options bo = cr_reg_mesh_build_defaults();
    bo.iso = a->p.iso, bo.smooth_iterations = a->smooth, bo.probe_depth_mm = 0;
    if (cr_reg_mesh_build(vol, &bo, m, iso)) return cr_error_prefix(a->volume), -1;
  }
  if (!a->probe) return 0;
  if (vol) return cr_mesh_probe(*m, vol, a->p.probe_depth_mm, 0.25, a->p.probe_mean ? CR_PROBE_MEAN : CR_PROBE_MAX);
  if (!(*m)->scalar) return cr_error(CR_EINVAL, "%s: --probe without --volume needs vertex scalars in the mesh", a->mesh);
  return 0;
}

// Mesh mode: z-buffer raster of the mesh; img[0] image, img[1] depth (0 = miss), img[2] xyz.
static int mesh_render(const render_args *a, const cr_mesh *m, const cr_camera *cam, const cr_pose *P,
                       cr_image *const img[4]) {
  cr_camera rc_cam = *cam;
  if (a->p.undistorted) memset(rc_cam.dist, 0, sizeof rc_cam.dist);
  cr_mesh_raster *r = cr_mesh_raster_new(cam->width, cam->height);
  if (!r) return -1;
  double t0 = omp_get_wtime();
  int rc = cr_mesh_rasterize(r, m, &rc_cam, P, NULL);
  if (!rc)
    rc = cr_mesh_raster_resolve(r, m, P, a->probe ? NULL : img[0], img[1], img[2], a->probe ? img[0] : NULL);
  double ms = 1e3 * (omp_get_wtime() - t0);
  long hit = 0;
  for (int y = 0; !rc && y < cam->height; y++)
    for (int x = 0; x < cam->width; x++) {
      int on = r->tri[(size_t)y * cam->width + x] >= 0;
      float *v = cr_image_px(img[0], x, y);
      hit += on;
      *v = !on ? a->p.background : a->p.lit || a->probe ? *v : 1.0f;
      if (!on) *cr_image_px(img[1], x, y) = 0;
    }
  cr_mesh_raster_free(r);
  if (!rc)
    fprintf(stderr, "rendered mesh %dx%d in %.1f ms (%d vertices, %d triangles, %ld pixels hit)\n",
            cam->width, cam->height, ms, m->n_vertices, m->n_triangles, hit);
  return rc ? -1 : 0;
}

// Pivot of mesh mode: centroid of the visible mesh points (every 4th pixel), else the
// centre of the mesh's bounding box.
static void mesh_pivot(const cr_mesh *m, const cr_image *xyz, double pivot[3]) {
  double s[3] = {0, 0, 0}, lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  long n = 0;
  for (int y = 0; y < xyz->height; y += 4)
    for (int x = 0; x < xyz->width; x += 4) {
      const float *p = cr_image_px(xyz, x, y);
      if (!isfinite(p[0])) continue;
      for (int k = 0; k < 3; k++) s[k] += p[k];
      n++;
    }
  for (int i = 0; !n && i < m->n_vertices; i++)
    for (int k = 0; k < 3; k++) lo[k] = fmin(lo[k], m->xyz[3 * i + k]), hi[k] = fmax(hi[k], m->xyz[3 * i + k]);
  for (int k = 0; k < 3; k++) pivot[k] = n ? s[k] / n : m->n_vertices ? 0.5 * (lo[k] + hi[k]) : 0;
}

static int run_mesh(const render_args *a, const cr_camera *cam, const cr_pose *P) {
  cr_volume *vol = NULL;
  cr_mesh *m = NULL;
  cr_image *img[4] = {NULL, NULL, NULL, NULL};
  double iso, pivot[3], xc[3], px[2];
  int rc = 1;
  if (a->volume && cr_volume_load(a->volume, -1, &vol, NULL)) goto done;
  if (mesh_prepare(a, vol, &m, &iso)) goto done;
  if (!isnan(iso)) fprintf(stderr, "mesh: iso %g, %d vertices, %d triangles\n", iso, m->n_vertices, m->n_triangles);
  for (int i = 0; i < 3; i++)
    if (!(img[i] = cr_image_new(cam->width, cam->height, i == 2 ? 3 : 1))) goto done;
  if (mesh_render(a, m, cam, P, img)) goto done;
  if (a->have_pivot) memcpy(pivot, a->pivot, sizeof pivot);
  else mesh_pivot(m, img[2], pivot);
  cr_pose_apply(P, pivot, xc);
  double depth_mm = xc[2] > 0 ? xc[2] : 100.0;
  cr_render_pixel_size(cam, depth_mm, px);
  fprintf(stdout, "pivot %.2f %.2f %.2f mm at depth %.2f mm: pixel size %.4f x %.4f mm\n", pivot[0],
          pivot[1], pivot[2], depth_mm, px[0], px[1]);
  if (write_all(a, img, cam, P, depth_mm)) goto done;
  rc = 0;
done:
  if (rc) rc = cli_fail_last();
  for (int i = 0; i < 4; i++) cr_image_free(img[i]);
  cr_mesh_free(m);
  cr_volume_free(vol);
  return rc;
}

static int run(int argc, char **argv) {
  render_args a;
  int rc = parse(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cr_camera cam;
  cr_pose P;
  cr_volume *vol = NULL;
  if (cr_camera_read(a.camera, &cam) || cr_pose_read(a.pose, &P)) return cli_fail_last();
  if (a.scale != 1) cam = cr_camera_scaled(&cam, a.scale);
  if (a.mesh_mode) return run_mesh(&a, &cam, &P);
  if (cr_volume_load(a.volume, -1, &vol, NULL)) return cli_fail_last();
  cr_renderer *r = NULL;
  cr_image *img[4] = {NULL, NULL, NULL, NULL};
  int surf = a.p.mode == CR_RENDER_SURFACE || a.p.mode == CR_RENDER_PROBE;
  if (cr_renderer_new(&r, vol, &a.p)) goto fail;
  img[0] = cr_image_new(cam.width, cam.height, a.colour && a.p.mode == CR_RENDER_VOLUME ? 3 : 1);
  if (surf) {
    img[1] = cr_image_new(cam.width, cam.height, 1);
    img[2] = a.xyz ? cr_image_new(cam.width, cam.height, 3) : NULL;
    img[3] = a.normal ? cr_image_new(cam.width, cam.height, 3) : NULL;
    if (!img[1] || (a.xyz && !img[2]) || (a.normal && !img[3])) goto fail;
  }
  if (!img[0]) goto fail;
  cr_render_out out = {img[0], img[1], img[2], img[3], NULL};
  double t0 = omp_get_wtime();
  if (cr_render(r, &cam, &P, &out)) goto fail;
  double ms = 1e3 * (omp_get_wtime() - t0);
  const cr_render_params *rp = cr_renderer_params(r);
  fprintf(stderr, "rendered %s %dx%d in %.1f ms (%.3g samples, step %.3g mm", cr_render_mode_name(rp->mode),
          cam.width, cam.height, ms, cr_renderer_last_samples(r), rp->step_mm);
  if (surf || rp->mode == CR_RENDER_VOLUME) fprintf(stderr, ", iso %g", rp->iso);
  fprintf(stderr, ")\n");
  double pivot[3], xc[3], lo[3], hi[3];
  if (!a.have_pivot) {
    cr_render_params sp = *rp;
    sp.mode = CR_RENDER_SURFACE;
    cr_renderer *rs = NULL;
    int ok = !cr_renderer_new(&rs, vol, &sp) &&
             !cr_render_surface_points(rs, &cam, &P, 4, NULL, 0, NULL, pivot);
    cr_renderer_free(rs);
    if (!ok) {
      cr_volume_world_bounds(vol, lo, hi);
      for (int k = 0; k < 3; k++) pivot[k] = 0.5 * (lo[k] + hi[k]);
    }
    cr_error_clear();
  } else memcpy(pivot, a.pivot, sizeof pivot);
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
  cr_renderer_free(r);
  cr_volume_free(vol);
  return rc;
}

const cr_command cr_command_render = {"render", "render a volume or its mesh through a camera (drr, mip, volume, surface, probe, mesh)", run};
